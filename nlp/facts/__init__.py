"""Facts: from entities to the contract's claims.

- ``nlp.facts.tables.table_facts(doc)``: one fact per money/target cell of ``doc._.tables``
- ``nlp.facts.prose.prose_facts(doc)``: facts from sentences

Both return ``list[nlp.contract.Fact]`` with ``evidence`` in normalised offsets (the
serializer maps them back); ``nlp.components.facts`` calls both.
"""

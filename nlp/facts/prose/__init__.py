"""Facts from sentences: one fact per figure of the prose, with subject, measure, period, base
period, direction, basis and reason, plus the links between facts that the arithmetic checks
need (a percentage and the amounts it follows from, a total and its parts).

The entry points are re-exported here (``from nlp.facts.prose import extract_prose``); the
reader is split by concern, each piece with its cue words as data in ``nlp/facts/cues/``:

- ``reader``: the walk over a document's figures (statements, topics, emitted facts)
"""

from nlp.facts.prose.reader import Link, ProseResult, document_period, extract_prose, prose_facts

__all__ = ["Link", "ProseResult", "extract_prose", "prose_facts", "document_period"]

"""fiscal_facts: from entities to the contract's facts (prose and tables), in ``doc._.facts``
with evidence in normalised offsets."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc


class FactBuilder:
    def __call__(self, doc: Doc) -> Doc:
        doc._.facts = []
        return doc


@Language.factory("fiscal_facts")
def make_facts(nlp: Language, name: str) -> FactBuilder:
    return FactBuilder()

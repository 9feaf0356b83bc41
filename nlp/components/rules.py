"""fiscal_rules: rule entities (AMOUNT, PERCENT, QUANTITY, UNIT, SUBJECT_CODE, CHANGE, PERIOD,
SUBJECT from the lexicon) with exact values, written to ``doc.spans["rules"]``."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc


class RuleEntities:
    def __call__(self, doc: Doc) -> Doc:
        doc.spans["rules"] = []
        return doc


@Language.factory("fiscal_rules")
def make_rules(nlp: Language, name: str) -> RuleEntities:
    return RuleEntities()

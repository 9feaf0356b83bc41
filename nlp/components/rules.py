"""fiscal_rules: rule entities (AMOUNT, PERCENT, QUANTITY, UNIT, CHANGE, PERIOD, SUBJECT
from the lexicon) with exact values, written to ``doc.spans["rules"]``.

Works on the normalised text; reads the document year from ``doc._.period`` (set by
``fiscal_layout``) to resolve 上年/本年. The rules themselves live in ``nlp.rules``.
"""

from __future__ import annotations

import logging
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc

from nlp.extensions import make_span
from nlp.rules import SubjectLexicon, find_rule_entities
from nlp.rules.subjects import SUBJECTS_FILE
from nlp.tokenizer import _resolve

log = logging.getLogger(__name__)


class RuleEntities:
    def __init__(self, subjects: Optional[str] = None, labels: Optional[list[str]] = None):
        path = _resolve(subjects) if subjects else str(SUBJECTS_FILE)
        self.lexicon = SubjectLexicon.load(path)
        self.labels = list(labels) if labels else None
        self.unaligned = 0  # matches whose edges cut a token (see docs/rules.md)

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for m in find_rule_entities(doc.text, doc._.period, self.lexicon, self.labels):
            span = make_span(
                doc, m.start, m.end, m.label,
                value=m.value, unit=m.unit, direction=m.direction, flags=m.flags, source="rule", score=m.score,
            )
            if span is None:
                # Not silently: the tokenizer must cut at entity edges; count and log the miss.
                self.unaligned += 1
                log.warning("rule %s %r at %d-%d does not fall on token boundaries", m.label, doc.text[m.start:m.end], m.start, m.end)
                continue
            spans.append(span)
        doc.spans["rules"] = spans
        return doc


@Language.factory("fiscal_rules", default_config={"subjects": None, "labels": None})
def make_rules(nlp: Language, name: str, subjects: Optional[str], labels: Optional[list[str]]) -> RuleEntities:
    return RuleEntities(subjects, labels)

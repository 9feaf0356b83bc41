"""fiscal_rules: rule entities (AMOUNT, PERCENT, QUANTITY, UNIT, CHANGE, PERIOD, SUBJECT
from the lexicon) with exact values, written to ``doc.spans["rules"]``.

Works on the normalised text; reads the document year from ``doc._.period`` (set by
``fiscal_layout``) to resolve 上年/本年. The rules themselves live in ``nlp.rules``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc

from nlp.extensions import doc_text, make_span
from nlp.rules import SubjectLexicon, find_rule_entities
from nlp.rules.subjects import SUBJECTS_FILE

log = logging.getLogger(__name__)

RULE_LABELS = ("AMOUNT", "PERCENT", "QUANTITY", "UNIT", "CHANGE", "PERIOD", "SUBJECT_CODE", "SUBJECT")


class RuleEntities:
    def __init__(self, subjects: Optional[str] = None, labels: Optional[list[str]] = None):
        self.lexicon = SubjectLexicon.load(_lexicon_path(subjects))
        # spaCy reads ``labels`` into nlp.meta, so it is always a tuple (all rule labels by default).
        self.labels = tuple(labels) if labels else RULE_LABELS
        unknown = set(self.labels) - set(RULE_LABELS)
        if unknown:
            raise ValueError(f"fiscal_rules: labels {sorted(unknown)} are not rule labels {RULE_LABELS}")
        self.unaligned = 0  # matches whose edges cut a token (see docs/rules.md)

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for m in find_rule_entities(doc_text(doc), doc._.period, self.lexicon, self.labels):
            span = make_span(
                doc, m.start, m.end, m.label,
                value=m.value, unit=m.unit, direction=m.direction, flags=m.flags, source="rule", score=m.score,
            )
            if span is None:
                # Not silently: the tokenizer must cut at entity edges; count and log the miss.
                self.unaligned += 1
                log.warning("rule %s %r at %d-%d does not fall on token boundaries", m.label, doc_text(doc)[m.start:m.end], m.start, m.end)
                continue
            spans.append(span)
        doc.spans["rules"] = spans
        return doc


def _lexicon_path(subjects: Optional[str]) -> Path:
    """Config paths are absolute, relative to the repository, or to ``nlp/data``."""
    if not subjects:
        return SUBJECTS_FILE
    p = Path(subjects)
    for candidate in (p, SUBJECTS_FILE.parent.parent.parent / p, SUBJECTS_FILE.parent / p):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"fiscal_rules: SUBJECT lexicon {subjects!r} not found")


@Language.factory("fiscal_rules", default_config={"subjects": None, "labels": None})
def make_rules(nlp: Language, name: str, subjects: Optional[str], labels: Optional[list[str]]) -> RuleEntities:
    return RuleEntities(subjects, labels)

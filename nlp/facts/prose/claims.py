"""Which figures are claims: a rubric's weights and bands, a formula's ``×100%``, a threshold
(``200 万元以上``) and counts that restate a list (``成本等四个方面``) state nothing about the
department (GUIDELINES §8, §9, §non-entities). Cue words are data (``nlp/facts/cues/claims.json``)."""

from __future__ import annotations

import re
from typing import Optional

from spacy.tokens import Span

from nlp.facts.prose.cues import load, words

_OWN_SCORE = re.compile(rf"(?:{words('claims', 'own_score')})$")
_RUBRIC = re.compile(words("claims", "rubric"))
_THRESHOLD_AFTER = re.compile(load("claims")["threshold_after"])
_BACK_REFERENCE = re.compile(rf"(?:{words('claims', 'back_reference')})\s?$")
_HAN_DIGITS = re.compile(r"[一二两三四五六七八九十]")
_CLAUSE_LOOK = 80  # characters looked at around a figure for its clause


def is_claim(text: str, ent: Span, unit: str, subject: Optional[str]) -> bool:
    """False for figures that state nothing about the department: a scoring rubric's weights and
    bands, a formula's ``×100%``, a threshold (``200 万元以上``), an appositive count."""
    if unit == "分" and not (subject and _OWN_SCORE.search(subject)):
        return False  # rubric weights; only the department's own score is a claim
    before = text[max(0, ent.start_char - 3): ent.start_char].rstrip()
    if before.endswith("×"):
        return False
    if ent.label_ == "QUANTITY" and appositive_count(text, ent):
        return False
    if ent.label_ == "AMOUNT" and _THRESHOLD_AFTER.match(text, ent.end_char):
        return False
    a = max(0, ent.start_char - _CLAUSE_LOOK)
    clause_start = max(text.rfind(c, a, ent.start_char) for c in "。;；") + 1
    # a rubric's band is stated over the whole sentence: "目标值为≤100%；达到目标值得满分"
    clause_end = text.find("。", ent.end_char, ent.end_char + _CLAUSE_LOOK)
    if clause_end < 0:
        clause_end = min(len(text), ent.end_char + _CLAUSE_LOOK)
    return not _RUBRIC.search(text, max(a, clause_start), clause_end)


def appositive_count(text: str, ent: Span) -> bool:
    """A count in words that restates a list or refers back to one: "成本等四个方面", "此三项指标",
    "城镇居民医保和新农合两项制度" (right after the enumeration, before its noun)."""
    if not _HAN_DIGITS.match(ent.text):
        return False  # "定点医院、药店等 998 家": a count in digits is the department's figure
    before = text[max(0, ent.start_char - 8): ent.start_char]
    if _BACK_REFERENCE.search(before):
        return True
    after = text[ent.end_char: ent.end_char + 1]
    if not re.search(r"[\u4e00-\u9fff)”]$", before) or not re.match(r"[\u4e00-\u9fff]", after):
        return False  # only "…和 B 两项制度": a count between the enumeration and its noun
    clause_start = max(text.rfind(c, max(0, ent.start_char - _CLAUSE_LOOK), ent.start_char) for c in ",;。:\n") + 1
    clause = text[clause_start: ent.start_char]
    return "和" in clause or "、" in clause

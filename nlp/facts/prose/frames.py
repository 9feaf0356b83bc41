"""Figure frames: what the lead before a figure says the figure is (measure), which way a change
goes (direction), and what it is measured on (basis, comparator). Cue words are data
(``nlp/facts/cues/frames.json``)."""

from __future__ import annotations

import re
from typing import Optional

from spacy.tokens import Span

from nlp.facts.prose.cues import load, words

_CUES = load("frames")
_TEMPLATE = re.compile("|".join(re.escape(t) for t in _CUES["templates"]))
_TRIGGERS = tuple((word, direction) for word, direction in _CUES["triggers"])
_TRIGGER_TAIL = _CUES["trigger_tail"]
COMPARATORS = _CUES["comparator_signs"]
_COMPARATOR_WORDS = tuple((word, sign) for word, sign in _CUES["comparator_words"])
EXECUTION = re.compile(rf"(?:{words('frames', 'execution')})(?:{words('frames', 'execution_copulas')})?$")
SHARE = re.compile(rf"(?<!占)占(?P<total>[^占]{{0,30}}?)(?:的)?(?:{words('frames', 'share_of')})?$")
BASIS = re.compile(
    r"(?<![年全])(?:(?:年初|全年|调整)?(?P<budget>预算数|(?<=[\u4e00-\u9fff]{2})预算)|(?P<actual>决算数|执行数|(?<=[\u4e00-\u9fff]{2})决算))(?:为|是)?$"
)
_BASIS_SAID = re.compile(r"(?<![年全])(?:(?:年初|全年)?(?P<budget>预算数)|(?P<actual>决算数|执行数))")
BASIS_WORDS = frozenset(_CUES["basis_words"])


def comparator(lead: str) -> tuple[Optional[str], str]:
    """A comparison sign or word ending the lead (``≥``, ``不超过``) and the lead without it;
    (None, the lead unchanged) when there is none."""
    stripped = lead.rstrip()
    if stripped and stripped[-1] in COMPARATORS:
        return stripped[-1], stripped[:-1]
    for word, sign in _COMPARATOR_WORDS:
        if stripped.endswith(word):
            return sign, stripped[: -len(word)]
    return None, lead


def trigger(lead: str, change_ents: list[Span], lead_start: int) -> tuple[Optional[str], bool, Optional[int]]:
    """(direction, is_template, position) of a change trigger ending the lead; a CHANGE entity
    ending there says it, else the first trigger word the lead ends with."""
    tail = lead.rstrip().rstrip(_TRIGGER_TAIL)
    if not tail:
        return None, False, None
    tm = _TEMPLATE.search(tail, max(0, len(tail) - 8))
    if tm and tm.end() == len(tail):
        return None, True, tm.start()
    for ent in change_ents:
        if ent.end_char - lead_start == len(tail):
            flags = tuple(ent._.flags or ())
            if "template" in flags or (ent._.direction is None and "(" in ent.text):
                return None, True, ent.start_char - lead_start
            return ent._.direction, False, ent.start_char - lead_start
    for word, direction in _TRIGGERS:
        if tail.endswith(word):
            return direction, False, len(tail) - len(word)
    return None, False, None


def measure_of(label: str, comparator_sign: Optional[str], norm_lead: str, trig_at: Optional[int],
               template: bool) -> tuple[str, Optional[str]]:
    """The figure's measure, and for a share the whole's phrase as written after 占."""
    if comparator_sign is not None:
        return "target", None
    if label == "PERCENT":
        sm = SHARE.search(norm_lead)
        if sm:
            return "share_pct", sm.group("total")
        if EXECUTION.search(norm_lead[-16:]):
            return "execution_pct", None
        if trig_at is not None or template:
            return "change_pct", None
        return "amount", None
    if trig_at is not None or template:
        return "change", None
    return "amount", None


def subject_end(lead: str, measure: str, cmp_at: Optional[int], trig_at: Optional[int]) -> int:
    """Where the subject part of the lead ends: before any comparison, trigger or cue."""
    cut = len(lead)
    for pos in (cmp_at, trig_at):
        if pos is not None:
            cut = min(cut, pos)
    if measure == "share_pct":
        cut = min(cut, lead.find("占") if "占" in lead else cut)
    if measure == "execution_pct":
        em = EXECUTION.search(lead.rstrip())
        if em:
            cut = min(cut, em.start())
    return cut


def tail_basis(phrase: str) -> tuple[Optional[str], str]:
    """The basis a phrase's tail declares (``…年初预算为`` → budget) and the phrase without it."""
    m = BASIS.search(phrase)
    if not m:
        return None, phrase
    return ("budget" if m.group("budget") else "actual"), phrase[: m.start()]


def basis_said_before(subject_part: str, measure: str) -> Optional[str]:
    """``决算数较 2020年减少``: a basis said before the comparison, for amounts and changes."""
    bm = _BASIS_SAID.search(subject_part[-8:])
    if bm and (measure in ("amount", "change", "change_pct")):
        return "budget" if bm.group("budget") else "actual"
    return None

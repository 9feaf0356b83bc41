"""Rule entities with exact values, on normalised text (see ``docs/rules.md``).

``find_rule_entities(text, doc_year)`` runs every rule family and returns
non-overlapping :class:`RuleMatch` objects in text order:

- ``numeric``    AMOUNT / PERCENT / QUANTITY (number + explicit unit)
- ``units``      UNIT (``单位: 万元``, ``项目资金(万元)``)
- ``changes``    CHANGE (triggers governing a figure, templates, 持平)
- ``periods``    PERIOD (years, dates, 上年/本年 relative to the document year)
- ``subjects``   SUBJECT (lexicon, Aho-Corasick)
- ``codes``      SUBJECT_CODE in prose (a code in parentheses after its name)
- ``exclusions`` zones where nothing may match (document numbers, unit codes)

The rule families know nothing of spaCy; ``nlp.components.rules`` makes spans of them.
"""

from __future__ import annotations

from typing import Iterable, Optional

from nlp.rules.base import RuleMatch
from nlp.rules.changes import find_changes
from nlp.rules.codes import find_codes
from nlp.rules.exclusions import excluded_zones
from nlp.rules.numeric import find_numeric
from nlp.rules.periods import find_periods
from nlp.rules.subjects import SubjectLexicon
from nlp.rules.units import find_units

__all__ = ["RuleMatch", "SubjectLexicon", "find_rule_entities", "resolve_overlaps"]

# On equal length, which label keeps a contested stretch of text.
_PRIORITY = {"AMOUNT": 0, "PERCENT": 0, "QUANTITY": 0, "PERIOD": 1, "CHANGE": 2, "UNIT": 3, "SUBJECT_CODE": 3, "SUBJECT": 4}


def find_rule_entities(
    text: str,
    doc_year: Optional[str] = None,
    lexicon: Optional[SubjectLexicon] = None,
    labels: Optional[Iterable[str]] = None,
) -> list[RuleMatch]:
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    numeric = list(find_numeric(text))
    found: list[RuleMatch] = [*numeric, *find_units(text), *find_changes(text, numeric), *find_periods(text, doc_year)]
    if lexicon is not None:
        found.extend(lexicon.find(text))
    # a code in parentheses after its name is what the bracketed-code zone keeps other rules out of
    wanted = None if labels is None else set(labels)
    codes = find_codes(text) if wanted is None or "SUBJECT_CODE" in wanted else ()  # a value reader asks for one label
    found = [*_outside_zones(found, excluded_zones(text)), *codes]
    if wanted is not None:
        found = [m for m in found if m.label in wanted]
    return resolve_overlaps(found, len(text))


def _outside_zones(matches: list[RuleMatch], zones: list[tuple[int, int]]) -> list[RuleMatch]:
    if not zones:
        return matches
    covered = bytearray(max(b for _, b in zones))
    for a, b in zones:
        covered[a:b] = b"\x01" * (b - a)
    return [m for m in matches if covered.find(1, m.start, m.end) == -1]


def resolve_overlaps(matches: Iterable[RuleMatch], length: Optional[int] = None) -> list[RuleMatch]:
    """Longest first, then by label priority, then leftmost; drop what overlaps a kept match."""
    ordered = sorted(matches, key=lambda m: (-(m.end - m.start), _PRIORITY.get(m.label, 9), m.start))
    if not ordered:
        return []
    taken = bytearray(length if length is not None else max(m.end for m in ordered))
    kept: list[RuleMatch] = []
    for m in ordered:
        if taken.find(1, m.start, m.end) != -1:
            continue
        taken[m.start:m.end] = b"\x01" * (m.end - m.start)
        kept.append(m)
    kept.sort(key=lambda m: (m.start, m.end))
    return kept

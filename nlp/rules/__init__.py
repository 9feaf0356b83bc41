"""Rule entities with exact values, on normalised text (see ``docs/rules.md``).

``find_rule_entities(text, doc_year)`` runs every rule family and returns
non-overlapping :class:`RuleMatch` objects in text order:

- ``numeric``    AMOUNT / PERCENT / QUANTITY (number + explicit unit)
- ``units``      UNIT (``单位: 万元``, ``项目资金(万元)``)
- ``changes``    CHANGE (triggers governing a figure, templates, 持平)
- ``periods``    PERIOD (years, dates, 上年/本年 relative to the document year)
- ``subjects``   SUBJECT (lexicon, Aho-Corasick)
- ``exclusions`` zones where nothing may match (document numbers, unit codes)

The rule families know nothing of spaCy; ``nlp.components.rules`` makes spans of them.
"""

from __future__ import annotations

from typing import Iterable, Optional

from nlp.rules.base import RuleMatch
from nlp.rules.changes import find_changes
from nlp.rules.exclusions import excluded_zones
from nlp.rules.numeric import find_numeric
from nlp.rules.periods import find_periods
from nlp.rules.subjects import SubjectLexicon
from nlp.rules.units import find_units

__all__ = ["RuleMatch", "SubjectLexicon", "find_rule_entities", "resolve_overlaps"]

# On equal length, which label keeps a contested stretch of text.
_PRIORITY = {"AMOUNT": 0, "PERCENT": 0, "QUANTITY": 0, "PERIOD": 1, "CHANGE": 2, "UNIT": 3, "SUBJECT": 4}


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
    if labels is not None:
        wanted = set(labels)
        found = [m for m in found if m.label in wanted]
    return resolve_overlaps(_outside_zones(found, excluded_zones(text)))


def _outside_zones(matches: list[RuleMatch], zones: list[tuple[int, int]]) -> list[RuleMatch]:
    if not zones:
        return matches
    # zones are few and sorted: mark covered characters once, then test each match.
    covered: set[int] = set()
    for a, b in zones:
        covered.update(range(a, b))
    return [m for m in matches if not any(i in covered for i in range(m.start, m.end))]


def resolve_overlaps(matches: Iterable[RuleMatch]) -> list[RuleMatch]:
    """Longest first, then by label priority, then leftmost; drop what overlaps a kept match."""
    ordered = sorted(matches, key=lambda m: (-(m.end - m.start), _PRIORITY.get(m.label, 9), m.start))
    kept: list[RuleMatch] = []
    taken: set[int] = set()
    for m in ordered:
        span = range(m.start, m.end)
        if any(i in taken for i in span):
            continue
        taken.update(span)
        kept.append(m)
    kept.sort(key=lambda m: (m.start, m.end))
    return kept

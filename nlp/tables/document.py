"""The document's fiscal year and basis (预算/决算) from its title lines."""

from __future__ import annotations

import re
from typing import Iterator, Optional

from nlp.tables.grid import (  # noqa: F401
    _YEAR_RE,
)


# --- document period ----------------------------------------------------------------------


def _year_evidence(text: str) -> Iterator[tuple[re.Match[str], Optional[str]]]:
    """Every ``YYYY年(度)`` with the 预算/决算 word that follows it on the same clause, if any."""
    for m in _YEAR_RE.finditer(text):
        window = text[m.end() : m.end() + 20]
        for stop in "。,;\n":
            k = window.find(stop)
            if k >= 0:
                window = window[:k]
        b = window.find("预算")
        a = window.find("决算")
        kind = None
        if a >= 0 and (b < 0 or a < b):
            kind = "actual"
        elif b >= 0:
            kind = "budget"
        yield m, kind


def _title_like(text: str, start: int) -> bool:
    """The line around ``start`` is short and has no clause punctuation: a heading.
    Only 80 characters either side are looked at, so the check is constant-time."""
    lo = max(0, start - 80)
    nl = text.rfind("\n", lo, start)
    if nl < 0 and lo > 0:
        return False  # no line start within reach: a long line
    a = nl + 1
    b = text.find("\n", start, start + 80)
    if b < 0:
        if start + 80 < len(text):
            return False
        b = len(text)
    line = text[a:b]
    return len(line.strip()) <= 60 and not any(c in line for c in ",。;")


def document_evidence(text: str) -> tuple[Optional[str], Optional[str]]:
    first_title: Optional[tuple[str, Optional[str]]] = None
    nd_counts: dict[str, int] = {}
    nd_first: dict[str, int] = {}
    doc_counts: dict[str, int] = {}
    doc_kind: dict[str, Optional[str]] = {}
    for i, (m, kind) in enumerate(_year_evidence(text)):
        year = m.group(1)
        if kind is not None:
            if first_title is None and _title_like(text, m.start()):
                first_title = (year, kind)
            doc_counts[year] = doc_counts.get(year, 0) + 1
            doc_kind.setdefault(year, kind)
        if m.group(2):
            nd_counts[year] = nd_counts.get(year, 0) + 1
            nd_first.setdefault(year, i)
    if first_title is not None:
        return first_title
    if nd_counts:
        year = max(nd_counts, key=lambda y: (nd_counts[y], -nd_first[y]))
        return year, doc_kind.get(year)
    if doc_counts:
        year = max(doc_counts, key=lambda y: doc_counts[y])
        return year, doc_kind.get(year)
    return None, None


def document_period(text: str) -> Optional[str]:
    """The document's fiscal year: the year of the first heading that names a 预算/决算
    (``2026年部门预算``), else the most frequent ``YYYY年度``, else the most frequent year
    followed by 预算/决算; None without evidence."""
    return document_evidence(text)[0]


def document_basis(text: str) -> Optional[str]:
    """``budget`` for a 预算 document, ``actual`` for a 决算 document, from the same evidence."""
    return document_evidence(text)[1]

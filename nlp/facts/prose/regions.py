"""Where the prose is not: table rows (tab-separated lines) and every grid or target table that
fiscal_layout read in any form; their figures are table facts (``nlp.facts.tables``)."""

from __future__ import annotations


def table_lines(text: str) -> list[tuple[int, int]]:
    """Character ranges of table rows (tab-separated cells): those figures are table facts."""
    out = []
    pos = 0
    for line in text.split("\n"):
        end = pos + len(line)
        if "\t" in line:
            out.append((pos, end))
        pos = end + 1
    return out


def table_ranges(text: str, tables) -> list[tuple[int, int]]:
    """Table rows as tab lines, and every grid and target table fiscal_layout read in any
    form (space-aligned, pipe, CSV, HTML, one cell per line): sorted and disjoint."""
    ranges = table_lines(text) + [(t.start, t.end) for t in (tables or []) if t.kind in ("grid", "target")]
    ranges.sort()
    out: list[tuple[int, int]] = []
    for a, b in ranges:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def inside(ranges: list[tuple[int, int]], start: int) -> bool:
    """Whether ``start`` lies in one of the sorted, disjoint ``ranges`` (binary search)."""
    lo, hi = 0, len(ranges)
    while lo < hi:
        mid = (lo + hi) // 2
        if ranges[mid][1] < start:
            lo = mid + 1
        else:
            hi = mid
    return lo < len(ranges) and ranges[lo][0] <= start <= ranges[lo][1]

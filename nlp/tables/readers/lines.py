"""One cell per line, as text-only crawlers and copy-paste from a web page flatten ``<td>``s
(an empty cell is an empty line).

A candidate is a run of short lines (no sentence punctuation) that no other reader took,
after the table's caption lines (``…表``, ``单位：万元``, ``编制单位：…``, ``公开05表``). The
rows are recovered from the column count: for every width k the run is cut into rows of k
lines, and the smallest k is kept for which the first row is a header (text cells only)
and every column below it holds one kind of cell (numbers/codes, or names; empty cells fit
any). A trailing row of empty lines is no row. Linear in the run for each k (k ≤ 16).
"""

from __future__ import annotations

import re
from typing import Iterator

from nlp.tables.grid import INDEX_LABELS, Cell, is_number
from nlp.tables.readers import Block, RawRow, strip_span

_MAX_LINE = 40
_MAX_COLS = 16
_PROSE = "。；;，,：:"
_PROSE_CHAR = re.compile("[" + re.escape(_PROSE) + "]")
_CAPTION = re.compile(r"(?:公开\d{1,2}表|表\s{0,2}\d{1,2}|.{0,60}表(?:[(（].{0,12}[)）])?|.{0,30}单位\s{0,2}[:：].{0,40}|[(（]\s{0,2}\d{4}\s{0,2}年度?\s{0,2}[)）])")
_MIN_SCORE = 0.95


def _kind(t: str) -> str:
    if not t:
        return "E"
    if is_number(t):
        return "D"
    return "T"


def _filled(text: str, a: int, b: int) -> bool:
    a, b = strip_span(text, a, b)
    return a < b


def _short(text: str, a: int, b: int) -> bool:
    a, b = strip_span(text, a, b)
    if b - a > _MAX_LINE:
        return False
    seg = text[a:b]
    if _PROSE_CHAR.search(seg) and not is_number(seg):
        return False
    return "<" not in seg


def blocks(text: str, lines: list[tuple[int, int]], kinds: list[str]) -> Iterator[Block]:
    n = len(lines)
    # a line no other reader took and short enough to be a cell: decided once per line
    free = [not kind and _short(text, a, b) for kind, (a, b) in zip(kinds, lines)]
    i = 0
    while i < n:
        if not free[i]:
            i += 1
            continue
        j = i
        while j < n and free[j]:
            j += 1
        # the table starts after its last caption line
        start = i
        for k in range(i, j):
            a, b = strip_span(text, *lines[k])
            if a < b and _CAPTION.fullmatch(text, a, b):
                if any(_kind(text[x:y]) == "D" for x, y in (strip_span(text, *lines[m]) for m in range(start, k))):
                    j = k  # a new table's caption after data: this run ends here
                    break
                start = k + 1
        blk = _read_run(text, lines[start:j])
        if blk is not None:
            yield blk
            i = max(j, i + 1)
        else:
            i = j if j > i else i + 1


def _read_run(text: str, run: list[tuple[int, int]]) -> Block | None:
    # leading empty lines are no cells; one slice, not one per line (a run of 50k blank lines)
    first = next((m for m, (a, b) in enumerate(run) if _filled(text, a, b)), len(run))
    run = run[first:]
    cells = []
    for a, b in run:
        s, e = strip_span(text, a, b)
        cells.append(Cell(0, s, e, text[s:e]))
    kinds = [_kind(c.text) for c in cells]
    if kinds.count("D") < 2:
        return None
    for k in range(2, _MAX_COLS + 1):
        if len(cells) < 3 * k:
            break
        if any(kinds[c] != "T" for c in range(k)):
            continue
        nrows = len(cells) // k
        score = _score(kinds, k, nrows, {r for r in range(nrows) if cells[r * k].text in INDEX_LABELS})
        if score >= _MIN_SCORE:
            rows = []
            for r in range(nrows):
                chunk = cells[r * k : (r + 1) * k]
                if all(not c.text for c in chunk):
                    continue
                row_cells = [Cell(i, c.start, c.end, c.text) for i, c in enumerate(chunk)]
                rows.append(RawRow(run[r * k][0], run[(r + 1) * k - 1][1], row_cells))
            rest = cells[nrows * k :]
            if any(c.text for c in rest):
                continue  # cells left over: not a table of width k
            if sum(1 for r in rows[1:] if any(_kind(c.text) == "D" for c in r.cells)) < 2:
                continue
            return Block("lines", rows[0].start, rows[-1].end, rows)
    return None


def _score(kinds: list[str], k: int, nrows: int, skip: set[int]) -> float:
    """Share of filled cells below the header that are of their column's kind (column-index
    rows, ``栏次 | | 1 | 2``, left out)."""
    good = total = 0
    for c in range(k):
        col = [kinds[r * k + c] for r in range(1, nrows) if r not in skip]
        filled = [x for x in col if x != "E"]
        if not filled:
            continue
        major = max(set(filled), key=filled.count)
        good += filled.count(major)
        total += len(filled)
    return good / total if total else 0.0

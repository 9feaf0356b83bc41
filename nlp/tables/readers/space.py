"""Space-aligned columns, as ``pdftotext -layout`` and PDF viewers' copy-paste print them.

The column boundaries come from the alignment of the whole block, not line by line: a
display position (CJK characters are two wide) is *covered* when some row with two or more
fields has a visible character there, and the columns are the covered stretches between
gaps of at least two uncovered positions. So right-aligned numbers, left-aligned headers,
names with single spaces and empty cells all fall into the column whose stretch they occupy.
Lines with one field (a caption, ``合计`` alone) are cut by the same boundaries. Blank lines
followed by a page-number line (``— 2 —``) inside a table are a page break, no row.

Everything is a single pass per line plus one pass over the coverage array: linear time,
no regular expressions on unbounded input.
"""

from __future__ import annotations

import re

from nlp.tables.grid import Cell, is_number
from nlp.tables.readers import RawRow, strip_span

_MIN_GAP = 2  # spaces between two fields
_MAX_FIELD = 60  # display width of a field; longer runs are prose
_PAGE_NUMBER = re.compile(r"[-—–]{0,2}\s{0,3}(?:第\s{0,2})?\d{1,4}\s{0,2}(?:页)?\s{0,3}[-—–]{0,2}")


def _width(c: str) -> int:
    return 2 if ord(c) > 0x2E80 else 1


def _blank(c: str) -> bool:
    return c == " " or c == "\u3000" or c == "\xa0"


def fields(text: str, a: int, b: int) -> list[tuple[int, int, int, int]]:
    """(start, end, display start, display end) of each run of text separated by two or more
    blanks (a single space stays inside a field)."""
    out: list[tuple[int, int, int, int]] = []
    x = 0
    i = a
    fs = fx = -1
    last_end = last_x = -1
    gap = 0
    while i < b:
        c = text[i]
        w = _width(c)
        if _blank(c):
            gap += w
        else:
            if fs >= 0 and gap >= _MIN_GAP:
                out.append((fs, last_end, fx, last_x))
                fs = -1
            if fs < 0:
                fs, fx = i, x
            gap = 0
            last_end, last_x = i + 1, x + w
        x += w
        i += 1
    if fs >= 0:
        out.append((fs, last_end, fx, last_x))
    return out


def is_row(text: str, a: int, b: int) -> bool:
    if b - a < 4 or text.find("  ", a, b) < 0 and text.find("\u3000", a, b) < 0:
        return False
    fs = fields(text, a, b)
    if len(fs) < 2:
        return False
    return all(dx - sx <= _MAX_FIELD for _, _, sx, dx in fs) and not any(c in "。；" for c in text[a:b])


def is_single(text: str, a: int, b: int) -> bool:
    """A line of one short field (a unit row or a lone label inside a table)."""
    fs = fields(text, a, b)
    return len(fs) == 1 and fs[0][3] - fs[0][2] <= _MAX_FIELD // 2 and not any(c in "。；" for c in text[a:b])


def skip_page_break(text: str, lines: list[tuple[int, int]], kinds: list[str], j: int) -> int:
    """Index of the first line after blank lines and one page-number line starting at ``j``;
    ``j`` when lines ``j…`` are no page break."""
    k = j
    seen_number = False
    while k < len(lines) and k - j < 6:
        a, b = strip_span(text, *lines[k])
        if a == b:
            k += 1
            continue
        if not seen_number and kinds[k] == "" and _PAGE_NUMBER.fullmatch(text, a, b) and any(
                ch.isdigit() for ch in text[a:b]):
            seen_number = True
            k += 1
            continue
        break
    return k if seen_number else j


def read(text: str, lines: list[tuple[int, int]]) -> list[RawRow]:
    per_line = [(a, b, fields(text, a, b)) for a, b in lines]
    width = max((f[-1][3] for _, _, f in per_line if f), default=0)
    covered = bytearray(width + 1)
    for _, _, fs in per_line:
        if len(fs) < 2:
            continue
        for _, _, sx, dx in fs:
            for x in range(sx, dx):
                covered[x] = 1
    # columns: covered stretches separated by at least _MIN_GAP uncovered positions
    cols: list[tuple[int, int]] = []
    x = 0
    while x < width:
        if not covered[x]:
            x += 1
            continue
        s = x
        while x < width:
            if covered[x]:
                x += 1
                continue
            g = x
            while g < width and not covered[g]:
                g += 1
            if g - x >= _MIN_GAP or g >= width:
                break
            x = g
        cols.append((s, x))
    rows = []
    for a, b, fs in per_line:
        if not fs:
            continue
        cells: list[list[int]] = [[-1, -1] for _ in cols]
        for s, e, sx, _ in fs:
            k = _column_of(cols, sx)
            if cells[k][0] < 0:
                cells[k] = [s, e]
            else:
                cells[k][1] = e
        out = []
        prev = a
        for k, (s, e) in enumerate(cells):
            if s < 0:
                out.append(Cell(k, prev, prev, ""))
            else:
                s, e = strip_span(text, s, e)
                out.append(Cell(k, s, e, text[s:e]))
                prev = e
        rows.append(RawRow(a, b, out))
    return rows


def _column_of(cols: list[tuple[int, int]], x: int) -> int:
    """The column whose stretch holds display position ``x`` (or the next one to its right)."""
    lo, hi = 0, len(cols) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cols[mid][1] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def accept(text: str, rows: list[RawRow]) -> bool:
    """A table: two or more rows with two or more cells, and a number among them."""
    multi = [r for r in rows if sum(1 for c in r.cells if c.text) >= 2]
    return len(multi) >= 2 and any(is_number(c.text) for r in multi for c in r.cells)

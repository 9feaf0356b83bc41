"""HTML ``<table>``: ``<tr>`` rows of ``<td>``/``<th>`` cells, ``colspan``/``rowspan`` expanded
into empty cells (the merged label stays in its first cell), tags inside a cell (``<b>``,
``<br>``) and ``&nbsp;`` at its edges left out. Offsets point into the HTML as sent."""

from __future__ import annotations

import re
from typing import Iterator

from nlp.tables.grid import Cell
from nlp.tables.readers import RawRow, strip_span

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]{0,9})(?=[\s/>])([^<>]{0,500})>")
_SPAN_ATTR = re.compile(r"(colspan|rowspan)\s{0,3}=\s{0,3}[\"']?(\d{1,3})", re.I)
_TABLE_OPEN = re.compile(r"<table(?=[\s>])", re.I)
_TABLE_CLOSE = re.compile(r"</table\s{0,3}>", re.I)
_ENTITY_EDGE = re.compile(r"&(?:nbsp|#160|#xa0|ensp|emsp|#12288);", re.I)
_MAX_SPAN = 50


def tables(text: str) -> Iterator[tuple[int, int]]:
    pos = 0
    while (m := _TABLE_OPEN.search(text, pos)) is not None:
        c = _TABLE_CLOSE.search(text, m.end())
        end = c.end() if c else len(text)
        yield m.start(), end
        pos = end


def _content(text: str, a: int, b: int) -> tuple[int, int]:
    """The cell's text without surrounding blanks, ``&nbsp;`` and tags."""
    while True:
        a, b = strip_span(text, a, b)
        if a >= b:
            return a, a
        if text[a] == "<":
            m = _TAG.match(text, a, b)
            if m:
                a = m.end()
                continue
        if text[b - 1] == ">":
            k = text.rfind("<", a, b)
            if k >= 0 and _TAG.fullmatch(text, k, b):
                b = k
                continue
        m = _ENTITY_EDGE.match(text, a, b)
        if m:
            a = m.end()
            continue
        if text[b - 1] == ";":
            k = text.rfind("&", max(a, b - 8), b)
            if k >= 0 and _ENTITY_EDGE.fullmatch(text, k, b):
                b = k
                continue
        return a, b


def read(text: str, start: int, end: int) -> list[RawRow]:
    rows: list[RawRow] = []
    pending: dict[int, int] = {}  # column → rows still covered by a rowspan from above
    row: list[Cell] | None = None
    row_start = 0
    open_cell: tuple[int, int, int] | None = None  # (content start, colspan, rowspan)

    def place(a: int, b: int, colspan: int, rowspan: int) -> None:
        assert row is not None
        while len(row) in pending:
            _fill(len(row))
        col = len(row)
        a, b = _content(text, a, b)
        row.append(Cell(col, a, b, text[a:b]))
        if rowspan > 1:
            pending[col] = rowspan - 1
        for k in range(1, colspan):
            row.append(Cell(col + k, b, b, ""))
            if rowspan > 1:
                pending[col + k] = rowspan - 1

    def _fill(col: int) -> None:
        assert row is not None
        p = row[-1].end if row else row_start
        row.append(Cell(col, p, p, ""))
        pending[col] -= 1
        if pending[col] <= 0:
            del pending[col]

    def close_row(b: int) -> None:
        nonlocal row
        if row is None:
            return
        for col in sorted(c for c in pending if c >= len(row)):
            if col == len(row):
                _fill(col)
        if row:
            rows.append(RawRow(row_start, b, row))
        row = None

    for m in _TAG.finditer(text, start, end):
        closing, name = m.group(1) == "/", m.group(2).lower()
        if name in ("td", "th"):
            if open_cell is not None:  # an unclosed cell ends at the next one
                place(open_cell[0], m.start(), open_cell[1], open_cell[2])
                open_cell = None
            if closing:
                continue
            if row is None:
                row, row_start = [], m.start()
            spans = {k.lower(): min(_MAX_SPAN, max(1, int(v))) for k, v in _SPAN_ATTR.findall(m.group(3))}
            open_cell = (m.end(), spans.get("colspan", 1), spans.get("rowspan", 1))
            if closing is False and m.group(3).rstrip().endswith("/"):
                place(m.end(), m.end(), open_cell[1], open_cell[2])
                open_cell = None
        elif closing and name in ("td", "th"):
            pass
        elif name == "tr" or (closing and name in ("table", "tbody", "thead")):
            if open_cell is not None:
                place(open_cell[0], m.start(), open_cell[1], open_cell[2])
                open_cell = None
            close_row(m.start())
            if name == "tr" and not closing:
                row, row_start = [], m.start()
    if open_cell is not None:
        place(open_cell[0], end, open_cell[1], open_cell[2])
    close_row(end)
    return rows

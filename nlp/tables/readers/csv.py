"""CSV rows pasted from a spreadsheet: ``,`` between cells, ``"…"`` around a cell holding a
comma (``"1,234.00"``), ``""`` for a quote inside it."""

from __future__ import annotations

from nlp.tables.grid import is_number
from nlp.tables.readers import RawRow, cell, strip_span

_MAX_FIELD = 60
_PROSE = "。；;，"


def _fields(text: str, a: int, b: int) -> list[tuple[int, int]] | None:
    """Field spans of a CSV line (inside the quotes when quoted), or None if malformed."""
    out = []
    pos = a
    while True:
        if pos < b and text[pos] == '"':
            q = pos + 1
            while True:
                k = text.find('"', q, b)
                if k < 0:
                    return None
                if k + 1 < b and text[k + 1] == '"':
                    q = k + 2
                    continue
                break
            out.append((pos + 1, k))
            pos = k + 1
            if pos < b and text[pos] != ",":
                return None
        else:
            k = text.find(",", pos, b)
            end = b if k < 0 else k
            out.append((pos, end))
            pos = end
        if pos >= b:
            return out
        pos += 1  # the comma
        if pos == b:
            out.append((b, b))
            return out


def is_row(text: str, a: int, b: int) -> bool:
    if text.find(",", a, b) < 0:
        return False
    s, e = strip_span(text, a, b)
    if is_number(text[s:e]):  # one number with thousands separators
        return False
    fields = _fields(text, a, b)
    if fields is None or len(fields) < 2:
        return False
    for s, e in fields:
        if e - s > _MAX_FIELD or any(c in _PROSE for c in text[s:e]):
            return False
    return True


def read(text: str, lines: list[tuple[int, int]]) -> list[RawRow]:
    rows = []
    for a, b in lines:
        fields = _fields(text, a, b) or []
        rows.append(RawRow(a, b, [cell(text, i, s, e) for i, (s, e) in enumerate(fields)]))
    return rows


def accept(text: str, rows: list[RawRow]) -> bool:
    """A CSV block: two or more rows of one width with at least one number cell — a line of
    prose with thousands separators (``收入1,234.56万元``) is none."""
    if len(rows) < 2:
        return False
    widths = [len(r.cells) for r in rows]
    common = max(set(widths), key=widths.count)
    if widths.count(common) < max(2, len(rows) * 2 // 3):
        return False
    return any(is_number(c.text) for r in rows for c in r.cells)

"""Tab-separated rows (HTML tables copied from a browser, spreadsheets): one row per line,
one cell per tab."""

from __future__ import annotations

from nlp.tables.readers import RawRow, cell


def is_row(text: str, a: int, b: int) -> bool:
    return text.find("\t", a, b) >= 0


def split(text: str, a: int, b: int) -> RawRow:
    cells = []
    pos, col = a, 0
    while True:
        k = text.find("\t", pos, b)
        end = b if k < 0 else k
        cells.append(cell(text, col, pos, end))
        col += 1
        if k < 0:
            return RawRow(a, b, cells)
        pos = k + 1


def read(text: str, lines: list[tuple[int, int]]) -> list[RawRow]:
    return [split(text, a, b) for a, b in lines]

"""Pipe/Markdown rows: ``| a | b |``; separator rows (``|---|:--:|``) are no rows."""

from __future__ import annotations

from nlp.tables.readers import RawRow, cell, strip_span


def is_row(text: str, a: int, b: int) -> bool:
    a, b = strip_span(text, a, b)
    return b - a >= 3 and text[a] == "|" and text.count("|", a, b) >= 2


def _separator(text: str, a: int, b: int) -> bool:
    return all(c in "|-:= \t" for c in text[a:b]) and "-" in text[a:b]


def read(text: str, lines: list[tuple[int, int]]) -> list[RawRow]:
    rows = []
    for a, b in lines:
        a, b = strip_span(text, a, b)
        if _separator(text, a, b):
            continue
        pos = a + 1  # after the leading pipe
        stop = b - 1 if text[b - 1] == "|" else b
        cells = []
        col = 0
        while pos <= stop:
            k = text.find("|", pos, stop)
            end = stop if k < 0 else k
            cells.append(cell(text, col, pos, end))
            col += 1
            if k < 0:
                break
            pos = k + 1
        rows.append(RawRow(a, b, cells))
    return rows

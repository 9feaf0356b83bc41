"""Readers: one per text form. A reader turns a block of text into rows of cells with exact
offsets into the text as sent, and knows nothing of fiscal meaning.

``find_blocks(text)`` walks the lines once and hands each run of lines to the reader of its
form, in this order of precedence: HTML ``<table>`` (``html``), lines with a tab (``tab``),
pipe/Markdown rows (``pipe``), CSV rows (``csv``), space-aligned columns (``space``) and,
last, runs of short lines that hold one cell each (``lines``). Each reader returns
:class:`RawRow` objects whose cells carry offsets into the text it was given; the caller
(``nlp.tables.blocks``) maps them to the normalised text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from nlp.tables.grid import Cell

__all__ = ["Block", "RawRow", "find_blocks", "line_spans", "strip_span"]


@dataclass(slots=True)
class RawRow:
    start: int
    end: int
    cells: list[Cell]


@dataclass(slots=True)
class Block:
    form: str  # tab | space | pipe | csv | html | lines
    start: int
    end: int
    rows: list[RawRow] = field(default_factory=list)


_BLANK = " \t\r\f\v\u3000\xa0"


def line_spans(text: str, a: int = 0, b: int | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each line of ``text[a:b]``, without its newline."""
    b = len(text) if b is None else b
    pos = a
    while pos <= b:
        k = text.find("\n", pos, b)
        if k < 0:
            yield pos, b
            return
        yield pos, k
        pos = k + 1


def strip_span(text: str, a: int, b: int) -> tuple[int, int]:
    """``[a, b)`` without surrounding whitespace (also full-width and no-break spaces)."""
    while a < b and (text[a] in _BLANK or text[a].isspace()):
        a += 1
    while b > a and (text[b - 1] in _BLANK or text[b - 1].isspace()):
        b -= 1
    return a, b


def cell(text: str, col: int, a: int, b: int) -> Cell:
    a, b = strip_span(text, a, b)
    return Cell(col, a, b, text[a:b])


def find_blocks(text: str) -> list[Block]:
    """Every table block of ``text`` with its rows of cells, in order."""
    from nlp.tables.readers import csv as csv_reader
    from nlp.tables.readers import html as html_reader
    from nlp.tables.readers import lines as lines_reader
    from nlp.tables.readers import pipe as pipe_reader
    from nlp.tables.readers import space as space_reader
    from nlp.tables.readers import tab as tab_reader

    lines = list(line_spans(text))
    kinds: list[str] = [""] * len(lines)
    blocks: list[Block] = []
    # HTML tables first: they may span lines of any shape
    for start, end in html_reader.tables(text):
        blk = Block("html", start, end, html_reader.read(text, start, end))
        if blk.rows:
            blocks.append(blk)
            for i, (a, b) in enumerate(lines):
                if a < end and b > start:
                    kinds[i] = "html"
    classifiers = (("tab", tab_reader.is_row), ("pipe", pipe_reader.is_row), ("space", space_reader.is_row),
                   ("csv", csv_reader.is_row))
    rejected: list[set[str]] = [set() for _ in lines]

    def classify(i: int) -> str:
        a, b = lines[i]
        for form, is_row in classifiers:
            if form not in rejected[i] and is_row(text, a, b):
                return form
        return ""

    for i in range(len(lines)):
        if not kinds[i]:
            kinds[i] = classify(i)
    readers = {"tab": tab_reader, "pipe": pipe_reader, "csv": csv_reader, "space": space_reader}
    i = 0
    n = len(lines)
    while i < n:
        form = kinds[i]
        if form not in readers:
            i += 1
            continue
        j = i + 1
        while j < n:
            if kinds[j] == form:
                j += 1
                continue
            if form == "space":  # a page break inside a space-aligned table: blank and page-number lines
                k = space_reader.skip_page_break(text, lines, kinds, j)
                if j < k < n and kinds[k] == "space":
                    j = k
                    continue
                # one line of a single field between two rows ("金额单位：万元", "合计" alone)
                if j + 1 < n and kinds[j] == "" and kinds[j + 1] == "space" and space_reader.is_single(text, *lines[j]):
                    kinds[j] = "space"
                    j += 1
                    continue
            break
        span = [ln for k, ln in enumerate(lines[i:j], i) if kinds[k] == form]
        rows = readers[form].read(text, span)
        if form in ("csv", "space") and not readers[form].accept(text, rows):
            for k in range(i, j):  # not this form: the lines may be another one's
                if kinds[k] == form:
                    rejected[k].add(form)
                    kinds[k] = classify(k)
            if kinds[i] == form:
                i += 1
            continue
        if rows:
            blocks.append(Block(form, span[0][0], span[-1][1], rows))
        i = j
    # one cell per line: runs of short lines nobody else read
    for blk in lines_reader.blocks(text, lines, kinds):
        blocks.append(blk)
    blocks.sort(key=lambda b: b.start)
    return blocks

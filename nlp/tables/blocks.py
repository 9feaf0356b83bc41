"""Tables of a text: blocks found and read by the readers, then one state machine over the
rows of cells (header, column-index row, data rows, captions, target and kv segments)."""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import TYPE_CHECKING, Callable, Iterator, Optional

if TYPE_CHECKING:
    from nlp.normalize import NormalizedText

from nlp.codes import CodeTable, code_level
from nlp.tables.grid import (  # noqa: F401
    Cell,
    Column,
    Table,
    _CONTEXT_LINES,
    _CONTEXT_TAIL,
    _GridBuilder,
    _MAX_CELL,
    _MAX_HEADER_ROWS,
    _PERIOD_CAPTION_RE,
    _UNIT_CAPTION_RE,
    _UNIT_DECL_RE,
    _cells,
    _clean_title,
    _is_code_row,
    _is_index_row,
    _is_text_only,
    _label_basis,
    _lines,
    _nonempty,
    _title_basis,
    clean_subject,
)
from nlp.tables.readers import find_blocks
from nlp.tables.targets import (  # noqa: F401
    _add_target_row,
    _target_header_roles,
)
from nlp.tables.kv import (  # noqa: F401
    _inline_kv_tables,
    _kv_pairs,
    _score_tables,
    _unit_caption,
)


# --- the parser ---------------------------------------------------------------------------


# Lines above a table that only number it or name who made it (GUIDELINES §12: no entities).
_NOTE_LINE_RE = re.compile(r"#{0,4}\s{0,3}(?:公开\s{0,2}\d{1,2}\s{0,2}表|表\s{0,2}\d{1,2}|(?:编制|填报|预算)单位\s{0,2}[:：].{1,60})")


def _note_spans(text: str, lines: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for a, b in lines:
        line = text[a:b]
        stripped = line.strip()
        if b - a <= 80 and _NOTE_LINE_RE.fullmatch(stripped):
            k = line.find(stripped)
            out.append((a + k, a + k + len(stripped)))
    return out


class _Context:
    """What the lines above a block say: title, money unit (+ span), caption year."""

    def __init__(self, text: str, lines: list[tuple[int, int]]):
        self.title: Optional[str] = None
        self.title_span: Optional[tuple[int, int]] = None
        self.note_spans: list[tuple[int, int]] = _note_spans(text, lines)
        self.unit: Optional[str] = None
        self.unit_span: Optional[tuple[int, int]] = None
        self.period: Optional[str] = None
        for a, b in reversed(lines):  # nearest line first
            a = max(a, b - _CONTEXT_TAIL)
            line = text[a:b]
            if self.unit is None:
                ms = list(_UNIT_DECL_RE.finditer(line))
                if ms:
                    m = ms[-1]
                    self.unit = m.group(1)
                    self.unit_span = (a + m.start(1), a + m.end(1))
            if self.period is None:
                pm = _PERIOD_CAPTION_RE.search(line)
                if pm:
                    self.period = pm.group(1)
            if self.title is None:
                stripped = line.strip()
                if stripped.startswith("#") or "表" in stripped:
                    self.title = _clean_title(line)
                    if self.title is not None:
                        k = line.find(self.title)
                        self.title_span = (a + k, a + k + len(self.title)) if k >= 0 else None


def parse_tables(
    text: str,
    period: Optional[str] = None,
    basis: Optional[str] = None,
    codes: Optional[CodeTable] = None,
    norm: Optional["NormalizedText"] = None,
) -> list[Table]:
    """All tables of a normalised text, in order. ``period``/``basis`` are the document's
    (used where a table does not say), ``codes`` the classification table. ``norm`` is the
    normalisation behind ``text``: the readers then read the text as sent (the normaliser
    joins the lines of space-aligned and one-cell-per-line tables and drops HTML tags) and
    their offsets are mapped to ``text``; without it ``text`` is read as it is."""
    codes = codes or CodeTable.load()
    raw = norm.original if norm is not None else text
    to_norm = _offset_map(text, norm)
    surface = (lambda a, b: norm.surface(a, b)) if norm is not None else None
    tables: list[Table] = []
    prev_end = 0
    for blk in find_blocks(raw):
        rows: list[tuple[int, int, list[Cell]]] = []
        for r in blk.rows:
            cells = []
            for c in r.cells:
                s, e = to_norm(c.start, c.end)
                cells.append(Cell(c.col, s, e, text[s:e]))
            ra, _ = to_norm(r.start, r.start)
            _, rb = to_norm(r.end, r.end)
            rows.append((ra, max(ra, rb), cells))
        if not rows:
            continue
        start = rows[0][0]
        context = _context_lines(text, prev_end, start)
        found = _parse_block(text, rows, context, period, basis, codes, surface)
        if found:  # the table's number and maker lines may stand above its title and unit
            notes = _note_spans(text, _context_lines(text, prev_end, start, _CONTEXT_LINES + 2))
            found[0].note_spans = sorted(set(found[0].note_spans) | set(notes))
        tables.extend(found)
        prev_end = max(prev_end, rows[-1][1])
    # a block's text belongs to its table: a grid whose line breaks the normaliser joined (a
    # page number between two pages' rows) must not be read again as one inline label(unit)value line
    read = [(t.start, t.end) for t in tables]
    tables.extend(t for t in _inline_kv_tables(text, period, basis)
                  if not any(a <= t.start < b for a, b in read))
    tables.extend(_score_tables(text, period))
    tables.sort(key=lambda t: t.start)
    return tables


def _offset_map(text: str, norm: Optional["NormalizedText"]):
    """Original offsets → offsets into ``text`` (stripped of whitespace)."""
    if norm is None or norm.original is text or norm.original == text:
        return lambda a, b: (a, b)

    def to_norm(a: int, b: int) -> tuple[int, int]:
        if a >= b:
            k = bisect_left(norm.starts, a)
            return k, k
        s, e = norm.from_original(a, b)
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        return s, e

    return to_norm


def _context_lines(text: str, lo: int, hi: int, n: int = _CONTEXT_LINES) -> list[tuple[int, int]]:
    """The last ``n`` non-blank lines of ``text[lo:hi]`` (the title and unit above a block)."""
    out: list[tuple[int, int]] = []
    b = hi
    while b > lo and len(out) < n:
        a = text.rfind("\n", lo, b)
        a = lo if a < 0 else a + 1
        if text[a:b].strip():
            out.append((a, b))
        if a <= lo:
            break
        b = a - 1
    out.reverse()
    return out


def _parse_block(
    text: str,
    block: list[tuple[int, int, list[Cell]]],
    context_lines: list[tuple[int, int]],
    doc_period: Optional[str],
    doc_basis: Optional[str],
    codes: CodeTable,
    surface: Optional[Callable[[int, int], str]] = None,
) -> list[Table]:
    ctx = _Context(text, context_lines)
    title = ctx.title
    caption_period = ctx.period
    out: list[Table] = []
    pending: list[tuple[list[Cell], int, int]] = []  # text-only rows: candidate header
    seg: Optional[Table] = None
    grid: Optional[_GridBuilder] = None
    roles: Optional[dict[int, str]] = None
    cats: list[str] = []
    kv_caption: Optional[Cell] = None
    unit_used = False
    header_texts: Optional[list[list[tuple[int, str]]]] = None  # the open grid's, once it has rows

    def new_table(kind: str, start: int) -> Table:
        nonlocal unit_used, header_texts
        header_texts = None
        t = Table(kind, start, start, title=title)
        t.title_span = ctx.title_span if title == ctx.title else None
        t.note_spans = list(ctx.note_spans)
        t.period = caption_period or doc_period
        t.basis = _title_basis(title) or doc_basis
        if kind == "grid" and ctx.unit:
            t.unit = ctx.unit
            # the unit line is declared once for the first table under it
            t.unit_span = None if unit_used else ctx.unit_span
            unit_used = True
        return t

    def close() -> None:
        nonlocal seg, grid, roles, kv_caption
        if seg is not None:
            out.append(seg)
        seg, grid, roles, kv_caption = None, None, None, None

    for a, b, cells in block:
        filled = _nonempty(cells)
        if not filled:
            continue
        if seg is not None:
            seg.end = b
        troles = _target_header_roles(cells)
        if troles is not None:
            close()
            seg = new_table("target", a)
            seg.end = b
            seg.header_rows = [cells]
            seg.columns = [Column(c.col, (clean_subject(c.text),) if c.text else (), troles.get(c.col, "label"),
                                  printed=_printed_label(surface, c)) for c in cells]
            for c in cells:  # "预算金额(万元)": the unit of the projects' amounts
                um = _UNIT_CAPTION_RE.search(c.text) if troles.get(c.col) == "budget" else None
                if um is not None and seg.unit is None:
                    seg.unit, seg.unit_span = um.group(1), (c.start + um.start(1), c.start + um.end(1))
            roles, cats, pending = troles, [], []
            continue
        cap = _unit_caption(cells)
        if cap is not None:
            close()
            seg = new_table("kv", a)
            seg.end = b
            cell, m = cap
            seg.unit = m.group(1)
            seg.unit_span = (cell.start + m.start(1), cell.start + m.end(1))
            lb = _label_basis(cell.text)
            if lb:
                seg.basis = lb
            kv_caption = cell
            pending = []
            _kv_pairs(seg, cells, a, b, kv_caption)
            continue
        if seg is not None and seg.kind == "kv":
            if _kv_pairs(seg, cells, a, b, kv_caption):
                continue
            seg.end = a
            close()
        if seg is not None and seg.kind == "target":
            assert roles is not None
            _add_target_row(seg, roles, cells, a, b, cats)
            continue
        if grid is not None and seg is not None:
            if seg.rows and header_texts is None:  # header and index row are fixed once rows come
                header_texts = _header_texts(seg)
            if seg.rows and _repeats_header(cells, header_texts):
                seg.repeated_rows.append(cells)  # a continued table's header, printed again on its next page
                continue
            if _is_index_row(cells) and not seg.rows and seg.index_row is None:
                seg.index_row = cells
                continue
            unit_row = _unit_row(filled)
            if unit_row is not None:  # "金额单位:万元" in a row of its own: the table's scale
                seg.unit, seg.unit_span = unit_row
                continue
            if _is_text_only(cells) and seg.rows and not _is_code_row(cells, seg):
                seg.end = a
                close()
            else:
                grid.add_row(cells, a, b)
                continue
        # no open segment
        unit_cells = [(c, m) for c in filled if len(c.text) <= _MAX_CELL for m in [_UNIT_DECL_RE.search(c.text)] if m]
        group_row = len(filled) == 1 and filled[0].col > 0 and not unit_cells and len(cells) > 2
        if _is_text_only(cells) and not group_row and (len(filled) == 1 or (unit_cells and len(filled) <= 3)):
            # a caption row inside the block: title, "(2026年度)", "单位:万元"
            for c in filled:
                pm = _PERIOD_CAPTION_RE.search(c.text) if len(c.text) <= _MAX_CELL else None
                if pm:
                    caption_period = pm.group(1)
                t = _PERIOD_CAPTION_RE.sub("", c.text).strip()
                if t.endswith("表") and len(t) <= 40:
                    title = clean_subject(t)
            if unit_cells:
                c, m = unit_cells[-1]
                ctx.unit, ctx.unit_span = m.group(1), (c.start + m.start(1), c.start + m.end(1))
                unit_used = False
            pending = []
            continue
        if _is_index_row(cells) and pending:
            header = [p[0] for p in pending[-_MAX_HEADER_ROWS:]]
            seg = new_table("grid", pending[-len(header)][1])
            seg.end = b
            seg.index_row = cells
            grid = _GridBuilder(seg, codes, doc_period, surface)
            grid.set_header(header, max(len(r) for r in (*header, cells)))
            pending = []
            continue
        if _is_text_only(cells):
            pending.append((cells, a, b))
            if len(pending) > _MAX_HEADER_ROWS:
                pending.pop(0)
            continue
        if pending and len(_nonempty(pending[-1][0])) >= 2:
            # header rows directly followed by data, without an index row
            header = [p[0] for p in pending[-_MAX_HEADER_ROWS:]]
            seg = new_table("grid", pending[-len(header)][1])
            seg.end = b
            grid = _GridBuilder(seg, codes, doc_period, surface)
            grid.set_header(header, max(len(r) for r in (*header, cells)))
            grid.add_row(cells, a, b)
            pending = []
            continue
        pending = []
    close()
    return out


def _cell_texts(cells: list[Cell]) -> list[tuple[int, str]]:
    return [(c.col, "".join(c.text.split())) for c in cells if c.text.strip()]


def _header_texts(table: Table) -> list[list[tuple[int, str]]]:
    return [_cell_texts(r) for r in (*table.header_rows, *([table.index_row] if table.index_row else []))]


def _repeats_header(cells: list[Cell], header_texts: list[list[tuple[int, str]]]) -> bool:
    """A row that repeats one of the open table's header rows or its column-index row, cell for
    cell in the same columns (a table continued over a page break prints them again)."""
    got = _cell_texts(cells)
    return bool(got) and got in header_texts


def _unit_row(filled: list[Cell]) -> Optional[tuple[str, tuple[int, int]]]:
    """A row whose only cell declares the unit (``金额单位:万元``, ``单位:元``)."""
    if len(filled) != 1 or len(filled[0].text) > 30:
        return None
    c = filled[0]
    m = _UNIT_DECL_RE.search(c.text)
    if m is None:
        return None
    return m.group(1), (c.start + m.start(1), c.start + m.end(1))


_LABEL_UNIT_RE = re.compile(r"\s{0,3}[(（]\s{0,3}(?:亿元|千元|万元|元)\s{0,3}[)）]")


def _printed_label(surface: Optional[Callable[[int, int], str]], c: Cell) -> Optional[str]:
    """A header cell as the client printed it, without its unit and blanks."""
    if not c.text:
        return None
    t = surface(c.start, c.end) if surface is not None else c.text
    return clean_subject(_LABEL_UNIT_RE.sub("", t)) or None

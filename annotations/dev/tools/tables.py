"""Render one table spec into the text forms a user pastes: tab, pipe, space-aligned, CSV, HTML.

A spec is the author's reading of the table: title, unit, column names, rows of (code, name,
values). Each form is written cell by cell, so every cell's span is known by construction:
the code cell is a SUBJECT_CODE (its value the full code), the name cell a SUBJECT (without
its list marker or indent), each number an AMOUNT whose fact names the row's subject and
code and the column. Layouts (``TableSpec.layout``) change how the same reading is printed:

* ``kxy3``: the code split over three columns 类 | 款 | 项 (the span is the cell that
  completes the code, its value the full code);
* ``codename``: code and name in one cell (``2040501 行政运行``);
* ``abbrev``: 款 and 项 codes printed by their last two digits under their parent;
* ``indent``: names indented by level with full-width spaces;
* ``colindex``: a 栏次 row numbering the columns under the header;
* ``pagebreak``: the table continues over a page: a page number and the repeated header;
* ``unit_title`` / ``unit_header`` / ``unit_row``: the unit in the title line, in each
  amount column's header (``合计（万元）``) or in a row of its own inside the table;
* form ``lines``: one cell per line, as text-only crawlers flatten ``<td>``s (empty cells are
  empty lines);
* ``group``: a two-row header whose first row merges the amount columns (``本年支出``).

Panel tables (收入 | 支出 side by side) are :class:`PanelSpec`; tables whose column headers
are the items (三公经费) are :class:`ItemsSpec`.
"""

from __future__ import annotations

import html
import unicodedata
import re
from dataclasses import dataclass, field
from decimal import Decimal

from markup import fmt

SCALES = {"万元": 10 ** 4, "元": 1, "千元": 1000, "亿元": 10 ** 8}
_MARKER = re.compile(r"^(?:[　 ]*)(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.、．]|)")


@dataclass
class TableSpec:
    title: str
    unit: str
    columns: list[str]
    rows: list[tuple[str, str, list[str]]]  # (code or "", name as printed, numbers as printed)
    period: str
    basis: str | None
    code_header: str = "科目编码"
    name_header: str = "科目名称"
    thousands: bool = False
    layout: list[str] = field(default_factory=list)
    group: str = ""  # a merged header over the amount columns
    preamble: list[str] = field(default_factory=list)  # lines before the title (公开03表, 编制单位)


@dataclass
class PanelSpec:
    """Two panels side by side: (item, value) on the left, (item, value) on the right."""
    title: str
    unit: str
    headers: tuple[str, str]  # the two panels' names (收入, 支出)
    value_header: str  # the amount column's header in each panel (决算数, 预算数, 金额)
    rows: list[tuple[str, str, str, str]]  # (left item, left value, right item, right value)
    period: str
    basis: str | None
    thousands: bool = False
    line_numbers: bool = False  # a 行次 column in each panel
    layout: list[str] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)


@dataclass
class ItemsSpec:
    """Column headers are the items; each row is a basis or a year (三公经费表)."""
    title: str
    unit: str
    items: list[tuple[str, str]]  # (header as printed, subject)
    rows: list[tuple[str, str | None, str, list[str]]]  # (row label, basis, period, values)
    thousands: bool = False
    layout: list[str] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)


class _Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.spans: list[dict] = []
        self.facts: list[dict] = []

    def raw(self, s: str) -> None:
        self.parts.append(s)
        self.pos += len(s)

    def span(self, s: str, label: str, **kw) -> tuple[int, int]:
        start = self.pos
        self.raw(s)
        if s:
            self.spans.append({"start": start, "end": self.pos, "label": label, "text": s, "value": kw.get("value"),
                               "unit": kw.get("unit"), "direction": None, "flags": []})
        return start, self.pos

    def fact(self, start: int, end: int, subject: str, value: str, *, code=None, period=None, basis=None,
             column=None) -> None:
        self.facts.append({"subject": unicodedata.normalize("NFKC", subject), "code": code or None, "measure": "amount", "value": value,
                           "unit": "CNY", "direction": None, "comparator": None, "period": period,
                           "base_period": None, "basis": basis, "column": column, "reason": None,
                           "evidence": {"start": start, "end": end}, "flags": []})


def _show(thousands: bool, v: str) -> str:
    if thousands and v not in ("", "-"):
        whole, _, frac = v.partition(".")
        neg = whole.startswith("-")
        whole = f"{int(whole.lstrip('-')):,}"
        return ("-" if neg else "") + whole + ("." + frac if frac else "")
    return v


def _yuan(unit: str, v: str) -> str:
    return fmt(Decimal(v) * SCALES[unit])


def _width(s: str) -> int:
    return sum(2 if ord(c) > 0x2E80 else 1 for c in s)


def _level(code: str) -> int:
    return {3: 0, 5: 1, 7: 2}.get(len(code), 0)


# --- cells: each is a list of pieces (text, label or None, attrs) ------------------------------------

def _name_pieces(spec: TableSpec, code: str, name: str) -> list:
    m = _MARKER.match(name)
    marker, subject = name[:m.end()], name[m.end():]
    indent = "　" * (2 * _level(code)) if "indent" in spec.layout and code else ""
    pieces = [(indent + marker, None, {})] if indent + marker else []
    pieces.append((subject, "SUBJECT", {}))
    return pieces


def _code_cells(spec: TableSpec, code: str) -> list[list]:
    if "kxy3" in spec.layout:
        parts = [code[:3], code[3:5], code[5:7]]
        last = max((i for i, p in enumerate(parts) if p), default=0)
        return [[(p, "SUBJECT_CODE", {"value": code})] if i == last and p else [(p, None, {})]
                for i, p in enumerate(parts)]
    shown = code
    if "abbrev" in spec.layout and len(code) > 3:
        shown = code[-2:]
    return [[(shown, "SUBJECT_CODE", {"value": code})]] if code else [[("", None, {})]]


def _header(spec: TableSpec) -> list[list]:
    """Header cells as pieces (a unit in a header is a UNIT span)."""
    if "kxy3" in spec.layout:
        cells = [[("类", None, {})], [("款", None, {})], [("项", None, {})]]
    elif "codename" in spec.layout:
        cells = []
    else:
        cells = [[(spec.code_header, None, {})]]
    cells.append([(spec.name_header, None, {})])
    for c in spec.columns:
        if "unit_header" in spec.layout:
            cells.append([(c + "（", None, {}), (spec.unit, "UNIT", {"unit": spec.unit}), ("）", None, {})])
        else:
            cells.append([(c, None, {})])
    return cells


def _body(spec: TableSpec) -> list[tuple[list[list], list]]:
    """Body rows: (cells as pieces, facts to attach: (cell index, subject, code, column, value))."""
    out = []
    for code, name, values in spec.rows:
        subject = name[_MARKER.match(name).end():]
        if "codename" in spec.layout:
            first = ([(code, "SUBJECT_CODE", {"value": code}), (" ", None, {})] if code else []) \
                + _name_pieces(spec, code, name)
            cells = [first]
        else:
            cells = _code_cells(spec, code) + [_name_pieces(spec, code, name)]
        offset = len(cells)
        facts = []
        for j, v in enumerate(values):
            if v:
                cells.append([(_show(spec.thousands, v), "AMOUNT",
                               {"value": _yuan(spec.unit, v), "unit": "CNY"})])
                facts.append((offset + j, subject, code, spec.columns[j], _yuan(spec.unit, v)))
            else:
                cells.append([("", None, {})])
        out.append((cells, facts))
    return out


def _text(cell: list) -> str:
    return "".join(p[0] for p in cell)


def _emit_cell(w: _Writer, cell: list, facts_here: list, period, basis) -> None:
    for text, label, attrs in cell:
        if label is None:
            w.raw(text)
            continue
        s, e = w.span(text, label, **attrs)
        if label == "AMOUNT":
            for _, subject, code, column, value in facts_here:
                w.fact(s, e, subject, value, code=code, period=period, basis=basis, column=column)


def _grid(w: _Writer, form: str, rows: list[tuple[list[list], list]], period, basis, *, header_rows=0,
          widths=None, merged: dict[int, tuple[int, int]] | None = None) -> None:
    """Write rows of cells in one form. ``merged``: row index → (first col, colspan) for HTML."""
    for r, (cells, facts) in enumerate(rows):
        tag = "th" if r < header_rows else "td"
        if form == "html":
            w.raw("<tr>")
        elif form == "pipe":
            w.raw("| ")
        for i, cell in enumerate(cells):
            text = _text(cell)
            if form == "html":
                span = (merged or {}).get(r)
                attrs = f' colspan="{span[1]}"' if span and span[0] == i else ""
                w.raw(f"<{tag}{attrs}>")
                _emit_cell(w, [(html.escape(t) if lab is None else t, lab, a) for t, lab, a in cell],
                           [f for f in facts if f[0] == i], period, basis)
                w.raw(f"</{tag}>")
                continue
            if i:
                w.raw({"tab": "\t", "pipe": " | ", "csv": ",", "space": "   ", "lines": "\n"}[form])
            quote = form == "csv" and ("," in text or '"' in text)
            numeric = any(p[1] == "AMOUNT" for p in cell)
            pad = " " * (widths[i] - _width(text)) if widths and i < len(widths) else ""
            if form == "space" and numeric:
                w.raw(pad)
            if quote:
                w.raw('"')
            _emit_cell(w, cell, [f for f in facts if f[0] == i], period, basis)
            if quote:
                w.raw('"')
            if form == "space" and not numeric and i < len(cells) - 1:
                w.raw(pad)
        w.raw({"html": "</tr>\n", "pipe": " |\n"}.get(form, "\n"))
        if form == "pipe" and header_rows and r == 0:  # Markdown: the separator follows the first row
            w.raw("|" + "---|" * len(cells) + "\n")


_YEAR = re.compile(r"(\d{4})年度?")


def _with_periods(w: _Writer, text: str) -> None:
    """Text with each year expression in it as a PERIOD span (a title, a row label)."""
    last = 0
    for m in _YEAR.finditer(text):
        w.raw(text[last:m.start()])
        w.span(m.group(), "PERIOD", value=m.group(1))
        last = m.end()
    w.raw(text[last:])


def _title(w: _Writer, title: str, unit: str, layout: list[str], form: str, preamble: list[str]) -> None:
    for line in preamble:
        w.raw((f"<p>{html.escape(line)}</p>" if form == "html" else line) + "\n")
    w.raw("<p>" if form == "html" else "")
    _with_periods(w, title)
    if "unit_title" in layout:
        w.raw("（单位：")
        w.span(unit, "UNIT", unit=unit)
        w.raw("）</p>\n" if form == "html" else "）\n")
        return
    w.raw("</p>\n" if form == "html" else "\n")
    if "unit_header" in layout or "unit_row" in layout:
        return
    lead = "                                        " if form == "space" else ""
    w.raw("<p>" if form == "html" else lead)
    w.raw("单位：")
    w.span(unit, "UNIT", unit=unit)
    w.raw("</p>\n" if form == "html" else "\n")


def _unit_row(unit: str, ncols: int) -> tuple[list[list], list]:
    cells = [[("金额单位：", None, {}), (unit, "UNIT", {"unit": unit})]] + [[("", None, {})] for _ in range(ncols - 1)]
    return cells, []


def _widths(rows: list[tuple[list[list], list]]) -> list[int]:
    n = max(len(c) for c, _ in rows)
    return [max((_width(_text(c[i])) for c, _ in rows if i < len(c)), default=0) for i in range(n)]


def render(spec, form: str) -> tuple[str, list[dict], list[dict]]:
    if isinstance(spec, PanelSpec):
        return _render_panels(spec, form)
    if isinstance(spec, ItemsSpec):
        return _render_items(spec, form)
    w = _Writer()
    _title(w, spec.title, spec.unit, spec.layout, form, spec.preamble)
    header = _header(spec)
    ncols = len(header)
    namecol = ncols - len(spec.columns) - 1
    head_rows: list[tuple[list[list], list]] = []
    merged = {}
    if spec.group:
        first = [[("", None, {})] for _ in range(namecol + 1)] + [[(spec.group, None, {})]]
        first += [[("", None, {})] for _ in range(len(spec.columns) - 1)] if form != "html" else []
        merged[0] = (namecol + 1, len(spec.columns))
        head_rows.append((first, []))
    head_rows.append((header, []))
    if "colindex" in spec.layout:
        idx = [[("栏次", None, {})]] + [[("", None, {})] for _ in range(namecol)]
        idx += [[(str(i + 1), None, {})] for i in range(len(spec.columns))]
        head_rows.append((idx, []))
    body = _body(spec)
    if "unit_row" in spec.layout:
        body.insert(0, _unit_row(spec.unit, ncols))
        if form == "html":
            merged[len(head_rows)] = (0, ncols)
            body[0] = (body[0][0][:1], [])
    widths = _widths(head_rows + body) if form == "space" else None
    if form == "html":
        w.raw('<table border="1">\n')
    if "pagebreak" in spec.layout and form not in ("html", "pipe", "csv"):
        cut = max(2, len(body) * 2 // 3)
        _grid(w, form, head_rows + body[:cut], spec.period, spec.basis, header_rows=len(head_rows), widths=widths)
        w.raw("\n                                   — 2 —\n\n")
        _grid(w, form, head_rows + body[cut:], spec.period, spec.basis, header_rows=len(head_rows), widths=widths)
    else:
        _grid(w, form, head_rows + body, spec.period, spec.basis, header_rows=len(head_rows), widths=widths,
              merged=merged)
    if form == "html":
        w.raw("</table>\n")
    w.raw("\n")
    return "".join(w.parts), w.spans, w.facts


def _render_panels(spec: PanelSpec, form: str) -> tuple[str, list[dict], list[dict]]:
    w = _Writer()
    _title(w, spec.title, spec.unit, spec.layout, form, spec.preamble)
    left, right = spec.headers
    per = ["项目"] + (["行次"] if spec.line_numbers else []) + [spec.value_header]
    top = [[(left, None, {})]] + [[("", None, {})] for _ in per[1:]] + [[(right, None, {})]] \
        + [[("", None, {})] for _ in per[1:]]
    head = [[(h, None, {})] for h in per + per]
    rows = [(top if form != "html" else [top[0], top[len(per)]], []), (head, [])]
    merged = {0: (0, len(per))} if form == "html" else {}
    for n, (li, lv, ri, rv) in enumerate(spec.rows):
        cells, facts = [], []
        for item, v, line in ((li, lv, n + 1), (ri, rv, len(spec.rows) + n + 1)):
            m = _MARKER.match(item)
            cells.append([(item[:m.end()], None, {}), (item[m.end():], "SUBJECT", {})] if item else [("", None, {})])
            if spec.line_numbers:
                cells.append([(str(line) if item else "", None, {})])
            if item and v:
                cells.append([(_show(spec.thousands, v), "AMOUNT", {"value": _yuan(spec.unit, v), "unit": "CNY"})])
                facts.append((len(cells) - 1, item[m.end():], None, spec.value_header, _yuan(spec.unit, v)))
            else:
                cells.append([("", None, {})])
        rows.append((cells, facts))
    if form == "html":
        # the merged panel names: one cell each, spanning its panel
        w.raw('<table border="1">\n<tr>'
              f'<th colspan="{len(per)}">{html.escape(left)}</th><th colspan="{len(per)}">{html.escape(right)}</th>'
              "</tr>\n")
        _grid(w, form, rows[1:], spec.period, spec.basis, header_rows=1)
        w.raw("</table>\n")
    else:
        widths = _widths(rows) if form == "space" else None
        _grid(w, form, rows, spec.period, spec.basis, header_rows=2, widths=widths)
    w.raw("\n")
    return "".join(w.parts), w.spans, w.facts


def _render_items(spec: ItemsSpec, form: str) -> tuple[str, list[dict], list[dict]]:
    w = _Writer()
    _title(w, spec.title, spec.unit, spec.layout, form, spec.preamble)
    head = [[("项目", None, {})]] + [[(h, None, {})] for h, _ in spec.items]
    rows = [(head, [])]
    periods, bases = [], []
    for label, basis, period, values in spec.rows:
        m = _YEAR.search(label)
        cells = [[(label[:m.start()], None, {}), (m.group(), "PERIOD", {"value": m.group(1)}),
                  (label[m.end():], None, {})]] if m else [[(label, None, {})]]
        facts = []
        for j, v in enumerate(values):
            if v:
                cells.append([(_show(spec.thousands, v), "AMOUNT", {"value": _yuan(spec.unit, v), "unit": "CNY"})])
                facts.append((j + 1, spec.items[j][1], None, spec.items[j][0], _yuan(spec.unit, v)))
            else:
                cells.append([("", None, {})])
        rows.append((cells, facts))
        periods.append(period)
        bases.append(basis)
    widths = _widths(rows) if form == "space" else None
    if form == "html":
        w.raw('<table border="1">\n')
    # each row has its own basis and period: write the rows one at a time
    _grid(w, form, rows[:1], None, None, header_rows=1, widths=widths)
    for r, row in enumerate(rows[1:]):
        _grid(w, form, [row], periods[r], bases[r], widths=widths)
    if form == "html":
        w.raw("</table>\n")
    w.raw("\n")
    return "".join(w.parts), w.spans, w.facts

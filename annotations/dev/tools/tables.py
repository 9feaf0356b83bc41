"""Render one table spec into the text forms a user pastes: tab, pipe, space-aligned, CSV, HTML.

A spec is the author's reading of the table: title, unit, column names, rows of (code, name,
values). Each form is written cell by cell, so every cell's span is known by construction:
the code cell is a SUBJECT_CODE (its value the full code), the name cell a SUBJECT, each
number an AMOUNT whose fact names the row's subject and code and the column.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from decimal import Decimal

from markup import fmt

SCALES = {"万元": 10 ** 4, "元": 1, "千元": 1000, "亿元": 10 ** 8}


@dataclass
class TableSpec:
    title: str
    unit: str
    columns: list[str]
    rows: list[tuple[str, str, list[str]]]  # (code or "", name, numbers as printed)
    period: str
    basis: str
    code_header: str = "科目编码"
    name_header: str = "科目名称"
    thousands: bool = False
    layout: list[str] = field(default_factory=list)


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


def _show(spec: TableSpec, v: str) -> str:
    if spec.thousands and v not in ("", "-"):
        whole, _, frac = v.partition(".")
        neg = whole.startswith("-")
        whole = f"{int(whole.lstrip('-')):,}"
        return ("-" if neg else "") + whole + ("." + frac if frac else "")
    return v


def _cell_value(spec: TableSpec, v: str) -> str:
    return fmt(Decimal(v) * SCALES[spec.unit])


def _row_cells(w: _Writer, spec: TableSpec, code: str, name: str, values: list[str], sep: str,
               wrap=lambda s: s, widths=None) -> None:
    cells = [("code", code), ("name", name)] + [("num", v) for v in values]
    for i, (kind, v) in enumerate(cells):
        if i:
            w.raw(sep)
        shown = _show(spec, v) if kind == "num" else v
        left, right = wrap(shown)
        if widths:
            pad = widths[i] - _width(shown)
            left = left + (" " * pad if kind == "num" else "")
            right = (" " * pad if kind != "num" else "") + right
        w.raw(left)
        if kind == "code":
            w.span(shown, "SUBJECT_CODE", value=code)
        elif kind == "name":
            w.span(shown, "SUBJECT")
        elif v:
            s, e = w.span(shown, "AMOUNT", value=_cell_value(spec, v), unit="CNY")
            w.facts.append({"subject": name, "code": code or None, "measure": "amount", "value": _cell_value(spec, v),
                            "unit": "CNY", "direction": None, "comparator": None, "period": spec.period,
                            "base_period": None, "basis": spec.basis, "column": spec.columns[i - 2], "reason": None,
                            "evidence": {"start": s, "end": e}, "flags": []})
        w.raw(right)


def _width(s: str) -> int:
    return sum(2 if ord(c) > 0x2E80 else 1 for c in s)


def _head(w: _Writer, spec: TableSpec, unit_line: str) -> None:
    w.raw(spec.title + "\n")
    w.raw(unit_line.split(spec.unit)[0])
    w.span(spec.unit, "UNIT", unit=spec.unit)
    w.raw(unit_line.split(spec.unit, 1)[1] + "\n")


def render(spec: TableSpec, form: str) -> tuple[str, list[dict], list[dict]]:
    w = _Writer()
    header = [spec.code_header, spec.name_header] + spec.columns
    if form == "tab":
        _head(w, spec, f"单位：{spec.unit}")
        w.raw("\t".join(header) + "\n")
        for code, name, values in spec.rows:
            _row_cells(w, spec, code, name, values, "\t")
            w.raw("\n")
    elif form == "pipe":
        _head(w, spec, f"单位：{spec.unit}")
        w.raw("| " + " | ".join(header) + " |\n")
        w.raw("|" + "---|" * len(header) + "\n")
        for code, name, values in spec.rows:
            w.raw("| ")
            _row_cells(w, spec, code, name, values, " | ")
            w.raw(" |\n")
    elif form == "csv":
        _head(w, spec, f"单位：{spec.unit}")
        w.raw(",".join(header) + "\n")
        for code, name, values in spec.rows:
            _row_cells(w, spec, code, name, values, ",",
                       wrap=lambda s: ('"', '"') if "," in s else ("", ""))
            w.raw("\n")
    elif form == "space":
        _head(w, spec, f"                                        单位：{spec.unit}")
        table = [header] + [[c, n] + [_show(spec, v) for v in vals] for c, n, vals in spec.rows]
        widths = [max(_width(r[i]) for r in table) for i in range(len(header))]
        w.raw("   ".join(h + " " * (widths[i] - _width(h)) for i, h in enumerate(header)).rstrip() + "\n")
        for code, name, values in spec.rows:
            _row_cells(w, spec, code, name, values, "   ", wrap=lambda s: ("", ""), widths=widths)
            w.raw("\n")
    elif form == "html":
        _head(w, spec, f"<p>单位：{spec.unit}</p>")
        w.raw("<table border=\"1\">\n<tr><th colspan=\"2\">支出功能分类科目</th>"
              + "".join(f"<th rowspan=\"2\">{html.escape(c)}</th>" for c in spec.columns) + "</tr>\n")
        w.raw(f"<tr><th>{spec.code_header}</th><th>{spec.name_header}</th></tr>\n")
        for code, name, values in spec.rows:
            w.raw("<tr><td>")
            _row_cells(w, spec, code, name, values, "</td><td>")
            w.raw("</td></tr>\n")
        w.raw("</table>\n")
    else:
        raise ValueError(form)
    w.raw("\n")
    return "".join(w.parts), w.spans, w.facts

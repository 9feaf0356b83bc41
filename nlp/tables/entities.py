"""Entities that table structure makes certain (docs/tables.md, *Layout entities*)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Iterator, Optional

from nlp.tables.grid import (  # noqa: F401
    LayoutEntity,
    Table,
    decimal_string,
    money_value,
)
from nlp.tables.targets import (  # noqa: F401
    target_measure,
)
from nlp.tables.kv import (  # noqa: F401
    score_of,
)


# --- entities -----------------------------------------------------------------------------


def layout_entities(tables: list[Table]) -> list[LayoutEntity]:
    """Entities that table structure makes certain (see docs/tables.md): UNIT for declared
    units, AMOUNT for bare numbers in money cells, SUBJECT_CODE for the code column,
    SUBJECT for row names and indicators, and target numbers whose unit sits in its own cell."""
    out: list[LayoutEntity] = []
    for t in tables:
        if t.unit_span is not None and t.unit:
            out.append(LayoutEntity(t.unit_span[0], t.unit_span[1], "UNIT", None, t.unit))
        for a, b in t.unit_spans:  # a unit in each amount column's header
            out.append(LayoutEntity(a, b, "UNIT", None, t.unit))
        if t.kind == "score":  # every number is a score (QUANTITY 分); scored indicators are SUBJECTs
            for r in t.rows:
                if r.subject_cell is not None and score_of(r) is not None:
                    out.append(LayoutEntity(r.subject_cell.start, r.subject_cell.end, "SUBJECT"))
                for v in r.values:
                    out.append(LayoutEntity(v.start, v.end, "QUANTITY", decimal_string(Decimal(v.text)), "分"))
            continue
        if t.kind == "target":
            for r in t.rows:
                if r.subject_cell is not None:
                    out.append(LayoutEntity(r.subject_cell.start, r.subject_cell.end, "SUBJECT"))
                if r.kind == "kv":  # a project's 预算金额
                    for v in r.values:
                        value = money_value(v.text, t.unit or "")
                        if value is not None:
                            out.append(LayoutEntity(v.start, v.end, "AMOUNT", value, "CNY"))
                    continue
                if r.unit_embedded or r.unit_cell is None or r.number is None:
                    continue  # a unit written with the number is the rules' entity
                meas = target_measure(r.number, r.unit)
                if meas is None:
                    continue
                label, value, unit = meas
                v = r.values[0]
                out.append(LayoutEntity(v.start, v.end, label, value, unit))
                out.append(LayoutEntity(r.unit_cell.start, r.unit_cell.end, "UNIT", None, r.unit))
            continue
        for r in t.rows:
            if r.code_cell is not None and r.code:
                out.append(LayoutEntity(r.code_cell.start, r.code_cell.end, "SUBJECT_CODE", r.code))
            if r.subject_cell is not None and r.subject_cell.end > r.subject_cell.start:
                out.append(LayoutEntity(r.subject_cell.start, r.subject_cell.end, "SUBJECT"))
            if not t.is_money:
                continue
            for v in r.values:
                value = money_value(v.text, t.unit or "")
                if value is not None:
                    out.append(LayoutEntity(v.start, v.end, "AMOUNT", value, "CNY"))
    out.sort(key=lambda e: (e.start, e.end))
    return out

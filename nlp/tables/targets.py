"""绩效目标 tables: header roles, target rows (indicator, comparator, value, unit)."""

from __future__ import annotations

from typing import Iterator, Optional

from nlp.contract import COUNT_UNITS
from nlp.tables.grid import (  # noqa: F401
    _UNIT_CAPTION_RE,
    is_number,
    Cell,
    Column,
    MONEY_UNITS,
    PERCENT_UNITS,
    Row,
    Table,
    _COMPARATORS,
    _TARGET_RE,
    _UNIT_CELL_RE,
    _UNIT_IN_NAME,
    _to_decimal,
    clean_subject,
    decimal_string,
)


def parse_target_value(text: str) -> Optional[tuple[Optional[str], str, Optional[str], int, int]]:
    """A target cell ``≥10000张`` → (comparator, number, unit, number start, end of number+unit)
    relative to the cell, or None when the cell is not a comparator/number/unit expression."""
    if not text or len(text) > 40:
        return None
    m = _TARGET_RE.fullmatch(text)
    if m is None:
        return None
    cmp = _COMPARATORS.get(m.group("cmp")) if m.group("cmp") else None
    return cmp, m.group("num"), m.group("unit"), m.start("num"), m.end()


def target_measure(number: str, unit: Optional[str]) -> Optional[tuple[str, str, str]]:
    """(label, value, unit) of a target number with its unit: ``154`` + ``万人`` →
    ("QUANTITY", "1540000", "人"); ``200`` + ``万元`` → ("AMOUNT", "2000000", "CNY")."""
    d = _to_decimal(number)
    if d is None or not unit:
        return None
    if unit in MONEY_UNITS:
        return "AMOUNT", decimal_string(d * MONEY_UNITS[unit]), "CNY"
    if unit in PERCENT_UNITS:
        if unit == "‰":
            return "PERCENT", decimal_string(d / 10), "%"
        return "PERCENT", decimal_string(d), "%"
    if unit in COUNT_UNITS:
        return "QUANTITY", decimal_string(d), unit
    if unit.startswith("万") and unit[1:] in COUNT_UNITS:
        return "QUANTITY", decimal_string(d * 10000), unit[1:]
    return None


def _target_header_roles(cells: list[Cell]) -> Optional[dict[int, str]]:
    """Column roles of a 绩效目标 header row (一级指标 二级指标 三级指标 [计算符号] 目标值 [度量单位])."""
    roles: dict[int, str] = {}
    has_target = has_indicator = False
    for c in cells:
        t = c.text
        if not t or len(t) > 12:
            continue
        if t in ("目标值", "指标值", "年度指标值", "目标值(数值)", "年度目标值"):
            roles[c.col] = "target"
            has_target = True
        elif "三级指标" in t or t in ("指标名称", "绩效指标"):
            roles[c.col] = "indicator"
            has_indicator = True
        elif "指标" in t:
            roles[c.col] = "category"
        elif t in ("计算符号", "符号", "指标符号"):
            roles[c.col] = "comparator"
        elif t in ("度量单位", "计量单位", "单位"):
            roles[c.col] = "unit"
        elif t in ("项目名称", "项目"):
            roles[c.col] = "project"
        elif _UNIT_CAPTION_RE.search(t) and t.startswith(_BUDGET_HEADS):
            roles[c.col] = "budget"  # 预算金额(万元): the project's amount
    return roles if has_target and has_indicator else None


_BUDGET_HEADS = ("预算金额", "项目金额", "资金总额", "预算资金", "年度预算", "项目资金")


def _add_project_row(table: Table, roles: dict[int, str], cells: list[Cell], a: int, b: int) -> None:
    """The project named on a 绩效目标 row and its 预算金额 (a ``kv`` row of the target table)."""
    project = next((c for c in cells if roles.get(c.col) == "project" and c.text and not is_number(c.text)), None)
    amount = next((c for c in cells if roles.get(c.col) == "budget" and c.text and is_number(c.text)), None)
    if project is None or amount is None:
        return
    col = table.column(amount.col)
    table.rows.append(Row("kv", a, b, cells, subject=clean_subject(project.text), subject_cell=project, values=[amount],
                          basis="budget", label=col.printed if col is not None else None))


def _add_target_row(table: Table, roles: dict[int, str], cells: list[Cell], a: int, b: int, cats: list[str]) -> None:
    _add_project_row(table, roles, cells, a, b)
    # categories carry down the merged 一级/二级指标 cells
    for c in cells:
        if roles.get(c.col) == "category" and c.text and not parse_target_value(c.text):
            k = sorted(k for k, r in roles.items() if r == "category").index(c.col)
            del cats[k:]
            cats.append(clean_subject(c.text))
    # the value: the cell under 目标值 when it parses, else (rows shifted by the conversion)
    # the first comparator/number cell after some text
    target_col = next((k for k, r in roles.items() if r == "target"), None)
    value_idx = None
    if target_col is not None and target_col < len(cells) and parse_target_value(cells[target_col].text):
        value_idx = target_col
    else:
        seen_text = False
        for i, c in enumerate(cells):
            if not c.text:
                continue
            if roles.get(c.col) in ("project", "budget"):
                continue
            if c.text in _COMPARATORS or parse_target_value(c.text):
                if seen_text:
                    j = i
                    if c.text in _COMPARATORS:
                        j = next((k for k in range(i + 1, len(cells)) if cells[k].text), None)
                        if j is None or not parse_target_value(cells[j].text):
                            break
                    value_idx = j
                break
            seen_text = True
    if value_idx is None:
        return
    vc = cells[value_idx]
    cmp, num, unit, ns, ne = parse_target_value(vc.text)  # type: ignore[misc]
    row = Row("target", a, b, cells, categories=tuple(cats))
    row.number = num
    row.values = [Cell(vc.col, vc.start + ns, vc.start + ns + len(num), num)]
    k = value_idx - 1
    while k >= 0 and not cells[k].text:
        k -= 1
    if cmp is None and k >= 0 and cells[k].text in _COMPARATORS:
        cmp = _COMPARATORS[cells[k].text]
        row.comparator_cell = cells[k]
        k -= 1
        while k >= 0 and not cells[k].text:
            k -= 1
    row.comparator = cmp
    if k < 0:
        return
    ind = cells[k]
    um = _UNIT_IN_NAME.search(ind.text)
    if um and _UNIT_CELL_RE.fullmatch(um.group(1)) and um.start() >= 2:
        # "打击欺诈骗保覆盖率(%)": the unit is said in the name, the indicator is the rest (GUIDELINES §10)
        ind = Cell(ind.col, ind.start, ind.start + um.start(), ind.text[: um.start()])
    row.subject_cell = ind
    row.subject = clean_subject(ind.text)
    if unit:
        row.unit, row.unit_embedded = unit, True
        row.values = [Cell(vc.col, vc.start + ns, vc.start + ne, vc.text[ns:ne])]
    else:
        j = value_idx + 1
        while j < len(cells) and not cells[j].text:
            j += 1
        if j < len(cells) and len(cells[j].text) <= 6 and _UNIT_CELL_RE.fullmatch(cells[j].text):
            row.unit, row.unit_cell = cells[j].text, cells[j]
    table.rows.append(row)

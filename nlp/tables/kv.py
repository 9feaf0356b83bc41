"""Key/value money tables (``项目资金(万元)``), key/value pairs flattened into one line
(source 002), and the score tables of 项目支出绩效自评表."""

from __future__ import annotations

import re
from typing import Iterator, Optional

from nlp.tables.grid import (  # noqa: F401
    Cell,
    Row,
    Table,
    _HAN,
    _INLINE_KV_RE,
    _KV_TAIL_RE,
    _NUM_RE,
    _PERIOD_CAPTION_RE,
    _UNIT_CAPTION_RE,
    _has_number,
    _label_basis,
    _nonempty,
    _title_basis,
    clean_subject,
    is_number,
)


def _unit_caption(cells: list[Cell]) -> Optional[tuple[Cell, re.Match[str]]]:
    """A key/value caption row: its first cell declares the unit (``项目资金(万元)``) and the
    rest is key/value pairs or empty (a grid header such as ``项目\t金额(万元)`` is not one)."""
    filled = _nonempty(cells)
    if not filled or len(filled[0].text) > 30:
        return None
    m = _UNIT_CAPTION_RE.search(filled[0].text)
    if m is None:
        return None
    if len(filled) > 2 and not _has_number(cells):
        return None
    return filled[0], m


def _kv_pairs(table: Table, cells: list[Cell], a: int, b: int, caption: Optional[Cell]) -> bool:
    """Key/value pairs of a row (``其中:财政拨款\t235.38\t其他经费\t0``); False if it has none."""
    found = False
    label: Optional[Cell] = None
    for c in cells:
        if not c.text:
            continue
        if is_number(c.text):
            if label is None:
                continue
            lab = label
            text = lab.text
            start = lab.start
            if caption is not None and lab is caption:
                m = _UNIT_CAPTION_RE.search(text)
                text = text[: m.start()].rstrip() if m else text
            if "编码" in text or "代码" in text or not text:
                label = None
                continue
            for prefix in ("其中:", "其中"):
                if text.startswith(prefix) and len(text) > len(prefix):
                    start += len(prefix)
                    text = text[len(prefix) :]
                    break
            subj_cell = Cell(lab.col, start, start + len(text), text)
            row = Row("kv", a, b, cells, subject=clean_subject(text), subject_cell=subj_cell, values=[c])
            row.basis = _label_basis(text)
            table.rows.append(row)
            found = True
            label = None
        else:
            label = c
    return found


def _inline_kv_tables(text: str, period: Optional[str], basis: Optional[str]) -> list[Table]:
    """PDF tables flattened into one line: ``计划投资额(万元)100实际到位资金(万元)100``."""
    tables: list[Table] = []
    current: Optional[Table] = None
    line_start = -1
    ls = 0  # start of the line of the current match, found by scanning each character once
    scanned = 0
    for m in _INLINE_KV_RE.finditer(text):
        a = m.start()
        nl = text.rfind("\n", scanned, a)
        if nl >= 0:
            ls = nl + 1
        scanned = a
        # the label: the ideographs right before "(万元)", at most 12
        k = a
        while k > 0 and a - k < 12 and re.match(f"[{_HAN}]", text[k - 1]):
            k -= 1
        nm = _NUM_RE.match(text, m.end())
        if k == a or nm is None or text.rfind("\t", max(0, k - 1), nm.end()) >= 0:
            continue
        if current is None or ls != line_start:
            if current is not None:
                tables.append(_with_kv_tail(text, current))
            line_start = ls
            head = text[ls : min(a, ls + 200)]
            ti = head.find("表")
            title = head[: ti + 1].strip() if 0 < ti <= 40 else None
            pm = _PERIOD_CAPTION_RE.search(head)
            current = Table("kv", k, nm.end(), title=title, unit=m.group(1))
            current.period = pm.group(1) if pm else period
            current.basis = _title_basis(title) or basis
        current.rows.append(_inline_kv_row(text, k, a, nm.start(), nm.end()))
        current.end = nm.end()
        if current.unit_span is None:
            current.unit_span = (m.start(1), m.end(1))
    if current is not None:
        tables.append(_with_kv_tail(text, current))
    return tables


def _inline_kv_row(text: str, label_start: int, label_end: int, num_start: int, num_end: int) -> Row:
    """A flattened key/value pair: the label names the item and, by its words, the basis."""
    label = text[label_start:label_end]
    return Row("kv", label_start, num_end, [], subject=label, subject_cell=Cell(0, label_start, label_end, label),
               values=[Cell(1, num_start, num_end, text[num_start:num_end])], basis=_label_basis(label))


def _with_kv_tail(text: str, table: Table) -> Table:
    """Add the ``LABEL NUMBER`` pairs after the table's last row, up to the end of its line."""
    line_end = text.find("\n", table.end)
    line_end = len(text) if line_end < 0 else line_end
    if _INLINE_KV_RE.search(text, table.end, line_end):
        return table  # another flattened table follows on this line: not a tail
    found = list(_KV_TAIL_RE.finditer(text, table.end, line_end))
    for i, m in enumerate(found):
        label, (a, b) = m.group(1), m.span(2)
        # each label is printed once per column, and the PDF line breaks between cells are gone:
        # "省财政  省财政市县财政 100 市县财政 100" — the next cell's label names this one too
        if i + 1 < len(found):
            nxt = found[i + 1].group(1)
            if label != nxt and label.endswith(nxt) and len(nxt) >= 2:
                label = nxt
        table.rows.append(_inline_kv_row(text, m.end(1) - len(label), m.end(1), a, b))
        table.end = b
    return table


# --- score tables (项目支出绩效自评表) -------------------------------------------------------
# The national indicator framework's score table, as PDF-to-text leaves it: one run after the
# header "一级指标 分值 二级指标 分值 三级指标 分值 得分", rows glued together —
# "决策40项目立项 8立项依据充分性 4 4立项程序规范性 4 4…总分 100 100 99". A name with one number is
# a weight (一级/二级指标); with two or more, the last is the indicator's 得分 (source 002).
_SCORE_HEADER_RE = re.compile(r"三级指标[ ]?分值[ ]?得分")
_SCORE_SEGMENT_RE = re.compile(rf"([{_HAN}()（）]{{2,40}}+)[ ]{{0,3}}+((?:\d{{1,3}}+(?:\.\d{{1,2}}+)?+\s{{0,8}}+){{1,3}}+)")
_SCORE_NUMBER_RE = re.compile(r"\d{1,3}+(?:\.\d{1,2}+)?+")
_SCORE_REGION = 2000  # characters after the header that the table may span
_SCORE_END_RE = re.compile(r"评价等次|评价结论|\n\s*\n\s*[一二三四五六七八九十]+\s?、")
_FIRST_LEVEL = ("决策", "过程", "产出", "效益", "满意度")  # 一级指标 of the national framework
_NOTE_LENGTH = 12  # a longer "name" is the framework's note column, not an indicator


def _score_tables(text: str, period: Optional[str]) -> list[Table]:
    tables: list[Table] = []
    pos = 0
    while (h := _SCORE_HEADER_RE.search(text, pos)) is not None:
        a = h.end()
        end = _SCORE_END_RE.search(text, a, a + _SCORE_REGION)
        b = end.start() if end else min(len(text), a + _SCORE_REGION)
        nxt = _SCORE_HEADER_RE.search(text, a, b)
        b = nxt.start() if nxt else b
        pos = max(b, a)  # regions never overlap: each character is scanned once
        head = text[max(0, h.start() - 200): h.start()]
        pm = None
        for pm in _PERIOD_CAPTION_RE.finditer(head):
            pass
        table = Table("score", h.start(), h.end(), unit="分", period=pm.group(1) if pm else period)
        previous: Optional[str] = None
        for m in _SCORE_SEGMENT_RE.finditer(text, a, b):
            name, name_start = m.group(1), m.start(1)
            numbers = [Cell(i, n.start(), n.end(), n.group()) for i, n in
                       enumerate(_SCORE_NUMBER_RE.finditer(text, m.start(2), m.end(2)))]
            subject_cell: Optional[Cell]
            if len(name) > _NOTE_LENGTH:  # a note: its numbers are the previous indicator's
                subject, subject_cell = previous, None
            else:
                for first in _FIRST_LEVEL:  # "效益经济效益": the 一级指标 glued to the indicator
                    if name.startswith(first) and len(name) - len(first) >= 4:
                        name, name_start = name[len(first):], name_start + len(first)
                        break
                if name.endswith("总分"):  # "…意度总分": the tail of a broken cell, then 总分
                    name, name_start = "总分", m.end(1) - 2
                subject, subject_cell = name, Cell(0, name_start, m.end(1), name)
            previous = subject
            table.rows.append(Row("score", name_start, m.end(2), [], subject=subject, subject_cell=subject_cell,
                                  values=numbers))
            table.end = numbers[-1].end  # the segment pattern holds at least one number
        if table.rows:
            tables.append(table)
    return tables


def score_of(row: Row) -> Optional[Cell]:
    """The 得分 cell of a score-table row: the last of two or more numbers."""
    return row.values[-1] if row.kind == "score" and len(row.values) >= 2 else None

"""Facts from tables: one ``amount`` fact per money cell, one ``target`` fact per 绩效目标 row.

Reads ``doc._.tables`` (written by ``fiscal_layout``; parsed here if the component did not
run) and returns ``nlp.contract.Fact`` objects whose ``evidence`` is the value's span in
NORMALISED offsets (``nlp.serialize`` maps them to the client's text). See docs/tables.md.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Optional

from spacy.tokens import Doc

from nlp.contract import MONEY_UNIT, Fact, Offsets
from nlp.extensions import doc_text
from nlp.tables import (
    Column,
    Row,
    Table,
    clean_subject,
    decimal_string,
    money_value,
    score_of,
    document_evidence,
    parse_tables,
    target_measure,
)

__all__ = ["table_facts", "facts_from_tables"]

# Header words that are not an item: the fact's subject is the group above them.
_NOT_AN_ITEM = ("小计",)


def _column_subject(col: Optional[Column], t: Table, r: Row) -> Optional[str]:
    """The item a column stands for when the row has no name (三公 tables): the deepest header
    label that is not 小计 (``因公出国(境)费/小计`` → ``因公出国(境)费``; a 小计 without a group
    label names the columns it totals, :func:`_subtotal_name`); a 合计 column stands for what
    the title totals (``…“三公”经费支出决算表`` → ``“三公”经费``) when the row is a basis label
    (年初预算数, 决算数); on a row of a unit (单位名称) it stays 合计."""
    if col is None:
        return None
    if col.path and col.path[-1] in _NOT_AN_ITEM and len(col.path) == 1:
        return _subtotal_name(t, col.index) or col.path[-1]
    for label in reversed(col.path):
        if label not in _NOT_AN_ITEM:
            if label == "合计" and r.label is not None:
                return _title_item(t.title) or label
            return label
    return None


def _subtotal_name(t: Table, index: int) -> Optional[str]:
    """A 小计 column with no group label above it totals the columns after it that share a
    name's beginning: ``小计 | 公务用车购置费 | 公务用车运行维护费`` → ``公务用车购置及运行维护费``
    (the shared beginning and end, the parts between joined by 及)."""
    parts: list[str] = []
    shared = 0
    for col in t.columns[index + 1:]:
        leaf = col.leaf or ""
        if col.role != "value" or not leaf:
            break
        if len(parts) == 1:
            shared = _common_prefix(parts[0], leaf)
        if parts and (_common_prefix(parts[0], leaf) < max(2, shared)):
            break  # the shared beginning shrinks: the next item ("公务接待费") is no part
        parts.append(leaf)
    if len(parts) < 2:
        return None
    p = min(_common_prefix(parts[0], x) for x in parts[1:])
    q = min(_common_prefix(parts[0][::-1], x[::-1]) for x in parts[1:])
    mids = [x[p:len(x) - q] for x in parts]
    if any(not m for m in mids):
        return None
    return parts[0][:p] + "及".join(mids) + (parts[0][len(parts[0]) - q:] if q else "")


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


_TITLE_YEAR = re.compile(r"(?:19|20)\d{2}\s{0,2}年度?")
_TITLE_PREFIXES = ("一般公共预算", "政府性基金预算", "国有资本经营预算", "财政拨款", "部门")


def _title_item(title: Optional[str]) -> Optional[str]:
    """The item a table's title names: ``2023年度一般公共预算财政拨款“三公”经费支出决算表`` →
    ``“三公”经费`` (after the year, without fund names, before 支出/表)."""
    if not title:
        return None
    t = title
    m = None
    for m in _TITLE_YEAR.finditer(t):
        pass
    if m is not None:
        t = t[m.end():]
    changed = True
    while changed:
        changed = False
        for p in _TITLE_PREFIXES:
            if t.startswith(p):
                t, changed = t[len(p):], True
    for stop in ("支出", "收入", "表"):
        k = t.find(stop)
        if k >= 0:
            t = t[:k]
    t = t.strip()
    return t if 2 <= len(t) <= 12 else None


def _grid_facts(t: Table, doc_period: Optional[str]) -> list[Fact]:
    out: list[Fact] = []
    if not t.is_money:
        return out
    for r in t.rows:
        for cell in r.values:
            value = money_value(cell.text, t.unit or "")
            if value is None:
                continue
            col = t.column(cell.col)
            subject = r.subject or _column_subject(col, t, r)
            column = None
            if col is not None:
                column = clean_subject(col.printed) if col.printed else col.leaf
            out.append(
                Fact(
                    subject=subject,
                    code=r.code,
                    measure="amount",
                    value=value,
                    unit=MONEY_UNIT,
                    period=(col.period if col else None) or r.period or t.period or doc_period,
                    basis=(col.basis if col else None) or r.basis or t.basis,
                    column=column,
                    evidence=Offsets(start=cell.start, end=cell.end),
                    score=1.0,
                )
            )
    return out


def _kv_facts(t: Table, doc_period: Optional[str]) -> list[Fact]:
    out: list[Fact] = []
    if not t.is_money:
        return out
    for r in t.rows:
        for cell in r.values:
            value = money_value(cell.text, t.unit or "")
            if value is None:
                continue
            out.append(
                Fact(
                    subject=r.subject,
                    measure="amount",
                    value=value,
                    unit=MONEY_UNIT,
                    period=t.period or doc_period,
                    basis=r.basis or t.basis,
                    column=r.label,
                    evidence=Offsets(start=cell.start, end=cell.end),
                    score=1.0,
                )
            )
    return out


def _score_facts(t: Table, doc_period: Optional[str]) -> list[Fact]:
    """One fact per scored indicator: its 得分 (the weights in 分值 are the framework's, no claim)."""
    out: list[Fact] = []
    for r in t.rows:
        cell = score_of(r)
        if cell is None or not r.subject:
            continue
        out.append(Fact(subject=r.subject, measure="amount", value=decimal_string(Decimal(cell.text)), unit="分",
                        period=t.period or doc_period, column="得分",
                        evidence=Offsets(start=cell.start, end=cell.end), score=0.9))
    return out


def _target_fact(r: Row, t: Table, doc_period: Optional[str]) -> Optional[Fact]:
    if r.number is None or not r.values:
        return None
    meas = target_measure(r.number, r.unit)
    if meas is None:
        return None  # a bare number without a unit: nothing says what it counts
    _, value, unit = meas
    ev = r.values[0]
    return Fact(
        subject=r.subject,
        measure="target",
        value=value,
        unit=unit,
        comparator=r.comparator,
        period=t.period or doc_period,
        evidence=Offsets(start=ev.start, end=ev.end),
        score=1.0,
    )


def facts_from_tables(tables: list[Table], doc_period: Optional[str] = None) -> list[Fact]:
    out: list[Fact] = []
    for t in tables:
        if t.kind == "grid":
            out.extend(_grid_facts(t, doc_period))
        elif t.kind == "kv":
            out.extend(_kv_facts(t, doc_period))
        elif t.kind == "score":
            out.extend(_score_facts(t, doc_period))
        elif t.kind == "target":
            for r in t.rows:
                if r.kind == "kv":  # a project's 预算金额
                    out.extend(_kv_facts(Table("kv", t.start, t.end, title=t.title, unit=t.unit, period=t.period,
                                               basis=t.basis, rows=[r]), doc_period))
                    continue
                f = _target_fact(r, t, doc_period)
                if f is not None:
                    out.append(f)
    return out


def table_facts(doc: Doc) -> list[Fact]:
    """All table facts of a processed Doc, in document order."""
    tables = doc._.tables
    period = doc._.period
    if tables is None:  # fiscal_layout did not run: parse here
        text = doc_text(doc)
        period, basis = document_evidence(text)
        tables = parse_tables(text, period, basis, norm=doc._.norm)
    facts = facts_from_tables(tables, period)
    facts.sort(key=lambda f: (f.evidence.start, f.evidence.end))
    return facts

"""Facts from tables: one ``amount`` fact per money cell, one ``target`` fact per 绩效目标 row.

Reads ``doc._.tables`` (written by ``fiscal_layout``; parsed here if the component did not
run) and returns ``nlp.contract.Fact`` objects whose ``evidence`` is the value's span in
NORMALISED offsets (``nlp.serialize`` maps them to the client's text). See docs/tables.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

from spacy.tokens import Doc

from nlp.contract import MONEY_UNIT, Fact, Offsets
from nlp.tables import (
    Column,
    Row,
    Table,
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


def _column_subject(col: Optional[Column]) -> Optional[str]:
    """The item a column stands for when the row has no name (三公 tables): the deepest header
    label that is not 小计 (``因公出国(境)费/小计`` → ``因公出国(境)费``)."""
    if col is None:
        return None
    for label in reversed(col.path):
        if label not in _NOT_AN_ITEM:
            return label
    return None


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
            subject = r.subject or _column_subject(col)
            out.append(
                Fact(
                    subject=subject,
                    code=r.code,
                    measure="amount",
                    value=value,
                    unit=MONEY_UNIT,
                    period=(col.period if col else None) or t.period or doc_period,
                    basis=(col.basis if col else None) or t.basis,
                    column=col.leaf if col else None,
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
                f = _target_fact(r, t, doc_period)
                if f is not None:
                    out.append(f)
    return out


def table_facts(doc: Doc) -> list[Fact]:
    """All table facts of a processed Doc, in document order."""
    tables = doc._.tables
    period = doc._.period
    if tables is None:  # fiscal_layout did not run: parse here
        period, basis = document_evidence(doc.text)
        tables = parse_tables(doc.text, period, basis, norm=doc._.norm)
    facts = facts_from_tables(tables, period)
    facts.sort(key=lambda f: (f.evidence.start, f.evidence.end))
    return facts

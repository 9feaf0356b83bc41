"""The common questions of a fact store: a subject's series, budget against actual, the
largest changes."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any, Optional


def _rows(con: sqlite3.Connection, sql: str, args: tuple) -> list[dict[str, Any]]:
    con.row_factory = sqlite3.Row
    return [dict(r) for r in con.execute(sql, args).fetchall()]


def series(con: sqlite3.Connection, subject: str, department: Optional[str] = None,
           measure: str = "amount") -> list[dict[str, Any]]:
    """A subject (name or code) year by year: one row per (department, period, basis, column)
    with every document that states it."""
    sql = ("SELECT department, period, basis, column_name, value, unit, doc_id FROM facts "
           "WHERE (subject = ? OR code = ?) AND measure = ? AND period IS NOT NULL")
    args: tuple = (subject, subject, measure)
    if department:
        sql += " AND department = ?"
        args += (department,)
    return _rows(con, sql + " ORDER BY department, period, basis, column_name, doc_id", args)


def budget_vs_actual(con: sqlite3.Connection, department: Optional[str] = None) -> list[dict[str, Any]]:
    """Subjects of one year with both a budget and an actual amount (within one document or across)."""
    sql = ("SELECT a.department, a.period, a.subject, a.code, b.value AS budget, a.value AS actual, "
           "a.doc_id AS actual_doc, b.doc_id AS budget_doc FROM facts a JOIN facts b "
           "ON a.department = b.department AND a.period = b.period AND a.measure = 'amount' AND b.measure = 'amount' "
           "AND a.basis = 'actual' AND b.basis = 'budget' AND a.unit = b.unit "
           "AND COALESCE(a.code, a.subject) = COALESCE(b.code, b.subject) "
           "AND COALESCE(a.column_name, '') = COALESCE(b.column_name, '')")
    args: tuple = ()
    if department:
        sql += " WHERE a.department = ?"
        args = (department,)
    return _rows(con, sql + " ORDER BY a.department, a.period, a.subject", args)


def largest_changes(con: sqlite3.Connection, top: int = 20) -> list[dict[str, Any]]:
    """The largest stated changes in money, by magnitude."""
    rows = _rows(con, "SELECT department, period, base_period, subject, code, direction, value, doc_id FROM facts "
                      "WHERE measure = 'change' AND unit = 'CNY'", ())
    rows.sort(key=lambda r: (-Decimal(r["value"]), r["doc_id"], r["subject"] or ""))
    return rows[:top]

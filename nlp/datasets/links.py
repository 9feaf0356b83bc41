"""Links of one subject across a department's documents, and the checks they allow.

* ``restated``: a figure of year Y−1 printed in year Y's document (its 上年 column or a prior-year
  amount in prose) against year Y−1's own document of the same basis;
* ``budget_vs_actual``: a 决算's 年初预算 figure of year Y against the 预算 document of year Y.

A subject is matched by code first, then by its normalised name, within the same measure,
unit and column. A key that has two different values in one document is ambiguous and is
recorded as unchecked, never as a disagreement. Disagreements beyond rounding are checks
that cite both documents' facts and evidence.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Optional

# Half a unit of the last digit a disclosure prints: 0.005 万元, 0.005 %, no slack for counts.
TOLERANCE = {"CNY": Decimal(50), "%": Decimal("0.005")}


@dataclass(frozen=True)
class Side:
    doc_id: str
    fact_index: int
    value: str
    evidence_start: Optional[int]
    evidence_end: Optional[int]


@dataclass(frozen=True)
class CrossCheck:
    kind: str  # restated | budget_vs_actual
    department: str
    subject: Optional[str]
    code: Optional[str]
    period: str
    later: Side  # the document that restates (or the 决算)
    earlier: Side  # the document of record (or the 预算)
    difference: str
    tolerance: str
    status: str  # disagrees | agrees | unchecked
    reason: Optional[str] = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _key(row) -> tuple:
    ident = ("code", row["code"]) if row["code"] else ("subject", row["subject"])
    return ident, row["measure"], row["unit"], row["column_name"] or None


def _index(rows: list) -> dict[tuple, list]:
    out: dict[tuple, list[sqlite3.Row]] = defaultdict(list)
    for r in rows:
        if r["subject"] or r["code"]:
            out[_key(r)].append(r)
    return out


def _one(rows: list):
    """The row when every row of the key says the same value; None when they differ."""
    values = {Decimal(r["value"]) for r in rows}
    return rows[0] if len(values) == 1 else None


def _compare(kind, dept, period, later_rows, earlier_rows, derived: bool = False) -> list[CrossCheck]:
    out = []
    earlier = _index(earlier_rows)
    for key, rows in sorted(_index(later_rows).items(), key=lambda kv: str(kv[0])):
        if key not in earlier:
            continue
        a, b = _one(rows), _one(earlier[key])
        (ident, name), measure, unit, column = key
        subject = name if ident == "subject" else (rows[0]["subject"])
        code = name if ident == "code" else None
        tol = TOLERANCE.get(unit, Decimal(0)) * (2 if derived else 1)  # a derived figure carries two roundings
        if a is None or b is None:
            r = rows[0] if a is None else a
            e = earlier[key][0] if b is None else b
            out.append(CrossCheck(kind, dept, subject, code, period, _side(r), _side(e), "0", str(tol), "unchecked",
                                  "the subject has different values within one document"))
            continue
        diff = Decimal(a["value"]) - Decimal(b["value"])
        status = "disagrees" if abs(diff) > tol else "agrees"
        out.append(CrossCheck(kind, dept, subject, code, period, _side(a), _side(b), str(diff), str(tol), status,
                              "derived: the later document's amount minus its stated change" if derived else None))
    return out


def _side(r) -> Side:
    return Side(r["doc_id"], r["fact_index"], r["value"], r["evidence_start"], r["evidence_end"])


def cross_checks(con: sqlite3.Connection) -> list[CrossCheck]:
    """Every restated and budget_vs_actual comparison the store allows, disagreeing or not."""
    con.row_factory = sqlite3.Row
    docs = con.execute("SELECT doc_id, department, year, basis FROM documents WHERE department IS NOT NULL "
                       "AND year IS NOT NULL ORDER BY department, year, doc_id").fetchall()
    by_dept: dict[str, list[sqlite3.Row]] = defaultdict(list)
    for d in docs:
        by_dept[d["department"]].append(d)

    def facts(doc_id: str, period: str, basis: Optional[str] = None) -> list[sqlite3.Row]:
        sql = "SELECT * FROM facts WHERE doc_id = ? AND period = ? AND measure = 'amount'"
        args: list[Any] = [doc_id, period]
        if basis:
            sql += " AND basis = ?"
            args.append(basis)
        return con.execute(sql, args).fetchall()

    def implied_prior(doc_id: str, year: int) -> list[dict[str, Any]]:
        """Year−1 figures a document implies: its amount of year Y minus its stated change
        against year Y−1 (``收入总计 674.34万元，较 2021 年增加 82.51 万元`` → 591.83 for 2021)."""
        changes = con.execute("SELECT * FROM facts WHERE doc_id = ? AND measure = 'change' AND period = ? "
                              "AND base_period = ? AND direction IN ('increase', 'decrease', 'flat')",
                              (doc_id, str(year), str(year - 1))).fetchall()
        levels = _index(facts(doc_id, str(year)))
        derived = []
        for c in changes:
            key = (_key(c)[0], "amount", c["unit"], c["column_name"] or None)
            level = _one(levels.get(key, [])) if levels.get(key) else None
            if level is None:
                continue
            sign = {"increase": 1, "decrease": -1, "flat": 0}[c["direction"]]
            row = dict(level)
            row["value"] = str(Decimal(level["value"]) - sign * Decimal(c["value"]))
            row["period"] = str(year - 1)
            row["fact_index"] = c["fact_index"]  # cite the change: it is what states the prior year
            row["evidence_start"], row["evidence_end"] = c["evidence_start"], c["evidence_end"]
            derived.append(row)
        return derived

    out: list[CrossCheck] = []
    for dept, ds in sorted(by_dept.items()):
        for later in ds:
            y = int(later["year"])
            for earlier in ds:
                if earlier["doc_id"] == later["doc_id"]:
                    continue
                if earlier["year"] == str(y - 1) and earlier["basis"] == later["basis"]:
                    out += _compare("restated", dept, str(y - 1), facts(later["doc_id"], str(y - 1)),
                                    facts(earlier["doc_id"], str(y - 1)))
                    out += _compare("restated", dept, str(y - 1), implied_prior(later["doc_id"], y),
                                    facts(earlier["doc_id"], str(y - 1)), derived=True)
                if later["basis"] == "actual" and earlier["basis"] == "budget" and earlier["year"] == later["year"]:
                    out += _compare("budget_vs_actual", dept, str(y), facts(later["doc_id"], str(y), "budget"),
                                    facts(earlier["doc_id"], str(y), "budget"))
    return out

"""Fiscal Data Package export: ``datapackage.json`` with the fiscal modelling, plus ``facts.csv``.

Only money levels are fiscal data (measure ``amount``, unit CNY). Each row is one figure:
the administrative classification (department), the functional or economic classification
(code and subject), the fiscal period, and its phase and direction:

* phase: ``approved`` for 预算 figures (basis budget), ``executed`` for 决算 figures (basis
  actual), else the document's own basis;
* direction: ``expenditure`` for 支出 subjects and function/economic codes, ``revenue`` for 收入
  subjects, else empty.

The package's ``profile`` is ``tabular-data-package`` so that it validates offline with
frictionless; the fiscal modelling (OpenSpending's ``model``: measures with currency and factor,
dimensions with their types) rides in the descriptor, and each field carries its ``columnType``.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

FIELDS = [
    ("fact_id", "string", "id"), ("department", "string", "administrative-classification:generic:name"),
    ("region", "string", "geo-source:generic:name"), ("code", "string", "functional-classification:generic:code"),
    ("subject", "string", "functional-classification:generic:label"), ("fiscal_year", "year", "date:fiscal-year"),
    ("phase", "string", "phase"), ("direction", "string", "direction"), ("column", "string", "value-kind:generic:label"),
    ("amount", "number", "value"), ("doc_id", "string", "source:document"),
]


def _phase(basis: str | None, doc_basis: str | None) -> str:
    b = basis or doc_basis
    return {"budget": "approved", "actual": "executed"}.get(b or "", "")


def _direction(subject: str | None, code: str | None) -> str:
    if code and code[0] in "23":  # 功能分类 2xx (支出) and 经济分类 3xx
        return "expenditure"
    s = subject or ""
    if "支出" in s:
        return "expenditure"
    if "收入" in s:
        return "revenue"
    return ""


def export(db: Path, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    rows = con.execute("SELECT * FROM facts WHERE measure = 'amount' AND unit = 'CNY' AND period IS NOT NULL "
                       "ORDER BY doc_id, fact_index").fetchall()
    con.close()
    with open(out / "facts.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f[0] for f in FIELDS])
        for r in rows:
            w.writerow([f"{r['doc_id']}#{r['fact_index']}", r["department"] or "", r["region"] or "", r["code"] or "",
                        r["subject"] or "", r["period"][:4], _phase(r["basis"], r["doc_basis"]),
                        _direction(r["subject"], r["code"]), r["column_name"] or "", r["value"], r["doc_id"]])
    descriptor = {
        "name": "fiscal-extract-facts",
        "title": "Figures of Chinese departmental budget and final-accounts disclosures",
        "profile": "tabular-data-package",
        "resources": [{
            "name": "facts", "path": "facts.csv", "profile": "tabular-data-resource", "format": "csv",
            "encoding": "utf-8",
            "schema": {"fields": [{"name": n, "type": t, "columnType": c} for n, t, c in FIELDS],
                       "primaryKey": ["fact_id"]},
        }],
        "model": {
            "measures": {"amount": {"source": "amount", "currency": "CNY", "factor": 1}},
            "dimensions": {
                "administrative": {"dimensionType": "classification", "primaryKey": ["department"],
                                   "attributes": {"department": {"source": "department"}}},
                "functional": {"dimensionType": "classification", "primaryKey": ["code", "subject"],
                               "attributes": {"code": {"source": "code"}, "subject": {"source": "subject"}}},
                "date": {"dimensionType": "datetime", "primaryKey": ["fiscal_year"],
                         "attributes": {"fiscal_year": {"source": "fiscal_year"}}},
                "phase": {"dimensionType": "other", "primaryKey": ["phase"], "attributes": {"phase": {"source": "phase"}}},
                "direction": {"dimensionType": "other", "primaryKey": ["direction"],
                              "attributes": {"direction": {"source": "direction"}}},
            },
        },
    }
    path = out / "datapackage.json"
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path

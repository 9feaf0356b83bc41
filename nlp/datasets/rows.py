"""One row per fact, with its document's identity: the store's unit of data.

Rows are read from contract results (retag output lines), never from the text again; the
document's department, year and basis are the result's own ``document`` block.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Iterator

COLUMNS = ("doc_id", "department", "scope", "region", "doc_year", "doc_basis", "model", "fact_index", "subject",
           "code", "measure", "value", "unit", "direction", "period", "base_period", "basis", "column_name",
           "page", "evidence_start", "evidence_end")
_KEY = (COLUMNS.index("doc_id"), COLUMNS.index("fact_index"))


def row_key(row: tuple) -> tuple:
    """The store's key order of a fact row (``ORDER BY doc_id, fact_index``)."""
    return row[_KEY[0]], row[_KEY[1]]


def result_rows(result: dict[str, Any]) -> list[tuple]:
    """The rows of one document's result."""
    doc = result.get("document") or {}
    model = result.get("model") or {}
    model_id = f"{model.get('name', '?')}@{model.get('version', '?')}"
    rows = []
    for i, f in enumerate(result.get("facts", [])):
        ev = f.get("evidence") or {}
        rows.append((result.get("doc_id"), doc.get("department"), doc.get("scope"), doc.get("region"), doc.get("year"),
                     doc.get("basis"), model_id, i, f.get("subject"), f.get("code"), f["measure"], f["value"],
                     f["unit"], f.get("direction"), f.get("period"), f.get("base_period"), f.get("basis"),
                     f.get("column"), f.get("page"), ev.get("start"), ev.get("end")))
    return rows


def retag_files(paths: Iterable[Path]) -> list[Path]:
    """The result files of retag output directories (or result files given directly), sorted."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += [f for f in sorted(p.rglob("*.jsonl"))
                    if f.name != "errors.jsonl" and ".retag" not in f.parts]
        else:
            out.append(p)
    return out


def read_results(path: Path) -> Iterator[dict[str, Any]]:
    """Results of one retag output file; a line that is not a result object is skipped by the
    caller's count (retag already recorded it in errors.jsonl)."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                obj = json.loads(line)
                if isinstance(obj, dict) and "facts" in obj:
                    yield obj

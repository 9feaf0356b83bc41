"""The fact store: one SQLite file, one row per fact.

A build loads every result into one transaction: a document's rows are replaced as a whole
(a newer model's retag replaces the older rows), so loading the same output twice changes
nothing, and a build killed mid-way leaves the previous content as it was (SQLite rolls the
unfinished transaction back on the next open).
"""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path
from typing import Iterable

from nlp.datasets.rows import COLUMNS, read_results, result_rows, retag_files

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS facts (
    {', '.join(f'{c} {"INTEGER" if c in ("fact_index", "page", "evidence_start", "evidence_end") else "TEXT"}' for c in COLUMNS)},
    PRIMARY KEY (doc_id, fact_index)
);
CREATE INDEX IF NOT EXISTS facts_subject ON facts (department, subject, measure);
CREATE INDEX IF NOT EXISTS facts_code ON facts (department, code, measure);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, department TEXT, scope TEXT, region TEXT, year TEXT, basis TEXT,
    title TEXT, model TEXT, facts INTEGER
);
"""


def connect(db: Path) -> sqlite3.Connection:
    con = sqlite3.connect(db, isolation_level=None)  # transactions are explicit
    con.execute("PRAGMA journal_mode=DELETE")
    con.executescript(SCHEMA)
    return con


def build(paths: Iterable[Path], db: Path) -> dict[str, int]:
    """Load retag outputs into ``db``; returns counts (documents, facts)."""
    con = connect(db)
    docs = facts = 0
    try:
        con.execute("BEGIN IMMEDIATE")
        kill_after = int(os.environ.get("FISCAL_DATASET_KILL_AFTER", "0"))  # fault injection for the tests
        for path in retag_files(paths):
            for result in read_results(path):
                load_result(con, result)
                docs += 1
                facts += len(result.get("facts", []))
                if kill_after and docs >= kill_after:
                    os.kill(os.getpid(), signal.SIGKILL)
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return {"documents": docs, "facts": facts}


def load_result(con: sqlite3.Connection, result: dict) -> None:
    """Replace one document's rows (inside the caller's transaction)."""
    doc_id = result.get("doc_id")
    if not isinstance(doc_id, str) or not doc_id:
        raise ValueError("a result without a doc_id cannot be stored")
    doc = result.get("document") or {}
    model = result.get("model") or {}
    con.execute("DELETE FROM facts WHERE doc_id = ?", (doc_id,))
    con.executemany(f"INSERT INTO facts ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                    result_rows(result))
    con.execute("INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (doc_id, doc.get("department"), doc.get("scope"), doc.get("region"), doc.get("year"), doc.get("basis"),
                 doc.get("title"), f"{model.get('name', '?')}@{model.get('version', '?')}", len(result.get("facts", []))))


def content(db: Path) -> list[tuple]:
    """Every fact row, in key order: what "the same content" means for two builds."""
    con = sqlite3.connect(db)
    try:
        return con.execute(f"SELECT {', '.join(COLUMNS)} FROM facts ORDER BY doc_id, fact_index").fetchall()
    finally:
        con.close()

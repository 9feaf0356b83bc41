"""``fiscal-extract dataset``: build a fact store from retag outputs, query it, check it across
documents, and export it as a Fiscal Data Package (docs/datasets.md)."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dataset", help="fact store, cross-document checks and Fiscal Data Package export")
    ds = p.add_subparsers(dest="dataset_command", required=True, metavar="ACTION")

    b = ds.add_parser("build", help="load retag output directories into a SQLite fact store")
    b.add_argument("inputs", nargs="+", type=Path, help="retag output directories or result JSONL files")
    b.add_argument("--db", type=Path, default=Path("facts.sqlite"))
    b.add_argument("--parquet", type=Path, metavar="DIR",
                   help="instead of SQLite, write partitioned Parquet from a Dask job (--scheduler)")
    b.add_argument("--scheduler", help="a Dask scheduler address (default: this machine's processes)")
    b.set_defaults(func=_build)

    q = ds.add_parser("query", help="series of a subject, budget vs actual, largest changes")
    q.add_argument("question", choices=("series", "budget-vs-actual", "changes"))
    q.add_argument("subject", nargs="?", help="for series: a subject name or a code")
    q.add_argument("--department")
    q.add_argument("--top", type=int, default=20)
    q.add_argument("--db", type=Path, default=Path("facts.sqlite"))
    q.set_defaults(func=_query)

    c = ds.add_parser("checks", help="restated and budget_vs_actual comparisons across documents")
    c.add_argument("--db", type=Path, default=Path("facts.sqlite"))
    c.add_argument("--all", action="store_true", help="also the comparisons that agree")
    c.set_defaults(func=_checks)

    e = ds.add_parser("export", help="write the store as a Fiscal Data Package (datapackage.json + CSV) or Parquet")
    e.add_argument("out", type=Path)
    e.add_argument("--format", choices=("fdp", "parquet"), default="fdp")
    e.add_argument("--db", type=Path, default=Path("facts.sqlite"))
    e.set_defaults(func=_export)

    r = ds.add_parser("report", help="a department's page: series, budget against actual, cross-document checks")
    r.add_argument("department")
    r.add_argument("--db", type=Path, default=Path("facts.sqlite"))
    r.add_argument("--out", type=Path, default=Path("report.html"))
    r.set_defaults(func=_report)


def _report(args) -> int:
    from nlp.datasets.report import render

    _open(args.db).close()
    args.out.write_text(render(args.db, args.department), encoding="utf-8")
    print(f"dataset report: wrote {args.out}")
    return 0


def _open(db: Path) -> sqlite3.Connection:
    if not db.exists():
        raise SystemExit(f"dataset: no fact store at {db} (run `fiscal-extract dataset build … --db {db}`)")
    return sqlite3.connect(db)


def _build(args) -> int:
    from nlp.datasets.store import build

    missing = [str(p) for p in args.inputs if not p.exists()]
    if missing:
        print(f"dataset build: no such input: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.parquet is not None:
        return _build_parquet(args)
    counts = build(args.inputs, args.db)
    print(f"dataset build: {counts['documents']} documents, {counts['facts']} facts in {args.db}")
    return 0


def _build_parquet(args) -> int:
    from nlp.datasets.distributed import build_parquet

    if args.scheduler:
        from distributed import Client

        with Client(args.scheduler) as client:
            counts = build_parquet(args.inputs, args.parquet, client)
    else:
        counts = build_parquet(args.inputs, args.parquet)
    print(f"dataset build: {counts['documents']} documents, {counts['facts']} facts in {args.parquet}/")
    return 0


def _query(args) -> int:
    from nlp.datasets import queries

    con = _open(args.db)
    if args.question == "series":
        if not args.subject:
            print("dataset query series: give a subject or a code", file=sys.stderr)
            return 2
        rows = queries.series(con, args.subject, args.department)
    elif args.question == "budget-vs-actual":
        rows = queries.budget_vs_actual(con, args.department)
    else:
        rows = queries.largest_changes(con, args.top)
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    return 0


def _checks(args) -> int:
    from nlp.datasets.links import cross_checks

    checks = [c for c in cross_checks(_open(args.db)) if args.all or c.status != "agrees"]
    for c in checks:
        print(json.dumps(c.as_dict(), ensure_ascii=False))
    return 0


def _export(args) -> int:
    _open(args.db).close()
    if args.format == "parquet":
        from nlp.datasets.parquet import export as export_parquet

        paths = export_parquet(args.db, args.out)
        print(f"dataset export: wrote {len(paths)} Parquet files under {args.out}")
        return 0
    from nlp.datasets.fdp import export

    path = export(args.db, args.out)
    print(f"dataset export: wrote {path}")
    return 0

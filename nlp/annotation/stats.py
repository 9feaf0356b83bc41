"""Counts of gold annotations: per label, per measure and per document.

``fiscal-extract annotate stats [PATHS]`` prints the tables as Markdown (or JSON).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

from nlp.annotation.records import Record, read_records
from nlp.annotation.validate import _expand, default_paths
from nlp.contract import LABELS, MEASURES

__all__ = ["compute_stats", "format_markdown", "main"]


def compute_stats(docs: dict[str, list[Record]]) -> dict[str, Any]:
    labels: Counter[str] = Counter()
    measures: Counter[str] = Counter()
    per_doc: dict[str, dict[str, Any]] = {}
    for doc_id, records in sorted(docs.items()):
        dl: Counter[str] = Counter(s.label for r in records for s in r.spans)
        dm: Counter[str] = Counter(f.measure for r in records for f in r.facts)
        labels.update(dl)
        measures.update(dm)
        per_doc[doc_id] = {
            "records": len(records),
            "reviewed": sum(r.status == "reviewed" for r in records),
            "tables": sum(r.kind == "table" for r in records),
            "spans": sum(dl.values()),
            "facts": sum(dm.values()),
            "labels": {k: dl.get(k, 0) for k in LABELS},
            "measures": {k: dm.get(k, 0) for k in MEASURES},
        }
    return {
        "labels": {k: labels.get(k, 0) for k in LABELS},
        "measures": {k: measures.get(k, 0) for k in MEASURES},
        "documents": per_doc,
        "totals": {
            "documents": len(per_doc),
            "records": sum(d["records"] for d in per_doc.values()),
            "reviewed": sum(d["reviewed"] for d in per_doc.values()),
            "spans": sum(labels.values()),
            "facts": sum(measures.values()),
        },
    }


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def format_markdown(st: dict[str, Any]) -> str:
    docs = st["documents"]
    ids = list(docs)
    short = [d.split("_")[0] for d in ids]
    parts = ["### Entities per label", _table(["label", *short, "total"], [
        [lab, *(docs[d]["labels"][lab] for d in ids), st["labels"][lab]] for lab in LABELS
    ] + [["**all**", *(docs[d]["spans"] for d in ids), st["totals"]["spans"]]])]
    parts += ["### Facts per measure", _table(["measure", *short, "total"], [
        [m, *(docs[d]["measures"][m] for d in ids), st["measures"][m]] for m in MEASURES
    ] + [["**all**", *(docs[d]["facts"] for d in ids), st["totals"]["facts"]]])]
    parts += ["### Documents", _table(["doc_id", "records", "reviewed", "tables", "spans", "facts"], [
        [d, v["records"], v["reviewed"], v["tables"], v["spans"], v["facts"]] for d, v in docs.items()
    ])]
    return "\n\n".join(parts) + "\n"


def load(paths: Sequence[Path] | None = None) -> dict[str, list[Record]]:
    """The five sources' gold by default (the development corpus has its own README table;
    pass ``annotations/dev/gold`` to count it)."""
    return {p.stem: read_records(p) for p in _expand(paths or default_paths()[:1])}


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m nlp.annotation.stats")
    ap.add_argument("paths", nargs="*", type=Path)
    ap.add_argument("--format", choices=("md", "json"), default="md")
    args = ap.parse_args(argv)
    return run(args.paths, args.format)


def run(paths: Sequence[Path], fmt: str = "md") -> int:
    docs = load(paths or None)
    if not docs:
        print("no annotation files found", file=sys.stderr)
        return 1
    st = compute_stats(docs)
    print(json.dumps(st, ensure_ascii=False, indent=2) if fmt == "json" else format_markdown(st))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

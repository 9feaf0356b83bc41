"""Bench the fact store at scale: ``python -m bench.datasets --facts 1000000``.

Synthetic results (1,000 facts per document, a few departments over years) are written as one
retag-style JSONL file, built into SQLite, and a subject's series is queried. Prints build time,
database size and series latency (median of 50)."""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from nlp.datasets import queries, store

SUBJECTS = ["收入总计", "支出总计", "基本支出", "项目支出", "行政运行", "公务接待费", "工资福利支出", "商品和服务支出"]


def synthetic(path: Path, facts: int, per_doc: int = 1000) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for d in range(facts // per_doc):
            dept, year = f"第{d % 50}局", str(2000 + d // 50)
            result = {"doc_id": f"doc-{d:06d}", "model": {"name": "bench", "version": "0"},
                      "document": {"department": dept, "year": year, "basis": "actual"},
                      "entities": [], "checks": [],
                      "facts": [{"subject": SUBJECTS[i % len(SUBJECTS)] + ("" if i < 8 else str(i)), "code": None,
                                 "measure": "amount", "value": str(10_000 + i), "unit": "CNY", "period": year,
                                 "basis": "actual", "column": None, "evidence": {"start": i, "end": i + 1}}
                                for i in range(per_doc)]}
            fh.write(json.dumps(result, ensure_ascii=False) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--facts", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src, db = Path(tmp) / "results.jsonl", Path(tmp) / "facts.sqlite"
        synthetic(src, args.facts)
        t0 = time.perf_counter()
        counts = store.build([src], db)
        build_s = time.perf_counter() - t0
        con = store.connect(db)
        lat = []
        for _ in range(50):
            t = time.perf_counter()
            queries.series(con, "收入总计", "第7局")
            lat.append((time.perf_counter() - t) * 1000)
        print(f"facts {counts['facts']:,}  documents {counts['documents']:,}  build {build_s:.1f} s  "
              f"({counts['facts'] / build_s:,.0f} facts/s)  db {db.stat().st_size / 2**20:.0f} MB  "
              f"series p50 {statistics.median(lat):.1f} ms")


if __name__ == "__main__":
    main()

"""From results to datasets (issue 18): document identity read from the text, the SQLite fact
store (complete, idempotent, atomic under kill -9), the 000/002 link and its restated checks,
the Fiscal Data Package export validated by frictionless, and the Dask build equal to SQLite's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nlp.datasets import fdp, parquet, store
from nlp.datasets.links import cross_checks
from nlp.document_meta import read_document

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "nlp" / "examples" / "documents" / "document_meta.jsonl"
CLI = str(Path(sys.executable).parent / "fiscal-extract")
SOURCES = sorted((ROOT / "annotations" / "sources").glob("*.txt"))


def _examples():
    return [json.loads(l) for l in EXAMPLES.read_text(encoding="utf-8").splitlines() if l.strip()]


@pytest.mark.parametrize("case", _examples(), ids=lambda c: c["text"][:16])
def test_document_identity_is_read_from_the_text(case):
    got = read_document(case["text"])
    assert {k: got[k] for k in case["expect"]} == case["expect"]


@pytest.fixture(scope="module")
def results_dir(extractor, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("retag")
    with open(out / "sources.jsonl", "w", encoding="utf-8") as fh:
        for path in SOURCES:
            result = extractor.extract(path.read_text(encoding="utf-8"), path.stem)
            fh.write(json.dumps(result, ensure_ascii=False) + "\n")
    return out


def _results(results_dir: Path) -> list[dict]:
    return [json.loads(l) for l in (results_dir / "sources.jsonl").read_text(encoding="utf-8").splitlines()]


def test_the_store_holds_every_fact_and_building_twice_changes_nothing(results_dir, tmp_path):
    db = tmp_path / "facts.sqlite"
    counts = store.build([results_dir], db)
    results = _results(results_dir)
    assert counts == {"documents": 5, "facts": sum(len(r["facts"]) for r in results)}
    first = store.content(db)
    assert len(first) == counts["facts"]
    assert {(r[0], r[8], r[11]) for r in first} == {(r["doc_id"], f["subject"], f["value"])
                                                   for r in results for f in r["facts"]}
    store.build([results_dir], db)
    assert store.content(db) == first


def test_a_build_killed_midway_leaves_the_previous_content(results_dir, tmp_path):
    db = tmp_path / "facts.sqlite"
    store.build([results_dir], db)
    before = store.content(db)
    changed = tmp_path / "newer"
    changed.mkdir()
    with open(changed / "sources.jsonl", "w", encoding="utf-8") as fh:
        for r in _results(results_dir):
            r["facts"] = r["facts"][:1]  # a "newer model" with fewer facts
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    env = dict(os.environ, FISCAL_DATASET_KILL_AFTER="3")
    proc = subprocess.run([CLI, "dataset", "build", str(changed), "--db", str(db)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == -9
    assert store.content(db) == before
    subprocess.run([CLI, "dataset", "build", str(changed), "--db", str(db)],
                   cwd=ROOT, check=True, capture_output=True)
    assert len(store.content(db)) == 5  # the newer output replaced every document's rows


def test_the_000_002_link_is_found_and_its_restatements_checked(results_dir, tmp_path):
    db = tmp_path / "facts.sqlite"
    store.build([results_dir], db)
    checks = cross_checks(store.connect(db))
    pairs = {(c.later.doc_id[:3], c.earlier.doc_id[:3]) for c in checks if c.kind == "restated"}
    assert pairs == {("002", "000")}
    income = [c for c in checks if c.subject == "收入总计" and c.kind == "restated"]
    # 002: 收入总计 674.34万元，较 2021 年增加 82.51 万元 → 591.83 for 2021; 000 printed 428.59
    assert [(c.later.value, c.earlier.value, c.status) for c in income] == [("5918300", "4285900", "disagrees")]


def test_fiscal_data_package_validates_with_frictionless(results_dir, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    db = tmp_path / "facts.sqlite"
    store.build([results_dir], db)
    path = fdp.export(db, tmp_path / "fdp")
    report = frictionless.validate(str(path))
    assert report.valid, report.flatten(["type", "note"])[:5]
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    assert descriptor["model"]["measures"]["amount"]["currency"] == "CNY"
    rows = (tmp_path / "fdp" / "facts.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) > 100 and {"approved", "executed"} <= {r.split(",")[6] for r in rows[1:]}


def test_the_dask_build_on_a_local_cluster_equals_the_sqlite_build(results_dir, tmp_path):
    distributed = pytest.importorskip("distributed")
    from nlp.datasets.distributed import build_parquet, rows

    db = tmp_path / "facts.sqlite"
    store.build([results_dir], db)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        got = rows([results_dir], client)
        counts = build_parquet([results_dir, results_dir], tmp_path / "parts", client)  # each document twice
    assert got == store.content(db)
    # the partitioned Parquet build keeps one copy of each document and equals the SQLite store
    assert parquet.read(tmp_path / "parts") == store.content(db)
    assert counts == {"documents": 5, "facts": len(store.content(db))}


def test_parquet_export_equals_the_store_and_is_partitioned_by_year(results_dir, tmp_path):
    db = tmp_path / "facts.sqlite"
    store.build([results_dir], db)
    out = tmp_path / "pq"
    r = subprocess.run([CLI, "dataset", "export", str(out), "--format", "parquet", "--db", str(db)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert parquet.read(out) == store.content(db)
    years = {p.parent.name for p in out.rglob("*.parquet")}
    assert years == {f"doc_year={y or parquet.NO_YEAR}" for y in {row[4] for row in store.content(db)}}
    assert len(years) >= 2  # the sources span several years
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.parquet")}
    parquet.export(db, out)  # a second export of the same store: the same bytes
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*.parquet")} == first


CHROMIUM = next((c for c in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
                 if Path(c).exists()), None)
# Flags for a machine without network: no background connections, a fresh profile.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (.ci/run installs Debian's chromium)")
def test_the_department_report_renders_in_headless_chromium(results_dir, tmp_path):
    from nlp.datasets.report import render

    db = tmp_path / "facts.sqlite"
    store.build([results_dir], db)
    page = tmp_path / "report.html"
    page.write_text(render(db, "景德镇市医疗保障局"), encoding="utf-8")
    shot = tmp_path / "report.png"
    base = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1400"]
    subprocess.run([*base, f"--screenshot={shot}", page.as_uri()], check=True, capture_output=True, timeout=120)
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dom = subprocess.run([*base, "--dump-dom", page.as_uri()], check=True, capture_output=True, text=True,
                         timeout=120).stdout
    # what a reader sees: the department, a chart for 收入总计 with a bar per year, and the restatements
    assert "<h1>景德镇市医疗保障局</h1>" in dom
    assert 'data-subject="收入总计"' in dom
    income_chart = dom.split('data-subject="收入总计"')[1].split("</figure>")[0]
    assert "2021" in income_chart and "2022" in income_chart and income_chart.count("<rect") >= 2
    assert dom.count('class="check"') >= 1 and "591.83" in dom and "428.59" in dom
    if os.environ.get("FISCAL_WRITE_SCREENSHOTS"):  # refresh the picture in docs/
        (ROOT / "docs" / "img" / "dataset-report.png").write_bytes(shot.read_bytes())

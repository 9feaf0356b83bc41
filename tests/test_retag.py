"""Batch re-tagging (``nlp.batch``, ``fiscal-extract retag``) on the real sources.

The crafted extractors below are built by ``--extractor-factory tests.test_retag:NAME``; they
wrap the real extractor (or, to make the diff test independent of how many rules exist today,
a tiny test-only money/percent tagger) and change one thing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from nlp.batch import ExtractorSpec, JobConfig, JobError, run_job, write_diff
from nlp.batch.diff import render_markdown

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "annotations" / "sources"
SOURCE_FILES = sorted(SOURCES.glob("*.txt"))


# --------------------------------------------------------------------------- crafted extractors


def _exact(d: Decimal) -> str:
    return format(d.normalize(), "f")


def _ten_times(value: str) -> str:
    return _exact(Decimal(value) * 10)


def drop_percent_scale_money(result: dict[str, Any]) -> dict[str, Any]:
    """The 'rule change' under test: PERCENT is no longer tagged and money comes out ×10."""
    r = json.loads(json.dumps(result))
    r["model"] = {"name": r["model"]["name"], "version": r["model"]["version"] + "+variant"}
    r["entities"] = [e for e in r["entities"] if e["label"] != "PERCENT"]
    for e in r["entities"]:
        if e["label"] == "AMOUNT" and e.get("value") is not None:
            e["value"] = _ten_times(e["value"])
    kept = [f for f in r["facts"] if f["unit"] != "%"]
    for f in kept:
        if f["unit"] == "CNY":
            f["value"] = _ten_times(f["value"])
    r["facts"], r["checks"] = kept, []  # check indices would point at dropped facts
    return r


class _Wrapped:
    def __init__(self, inner: Any, transform=None, name: str | None = None, fail_on: str | None = None, delay: float = 0.0):
        self.inner, self.transform, self.fail_on, self.delay = inner, transform, fail_on, delay
        self.model_info = dict(inner.model_info)
        if name:
            self.model_info["name"] = name

    def extract(self, text: str, doc_id: str | None = None) -> dict[str, Any]:
        if self.fail_on is not None and self.fail_on in text:
            raise ValueError("crafted failure for this document")
        time.sleep(self.delay)
        r = self.inner.extract(text, doc_id)
        r["model"] = dict(self.model_info)
        return self.transform(r) if self.transform else r

    def pipe(self, items, batch_size: int = 16):
        for text, doc_id in items:
            yield self.extract(text, doc_id)


class ToyTagger:
    """Test-only: money (``N万元``) and percentages (``N%``) as entities and facts, so that the diff
    test has facts to compare whatever state the real rules are in."""

    model_info = {"name": "toy", "version": "1"}
    _money = re.compile(r"(?<![\d.])\d{1,15}+(?:\.\d{1,6}+)?万元")
    _pct = re.compile(r"(?<![\d.])\d{1,3}+(?:\.\d{1,4}+)?%")

    def extract(self, text: str, doc_id: str | None = None) -> dict[str, Any]:
        entities, facts = [], []
        for rx, label, unit, measure, scale in ((self._money, "AMOUNT", "CNY", "amount", 10000),
                                                 (self._pct, "PERCENT", "%", "share_pct", 1)):
            for m in rx.finditer(text):
                num = m.group().rstrip("万元%")
                value = _exact(Decimal(num) * scale)
                entities.append({"label": label, "start": m.start(), "end": m.end(), "text": m.group(), "value": value,
                                 "unit": unit})
                facts.append({"subject": None, "measure": measure, "value": value, "unit": unit,
                              "evidence": {"start": m.start(), "end": m.end()}})
        return {"doc_id": doc_id, "model": dict(self.model_info), "entities": entities, "facts": facts, "checks": []}

    def pipe(self, items, batch_size: int = 16):
        for text, doc_id in items:
            yield self.extract(text, doc_id)


def _real(model):
    from nlp import Extractor

    return Extractor.load(model)


def real_variant(model):
    return _Wrapped(_real(model), drop_percent_scale_money)


def toy(model):
    return ToyTagger()


def toy_variant(model):
    return _Wrapped(ToyTagger(), drop_percent_scale_money)


def failing_on_marker(model):
    # fails on the document that holds the first source's first line, nowhere else
    first_line = SOURCE_FILES[0].read_text(encoding="utf-8").splitlines()[0]
    return _Wrapped(_real(model), fail_on=first_line)


def slow_real(model):
    return _Wrapped(_real(model), delay=0.1)


# --------------------------------------------------------------------------- helpers


def _outputs(out: Path) -> list[dict[str, Any]]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rows = []
    for inp in manifest["inputs"]:
        rows += [json.loads(line) for line in (out / inp["output"]).read_text(encoding="utf-8").splitlines()]
    return rows


def _jsonl_corpus(path: Path, copies: int) -> list[str]:
    """The sources, ``copies`` times, as JSONL lines without ids; returns the expected doc ids."""
    texts = [p.read_text(encoding="utf-8") for p in SOURCE_FILES]
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(copies):
            for t in texts:
                f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    return [f"{path.name}:{i}" for i in range(1, copies * len(texts) + 1)]


def _job(inputs, out, **kw) -> JobConfig:
    kw.setdefault("workers", 1)
    kw.setdefault("progress", "none")
    return JobConfig(inputs=[str(i) for i in inputs], out=str(out), **kw)


def _cli(*args: str) -> list[str]:
    # run from the repository root, so the workers can import this module's crafted extractors
    return [sys.executable, "-c", "import sys; from service.cli import main; sys.exit(main())", "retag", *args]


# --------------------------------------------------------------------------- tests


def test_directory_input_mirrors_tree_with_stable_ids(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    for p in SOURCE_FILES[:2]:
        (corpus / p.name).write_bytes(p.read_bytes())
    (corpus / "sub" / "more.jsonl").write_text(
        json.dumps({"text": SOURCE_FILES[2].read_text(encoding="utf-8"), "doc_id": "third"}, ensure_ascii=False) + "\n"
        + json.dumps({"text": SOURCE_FILES[3].read_text(encoding="utf-8")}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    (corpus / "notes.md").write_text("not an input", encoding="utf-8")
    out = tmp_path / "out"
    report = run_job(_job([corpus], out))
    assert report.status == "complete"
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.jsonl") if ".retag" not in p.parts)
    assert names == sorted([f"corpus/{SOURCE_FILES[0].stem}.jsonl", f"corpus/{SOURCE_FILES[1].stem}.jsonl",
                            "corpus/sub/more.jsonl", "errors.jsonl"])
    ids = [r["doc_id"] for r in _outputs(out)]
    assert ids == [f"corpus/{SOURCE_FILES[0].name}", f"corpus/{SOURCE_FILES[1].name}", "third", "corpus/sub/more.jsonl:2"]
    manifest = report.manifest
    assert manifest["status"] == "complete" and manifest["counts"]["documents"] == 4 and manifest["counts"]["errors"] == 0
    assert manifest["model"]["name"] and manifest["model"]["version"]
    for entry in manifest["inputs"]:
        assert entry["sha256"] == hashlib.sha256(Path(entry["path"]).read_bytes()).hexdigest()
    # the results are the public API's results
    from nlp import Extractor

    expected = Extractor.load().extract(SOURCE_FILES[0].read_text(encoding="utf-8"), f"corpus/{SOURCE_FILES[0].name}")
    assert _outputs(out)[0] == json.loads(json.dumps(expected))


def test_rerun_of_finished_job_does_nothing_and_other_model_is_refused(tmp_path):
    corpus = tmp_path / "c.jsonl"
    ids = _jsonl_corpus(corpus, 1)
    out = tmp_path / "out"
    first = run_job(_job([corpus], out))
    assert first.status == "complete" and first.processed_now == len(ids)
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.rglob("*") if p.is_file() and ".retag" not in p.parts}
    again = run_job(_job([corpus], out))
    assert again.status == "already-complete" and again.processed_now == 0
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.rglob("*") if p.is_file() and ".retag" not in p.parts}
    assert after == before
    with pytest.raises(JobError, match="another model"):
        run_job(_job([corpus], out, spec=ExtractorSpec(factory="tests.test_retag:toy")))


def test_failing_documents_are_recorded_and_the_job_completes(tmp_path):
    corpus = tmp_path / "c.jsonl"
    ids = _jsonl_corpus(corpus, 1)
    first_text = SOURCE_FILES[1].read_text(encoding="utf-8")
    with open(corpus, "a", encoding="utf-8") as f:
        f.write("{not json\n")
        f.write(json.dumps({"id": "no-text"}) + "\n")
        f.write(json.dumps({"text": first_text, "doc_id": ids[1]}, ensure_ascii=False) + "\n")  # an id in use
    bad_txt = tmp_path / "latin1.txt"
    bad_txt.write_bytes("预算".encode("gb18030"))
    out = tmp_path / "out"
    report = run_job(_job([corpus, bad_txt], out, spec=ExtractorSpec(factory="tests.test_retag:failing_on_marker"),
                          chunk_docs=3))
    assert report.status == "complete"
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    by_id = {e["doc_id"]: e for e in errors}
    assert set(by_id) == {ids[0], f"{corpus.name}:6", "no-text", f"{corpus.name}:8", "latin1.txt"}
    assert f"duplicate doc_id {ids[1]!r}" in by_id[f"{corpus.name}:8"]["message"]
    assert by_id[ids[0]]["type"] == "ValueError" and "crafted failure" in by_id[ids[0]]["message"]
    assert "invalid JSON" in by_id[f"{corpus.name}:6"]["message"]
    assert "text" in by_id["no-text"]["message"] and "UTF-8" in by_id["latin1.txt"]["message"]
    # the other documents of the failing document's chunk were still extracted
    assert [r["doc_id"] for r in _outputs(out)] == ids[1:]
    c = report.manifest["counts"]
    assert (c["documents"], c["ok"], c["errors"]) == (len(ids) + 4, len(ids) - 1, 5)
    assert {e["doc_id"] for e in report.manifest["errors"]} == set(by_id)


def test_sigkill_mid_run_then_same_command_resumes_every_document_exactly_once(tmp_path):
    psutil = pytest.importorskip("psutil")
    corpus = tmp_path / "corpus.jsonl"
    ids = _jsonl_corpus(corpus, 3)  # 15 documents, a chunk each
    out = tmp_path / "out"
    cmd = _cli(str(corpus), "--out", str(out), "--workers", "1", "--chunk-size", "1", "--progress", "log",
               "--extractor-factory", "tests.test_retag:slow_real")
    parts = out / ".retag" / "parts"
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if parts.is_dir() and len(list(parts.glob("*.jsonl"))) >= 3:
            break
        time.sleep(0.02)
    assert proc.poll() is None, proc.communicate()
    workers = psutil.Process(proc.pid).children(recursive=True)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    n_parts = len(list(parts.glob("*.jsonl")))
    assert 3 <= n_parts < len(ids)
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["status"] == "running"
    assert not (out / "corpus.jsonl").exists()
    _, alive = psutil.wait_procs(workers, timeout=10)  # orphaned workers leave on their own
    assert not alive

    rerun = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"resuming: {n_parts} of {len(ids)} chunks already done" in rerun.stderr
    rows = _outputs(out)
    assert [r["doc_id"] for r in rows] == ids  # every document, once, in input order
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "complete" and manifest["counts"]["ok"] == len(ids)
    assert [r["resumed_with_chunks"] for r in manifest["timings"]["runs"]] == [0, n_parts]
    assert not parts.exists() and not list(out.rglob(".retag-tmp-*"))
    again = run_job(_job([corpus], out, chunk_docs=1, spec=ExtractorSpec(factory="tests.test_retag:slow_real")))
    assert again.status == "already-complete"


def _expected_diff(previous: list[dict[str, Any]]) -> dict[str, tuple]:
    """What drop_percent_scale_money must show, computed from the previous output alone."""
    exp = {}
    for r in previous:
        facts, ents = r["facts"], r["entities"]
        exp[r["doc_id"]] = (
            sorted((f["evidence"]["start"], f["value"], _ten_times(f["value"]))
                   for f in facts if f["unit"] == "CNY" and Decimal(f["value"]) != 0),  # 0 × 10 is no change
            sorted((f["evidence"]["start"], f["value"]) for f in facts if f["unit"] == "%"),
            sum(1 for e in ents if e["label"] == "PERCENT"),
            sum(1 for e in ents if e["label"] == "AMOUNT" and e.get("value") is not None and Decimal(e["value"]) != 0),
        )
    return exp


def _reported(report: dict[str, Any]) -> dict[str, tuple]:
    got = {}
    for d in report["documents"]:
        f, e = d["facts"], d["entities"]
        assert f["added"] == [] and e["added"] == []
        assert all(c["fields"] == ["value"] for c in f["changed"] + e["changed"])
        got[d["doc_id"]] = (
            sorted((c["before"]["evidence"]["start"], c["before"]["value"], c["after"]["value"]) for c in f["changed"]),
            sorted((x["evidence"]["start"], x["value"]) for x in f["removed"]),
            len(e["removed"]),
            len(e["changed"]),
        )
    return got


@pytest.mark.parametrize("base, variant, must_change", [
    ("", "tests.test_retag:real_variant", False),  # the real extractor: however many facts it finds today
    ("tests.test_retag:toy", "tests.test_retag:toy_variant", True),  # guaranteed facts to change
])
def test_diff_reports_exactly_the_changed_facts(tmp_path, base, variant, must_change):
    before, after = tmp_path / "before", tmp_path / "after"
    run_job(_job([SOURCES], before, spec=ExtractorSpec(factory=base or None)))
    run_job(_job([SOURCES], after, spec=ExtractorSpec(factory=variant)))
    report = write_diff(before, after)
    expected = {k: v for k, v in _expected_diff(_outputs(before)).items() if any(v)}
    assert _reported(report) == expected
    if must_change:
        assert len(expected) == len(SOURCE_FILES)
        assert report["totals"]["facts"]["changed"] > 0 and report["totals"]["facts"]["removed"] > 0
    t = report["totals"]
    assert t["facts"]["changed"] == sum(len(v[0]) for v in expected.values())
    assert t["facts"]["removed"] == sum(len(v[1]) for v in expected.values())
    assert t["facts"]["added"] == 0 and t["documents"]["compared"] == len(SOURCE_FILES)
    assert json.loads((after / "diff.json").read_text(encoding="utf-8")) == json.loads(json.dumps(report))
    page = (after / "diff.md").read_text(encoding="utf-8")
    assert page == render_markdown(report) and f"| facts | {t['facts']['previous']} |" in page
    # a run compared with itself: nothing changed
    same = write_diff(before, before, out=tmp_path)
    assert same["documents"] == [] and same["totals"]["documents"]["unchanged"] == len(SOURCE_FILES)


def test_cli_diff_on_finished_output_and_bad_input_errors(tmp_path):
    before, after = tmp_path / "before", tmp_path / "after"
    run_job(_job([SOURCES], before, spec=ExtractorSpec(factory="tests.test_retag:toy")))
    run_job(_job([SOURCES], after, spec=ExtractorSpec(factory="tests.test_retag:toy_variant")))
    r = subprocess.run(_cli("--out", str(after), "--diff", str(before)), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert re.search(r"diff: 5/5 documents changed; facts \+0 −\d+ ~\d+", r.stdout)
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / SOURCE_FILES[0].name).write_bytes(SOURCE_FILES[0].read_bytes())
    clash = subprocess.run(_cli(str(a / SOURCE_FILES[0].name), str(b / SOURCE_FILES[0].name), "--out", str(tmp_path / "o")),
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert clash.returncode == 2 and "would both be written" in clash.stderr
    missing = subprocess.run(_cli(str(tmp_path / "nope.txt"), "--out", str(tmp_path / "o")), cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "no such file" in missing.stderr


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_output_as_processes(tmp_path):
    # the toy tagger: byte-identical output must not depend on rules being edited while the test runs
    pytest.importorskip("distributed")
    corpus = tmp_path / "c.jsonl"
    ids = _jsonl_corpus(corpus, 1)
    spec = ExtractorSpec(factory="tests.test_retag:toy")
    a, b = tmp_path / "procs", tmp_path / "dask"
    run_job(_job([corpus], a, chunk_docs=2, spec=spec))
    report = run_job(_job([corpus], b, chunk_docs=2, spec=spec, scheduler="local"))
    assert report.manifest["timings"]["runs"][0]["scheduler"] == "local"
    assert report.manifest["counts"]["facts"] > 0
    assert (a / "c.jsonl").read_bytes() == (b / "c.jsonl").read_bytes()
    assert [r["doc_id"] for r in _outputs(b)] == ids
    # an existing cluster, reached by its address: the --scheduler tcp://HOST:8786 path
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        c = tmp_path / "cluster"
        report = run_job(_job([corpus], c, chunk_docs=2, spec=spec, scheduler=cluster.scheduler_address))
    assert report.manifest["timings"]["runs"][0]["scheduler"].startswith("tcp://")
    assert (a / "c.jsonl").read_bytes() == (c / "c.jsonl").read_bytes()

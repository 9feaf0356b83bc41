"""Reliability of the gold (issue 20, faults 1-4), through the real CLI, server and filesystem.

1. One writer: concurrent webhook updates (12 and 100, real uvicorn server) and concurrent
   ``annotate import`` runs (20 trials) all land; ``annotate edit`` and training's reads wait
   for the lock.
2. A multi-file import is one unit: a SIGKILL injected after every step of the commit
   (``FISCAL_GOLD_CRASH_AFTER``) leaves all-old or all-new once the next run has looked, and
   ``annotate validate`` reports what the crash left.
3. Records must name a document with a source; doc ids match the strict pattern.
4. One unreadable line (100k ``[``) fails that document only in ``retag`` and is a clear error
   in ``import``; a numeric doc_id is refused with a message.

Every test works on temporary copies of annotations/ (never the repository's).
"""

from __future__ import annotations

import concurrent.futures as cf
import copy
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "annotations" / "gold"
SOURCES = ROOT / "annotations" / "sources"
CLI = [str(Path(sys.executable).parent / "fiscal-extract")]
if not Path(CLI[0]).exists():  # not in a virtualenv with the console script: the same entry point
    CLI = [sys.executable, "-c", "import sys; from service.cli import main; sys.exit(main())"]
TOKEN = "reliability-token"
BIG = "002_100750d5db1f2fce"  # 271 records, over 100 of them with a span that carries no fact
SMALL = "004_bd253d31d99d6327"
THREE = ("000_151e3cc1a638edf9", "003_5a2dd30d76d26ec5", SMALL)


# --- helpers ----------------------------------------------------------------------------------


def run_cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def make_annotations(tmp: Path, docs) -> Path:
    """A temporary ``annotations/`` with ``gold/`` and ``sources/`` copies of ``docs``; returns gold/."""
    gold, src = tmp / "annotations" / "gold", tmp / "annotations" / "sources"
    gold.mkdir(parents=True)
    src.mkdir()
    for d in docs:
        shutil.copyfile(GOLD / f"{d}.jsonl", gold / f"{d}.jsonl")
        shutil.copyfile(SOURCES / f"{d}.txt", src / f"{d}.txt")
    return gold


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def edits(doc_id: str, n: int, unique: bool = False) -> list[tuple[dict, dict]]:
    """``n`` (old, new) pairs of reviewed records of ``doc_id``: new = one fact-free span removed,
    carrying the fingerprint it was exported with (a clean, non-conflicting update)."""
    from nlp.annotation.interchange.common import BASE_KEY, spans_fingerprint

    out = []
    for rec in lines(GOLD / f"{doc_id}.jsonl"):
        evidence = {(f["evidence"]["start"], f["evidence"]["end"]) for f in rec["facts"]}
        free = [s for s in rec["spans"] if (s["start"], s["end"]) not in evidence
                and (not unique or rec["text"].count(s["text"]) == 1)]  # unique: `annotate edit` finds it by surface
        if rec["status"] == "reviewed" and free:
            new = copy.deepcopy(rec)
            new["spans"] = [s for s in rec["spans"] if s is not free[-1]]
            new[BASE_KEY] = spans_fingerprint(rec["spans"])
            out.append((rec, new))
        if len(out) == n:
            return out
    raise AssertionError(f"{doc_id}: fewer than {n} editable records")


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def by_id(gold: Path, doc_id: str) -> dict[str, dict]:
    return {r["record_id"]: r for r in lines(gold / f"{doc_id}.jsonl")}


def landed(gold: Path, doc_id: str, new: dict) -> bool:
    return by_id(gold, doc_id)[new["record_id"]]["spans"] == new["spans"]


def snapshot(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def leftovers(gold: Path) -> list[str]:
    return sorted(p.name for p in gold.iterdir() if p.name.startswith("."))


# --- 1. one writer ----------------------------------------------------------------------------


def test_two_concurrent_imports_both_land_20_times(tmp_path):
    """Two ``annotate import`` runs changing two records of one document at the same moment:
    before the lock, one change was lost in 2 of 5 trials with both runs exiting 0."""
    pairs = edits(SMALL, 2)
    trials = []
    for t in range(20):
        gold = make_annotations(tmp_path / f"t{t}", [SMALL])
        files = [write_jsonl(tmp_path / f"t{t}" / f"imp{i}.jsonl", [new]) for i, (_, new) in enumerate(pairs)]
        trials.append((gold, files))

    def trial(gold_files):
        gold, files = gold_files
        procs = [subprocess.Popen([*CLI, "annotate", "import", str(f), "--into", str(gold)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in files]
        return gold, [(p.wait(120), p.stderr.read()) for p in procs]

    with cf.ThreadPoolExecutor(4) as pool:  # four trials at a time, each two processes racing
        for gold, results in pool.map(trial, trials):
            assert all(rc == 0 for rc, _ in results), results
            assert all(landed(gold, SMALL, new) for _, new in pairs), f"{gold}: a change was lost"
            assert leftovers(gold) == []


def test_edit_and_import_at_once_both_land(tmp_path):
    (_, a), (old_b, b) = edits(SMALL, 2, unique=True)
    for t in range(3):
        gold = make_annotations(tmp_path / f"e{t}", [SMALL])
        imp = write_jsonl(tmp_path / f"e{t}" / "imp.jsonl", [a])
        span = next(s for s in old_b["spans"] if s not in b["spans"])
        n = b["record_id"].split("#")[1]
        procs = [subprocess.Popen([*CLI, "annotate", "import", str(imp), "--into", str(gold)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE),
                 subprocess.Popen([*CLI, "annotate", "edit", str(gold / f"{SMALL}.jsonl"), "remove-span", n,
                                   span["text"], "--label", span["label"]], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)]
        assert [p.wait(120) for p in procs] == [0, 0], [p.stderr.read() for p in procs]
        assert landed(gold, SMALL, a) and landed(gold, SMALL, b)


def _hold_lock(gold: Path):
    from nlp.annotation.lock import lock_path

    fd = os.open(lock_path(gold), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_every_writer_and_training_waits_for_the_lock(tmp_path):
    """While another process holds annotations/.gold.lock, import, edit and the training read
    wait for it, and say so clearly when their wait runs out; nothing is written meanwhile."""
    gold = make_annotations(tmp_path, [SMALL])
    (_, new), = edits(SMALL, 1)
    imp = write_jsonl(tmp_path / "imp.jsonl", [new])
    before = snapshot(gold)
    fd = _hold_lock(gold)
    try:
        env = {"FISCAL_GOLD_LOCK_TIMEOUT": "1"}
        r = run_cli("annotate", "import", imp, "--into", gold, env=env)
        assert r.returncode == 1 and "another process holds" in r.stderr and "Traceback" not in r.stderr
        r = run_cli("annotate", "edit", gold / f"{SMALL}.jsonl", "reviewed", "all", env=env)
        assert r.returncode == 2 and "another process holds" in r.stderr and "Traceback" not in r.stderr
        code = ("import sys; from nlp.annotation.lock import GoldLockTimeout; from nlp.ml.dataset import load_gold_snapshot\n"
                f"try: load_gold_snapshot({str(gold)!r}, {str(gold.parent / 'sources')!r})\n"
                "except GoldLockTimeout: sys.exit(3)")
        assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env}, timeout=60).returncode == 3
        assert snapshot(gold) == before
        # a waiting import goes ahead once the lock is released
        waiting = subprocess.Popen([*CLI, "annotate", "import", str(imp), "--into", str(gold)], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.5)
        assert waiting.poll() is None and snapshot(gold) == before
    finally:
        os.close(fd)
    assert waiting.wait(60) == 0 and landed(gold, SMALL, new)


def test_a_stale_goldfile_save_is_refused(tmp_path):
    """GoldFile (the Python editing API) read before an import landed must not overwrite it."""
    from nlp.annotation.edit import EditError, GoldFile

    gold = make_annotations(tmp_path, [SMALL])
    (_, a), (_, b) = edits(SMALL, 2)
    gf = GoldFile(gold / f"{SMALL}.jsonl")
    assert run_cli("annotate", "import", write_jsonl(tmp_path / "a.jsonl", [a]), "--into", gold).returncode == 0
    gf.reviewed(b["record_id"])
    with pytest.raises(EditError, match="changed on disk"):
        gf.save()
    assert landed(gold, SMALL, a)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from bench.load import running_server

    tmp = tmp_path_factory.mktemp("webhook")
    gold = make_annotations(tmp, [BIG])
    env = {"FISCAL_ANNOTATION_TOKEN": TOKEN, "FISCAL_GOLD_DIR": str(gold), "FISCAL_RULES_ONLY": "1",
           "FISCAL_RETRAIN_COMMAND": f"{sys.executable} -c pass"}  # never train on the repository's gold here
    with running_server(env=env, log_path=tmp / "server.log") as (base, proc):
        yield base, gold


def _webhook_payload(i: int, old: dict, new: dict) -> dict:
    from nlp.annotation.interchange import labelstudio as ls

    task = ls.to_task(old)
    result = ls.to_task({**new, "status": "reviewed"})["annotations"][0]["result"]
    return {"action": "ANNOTATION_UPDATED", "project": {"id": 1}, "task": {"id": i, "data": task["data"]},
            "annotation": {"id": 1000 + i, "result": result, "was_cancelled": False, "completed_by": 1}}


@pytest.mark.parametrize("n", [12, 100])
def test_concurrent_webhook_updates_all_land(server, n):
    """``n`` annotators submit at once, each a different record of one document: every 201 is in
    the gold (before the lock: 2 of 12 reached it)."""
    import httpx

    base, gold = server
    pairs = [p for p in edits(BIG, 112) if not landed(gold, BIG, p[1])][:n]  # the 12 run first, on other records
    assert len(pairs) == n
    with httpx.Client(base_url=base, timeout=120, limits=httpx.Limits(max_connections=n)) as client:
        def post(i):
            return client.post("/label-studio/webhook", json=_webhook_payload(i, *pairs[i]),
                               headers={"Authorization": f"Bearer {TOKEN}"})

        with cf.ThreadPoolExecutor(n) as pool:
            replies = list(pool.map(post, range(n)))
    assert [r.status_code for r in replies] == [201] * n, [r.text for r in replies if r.status_code != 201][:3]
    assert all(r.json()["imported"]["updated"] == 1 for r in replies)
    now = by_id(gold, BIG)
    lost = [new["record_id"] for _, new in pairs if now[new["record_id"]]["spans"] != new["spans"]]
    assert lost == [], f"{len(lost)} of {n} acknowledged updates are not in the gold"
    assert leftovers(gold) == []


# --- 2. all or nothing across files ----------------------------------------------------------

# steps of a 3-file commit: 3 temp files, the journal (commit point), 3 renames, journal deleted
STEPS = 3 + 1 + 3 + 1


@pytest.fixture(scope="module")
def three_doc_import(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crash")
    gold = make_annotations(tmp / "ref", THREE)
    news = [edits(d, 1)[0][1] for d in THREE]
    old = snapshot(gold)
    imp = write_jsonl(tmp / "imp.jsonl", news)
    assert run_cli("annotate", "import", imp, "--into", gold).returncode == 0
    new = snapshot(gold)
    assert len([n for n in new if new[n] != old[n]]) == 3
    return tmp, imp, old, new


@pytest.mark.parametrize("step", range(1, STEPS + 1))
def test_kill_9_after_any_step_leaves_all_old_or_all_new(three_doc_import, step, tmp_path):
    tmp, imp, old, new = three_doc_import
    gold = make_annotations(tmp_path, THREE)
    r = run_cli("annotate", "import", imp, "--into", gold, env={"FISCAL_GOLD_CRASH_AFTER": str(step)})
    assert r.returncode == -9, (r.returncode, r.stderr)
    committed = step >= 4  # the journal is the commit point
    left = leftovers(gold)
    if step < STEPS:
        assert left, "a crash mid-commit leaves its temp files or journal behind"
        assert (".journal.json" in left) == committed
    else:
        assert left == [] and snapshot(gold) == new
    if step in (2, 5):  # annotate validate names the leftovers (exit 1)
        v = run_cli("annotate", "validate", gold)
        assert v.returncode == 1
        assert ("unfinished commit" in v.stdout) == committed and "leftover temp file" in v.stdout
    # the next run (here a dry run of the same import) finishes or rolls back first
    r = run_cli("annotate", "import", imp, "--into", gold, "--dry-run", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert leftovers(gold) == []
    assert snapshot(gold) == (new if committed else old)
    assert (report["updated"], report["unchanged"]) == ((0, 3) if committed else (3, 0))


def test_validate_reports_leftovers_and_a_broken_journal(tmp_path):
    gold = make_annotations(tmp_path, [SMALL])
    assert run_cli("annotate", "validate", gold).returncode == 0
    (gold / ".journal.json").write_text("{not json", encoding="utf-8")
    v = run_cli("annotate", "validate", gold)
    assert v.returncode == 1 and "unreadable journal" in v.stdout
    (_, new), = edits(SMALL, 1)
    r = run_cli("annotate", "import", write_jsonl(tmp_path / "i.jsonl", [new]), "--into", gold)
    assert r.returncode == 1 and "unreadable journal" in r.stderr and "Traceback" not in r.stderr


# --- 3. records name a document with a source -------------------------------------------------


def test_existing_doc_ids_pass_the_pattern():
    from nlp.annotation.records import doc_id_problem

    roots = [ROOT / "annotations" / d for d in ("gold", "pre", "seed", "sources", "dev/gold", "dev/sources")]
    ids = {p.stem for r in roots if r.is_dir() for p in r.iterdir() if p.suffix in (".jsonl", ".txt")}
    assert len(ids) >= 5
    assert {i: doc_id_problem(i) for i in ids if doc_id_problem(i)} == {}


@pytest.mark.parametrize("doc_id,why", [
    (".", "does not match"), ("..", "does not match"), ("../../etc", "does not match"), ("Upper", "does not match"),
    ("a.b", "does not match"), ("x" * 65, "does not match"), (12, "must be a string, got a number"),
    ("no-such-doc", "no source"),
])
def test_import_refuses_records_without_a_document(tmp_path, doc_id, why):
    gold = make_annotations(tmp_path, [SMALL])
    (_, good), = edits(SMALL, 1)
    bad = {**good, "doc_id": doc_id, "record_id": f"{doc_id}#0000", "offset": 0}
    bad.pop("base", None)
    imp = write_jsonl(tmp_path / "i.jsonl", [good, bad])
    before, around = snapshot(gold), sorted(p.name for p in tmp_path.rglob("*"))
    r = run_cli("annotate", "import", imp, "--into", gold, "--on-conflict", "import")
    assert r.returncode == 1 and why in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert snapshot(gold) == before and not landed(gold, SMALL, good)  # all or nothing
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted([*around, ".gold.lock"])  # no ...jsonl anywhere


# --- 4. one bad line fails one document -------------------------------------------------------


def tiny(model):  # --extractor-factory tests.test_reliability_gold:tiny (no model to load)
    class Tiny:
        model_info = {"name": "tiny", "version": "1"}

        def extract(self, text, doc_id=None):
            return {"doc_id": doc_id, "model": dict(self.model_info), "entities": [], "facts": [], "checks": []}

        def pipe(self, items, batch_size=16):
            for text, doc_id in items:
                yield self.extract(text, doc_id)

    return Tiny()


def test_retag_survives_a_deeply_nested_line_and_refuses_a_numeric_id(tmp_path):
    good = [{"text": f"收入{i}万元", "doc_id": f"d{i}"} for i in range(5)]
    rows = [json.dumps(good[0]), "[" * 100_000, json.dumps(good[1]), '{"text": "x", "doc_id": 7}',
            '{"text": "y", "a": ' + "[" * 5000 + "]" * 5000 + "}", json.dumps({"text": "z", "id": 8.5}),
            *map(json.dumps, good[2:])]
    corpus = tmp_path / "in.jsonl"
    corpus.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    r = run_cli("retag", corpus, "--out", out, "--workers", "1", "--progress", "none",
                "--extractor-factory", "tests.test_reliability_gold:tiny", env={"PYTHONPATH": str(ROOT)})
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
    done = [json.loads(x)["doc_id"] for x in (out / "in.jsonl").read_text().splitlines()]
    assert done == [g["doc_id"] for g in good]
    errors = {e["line"]: e["message"] for e in map(json.loads, (out / "errors.jsonl").read_text().splitlines())}
    assert set(errors) == {2, 4, 5, 6}
    assert "nested too deeply" in errors[2] and "nested too deeply" in errors[5]
    assert "'doc_id' must be a string, got a number (7)" in errors[4]
    assert "'id' must be a string, got a number (8.5)" in errors[6]


@pytest.mark.parametrize("name,content", [
    ("deep.jsonl", "[" * 100_000 + "\n"),
    ("deep.json", "[" * 100_000),
    ("deep2.jsonl", None),  # a gold record whose spans nest 900 deep: parses, cannot be validated
])
def test_import_of_a_deeply_nested_file_is_a_clear_error(tmp_path, name, content):
    gold = make_annotations(tmp_path, [SMALL])
    if content is None:
        (_, rec), = edits(SMALL, 1)
        content = json.dumps(rec, ensure_ascii=False).replace('"spans": [', '"spans": [' + "[" * 900 + "]" * 900 + ", ", 1) + "\n"
    f = tmp_path / name
    f.write_text(content, encoding="utf-8")
    before = snapshot(gold)
    fmt = ["--format", "jsonl"] if name == "deep2.jsonl" else []
    r = run_cli("annotate", "import", f, "--into", gold, *fmt)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert "nothing imported" in r.stderr or "error:" in r.stderr
    assert snapshot(gold) == before


def test_cli_systems_constant_matches_training():
    from nlp.ml.train import SYSTEMS
    from service.cli.evaluate import SYSTEMS as CLI_SYSTEMS

    assert CLI_SYSTEMS == SYSTEMS

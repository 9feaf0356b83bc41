"""A real Label Studio (issue 19): a new document from ``annotate new`` to the gold, through
Label Studio's REST API, with our service connected as its ML backend.

Label Studio lives in its own virtual environment (``.ci/label-studio-venv`` installs the version
pinned in pyproject.toml's ``integration`` extra into ``~/.cache/fiscal-ls-venv``), never in the
project's. The test runs only with ``FISCAL_INTEGRATION=1`` (``.ci/run`` sets it in a step of
its own, with its own time bound) and says why when it skips.

The walk: ``annotate new`` + ``annotate export`` → create a Label Studio project with the exported
config → import the tasks → connect ``/label-studio`` (Basic auth, password = the annotation
token; Label Studio started with ``ML_BLOCK_LOCAL_IP=false`` and ``SSRF_PROTECTION_ENABLED=false``
since the backend is on 127.0.0.1) → retrieve the backend's predictions → submit annotations:
every exported prediction accepted as it is, except one fact's subject relation moved to another
subject span and one span's boundary changed → export → ``annotate import`` → the gold is the
pre-annotation with exactly those two changes. Then a refused retrain shows as an error in
Label Studio and stays one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bench.load import running_server
from nlp.annotation.interchange.common import CHECK_FLAGS, subject_of_span

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "fiscal-extract")
LS_VENV = Path(os.environ.get("FISCAL_LS_VENV") or Path.home() / ".cache" / "fiscal-ls-venv")
LS_BIN = LS_VENV / "bin" / "label-studio"
USER, PASSWORD, LS_TOKEN = "annotator@example.com", "fiscal-test-pass", "fiscal-ls-token-0123456789"
ML_TOKEN = "fiscal-ml-token"
NEW_DOC = ROOT / "annotations" / "dev" / "sources" / "p03-hn-gonganju.txt"  # a dev-split department
STARTUP_S = 240


def _pinned_version() -> str:
    import tomllib

    extra = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    spec = next(s for s in extra["integration"] if s.startswith("label-studio"))
    return spec.split("==", 1)[1]


def _installed_version() -> str | None:
    if not LS_BIN.exists():
        return None
    r = subprocess.run([str(LS_VENV / "bin" / "python"), "-c",
                        "import importlib.metadata as m; print(m.version('label-studio'))"],
                       capture_output=True, text=True, timeout=60)
    return r.stdout.strip() if r.returncode == 0 else None


@pytest.fixture(scope="module")
def label_studio_ready() -> str:
    if os.environ.get("FISCAL_INTEGRATION") != "1":
        pytest.skip("SKIPPED: the live Label Studio test runs with FISCAL_INTEGRATION=1 (.ci/run's integration step)")
    want, have = _pinned_version(), _installed_version()
    if have is None:
        pytest.skip(f"SKIPPED: label-studio is not installed in {LS_VENV} (run .ci/label-studio-venv)")
    if have != want:
        pytest.skip(f"SKIPPED: {LS_VENV} has label-studio {have}, the integration extra pins {want} "
                    "(run .ci/label-studio-venv)")
    return have


def _ls_env(data: Path) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith(("FISCAL_", "VIRTUAL_ENV"))},
            "LABEL_STUDIO_BASE_DATA_DIR": str(data),
            # the ML backend is on 127.0.0.1: Label Studio >= 1.23 refuses it (and the webhook it
            # creates for it) without these two
            "ML_BLOCK_LOCAL_IP": "false", "SSRF_PROTECTION_ENABLED": "false",
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true", "PATH": f"{LS_VENV / 'bin'}:{os.environ.get('PATH', '')}"}


def _template(version: str) -> Path:
    """A data directory with Label Studio's database migrated and our user and token in it, made
    once per version (``label-studio init`` takes minutes; a copy of it starts in seconds)."""
    tpl = LS_VENV / f"data-template-{version}"
    with open(LS_VENV / ".template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (tpl / "label_studio.sqlite3").exists():
            work = LS_VENV / f".data-template-{version}.tmp"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            r = subprocess.run([str(LS_BIN), "init", "--data-dir", str(work), "--username", USER, "--password", PASSWORD,
                                "--user-token", LS_TOKEN, "--enable-legacy-api-token", "-q"],
                               cwd=work, env=_ls_env(work), capture_output=True, text=True, timeout=900)
            assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
            shutil.rmtree(tpl, ignore_errors=True)
            work.rename(tpl)
    return tpl


@pytest.fixture(scope="module")
def label_studio(label_studio_ready, tmp_path_factory):
    from bench.load import free_port

    data = tmp_path_factory.mktemp("ls-data")
    shutil.copytree(_template(label_studio_ready), data, dirs_exist_ok=True)
    port = free_port()
    log = data / "label-studio.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen([str(LS_BIN), "start", "--no-browser", "--host", "127.0.0.1", "--port", str(port),
                                 "--data-dir", str(data)], cwd=data, env=_ls_env(data), stdout=fh,
                                stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"label-studio exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/health", timeout=3).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"label-studio not up in {STARTUP_S} s: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(1)
        with httpx.Client(base_url=base, headers={"Authorization": f"Token {LS_TOKEN}"}, timeout=180) as client:
            yield client
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("annotator-project")
    (p / "annotations" / "sources").mkdir(parents=True)
    (p / "annotations" / "gold").mkdir()
    return p


def _cli(project: Path, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FISCAL_")}
    return subprocess.run([CLI, *map(str, args)], cwd=project, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def exported(project) -> tuple[list[dict], str, list[dict]]:
    """(tasks, labeling config, pre-annotated records) of a new document."""
    new = project / "湖南红旗分局2024预算.txt"
    new.write_bytes(NEW_DOC.read_bytes())
    r = _cli(project, "annotate", "new", new.name, "--doc-id", "hongqi-2024")
    assert r.returncode == 0, r.stderr
    r = _cli(project, "annotate", "export", "annotations/pre/hongqi-2024.jsonl", "-f", "labelstudio", "-o", "tasks.json")
    assert r.returncode == 0, r.stderr
    pre = [json.loads(line) for line in (project / "annotations" / "pre" / "hongqi-2024.jsonl").read_text().splitlines()]
    tasks = json.loads((project / "tasks.json").read_text(encoding="utf-8"))
    return tasks, (project / "tasks.config.xml").read_text(encoding="utf-8"), pre


@pytest.fixture(scope="module")
def backend(project):
    env = {"FISCAL_PROJECT": str(project), "FISCAL_ANNOTATION_TOKEN": ML_TOKEN, "FISCAL_RETRAIN_COMMAND": "true"}
    with running_server(env=env, startup_timeout=180) as (base, _):
        yield base


def _regions(result):
    return {r["id"]: r for r in result if r.get("type") == "labels"}


def _annotator_changes(tasks: list[dict]) -> tuple[int, dict, int, dict]:
    """Where the annotator disagrees with the model: (task index, fact change, task index, span change).

    - a figure's subject relation moves from one SUBJECT span to another of the same record;
    - the longest SUBJECT span no relation touches loses its last character."""
    fact_change = span_change = None
    for i, t in enumerate(tasks):
        res = t["predictions"][0]["result"]
        regs = _regions(res)
        subjects = [r for r in regs.values() if r["value"]["labels"] == ["SUBJECT"]]
        rels = [r for r in res if r.get("type") == "relation"]
        if fact_change is None:
            for rel in rels:
                if rel["labels"] == ["subject"]:
                    old = regs[rel["to_id"]]
                    other = next((s for s in subjects if subject_of_span(s["value"]["text"]) != subject_of_span(old["value"]["text"])), None)
                    if other is not None:
                        fact_change = (i, {"relation": rel, "to": other})
                        break
    for i, t in enumerate(tasks):
        if fact_change and i == fact_change[0]:
            continue
        res = t["predictions"][0]["result"]
        touched = {x for r in res if r.get("type") == "relation" for x in (r["from_id"], r["to_id"])}
        free = [r for r in _regions(res).values() if r["value"]["labels"] == ["SUBJECT"] and r["id"] not in touched
                and len(r["value"]["text"]) >= 3]
        if free and (span_change is None or len(free[0]["value"]["text"]) > len(span_change[1]["value"]["text"])):
            span_change = (i, max(free, key=lambda r: len(r["value"]["text"])))
    assert fact_change and span_change, "the new document needs a record with two subjects and a free subject span"
    return fact_change[0], fact_change[1], span_change[0], span_change[1]


def test_a_new_document_through_a_real_label_studio(label_studio, backend, exported, project):
    tasks, config, pre = exported
    ls = label_studio
    # every check output travels as a read-only hint, none as an answer
    assert any(t["data"]["hints"] for t in tasks)
    for t in tasks:
        for item in t["predictions"][0]["result"]:
            assert not set(CHECK_FLAGS) & set(item.get("value", {}).get("choices", []))

    r = ls.post("/api/projects", json={"title": "hongqi-2024", "label_config": config})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = ls.post(f"/api/projects/{pid}/import", json=tasks)
    assert r.status_code == 201 and r.json()["task_count"] == len(tasks), r.text
    r = ls.post("/api/ml", json={"project": pid, "url": f"{backend}/label-studio", "title": "fiscal-extract",
                                 "auth_method": "BASIC_AUTH", "basic_auth_user": "label-studio",
                                 "basic_auth_pass": ML_TOKEN})
    assert r.status_code == 201 and r.json()["state"] == "CO", r.text
    ml_id = r.json()["id"]

    ls_tasks = ls.get("/api/tasks", params={"project": pid, "page_size": 1000}).json()["tasks"]
    by_record = {t["data"]["record_id"]: t for t in ls_tasks}
    r = ls.post("/api/dm/actions", params={"id": "retrieve_tasks_predictions", "project": pid},
                json={"selectedItems": {"all": True, "excluded": []}})
    assert r.status_code == 200, r.text
    backend_predictions = {}
    for t in ls_tasks:
        preds = ls.get("/api/predictions", params={"task": t["id"]}).json()
        ours = [p for p in preds if p["model_version"] == "fiscal-zh-0.1.0"]
        assert ours, f"no prediction from the ML backend for {t['data']['record_id']}"
        backend_predictions[t["data"]["record_id"]] = ours[-1]["result"]
    assert any(any(x["type"] == "relation" for x in res) for res in backend_predictions.values())

    # the annotator: accepts the exported predictions, moves one subject relation, changes one span
    fi, fact, si, span = _annotator_changes(tasks)
    for i, t in enumerate(tasks):
        result = json.loads(json.dumps(t["predictions"][0]["result"]))
        if i == fi:
            rel = next(x for x in result if x.get("type") == "relation" and x["from_id"] == fact["relation"]["from_id"]
                       and x["to_id"] == fact["relation"]["to_id"])
            rel["to_id"] = fact["to"]["id"]
        if i == si:
            for x in result:
                if x.get("id") == span["id"] and x.get("type") == "labels":
                    x["value"]["end"] -= 1
                    x["value"]["text"] = x["value"]["text"][:-1]
        task_id = by_record[t["data"]["record_id"]]["id"]
        r = ls.post(f"/api/tasks/{task_id}/annotations", json={"result": result, "was_cancelled": False})
        assert r.status_code == 201, r.text

    r = ls.get(f"/api/projects/{pid}/export", params={"exportType": "JSON", "download_all_tasks": "true"})
    assert r.status_code == 200, r.text
    (project / "from-label-studio.json").write_text(r.text, encoding="utf-8")
    r = _cli(project, "annotate", "import", "from-label-studio.json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{len(tasks)} added" in r.stderr

    gold = [json.loads(line) for line in (project / "annotations" / "gold" / "hongqi-2024.jsonl").read_text().splitlines()]
    want = json.loads(json.dumps(pre))
    for rec in want:
        rec["status"] = "reviewed"
        for f in rec["facts"]:
            f["flags"] = [x for x in f["flags"] if x not in CHECK_FLAGS]
    rec = want[fi]
    fig = _regions(tasks[fi]["predictions"][0]["result"])[fact["relation"]["from_id"]]["value"]
    moved = next(f for f in rec["facts"] if (f["evidence"]["start"], f["evidence"]["end"]) == (fig["start"], fig["end"]))
    assert moved["subject"] != subject_of_span(fact["to"]["value"]["text"])
    moved["subject"] = subject_of_span(fact["to"]["value"]["text"])
    rec = want[si]
    changed = next(s for s in rec["spans"] if (s["start"], s["end"]) == (span["value"]["start"], span["value"]["end"]))
    changed["end"] -= 1
    changed["text"] = changed["text"][:-1]
    assert gold == want  # exactly the two changes; every other accepted prediction as it was

    r = _cli(project, "annotate", "validate")
    assert r.returncode == 0, r.stdout + r.stderr

    # the backend's own predictions are reviewable as they are: accepted, they would import cleanly
    export = json.loads((project / "from-label-studio.json").read_text(encoding="utf-8"))
    for t in export:
        t["annotations"] = [{"result": backend_predictions[t["data"]["record_id"]], "was_cancelled": False}]
    (project / "backend-accepted.json").write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    (project / "annotations" / "gold-backend").mkdir(exist_ok=True)
    r = _cli(project, "annotate", "import", "backend-accepted.json", "--into", "annotations/gold-backend",
             "--sources", "annotations/sources", "--dry-run")
    assert r.returncode == 0 and f"{len(tasks)} added" in r.stderr, r.stdout + r.stderr

    # "Start training" with the token: queued on our side, and Label Studio is told so
    r = ls.post(f"/api/ml/{ml_id}/train", json={})
    assert r.status_code == 200
    jobs = httpx.get(f"{backend}/label-studio/jobs", timeout=30).json()
    assert jobs and "START_TRAINING" in jobs[-1]["reason"]


def test_a_refused_retrain_shows_as_an_error_in_label_studio(label_studio, backend, exported):
    """A model connected without the token: "Start training" is refused (401), and Label Studio
    shows the model in error, also after its next state refresh (which used to say Connected)."""
    _, config, _ = exported
    ls = label_studio
    pid = ls.post("/api/projects", json={"title": "no-token", "label_config": config}).json()["id"]
    r = ls.post("/api/ml", json={"project": pid, "url": f"{backend}/label-studio", "title": "no token"})
    assert r.status_code == 201 and r.json()["state"] == "CO", r.text
    ml_id = r.json()["id"]
    assert ls.post(f"/api/ml/{ml_id}/train", json={}).status_code == 200  # Label Studio's own answer
    for _ in range(2):  # each GET refreshes the state through /health and /setup
        state = ls.get(f"/api/ml/{ml_id}").json()
        assert state["state"] == "ER", state
        assert "403" in (state["error_message"] or ""), state

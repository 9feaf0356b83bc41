"""The Label Studio ML backend router: the payloads Label Studio sends and expects.

Label Studio's ML backend protocol (label-studio-ml-backend ``api.py``): ``POST /predict``
gets ``{"tasks": [{"id", "data": {...}}], "project", "label_config", "params"}`` and answers
``{"results": [{"result": [...], "score", "model_version"}], "model_version"}`` with result
items ``{"from_name", "to_name", "type": "labels", "value": {"start", "end", "text",
"labels"}}``; ``POST /setup`` gets ``{"project", "schema", ...}`` and answers
``{"model_version"}``; ``GET /health`` answers ``{"status": "UP"}``; webhooks POST
``{"action": "ANNOTATION_CREATED", "task", "annotation", "project"}``.
"""

from __future__ import annotations

import base64
import copy
import threading

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from nlp.annotation.interchange import labelstudio as ls
from nlp.annotation.records import read_records
from service.deps import ExtractionRunner
from service.errors import install_error_handlers
from service.routers import label_studio as backend
from tests.test_interchange import _CraftedExtractor, _write_gold, craft_spans

TOKEN = "s3cret-token"


class FakeRunner:
    """Stands in for `fiscal-extract train`: records the jobs it was asked to run."""

    def __init__(self, rc: int = 0):
        self.rc, self.ran = rc, []

    def __call__(self, job):
        self.ran.append(job.id)
        return self.rc


def _app(extractor, queue, gold_dir=None) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    # thread mode: the service's bounded extraction pool, sharing this extractor
    app.state.runner = ExtractionRunner("thread", workers=1, max_pending=4, timeout=120, extractor=extractor)
    app.state.model_info = dict(extractor.model_info)
    app.include_router(backend.router)
    app.dependency_overrides[backend.get_retrain_queue] = lambda: queue
    if gold_dir is not None:
        app.dependency_overrides[backend.get_gold_dir] = lambda: gold_dir
    return TestClient(app)


@pytest.fixture(scope="module")
def real_extractor():
    from nlp import Extractor

    return Extractor.rules_only()


@pytest.fixture
def runner():
    return FakeRunner()


@pytest.fixture
def client(runner):
    return _app(_CraftedExtractor("crafted"), backend.RetrainQueue(runner))


def _paragraphs(sources, n=3):
    text = sources["000_151e3cc1a638edf9"]
    paras = [p for p in text.split("\n\n") if "万元" in p and "%" in p]
    assert len(paras) >= n
    return paras[:n]


def test_health_and_setup(client):
    r = client.get("/label-studio/health")
    assert r.status_code == 200 and r.json()["status"] == "UP" and r.json()["model_version"] == "crafted-t"
    r = client.post("/label-studio/setup", json={"project": "1.1700000000", "schema": ls.labeling_config(),
                                                 "hostname": "http://localhost:8080", "access_token": "x"})
    assert r.status_code == 200 and r.json() == {"model_version": "crafted-t"}


@pytest.mark.parametrize("schema, fragment", [
    ('<View><Labels name="ner" toName="text"><Label value="PER"/></Labels><Text name="text" value="$text"/></View>',
     'needs <Labels name="label" toName="text">'),
    ('<View><Labels name="label" toName="text"><Label value="AMOUNT"/></Labels></View>', "lacks labels"),
    ("<View><Labels", "not XML"),
    ('<!DOCTYPE x [<!ENTITY a "aaaa">]><View/>', "DTD"),
])
def test_setup_refuses_a_foreign_labeling_config(client, schema, fragment):
    r = client.post("/label-studio/setup", json={"project": 1, "schema": schema})
    assert r.status_code == 422
    assert fragment in r.json()["error"]["message"]


def test_predict_answers_label_studio_regions(client, sources):
    paras = _paragraphs(sources)
    tasks = [{"id": 10 + i, "data": {"text": p}} for i, p in enumerate(paras)]
    r = client.post("/label-studio/predict", json={"tasks": tasks, "project": "1.1", "label_config": ls.labeling_config(),
                                                   "params": {"login": None, "password": None, "context": None}})
    assert r.status_code == 200
    body = r.json()
    assert body["model_version"] == "crafted-t" and len(body["results"]) == len(tasks)
    for pred, text in zip(body["results"], paras):
        expected = craft_spans(text)
        regions = [x for x in pred["result"] if x["type"] == "labels"]
        assert [(x["value"]["start"], x["value"]["end"], x["value"]["labels"]) for x in regions] == [
            (s["start"], s["end"], [s["label"]]) for s in expected]
        for x in regions:
            assert x["from_name"] == "label" and x["to_name"] == "text"
            assert text[x["value"]["start"]:x["value"]["end"]] == x["value"]["text"]
            assert 0.0 <= x["score"] <= 1.0
        values = {x["id"]: x["value"]["text"] for x in pred["result"] if x["from_name"] == "value"}
        amounts = [s for s in expected if s["label"] == "AMOUNT"]
        assert len(values) == sum(s["value"] is not None for s in expected)
        assert amounts and all([s["value"]] in values.values() for s in amounts)
        assert pred["model_version"] == "crafted-t" and 0.0 <= pred["score"] <= 1.0


def test_predict_with_the_real_pipeline_gives_importable_regions(real_extractor, runner, sources):
    c = _app(real_extractor, backend.RetrainQueue(runner))
    paras = _paragraphs(sources)
    r = c.post("/label-studio/predict", json={"tasks": [{"id": i, "data": {"text": p}} for i, p in enumerate(paras)]})
    assert r.status_code == 200
    results = r.json()["results"]
    assert len(results) == len(paras)
    expected = [real_extractor.extract(p)["entities"] for p in paras]
    for pred, text, ents in zip(results, paras, expected):
        spans = ls.spans_from_result(text, pred["result"], "test")
        assert [(s["start"], s["end"], s["label"], s["value"]) for s in spans] == [
            (e["start"], e["end"], e["label"], e["value"]) for e in ents]


@pytest.mark.parametrize("payload, status", [
    ({"tasks": [{"id": 1, "data": {}}]}, 422),
    ({"tasks": [{"id": i, "data": {"text": "x"}} for i in range(backend.MAX_TASKS + 1)]}, 422),
    ({"task": []}, 422),
])
def test_predict_bad_requests_get_clear_errors(client, payload, status):
    r = client.post("/label-studio/predict", json=payload)
    assert r.status_code == status
    assert r.json()["error"]["message"]


# --- state-changing calls ---------------------------------------------------------------------


def test_train_is_off_without_a_configured_token(client, runner, monkeypatch):
    monkeypatch.delenv(backend.TOKEN_ENV, raising=False)
    r = client.post("/label-studio/train", json={"project": 1}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 403 and backend.TOKEN_ENV in r.json()["error"]["message"]
    r = client.post("/label-studio/webhook", json={"action": "START_TRAINING"})
    assert r.status_code == 403
    assert runner.ran == []


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic !!notbase64"},
                                     {"Authorization": TOKEN}])
def test_train_refuses_a_wrong_token(client, runner, monkeypatch, headers):
    monkeypatch.setenv(backend.TOKEN_ENV, TOKEN)
    r = client.post("/label-studio/train", json={"project": 1}, headers=headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert runner.ran == []


def test_train_queues_a_retrain_with_bearer_or_basic_auth(client, runner, monkeypatch):
    monkeypatch.setenv(backend.TOKEN_ENV, TOKEN)
    queue = client.app.dependency_overrides[backend.get_retrain_queue]()
    r = client.post("/label-studio/train", json={"project": 1}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 201 and r.json()["status"] == "queued"
    queue.wait()
    basic = base64.b64encode(f"labelstudio:{TOKEN}".encode()).decode()
    r = client.post("/label-studio/train", json={"project": 1}, headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 201
    queue.wait()
    assert len(runner.ran) == 2 and all(j.state == "done" for j in queue.jobs)
    jobs = client.get("/label-studio/jobs").json()
    assert [j["state"] for j in jobs] == ["done", "done"]


def test_requests_while_a_retrain_waits_join_it():
    started, release = threading.Event(), threading.Event()

    def slow(job):
        started.set()
        release.wait(5)
        return 0

    q = backend.RetrainQueue(slow)
    first = q.submit("a")
    assert started.wait(5)
    second, third = q.submit("b"), q.submit("c")
    assert second is third and second is not first and "c" in second.reason
    release.set()
    q.wait()
    assert [j.state for j in q.jobs] == ["done", "done"]


def test_a_failing_trainer_is_reported_on_the_job():
    def broken(job):
        raise RuntimeError("trainer crashed")

    q = backend.RetrainQueue(broken)
    job = q.submit("x")
    q.wait()
    assert job.state == "failed" and "trainer crashed" in job.log_tail
    assert backend.RetrainQueue(FakeRunner(rc=3)).submit("y") is not None


def _gold_with_records(tmp_path, sources):
    text = sources["000_151e3cc1a638edf9"]
    from nlp.annotation.records import records_from_result, segment_source

    recs = [r.to_dict() for r in records_from_result("000_151e3cc1a638edf9", text, {"entities": [], "facts": []},
                                                     segment_source(text))]
    for r in recs:
        r["spans"] = craft_spans(r["text"])
    gold = tmp_path / "gold"
    _write_gold(recs, gold)
    return gold, recs


def test_webhook_imports_the_annotation_and_queues_a_retrain(runner, monkeypatch, tmp_path, sources):
    monkeypatch.setenv(backend.TOKEN_ENV, TOKEN)
    gold, recs = _gold_with_records(tmp_path, sources)
    queue = backend.RetrainQueue(runner)
    c = _app(_CraftedExtractor("crafted"), queue, gold)
    rec = next(r for r in recs if len(r["spans"]) >= 2)
    task = copy.deepcopy(ls.to_task(rec))
    result = task["predictions"][0]["result"]
    keep = [x for x in result if x["id"] != result[0]["id"]]  # the annotator removes the first span
    payload = {"action": "ANNOTATION_CREATED", "project": {"id": 1}, "task": {"id": 5, "data": task["data"]},
               "annotation": {"id": 9, "result": keep, "was_cancelled": False, "completed_by": 1}}
    r = c.post("/label-studio/webhook", json=payload, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 201, r.text
    assert r.json()["imported"]["updated"] == 1
    queue.wait()
    assert runner.ran == [1]
    back = next(x for x in read_records(gold / "000_151e3cc1a638edf9.jsonl") if x.record_id == rec["record_id"])
    assert len(back.spans) == len(rec["spans"]) - 1 and back.status == "reviewed"


def test_webhook_with_a_bad_annotation_changes_nothing(runner, monkeypatch, tmp_path, sources):
    monkeypatch.setenv(backend.TOKEN_ENV, TOKEN)
    gold, recs = _gold_with_records(tmp_path, sources)
    before = (gold / "000_151e3cc1a638edf9.jsonl").read_bytes()
    c = _app(_CraftedExtractor("crafted"), backend.RetrainQueue(runner), gold)
    rec = next(r for r in recs if r["spans"])
    task = ls.to_task(rec)
    bad = copy.deepcopy(task["predictions"][0]["result"])
    bad[0]["value"]["labels"] = ["MONEY"]
    payload = {"action": "ANNOTATION_UPDATED", "task": {"id": 5, "data": task["data"]},
               "annotation": {"id": 9, "result": bad}}
    r = c.post("/label-studio/webhook", json=payload, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 422 and rec["record_id"] in r.json()["error"]["message"]
    assert "MONEY" in r.json()["error"]["message"]
    assert (gold / "000_151e3cc1a638edf9.jsonl").read_bytes() == before and runner.ran == []


def test_webhook_ignores_other_actions(client, runner, monkeypatch):
    monkeypatch.setenv(backend.TOKEN_ENV, TOKEN)
    r = client.post("/label-studio/webhook", json={"action": "PROJECT_UPDATED", "project": {"id": 1}},
                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.json()["status"].startswith("ignored") and runner.ran == []


def test_a_refused_retrain_stays_refused_at_setup_until_label_studio_sends_the_token(client, runner, monkeypatch):
    """Label Studio marks the model "Error" on a refused /webhook but its next refresh calls /setup:
    /setup must keep the refusal, or Label Studio shows "Connected" as if training had started."""
    monkeypatch.setenv(backend.TOKEN_ENV, TOKEN)
    schema = ls.labeling_config()
    assert client.post("/label-studio/setup", json={"project": "7.1700000000", "schema": schema}).status_code == 200
    r = client.post("/label-studio/webhook", json={"action": "START_TRAINING", "project": {"id": 7, "title": "p"}})
    assert r.status_code == 401 and runner.ran == []
    r = client.post("/label-studio/setup", json={"project": "7.1700000000", "schema": schema})
    assert r.status_code == 403 and r.json()["error"]["code"] == "retrain_refused"
    assert "401 unauthorized" in r.json()["error"]["message"]
    # another project's connection is not affected; wrong credentials are refused at setup at once
    assert client.post("/label-studio/setup", json={"project": "8.1700000000", "schema": schema}).status_code == 200
    basic = lambda pw: {"Authorization": "Basic " + base64.b64encode(f"ls:{pw}".encode()).decode()}  # noqa: E731
    r = client.post("/label-studio/setup", json={"project": "8.1700000000", "schema": schema}, headers=basic("nope"))
    assert r.status_code == 401 and "refuses" in r.json()["error"]["message"]
    # connected with the token: setup works again and so does the retrain
    assert client.post("/label-studio/setup", json={"project": "7.1700000000", "schema": schema},
                       headers=basic(TOKEN)).status_code == 200
    assert client.post("/label-studio/setup", json={"project": "7.1700000000", "schema": schema}).status_code == 200
    r = client.post("/label-studio/webhook", json={"action": "START_TRAINING", "project": {"id": 7}}, headers=basic(TOKEN))
    assert r.status_code == 201

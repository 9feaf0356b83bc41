"""A Label Studio ML backend: pre-annotations while labelling, and retraining on demand.

Point Label Studio (Settings → Model → Connect model) at ``http://HOST:PORT/label-studio``.
It calls, under that prefix:

- ``GET  /health``  → ``{"status": "UP", "model_version"}``;
- ``POST /setup``   ``{project, schema, ...}`` → ``{"model_version"}``; checks that the
  project's labeling config has our controls (``fiscal-extract annotate export -f
  labelstudio`` writes it);
- ``POST /predict`` ``{tasks: [{id, data: {text}}], ...}`` → ``{"results": [{"result",
  "score", "model_version"}], "model_version"}``, one prediction per task, regions, fact
  fields and relations as in ``nlp.annotation.interchange.labelstudio``, only what an annotator
  can accept as it is (check outputs are not answers). Open, like ``/extract``.
- ``POST /webhook`` (Label Studio webhooks: ``ANNOTATION_CREATED`` / ``ANNOTATION_UPDATED``
  bring the annotated task, ``START_TRAINING``) and ``POST /train``: import the submitted
  annotations into the gold (validated, all or nothing, as ``annotate import``) and queue a
  retrain; ``GET /jobs`` lists retrain jobs.

State-changing calls need the token in ``FISCAL_ANNOTATION_TOKEN``: ``Authorization:
Bearer <token>`` (or HTTP Basic with the token as password, which is what Label Studio's
"basic auth" model setting sends). Without a configured token they are off (403).

A refusal must show in Label Studio as the failure it is. Label Studio (1.23) marks the model
"Error" when ``/webhook`` answers an error, but its next state refresh calls ``/health`` and
``/setup`` and, if they succeed, shows "Connected" again. So ``/setup`` answers with the
refusal too: credentials that Label Studio sends and the server does not accept (401/403),
and, for a project whose retrain request (``START_TRAINING``, ``/train``) was refused, that
refusal (403 ``retrain_refused``) until Label Studio connects with the token.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import itertools
import os
import shlex
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

from fastapi import APIRouter, Depends, Header, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from nlp.annotation.interchange import labelstudio as ls
from nlp.project import project_root
from service import deps
from service.deps import ExtractionRunner, get_model_info, get_runner
from service.errors import ApiError
from service.routers.schemas import unencodable_path

TOKEN_ENV = "FISCAL_ANNOTATION_TOKEN"
RETRAIN_ENV = "FISCAL_RETRAIN_COMMAND"  # default: `fiscal-extract train`
MAX_TASKS = 100
MAX_TEXT_CHARS = 1_000_000
MAX_SCHEMA_CHARS = 200_000
RETRAIN_TIMEOUT_S = 6 * 3600

router = APIRouter(prefix="/label-studio", tags=["label-studio"])


# --- request / response models (Label Studio's payloads; unknown keys are tolerated) ---------


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")

    @model_validator(mode="before")
    @classmethod
    def _encodable(cls, data: Any) -> Any:
        # "\ud800" in any string or key: no UTF-8 answer, log line or gold file could hold it → 422.
        where = unencodable_path(data)
        if where is not None:
            raise ValueError(f"{where}: contains an unpaired surrogate code point (not encodable as UTF-8)")
        return data


class LSTask(_Open):
    id: Optional[Union[int, str]] = None
    data: dict[str, Any]


class PredictRequest(_Open):
    tasks: list[LSTask] = Field(max_length=MAX_TASKS)
    project: Optional[Union[int, str]] = None
    label_config: Optional[str] = None
    params: dict[str, Any] = Field(default_factory=dict)


class LSPrediction(BaseModel):
    result: list[dict[str, Any]]
    score: float
    model_version: str


class PredictResponse(BaseModel):
    results: list[LSPrediction]
    model_version: str


class SetupRequest(_Open):
    project: Optional[Union[int, str]] = None
    label_schema: Optional[str] = Field(None, alias="schema")
    hostname: Optional[str] = None
    access_token: Optional[str] = None
    model_version: Optional[str] = None


class SetupResponse(BaseModel):
    model_version: str


class HealthResponse(BaseModel):
    status: str
    model_version: str
    training: bool


class TrainRequest(_Open):
    annotations: Optional[list[dict[str, Any]]] = None
    project: Optional[Any] = None


class WebhookRequest(_Open):
    action: str
    project: Optional[Any] = None
    task: Optional[dict[str, Any]] = None
    annotation: Optional[dict[str, Any]] = None


class RetrainResponse(BaseModel):
    status: str
    job: Optional[dict[str, Any]] = None
    imported: Optional[dict[str, Any]] = None


# --- the retrain queue --------------------------------------------------------------------


@dataclass
class Job:
    id: int
    reason: str
    state: str = "queued"  # queued | running | done | failed
    created: float = field(default_factory=time.time)
    finished: Optional[float] = None
    returncode: Optional[int] = None
    log_tail: str = ""


def run_training_command(job: Job) -> int:
    """The default retrain: ``$FISCAL_RETRAIN_COMMAND`` or ``fiscal-extract train``."""
    cmd = shlex.split(os.environ.get(RETRAIN_ENV, "")) or [
        sys.executable, "-c", "import sys; from service.cli import main; sys.exit(main(['train']))"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=RETRAIN_TIMEOUT_S,
                          cwd=project_root())  # train in the project the server serves
    job.log_tail = (proc.stdout + proc.stderr)[-2000:]
    return proc.returncode


class RetrainQueue:
    """One retrain at a time on a background thread. Requests that arrive while a job is
    still waiting join it (a burst of annotation webhooks gives one retrain, not fifty)."""

    def __init__(self, runner: Callable[[Job], int] = run_training_command):
        self.runner = runner
        self.jobs: list[Job] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread: Optional[threading.Thread] = None
        # Label Studio project id -> why its last retrain request was refused (module doc)
        self.refused: dict[str, str] = {}

    def submit(self, reason: str) -> Job:
        with self._lock:
            waiting = next((j for j in self.jobs if j.state == "queued"), None)
            if waiting is not None:
                waiting.reason += f"; {reason}"
                return waiting
            job = Job(next(self._ids), reason)
            self.jobs.append(job)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="retrain", daemon=True)
                self._thread.start()
            self._wake.notify()
            return job

    @property
    def training(self) -> bool:
        return any(j.state in ("queued", "running") for j in self.jobs)

    def _work(self) -> None:
        while True:
            with self._lock:
                job = next((j for j in self.jobs if j.state == "queued"), None)
                if job is None:
                    return
                job.state = "running"
            try:
                rc = self.runner(job)
                job.returncode = rc
                job.state = "done" if rc == 0 else "failed"
            except Exception as e:  # a failed retrain is reported on the job, never crashes the service
                job.state = "failed"
                job.log_tail = f"{type(e).__name__}: {e}"
            job.finished = time.time()

    def wait(self, timeout: float = 10.0) -> None:
        """Block until no job is queued or running (tests, shutdown)."""
        deadline = time.time() + timeout
        while self.training and time.time() < deadline:
            time.sleep(0.01)


# --- dependencies (override in the app or in tests) -----------------------------------------


_QUEUE = RetrainQueue()


def get_retrain_queue() -> RetrainQueue:
    return _QUEUE


def get_gold_dir() -> Path:
    from nlp.annotation.records import GOLD_DIR

    return Path(os.environ.get("FISCAL_GOLD_DIR") or GOLD_DIR)


def ls_project_id(project: Any) -> str:
    """The Label Studio project id in a payload: ``/setup`` sends ``"<id>.<created>"``, webhooks
    the serialised project; ``"*"`` when none is given."""
    if isinstance(project, dict):
        project = project.get("id")
    if project is None or isinstance(project, bool):
        return "*"
    return str(project).split(".", 1)[0]


def require_token(authorization: Optional[str] = Header(None)) -> None:
    """Bearer token (or Basic with the token as password) equal to ``$FISCAL_ANNOTATION_TOKEN``."""
    expected = os.environ.get(TOKEN_ENV)
    if not expected:
        raise ApiError(403, "forbidden", f"annotation write endpoints are disabled: set {TOKEN_ENV} on the server to enable them")
    given = ""
    if authorization:
        scheme, _, cred = authorization.partition(" ")
        if scheme.lower() in ("bearer", "token"):
            given = cred.strip()
        elif scheme.lower() == "basic":
            try:
                given = base64.b64decode(cred.strip(), validate=True).decode("utf-8").partition(":")[2]
            except (binascii.Error, UnicodeDecodeError):
                given = ""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "missing or wrong annotation token (Authorization: Bearer <token>)")


# --- logic ------------------------------------------------------------------------------


def model_version(model_info: dict[str, Any]) -> str:
    return f"{model_info['name']}-{model_info['version']}"


def job_predict(texts: list[str]) -> list[dict[str, Any]]:
    """Runs in an extraction worker (the service's bounded, time-limited pool)."""
    return [{"entities": r["entities"], "facts": r["facts"]} for r in deps._extractor.pipe(texts)]


def _task_text(task: LSTask, index: int) -> str:
    text = task.data.get(ls.TO_NAME)
    if not isinstance(text, str):
        strings = [v for v in task.data.values() if isinstance(v, str)]
        if len(strings) != 1:
            raise ApiError(422, "invalid_request", f"task {index} (id {task.id}): no data.text to annotate")
        text = strings[0]
    if len(text) > MAX_TEXT_CHARS:
        raise ApiError(413, "payload_too_large", f"task {index} (id {task.id}): text over {MAX_TEXT_CHARS} characters")
    return text


def task_texts(tasks: list[LSTask]) -> list[str]:
    return [_task_text(t, i) for i, t in enumerate(tasks)]


def reviewable_regions(text: str, result: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The spans and facts of an extraction ``result`` over ``text`` that an annotator can accept
    as they are (``nlp.annotation.new_document.reviewable``: what would fail the gold's checks
    is left out; check outputs stay hints, never answers)."""
    from nlp.annotation.interchange.preannotate import preannotate
    from nlp.annotation.new_document import reviewable
    from nlp.annotation.records import Record

    shell = Record("task", "task#0000", 0, text)
    records, _ = reviewable(preannotate("task", text, result, [shell]).records)
    rec = records[0]
    return [s.to_dict() for s in rec.spans], [f.to_dict() for f in rec.facts]


def predictions(texts: list[str], results: list[dict[str, Any]], version: str) -> PredictResponse:
    """Label Studio predictions (regions, fact fields and relations) from the contract's results
    (offsets into each text)."""
    out = []
    for text, res in zip(texts, results):
        spans, facts = reviewable_regions(text, res)
        by_key = {(e["start"], e["end"], e["label"]): e["score"] for e in res["entities"]}
        scores = {(s["start"], s["end"], s["label"]): by_key[(s["start"], s["end"], s["label"])]
                  for s in spans if (s["start"], s["end"], s["label"]) in by_key}
        result = ls.region_results(text, spans, scores, facts)
        score = min(scores.values()) if scores else 1.0
        out.append(LSPrediction(result=result, score=round(score, 4), model_version=version))
    return PredictResponse(results=out, model_version=version)


def check_label_config(schema: Optional[str]) -> None:
    """The project must label with our control names, or predictions would not show."""
    if not schema:
        return
    if len(schema) > MAX_SCHEMA_CHARS:
        raise ApiError(413, "payload_too_large", "labeling config too large")
    if "<!ENTITY" in schema or "<!DOCTYPE" in schema:
        raise ApiError(422, "invalid_label_config", "labeling config must not declare a DTD or entities")
    try:
        root = ET.fromstring(schema)
    except ET.ParseError as e:
        raise ApiError(422, "invalid_label_config", f"labeling config is not XML: {e}") from None
    labels = [el for el in root.iter("Labels") if el.get("name") == ls.FROM_LABEL and el.get("toName") == ls.TO_NAME]
    if not labels:
        raise ApiError(422, "invalid_label_config",
                       f"labeling config needs <Labels name=\"{ls.FROM_LABEL}\" toName=\"{ls.TO_NAME}\">; "
                       "use the config written by `fiscal-extract annotate export -f labelstudio`")
    have = {el.get("value") for el in labels[0].iter("Label")}
    from nlp.contract import LABELS

    missing = [lab for lab in LABELS if lab not in have]
    if missing:
        raise ApiError(422, "invalid_label_config", f"labeling config lacks labels {missing}")


def import_annotated_tasks(tasks: list[dict[str, Any]], gold_dir: Path) -> dict[str, Any]:
    """Submitted Label Studio tasks into the gold, like ``annotate import`` (all or nothing)."""
    from nlp.annotation.interchange.common import InterchangeError
    from nlp.annotation.merge import merge

    records = []
    try:
        for i, task in enumerate(tasks):
            rec = ls.from_task(task, f"task {task.get('id', i)}")
            if rec is not None:
                records.append(rec)
    except InterchangeError as e:
        raise ApiError(422, "invalid_annotation", f"nothing imported: {e}") from None
    if not records:
        return {"added": 0, "updated": 0, "unchanged": 0}
    from nlp.annotation.journal import JournalError
    from nlp.annotation.lock import GoldLockTimeout

    try:
        plan = merge(records, gold_dir)  # under the gold lock: concurrent webhooks all land
    except (GoldLockTimeout, JournalError) as e:
        raise ApiError(503, "gold_unavailable", f"nothing imported: {e}; retry later") from None
    summary = plan.summary()
    if not plan.ok:
        conflict = bool(plan.conflicts) and not plan.errors
        problems = [{"error": e} for e in summary["errors"]] + [{"conflict": c} for c in summary["conflicts"]]
        raise ApiError(409 if conflict else 422, "annotation_conflict" if conflict else "invalid_annotation",
                       f"nothing imported: {len(summary['errors'])} errors, {len(summary['conflicts'])} conflicts",
                       problems[:50])
    return {k: summary[k] for k in ("added", "updated", "unchanged", "warnings", "files")}


def _task_with_annotation(req: WebhookRequest) -> list[dict[str, Any]]:
    if not req.task or not req.annotation:
        return []
    task = dict(req.task)
    task["annotations"] = [req.annotation]
    return [task]


# --- endpoints --------------------------------------------------------------------------


@router.get("/health", response_model=HealthResponse)
def health(model_info: dict = Depends(get_model_info), queue: RetrainQueue = Depends(get_retrain_queue)) -> HealthResponse:
    return HealthResponse(status="UP", model_version=model_version(model_info), training=queue.training)


@router.post("/setup", response_model=SetupResponse)
def setup(req: SetupRequest, model_info: dict = Depends(get_model_info), queue: RetrainQueue = Depends(get_retrain_queue),
          authorization: Optional[str] = Header(None)) -> SetupResponse:
    check_label_config(req.label_schema)
    pid = ls_project_id(req.project)
    if authorization:  # Label Studio connects with credentials: they must be the ones that work
        try:
            require_token(authorization)
        except ApiError as e:
            raise ApiError(e.status, e.code, f"Label Studio's model connection sends credentials this server "
                                             f"refuses: {e.message}") from None
        queue.refused.pop(pid, None)
        queue.refused.pop("*", None)
    else:
        why = queue.refused.get(pid) or queue.refused.get("*")
        if why:
            raise ApiError(403, "retrain_refused",
                           f"a retrain request from this project was refused ({why}); connect the model with "
                           f"Basic auth (password = {TOKEN_ENV}) to train, or restart the server to predict only")
    return SetupResponse(model_version=model_version(model_info))


@router.post("/predict", response_model=PredictResponse)
async def predict(req: PredictRequest, runner: ExtractionRunner = Depends(get_runner),
                  model_info: dict = Depends(get_model_info)) -> PredictResponse:
    texts = task_texts(req.tasks)
    results = await runner.run(job_predict, texts)
    return predictions(texts, results, model_version(model_info))


def _authorize_retrain(authorization: Optional[str], project: Any, queue: RetrainQueue) -> None:
    try:
        require_token(authorization)
    except ApiError as e:
        queue.refused[ls_project_id(project)] = f"{e.status} {e.code}: {e.message}"
        raise


@router.post("/train", response_model=RetrainResponse, status_code=201)
def train(req: TrainRequest, queue: RetrainQueue = Depends(get_retrain_queue),
          gold_dir: Path = Depends(get_gold_dir), authorization: Optional[str] = Header(None)) -> RetrainResponse:
    _authorize_retrain(authorization, req.project, queue)
    imported = import_annotated_tasks(req.annotations or [], gold_dir)
    job = queue.submit("train request")
    return RetrainResponse(status="queued", job=asdict(job), imported=imported)


TRAIN_ACTIONS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED", "START_TRAINING")


@router.post("/webhook", response_model=RetrainResponse, status_code=201)
def webhook(req: WebhookRequest, response: Response, queue: RetrainQueue = Depends(get_retrain_queue),
            gold_dir: Path = Depends(get_gold_dir), authorization: Optional[str] = Header(None)) -> RetrainResponse:
    if req.action == "START_TRAINING":  # the model's "Start training": a refusal must stay visible
        _authorize_retrain(authorization, req.project, queue)
    else:
        require_token(authorization)
    if req.action not in TRAIN_ACTIONS:
        response.status_code = 200
        return RetrainResponse(status=f"ignored: action {req.action}")
    imported = import_annotated_tasks(_task_with_annotation(req), gold_dir)
    job = queue.submit(f"webhook {req.action}")
    return RetrainResponse(status="queued", job=asdict(job), imported=imported)


@router.get("/jobs")
def jobs(queue: RetrainQueue = Depends(get_retrain_queue)) -> list[dict[str, Any]]:
    return [{k: v for k, v in asdict(j).items() if k != "log_tail"} for j in queue.jobs]

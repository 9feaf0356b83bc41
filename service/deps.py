"""Shared state and request parsing, as FastAPI dependencies.

The app's lifespan puts one ``Extractor`` and one ``ExtractionRunner`` on ``app.state`` per
worker process; endpoints get them (and their parsed, size-limited request) from here.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import multiprocessing
import os
import threading
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar
from urllib.parse import parse_qs

from fastapi import Depends, Request
from pydantic import BaseModel, TypeAdapter, ValidationError

from nlp.project import project_root
from service.errors import ApiError, invalid_request
from service.routers.schemas import BatchRequest, BatchResponse, ExtractRequest, Result, unencodable_path
from service.settings import Settings, resolve_model_dir  # noqa: F401  (re-exported)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

REPO_ROOT = project_root()  # the project directory: its reports/ and models/
RESULT = TypeAdapter(Result)
BATCH = TypeAdapter(BatchResponse)


# --- extraction jobs: module-level functions, so a process pool can run them ----------------------

_extractor = None  # the Extractor of this process (a pool process's own, or the app's in thread mode)


def _die_with_parent(parent_pid: Optional[int]) -> None:
    """An extraction process must not outlive the server that spawned it (kill -9 of the
    server would otherwise leave it, and its model's memory, for good). On Linux the kernel
    sends SIGKILL when the parent dies (``PR_SET_PDEATHSIG``); everywhere a daemon thread checks
    the parent's pid once a second and exits when it changed (re-parented: the parent died)."""
    import sys

    if parent_pid is None:
        return
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            PR_SET_PDEATHSIG = 1
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no libc prctl: the watchdog below still works
            pass
    if os.getppid() != parent_pid:  # died before the signal was armed
        os._exit(1)

    def watchdog() -> None:
        import time

        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watchdog, name="parent-watchdog", daemon=True).start()


def init_worker(model_dir: Optional[str] = None, extractor: Any = None, rules_only: bool = False,
                parent_pid: Optional[int] = None) -> None:
    """Pool initializer: load the model once per extraction process (or adopt a given one).

    The model is the one named (``model_dir``, else ``$FISCAL_MODEL_DIR``, else the shipped
    ``models/fiscal-zh``) and must verify: a missing directory or manifest is an error, never a
    silent fall-back to rules. Rules-only only when asked (``rules_only``, ``serve --rules-only``)."""
    global _extractor
    _die_with_parent(parent_pid)
    if extractor is None:
        from nlp import Extractor

        extractor = Extractor.rules_only() if rules_only else Extractor.load(resolve_model_dir(model_dir))
    _extractor = extractor


def job_describe() -> dict[str, Any]:
    model_dir = getattr(_extractor, "model_dir", None)
    return {**_extractor.model_info, "max_length": getattr(getattr(_extractor, "nlp", None), "max_length", None),
            "rules_only": model_dir is None, "model_dir": None if model_dir is None else str(model_dir)}


def job_extract(text: str, doc_id: Optional[str], pdf: Any = None) -> bytes:
    # Validated against the contract and encoded here, off the event loop: for a 1 MB document
    # this is over a second of CPU that would otherwise stall every other request.
    result = _extractor.extract(text, doc_id)
    if pdf is not None:  # the text was read from this PDF (nlp.sources.pdf.PdfText): pages and boxes
        from nlp.sources.pdf import attach_provenance

        attach_provenance(result, pdf)
    return RESULT.dump_json(RESULT.validate_python(result))


def job_extract_batch(documents: list[tuple[str, Optional[str]]]) -> bytes:
    return BATCH.dump_json(BATCH.validate_python({"results": list(_extractor.pipe(documents))}))


def job_extract_and_render(text: str, doc_id: Optional[str]) -> dict[str, Any]:
    from service.routers.visualize import render_entities

    result = RESULT.validate_python(_extractor.extract(text, doc_id)).model_dump()
    return {"result": result, "entities_html": render_entities(text, result["entities"])}


class ExtractionRunner:
    """Runs CPU-bound extraction off the event loop, bounded and with a time budget.

    ``process`` mode (the server's default): extraction runs in a pool of spawned processes, each
    with its own model, so not even a long GIL-holding step (a regex over 1 MB, pydantic
    validation) can stall the event loop. ``thread`` mode: one in-process thread pool sharing the
    app's model (tests; small deployments). A fixed pool bounds how many extractions run at once;
    ``max_pending`` bounds how many may wait (503 beyond, instead of an unbounded queue). Past the
    budget the client gets a 504 at once; a job that already started runs to its end and keeps
    counting as pending until then — that is the back-pressure."""

    def __init__(self, mode: str, workers: int, max_pending: int, timeout: float,
                 extractor: Any = None, model_dir: Optional[str] = None, rules_only: bool = False):
        self.mode, self.workers, self.max_pending, self.timeout = mode, workers, max_pending, timeout
        self._model_dir, self._lock, self._pending = model_dir, threading.Lock(), 0
        self._rules_only = rules_only
        if mode == "thread":
            init_worker(model_dir, extractor=extractor or _extractor, rules_only=rules_only)
        elif mode != "process":
            raise ValueError(f"unknown extraction mode {mode!r}")
        self._pool = self._new_pool()

    def _new_pool(self) -> Executor:
        if self.mode == "thread":
            return ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="extract")
        # spawn, not fork: the server process has threads, and forking those is unsafe.
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=init_worker,
                                   initargs=(self._model_dir, None, self._rules_only, os.getpid()))

    @property
    def pending(self) -> int:
        return self._pending

    def _done(self, _future: Any) -> None:
        with self._lock:
            self._pending -= 1

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            if self._pending >= self.max_pending:
                raise ApiError(503, "overloaded", f"{self._pending} extractions already pending; retry later")
            self._pending += 1
        try:
            future = self._pool.submit(fn, *args)
        except BrokenExecutor:
            with self._lock:
                self._pending -= 1
            self._restart()
            raise ApiError(503, "worker_restarting", "the extraction worker died and is being restarted; retry") from None
        future.add_done_callback(self._done)
        try:
            # wait_for cancels the wrapper on timeout, which cancels the job if it has not started.
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout)
        except (TimeoutError, asyncio.TimeoutError):
            raise ApiError(504, "timeout", f"extraction exceeded the {self.timeout:g} s time budget") from None
        except BrokenExecutor:
            # A pool process died (killed, out of memory): start a fresh pool for the next request.
            self._restart()
            raise ApiError(503, "worker_restarting", "the extraction worker died and is being restarted; retry") from None

    async def describe(self) -> dict[str, Any]:
        """The model's name, version and limits, from a worker: in process mode this also waits
        for the first pool process to load the model (no time budget: start-up, not a request)."""
        return await asyncio.wrap_future(self._pool.submit(job_describe))

    def _restart(self) -> None:
        old, self._pool = self._pool, self._new_pool()
        old.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:  # do not wait for a long extraction to finish before exiting
            if p.is_alive():
                p.terminate()


# --- shared state -----------------------------------------------------------------------------


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


_local_lock = threading.Lock()


def get_extractor(request: Request):
    """An in-process ``Extractor``, for routers that call it directly from sync endpoints (which
    FastAPI runs in its threadpool): in thread mode the shared one, in process mode one loaded in
    this process on first use. Prefer ``get_runner`` + a job: it is bounded and time-limited."""
    state = request.app.state
    extractor = getattr(state, "extractor", None) or _extractor
    if extractor is None:
        with _local_lock:
            extractor = getattr(state, "extractor", None)
            if extractor is None:
                from nlp import Extractor

                extractor = state.extractor = Extractor.load()
    return extractor


def get_model_info(request: Request) -> dict[str, Any]:
    """name, version and max_length (characters) of the model the extraction workers run."""
    return request.app.state.model_info


def get_runner(request: Request) -> ExtractionRunner:
    return request.app.state.runner


def get_version_info(request: Request) -> dict[str, Any]:
    return request.app.state.version_info


# --- the request body -------------------------------------------------------------------------


@dataclass(frozen=True)
class RawBody:
    data: bytes
    media_type: str
    charset: Optional[str]


def parse_content_type(header: Optional[str]) -> tuple[str, Optional[str]]:
    """``text/plain; charset="GB18030"`` → ``("text/plain", "GB18030")``. A value that is not
    ``type/subtype`` stays as given, so it matches nothing (email's parser would default it to
    text/plain)."""
    if not header:
        return "", None
    media_type, _, params = header.partition(";")
    msg = Message()
    msg["content-type"] = "x/x;" + params
    charset = msg.get_param("charset")
    return media_type.strip().lower(), str(charset).strip() if charset else None


async def read_body(request: Request, settings: Settings = Depends(get_settings)) -> RawBody:
    """The body, never more than ``max_body_bytes`` in memory: a declared Content-Length over the
    limit is refused before reading (the middleware does this too), a chunked one while reading."""
    limit = settings.max_body_bytes
    too_big = ApiError(413, "payload_too_large", f"request body exceeds {limit} bytes (FISCAL_MAX_BODY_BYTES)")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    media_type, charset = parse_content_type(request.headers.get("content-type"))
    return RawBody(b"".join(chunks), media_type, charset)


def decode(body: RawBody, default: str = "utf-8") -> str:
    """Bytes → str with the declared charset (GB18030, GBK, UTF-16, …), UTF-8 when none."""
    name = body.charset or default
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise ApiError(415, "unsupported_charset", f"unknown charset {name[:40]!r}") from None
    if not getattr(info, "_is_text_encoding", True):  # e.g. base64_codec, rot13
        raise ApiError(415, "unsupported_charset", f"{name[:40]!r} is not a text encoding")
    if info.name == "utf-8":
        info = codecs.lookup("utf-8-sig")  # tolerate a byte-order mark
    try:
        return info.decode(body.data)[0]
    except UnicodeDecodeError as e:
        raise ApiError(400, "invalid_encoding", f"body is not valid {name[:40]}: byte {e.start} cannot be decoded") from None


def parse_json(body: RawBody) -> Any:
    text = decode(body)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ApiError(400, "invalid_json", f"invalid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except RecursionError:
        raise ApiError(400, "invalid_json", "invalid JSON: nested too deeply") from None
    except ValueError as e:  # e.g. an integer of more than 4300 digits
        raise ApiError(400, "invalid_json", f"invalid JSON: {str(e)[:200]}") from None
    where = unencodable_path(data)
    if where is not None:  # "\ud800": no UTF-8 answer (or log line) could hold it
        raise ApiError(422, "invalid_request", f"{where}: contains an unpaired surrogate code point (not encodable as UTF-8)")
    return data


def validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise invalid_request(e) from None


JSON_TYPES = ("application/json",)
TEXT_TYPES = ("text/plain",)
FORM_TYPES = ("application/x-www-form-urlencoded",)


def _wrong_type(body: RawBody, accepted: tuple[str, ...]) -> ApiError:
    got = body.media_type or "none"
    return ApiError(415, "unsupported_media_type", f"content type {got[:80]!r} not accepted; use {' or '.join(accepted)}")


def _is_json(media_type: str) -> bool:
    return media_type in JSON_TYPES or media_type.endswith("+json")


async def extract_request(request: Request, body: RawBody = Depends(read_body)) -> ExtractRequest:
    """``application/json`` ``{"text", "doc_id"}``, or the document itself as ``text/plain``
    (doc_id then from the ``doc_id`` query parameter)."""
    if _is_json(body.media_type):
        return validate(ExtractRequest, parse_json(body))
    if body.media_type in TEXT_TYPES:
        return validate(ExtractRequest, {"text": decode(body), "doc_id": request.query_params.get("doc_id")})
    raise _wrong_type(body, JSON_TYPES + TEXT_TYPES)


def within_model_limit(model: dict[str, Any], texts: list[str]) -> None:
    """spaCy refuses texts longer than ``nlp.max_length`` characters; say so as a 413 rather than
    fail inside the pipeline."""
    limit = model.get("max_length")
    longest = max(map(len, texts), default=0)
    if limit and longest > limit:
        raise ApiError(413, "text_too_long", f"text of {longest} characters exceeds the model's limit of {limit}")


async def batch_request(body: RawBody = Depends(read_body), settings: Settings = Depends(get_settings),
                        model: dict[str, Any] = Depends(get_model_info)) -> BatchRequest:
    if not _is_json(body.media_type):
        raise _wrong_type(body, JSON_TYPES)
    data = parse_json(body)
    # Count before validating thousands of items one by one.
    docs = data.get("documents") if isinstance(data, dict) else None
    if isinstance(docs, list) and len(docs) > settings.max_batch_documents:
        raise ApiError(413, "too_many_documents",
                       f"{len(docs)} documents in one batch; at most {settings.max_batch_documents} (FISCAL_MAX_BATCH_DOCUMENTS)")
    batch = validate(BatchRequest, data)
    within_model_limit(model, [d.text for d in batch.documents])
    return batch


async def visualize_request(request: Request, body: RawBody = Depends(read_body), model: dict[str, Any] = Depends(get_model_info)) -> ExtractRequest:
    """The page's form (urlencoded), or the same bodies as ``/extract``."""
    if body.media_type in FORM_TYPES:
        try:
            fields = parse_qs(decode(body), keep_blank_values=True, strict_parsing=False, max_num_fields=20)
        except ValueError as e:
            raise ApiError(400, "invalid_form", str(e)) from None
        data = {"text": fields.get("text", [""])[0], "doc_id": (fields.get("doc_id") or [""])[0] or None}
        doc = validate(ExtractRequest, data)
    else:
        doc = await extract_request(request, body)
    within_model_limit(model, [doc.text])
    return doc


# --- /version ---------------------------------------------------------------------------------


def _overall(section: Any) -> Any:
    """``{system: {label: scores, "overall": scores}}`` → ``{system: overall}``; other shapes as they are."""
    if isinstance(section, dict) and section and all(isinstance(v, dict) for v in section.values()):
        overall = {k: v["overall"] for k, v in section.items() if isinstance(v.get("overall"), dict)}
        if overall:
            return overall
    return section


def load_evaluation(model_dir: Path, reports_dir: Path) -> tuple[Optional[dict[str, Any]], Optional[str]]:
    """The evaluation summary: the shipped model card's, else ``reports/evaluation.json``, else none."""
    for path, key in ((model_dir / "model_card.json", "evaluation"), (reports_dir / "evaluation.json", None)):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        section = data.get(key) if key else data
        if isinstance(section, dict):
            summary = {k: _overall(section[k]) for k in ("entities", "facts") if k in section}
            try:
                rel = str(path.relative_to(REPO_ROOT))
            except ValueError:
                rel = str(path)
            return summary or None, rel
    return None, None

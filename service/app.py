"""The FastAPI application: ``create_app()`` builds it, ``fiscal-extract serve`` runs it.

Per server worker the lifespan starts one bounded extraction pool (spawned processes that load
the shipped model once each, or threads sharing one model); routers reach it through
``service.deps``. Around every request a
small ASGI middleware assigns the request id, bounds the request body (its declared length,
then the bytes actually received, chunked or not, and the time it may take to arrive) for every
route before any endpoint or authentication code runs, records Prometheus metrics and writes
one access-log line.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import re
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Optional

from fastapi import FastAPI, HTTPException
from fastapi.staticfiles import StaticFiles
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nlp import __version__
from service.deps import REPO_ROOT, ExtractionRunner, load_evaluation
from service.settings import resolve_model_dir
from service.errors import REQUEST_ID_HEADER, error_response, install_error_handlers, request_id_var
from service.settings import Settings, get_settings

log = logging.getLogger("service")

# Routers mounted, one module per concern, each exposing ``router``. Add a line to add one.
ROUTER_MODULES: list[str] = [
    "service.routers.extract",
    "service.routers.meta",
    "service.routers.visualize",
    "service.routers.label_studio",
]

STATIC_DIR = Path(__file__).resolve().parent / "static"

REQUESTS = Counter("fiscal_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("fiscal_http_request_duration_seconds", "HTTP request latency", ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
BODY_BYTES = Histogram("fiscal_http_request_body_bytes", "declared request body size", ["route"],
                       buckets=(1e2, 1e3, 1e4, 1e5, 1e6, 4e6, 1e7))

# A client's id is kept if it is short and printable; anything else is replaced (log injection).
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


# Status recorded when the client left before an answer (nginx's convention): not a 5xx.
CLIENT_CLOSED = 499


class BodyLimitError(HTTPException):
    """Raised from ``receive`` itself, so whoever reads the body (FastAPI's own parsing, our
    ``read_body``) stops there; answered as the one error shape by the HTTPException handler."""


class RequestContextMiddleware:
    """Request id in and out; the body bounded for every route — 413 on a declared
    Content-Length over the limit before anything is read, 413 as soon as the bytes received
    (chunked or not) cross it, 408 when the body does not arrive within ``body_timeout``;
    metrics; access log."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, body_timeout: Optional[float] = None,
                 max_header_bytes: Optional[int] = None):
        self.app, self.max_body_bytes, self.body_timeout = app, max_body_bytes, body_timeout
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get(REQUEST_ID_HEADER.lower(), "")
        rid = given if _CLIENT_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        status = {"code": 500}
        started = time.perf_counter()
        limit = self.max_body_bytes
        body = {"received": 0, "done": False, "disconnected": False}
        deadline = time.monotonic() + self.body_timeout if self.body_timeout else None

        async def bounded_receive() -> Message:
            if body["done"]:  # after the body: waiting for a disconnect is not bounded
                return await receive()
            try:
                if deadline is None:
                    message = await receive()
                else:
                    message = await asyncio.wait_for(receive(), max(deadline - time.monotonic(), 0.001))
            except asyncio.TimeoutError:
                body["done"] = True
                raise BodyLimitError(408, f"request body not received within {self.body_timeout:g} s "
                                          "(FISCAL_BODY_TIMEOUT_SECONDS)", headers={"Connection": "close"}) from None
            if message["type"] == "http.request":
                body["received"] += len(message.get("body", b""))
                if body["received"] > limit:
                    body["done"] = True
                    raise BodyLimitError(413, f"request body exceeds {limit} bytes (FISCAL_MAX_BODY_BYTES)",
                                         headers={"Connection": "close"})
                if not message.get("more_body", False):
                    body["done"] = True
            elif message["type"] == "http.disconnect":
                body["done"] = body["disconnected"] = True
            return message

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["started"] = message["status"], True
                raw = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": raw + [(b"x-request-id", rid.encode())]}
            await send(message)

        try:
            declared = headers.get("content-length", "")
            head_bytes = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"") + sum(
                len(k) + len(v) + 4 for k, v in scope["headers"])
            if self.max_header_bytes and head_bytes > self.max_header_bytes:
                # uvicorn's h11 bound holds only for a head that arrives in pieces; this one is whole.
                response = error_response(431, "header_too_large",
                                          f"request head of {head_bytes} bytes exceeds {self.max_header_bytes} (FISCAL_MAX_HEADER_BYTES)",
                                          headers={"Connection": "close"})
                await response(scope, receive, send_with_id)
            elif declared.isdigit() and int(declared) > self.max_body_bytes:
                # Refused before one byte of the body is read.
                response = error_response(413, "payload_too_large",
                                          f"request body of {declared} bytes exceeds {self.max_body_bytes} (FISCAL_MAX_BODY_BYTES)",
                                          headers={"Connection": "close"})
                await response(scope, receive, send_with_id)
            else:
                await self.app(scope, bounded_receive, send_with_id)
            if body["disconnected"]:  # the client left before its body was in: no answer reached it
                status["code"] = CLIENT_CLOSED
        except BodyLimitError as e:  # raised where no handler turned it into the answer
            if status.get("started"):
                raise
            code = "payload_too_large" if e.status_code == 413 else "request_timeout"
            await error_response(e.status_code, code, str(e.detail), headers=e.headers)(scope, receive, send_with_id)
        except Exception:
            if body["disconnected"]:
                # The client left while its body was being read: nothing to answer, not a bug.
                status["code"] = CLIENT_CLOSED
                return
            # A bug, not bad input. Answered here, inside the request-id context, so even a 500
            # carries the id (Starlette's outermost handler would answer without it).
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if status.get("started"):
                raise
            response = error_response(500, "internal_error", "internal error; quote the request id when reporting it")
            await response(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            REQUESTS.labels(scope["method"], route, str(status["code"])).inc()
            LATENCY.labels(scope["method"], route).observe(elapsed)
            if declared.isdigit():
                BODY_BYTES.labels(route).observe(int(declared))
            log.info("%s %s %s %.1fms", scope["method"], scope["path"], status["code"], elapsed * 1000)
            request_id_var.reset(token)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def configure_logging(level: str) -> None:
    if any(isinstance(f, _RequestIdFilter) for h in log.handlers for f in h.filters):
        return
    handler = logging.StreamHandler()
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(level.upper())
    log.propagate = False


def version_info(model_info: dict[str, Any]) -> dict[str, Any]:
    """Which pipeline answers: a verified trained model (its directory and the evaluation of
    its card), or rules only (``serve --rules-only``: no model, so no model evaluation)."""
    rules_only = bool(model_info.get("rules_only", model_info.get("name") == "fiscal-zh-rules"))
    evaluation, source = None, None
    if not rules_only:
        model_dir = Path(model_info.get("model_dir") or resolve_model_dir())
        evaluation, source = load_evaluation(model_dir, REPO_ROOT / "reports")
    return {"model": {"name": model_info["name"], "version": model_info["version"]}, "service_version": __version__,
            "pipeline": "rules-only" if rules_only else "model", "evaluation": evaluation, "evaluation_source": source}


def create_app(settings: Optional[Settings] = None, extractor: Any = None) -> FastAPI:
    """The app. With ``extractor`` given (tests share one) extraction runs in threads with it;
    otherwise the lifespan starts the extraction pool, which loads the shipped model once per
    pool process (``FISCAL_EXTRACT_MODE=process``, the default) or once in this process (``thread``)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        started = time.perf_counter()
        app.state.runner = ExtractionRunner(
            "thread" if extractor is not None else settings.extract_mode, settings.extract_workers,
            settings.max_pending_extractions, settings.request_timeout_seconds, extractor=extractor,
            rules_only=settings.rules_only)
        try:
            app.state.model_info = await app.state.runner.describe()  # loads the model in the worker(s)
            app.state.version_info = version_info(app.state.model_info)
            app.state.started = time.monotonic()
            log.info("model %s %s (%s) ready in %.1fs (%s mode, %d worker(s))", app.state.model_info["name"],
                     app.state.model_info["version"], app.state.version_info["pipeline"], time.perf_counter() - started,
                     app.state.runner.mode, settings.extract_workers)
            yield
        finally:
            app.state.runner.shutdown()

    from fastapi_offline import FastAPIOffline  # Swagger UI / ReDoc assets from the package, not a CDN

    app = FastAPIOffline(
        title="fiscal-extract",
        version=__version__,
        description="Entities, facts and arithmetic checks from Chinese government fiscal text. "
        "Errors are always `{\"error\": {\"code\", \"message\", \"request_id\"}}`.",
        lifespan=lifespan,
        static_url="/static/docs",
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes,
                       body_timeout=settings.body_timeout_seconds, max_header_bytes=settings.max_header_bytes)
    app.mount("/static/app", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(name).router)
    return app

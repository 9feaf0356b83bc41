"""The FastAPI application: ``create_app()`` builds it, ``fiscal-extract serve`` runs it.

Per server worker the lifespan starts one bounded extraction pool (spawned processes that load
the shipped model once each, or threads sharing one model); routers reach it through
``service.deps``. Around every request a
small ASGI middleware assigns the request id, refuses oversized bodies by their declared
length, records Prometheus metrics and writes one access-log line.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Optional

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nlp import __version__
from service.deps import REPO_ROOT, ExtractionRunner, load_evaluation
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


class RequestContextMiddleware:
    """Request id in and out, early 413 on a declared Content-Length, metrics, access log."""

    def __init__(self, app: ASGIApp, max_body_bytes: int):
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get(REQUEST_ID_HEADER.lower(), "")
        rid = given if _CLIENT_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        status = {"code": 500}
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["started"] = message["status"], True
                raw = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": raw + [(b"x-request-id", rid.encode())]}
            await send(message)

        try:
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                # Refused before one byte of the body is read.
                response = error_response(413, "payload_too_large",
                                          f"request body of {declared} bytes exceeds {self.max_body_bytes} (FISCAL_MAX_BODY_BYTES)",
                                          headers={"Connection": "close"})
                await response(scope, receive, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        except Exception:
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
    model_dir = Path(os.environ.get("FISCAL_MODEL_DIR") or REPO_ROOT / "models" / "fiscal-zh")
    evaluation, source = load_evaluation(model_dir, REPO_ROOT / "reports")
    return {"model": {"name": model_info["name"], "version": model_info["version"]}, "service_version": __version__,
            "evaluation": evaluation, "evaluation_source": source}


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
            settings.max_pending_extractions, settings.request_timeout_seconds, extractor=extractor)
        try:
            app.state.model_info = await app.state.runner.describe()  # loads the model in the worker(s)
            app.state.version_info = version_info(app.state.model_info)
            app.state.started = time.monotonic()
            log.info("model %s %s ready in %.1fs (%s mode, %d worker(s))", app.state.model_info["name"],
                     app.state.model_info["version"], time.perf_counter() - started, app.state.runner.mode,
                     settings.extract_workers)
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
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    app.mount("/static/app", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(name).router)
    return app

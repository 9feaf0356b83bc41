"""``fiscal-extract serve``: the HTTP service under uvicorn, the shipped model loaded once per worker."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the HTTP service (POST /extract, /visualize, /docs, /metrics)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--workers", type=int, default=1, help="worker processes, each with its own model (default: 1)")
    p.add_argument("--model", default=None, help="model directory (default: the shipped model; env FISCAL_MODEL_DIR); "
                   "it must exist and verify against its manifest, or the server does not start")
    p.add_argument("--rules-only", action="store_true",
                   help="serve the rules-only pipeline, no trained model (env FISCAL_RULES_ONLY=1); /version says so")
    p.add_argument("--log-level", default=None, help="log level (default: info; env FISCAL_LOG_LEVEL)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    if args.workers < 1 or not (0 <= args.port <= 65535):
        print("fiscal-extract serve: --workers must be ≥ 1 and --port in 0..65535", file=sys.stderr)
        return 2
    if args.rules_only and args.model:
        print("fiscal-extract serve: --rules-only and --model exclude each other", file=sys.stderr)
        return 2
    # Settings reach every worker process through the environment.
    if args.model:
        os.environ["FISCAL_MODEL_DIR"] = os.path.abspath(args.model)
    if args.rules_only:
        os.environ["FISCAL_RULES_ONLY"] = "1"
    if args.log_level:
        os.environ["FISCAL_LOG_LEVEL"] = args.log_level
    from service.settings import Settings

    try:
        settings = Settings()
    except ValueError as e:  # a FISCAL_* variable out of range
        print(f"fiscal-extract serve: invalid setting: {' '.join(str(e).split())[:300]}", file=sys.stderr)
        return 2
    if not settings.rules_only:
        # A configured model that is missing or does not verify stops the server here, in one
        # line, before any worker starts: never a silent fall-back to rules.
        from nlp.model_store import ModelIntegrityError, check_model_dir
        from service.settings import resolve_model_dir

        model_dir = resolve_model_dir()
        try:
            check_model_dir(model_dir)
        except (ModelIntegrityError, OSError) as e:
            print(f"fiscal-extract serve: model {model_dir} cannot be used: {e} "
                  "(give a verified model directory with --model, or choose --rules-only)", file=sys.stderr)
            return 2
    metrics_dir = None
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # /metrics then sums the counters of all workers, whichever worker answers.
        metrics_dir = tempfile.mkdtemp(prefix="fiscal-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        uvicorn.run(
            "service.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            access_log=False,  # the service logs each request itself, with its request id
            log_level=(args.log_level or os.environ.get("FISCAL_LOG_LEVEL") or "info").lower(),
            timeout_graceful_shutdown=10,
            # Every wait on a client is bounded (docs/service.md): request head (service.http),
            # body (the request middleware), idle keep-alive; connections and head size capped.
            http="service.http:BoundedH11Protocol",
            timeout_keep_alive=settings.keep_alive_seconds,
            limit_concurrency=settings.max_connections + 1,  # service.http closes connections beyond the cap
            h11_max_incomplete_event_size=settings.max_header_bytes,
        )
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0

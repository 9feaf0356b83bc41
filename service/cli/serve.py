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
    p.add_argument("--model", default=None, help="model directory (default: the shipped model; env FISCAL_MODEL_DIR)")
    p.add_argument("--log-level", default=None, help="log level (default: info; env FISCAL_LOG_LEVEL)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    if args.workers < 1 or not (0 <= args.port <= 65535):
        print("fiscal-extract serve: --workers must be ≥ 1 and --port in 0..65535", file=sys.stderr)
        return 2
    # Settings reach every worker process through the environment.
    if args.model:
        os.environ["FISCAL_MODEL_DIR"] = os.path.abspath(args.model)
    if args.log_level:
        os.environ["FISCAL_LOG_LEVEL"] = args.log_level
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
        )
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0

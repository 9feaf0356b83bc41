"""Load bench of the HTTP service (on demand: ``python -m bench load``; NOT a test).

Starts the real server (``fiscal-extract serve``) on a free loopback port, then, bounded in
time and count: requests/s and p50/p99 latency for 1 KB and 20 KB documents (slices of the
real sources) at 1, 8 and 32 concurrent clients (httpx async); the server's resident memory
(psutil); the event-loop stall (``/health`` latency while a 1 MB document is extracted); a
soak run at 32 clients checking for zero errors. Markdown to stdout, JSON to bench/out/load.json.
Client and server share this machine's cores, so the numbers are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator, Optional

import httpx

ON_DEMAND = True
ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "annotations" / "sources"
OUT = Path(__file__).resolve().parent / "out" / "load.json"
MAX_REQUESTS_PER_CELL = 20_000


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_command(port: int, workers: int = 1) -> list[str]:
    script = Path(sys.executable).with_name("fiscal-extract")
    base = [str(script)] if script.exists() else [sys.executable, "-c", "import sys; from service.cli import main; sys.exit(main())"]
    return base + ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]


@contextlib.contextmanager
def running_server(workers: int = 1, env: Optional[dict[str, str]] = None, startup_timeout: float = 90.0,
                   log_path: Optional[Path] = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """``(base_url, process)`` of a server on 127.0.0.1; stopped (SIGINT, then kill) on exit."""
    port = free_port()
    own_log = log_path is None
    log_path = log_path or Path(tempfile.mkstemp(prefix="fiscal-serve-", suffix=".log")[1])
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(serve_command(port, workers), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, **(env or {})}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{log_path.read_text(errors='replace')[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not up within {startup_timeout}s")
            time.sleep(0.2)
        yield base, proc
    finally:
        stop(proc)
        if own_log:
            log_path.unlink(missing_ok=True)


def stop(proc: subprocess.Popen, grace: float = 15.0) -> int:
    """SIGINT (uvicorn's graceful shutdown), then SIGKILL of the process group after ``grace`` s."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    return proc.returncode


def rss_mb(pid: int) -> float:
    import psutil

    try:
        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
        return round(sum(q.memory_info().rss for q in procs if q.is_running()) / 2**20, 1)
    except psutil.Error:
        return float("nan")


def rss_each_mb(pid: int) -> list[float]:
    """RSS of each process of the server (the uvicorn supervisor, its workers, their extraction
    processes), largest first: what one worker costs, beside the tree's sum."""
    import psutil

    try:
        p = psutil.Process(pid)
        return sorted((round(q.memory_info().rss / 2**20, 1) for q in [p, *p.children(recursive=True)] if q.is_running()),
                      reverse=True)
    except psutil.Error:
        return []


# --- the load ----------------------------------------------------------------------------------


def document_of(size: int) -> str:
    """A prefix of the real sources of about ``size`` bytes of UTF-8, cut at a line end."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SOURCES.glob("*.txt")))
    out, n = [], 0
    for line in text.splitlines(keepends=True):
        if n + len(line.encode()) > size and out:
            break
        out.append(line)
        n += len(line.encode())
    return "".join(out)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


async def load_cell(base: str, text: str, clients: int, seconds: float) -> dict:
    latencies, errors, statuses = [], 0, {}
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def worker(i: int) -> None:
            nonlocal errors
            while time.perf_counter() < deadline and len(latencies) + errors < MAX_REQUESTS_PER_CELL:
                t0 = time.perf_counter()
                try:
                    r = await client.post("/extract", json={"text": text, "doc_id": f"load-{i}"})
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                    if r.status_code == 200:
                        latencies.append(time.perf_counter() - t0)
                    else:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(clients)))
        elapsed = time.perf_counter() - started
    return {"clients": clients, "requests": len(latencies), "errors": errors, "statuses": statuses,
            "seconds": round(elapsed, 2), "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(pct(latencies, 50) * 1000, 1), "p99_ms": round(pct(latencies, 99) * 1000, 1)}


async def event_loop_stall(base: str, big_text: str) -> dict:
    """/health latency alone, then while a ~1 MB document is being extracted."""
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        async def probe(n: int, until: Optional[asyncio.Task] = None) -> list[float]:
            out = []
            for _ in range(n):
                if until is not None and until.done():
                    break
                t0 = time.perf_counter()
                r = await client.get("/health")
                assert r.status_code == 200
                out.append(time.perf_counter() - t0)
                await asyncio.sleep(0.02)
            return out

        idle = await probe(50)
        t0 = time.perf_counter()
        extraction = asyncio.ensure_future(
            client.post("/extract", content=big_text.encode(), headers={"content-type": "text/plain"}))
        await asyncio.sleep(0.2)  # the upload and parse are done; extraction is running
        busy = await probe(10_000, until=extraction)
        response = await extraction
        extract_s = time.perf_counter() - t0
    ms = lambda xs, q: round(pct(xs, q) * 1000, 1)  # noqa: E731
    return {"document_bytes": len(big_text.encode()), "extract_status": response.status_code,
            "extract_seconds": round(extract_s, 2), "idle_p50_ms": ms(idle, 50), "idle_max_ms": ms(idle, 100),
            "busy_probes": len(busy), "busy_p50_ms": ms(busy, 50), "busy_p99_ms": ms(busy, 99), "busy_max_ms": ms(busy, 100)}


def markdown(report: dict) -> str:
    lines = [f"Server: {report['workers']} worker(s), {report['mode']} mode, {report['cpus']} CPU cores shared with the client; "
             f"{report['seconds_per_cell']} s per cell.", "",
             "| document | clients | requests | errors | req/s | p50 ms | p99 ms | server RSS MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for c in report["cells"]:
        lines.append(f"| {c['document']} | {c['clients']} | {c['requests']} | {c['errors']} | {c['rps']} | "
                     f"{c['p50_ms']} | {c['p99_ms']} | {c['rss_mb']} |")
    s = report["stall"]
    lines += ["", f"Event loop while a {s['document_bytes'] / 2**20:.2f} MB document is extracted "
              f"({s['extract_seconds']} s, status {s['extract_status']}): /health p50 {s['busy_p50_ms']} ms, "
              f"p99 {s['busy_p99_ms']} ms, max {s['busy_max_ms']} ms over {s['busy_probes']} probes "
              f"(idle: p50 {s['idle_p50_ms']} ms, max {s['idle_max_ms']} ms)."]
    if report.get("soak"):
        k = report["soak"]
        lines.append(f"Soak: {k['seconds']} s at {k['clients']} clients, {k['document']}: {k['requests']} requests, "
                     f"{k['errors']} errors, {k['rps']} req/s, p99 {k['p99_ms']} ms; RSS after {k['rss_mb']} MB.")
    lines.append(f"Server RSS: {report['rss_start_mb']} MB after start, {report['rss_end_mb']} MB at the end.")
    if report.get("rss_each_start_mb"):
        lines.append(f"RSS per process (MB, largest first): after start {report['rss_each_start_mb']}, "
                     f"at the end {report.get('rss_each_end_mb')}.")
    return "\n".join(lines)


async def run_bench(base: str, pid: int, args: argparse.Namespace) -> dict:
    docs = {"1 KB": document_of(1024), "20 KB": document_of(20 * 1024)}
    report = {"workers": args.workers, "mode": args.mode, "cpus": os.cpu_count(), "seconds_per_cell": args.seconds,
              "rss_start_mb": rss_mb(pid), "rss_each_start_mb": rss_each_mb(pid), "cells": []}
    for name, text in docs.items():
        for clients in args.clients:
            cell = await load_cell(base, text, clients, args.seconds)
            cell.update(document=name, document_bytes=len(text.encode()), rss_mb=rss_mb(pid))
            report["cells"].append(cell)
            print(f"  {name} × {clients}: {cell['rps']} req/s, p99 {cell['p99_ms']} ms, errors {cell['errors']}", file=sys.stderr)
    line = ("收入总计" + "4285900" + "支出") * (2**20 // 25)  # 1 MB, one line, no punctuation
    report["stall"] = await event_loop_stall(base, line)
    report["rss_after_1mb_mb"] = rss_mb(pid)
    if args.soak_seconds > 0:
        soak = await load_cell(base, docs["1 KB"], 32, args.soak_seconds)
        soak.update(document="1 KB", rss_mb=rss_mb(pid))
        report["soak"] = soak
    report["rss_end_mb"] = rss_mb(pid)
    report["rss_each_end_mb"] = rss_each_mb(pid)
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench load", description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=10.0, help="length of each load cell (default 10)")
    p.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    p.add_argument("--soak-seconds", type=float, default=30.0, help="the zero-error run at 32 clients (0: skip)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--mode", choices=("process", "thread"), default="process", help="FISCAL_EXTRACT_MODE of the server")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    with running_server(workers=args.workers, env={"FISCAL_LOG_LEVEL": "warning", "FISCAL_EXTRACT_MODE": args.mode}) as (base, proc):
        report = asyncio.run(run_bench(base, proc.pid, args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(markdown(report))
    ok = all(c["errors"] == 0 for c in report["cells"]) and (not report.get("soak") or report["soak"]["errors"] == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

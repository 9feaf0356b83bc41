"""Batch re-tagging throughput: documents/s and memory per worker (run on demand, not a test).

    .venv/bin/python bench/retag_bench.py --mb 50            # the sources replicated to ~50 MB
    .venv/bin/python bench/retag_bench.py --mb 5 --configs procs1,procs2,dask2

Each configuration runs ``nlp.batch.run_job`` on the same JSONL corpus into a fresh output
directory. Reported: end-to-end wall time (planning, model load, executor start-up, merge),
the processing rate (documents / seconds from executor start to the last chunk), and the peak
memory of each worker process sampled with psutil every 0.5 s: RSS, and USS (memory only that
process holds — forked pool workers share the driver's loaded model copy-on-write, so their
RSS overstates what each one costs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlp.batch import JobConfig, run_job  # noqa: E402

CONFIGS = {
    "procs1": {"workers": 1, "scheduler": None, "label": "processes, 1 worker"},
    "procs2": {"workers": 2, "scheduler": None, "label": "processes, 2 workers"},
    "dask1": {"workers": 1, "scheduler": "local", "label": "Dask LocalCluster, 1 worker"},
    "dask2": {"workers": 2, "scheduler": "local", "label": "Dask LocalCluster, 2 workers"},
}


def build_corpus(path: Path, mb: float) -> tuple[int, int]:
    """The real sources, replicated until their text reaches ``mb`` MB; (documents, text bytes)."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "annotations" / "sources").glob("*.txt"))]
    target, size, docs = int(mb * 1_000_000), 0, 0
    with open(path, "w", encoding="utf-8") as f:
        while size < target:
            for t in texts:
                f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
                size += len(t.encode("utf-8"))
                docs += 1
    return docs, size


class MemorySampler(threading.Thread):
    """Peak RSS/USS per descendant process that does work (pool workers, Dask workers)."""

    def __init__(self, every: float = 0.5):
        super().__init__(daemon=True)
        self.every, self.stop_flag, self.peaks = every, threading.Event(), {}
        self.me = psutil.Process()

    def run(self) -> None:
        while not self.stop_flag.is_set():
            for p in self.me.children(recursive=True):
                try:
                    if p.children():  # a Dask nanny: supervises, holds no model
                        continue
                    info = p.memory_full_info()
                    cpu = p.cpu_times()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                rss, uss, busy = self.peaks.get(p.pid, (0, 0, 0.0))
                self.peaks[p.pid] = (max(rss, info.rss), max(uss, info.uss), max(busy, cpu.user + cpu.system))
            self.stop_flag.wait(self.every)

    def workers(self) -> list[tuple[int, int, float]]:
        # the multiprocessing resource tracker and other helpers use no CPU to speak of
        return [(rss, uss, busy) for rss, uss, busy in self.peaks.values() if busy > 1.0]


def run(name: str, corpus: Path, work: Path, chunk: int) -> dict:
    cfg = CONFIGS[name]
    load_before = os.getloadavg()[0]
    out = work / f"out-{name}"
    shutil.rmtree(out, ignore_errors=True)
    sampler = MemorySampler()
    sampler.start()
    driver_rss0 = psutil.Process().memory_info().rss
    cpu0 = psutil.Process().cpu_times()
    t0 = time.perf_counter()
    report = run_job(JobConfig(inputs=[str(corpus)], out=str(out), workers=cfg["workers"], scheduler=cfg["scheduler"],
                               chunk_docs=chunk, progress="log"))
    wall = time.perf_counter() - t0
    cpu1 = psutil.Process().cpu_times()
    sampler.stop_flag.set()
    sampler.join()
    run_info = report.manifest["timings"]["runs"][-1]
    if report.manifest["counts"]["errors"]:  # a throughput of failures is no throughput
        first = report.manifest["errors"][0]
        raise SystemExit(f"{name}: {report.manifest['counts']['errors']} documents failed, e.g. {first}")
    workers = sampler.workers()
    return {
        "config": cfg["label"],
        "documents": report.manifest["counts"]["documents"],
        "wall_s": round(wall, 1),
        "processing_s": run_info["seconds"],
        "executor_start_s": run_info.get("executor_start_seconds"),
        # steady state: from workers up (model loaded) to the last chunk
        "docs_per_s": round(report.manifest["counts"]["documents"]
                            / (run_info["seconds"] - run_info.get("executor_start_seconds", 0.0)), 2),
        "end_to_end_docs_per_s": round(report.manifest["counts"]["documents"] / wall, 2),
        "worker_busy_s": run_info["worker_seconds"],  # summed wall time of chunks inside workers
        "driver_cpu_s": round(cpu1.user + cpu1.system - cpu0.user - cpu0.system, 1),
        "workers_seen": len(workers),
        "worker_cpu_s": round(sum(c for _, _, c in workers), 1),  # user+system, incl. model load
        "worker_peak_rss_mb": round(max((r for r, _, _ in workers), default=0) / 2**20),
        "worker_peak_uss_mb": round(max((u for _, u, _ in workers), default=0) / 2**20),
        "load_before": round(load_before, 2),
        "driver_rss_mb": round(max(driver_rss0, psutil.Process().memory_info().rss) / 2**20),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=50.0, help="corpus size in MB of text (default 50)")
    ap.add_argument("--configs", default="procs1,procs2,dask2", help=f"comma-separated, from {','.join(CONFIGS)}")
    ap.add_argument("--chunk-size", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=1,
                    help="run the configurations this many times, interleaved (a shared machine's load drifts)")
    ap.add_argument("--work", default=None, help="working directory (default: a temporary one, removed)")
    ap.add_argument("--json", default=None, help="also write the rows as JSON here")
    args = ap.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="retag-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus.jsonl"
    docs, size = build_corpus(corpus, args.mb)
    print(f"corpus: {docs} documents, {size / 1e6:.1f} MB of text; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    rows = []
    try:
        for _ in range(args.repeat):
            for name in args.configs.split(","):
                rows.append(run(name.strip(), corpus, work, args.chunk_size))
            print(json.dumps(rows[-1]), flush=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n| configuration | docs | wall s | start-up s | docs/s | worker CPU s | worker peak RSS MB | "
          f"worker peak USS MB | driver CPU s | load before |\n|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['config']} | {r['documents']} | {r['wall_s']} | {r['executor_start_s']} | {r['docs_per_s']} | "
              f"{r['worker_cpu_s']} | {r['worker_peak_rss_mb']} | {r['worker_peak_uss_mb']} | {r['driver_cpu_s']} | "
              f"{r['load_before']} |")
    by_config: dict[str, list[float]] = {}
    for r in rows:
        by_config.setdefault(r["config"], []).append(r["docs_per_s"])
    base = statistics.median(next(iter(by_config.values()))) if by_config else None
    print("\n| configuration | median docs/s | speed-up vs first |\n|---|---|---|")
    for name, rates in by_config.items():
        m = statistics.median(rates)
        print(f"| {name} | {m:.2f} | {m / base:.2f}× |")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

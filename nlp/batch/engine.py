"""The re-tagging job: plan → chunks through a ``concurrent.futures`` executor → part files → merge.

One code path for every scale: the driver submits chunks to a ``concurrent.futures.Executor``
— a ``ProcessPoolExecutor`` for ``--workers N`` or the ``dask.distributed`` client's executor
for ``--scheduler`` — and keeps a bounded window of chunks in flight. Workers get texts in the
task (no shared file system needed) and return records; only the driver writes files.

Durability: each finished chunk is written to ``.retag/parts/NNNNNN.jsonl`` by a temporary
file + ``os.replace``, so a part exists completely or not at all. A killed job re-plans (the
plan is a pure function of the inputs) and submits only the chunks without a part. When all
parts exist they are merged, in plan order, into one output per input (again temp + rename),
then ``errors.jsonl`` and finally ``manifest.json`` with ``status: complete``. Every document
belongs to exactly one chunk and every chunk to exactly one part, so the output holds every
document exactly once however often the job was interrupted.
"""


from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional, TextIO

from nlp.batch.errors import JobError
from nlp.batch.files import FILE_MODE, TMP_PREFIX, atomic_write, read_json, write_json
from nlp.batch.files import dumps as _dumps
from nlp.batch.files import now as _now
from nlp.batch.inputs import Plan, discover, load_chunk, plan
from nlp.batch.progress import Progress
from nlp.batch.workers import ExtractorSpec, default_workers, get_extractor, open_executor, process_chunk

__all__ = ["ExtractorSpec", "JobConfig", "JobError", "JobReport", "run_job"]

FORMAT_VERSION = 1
STATE_DIR = ".retag"
MANIFEST = "manifest.json"
ERRORS = "errors.jsonl"


class _Log:
    def __init__(self, cfg: "JobConfig"):
        self.cfg = cfg

    def log(self, message: str) -> None:
        if self.cfg.progress != "none":
            print(f"retag: {message}", file=self.cfg.stream, flush=True)


# --------------------------------------------------------------------------- the job


@dataclass
class JobConfig:
    inputs: list[str]
    out: str
    workers: int = 0  # 0: all cores
    scheduler: Optional[str] = None  # None: local processes; "local": a dask LocalCluster; "tcp://…"
    spec: ExtractorSpec = field(default_factory=ExtractorSpec)
    chunk_docs: int = 32
    chunk_bytes: int = 4 << 20
    overwrite: bool = False
    progress: str = "auto"  # auto | bar | log | none
    stream: TextIO = field(default=sys.stderr, repr=False)


@dataclass
class JobReport:
    status: str  # "complete" | "already-complete"
    out: Path
    manifest: dict[str, Any]
    processed_now: int = 0  # documents processed by this invocation


def _fingerprint(plan_: Plan, model: dict[str, Any], cfg: JobConfig) -> str:
    ident = {
        "format": FORMAT_VERSION,
        "model": model,
        "extractor": asdict(cfg.spec),
        "inputs": [[i.key, s] for i, s in zip(plan_.inputs, plan_.sha256)],
        "chunk": [cfg.chunk_docs, cfg.chunk_bytes],
    }
    return hashlib.sha256(_dumps(ident).encode()).hexdigest()


@contextlib.contextmanager
def _lock(state: Path) -> Iterator[None]:
    state.mkdir(parents=True, exist_ok=True)
    with open(state / "lock", "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise JobError(f"another retag job is running on {state.parent}") from e
        yield  # the kernel drops the lock when the process dies, even by SIGKILL


def _clean_temporaries(out: Path) -> None:
    for tmp in out.rglob(f"{TMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            tmp.unlink()


def run_job(cfg: JobConfig) -> JobReport:
    out = Path(cfg.out)
    if out.exists() and not out.is_dir():
        raise JobError(f"--out {out}: not a directory")
    state_dir = out / STATE_DIR
    parts_dir = state_dir / "parts"
    workers = cfg.workers or default_workers()
    with _lock(state_dir):
        _clean_temporaries(out)
        inputs = discover(cfg.inputs, exclude=out)
        plan_ = plan(inputs, cfg.chunk_docs, cfg.chunk_bytes)
        progress_log = _Log(cfg)
        t_load = time.perf_counter()
        try:
            extractor = get_extractor(cfg.spec)  # fail fast on a bad model, and name it in the manifest
        except JobError:
            raise
        except Exception as e:
            raise JobError(f"cannot load the extractor: {type(e).__name__}: {e}") from e
        load_seconds = time.perf_counter() - t_load
        model = dict(extractor.model_info)
        fingerprint = _fingerprint(plan_, model, cfg)

        manifest_path = out / MANIFEST
        previous = read_json(manifest_path)
        if previous is not None and previous.get("status") == "complete":
            if previous.get("fingerprint") == fingerprint:
                progress_log.log(
                    f"{out} is already complete ({previous['counts']['documents']} documents, model "
                    f"{model['name']} {model['version']}); nothing to do"
                )
                shutil.rmtree(parts_dir, ignore_errors=True)  # left over if killed right after the manifest
                with contextlib.suppress(FileNotFoundError):
                    (state_dir / "state.json").unlink()
                return JobReport("already-complete", out, previous)
            if not cfg.overwrite:
                raise JobError(
                    f"{out} holds a finished job with other inputs or another model; "
                    "choose a new --out (and compare with --diff) or pass --overwrite"
                )
            for name in [i["output"] for i in previous.get("inputs", [])] + [ERRORS, MANIFEST]:
                with contextlib.suppress(FileNotFoundError):
                    (out / name).unlink()

        state_path = state_dir / "state.json"
        state = read_json(state_path)
        if state is not None and state.get("fingerprint") != fingerprint:
            progress_log.log("the inputs, the model or the chunking changed since the interrupted run; starting over")
            state = None
        if state is None:
            shutil.rmtree(parts_dir, ignore_errors=True)
            state = {"fingerprint": fingerprint, "started": _now(), "runs": []}
        parts_dir.mkdir(parents=True, exist_ok=True)
        done = {int(p.stem) for p in parts_dir.glob("*.jsonl") if p.stem.isdigit()}
        run_info: dict[str, Any] = {"started": _now(), "resumed_with_chunks": len(done), "workers": workers,
                                    "scheduler": cfg.scheduler or "processes", "model_load_seconds": round(load_seconds, 3)}
        state["runs"].append(run_info)
        write_json(state_path, state)
        write_json(manifest_path, _manifest(plan_, model, fingerprint, state, "running", None, None))
        if done:
            progress_log.log(f"resuming: {len(done)} of {len(plan_.chunks)} chunks already done")

        pending = [c for c in plan_.chunks if c.index not in done]
        done_docs = sum(c.n_docs for c in plan_.chunks if c.index in done)
        wall = time.perf_counter()
        processed = 0
        worker_seconds = 0.0
        if pending:
            processed, worker_seconds = _run_chunks(cfg, plan_, pending, done_docs, workers, parts_dir, state,
                                                    manifest_path, model, fingerprint)
        run_info.update(finished=_now(), seconds=round(time.perf_counter() - wall, 3), documents=processed,
                        worker_seconds=round(worker_seconds, 3))
        run_info["docs_per_second"] = round(processed / run_info["seconds"], 2) if run_info["seconds"] > 0 else None

        merged = _merge(out, plan_, parts_dir)
        manifest = _manifest(plan_, model, fingerprint, state, "complete", merged, None)
        write_json(manifest_path, manifest)
        shutil.rmtree(parts_dir, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            state_path.unlink()
        c = manifest["counts"]
        progress_log.log(
            f"complete: {c['documents']} documents ({c['errors']} failed, see {out / ERRORS}), "
            f"{c['facts']} facts, {c['entities']} entities → {out}"
        )
        return JobReport("complete", out, manifest, processed)


def _run_chunks(cfg, plan_, pending, done_docs, workers, parts_dir, state, manifest_path, model, fingerprint):
    progress: Optional[Progress] = None
    processed, worker_seconds = 0, 0.0
    opened = time.perf_counter()
    try:
        with open_executor(cfg.spec, workers, cfg.scheduler) as (executor, slots):
            run_info = state["runs"][-1]
            run_info["executor_start_seconds"] = round(time.perf_counter() - opened, 3)
            # started once the workers are up, so the rate and ETA are about documents, not start-up
            progress = Progress(plan_.n_docs, done_docs, cfg.progress, cfg.stream)
            window = 2 * slots + 1  # enough to keep every worker busy, bounded memory
            queue = iter(pending)
            in_flight: dict[Future, int] = {}

            def submit_next() -> bool:
                chunk = next(queue, None)
                if chunk is None:
                    return False
                in_flight[executor.submit(process_chunk, cfg.spec, chunk.index, load_chunk(plan_, chunk))] = chunk.index
                return True

            while len(in_flight) < window and submit_next():
                pass
            while in_flight:
                finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for fut in finished:
                    index = in_flight.pop(fut)
                    try:
                        res = fut.result()
                    except Exception as e:
                        raise JobError(
                            f"a worker died while processing chunk {index} ({type(e).__name__}: {e}); "
                            "finished chunks are kept: re-run the same command to resume"
                        ) from e
                    atomic_write(parts_dir / f"{index:06d}.jsonl",
                                 lambda f, lines=res["lines"]: f.writelines(lines))
                    processed += len(res["lines"])
                    worker_seconds += res["seconds"]
                    progress.update(len(res["lines"]))
                    submit_next()
    except BaseException as e:
        status = "interrupted" if isinstance(e, KeyboardInterrupt) else "failed"
        with contextlib.suppress(Exception):
            write_json(manifest_path, _manifest(plan_, model, fingerprint, state, status, None, f"{type(e).__name__}: {e}"))
        raise
    finally:
        if progress is not None:
            progress.close()
    return processed, worker_seconds


def _merge(out: Path, plan_: Plan, parts_dir: Path) -> dict[str, Any]:
    """Parts, in plan order, → one JSONL per input (temp + rename) and errors.jsonl.

    A part line is ``META`` (a failed document) or ``META<TAB>RESULT``; only META is parsed,
    the result is copied as it is. Inputs are contiguous in the plan, so one output is open at
    a time."""
    per_input: list[dict[str, Any]] = [
        {"documents": 0, "ok": 0, "errors": 0, "entities": 0, "facts": 0, "checks": 0} for _ in plan_.inputs
    ]
    by_key = {inp.key: i for i, inp in enumerate(plan_.inputs)}
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    writer: Optional[tuple[int, TextIO, str, Any]] = None

    def close_writer() -> None:
        nonlocal writer
        if writer is None:
            return
        idx, f, tmp, h = writer
        f.flush()
        os.fsync(f.fileno())
        f.close()
        os.replace(tmp, out / plan_.inputs[idx].output)
        per_input[idx]["output_sha256"] = h.hexdigest()
        writer = None

    def open_writer(idx: int) -> None:
        nonlocal writer
        close_writer()
        target = out / plan_.inputs[idx].output
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=target.parent)
        os.fchmod(fd, FILE_MODE)
        writer = (idx, os.fdopen(fd, "w", encoding="utf-8"), tmp, hashlib.sha256())

    try:
        for chunk in plan_.chunks:
            part = parts_dir / f"{chunk.index:06d}.jsonl"
            with open(part, encoding="utf-8") as f:
                lines = f.readlines()
            if len(lines) != chunk.n_docs or not all(line.endswith("\n") for line in lines):
                raise JobError(f"{part}: {len(lines)} records for a chunk of {chunk.n_docs} documents; remove it and re-run")
            for line in lines:
                meta_text, _, result_text = line.partition("\t")
                rec = json.loads(meta_text)
                idx = by_key[rec["input"]]
                stats = per_input[idx]
                stats["documents"] += 1
                if rec["doc_id"] in seen:  # the plan makes ids unique; this guards the invariant
                    raise JobError(f"document {rec['doc_id']!r} appears twice in the parts")
                seen.add(rec["doc_id"])
                if "error" in rec:
                    stats["errors"] += 1
                    errors.append({"doc_id": rec["doc_id"], "input": rec["input"], "line": rec["line"], **rec["error"]})
                    continue
                stats["ok"] += 1
                for k, n in zip(("entities", "facts", "checks"), rec["counts"]):
                    stats[k] += n
                if writer is None or writer[0] != idx:
                    open_writer(idx)
                writer[1].write(result_text)
                writer[3].update(result_text.encode("utf-8"))
        close_writer()
        for idx, inp in enumerate(plan_.inputs):  # inputs whose documents all failed still get their (empty) file
            if "output_sha256" not in per_input[idx]:
                atomic_write(out / inp.output, lambda f: None)
                per_input[idx]["output_sha256"] = hashlib.sha256(b"").hexdigest()
    finally:
        if writer is not None:
            writer[1].close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(writer[2])
    atomic_write(out / ERRORS, lambda f: f.writelines(_dumps(e) + "\n" for e in errors))
    return {"per_input": per_input, "errors": errors}


def _manifest(plan_: Plan, model: dict[str, Any], fingerprint: str, state: dict[str, Any], status: str,
              merged: Optional[dict[str, Any]], message: Optional[str]) -> dict[str, Any]:
    inputs = []
    for i, inp in enumerate(plan_.inputs):
        entry = {"input": inp.key, "path": str(inp.path), "kind": inp.kind, "sha256": plan_.sha256[i],
                 "bytes": plan_.sizes[i], "documents": plan_.docs_per_input[i], "output": inp.output}
        if merged is not None:
            entry.update(merged["per_input"][i])
        inputs.append(entry)
    counts: dict[str, int] = {"documents": plan_.n_docs, "chunks": len(plan_.chunks)}
    if merged is not None:
        for k in ("ok", "errors", "entities", "facts", "checks"):
            counts[k] = sum(p[k] for p in merged["per_input"])
    runs = state.get("runs", [])
    total_seconds = sum(r.get("seconds", 0.0) for r in runs)
    total_docs = sum(r.get("documents", 0) for r in runs)
    manifest: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "status": status,
        "model": model,
        "fingerprint": fingerprint,
        "counts": counts,
        "timings": {
            "started": state.get("started"),
            "finished": _now() if status == "complete" else None,
            "processing_seconds": round(total_seconds, 3),
            "docs_per_second": round(total_docs / total_seconds, 2) if total_seconds > 0 else None,
            "runs": runs,
        },
        "inputs": inputs,
        "errors_file": ERRORS,
    }
    if merged is not None:
        manifest["errors"] = merged["errors"]
    if message:
        manifest["message"] = message
    return manifest

"""The worker side of a retag job: how a worker builds its extractor (once per process), turns
one chunk of documents into result lines, and which executor runs the chunks (a local process
pool or a Dask cluster). Nothing here writes files: only the driver does (``nlp.batch.engine``)."""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import signal
import threading
import time
import traceback
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterator, Optional

from nlp.batch.errors import JobError
from nlp.batch.files import dumps as _dumps
from nlp.contract import Result  # imported before workers fork, with the extractor they inherit
from nlp.sources.pdf import PdfError, PdfLimits, PdfText, attach_provenance, read_pdf_isolated

# --------------------------------------------------------------------------- the extractor in workers


@dataclass(frozen=True)
class ExtractorSpec:
    """How a worker builds its extractor: ``factory(model)``; the default factory is
    ``nlp.Extractor.load``. Plain strings, so it pickles to any process or cluster node."""

    model: Optional[str] = None
    factory: Optional[str] = None  # "package.module:callable"

    def build(self) -> Any:
        if self.factory:
            module, _, attr = self.factory.partition(":")
            if not module or not attr:
                raise JobError(f"--extractor-factory {self.factory!r}: expected 'module:callable'")
            fn = getattr(importlib.import_module(module), attr)
            return fn(self.model)
        from nlp import Extractor

        return Extractor.load(self.model)


_EXTRACTORS: dict[ExtractorSpec, Any] = {}


def get_extractor(spec: ExtractorSpec) -> Any:
    """The extractor of this process, loaded once (the per-process cache every worker uses)."""
    ex = _EXTRACTORS.get(spec)
    if ex is None:
        ex = _EXTRACTORS[spec] = spec.build()
    return ex


def _exit_when_orphaned(parent: int) -> None:
    # A driver killed with SIGKILL cannot shut its pool down; workers leave on their own.
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


def _init_pool_worker(spec: ExtractorSpec, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()
    get_extractor(spec)


def _error_record(item: dict[str, Any], exc: BaseException) -> dict[str, Any]:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f"{tb[-1].filename}:{tb[-1].lineno}" if tb else None
    return {k: item[k] for k in ("doc_id", "input", "line")} | {
        "error": {"type": type(exc).__name__, "message": str(exc)[:2000], "where": where}
    }


def _read_pdfs(items: list[dict[str, Any]]) -> dict[int, PdfText]:
    """Read the chunk's PDFs (each in a bounded child, ``FISCAL_PDF_*``): an item's ``pdf`` bytes
    become its ``text``, or its ``error`` (code and message) when the PDF cannot be read."""
    out: dict[int, PdfText] = {}
    for it in items:
        data = it.pop("pdf", None)
        if data is None:
            continue
        try:
            pdf = read_pdf_isolated(data, PdfLimits.from_env())
        except PdfError as e:
            it["error"] = {"type": "PdfError", "code": e.code, "message": str(e)}
            continue
        except ValueError as e:  # a FISCAL_PDF_* setting that is not a number
            it["error"] = {"type": "ConfigError", "message": f"bad FISCAL_PDF_* setting: {e}"}
            continue
        out[id(it)] = pdf
        it["text"] = pdf.text
    return out


def process_chunk(spec: ExtractorSpec, index: int, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Runs in a worker: contract results (or errors) for one chunk, in input order."""
    started = time.perf_counter()
    ex = get_extractor(spec)
    pdfs = _read_pdfs(items)
    todo = [it for it in items if "text" in it]
    results: dict[int, dict[str, Any]] = {}
    try:  # the fast path: one nlp.pipe over the chunk
        for it, res in zip(todo, ex.pipe([(it["text"], it["doc_id"]) for it in todo])):
            results[id(it)] = res
    except Exception:  # one bad document must not cost the others: redo them one by one
        results = {}
    lines: list[str] = []
    for it in items:
        base = {k: it[k] for k in ("doc_id", "input", "line")}
        if "error" in it:
            lines.append(_dumps(base | {"error": it["error"]}) + "\n")
            continue
        try:
            res = results.get(id(it))
            if res is None:
                res = ex.extract(it["text"], it["doc_id"])
            if id(it) in pdfs:
                attach_provenance(res, pdfs[id(it)])
            Result.model_validate(res)  # the output speaks the contract or is reported as an error
            counts = [len(res[k]) for k in ("entities", "facts", "checks")]
            # serialised here, in parallel: the driver only moves bytes (JSON text never holds a raw tab)
            lines.append(_dumps(base | {"counts": counts}) + "\t" + _dumps(res) + "\n")
        except Exception as e:  # noqa: BLE001 - any failure of one document is recorded, the job goes on
            lines.append(_dumps(_error_record(it, e)) + "\n")
    return {"chunk": index, "lines": lines, "seconds": time.perf_counter() - started, "pid": os.getpid()}


# --------------------------------------------------------------------------- executors


@contextlib.contextmanager
def open_executor(spec: ExtractorSpec, workers: int, scheduler: Optional[str]) -> Iterator[tuple[Executor, int]]:
    """A ``concurrent.futures.Executor`` and how many tasks it runs at once.

    ``scheduler=None``: a local process pool (fork: workers share the driver's loaded model
    copy-on-write; the initializer loads it where it is not there). ``"local"``: a
    ``distributed.LocalCluster`` of ``workers`` single-threaded processes. ``"tcp://…"``: an
    existing Dask cluster; its workers must have this package installed."""
    if scheduler is None:
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_pool_worker, initargs=(spec, os.getpid())) as pool:
            try:
                yield pool, workers
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:  # pragma: no cover - dask is a dependency
        raise JobError(f"--scheduler needs dask.distributed: {e}") from e
    with contextlib.ExitStack() as stack:
        if scheduler == "local":
            cluster = stack.enter_context(
                LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                             dashboard_address=None, silence_logs=logging.ERROR)
            )
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(scheduler, timeout="20s"))
            except (OSError, TimeoutError) as e:
                raise JobError(f"cannot reach the Dask scheduler {scheduler}: {e}") from e
        from nlp.batch.dask_plugin import LoadExtractorPlugin

        client.register_plugin(LoadExtractorPlugin(spec))
        slots = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()) or 1
        executor = client.get_executor(pure=False)
        try:
            yield executor, slots
        finally:
            executor.shutdown(wait=False)


def default_workers() -> int:
    """All cores this process may use (the affinity mask, which containers and taskset narrow)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1

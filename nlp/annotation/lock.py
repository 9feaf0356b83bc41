"""One writer for a gold directory: an ``fcntl`` lock file beside it.

Every path that changes ``annotations/gold`` (``annotate import``, the Label Studio webhook,
``annotate edit``, :meth:`GoldFile.save <nlp.annotation.edit.GoldFile.save>`) and training's
reads hold ``gold_lock(gold_dir)`` around their whole read-modify-write, so two writers never
work from the same old file and a reader never sees half an import.

- The lock file is ``<parent>/.<name>.lock`` (``annotations/.gold.lock`` for the gold). It is
  never deleted: deleting a lock file while someone waits on it would let a third process lock
  a fresh inode and run alongside the waiter.
- ``flock`` locks belong to an open file description, so threads of one process (the service's
  worker threads) exclude each other as processes do. The lock is reentrant within a thread.
- Whoever takes the lock first finishes a multi-file commit a crashed writer left behind
  (:func:`nlp.annotation.journal.recover`) before doing anything else.
- Waiting is bounded: ``$FISCAL_GOLD_LOCK_TIMEOUT`` seconds (default 120), then
  :class:`GoldLockTimeout`.
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

__all__ = ["GoldLockTimeout", "LOCK_TIMEOUT_ENV", "gold_lock", "lock_path"]

LOCK_TIMEOUT_ENV = "FISCAL_GOLD_LOCK_TIMEOUT"
DEFAULT_TIMEOUT_S = 120.0

_held = threading.local()  # .depth: {lock path: depth} of the locks this thread holds
_thread_locks: dict[str, threading.Lock] = {}  # one per lock path: threads queue here, not on flock polls
_registry = threading.Lock()


class GoldLockTimeout(TimeoutError):
    """Another writer held the gold lock for longer than the timeout."""


def lock_path(gold_dir: str | os.PathLike) -> Path:
    """``<parent>/.<name>.lock`` for ``gold_dir`` (it need not exist yet)."""
    d = Path(os.path.abspath(gold_dir))
    return d.parent / f".{d.name}.lock"


def _timeout() -> float:
    try:
        return float(os.environ.get(LOCK_TIMEOUT_ENV) or DEFAULT_TIMEOUT_S)
    except ValueError:
        return DEFAULT_TIMEOUT_S


def _thread_lock(key: str) -> threading.Lock:
    with _registry:
        return _thread_locks.setdefault(key, threading.Lock())


@contextmanager
def gold_lock(gold_dir: str | os.PathLike, timeout: Optional[float] = None, recover: bool = True) -> Iterator[Path]:
    """Hold the exclusive lock of ``gold_dir`` (yields the directory as a ``Path``).

    On first acquisition in this thread, a journal left by a crashed writer is rolled forward
    and stray temp files of uncommitted writes are removed (``recover=False`` skips that,
    for tools that only inspect)."""
    gold_dir = Path(os.path.abspath(gold_dir))
    path = lock_path(gold_dir)
    key = str(path)
    depth: dict[str, int] = getattr(_held, "depth", None) or {}
    _held.depth = depth
    if depth.get(key):
        depth[key] += 1
        try:
            yield gold_dir
        finally:
            depth[key] -= 1
        return
    budget = _timeout() if timeout is None else timeout
    deadline = time.monotonic() + budget
    tlock = _thread_lock(key)
    if not tlock.acquire(timeout=max(budget, 0.0)):
        raise GoldLockTimeout(f"{gold_dir}: another writer holds {path} (waited {budget:g} s)")
    fd = -1
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        delay = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                raise GoldLockTimeout(f"{gold_dir}: another process holds {path} (waited {budget:g} s)")
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        depth[key] = 1
        try:
            if recover:
                from nlp.annotation.journal import recover as roll_forward

                roll_forward(gold_dir)
            yield gold_dir
        finally:
            depth.pop(key, None)
    finally:
        if fd >= 0:
            os.close(fd)  # releases the flock
        tlock.release()

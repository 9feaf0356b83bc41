"""Commit several gold files as one unit: all old or all new, whatever moment a crash hits.

:func:`commit` (called with the gold lock held, :mod:`nlp.annotation.lock`):

1. every new file is written in full to a temp file in the gold directory
   (``.<doc_id>.jsonl.<random>.tmp``) and fsynced;
2. the journal ``<gold>/.journal.json`` (``{"renames": [[temp, target], ...]}``) is written to
   a temp file, fsynced and renamed into place, and the directory fsynced: **the commit
   point**;
3. each temp file is renamed over its target;
4. the directory is fsynced and the journal deleted.

:func:`recover` (run by whoever takes the lock next) finishes a commit that has a journal:
renames the temp files that are still there, then deletes the journal. Temp files without
a journal belong to a write that never reached its commit point and are deleted (roll back).
:func:`leftovers` lists what a crash left, for ``annotate validate``.

``$FISCAL_GOLD_CRASH_AFTER=N`` makes the process SIGKILL itself right after step N of a commit
(steps counted one per temp file, the journal, one per rename, the journal's deletion): the
hook the crash tests inject a ``kill -9`` with.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
from pathlib import Path
from typing import Mapping

__all__ = ["CRASH_ENV", "JOURNAL_NAME", "JournalError", "commit", "leftovers", "recover"]

JOURNAL_NAME = ".journal.json"
TMP_SUFFIX = ".tmp"
CRASH_ENV = "FISCAL_GOLD_CRASH_AFTER"


class JournalError(RuntimeError):
    """A journal that cannot be followed (unreadable, or naming files outside the directory)."""


class _Steps:
    def __init__(self, hook: bool = True) -> None:
        raw = os.environ.get(CRASH_ENV, "") if hook else ""
        self.crash_after = int(raw) if raw.strip().isdigit() else None
        self.n = 0

    def done(self) -> None:
        self.n += 1
        if self.crash_after is not None and self.n >= self.crash_after:
            os.kill(os.getpid(), signal.SIGKILL)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(directory: Path, name: str, data: bytes, mode: int) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=TMP_SUFFIX, dir=directory)
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600 files
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


def commit(directory: str | os.PathLike, files: Mapping[str, bytes]) -> list[Path]:
    """Replace ``directory/<name>`` by ``files[name]`` for every name, as one unit.

    Names are plain file names in ``directory``. Returns the target paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    steps = _Steps()
    umask = _umask()
    staged: list[tuple[Path, Path]] = []
    try:
        for name, data in files.items():
            if "/" in name or name in ("", ".", "..") or name.startswith("."):
                raise ValueError(f"not a plain file name: {name!r}")
            target = directory / name
            mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~umask
            staged.append((_write_temp(directory, name, data, mode), target))
            steps.done()
        journal = {"renames": [[tmp.name, target.name] for tmp, target in staged]}
        tmp_journal = _write_temp(directory, JOURNAL_NAME.lstrip("."), json.dumps(journal).encode(), 0o644)
        os.replace(tmp_journal, directory / JOURNAL_NAME)
        _fsync_dir(directory)
    except BaseException:
        for tmp, _ in staged:  # before the commit point: roll back
            if tmp.exists():
                tmp.unlink()
        raise
    steps.done()
    _finish(directory, journal, steps)
    return [target for _, target in staged]


def _finish(directory: Path, journal: Mapping, steps: _Steps) -> None:
    for tmp_name, target_name in journal["renames"]:
        tmp = directory / tmp_name
        if tmp.exists():
            os.replace(tmp, directory / target_name)
        steps.done()
    _fsync_dir(directory)
    (directory / JOURNAL_NAME).unlink()
    _fsync_dir(directory)
    steps.done()


def _read_journal(directory: Path) -> dict:
    path = directory / JOURNAL_NAME
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
        renames = journal["renames"]
        ok = isinstance(renames, list) and all(
            isinstance(pair, list) and len(pair) == 2 and all(
                isinstance(n, str) and n and "/" not in n and n not in (".", "..") for n in pair)
            for pair in renames)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise JournalError(f"{path}: unreadable journal ({e}); restore the gold from git or remove it by hand") from None
    if not ok:
        raise JournalError(f"{path}: malformed journal; restore the gold from git or remove it by hand")
    return journal


def _stray_temps(directory: Path, journal: Mapping | None = None) -> list[Path]:
    named = {tmp for tmp, _ in journal["renames"]} if journal else set()
    return sorted(p for p in directory.glob(f".*{TMP_SUFFIX}") if p.name not in named)


def recover(directory: str | os.PathLike) -> list[str]:
    """Finish (roll forward) a committed journal, delete temp files of uncommitted writes.

    Call with the gold lock held. Returns what was done, one line each."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    done: list[str] = []
    if (directory / JOURNAL_NAME).exists():
        journal = _read_journal(directory)
        _finish(directory, journal, _Steps(hook=False))
        done.append(f"finished an interrupted commit of {len(journal['renames'])} file(s)")
    for p in _stray_temps(directory):
        p.unlink()
        done.append(f"removed {p.name} (a write that never committed)")
    return done


def leftovers(directory: str | os.PathLike) -> list[str]:
    """What a crashed writer left in ``directory``: a journal, temp files (one line each)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    out = []
    journal_path = directory / JOURNAL_NAME
    journal = None
    if journal_path.exists():
        try:
            journal = _read_journal(directory)
            out.append(f"{journal_path}: unfinished commit of {len(journal['renames'])} file(s) "
                       "(the next write to this directory finishes it)")
        except JournalError as e:
            out.append(str(e))
    named = {tmp for tmp, _ in journal["renames"]} if journal else set()
    for p in sorted(directory.glob(f".*{TMP_SUFFIX}")):
        why = "staged by the unfinished commit" if p.name in named else "a write that never committed (removed by the next write)"
        out.append(f"{p}: leftover temp file, {p.stat().st_size} bytes, {why}")
    return out

"""Input discovery and the job plan: which documents exist, their ids, and how they are chunked.

A corpus is a list of ``.txt`` files (one document each), PDFs (one document each, known by
their ``%PDF-`` header whatever their name, read by ``nlp.sources.pdf`` in the worker) and JSONL
files (one document per non-blank line: ``{"text": ..., "doc_id"|"id": optional}``), given as
files or directories (searched recursively). The plan is a pure function of the inputs' bytes and the chunk
size, so an interrupted job re-plans to exactly the same chunks and can resume by chunk
index. Chunks carry byte ranges, not texts: texts are read only when a chunk is submitted.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional

from nlp.sources.pdf import is_pdf

SUFFIXES = {".txt": "txt", ".jsonl": "jsonl", ".pdf": "pdf"}


def input_kind(path: Path) -> Optional[str]:
    """txt, jsonl or pdf; None for a file that is none of them. A file that starts with
    ``%PDF-`` is a PDF whatever its suffix (a .jsonl excepted: its lines are the documents)."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return "jsonl"
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError:
        return SUFFIXES.get(suffix)
    if is_pdf(head):
        return "pdf"
    return SUFFIXES.get(suffix)


class InputError(ValueError):
    """The command's inputs cannot be used (missing, unsupported, colliding names)."""


@dataclass(frozen=True)
class InputFile:
    path: Path  # absolute
    key: str  # stable, relative, posix name: the doc id of a .txt and the prefix of JSONL line ids
    kind: str  # "txt" | "pdf" | "jsonl"
    output: str  # output JSONL, relative to the output directory (mirrors ``key``)


@dataclass(frozen=True)
class Segment:
    """A contiguous byte range of one input: lines ``first_line``… of a JSONL, or a whole .txt."""

    input_index: int
    start: int
    end: int
    first_line: int


@dataclass
class Chunk:
    index: int
    segments: list[Segment] = field(default_factory=list)
    n_docs: int = 0
    n_bytes: int = 0


@dataclass
class Plan:
    inputs: list[InputFile]
    sha256: list[str]
    sizes: list[int]
    docs_per_input: list[int]
    chunks: list[Chunk]
    # (input index, line) of a JSONL line whose id was already used → the first location
    duplicates: dict[tuple[int, int], str]

    @property
    def n_docs(self) -> int:
        return sum(self.docs_per_input)


def _output_name(key: str, kind: str) -> str:
    if kind == "jsonl":
        return key
    stem, dot, suffix = key.rpartition(".")
    return (stem if dot and "/" not in suffix else key) + ".jsonl"


def discover(args: list[str], exclude: Optional[Path] = None) -> list[InputFile]:
    """Expand files and directories into inputs, in a stable order, with unique names.

    A directory contributes its ``.txt``/``.jsonl``/``.pdf`` files and any other file that is a
    PDF recursively, named
    ``<directory name>/<relative path>``; a file is named by its file name. Hidden files and
    directories and anything under ``exclude`` (the output directory) are skipped."""
    if not args:
        raise InputError("no inputs given")
    excluded = exclude.resolve() if exclude is not None else None
    found: list[InputFile] = []
    seen_paths: set[Path] = set()

    def add(path: Path, key: str, kind: str) -> None:
        resolved = path.resolve()
        if resolved in seen_paths:
            return
        seen_paths.add(resolved)
        found.append(InputFile(resolved, key, kind, _output_name(key, kind)))

    for arg in args:
        p = Path(arg)
        if not p.exists():
            raise InputError(f"{arg}: no such file or directory")
        if p.is_dir():
            root = p.resolve()
            before = len(found)
            for dirpath, dirnames, filenames in os.walk(root):
                here = Path(dirpath)
                dirnames[:] = sorted(
                    d for d in dirnames
                    if not d.startswith(".") and (excluded is None or (here / d).resolve() != excluded)
                )
                for name in sorted(filenames):
                    f = here / name
                    if name.startswith(".") or not f.is_file():
                        continue
                    kind = input_kind(f)
                    if kind is not None:
                        add(f, f"{root.name}/{f.relative_to(root).as_posix()}", kind)
            if len(found) == before:
                raise InputError(f"{arg}: directory holds no .txt, .jsonl or PDF files")
        elif (kind := input_kind(p)) is not None:
            add(p, p.name, kind)
        else:
            raise InputError(f"{arg}: unsupported input (expected a .txt, .jsonl or PDF file, or a directory)")

    outputs: dict[str, InputFile] = {}
    for f in found:
        other = outputs.get(f.output)
        if other is not None:
            raise InputError(
                f"{other.path} and {f.path} would both be written to {f.output}; "
                "rename one or pass their parent directories instead"
            )
        outputs[f.output] = f
    return found


def _line_id(obj: Any) -> Optional[str]:
    """The explicit id of a JSONL record (``doc_id``, else ``id``), or None. Only a string is an
    id: a number or any other value is refused by :func:`_id_problem` (never coerced)."""
    if not isinstance(obj, dict):
        return None
    for name in ("doc_id", "id"):
        v = obj.get(name)
        if isinstance(v, str) and v.strip():
            return v
        if v is not None:
            return None
    return None


def _id_problem(obj: dict[str, Any]) -> Optional[str]:
    """Why a line's ``doc_id``/``id`` cannot be its id: it must be a non-empty string when given
    (a number is refused rather than turned into a string: ``12`` and ``"12"`` would collide)."""
    for name in ("doc_id", "id"):
        v = obj.get(name)
        if v is None:
            continue
        if not isinstance(v, str):
            kind = "a number" if isinstance(v, (int, float)) and not isinstance(v, bool) else f"a {type(v).__name__}"
            return f"'{name}' must be a string, got {kind} ({json.dumps(v)[:40]}); write it in quotes"
        if not v.strip():
            return f"'{name}' is empty"
        return None
    return None


def _parse(raw: bytes) -> Any:
    """``json.loads`` of one line; ``ValueError`` for anything that is not JSON we can hold
    (bad JSON or UTF-8, nesting too deep for the parser)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _iter_lines(path: Path, start: int = 0, end: Optional[int] = None, first_line: int = 1
                ) -> Iterator[tuple[int, int, bytes]]:
    """(line number, byte offset, raw line) of ``path[start:end]``."""
    with open(path, "rb") as f:
        f.seek(start)
        offset, line_no = start, first_line
        for raw in f:
            if end is not None and offset >= end:
                break
            yield line_no, offset, raw
            offset += len(raw)
            line_no += 1


def plan(inputs: list[InputFile], chunk_docs: int = 32, chunk_bytes: int = 4 << 20) -> Plan:
    """Read every input once: sha256, documents and their ids, and the chunk boundaries."""
    if chunk_docs < 1 or chunk_bytes < 1:
        raise InputError("chunk size must be at least 1")
    shas: list[str] = []
    sizes: list[int] = []
    docs_per_input: list[int] = []
    chunks: list[Chunk] = []
    duplicates: dict[tuple[int, int], str] = {}
    first_seen: dict[str, str] = {}
    current = Chunk(0)

    def add_doc(index: int, start: int, end: int, line: int) -> None:
        nonlocal current
        segs = current.segments
        if segs and segs[-1].input_index == index:  # blank lines in between are skipped on reading
            segs[-1] = Segment(index, segs[-1].start, end, segs[-1].first_line)
        else:
            segs.append(Segment(index, start, end, line))
        current.n_docs += 1
        current.n_bytes += end - start
        if current.n_docs >= chunk_docs or current.n_bytes >= chunk_bytes:
            chunks.append(current)
            current = Chunk(len(chunks))

    def claim(doc_id: str, where: str, index: int, line: int) -> None:
        if doc_id in first_seen:
            duplicates[(index, line)] = first_seen[doc_id]
        else:
            first_seen[doc_id] = where

    for index, inp in enumerate(inputs):
        h = hashlib.sha256()
        n_docs = 0
        if inp.kind in ("txt", "pdf"):
            size = 0
            with open(inp.path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
                    size += len(block)
            claim(inp.key, inp.key, index, 1)
            add_doc(index, 0, size, 1)
            n_docs = 1
        else:
            size = 0
            for line_no, offset, raw in _iter_lines(inp.path):
                h.update(raw)
                size = offset + len(raw)
                if not raw.strip():
                    continue
                try:
                    explicit = _line_id(_parse(raw))
                except Exception:  # invalid JSON/UTF-8, too deep: still a document, recorded as an error later
                    explicit = None
                where = f"{inp.key}:{line_no}"
                claim(explicit or where, where, index, line_no)
                add_doc(index, offset, offset + len(raw), line_no)
                n_docs += 1
        shas.append(h.hexdigest())
        sizes.append(size)
        docs_per_input.append(n_docs)
    if current.n_docs:
        chunks.append(current)
    return Plan(inputs, shas, sizes, docs_per_input, chunks, duplicates)


def load_chunk(plan_: Plan, chunk: Chunk) -> list[dict[str, Any]]:
    """The chunk's documents: ``{doc_id, input, line, text}`` (``pdf``: its bytes, read in the
    worker), or ``{…, error}`` for input that cannot be a document (bad JSON or UTF-8, no text, a
    duplicate id). Errors are documents too: they are recorded, never dropped."""
    items: list[dict[str, Any]] = []
    for seg in chunk.segments:
        inp = plan_.inputs[seg.input_index]
        if inp.kind == "pdf":
            item = {"doc_id": inp.key, "input": inp.key, "line": None}
            try:
                items.append({**item, "pdf": inp.path.read_bytes()})
            except OSError as e:
                items.append({**item, "error": _err("InputError", f"cannot read: {e}")})
            continue
        if inp.kind == "txt":
            item: dict[str, Any] = {"doc_id": inp.key, "input": inp.key, "line": None}
            try:
                text = inp.path.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError) as e:
                items.append({**item, "error": _err("InputError", f"cannot read as UTF-8 text: {e}")})
                continue
            items.append({**item, "error": _err("InputError", "empty text")} if not text.strip() else {**item, "text": text})
            continue
        for line_no, _offset, raw in _iter_lines(inp.path, seg.start, seg.end, seg.first_line):
            if not raw.strip():
                continue
            where = f"{inp.key}:{line_no}"
            items.append(_jsonl_item(raw, inp.key, line_no, where, plan_.duplicates.get((seg.input_index, line_no))))
    return items


def _jsonl_item(raw: bytes, key: str, line_no: int, where: str, duplicate_of: Optional[str]) -> dict[str, Any]:
    base: dict[str, Any] = {"doc_id": where, "input": key, "line": line_no}
    try:
        obj = _parse(raw)
    except ValueError as e:
        return {**base, "error": _err("InputError", f"invalid JSON line: {e}")}
    except Exception as e:  # anything else reading one line (MemoryError, ...) fails that document only
        return {**base, "error": _err("InputError", f"cannot read the line: {type(e).__name__}: {e}")}
    if not isinstance(obj, dict):
        return {**base, "error": _err("InputError", "a JSONL line must be an object with a 'text' field")}
    problem = _id_problem(obj)
    if problem:
        return {**base, "error": _err("InputError", problem)}
    explicit = _line_id(obj)
    if duplicate_of is not None:
        return {**base, "error": _err("InputError", f"duplicate doc_id {explicit or where!r} (first used at {duplicate_of})")}
    base["doc_id"] = explicit or where
    text = obj.get("text")
    if not isinstance(text, str):
        return {**base, "error": _err("InputError", "no 'text' string field")}
    if not text.strip():
        return {**base, "error": _err("InputError", "empty text")}
    return {**base, "text": text}


def _err(kind: str, message: str) -> dict[str, str]:
    return {"type": kind, "message": message}

"""A document the project has never seen: its ``doc_id``, its stored source, its pre-annotation.

``add_document`` takes the text of a text file or a PDF (read by ``fiscal-extract annotate
new``: UTF-8, else GB18030 or a given encoding; a PDF's text layer), gives it a ``doc_id``
(from ``--doc-id``, else derived from the file name), stores the text as
``annotations/sources/<doc_id>.txt`` (every record is a slice of it) with a note of where it
came from (``<doc_id>.origin.json``), and writes the model's pre-annotation to
``annotations/pre/<doc_id>.jsonl``: records with status ``pre``, cut from the whole text, and
kept only as far as they would pass the gold's checks when an annotator accepts them as they
are (what is dropped is listed, never silently lost).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from nlp.annotation.records import (
    GOLD_DIR,
    PRE_DIR,
    SOURCES_DIR,
    Record,
    doc_id_problem,
    read_records,
    write_records,
)

__all__ = ["NewDocument", "NewDocumentError", "NewSource", "add_document", "claim_doc_id", "derive_doc_id", "reviewable"]

_NOT_ID = re.compile(r"[^a-z0-9_-]+")  # one pass, linear
MAX_ID = 64
DIGEST_CHARS = 8


class NewDocumentError(ValueError):
    """A new document that cannot be added, with a message naming the file and what to do."""


@dataclass
class NewSource:
    """A new document's text as read (``service.cli.annotate_new`` reads files and PDFs)."""

    text: str
    file_name: str
    sha256: str  # of the file's bytes
    kind: str  # "text" | "pdf"
    encoding: Optional[str] = None
    pages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class NewDocument:
    doc_id: str
    source_path: Path
    pre_path: Path
    records: list[Record]
    dropped: list[str]
    source: NewSource
    reused_source: bool = False  # the same text was already stored under this doc_id


def derive_doc_id(file_name: str) -> str:
    """A valid ``doc_id`` (``records.DOC_ID_PATTERN``) from a file name: the stem as it is when
    it is already one; else its ASCII letters and digits (lower case, other runs → ``-``) and a
    short hash of the whole stem, so two names that differ only in their Chinese part differ."""
    stem = Path(file_name).stem
    if not doc_id_problem(stem):
        return stem
    slug = _NOT_ID.sub("-", unicodedata.normalize("NFKC", stem).lower()).strip("-_")
    digest = hashlib.sha1(stem.encode("utf-8")).hexdigest()[:DIGEST_CHARS]
    slug = slug[:MAX_ID - DIGEST_CHARS - 1].rstrip("-_")
    return f"{slug}-{digest}" if slug else f"doc-{digest}"


def _stored_text(path: Path) -> Optional[str]:
    if not path.is_file():
        return None
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


def _store_source(doc_id: str, src: NewSource, sources_dir: Path) -> tuple[Path, bool]:
    """Write ``<doc_id>.txt`` (exactly the text: offsets are into it) unless the same text is
    there; refuse another text under the same id."""
    path = Path(sources_dir) / f"{doc_id}.txt"
    have = _stored_text(path)
    if have is not None and have != src.text:
        raise NewDocumentError(f"doc_id {doc_id!r} already names another source ({path}); "
                               "choose another with --doc-id")
    if have is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(src.text)
    note = {"doc_id": doc_id, "file": src.file_name, "kind": src.kind, "encoding": src.encoding,
            "sha256": src.sha256, "characters": len(src.text),
            "pages": [{k: p[k] for k in ("number", "start", "end")} for p in src.pages]}
    path.with_suffix(".origin.json").write_text(json.dumps(note, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path, have is not None


def reviewable(records: list[Record]) -> tuple[list[Record], list[str]]:
    """The pre-annotation an annotator can accept as it is: the spans and facts that pass the
    gold's checks for a *reviewed* record (``annotate import`` runs them on every submitted
    annotation), with the check outputs (``inconsistent``) kept as hints. The rest is listed.
    Linear in the record's spans and facts (each fact is checked on its own)."""
    from nlp.annotation.preannotate import sanitize
    from nlp.annotation.validate import misplaced_reason

    out, dropped = sanitize(records)  # spans and facts that fail the gold's checks, overlaps, duplicates
    for r in out:
        # the other reviewed-gold check ('inconsistent' annotated) is on check outputs, which stay
        # hints here: a reason the guidelines do not give the measure is all that is left to drop
        for f in r.facts:
            problem = misplaced_reason(f.measure, f.reason)
            if problem:
                dropped.append(f"{r.record_id}: fact {f.measure} {f.value!r} at [{f.start},{f.end}): "
                               f"its reason {f.reason!r} left out ({problem})")
                f.reason = None
    return out, dropped


def claim_doc_id(src: NewSource, doc_id: Optional[str] = None, sources_dir: Path = SOURCES_DIR) -> str:
    """The document's id (``doc_id`` checked, else derived from the file name), refused when it
    already names another text; nothing is written (so a command can check before loading a model)."""
    if doc_id is not None:
        problem = doc_id_problem(doc_id)
        if problem:
            raise NewDocumentError(f"--doc-id {doc_id!r}: {problem}")
    else:
        doc_id = derive_doc_id(src.file_name)
    if not src.text.strip():
        raise NewDocumentError(f"{src.file_name}: empty text")
    have = _stored_text(Path(sources_dir) / f"{doc_id}.txt")
    if have is not None and have != src.text:
        raise NewDocumentError(f"doc_id {doc_id!r} already names another source ({Path(sources_dir) / (doc_id + '.txt')}); "
                               "choose another with --doc-id")
    return doc_id


def add_document(src: NewSource, extractor, doc_id: Optional[str] = None, sources_dir: Path = SOURCES_DIR,
                 pre_dir: Path = PRE_DIR, gold_dir: Path = GOLD_DIR) -> NewDocument:
    """Store ``src`` as a source and write its pre-annotation (see the module doc)."""
    from nlp.annotation.interchange.preannotate import preannotate

    doc_id = claim_doc_id(src, doc_id, sources_dir)
    source_path, reused = _store_source(doc_id, src, sources_dir)
    # a document pre-annotated or reviewed before keeps its records' cuts and ids
    existing = None
    for d in (gold_dir, pre_dir):
        p = Path(d) / f"{doc_id}.jsonl"
        if p.is_file():
            existing = read_records(p)
            break
    result = extractor.extract(src.text, doc_id)
    try:
        pre = preannotate(doc_id, src.text, result, existing)
    except ValueError as e:
        raise NewDocumentError(str(e)) from None
    records, dropped = reviewable(pre.records)
    pre_path = Path(pre_dir) / f"{doc_id}.jsonl"
    write_records(pre_path, records)
    return NewDocument(doc_id, source_path, pre_path, records, [*pre.warnings, *dropped], src, reused)

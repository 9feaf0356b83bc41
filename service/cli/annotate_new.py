"""``fiscal-extract annotate new FILE``: a document the project has never seen, ready to annotate.

Reads a text file (UTF-8, else GB18030, or ``--encoding``) or a PDF (its text layer), gives it a
``doc_id`` (``--doc-id``, else from the file name), stores its text under
``annotations/sources/``, pre-annotates it with the model into ``annotations/pre/<doc_id>.jsonl``
and says how to export it (``annotate export``). See docs/annotators.md.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
from pathlib import Path
from typing import Optional

PROG = "fiscal-extract annotate new"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("new", help="pre-annotate a new document (text or PDF) under its own doc_id, ready to export")
    p.add_argument("file", metavar="FILE", help="a text file or a PDF with a text layer")
    p.add_argument("--doc-id", default=None,
                   help="the document's id (lower-case letters, digits, _ and -; default: from the file name)")
    p.add_argument("--model", default=None, help="model directory (default: the project's model, else the shipped one)")
    p.add_argument("--encoding", default=None, help="a text file's encoding (default: UTF-8, else GB18030)")
    p.set_defaults(func=run)


def read_source(path: Path, encoding: Optional[str]):
    """A :class:`NewSource` from a file: a PDF's text layer (bounded child process) or decoded text."""
    from nlp.annotation.new_document import NewDocumentError, NewSource
    from nlp.sources.pdf import PdfError, is_pdf, read_pdf_isolated
    from service.cli.extract import InputError, decode_as

    try:
        data = path.read_bytes()
    except OSError as e:
        raise NewDocumentError(f"{path}: {e.strerror or e}") from None
    sha = hashlib.sha256(data).hexdigest()
    if is_pdf(data):
        try:
            pdf = read_pdf_isolated(data)
        except PdfError as e:
            raise NewDocumentError(f"{path}: {e}") from None
        return NewSource(pdf.text, path.name, sha, "pdf", pages=pdf.pages)
    try:
        text, used = decode_as(data, str(path), encoding)
    except InputError as e:
        raise NewDocumentError(str(e)) from None
    return NewSource(text, path.name, sha, "text", encoding="utf-8" if used == "utf-8-sig" else used)


def run(args: argparse.Namespace) -> int:
    from nlp.annotation.new_document import NewDocumentError, add_document

    logging.getLogger("nlp").setLevel(logging.ERROR)  # token-boundary diagnostics are for developers
    try:
        src = read_source(Path(args.file), args.encoding)
    except NewDocumentError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    from nlp.annotation.new_document import claim_doc_id

    try:
        doc_id = claim_doc_id(src, args.doc_id)  # before the model loads: a wrong id fails at once
    except NewDocumentError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    from nlp import Extractor
    from nlp.model_store import ModelIntegrityError

    try:
        extractor = Extractor.load(args.model)
    except (ModelIntegrityError, OSError, ValueError) as e:
        print(f"{PROG}: cannot load the model {args.model or ''}: {e}".replace("  ", " "), file=sys.stderr)
        return 2
    try:
        doc = add_document(src, extractor, doc_id)
    except NewDocumentError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    version = f"{extractor.model_info['name']}-{extractor.model_info['version']}"
    read = f"{src.kind}, {len(src.pages)} pages" if src.kind == "pdf" else f"{src.kind}, {src.encoding}"
    n_spans = sum(len(r.spans) for r in doc.records)
    n_facts = sum(len(r.facts) for r in doc.records)
    print(f"doc_id {doc.doc_id}: source {_rel(doc.source_path)} ({len(src.text)} characters, {read})"
          + (" (already stored, unchanged)" if doc.reused_source else ""))
    print(f"pre-annotated with {version}: {_rel(doc.pre_path)}: {len(doc.records)} records, {n_spans} spans, "
          f"{n_facts} facts ({len(doc.dropped)} not reviewable as they are: left out)")
    for d in doc.dropped:
        print(f"{PROG}: left out: {d}", file=sys.stderr)
    print(f"next: fiscal-extract annotate export {_rel(doc.pre_path)} --format labelstudio --out {doc.doc_id}.json")
    return 0


def _rel(p: Path) -> str:
    from nlp.project import project_root

    try:
        return str(Path(p).resolve().relative_to(project_root()))
    except ValueError:
        return str(p)

"""``fiscal-extract extract FILE... | -``: contract results as JSON or JSONL.

A PDF (known by its ``%PDF-`` header, whatever its name) is read by ``nlp.sources.pdf`` within
the ``FISCAL_PDF_*`` bounds; its result carries the text read, the pages and every entity's and
fact's page. Each input stands alone: one that cannot be read (missing, not text in its encoding, empty) is
reported on stderr by name, the others still give their results, and the exit code is 1 when any
failed (2 when none could be processed at all: no model, bad arguments).
"""

from __future__ import annotations

import argparse
import codecs
import json
import logging
import sys
from pathlib import Path
from typing import Optional

from nlp.sources.pdf import PdfError, PdfLimits, PdfText, attach_provenance, is_pdf, read_pdf_isolated

# Tried in order when no --encoding is given: UTF-8 (with or without a BOM), then GB18030, the
# superset of GBK/GB2312 that Chinese government sites and Windows tools still write.
AUTO_ENCODINGS = ("utf-8-sig", "gb18030")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="extract entities, facts and checks from text or PDF files ('-' for stdin)")
    p.add_argument("files", nargs="+", metavar="FILE", help="text or PDF files, or - for standard input")
    p.add_argument("--format", choices=("json", "jsonl"), default="json", help="one JSON array, or a line per document")
    p.add_argument("--model", default=None, help="model directory (default: the project's model, else the shipped one)")
    p.add_argument("--encoding", default=None,
                   help="the files' encoding (default: UTF-8, else GB18030 when the bytes decode as it)")
    p.add_argument("-v", "--verbose", action="store_true", help="also print the pipeline's warnings")
    p.set_defaults(func=run)


class InputError(ValueError):
    """An input that cannot be processed, with a message that names it."""


def decode(data: bytes, name: str, encoding: Optional[str]) -> str:
    return decode_as(data, name, encoding)[0]


def decode_as(data: bytes, name: str, encoding: Optional[str]) -> tuple[str, str]:
    """The text and the encoding it was read with: ``encoding``, else the first of AUTO_ENCODINGS that reads it."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"{name}: unknown encoding {encoding!r}") from None
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as e:
            raise InputError(f"{name}: not {encoding} (byte {data[e.start]:#04x} at offset {e.start})") from None
    for enc in AUTO_ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{name}: neither UTF-8 nor GB18030 (byte {data[e.start]:#04x} at offset {e.start}); "
                         f"give its encoding with --encoding") from None
    raise AssertionError("unreachable")


def read_input(name: str, encoding: Optional[str]) -> tuple[str, str, Optional[PdfText]]:
    """(text, doc id, the PDF it was read from or None) of one input; ``InputError`` when it
    cannot be used, as the HTTP API refuses it."""
    if name == "-":
        data, doc_id = sys.stdin.buffer.read(), "-"
    else:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise InputError(f"{name}: {e.strerror or e}") from None
        doc_id = path.name
    pdf = None
    if is_pdf(data):
        try:
            pdf = read_pdf_isolated(data, PdfLimits.from_env())
        except PdfError as e:
            raise InputError(f"{name}: {e} ({e.code})") from None
        except ValueError as e:  # a FISCAL_PDF_* setting that is not a number
            raise InputError(f"{name}: bad FISCAL_PDF_* setting: {e}") from None
        text = pdf.text
    else:
        text = decode(data, name, encoding)
    if not text.strip():
        raise InputError(f"{name}: empty text")  # /extract answers 422 for the same input
    return text, doc_id, pdf


def run(args: argparse.Namespace) -> int:
    if not args.verbose:  # token-boundary and similar diagnostics are for developers
        logging.getLogger("nlp").setLevel(logging.ERROR)
    inputs, pdfs, failed = [], [], 0
    for name in args.files:
        try:
            text, doc_id, pdf = read_input(name, args.encoding)
            inputs.append((text, doc_id))
            pdfs.append(pdf)
        except InputError as e:
            print(f"fiscal-extract extract: {e}", file=sys.stderr)
            failed += 1
    if not inputs:
        return 2 if failed else 0
    from nlp import Extractor
    from nlp.model_store import ModelIntegrityError

    try:
        extractor = Extractor.load(args.model)
    except (ModelIntegrityError, OSError, ValueError) as e:
        print(f"fiscal-extract extract: cannot load the model {args.model or ''}: {e}".replace("  ", " "), file=sys.stderr)
        return 2
    results = (r if pdf is None else attach_provenance(r, pdf) for r, pdf in zip(extractor.pipe(inputs), pdfs))
    if args.format == "jsonl":
        for r in results:
            sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
    else:
        json.dump(list(results), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    return 1 if failed else 0

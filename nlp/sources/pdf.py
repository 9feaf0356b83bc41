"""PDF in: the text a PDF holds, laid out as its pages print it, with each character's page and box.

A reader of the source format and nothing else. ``pdfplumber`` (over pdfminer.six) gives the
characters with their positions; its layout text map keeps the columns of a table aligned with
spaces, so an unruled table reaches the space-aligned table reader exactly as ``pdftotext
-layout`` would print it, and a ruled one too (its cells' words sit inside their rules). Lines
are right-stripped and runs of blank lines kept to one, so offsets point into a compact text,
and every character of that text knows the page and box it came from.

Untrusted PDFs are parsed in a child process (``python -m nlp.sources.pdf``) with bounded
memory (RLIMIT_AS), CPU time and wall time, and a bounded number of pages: a PDF bomb costs the
child, never the service. Errors are ``PdfError`` with a code the HTTP layer maps to a 4xx.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any, Optional

PAGE_BREAK = "\n\n"  # between two pages' texts


class PdfError(ValueError):
    """A PDF that cannot be read: ``code`` is one of not_pdf, encrypted, no_text, too_many_pages,
    damaged, too_expensive."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class PdfLimits:
    max_pages: int = 200
    timeout_s: float = 60.0
    max_memory_mb: int = 1024


@dataclass
class PdfText:
    text: str
    pages: list[dict[str, Any]]  # {number, start, end, width, height}; 1-based
    boxes: list[Optional[tuple[float, float, float, float]]] = field(repr=False)  # per character of text

    def page_at(self, offset: int) -> Optional[int]:
        starts = [p["start"] for p in self.pages]
        i = bisect_right(starts, offset) - 1
        return self.pages[i]["number"] if i >= 0 else None

    def bbox(self, start: int, end: int) -> Optional[list[float]]:
        """The union of the characters' boxes, ``[x0, top, x1, bottom]`` in PDF points."""
        boxes = [b for b in self.boxes[start:end] if b is not None]
        if not boxes:
            return None
        return [round(min(b[0] for b in boxes), 2), round(min(b[1] for b in boxes), 2),
                round(max(b[2] for b in boxes), 2), round(max(b[3] for b in boxes), 2)]


def is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


def _page_text(page) -> tuple[str, list]:
    """One page's layout text (lines right-stripped, blank runs kept to one) and its char boxes."""
    tm = page.get_textmap(layout=True)
    lines: list[list] = [[]]
    for ch, obj in tm.tuples:
        if ch == "\n":
            lines.append([])
            continue
        box = tuple(round(float(obj[k]), 2) for k in ("x0", "top", "x1", "bottom")) if obj else None
        lines[-1].append((ch, box))
    kept: list[list] = []
    for line in lines:
        while line and line[-1][0] == " ":
            line.pop()
        if line or (kept and kept[-1]):
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    chars: list = []
    for k, line in enumerate(kept):
        if k:
            chars.append(("\n", None))
        chars.extend(line)
    return "".join(c for c, _ in chars), [b for _, b in chars]


def read_pdf(data: bytes, limits: PdfLimits = PdfLimits()) -> PdfText:
    """Parse in this process (the child of :func:`read_pdf_isolated`, or trusted input)."""
    if not is_pdf(data):
        raise PdfError("not_pdf", "the body is not a PDF (no %PDF- header)")
    import io

    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        n = len(pdf.pages)
    except Exception as e:  # noqa: BLE001 — pdfminer raises (and pdfplumber wraps) many types
        cause = e.__cause__ or e.__context__ or e
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)) or "encrypt" in str(e).lower() \
                or "password" in str(e).lower():
            raise PdfError("encrypted", "the PDF is encrypted; send a copy without a password") from None
        raise PdfError("damaged", f"the PDF cannot be parsed (truncated or damaged): {str(e)[:120]}") from None
    with pdf:
        if n > limits.max_pages:
            raise PdfError("too_many_pages", f"{n} pages; at most {limits.max_pages} (FISCAL_PDF_MAX_PAGES)")
        parts, boxes, pages = [], [], []
        pos = 0
        for i, page in enumerate(pdf.pages):
            try:
                text, page_boxes = _page_text(page)
            except Exception as e:  # noqa: BLE001
                raise PdfError("damaged", f"page {i + 1} cannot be read: {type(e).__name__}") from None
            if parts:
                parts.append(PAGE_BREAK)
                boxes.extend([None] * len(PAGE_BREAK))
                pos += len(PAGE_BREAK)
            pages.append({"number": i + 1, "start": pos, "end": pos + len(text),
                          "width": round(float(page.width), 2), "height": round(float(page.height), 2)})
            parts.append(text)
            boxes.extend(page_boxes)
            pos += len(text)
    text = "".join(parts)
    if not text.strip():
        raise PdfError("no_text", "the PDF has no text layer (a scan?); run OCR first and send the text")
    return PdfText(text, pages, boxes)


def _limit_child(limits: PdfLimits):
    def apply() -> None:
        import resource

        mem = limits.max_memory_mb * 2 ** 20
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        cpu = int(limits.timeout_s) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    return apply


def read_pdf_isolated(data: bytes, limits: PdfLimits = PdfLimits()) -> PdfText:
    """:func:`read_pdf` in a child process with bounded memory, CPU and wall time."""
    if not is_pdf(data):
        raise PdfError("not_pdf", "the body is not a PDF (no %PDF- header)")
    env = dict(os.environ, FISCAL_PDF_MAX_PAGES=str(limits.max_pages))
    try:
        proc = subprocess.run([sys.executable, "-m", "nlp.sources.pdf"], input=data, capture_output=True,
                              timeout=limits.timeout_s, env=env, preexec_fn=_limit_child(limits))
    except subprocess.TimeoutExpired:
        raise PdfError("too_expensive", f"the PDF took longer than {limits.timeout_s:g} s to read") from None
    if proc.returncode != 0:
        try:
            err = json.loads(proc.stdout or b"{}").get("error")
        except ValueError:
            err = None
        if err:
            raise PdfError(err["code"], err["message"])
        raise PdfError("too_expensive", "the PDF exceeded the reader's memory or time bounds")
    out = json.loads(proc.stdout)
    return PdfText(out["text"], out["pages"], [tuple(b) if b else None for b in out["boxes"]])


def attach_provenance(result: dict[str, Any], pdf: PdfText) -> dict[str, Any]:
    """The result of extracting ``pdf.text`` with its pages: ``text``, ``pages``, and ``page`` on
    every entity and fact, ``bbox`` on every entity whose characters have boxes."""
    for e in result["entities"]:
        e["page"] = pdf.page_at(e["start"])
        box = pdf.bbox(e["start"], e["end"])
        if box is not None:
            e["bbox"] = box
    for f in result["facts"]:
        f["page"] = pdf.page_at(f["evidence"]["start"])
    result["text"] = pdf.text
    result["pages"] = pdf.pages
    return result


def _main() -> int:
    data = sys.stdin.buffer.read()
    limits = PdfLimits(max_pages=int(os.environ.get("FISCAL_PDF_MAX_PAGES", "200")))
    try:
        pdf = read_pdf(data, limits)
    except PdfError as e:
        sys.stdout.write(json.dumps({"error": {"code": e.code, "message": str(e)}}))
        return 3
    except MemoryError:
        return 4  # the parent reports the bound
    except Exception as e:  # noqa: BLE001 — anything else pdfminer raises on a damaged file
        sys.stdout.write(json.dumps({"error": {"code": "damaged", "message": f"the PDF cannot be read: {str(e)[:120]}"}}))
        return 3
    sys.stdout.write(json.dumps({"text": pdf.text, "pages": pdf.pages, "boxes": pdf.boxes}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(_main())

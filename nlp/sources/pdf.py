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
import unicodedata
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
    timeout_s: float = 30.0
    max_memory_mb: int = 1024

    @classmethod
    def from_env(cls) -> "PdfLimits":
        """The service's settings (``FISCAL_PDF_MAX_PAGES``, ``FISCAL_PDF_TIMEOUT_SECONDS``,
        ``FISCAL_PDF_MAX_MEMORY_MB``), for the command line and retag."""
        env = os.environ.get
        return cls(int(env("FISCAL_PDF_MAX_PAGES", cls.max_pages)), float(env("FISCAL_PDF_TIMEOUT_SECONDS", cls.timeout_s)),
                   int(env("FISCAL_PDF_MAX_MEMORY_MB", cls.max_memory_mb)))


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


def _out_of_memory(e: BaseException) -> bool:
    seen = 0
    while e is not None and seen < 10:
        if isinstance(e, MemoryError) or any(isinstance(a, MemoryError) for a in e.args):
            return True
        e, seen = e.__cause__ or e.__context__, seen + 1
    return False


def is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


def _lines(words: list[dict], tolerance: float = 3.0) -> list[list[dict]]:
    """Words in reading order, grouped into printed lines by their top (upright text)."""
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if lines and w["top"] - lines[-1][0]["top"] <= tolerance:
            lines[-1].append(w)
        else:
            lines.append([w])
    return [sorted(line, key=lambda w: w["x0"]) for line in lines]


def _display_width(ch: str) -> int:
    """Columns a character takes in a monospaced layout: two for CJK (wide and full-width)."""
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def _column_width(words_by_page: list[list[dict]]) -> float:
    """Points per text column: about the narrowest glyph (a digit; a CJK glyph takes two), so no
    word's text is longer than the room its box gives it and every word starts at the column of
    its x position. One width for the whole document, so a table continued on the next page
    keeps its columns."""
    widths = sorted(c["width"] for words in words_by_page for w in words for c in w["chars"]
                    if c["text"].strip() and c["width"] > 0)
    if not widths:
        return 5.0
    return min(10.0, max(2.0, widths[len(widths) // 10]))


def _page_words(page) -> list[dict]:
    return [w for w in page.extract_words(return_chars=True, keep_blank_chars=False) if w.get("upright", True)]


def _page_text(words: list[dict], left: float, unit: float) -> tuple[str, list]:
    """One page as ``pdftotext -layout`` prints it, and its characters' boxes.

    Each printed line is a text line; a word starts at the column of its x position from the
    document's left edge ``left``, ``unit`` points a column (so a table's columns line up, on
    every page, and an empty cell keeps its room), except that a word close to the one before it
    (a gap narrower than the text is high: a space between words of a sentence) is joined to it
    with one space. A gap between lines of over twice the page's usual line spacing is a blank
    line (a block boundary); rows of a table never are."""
    if not words:
        return "", []
    lines = _lines(words)
    gaps = sorted(b[0]["top"] - a[0]["top"] for a, b in zip(lines, lines[1:]))
    usual = gaps[len(gaps) // 2] if gaps else 0.0
    chars: list = []
    for k, line in enumerate(lines):
        if k:
            if usual and line[0]["top"] - lines[k - 1][0]["top"] > 2 * usual:
                chars.append(("\n", None))
            chars.append(("\n", None))
        col, prev = 0, None
        for w in line:
            target = round((w["x0"] - left) / unit)
            if prev is not None and w["x0"] - prev["x1"] < (w["bottom"] - w["top"]):
                pad = 1
            else:
                pad = max(target - col, 0 if prev is None else 2)
            chars.extend([(" ", None)] * pad)
            col += pad
            for c in w["chars"]:
                box = tuple(round(float(c[k]), 2) for k in ("x0", "top", "x1", "bottom"))
                for ch in c["text"]:  # a ligature expands to several characters of one box
                    chars.append((ch, box))
                    col += _display_width(ch)
            prev = w
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
        if _out_of_memory(e):
            raise MemoryError from None
        cause = e.__cause__ or e.__context__ or e
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)) or "encrypt" in str(e).lower() \
                or "password" in str(e).lower():
            raise PdfError("encrypted", "the PDF is encrypted; send a copy without a password") from None
        raise PdfError("damaged", f"the PDF cannot be parsed (truncated or damaged): {str(e)[:120]}") from None
    with pdf:
        if n > limits.max_pages:
            raise PdfError("too_many_pages", f"{n} pages; at most {limits.max_pages} (FISCAL_PDF_MAX_PAGES)")
        words_by_page = []
        for i, page in enumerate(pdf.pages):
            try:
                words_by_page.append(_page_words(page))
            except Exception as e:  # noqa: BLE001
                if _out_of_memory(e):  # pdfplumber wraps what pdfminer raised
                    raise MemoryError from None
                raise PdfError("damaged", f"page {i + 1} cannot be read: {type(e).__name__}") from None
        left = min((w["x0"] for words in words_by_page for w in words), default=0.0)
        unit = _column_width(words_by_page)
        parts, boxes, pages = [], [], []
        pos = 0
        for i, (page, words) in enumerate(zip(pdf.pages, words_by_page)):
            text, page_boxes = _page_text(words, left, unit)
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


def _limit_self(max_memory_mb: int, cpu_seconds: float) -> None:
    """Bound this (child) process: its address space and CPU time. Set by the child itself, not
    in a ``preexec_fn``: that is unsafe in a parent with threads (the server)."""
    import resource

    mem = max_memory_mb * 2 ** 20
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = int(cpu_seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))


def read_pdf_isolated(data: bytes, limits: PdfLimits = PdfLimits()) -> PdfText:
    """:func:`read_pdf` in a child process with bounded memory, CPU and wall time."""
    if not is_pdf(data):
        raise PdfError("not_pdf", "the body is not a PDF (no %PDF- header)")
    env = dict(os.environ, FISCAL_PDF_MAX_PAGES=str(limits.max_pages), FISCAL_PDF_TIMEOUT_SECONDS=str(limits.timeout_s),
               FISCAL_PDF_MAX_MEMORY_MB=str(limits.max_memory_mb))
    try:
        proc = subprocess.run([sys.executable, "-m", "nlp.sources.pdf"], input=data, capture_output=True,
                              timeout=limits.timeout_s, env=env)
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
    limits = PdfLimits.from_env()
    _limit_self(limits.max_memory_mb, limits.timeout_s)
    data = sys.stdin.buffer.read()
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

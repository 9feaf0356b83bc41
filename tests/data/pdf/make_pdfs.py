"""Make the test PDFs of ``tests/data/pdf`` from tables and prose of the five sources and of the
dev corpus (``annotations/dev``, dev split only), and the bad PDFs of ``tests/data/pdf/bad``.

Each good PDF ``NAME.pdf`` comes with ``NAME.txt``, its text form: the same lines, a table's cells
separated by tabs, as the tab reader reads them. The PDF draws those lines with reportlab's
built-in CID font ``STSong-Light`` (referenced, not embedded: no font file, a few KB a PDF):
lines without a tab as text, lines with tabs as table rows, numbers right-aligned in their
column. ``ruled`` draws every cell's rules, ``unruled`` leaves only the words' positions, ``pages``
continues a table on a second page (the header repeated, page numbers printed below), ``prose``
is a paragraph wrapped at the page's width. Deterministic (reportlab's ``invariant``):

    .venv/bin/python tests/data/pdf/make_pdfs.py
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(__file__).resolve().parent
FONT = "STSong-Light"
NUMBER = re.compile(r"-?[\d,]+(?:\.\d+)?")
DECIMAL = re.compile(r"\d\.\d")  # a figure: the first row that has one ends the header
TAG = re.compile(r"</?b>")

pdfmetrics.registerFont(UnicodeCIDFont(FONT))


# --- what to draw ------------------------------------------------------------------------------


def source_block(name: str, heading: str) -> list[str]:
    """A source's table titled ``heading`` (``## heading`` or a line of its own): the title, the
    lines before the table (maker, unit) and its tab rows, tags removed, blank lines dropped."""
    lines = (ROOT / "annotations" / "sources" / name).read_text(encoding="utf-8").splitlines()
    start = next(i for i, x in enumerate(lines) if x.removeprefix("## ") == heading)
    out, in_table = [heading], False
    for line in lines[start + 1:]:
        if "\t" in line:
            in_table = True
        elif in_table or line.startswith("#"):
            break
        if line.strip():
            out.append(TAG.sub("", line).rstrip(" \r"))  # trailing tabs are empty cells
    return out


def source_lines(name: str, first: int, last: int) -> list[str]:
    """A source's non-blank lines ``first``..``last`` (1-based), as its PDF printed them."""
    lines = (ROOT / "annotations" / "sources" / name).read_text(encoding="utf-8").splitlines()
    return [TAG.sub("", x).strip() for x in lines[first - 1:last] if x.strip()]


def dev_record(doc_id: str, index: int) -> list[str]:
    """A dev-split table record's lines (its text as the corpus prints it in the tab form)."""
    split = json.loads((ROOT / "annotations" / "dev" / "split.json").read_text(encoding="utf-8"))["documents"]
    assert split[doc_id] == "dev", f"{doc_id} is not in the dev split"
    meta = json.loads((ROOT / "annotations" / "dev" / "meta" / f"{doc_id}.json").read_text(encoding="utf-8"))
    assert any(t["record_index"] == index and t["form"] == "tab" for t in meta["tables"]), (doc_id, index)
    lines = (ROOT / "annotations" / "dev" / "gold" / f"{doc_id}.jsonl").read_text(encoding="utf-8").splitlines()
    return [x.rstrip() for x in json.loads(lines[index])["text"].splitlines() if x.strip()]


# --- drawing -----------------------------------------------------------------------------------


@dataclass
class Style:
    ruled: bool = False
    size: float = 9.0
    row: float = 16.0
    margin: float = 40.0
    pad: float = 5.0


def _widths(rows: list[list[str]], size: float, pad: float) -> list[float]:
    n = max(len(r) for r in rows)
    return [max((pdfmetrics.stringWidth(r[i], FONT, size) for r in rows if i < len(r)), default=0) + 2 * pad + 8
            for i in range(n)]


def _draw_lines(c: canvas.Canvas, lines: list[str], y: float, style: Style, widths: list[float]) -> float:
    """Draw ``lines`` from height ``y`` down; returns the height below the last line."""
    x0 = style.margin
    for line in lines:
        if "\t" not in line:
            c.setFont(FONT, style.size + 1)
            c.drawString(x0, y - style.row + 4, line)
            y -= style.row
            continue
        cells = line.split("\t")
        c.setFont(FONT, style.size)
        x = x0
        for i, cell in enumerate(cells):
            w = widths[i]
            if NUMBER.fullmatch(cell):
                c.drawRightString(x + w - style.pad, y - style.row + 4, cell)
            elif cell:
                c.drawString(x + style.pad, y - style.row + 4, cell)
            if style.ruled:
                c.rect(x, y - style.row, w, style.row, stroke=1, fill=0)
            x += w
        y -= style.row
    return y


def table_pdf(lines: list[str], style: Style, split_at: Optional[int] = None) -> bytes:
    """One table (title lines, then tab rows) on a landscape A4 page; with ``split_at`` the rows
    from that data row on continue on page 2 under the repeated header, each page numbered."""
    rows = [x.split("\t") for x in lines if "\t" in x]
    widths = _widths(rows, style.size, style.pad)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=landscape(A4), invariant=1)
    top = landscape(A4)[1] - style.margin
    if split_at is None:
        _draw_lines(c, lines, top, style, widths)
    else:
        first_row = next(i for i, x in enumerate(lines) if "\t" in x)
        header_end = first_row + next(i for i, x in enumerate(lines[first_row:]) if DECIMAL.search(x))
        head, body = lines[:header_end], lines[header_end:]
        for n, part in enumerate((head + body[:split_at], lines[first_row:header_end] + body[split_at:]), 1):
            _draw_lines(c, part, top, style, widths)
            c.setFont(FONT, style.size)
            c.drawCentredString(landscape(A4)[0] / 2, style.margin / 2, f"— {n} —")
            c.showPage()
    c.save()
    return buf.getvalue()


def prose_pdf(paragraphs: list[str], style: Style) -> bytes:
    """Lines of prose on a portrait A4 page (one wrapped where it is wider than the page)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    width = A4[0] - 2 * style.margin
    y = A4[1] - style.margin
    c.setFont(FONT, style.size + 2)
    for para in paragraphs:
        line = ""
        for ch in para:
            if pdfmetrics.stringWidth(line + ch, FONT, style.size + 2) > width:
                c.drawString(style.margin, y, line)
                y, line = y - style.row, ""
            line += ch
        c.drawString(style.margin, y, line)
        y -= style.row
    c.save()
    return buf.getvalue()


# --- the bad ones ------------------------------------------------------------------------------


def encrypted_pdf() -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1, encrypt="secret")
    c.setFont(FONT, 12)
    c.drawString(72, 720, "收入总计428.59万元")
    c.save()
    return buf.getvalue()


def scanned_pdf() -> bytes:
    """A page that is only an image (a scan): no text layer."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (200, 60), 255)
    ImageDraw.Draw(img).rectangle((10, 10, 190, 50), outline=0)
    png = io.BytesIO()
    img.save(png, "PNG")
    png.seek(0)
    from reportlab.lib.utils import ImageReader

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.drawImage(ImageReader(png), 72, 600, 200, 60)
    c.save()
    return buf.getvalue()


def many_pages_pdf(pages: int = 25) -> bytes:
    """More pages than the tests' FISCAL_PDF_MAX_PAGES (20); blank but the first, to stay small."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.setFont(FONT, 12)
    c.drawString(72, 720, "收入总计428.59万元")
    for _ in range(pages):
        c.showPage()
    c.save()
    return buf.getvalue()


def bomb_pdf(decompressed_mb: int = 400) -> bytes:
    """A PDF bomb: one page whose content stream is ~400 KB of Flate data that inflates to
    ``decompressed_mb`` MB of blanks. Built from one compressed megabyte repeated (full flushes
    make the blocks independent), so it takes a second, not a minute; made by the tests, not
    committed."""
    import struct
    import zlib

    chunk = b" " * (1 << 20)
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    co.compress(chunk)
    co.flush(zlib.Z_FULL_FLUSH)
    block = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    adler = 1
    for _ in range(decompressed_mb):
        adler = zlib.adler32(chunk, adler)
    stream = b"\x78\xda" + block * decompressed_mb + co.flush() + struct.pack(">I", adler)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream)]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# --- the set -----------------------------------------------------------------------------------


def good() -> dict[str, tuple[list[str], bytes]]:
    """name → (text-form lines, PDF bytes)."""
    out: dict[str, tuple[list[str], bytes]] = {}

    def table(name: str, lines: list[str], style: Style, split_at: Optional[int] = None) -> None:
        out[name] = (lines, table_pdf(lines, style, split_at))

    table("ruled-source-001", source_block("001_0d3306247bd7dd48.txt", "部门支出总表"), Style(ruled=True))
    table("ruled-dev-t11-3", dev_record("t11-js-tongji", 3), Style(ruled=True))
    table("unruled-source-003", source_block("003_5a2dd30d76d26ec5.txt", "一般公共预算支出表"), Style())
    table("unruled-dev-t05-2", dev_record("t05-gd-yiyuan", 2), Style())
    table("pages-dev-t02-3", dev_record("t02-zj-jianchayuan", 3), Style(), split_at=5)
    prose = source_lines("000_151e3cc1a638edf9.txt", 109, 141)  # 收入/支出总计 and their parts
    out["prose-source-000"] = (prose, prose_pdf(prose, Style()))
    return out


def bad() -> dict[str, bytes]:
    full = good()["unruled-dev-t05-2"][1]
    return {
        "not-a-pdf.pdf": "收入总计428.59万元\n".encode(),
        "truncated.pdf": full[: len(full) // 2],
        "encrypted.pdf": encrypted_pdf(),
        "scanned.pdf": scanned_pdf(),
        "many-pages.pdf": many_pages_pdf(),
    }


def main() -> None:
    for name, (lines, pdf) in good().items():
        (OUT / f"{name}.pdf").write_bytes(pdf)
        (OUT / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{name}.pdf {len(pdf)} bytes")
    (OUT / "bad").mkdir(exist_ok=True)
    for name, data in bad().items():
        (OUT / "bad" / name).write_bytes(data)
        print(f"bad/{name} {len(data)} bytes")


if __name__ == "__main__":
    main()

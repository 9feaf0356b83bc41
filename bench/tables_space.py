"""Bench: the space-aligned reader (and the whole table parse) on a large space-aligned table.

    .venv/bin/python -m bench tables_space [MEGABYTES]    (on demand: not in ``make bench``)

Prints the size, the rows and the seconds for ``find_blocks`` (the readers) and for
``parse_tables`` (readers + meaning layer) at MEGABYTES and at a quarter of it, so that the
ratio shows the growth (linear: about 4x)."""

from __future__ import annotations

import sys
import time
import unicodedata

from nlp.tables import parse_tables
from nlp.tables.readers import find_blocks

ON_DEMAND = True  # tens of seconds at 10 MB


def _width(s: str) -> int:
    # a CJK character is two columns wide, as a PDF viewer's copy-paste and the reader count it
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _left(s: str, w: int) -> str:
    return s + " " * max(0, w - _width(s))


def _right(s: str, w: int) -> str:
    return " " * max(0, w - _width(s)) + s


def _line(code: str, name: str, a: str, b: str, c: str) -> str:
    return f"{_left(code, 8)}   {_left(name, 34)}   {_right(a, 14)}   {_right(b, 14)}   {_right(c, 14)}\n"


def table(megabytes: float) -> str:
    out = ["金额单位：万元\n", _line("科目编码", "科目名称", "合计", "基本支出", "项目支出")]
    size = 0
    i = 0
    while size < megabytes * 1_000_000:
        line = _line(str(2010101 + i % 90), "行政 运行" if i % 2 else "机关事业单位基本养老保险缴费支出",
                     f"{i % 99999:,}.00", "" if i % 3 == 0 else f"{i % 999:,}.50", "0.00")
        out.append(line)
        size += len(line.encode("utf-8"))
        i += 1
    return "".join(out)


def run(megabytes: float) -> None:
    text = table(megabytes)
    t0 = time.perf_counter()
    blocks = find_blocks(text)
    t1 = time.perf_counter()
    tables = parse_tables(text)
    t2 = time.perf_counter()
    rows = sum(len(b.rows) for b in blocks)
    print(f"{len(text.encode('utf-8')) / 1e6:6.1f} MB  {rows:8d} rows  readers {t1 - t0:6.2f} s  "
          f"parse_tables {t2 - t1:6.2f} s  ({len(tables)} table, {sum(len(t.rows) for t in tables)} data rows)")


def main(argv: list[str] | None = None) -> int:
    """``python -m bench tables_space [MB]``: a quarter of MB, then MB (default 10)."""
    args = sys.argv[1:] if argv is None else argv
    mb = float(args[0]) if args else 10.0
    run(mb / 4)
    run(mb)
    return 0


if __name__ == "__main__":
    sys.exit(main())

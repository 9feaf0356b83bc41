"""PERIOD: fiscal years and dates (``2021 年度`` → ``2021``, ``2025 年 7 月 31 日`` →
``2025-07-31``) and years relative to the document's own (``上年`` → year − 1).

A month or day without a year is not a period (``5 月 24 日``), nor is the year inside a
document number (``景财绩〔2022〕1 号``: no 年, and ``exclusions`` drops the bracket anyway).
"""

from __future__ import annotations

import re
from typing import Iterator, Optional

from nlp.rules.base import RuleMatch

_HAN_YEAR_DIGITS = {"〇": "0", "零": "0", "一": "1", "二": "2", "三": "3", "四": "4",
                    "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}

YEAR_DATE = re.compile(
    r"(?<![\d.])(?P<year>(?:19|20)\d{2})年(?P<du>度)?+"
    r"(?:[ ]{0,2}(?P<month>\d{1,2})月(?:[ ]{0,2}(?P<day>\d{1,2})日)?+)?+"
    r"|(?<![〇零一二三四五六七八九])(?P<hyear>[一二][〇零一二三四五六七八九]{3})年(?P<hdu>度)?+"
)
# 上年度 before 上年 (longest first); 以上年… is 以上 + 年…; 上年结转 is a line item.
RELATIVE_YEAR = re.compile(r"(?<!以)(?P<word>上年度|上年(?!结转|结余)|去年|上一年度|上一年|本年度|本年|今年|当年度)")
_OFFSETS = {"上年度": -1, "上年": -1, "去年": -1, "上一年度": -1, "上一年": -1,
            "本年度": 0, "本年": 0, "今年": 0, "当年度": 0}


def find_periods(text: str, doc_year: Optional[str] = None) -> Iterator[RuleMatch]:
    for m in YEAR_DATE.finditer(text):
        if m.group("hyear"):
            year = "".join(_HAN_YEAR_DIGITS[c] for c in m.group("hyear"))
            yield RuleMatch(m.start(), m.end(), "PERIOD", year, rule="year_han")
            continue
        year, month, day = m.group("year"), m.group("month"), m.group("day")
        end = m.end()
        value = year
        if month and 1 <= int(month) <= 12:
            value = f"{year}-{int(month):02d}"
            if day and 1 <= int(day) <= 31:
                value += f"-{int(day):02d}"
            elif day:
                end = m.end("month") + 1
        elif month:
            end = m.end("du") if m.group("du") else m.start("month")
            end = _rstrip(text, m.start(), end)
        yield RuleMatch(m.start(), end, "PERIOD", value, rule="date" if month else "year")
    base = int(doc_year) if doc_year and str(doc_year).isdigit() else None
    for m in RELATIVE_YEAR.finditer(text):
        word = m.group("word")
        value = str(base + _OFFSETS[word]) if base is not None else None
        yield RuleMatch(m.start(), m.end(), "PERIOD", value, rule="relative_year")


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] == " ":
        end -= 1
    return end

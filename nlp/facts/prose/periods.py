"""Periods and base periods: the document's year, a year said for a figure, a comparison's base
(``较 2020年``, ``比上年``, ``同比``, ``与2021年度相比,``), a figure of the previous year (``上年度决算数``)
and the base year's amount stated inline (``比 2022 年的 X 增加``). Cue fragments are data
(``nlp/facts/cues/periods.json``)."""

from __future__ import annotations

import re
from typing import Optional

from spacy.tokens import Doc

from nlp.extensions import doc_text
from nlp.facts.prose.cues import load, words
from nlp.facts.prose.segments import separators

_CUES = load("periods")
YEAR = re.compile(r"(?<!\d)(\d{4})\s?年(?:度)?+")
_COMPARE_WORDS = _CUES["comparison_words"]
COMPARE = re.compile(
    rf"(?<![{''.join(_COMPARE_WORDS)}])(?:{'|'.join(_COMPARE_WORDS)})\s?(?:(?P<year>\d{{4}})\s?年(?:度)?"
    rf"|(?P<prev>{words('periods', 'previous_year')})|(?P<budget>{words('periods', 'budget_base')})"
    rf"|(?P<this>{words('periods', 'this_year')}))"
    rf"|{_CUES['same_period']}"
)
LAST_YEAR = re.compile(
    rf"{_CUES['previous_year_own']}(?=(?:{words('periods', 'own_qualifiers')})?(?:{words('periods', 'own_followed_by')}))"
)
_STATUS_DATE = re.compile(rf"(?:{words('periods', 'status_date')})\s?(\d{{4}})\s?年")
PRE_COMPARE = re.compile(
    rf"(?P<subj>[^,;。:\n]{{0,30}}?)(?P<cmp>(?:{words('periods', 'pre_compare_words')})[^,;。:\n]{{0,16}}?"
    rf"(?:{words('periods', 'pre_compare_tails')})?)\s?[,:]\s?$"
)
_PRIOR_TAILS = frozenset(_CUES["prior_amount_tails"])
_NOT_BEFORE = re.compile(_CUES["not_the_period_before"])
_NOT_AFTER = re.compile(_CUES["not_the_period_after"])


def document_period(doc: Doc) -> Optional[str]:
    """The document's fiscal year: ``doc._.period`` (fiscal_layout), else the first year in
    the text (titles come first: ``2021 年度部门决算``)."""
    if doc._.period:
        return str(doc._.period)[:4]
    m = YEAR.search(doc_text(doc)[:4000])
    return m.group(1) if m else None


def minus_one(year: Optional[str]) -> Optional[str]:
    return str(int(year) - 1) if year and year.isdigit() else None


def base_of(m: re.Match, period: Optional[str]) -> Optional[str]:
    """The base period a COMPARE match names, for a figure of ``period``."""
    if m.group(0) == "同比" or m.group("prev"):
        return minus_one(period)
    if m.group("year"):
        return m.group("year")
    if m.group("budget") or m.group("this"):
        return period
    return None


def last_comparison(lead: str) -> Optional[re.Match]:
    """The last comparison in a lead: what the figure is measured against."""
    m = None
    for m in COMPARE.finditer(lead):
        pass
    return m


def pre_comparison(before: str, period: Optional[str]) -> Optional[tuple[Optional[str], str]]:
    """(base, subject text) of a comparison said in a clause of its own just before the figure's
    (``收入总计与2021年度相比,``), or None."""
    pm = PRE_COMPARE.search(before)
    if pm is None:
        return None
    pre = COMPARE.search(pm.group("cmp"))
    if pre is None:
        return None
    return base_of(pre, period), pm.group("subj")


def names_prior_amount(lead: str, m: Optional[re.Match], base: Optional[str]) -> bool:
    """``比 2022 年的 X``: after the comparison only ``的``/a basis, so X is the base year's amount
    (the caller checks that no trigger follows and that X is an amount)."""
    return (m is not None and base is not None and "".join(lead[m.end():].split()) in _PRIOR_TAILS
            and m.group(0) != "同比")


def stated_year(subject_part: str) -> Optional[str]:
    """The last year said in a subject phrase for the figure itself, not a comparison's year
    (``较2020年``), an end date (``截至2023年``) or a date with its month."""
    year = None
    for y in YEAR.finditer(subject_part):
        before = subject_part[max(0, y.start() - 3): y.start()]
        after = subject_part[y.end(): y.end() + 3]
        if not _NOT_BEFORE.search(before) and not _NOT_AFTER.match(after):
            year = y.group(1)
    return year


def own_period(subject_part: str, period: Optional[str]) -> tuple[Optional[str], str]:
    """``上年度决算数为 X``, ``上年支出 X``: a figure of the year before (not ``上年结转``, an item);
    returns that year (or None) and the phrase without the words that said it."""
    pm = LAST_YEAR.search(subject_part)
    if not pm:
        return None, subject_part
    return minus_one(period), subject_part[: pm.start()] + subject_part[pm.end():]


def status_year(text: str, a: int, b: int) -> Optional[str]:
    """``截至 2025 年 7 月 31 日，部门共有车辆 0 辆``: the year of the last status date in ``text[a:b]``,
    unless a sentence ended since."""
    dm = None
    for dm in _STATUS_DATE.finditer(text, a, b):
        pass
    if dm is not None and separators(text, dm.end(), b) not in ("\n", "。"):
        return dm.group(1)
    return None

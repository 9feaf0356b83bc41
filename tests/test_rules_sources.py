"""Rule entities on the real sources: properties computed from the text itself.

Each property re-derives what must be found with a deliberately simple pattern (or from
the structure of the text) and checks the rules against it, so the tests fail whenever a
rule misses or mangles a case, whatever the case is.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from nlp.contract import COUNT_UNITS, is_decimal_string
from nlp.normalize import normalize
from nlp.rules import SubjectLexicon, find_rule_entities
from nlp.rules.periods import find_periods
from tests.conftest import source_texts

SOURCES = source_texts()
LEXICON = SubjectLexicon.load()


@pytest.fixture(scope="module")
def normalized() -> dict[str, str]:
    return {name: normalize(text).text for name, text in SOURCES.items()}


@pytest.fixture(scope="module")
def matches(normalized):
    return {name: find_rule_entities(text, None, LEXICON) for name, text in normalized.items()}


def _by_span(found):
    return {(m.start, m.end): m for m in found}


# Document numbers and bracketed codes, found here independently of nlp.rules.exclusions.
_BRACKETS = re.compile(r"〔[^〕\n]{1,10}〕[^,;。,)\n]{0,6}?号|〈[^〉\n]{1,10}〉[^,;。,)\n]{0,6}?号|\[\d+\]")


def test_sources_are_there():
    assert len(SOURCES) == 5


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_wan_yuan_figure_is_an_exact_amount(name, normalized, matches):
    text, found = normalized[name], _by_span(matches[name])
    figures = list(re.finditer(r"(?<![\d.,\-])(\d+(?:\.\d+)?)万元", text))
    assert figures, "the source has amounts in 万元"
    for m in figures:
        hit = found.get((m.start(), m.end()))
        assert hit is not None, f"{text[m.start():m.end()]!r} at {m.start()} is not an entity"
        assert hit.label == "AMOUNT" and hit.unit == "CNY"
        assert Decimal(hit.value) == Decimal(m.group(1)) * 10000
        assert is_decimal_string(hit.value) and "E" not in hit.value


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_percent_figure_is_a_percent(name, normalized, matches):
    text, found = normalized[name], _by_span(matches[name])
    for m in re.finditer(r"(?<![\d.,])(\d+(?:\.\d+)?)%", text):
        if text[:m.start()].rstrip().endswith("×"):
            assert (m.start(), m.end()) not in found, "a formula's ×100% is no figure"
            continue
        hit = found.get((m.start(), m.end()))
        assert hit is not None and hit.label == "PERCENT", f"{m.group()!r} at {m.start()}"
        assert Decimal(hit.value) == Decimal(m.group(1))


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_nothing_inside_document_numbers_or_codes(name, normalized, matches):
    text = normalized[name]
    zones = [(m.start(), m.end()) for m in _BRACKETS.finditer(text)]
    for m in matches[name]:
        for a, b in zones:
            assert not (m.start < b and a < m.end), f"{m.label} {text[m.start:m.end]!r} inside {text[a:b]!r}"


def test_document_numbers_exist_in_the_sources(normalized):
    # the property above must not hold vacuously
    assert sum(len(_BRACKETS.findall(t)) for t in normalized.values()) >= 3


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_changes_govern_a_figure(name, normalized, matches):
    text = normalized[name]
    figures = {m.start for m in matches[name] if m.label in ("AMOUNT", "PERCENT", "QUANTITY")}
    for m in matches[name]:
        if m.label != "CHANGE":
            continue
        if "template" in m.flags:
            assert m.direction is None
            continue
        if m.direction == "flat":
            assert text[m.start:m.end] == "持平"
            continue
        rest = re.match(r"[ \n]*(?:了|为|到|至|约|近)?[ \n]*", text[m.end:])
        assert m.end + rest.end() in figures, f"{text[m.start:m.end + 12]!r} governs no figure"


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_values_and_units_follow_the_contract(name, normalized, matches):
    text = normalized[name]
    for m in matches[name]:
        surface = text[m.start:m.end]
        if m.label in ("AMOUNT", "PERCENT", "QUANTITY"):
            assert is_decimal_string(m.value), (surface, m.value)
        if m.label == "AMOUNT":
            # a unit on the surface, or a bare zero of a money item ("支出总额为 0")
            assert m.unit == "CNY" and ("元" in surface or (m.rule == "zero_amount" and m.value == "0"))
        elif m.label == "PERCENT":
            assert m.unit == "%"
        elif m.label == "QUANTITY":
            assert m.unit in COUNT_UNITS and surface.rstrip().endswith(m.unit[-1])
        elif m.label == "PERIOD" and m.value and m.value[:1].isdigit():
            assert surface.startswith(m.value[:4]), (surface, m.value)
            assert 1900 <= int(m.value[:4]) <= 2099
        elif m.label == "UNIT":
            assert m.value is None and surface == m.unit


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_years_with_nian_are_periods(name, normalized, matches):
    text = normalized[name]
    starts = {m.start: m for m in matches[name] if m.label == "PERIOD"}
    for m in re.finditer(r"(?<![\d.〔〈\[])((?:19|20)\d{2})年", text):
        hit = starts.get(m.start())
        assert hit is not None, f"{text[m.start():m.end() + 4]!r} is not a period"
        assert hit.value[:4] == m.group(1)


def test_no_period_without_a_year():
    text = "5 月 24 日,景德镇市医保电子凭证推广应用新闻发布会举行。4 月 1 日起开展宣传月"
    assert [m for m in find_rule_entities(normalize(text).text) if m.label == "PERIOD"] == []


@pytest.mark.parametrize(
    "text, year, expected",
    [
        ("较上年预算安排增加", "2026", ["2025"]),
        ("上年度无在编人员", "2022", ["2021"]),
        ("本年度收支差额", "2021", ["2021"]),
        ("今年以来,去年同期", "2022", ["2022", "2021"]),
        ("较上年预算安排增加", None, [None]),
    ],
)
def test_relative_years_follow_the_document_year(text, year, expected):
    assert [m.value for m in find_periods(text, year)] == expected


def test_pipeline_keeps_every_numeric_rule_entity():
    """The tokenizer cuts at every numeric entity edge: none is lost making spans."""
    from nlp import Extractor

    ex = Extractor.rules_only()
    for name, raw in SOURCES.items():
        doc = ex.nlp(raw)
        spans = {(s.start_char, s.end_char, s.label_) for s in doc.spans["rules"]}
        for m in find_rule_entities(doc.text, doc._.period, LEXICON):
            if m.label in ("AMOUNT", "PERCENT", "QUANTITY", "CHANGE", "UNIT"):
                assert (m.start, m.end, m.label) in spans, f"{name}: {m.label} {doc.text[m.start:m.end]!r} lost"
        # and the contract's promise on the original text
        for e in ex.extract(raw)["entities"]:
            assert raw[e["start"]:e["end"]] == e["text"]


_PATHOLOGICAL = ["1", "万", " ", "一", "%", ",", "元", ".", "十", "人", "年", "〔", "-", "余"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_PATHOLOGICAL + ["2", "0", "第", "增加", "上年", "收入总计", "\n", "\t"]), max_size=120).map("".join))
def test_any_input_gives_well_formed_matches(text):
    found = find_rule_entities(text, "2021", LEXICON)
    last_end = -1
    for m in found:
        assert 0 <= m.start < m.end <= len(text)
        assert m.start >= last_end  # non-overlapping, in order
        last_end = m.end
        if m.label in ("AMOUNT", "PERCENT", "QUANTITY"):
            assert is_decimal_string(m.value)


def _runtime(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        find_rule_entities(text, "2021", LEXICON)
        best = min(best, time.perf_counter() - t0)
    return best


@pytest.mark.slow
@pytest.mark.parametrize(
    "unit",
    ["1", "1万", "1 ", "一", "1%", "1,", "1,111", "十万", "1.", "1万1", "增", "第1", "2021年", "〔2022", "-1"]
    + ["1 " * 3 + "万元 ", "一" * 50 + "万", "收入", "本年收入", "1 余"],
)
def test_rules_are_linear_on_pathological_input(unit):
    """Work grows linearly: 4x the input may cost at most 8x the time (a quadratic would be 16x).
    A bound on growth, not a speed goal (speed lives in bench/)."""
    small = (unit * (50_000 // len(unit) + 1))[:50_000]
    large = (unit * (200_000 // len(unit) + 1))[:200_000]
    t_small, t_large = _runtime(small), _runtime(large)
    assert t_large < 8 * t_small + 0.05, f"{unit!r}: {t_small:.4f}s for 50 KB, {t_large:.4f}s for 200 KB"

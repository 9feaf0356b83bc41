"""Normalisation: the offset map round-trips on the sources and on random PDF-artefact text."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.normalize import normalize

from .conftest import source_texts


def _check_map(original: str) -> None:
    norm = normalize(original)
    assert len(norm.starts) == len(norm.text) == len(norm.ends)
    prev_start = prev_end = 0
    for i in range(len(norm.text)):
        s, e = norm.starts[i], norm.ends[i]
        assert 0 <= s < e <= len(original)
        assert s >= prev_start and e >= prev_end  # monotone: spans never cross
        prev_start, prev_end = s, e


def test_sources_map_is_monotone_and_in_range():
    for text in source_texts().values():
        _check_map(text)


def test_kangxi_radicals_and_fullwidth_forms_are_folded():
    text = source_texts()["004_bd253d31d99d6327"]
    norm = normalize(text)
    assert "⾦" in text and "⾦" not in norm.text and "基金" in norm.text
    assert "⼀" in text and "⼀" not in norm.text
    word = "年度一般公共预算财政拨款收入"  # letter-spaced in the PDF text: "年 度 ⼀ 般 公 共 …"
    surfaces = [norm.surface(m.start(), m.end()) for m in re.finditer(word, norm.text)]
    assert any("年 度 ⼀ 般 公 共" in s for s in surfaces)


def test_spaces_inside_numbers_and_before_units_are_removed():
    text = source_texts()["004_bd253d31d99d6327"]
    norm = normalize(text)
    for surface, clean in (("532 .02 万元", "532.02万元"), ("82. 13 万元", "82.13万元"), ("671 .45 万元", "671.45万元")):
        assert surface in text
        surfaces = [norm.surface(m.start(), m.end()) for m in re.finditer(re.escape(clean), norm.text)]
        assert surface in surfaces


def test_line_break_inside_a_sentence_is_joined():
    text = source_texts()["000_151e3cc1a638edf9"]
    norm = normalize(text)
    # "较 2020 年减少 26.26\n\n 万元" in the PDF text
    i = norm.text.index("26.26万元")
    surface = norm.surface(i, i + len("26.26万元"))
    assert "\n" in surface and surface.startswith("26.26") and surface.endswith("万元")


def test_markup_is_removed_but_offsets_keep_it():
    text = "<b>208</b>\t<b>社会保障和就业支出</b>\t<b>85.72</b>"
    norm = normalize(text)
    assert norm.text == "208\t社会保障和就业支出\t85.72"
    i = norm.text.index("85.72")
    assert norm.surface(i, i + 5) == "85.72"


ARTEFACTS = st.sampled_from(
    ["428.59", " ", "  ", "\n", "\n\n", " \n ", "万", "元", "万元", "%", " .", ". ", "⾦", "⼀", "１２", "，", "。",
     "<b>", "</b>", "\t", "收入总计", "较", "年", "增加", "(", ")", "（一）", "\r\n", "\u200b", "…", "㎡", "①", "-"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(ARTEFACTS, max_size=60).map("".join))
def test_property_offset_map_on_artefact_text(original):
    _check_map(original)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_property_offset_map_on_any_unicode(original):
    _check_map(original)


@settings(max_examples=200, deadline=None)
@given(st.lists(ARTEFACTS, max_size=40).map("".join))
def test_property_numbers_survive_with_their_surface(original):
    norm = normalize(original)
    for m in re.finditer(r"\d+(?:\.\d+)?", norm.text):
        surface = norm.surface(*m.span())
        assert m.group() in re.sub(r"\s", "", normalize(surface).text)

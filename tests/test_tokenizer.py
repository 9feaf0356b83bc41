"""The fiscal tokenizer on the real sources: atoms on token boundaries for every segmenter,
text and whitespace preserved, the shipped pkuseg model loads offline, the user dictionary works."""

from __future__ import annotations

import re
import shutil

import pytest

from nlp.normalize import normalize
from nlp.pipeline import build_pipeline
from nlp.tokenizer import SEGMENTERS, USER_DICT, _resolve, make_segmenter

# An independent scan (not the tokenizer's patterns) of the normalised text. It is coarse on
# purpose: a match must START and END on token boundaries; how the inside is cut is free.
SCANS = {
    "number": re.compile(r"\d+(?:[.,]\d+)*"),
    "percent": re.compile(r"\d+(?:\.\d+)?%"),
    "unit": re.compile(r"万元|亿元|千元|元|%|‰"),
    "code": re.compile(r"(?m)^\d{2,7}(?=\t)"),  # a table row's classification code
    # the form template "增加(减少)" is one CHANGE (CONTRACT.md), the others single words
    "change": re.compile(r"(?:增加|增长|增)\((?:减少|下降|减)\)|增加|减少|增长|下降|上升|降低|持平"),
}


@pytest.fixture(scope="module", params=SEGMENTERS)
def tokenizer(request):
    return build_pipeline(overrides={"nlp.tokenizer.segmenter": request.param}).tokenizer


def boundaries(doc) -> tuple[set[int], set[int]]:
    starts = {t.idx for t in doc}
    ends = {t.idx + len(t.text) for t in doc}
    return starts, ends


def test_atoms_sit_on_token_boundaries(tokenizer, sources):
    found = 0
    misses = []
    for doc_id, text in sources.items():
        doc = tokenizer(text)
        starts, ends = boundaries(doc)
        for kind, rx in SCANS.items():
            for m in rx.finditer(doc.text):
                found += 1
                if m.start() not in starts or m.end() not in ends:
                    near = [t.text for t in doc.char_span(max(0, m.start() - 4), min(len(doc.text), m.end() + 4), alignment_mode="expand")]
                    misses.append((doc_id, kind, m.group(), near))
    assert found > 1000  # the scan really ran over the sources
    assert not misses, f"{len(misses)} atoms cut by {tokenizer.segmenter}: {misses[:10]}"


def test_doc_text_is_the_normalised_text(tokenizer, sources):
    for text in sources.values():
        doc = tokenizer(text)
        assert doc.text == normalize(text).text
        assert doc._.norm.original == text


def test_whitespace_is_kept_as_tokens_or_trailing_spaces(tokenizer, sources):
    text = sources["001_0d3306247bd7dd48"]  # tab-separated tables, paragraph breaks
    doc = tokenizer(text)
    assert any(t.text == "\t" for t in doc) and any("\n" in t.text for t in doc)
    for t in doc:
        # a token is all whitespace or has none inside it; one trailing " " is tok.whitespace_
        assert t.is_space or not re.search(r"\s", t.text), repr(t.text)


def test_table_row_code_subject_and_values_are_tokens(tokenizer, sources):
    doc = tokenizer(sources["001_0d3306247bd7dd48"])
    line = "2101501\t行政运行\t179.93\t179.93\t0.00"
    start = doc.text.index(line)
    words = [t.text for t in doc.char_span(start, start + len(line))]
    for cell in ("2101501", "179.93", "0.00"):
        assert cell in words


# (document, a stretch of it as written, tokens that stretch must contain)
SOURCE_CASES = [
    ("004_bd253d31d99d6327", "出 532 .02 万元", ["532.02", "万元"]),  # PDF space inside the number
    ("004_bd253d31d99d6327", "占 8.53%", ["8.53", "%"]),
    ("002_100750d5db1f2fce", "在 95%-85%之间", ["95", "%", "-", "85"]),  # a range, not a negative number
    ("000_151e3cc1a638edf9", "年增加（减少）0 万元", ["增加(减少)", "0", "万元"]),  # the form template
]


@pytest.mark.parametrize("doc_id,stretch,expected", SOURCE_CASES)
def test_source_stretches_tokenise_as_expected(tokenizer, sources, doc_id, stretch, expected):
    assert stretch in sources[doc_id]
    doc = tokenizer(sources[doc_id])
    norm = doc._.norm
    start = sources[doc_id].index(stretch)
    a, b = norm.from_original(start, start + len(stretch))
    words = [t.text for t in doc.char_span(a, b, alignment_mode="expand")]
    for w in expected:
        assert w in words, (w, words)


def test_user_dictionary_subject_stays_one_token_with_jieba():
    assert "工资福利支出" in USER_DICT.read_text(encoding="utf-8").split()
    # without the dictionary jieba splits it: the dictionary is what keeps it whole
    assert make_segmenter("jieba", None)("工资福利支出") != (6,)
    tok = build_pipeline(overrides={"nlp.tokenizer.segmenter": "jieba"}).tokenizer
    doc = tok("其中：工资福利支出 159.09 万元，商品和服务支出 7.94 万元")
    assert "工资福利支出" in [t.text for t in doc]
    assert "商品和服务支出" in [t.text for t in doc]


def test_our_jieba_dag_gives_jiebas_words_on_every_block_of_the_sources():
    import jieba

    from nlp.segmentation.jieba_dag import block_cutter
    from nlp.tokenizer import _jieba

    tok = _jieba(str(USER_DICT))
    fast = block_cutter(tok)
    blocks = {b for text in sources_normalised() for b in jieba.re_han_default.findall(text)}
    assert len(blocks) > 1000
    differ = [b for b in sorted(blocks) if fast(b) != list(tok._Tokenizer__cut_DAG(b))]
    assert not differ, differ[:5]


def sources_normalised() -> list[str]:
    from nlp.segmentation.corpus import normalized_sources

    return list(normalized_sources().values())


def test_pkuseg_model_loads_from_models_without_network(monkeypatch):
    import socket

    import spacy_pkuseg

    def no_network(*args, **kwargs):
        raise AssertionError("the pkuseg model must load without network access")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(spacy_pkuseg, "download_model", no_network)
    model_dir = _resolve("models/pkuseg-fiscal")
    seg = spacy_pkuseg.pkuseg(model_name=model_dir, user_dict=None)
    words = seg.cut("一般公共预算财政拨款支出决算表")
    assert "".join(words) == "一般公共预算财政拨款支出决算表" and len(words) > 1


def test_missing_pkuseg_model_is_a_clear_error_not_a_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_pkuseg"):
        make_segmenter("pkuseg", None, str(tmp_path / "nowhere"))


def test_unknown_segmenter_is_a_clear_error():
    with pytest.raises(ValueError, match="jieba, pkuseg, char"):
        make_segmenter("thulac")


def test_jieba_loads_quietly(tmp_path, capfd):
    from nlp.tokenizer import _jieba

    private = tmp_path / "dict.txt"  # a dictionary path not loaded yet in this process
    shutil.copyfile(USER_DICT, private)
    capfd.readouterr()
    _jieba(str(private)).lcut("工资福利支出")
    assert "prefix dict" not in capfd.readouterr().err


def test_user_dictionary_is_up_to_date():
    from nlp.segmentation import build_dict

    assert build_dict.main(["--check"]) == 0, "nlp/data/fiscal_dict.txt is stale: python -m nlp.segmentation.build_dict"

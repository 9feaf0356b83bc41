"""Table layout on the real tables of the sources (001: tab tables from HTML, 003: tab
tables with abbreviated codes, 002/004: PDF text), the document period, and the layout
entities. Expectations are computed from the source text, not copied from the output."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from nlp.tables import (
    decimal_string,
    document_basis,
    document_period,
    layout_entities,
    parse_tables,
    parse_target_value,
    score_of,
    target_measure,
)
from nlp.normalize import normalize

SRC_001 = "001_0d3306247bd7dd48"
SRC_003 = "003_5a2dd30d76d26ec5"
_CODE_ROW = re.compile(r"^(\d{2,7})\t")
_NUM = re.compile(r"-?\d+(?:\.\d+)?")


@pytest.fixture(scope="module")
def pipeline():
    from nlp.pipeline import build_pipeline

    return build_pipeline()


@pytest.fixture(scope="module")
def docs(pipeline, sources):
    return {k: pipeline(v) for k, v in sources.items()}


# --- period -------------------------------------------------------------------------------


def _title_year(raw: str) -> str:
    """The year of the first heading naming a 预算/决算, read independently of the parser."""
    for line in normalize(raw).text.split("\n"):
        m = re.search(r"(\d{4})年度?[^,。\n]{0,15}?[预决]算", line)
        if m and len(line.strip()) <= 60:
            return m.group(1)
    raise AssertionError("no title line")


def test_document_period_of_every_source(sources, docs):
    expected = {"000": "2021", "001": "2026", "002": "2022", "003": "2024", "004": "2021"}  # CONTRACT / task spec
    for doc_id, raw in sources.items():
        assert docs[doc_id]._.period == expected[doc_id[:3]] == _title_year(raw), doc_id


def test_document_basis(sources):
    kinds = {k: document_basis(normalize(v).text) for k, v in sources.items()}
    assert kinds[SRC_001] == kinds[SRC_003] == "budget"
    assert {kinds[k] for k in sources if k[:3] in ("000", "002", "004")} == {"actual"}


def test_period_of_a_single_paragraph_and_without_evidence():
    assert document_period(normalize("本部门 2021 年度收入总计 428.59万元，较 2020 年增加 25.66 万元").text) == "2021"
    assert document_period(normalize("2026 年景德镇市医疗保障局收入预算总额为 959.51 万元").text) == "2026"
    assert document_period("收入总计 428.59万元") is None
    assert document_period("截至2023年12月31日,部门共有车辆0辆") is None
    assert document_period("") is None


# --- tables of 001 and 003 ----------------------------------------------------------------


def _code_lines(doc) -> list[tuple[int, int, list[str]]]:
    """(start, end, cells) of every line of the normalised text that starts with a code cell."""
    out = []
    pos = 0
    for line in doc.text.split("\n"):
        if _CODE_ROW.match(line):
            out.append((pos, pos + len(line), line.split("\t")))
        pos += len(line) + 1
    return out


@pytest.mark.parametrize("doc_id", [SRC_001, SRC_003])
def test_every_code_line_is_a_table_row_with_its_cells(docs, doc_id):
    doc = docs[doc_id]
    rows = {r.start: (t, r) for t in doc._.tables for r in t.rows}
    lines = _code_lines(doc)
    assert len(lines) >= 30
    for start, end, cells in lines:
        assert start in rows, cells
        table, row = rows[start]
        numbers = [c.strip() for c in cells[2:] if _NUM.fullmatch(c.strip())]
        assert [v.text for v in row.values] == numbers
        assert table.unit == "万元"
        if len(cells[0]) in (3, 5, 7):
            assert row.code == cells[0]
        # the row's subject is the name cell, unless the first column holds unit codes
        if row.code:
            assert row.subject == cells[1].strip()


def test_tables_found_in_001(docs):
    tables = docs[SRC_001]._.tables
    kinds = [t.kind for t in tables]
    assert kinds.count("grid") == 6  # 3 code tables, the 三公 table, 2 empty fund tables
    assert kinds.count("target") == 2 and kinds.count("kv") == 1
    titles = [t.title for t in tables if t.kind == "grid"]
    assert titles[:4] == ["部门支出总表", "一般公共预算支出表", "一般公共预算基本支出表", "财政拨款“三公”经费支出表"]
    empty = [t for t in tables if t.kind == "grid" and not t.rows]
    assert [t.title for t in empty] == ["政府性基金预算支出表", "国有资本经营预算支出表"]


def test_header_paths_with_merged_cells(docs):
    by_title = {t.title: t for t in docs[SRC_001]._.tables if t.kind == "grid"}
    t = by_title["一般公共预算支出表"]
    assert [c.path for c in t.columns] == [
        ("支出功能分类科目", "科目编码"),
        ("支出功能分类科目", "科目名称"),
        ("2026年预算数", "合计"),
        ("2026年预算数", "基本支出"),
        ("2026年预算数", "项目支出"),
    ]
    assert [c.role for c in t.columns] == ["code", "name", "value", "value", "value"]
    assert {c.period for c in t.columns[2:]} == {"2026"} and {c.basis for c in t.columns[2:]} == {"budget"}
    sg = by_title["财政拨款“三公”经费支出表"]
    assert [c.path for c in sg.columns] == [
        ("合计",),
        ("因公出国(境)费", "小计"),
        ("因公出国(境)费", "一般公务出国(境)费"),
        ("因公出国(境)费", "高等院校和科研院所学术交流合作出国(境)费"),
        ("公务接待费",),
        ("公务用车购置及运行维护费", "小计"),
        ("公务用车购置及运行维护费", "公务用车运行维护费"),
        ("公务用车购置及运行维护费", "公务用车购置"),
    ]
    assert sg.index_row is not None and len(sg.rows) == 1 and len(sg.rows[0].values) == 8


def test_abbreviated_codes_of_003_resolve_under_their_class(docs):
    doc = docs[SRC_003]
    lei = None
    seen = 0
    rows = {r.start: r for t in doc._.tables for r in t.rows}
    for start, _, cells in _code_lines(doc):
        code = cells[0]
        if len(code) == 3:
            lei = code
        if len(code) == 2:
            seen += 1
            assert rows[start].code == lei + code, cells
    assert seen == 8  # 05, 11, 15, 02 in each of the two function tables


def test_the_unit_codes_of_the_003_sangong_table_are_not_codes(docs):
    doc = docs[SRC_003]
    sg = next(t for t in doc._.tables if t.title == "财政拨款“三公”经费支出表")
    assert [c.role for c in sg.columns[:2]] == ["org_code", "org_name"]
    (row,) = sg.rows
    assert row.code is None and row.subject is None
    assert [v.text for v in row.values] == ["2.57", "2.57"]
    assert [sg.columns[v.col].leaf for v in row.values] == ["合计", "公务接待费"]


def test_target_tables_of_001(docs):
    doc = docs[SRC_001]
    targets = [t for t in doc._.tables if t.kind == "target"]
    # every line with a lone comparator cell is a row of the first target table
    comparator_lines = [l for l in doc.text.split("\n") if re.search(r"\t[≥≤=]\t\d", l)]
    assert len(targets[0].rows) == len(comparator_lines) == 24
    first = targets[0].rows[0]
    assert (first.subject, first.comparator, first.number, first.unit) == ("基本医保参保人数", "≥", "154", "万人")
    shifted = next(r for r in targets[0].rows if r.subject == "预算支出标准的执行率")
    assert (shifted.comparator, shifted.number, shifted.unit) == ("≥", "95", "%")
    embedded_lines = [l for l in doc.text.split("\n") if re.search(r"\t[≥≤=]\d+(?:\.\d+)?(?:万元|%|张|次)\t*$", l)]
    assert len(targets[1].rows) == len(embedded_lines)
    assert all(r.unit_embedded for r in targets[1].rows)


def test_key_value_tables(docs):
    kv1 = [t for t in docs[SRC_001]._.tables if t.kind == "kv"]
    assert [(r.subject, r.values[0].text) for r in kv1[0].rows] == [
        ("资金总额", "50.00"), ("非财政拨款", "0"), ("其他资金", "0"), ("上年结转", "0")]
    kv3 = [t for t in docs[SRC_003]._.tables if t.kind == "kv"]
    assert [(r.subject, r.values[0].text) for r in kv3[0].rows][:3] == [
        ("收入预算合计", "235.38"), ("财政拨款", "235.38"), ("其他经费", "0")]


def test_pdf_sources_have_no_tab_tables(docs):
    """002/004 are PDF text: the 004 unit list is not a money table; 002's flattened 自评表 gives
    inline key/value money pairs, and its score table (分值/得分) gives scores, not money."""
    assert docs["004_bd253d31d99d6327"]._.tables == []
    t, score = docs["002_100750d5db1f2fce"]._.tables
    assert t.kind == "kv" and t.unit == "万元" and t.period == "2022"
    # the three flattened pairs, then the sub-rows after them on the line (其中: … 市县财政 100, once per column)
    assert [r.subject for r in t.rows] == ["计划投资额", "实际到位资金", "实际使用情况", "市县财政", "市县财政"]
    assert [r.basis for r in t.rows] == ["budget", "actual", "actual", None, None]  # sub-rows name no basis
    assert score.kind == "score" and not score.is_money and score.period == "2022"


def test_score_table_reads_each_indicators_score(docs):
    """002 附件2: "立项依据充分性 4 4" is 三级指标, 分值, 得分; a name with one number is a weight
    (项目立项 8); a long note's numbers belong to the indicator before it (产出数量); the 一级指标
    glued to its first indicator is cut off (效益经济效益); 总分 closes the table."""
    doc = docs["002_100750d5db1f2fce"]
    (score,) = [t for t in doc._.tables if t.kind == "score"]
    scored = {r.subject: score_of(r).text for r in score.rows if score_of(r) is not None}
    assert scored["立项依据充分性"] == "4" and scored["资金使用合规性"] == "6"
    assert scored["产出数量"] == "7" and scored["经济效益"] == "7" and scored["总分"] == "99"
    assert "项目立项" not in scored and "效益经济效益" not in scored
    # every number of the table is a QUANTITY in 分, with its value
    quantities = {(e.start_char, e.end_char): e for e in doc.ents if e.label_ == "QUANTITY"}
    for r in score.rows:
        for v in r.values:
            ent = quantities[(v.start, v.end)]
            assert ent._.unit == "分" and ent._.value == v.text


# --- layout entities ----------------------------------------------------------------------


@pytest.mark.parametrize("doc_id", [SRC_001, SRC_003])
def test_amount_entities_equal_cell_times_unit(docs, doc_id):
    doc = docs[doc_id]
    spans = [s for s in doc.spans["layout"] if s.label_ == "AMOUNT"]
    assert len(spans) > 100
    for s in spans:
        assert s._.unit == "CNY"
        assert Decimal(s._.value) == Decimal(s.text) * 10000
        assert "E" not in s._.value and s._.source == "rule"


@pytest.mark.parametrize("doc_id", [SRC_001, SRC_003])
def test_no_entity_in_index_rows_or_unit_codes(docs, doc_id):
    doc = docs[doc_id]
    text = doc.text
    for s in doc.spans["layout"]:
        if s.label_ == "UNIT":
            continue  # the unit is declared on the 填报单位 line
        a = text.rfind("\n", 0, s.start_char) + 1
        b = text.find("\n", s.end_char)
        line = text[a : b if b >= 0 else len(text)]
        assert not line.startswith("**\t"), line
        assert "填报单位" not in line and "部门编码" not in line
        assert s.text not in ("302001", "507") and text[s.start_char - 1] != "["  # [302], 填报单位:507


def test_layout_entities_all_become_spans(docs):
    """Every layout entity falls on token boundaries (none is silently dropped)."""
    for doc_id, doc in docs.items():
        ents = layout_entities(doc._.tables)
        assert len(ents) == len(doc.spans["layout"]), doc_id


def test_code_entities_of_003(docs):
    doc = docs[SRC_003]
    codes = [(s.text, s._.value) for s in doc.spans["layout"] if s.label_ == "SUBJECT_CODE"]
    assert ("05", "20805") in codes and ("11", "21011") in codes and ("02", "22102") in codes
    assert len(codes) == len(_code_lines(doc)) - 1  # every code line but the 三公 unit code row


def test_target_entities_with_a_unit_cell(docs):
    doc = docs[SRC_001]
    by_text = {}
    for s in doc.spans["layout"]:
        if s.label_ in ("QUANTITY", "PERCENT", "AMOUNT") and "\t" in doc.text[s.start_char - 3 : s.start_char]:
            by_text.setdefault(s.label_, []).append((s.text, s._.value, s._.unit))
    assert ("154", "1540000", "人") in by_text["QUANTITY"]
    assert ("10000", "10000", "张") in by_text["QUANTITY"]
    assert ("100", "100", "%") in by_text["PERCENT"]
    units = [s.text for s in doc.spans["layout"] if s.label_ == "UNIT"]
    assert units.count("万人") == 1 and units.count("%") == 16


# --- helpers and robustness -------------------------------------------------------------


def test_value_helpers():
    assert decimal_string(Decimal("179.93") * 10000) == "1799300"
    assert decimal_string(Decimal("0.00") * 10000) == "0"
    assert decimal_string(Decimal("4285900")) == "4285900"
    assert decimal_string(Decimal("1E+6")) == "1000000"
    assert parse_target_value("≤4万元")[:3] == ("≤", "4", "万元")
    assert parse_target_value("=100%")[:3] == ("=", "100", "%")
    assert parse_target_value("100%")[:3] == (None, "100", "%")
    assert parse_target_value("良好") is None
    assert target_measure("154", "万人") == ("QUANTITY", "1540000", "人")
    assert target_measure("4", "万元") == ("AMOUNT", "40000", "CNY")
    assert target_measure("95", "%") == ("PERCENT", "95", "%")
    assert target_measure("1", "立方") is None


@pytest.mark.parametrize(
    "text",
    [
        "1" * 200_000,
        "\t" * 200_000,
        "中" * 200_000,
        ("科目编码\t科目名称\t合计\n" + "2101501\t行政运行\t1.0\n" * 5_000),
        "单位:万元\n" + "\t".join(["1"] * 50_000),
        "(万元)" * 30_000 + "1",
        "2021年" * 30_000,
        "**\t**\t1\t2\t3\n" * 10_000,
        "三级指标\t目标值\n" + "x\t≥\t\t\t\t\n" * 10_000,
    ],
)
def test_pathological_inputs_parse(text):
    tables = parse_tables(text, None, None)
    layout_entities(tables)
    document_period(text)

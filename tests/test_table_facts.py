"""Table facts on the real tables of 001 and 003: values equal the cells, the 合计 column is
基本 + 项目 for every row, targets carry comparator/value/unit, evidence points at the cell.
Expected values are read from the source text here, independently of the parser."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from nlp.contract import MONEY_UNIT, Fact
from nlp.facts.tables import table_facts

SRC_001 = "001_0d3306247bd7dd48"
SRC_003 = "003_5a2dd30d76d26ec5"
_CODE_ROW = re.compile(r"^(\d{3}|\d{5}|\d{7})\t")
_NUM = re.compile(r"-?\d+(?:\.\d+)?")


@pytest.fixture(scope="module")
def pipeline():
    from nlp.pipeline import build_pipeline

    return build_pipeline()


@pytest.fixture(scope="module")
def docs(pipeline, sources):
    return {k: pipeline(sources[k]) for k in (SRC_001, SRC_003, "002_100750d5db1f2fce")}


@pytest.fixture(scope="module")
def facts(docs):
    return {k: table_facts(d) for k, d in docs.items()}


def _original(doc, f: Fact) -> str:
    s, e = doc._.norm.to_original(f.evidence.start, f.evidence.end)
    return doc._.norm.original[s:e]


@pytest.mark.parametrize("doc_id", [SRC_001, SRC_003])
def test_every_code_row_gives_facts_equal_to_its_cells(docs, facts, doc_id):
    doc = docs[doc_id]
    by_line: dict[int, list[Fact]] = {}
    for f in facts[doc_id]:
        line_start = doc.text.rfind("\n", 0, f.evidence.start) + 1
        by_line.setdefault(line_start, []).append(f)
    pos = 0
    checked = 0
    for line in doc.text.split("\n"):
        m = _CODE_ROW.match(line)
        if m:
            cells = line.split("\t")
            numbers = [c.strip() for c in cells[2:] if _NUM.fullmatch(c.strip())]
            got = by_line.get(pos, [])
            assert [Decimal(f.value) for f in got] == [Decimal(n) * 10000 for n in numbers], line
            assert {f.code for f in got} == {m.group(1)} and {f.subject for f in got} == {cells[1].strip()}
            assert all(f.measure == "amount" and f.unit == "CNY" and f.basis == "budget" for f in got)
            checked += 1
        pos += len(line) + 1
    assert checked >= 30


@pytest.mark.parametrize("doc_id", [SRC_001, SRC_003])
def test_total_column_is_the_sum_of_the_other_columns_for_every_row(docs, facts, doc_id):
    """合计 = 基本支出 + 项目支出 (人员经费 + 公用经费) on every code table row; an empty cell is 0."""
    text = docs[doc_id].text
    rows: dict[int, dict[str, Decimal]] = {}
    for f in facts[doc_id]:
        if f.column in ("合计", "基本支出", "项目支出", "人员经费", "公用经费"):
            rows.setdefault(text.rfind("\n", 0, f.evidence.start), {})[f.column] = Decimal(f.value)
    with_total = [cols for cols in rows.values() if "合计" in cols and len(cols) > 1]
    assert len(with_total) >= 30
    for cols in with_total:
        parts = sum(v for k, v in cols.items() if k != "合计")
        assert abs(cols["合计"] - parts) <= 100, cols  # 0.01 万元 of rounding


def test_evidence_is_the_cell_in_the_original_text(docs, facts):
    for doc_id in (SRC_001, SRC_003):
        doc = docs[doc_id]
        for f in facts[doc_id]:
            assert _original(doc, f).replace(" ", "") == doc.text[f.evidence.start : f.evidence.end]


def test_fact_fields_of_001(facts):
    fs = facts[SRC_001]
    row = [f for f in fs if f.code == "2101501"]
    # the 2101501 行政运行 row is printed in two function tables, three columns each
    assert len(row) == 6
    assert [(f.column, f.value) for f in row[:3]] == [("合计", "1799300"), ("基本支出", "1799300"), ("项目支出", "0")]
    assert {f.period for f in fs} == {"2026"}
    sg = [f for f in fs if f.column in ("小计", "公务接待费", "公务用车购置") and f.code is None and f.measure == "amount"]
    assert ("公务接待费", "公务接待费", "10000") in [(f.subject, f.column, f.value) for f in sg]
    assert ("因公出国(境)费", "小计", "0") in [(f.subject, f.column, f.value) for f in sg]
    for f in fs:
        Fact.model_validate(f.model_dump())  # contract-valid


def test_target_facts_of_001(facts):
    targets = [f for f in facts[SRC_001] if f.measure == "target"]
    got = {(f.subject, f.comparator, f.value, f.unit) for f in targets}
    assert ("基本医保参保人数", "≥", "1540000", "人") in got
    assert ("公用经费的控制率", "≥", "95", "%") in got
    assert ("基金监管宣传海报制作数量", "≥", "1500", "张") in got
    assert ("基金监管主题宣传活动海报和三折页印刷费用", "≤", "40000", "CNY") in got
    assert ("飞行检查查处收缴违规医保基金金额", "≥", "2000000", "CNY") in got
    assert len(targets) == 24 + 23
    assert all(f.period == "2026" for f in targets)


def test_target_evidence_is_number_with_its_unit(docs, facts):
    doc = docs[SRC_001]
    for f in facts[SRC_001]:
        if f.measure != "target":
            continue
        ev = doc.text[f.evidence.start : f.evidence.end]
        assert not ev.startswith(("≥", "≤", "=")), ev
        assert _NUM.match(ev), ev


def test_key_value_facts(facts):
    kv1 = {(f.subject, f.value, f.basis) for f in facts[SRC_001] if f.code is None and f.column is None and f.measure == "amount"}
    assert ("资金总额", "500000", "budget") in kv1
    kv3 = {(f.subject, f.value) for f in facts[SRC_003] if f.column is None and f.measure == "amount"}
    assert {("收入预算合计", "2353800"), ("支出预算合计", "2353800"), ("项目支出", "670000"), ("年度资金总额", "400000")} <= kv3
    kv2 = [(f.subject, f.value, f.basis, f.period) for f in facts["002_100750d5db1f2fce"] if f.unit == MONEY_UNIT]
    assert kv2 == [("计划投资额", "1000000", "budget", "2022"), ("实际到位资金", "1000000", "actual", "2022"),
                   ("实际使用情况", "1000000", "actual", "2022"),
                   ("市县财政", "1000000", "actual", "2022"), ("市县财政", "1000000", "actual", "2022")]


def test_targets_of_003_and_sangong(facts):
    fs = facts[SRC_003]
    targets = {(f.subject, f.comparator, f.value, f.unit) for f in fs if f.measure == "target"}
    assert ("培训开展场次", "≥", "10", "场") in targets
    assert ("完成量", None, "100", "%") in targets
    sg = [(f.subject, f.column, f.value) for f in fs if f.code is None and f.column in ("合计", "公务接待费") and f.subject != "合计"]
    assert sg == [("公务接待费", "公务接待费", "25700")]


def test_table_facts_without_the_layout_component(pipeline):
    """table_facts parses the tables itself when fiscal_layout did not run."""
    text = "2026 年部门预算\n单位: 万元\n科目编码\t科目名称\t合计\n2101501\t行政运行\t179.93"
    with pipeline.select_pipes(disable=["fiscal_layout"]):
        doc = pipeline(text)
    doc._.tables = None
    (f,) = table_facts(doc)
    assert (f.subject, f.code, f.column, f.value, f.period, f.basis) == ("行政运行", "2101501", "合计", "1799300", "2026", "budget")


def test_two_items_per_row_and_relative_column_years(pipeline):
    """A 收支总表 row holds a revenue and an expenditure item; 上年/本年 columns are relative
    to the document's year; the unit may sit in a cell of the title row."""
    text = (
        "2026 年部门预算\n\n部门收支预算总表\t\t\t\t单位:万元\n"
        "收入\t\t支出\t\t\n项目\t本年预算数\t项目\t本年预算数\t上年预算数\n"
        "一、一般公共预算拨款收入\t881.44\t一、卫生健康支出\t819.11\t822.43"
    )
    got = [(f.subject, f.column, f.value, f.period, f.basis) for f in table_facts(pipeline(text))]
    assert got == [
        ("一般公共预算拨款收入", "本年预算数", "8814400", "2026", "budget"),
        ("卫生健康支出", "本年预算数", "8191100", "2026", "budget"),
        ("卫生健康支出", "上年预算数", "8224300", "2025", "budget"),
    ]

"""Arithmetic checks: rounding tolerances, the inconsistencies of the real sources (found by
hand, see docs/facts.md), no check where figures agree within rounding, and sensitivity."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nlp.checks import Link, check_facts, fact_tolerance, mark_inconsistent, table_links
from nlp.contract import Check, Fact, Offsets
from tests.conftest import source_texts

SOURCES = source_texts()

# Every inconsistency found by reading the sources (docs/facts.md): (source, kind, a subject
# among the facts involved, the stated value). The checker must find each of them, and nothing else.
HAND_FOUND = {
    ("000", "execution_pct", "财政拨款本年支出", "106.74"),  # 428.59 / 207.31 = 206.74%
    ("000", "execution_pct", "卫生健康支出", "203.4"),  # 392.6 / 179.34 = 218.91%
    ("000", "total_sum", "财政拨款本年支出", "2073100"),  # budgets 12.4+179.34+15.57+8.01 = 215.32
    ("000", "change_pct", "商品和服务支出", "26.75"),  # 26.26 / (35.85+26.26) = 42.28%
    ("000", "change_pct", "机关运行经费支出", "19.16"),  # 3.19 / (35.85−3.19) = 9.77%
    ("001", "change_sum", "上年结转", "553600"),  # 收入: −22.71 + 55.36 = 32.65 ≠ 55.36 (no list cue)
    ("001", "change_sum", "基本支出", "553600"),  # −20.93 + 23.19 = 2.26 ≠ 55.36
    ("001", "change_sum", "卫生健康支出", "553600"),  # 0.54 − 3.32 + 5.18 − 0.14 = 2.26 ≠ 55.36
    ("001", "change_sum", "工资福利支出", "553600"),  # −12 + 273.61 + 10.44 + 5.18 = 277.23 ≠ 55.36
    ("001", "total_sum", "对个人和家庭的补助", "9595100"),  # 611.54+342.66+12+5.18 = 971.38 (12 for 0.12)
    ("002", "change_sum", "收入总计", "825100"),  # −19.89 + 108.27 = 88.38 ≠ 82.51
    ("002", "total_sum", "一般公共预算财政拨款基本支出", "6716500"),  # parts sum to 520.27
    ("002", "execution_pct", "公务接待费支出", "0"),  # 0.62 / 5 = 12.4%, stated 0%
    ("000", "balance", "收入总计", "256600"),  # 收入总计 = 支出总计 = 428.59, but +25.66 against +62
    ("000", "share_pct", "资金", "100"),  # 100 / 项目支出 181.55 = 55.08%, stated 占项目支出总额的 100%
    ("002", "balance", "收入总计", "825100"),  # +82.51 against 支出总计 +88.38 (also the change_sum above)
    ("002", "share_pct", "资金", "100"),  # 260 / 项目支出 151.38 = 171.75%
    ("003", "total_sum", "编制数", "3"),  # 3 + 13 = 16
    ("003", "change_sum", "工资福利支出", "-572400"),  # −56.71 − 1.88 + 1.01 = −57.58 ≠ −57.24
}


@pytest.fixture(scope="module")
def extractor():
    from nlp import Extractor

    return Extractor.rules_only()


@pytest.fixture(scope="module")
def docs(extractor):
    return {name[:3]: extractor.nlp(text) for name, text in SOURCES.items()}


def _fact(surface: str, text: str, measure: str, value: str, unit: str, **kw) -> Fact:
    start = text.index(surface)
    return Fact(subject=kw.pop("subject", "x"), measure=measure, value=value, unit=unit,
                evidence=Offsets(start=start, end=start + len(surface)), **kw)


def _on_table_row(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    return "\t" in text[line_start: line_end if line_end >= 0 else None]


def test_tolerance_is_half_the_last_shown_place():
    text = "428.59万元 62万元 1.4万元 6.37% 100% 13人 0.00 1.2亿元"
    cases = [
        ("428.59万元", "amount", "4285900", "CNY", Decimal(50)),
        ("62万元", "amount", "620000", "CNY", Decimal(50)),  # trailing zeros dropped: 62.00
        ("1.4万元", "change", "14000", "CNY", Decimal(50)),
        ("6.37%", "change_pct", "6.37", "%", Decimal("0.005")),
        ("100%", "share_pct", "100", "%", Decimal("0.5")),
        ("13人", "amount", "13", "人", Decimal(0)),
        ("0.00", "amount", "0", "CNY", Decimal(50)),  # a 0 cell: the table's 万元 by default
        ("1.2亿元", "amount", "120000000", "CNY", Decimal(500000)),
    ]
    for surface, measure, value, unit, want in cases:
        assert fact_tolerance(_fact(surface, text, measure, value, unit), text) == want, surface


def test_interval_arithmetic_accepts_rounding_only():
    text = "机关运行经费支出 120.64万元,较上年减少1.4万元,下降1.15% 下降1.1% 下降1.3%"
    amount = _fact("120.64万元", text, "amount", "1206400", "CNY")
    change = _fact("1.4万元", text, "change", "14000", "CNY", direction="decrease")
    good = _fact("1.15%", text, "change_pct", "1.15", "%", direction="decrease")
    coarse = _fact("1.1%", text, "change_pct", "1.1", "%", direction="decrease")
    wrong = _fact("1.3%", text, "change_pct", "1.3", "%", direction="decrease")
    facts = [amount, change, good, coarse, wrong]
    links = [Link("change_pct", {"pct": i, "change": 1, "amount": 0}) for i in (2, 3, 4)]
    checks = check_facts(facts, links, text)
    assert [c.facts for c in checks] == [[0, 1, 4]]
    assert checks[0].computed == "1.15" and checks[0].stated == "1.3"
    # a change against a percentage of the other direction is reported as such
    up = _fact("1.15%", text, "change_pct", "1.15", "%", direction="increase")
    assert check_facts([amount, change, up], [Link("change_pct", {"pct": 2, "change": 1, "amount": 0})], text)


def test_sums_add_the_rounding_of_every_part():
    text = "合计 35.71 8.87 15.42 10.98 0.45 35.75"
    parts = [_fact(s, text, "amount", str(int(Decimal(s) * 10000)), "CNY") for s in ("8.87", "15.42", "10.98", "0.45")]
    total = _fact("35.71", text, "amount", "357100", "CNY")
    off = _fact("35.75", text, "amount", "357500", "CNY")
    facts = [total, off, *parts]
    ok = check_facts(facts, [Link("parent_sum", {"total": 0, "parts": [2, 3, 4, 5]})], text)
    bad = check_facts(facts, [Link("parent_sum", {"total": 1, "parts": [2, 3, 4, 5]})], text)
    assert ok == []  # 35.72 vs 35.71: within 5 × 0.005
    assert [(c.stated, c.computed, c.tolerance) for c in bad] == [("357500", "357200", "250")]


def test_template_figures_are_not_checked():
    text = "0万元 增加(减少)0万元 增长(下降)5%"
    second = text.index("0万元", 3)
    facts = [
        _fact("0万元", text, "amount", "0", "CNY"),
        Fact(subject="x", measure="change", value="0", unit="CNY", flags=["template"],
             evidence=Offsets(start=second, end=second + 3)),
        _fact("5%", text, "change_pct", "5", "%", flags=["template"]),
    ]
    assert check_facts(facts, [Link("change_pct", {"pct": 2, "change": 1, "amount": 0})], text) == []


def _found(doc) -> set[tuple[str, str, str, str]]:
    out = set()
    for c in doc._.checks:
        for i in c.facts:
            out.add((c.kind, doc._.facts[i].subject, c.stated))
    return out


def test_the_checker_finds_every_inconsistency_found_by_hand(docs):
    for source, kind, subject, stated in sorted(HAND_FOUND):
        assert (kind, subject, stated) in _found(docs[source]), (source, kind, subject, stated)


def test_the_checker_finds_nothing_else(docs):
    for source, doc in docs.items():
        expected = {(k, s, v) for src, k, s, v in HAND_FOUND if src == source}
        for c in doc._.checks:
            involved = {(c.kind, doc._.facts[i].subject, c.stated) for i in c.facts}
            assert involved & expected, (source, c.message)


def test_checks_are_contract_checks_and_flag_their_facts(docs):
    for source, doc in docs.items():
        involved = set()
        for c in doc._.checks:
            Check.model_validate(c.model_dump())
            assert [(o.start, o.end) for o in c.evidence] == [
                (doc._.facts[i].evidence.start, doc._.facts[i].evidence.end) for i in c.facts
            ]
            if c.kind.endswith("_sum"):
                assert abs(Decimal(c.stated) - Decimal(c.computed)) > Decimal(c.tolerance)
            involved.update(c.facts)
        flagged = {i for i, f in enumerate(doc._.facts) if "inconsistent" in f.flags}
        assert flagged == involved, source


@pytest.mark.parametrize("source", ["001", "003"])
def test_no_check_on_tables_that_agree_within_rounding(docs, source):
    doc = docs[source]
    facts = doc._.facts
    links = table_links(facts, doc.text, doc._.tables)
    assert len(links) >= len(table_links(facts, doc.text))  # header paths only add relations
    sums = [lk for lk in links if lk.kind in ("parent_sum", "total_sum", "column_sum")]
    assert {lk.kind for lk in sums} == {"parent_sum", "total_sum", "column_sum"}
    # some relations only hold within rounding (e.g. 21011 行政事业单位医疗 35.71 vs 35.72)
    def diff(lk):
        return abs(Decimal(facts[lk.roles["total"]].value) - sum(Decimal(facts[i].value) for i in lk.roles["parts"]))
    assert any(diff(lk) > 0 for lk in sums)
    assert check_facts(facts, links, doc.text) == []
    assert not [c for c in doc._.checks if any(_on_table_row(doc.text, o.start) for o in c.evidence)]


def test_grouped_headers_sum_through_their_subtotals(docs):
    """001's 三公 table: 合计 = 因公出国(境)费/小计 + 公务接待费 + 公务用车…/小计."""
    doc = docs["001"]
    facts = doc._.facts
    at = doc.text.index("1.00\t0.00\t0.00\t0.00\t1.00")
    row = sorted(i for i, f in enumerate(facts) if at <= f.evidence.start < at + 40 and f.measure == "amount")
    links = [lk for lk in table_links(facts, doc.text, doc._.tables) if lk.roles["total"] in row]
    assert [len(lk.roles["parts"]) for lk in links if lk.roles["total"] == row[0]] == [3]


def test_a_changed_table_cell_is_caught(extractor):
    text = SOURCES["001_0d3306247bd7dd48"]
    row = "2101501\t行政运行\t179.93\t179.93\t0.00"
    assert row in text
    doc = extractor.nlp(text.replace(row, "2101501\t行政运行\t189.93\t179.93\t0.00", 1))
    at = doc.text.index("189.93")
    bad = [i for i, f in enumerate(doc._.facts) if f.evidence.start == at]
    kinds = {c.kind for c in doc._.checks if set(bad) & set(c.facts)}
    assert kinds == {"parent_sum", "column_sum"}


def test_a_changed_percentage_is_caught(extractor):
    text = SOURCES["000_151e3cc1a638edf9"].replace("增长 6.37 %", "增长 7.37 %", 1)
    doc = extractor.nlp(text)
    assert [(c.kind, c.stated) for c in doc._.checks if c.stated == "7.37"] == [("change_pct", "7.37")]


def test_result_checks_point_into_the_original_text(extractor):
    text = SOURCES["000_151e3cc1a638edf9"]
    result = extractor.extract(text)
    check = next(c for c in result["checks"] if c["stated"] == "106.74")
    shown = [text[o["start"]:o["end"]] for o in check["evidence"]]
    assert "106.74%" in shown
    assert any(s.startswith("207.31") for s in shown) and any(s.startswith("428.59") for s in shown)
    assert all("inconsistent" in result["facts"][i]["flags"] for i in check["facts"])


def test_mark_inconsistent_is_idempotent():
    text = "5万元"
    f = _fact("5万元", text, "amount", "50000", "CNY")
    c = Check(kind="total_sum", message="m", stated="1", computed="2", tolerance="0", facts=[0], evidence=[f.evidence])
    once = mark_inconsistent([f], [c])
    assert once[0].flags == ["inconsistent"] and mark_inconsistent(once, [c])[0].flags == ["inconsistent"]


def test_the_sides_of_a_balanced_account_must_agree(extractor):
    text = "本部门 2021 年度收入总计 428.59万元，较 2020 年增加 25.66 万元。本部门 2021 年度支出总计 {total}万元，较 2020 年增加 {change} 万元。"

    def balance(total, change):
        doc = extractor.nlp(text.format(total=total, change=change))
        return sorted((c.stated, c.computed) for c in doc._.checks if c.kind == "balance")

    assert balance("428.59", "25.66") == []
    assert balance("428.60", "25.66") == []  # 0.01万元 apart: within the rounding of two figures
    assert balance("428.62", "25.66") == [("4285900", "4286200")]
    assert balance("428.59", "62") == [("256600", "620000")]


def test_a_share_of_a_total_named_after_a_stated_item(extractor):
    text = "项目支出 181.55万元。我部门二级项目共涉及资金 {part}万元，占项目支出总额的 100%。"
    checks = extractor.nlp(text.format(part="100"))._.checks
    assert [(c.kind, c.stated, c.computed) for c in checks] == [("share_pct", "100", "55.08")]
    assert extractor.nlp(text.format(part="181.55"))._.checks == []

"""Table checks that are sure: example tables of each class of structure
(nlp/data/table_checks_examples.json) through the rules pipeline; printed names against the
national classification (nlp/data/code_names.json); and the dev corpus's tables, where no
check may fire on a table whose figures agree and every planted table inconsistency is found."""

from __future__ import annotations

import json

import pytest

from nlp.codes import CodeTable
from nlp.tables.code_names import NAMES_DATA, name_contradiction
from nlp.tables.sums import SUMS_DATA

EXAMPLES = json.loads((SUMS_DATA.parent / "table_checks_examples.json").read_text(encoding="utf-8"))["examples"]
NAMES = json.loads(NAMES_DATA.read_text(encoding="utf-8"))["examples"]


@pytest.fixture(scope="module")
def extractor():
    from nlp import Extractor

    return Extractor.rules_only()


def test_the_examples_cover_positives_and_negatives():
    assert sum(1 for e in EXAMPLES if e["checks"]) >= 5
    assert sum(1 for e in EXAMPLES if not e["checks"]) >= 8
    assert {k for e in EXAMPLES for k in e["checks"]} >= {"parent_sum", "total_sum", "column_sum", "code_name"}


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["class"] for e in EXAMPLES])
def test_table_example(extractor, example):
    result = extractor.extract(example["text"])
    kinds = sorted({c["kind"] for c in result["checks"]})
    assert kinds == sorted(example["checks"]), [c["message"] for c in result["checks"]]
    unchecked = {u["kind"] for u in result["unchecked"]}
    assert set(example.get("unchecked", [])) <= unchecked, result["unchecked"]
    for u in result["unchecked"]:
        assert u["reason"] and u["facts"]


@pytest.mark.parametrize("code,printed", NAMES["agree"], ids=[f"{c}:{p}" for c, p in NAMES["agree"]])
def test_names_that_agree_with_the_national_table(code, printed):
    assert name_contradiction(code, printed, CodeTable.load()) is None


@pytest.mark.parametrize("code,printed,national", NAMES["contradict"], ids=[f"{c}:{p}" for c, p, _ in NAMES["contradict"]])
def test_names_that_contradict_the_national_table(code, printed, national):
    assert name_contradiction(code, printed, CodeTable.load()) == national


def test_a_contradicting_name_is_reported_not_changed(extractor):
    text = "单位：万元\n科目编码\t科目名称\t合计\n201\t一般公共服务支出\t5.00\n20101\t人大事务\t5.00\n2010101\t事业运行\t5.00\n"
    result = extractor.extract(text)
    [check] = [c for c in result["checks"] if c["kind"] == "code_name"]
    assert (check["stated"], check["computed"]) == ("事业运行", "行政运行")
    facts = [result["facts"][i] for i in check["facts"]]
    assert [(f["code"], f["subject"]) for f in facts] == [("2010101", "事业运行")]  # the row as printed


def test_dev_tables_no_false_alarm_and_every_planted_found(extractor):
    from nlp.corpora import load_corpus

    docs = [d for d in load_corpus("dev") if any(r.kind == "table" for r in d.records)]
    assert len(docs) >= 10
    planted_found, planted = set(), set()
    for doc in docs:
        result = extractor.extract(doc.gold.text, doc.doc_id)
        table_planted = {k for k, _ in doc.planted().items() if doc.records[k].kind == "table"}
        planted |= {(doc.doc_id, k) for k in table_planted}
        for c in result["checks"]:
            records = {doc.record_at(result["facts"][i]["evidence"]["start"]).index for i in c["facts"]}
            assert records & table_planted, (doc.doc_id, c["message"])
            planted_found |= {(doc.doc_id, k) for k in records & table_planted}
    assert planted and planted_found == planted

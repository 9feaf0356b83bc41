"""Prose facts on the real sources (``annotations/sources``): subjects, measures, periods,
bases, directions, reasons, templates, and the contract's promises about evidence."""

from __future__ import annotations

from decimal import Decimal

import pytest
from spacy.tokens import Span

from nlp.contract import FACT_UNITS, MEASURES, Fact
from nlp.facts.prose import extract_prose, prose_facts
from tests.conftest import source_texts

SOURCES = source_texts()


@pytest.fixture(scope="module")
def nlp():
    from nlp import Extractor

    return Extractor.rules_only().nlp


@pytest.fixture(scope="module")
def docs(nlp):
    return {name: nlp(text) for name, text in SOURCES.items()}


def _doc(docs, prefix):
    return next(d for n, d in docs.items() if n.startswith(prefix))


def _surface(doc, fact):
    return doc.text[fact.evidence.start:fact.evidence.end]


def _find(facts, **fields):
    return [f for f in facts if all(getattr(f, k) == v for k, v in fields.items())]


def test_contract_example_000(docs):
    doc = _doc(docs, "000")
    facts = prose_facts(doc)
    at = doc.text.index("收入总计 428.59万元")
    first = [f for f in facts if at <= f.evidence.start < at + 120][:4]
    assert [(f.subject, f.measure, f.value) for f in first] == [
        ("收入总计", "amount", "4285900"),
        ("年初结转和结余", "amount", "0"),
        ("收入总计", "change", "256600"),  # not the parenthetical 其中 item
        ("收入总计", "change_pct", "6.37"),
    ]
    assert first[2].direction == first[3].direction == "increase"
    assert {(f.period, f.base_period) for f in first[2:]} == {("2021", "2020")}
    assert all(f.period == "2021" and f.base_period is None for f in first[:2])


def test_every_fact_is_a_contract_fact_on_an_entity(docs):
    for name, doc in docs.items():
        ents = {(e.start_char, e.end_char): e for e in doc.ents}
        facts = prose_facts(doc)
        assert facts, name
        for f in facts:
            Fact.model_validate(f.model_dump())
            ent = ents.get((f.evidence.start, f.evidence.end))
            assert ent is not None, (name, f)
            assert f.measure in MEASURES and f.unit in FACT_UNITS and 0.0 <= f.score <= 1.0
            assert ent.label_ != "CHANGE", "a fact's evidence is its figure (the contract)"
            assert f.value == ent._.value
            assert "\t" not in doc.text[doc.text.rfind("\n", 0, f.evidence.start) + 1: f.evidence.start]


def test_result_evidence_is_an_entity_of_the_result():
    """End to end, in the client's offsets: every fact's evidence is one of the entities."""
    from nlp import Extractor
    from nlp.contract import Result

    extractor = Extractor.rules_only()
    for name, text in SOURCES.items():
        result = extractor.extract(text, doc_id=name)
        Result.model_validate(result)
        spans = {(e["start"], e["end"]) for e in result["entities"]}
        assert result["facts"], name
        for fact in result["facts"]:
            assert (fact["evidence"]["start"], fact["evidence"]["end"]) in spans, (name, fact)


def test_budget_actual_and_execution(docs):
    doc = _doc(docs, "000")
    facts = prose_facts(doc)
    budget = _find(facts, subject="财政拨款本年支出", basis="budget")
    actual = _find(facts, subject="财政拨款本年支出", basis="actual")
    execution = _find(facts, subject="财政拨款本年支出", measure="execution_pct")
    assert [f.value for f in budget] == ["2073100"]
    assert [f.value for f in actual] == ["4285900"]
    assert [f.value for f in execution] == ["106.74"]
    # 完成全年预算 (002) and 完成预算 (000) are execution percentages too
    assert _find(prose_facts(_doc(docs, "002")), measure="execution_pct", value="12.4")
    assert _find(facts, measure="execution_pct", value="78.29")


def test_templates_are_flagged_and_zero_is_flat(docs):
    """The contract: a form placeholder is flagged ``template``; a change of 0 is ``flat``
    (the placeholder's trigger gives no direction of its own)."""
    for prefix in ("000", "001", "002"):
        facts = prose_facts(_doc(docs, prefix))
        templates = [f for f in facts if "template" in f.flags]
        assert templates, prefix
        for f in templates:
            assert f.measure in ("change", "change_pct")
            assert f.direction == ("flat" if Decimal(f.value) == 0 else None)
    doc = _doc(docs, "001")
    at = doc.text.index("比上年增(减) 0")
    assert any("template" in f.flags and at < f.evidence.start < at + 15 for f in prose_facts(doc))


def test_flat_and_zero_changes(docs):
    doc = _doc(docs, "003")
    # 与上年持平 states no figure: a CHANGE entity, no fact (GUIDELINES §4, the contract's evidence)
    assert doc.text.count("与上年持平") and not [f for f in prose_facts(doc) if _surface(doc, f) == "持平"]
    assert sum(e.label_ == "CHANGE" and e._.direction == "flat" for e in doc.ents) >= doc.text.count("与上年持平")
    zero = [f for f in prose_facts(doc) if f.measure == "change" and f.value == "0" and "template" not in f.flags]
    assert zero and all(f.direction == "flat" for f in zero)


def test_base_periods(docs):
    facts = prose_facts(_doc(docs, "001"))
    changes = [f for f in facts if f.measure in ("change", "change_pct")]
    assert changes and all(f.period == "2026" and f.base_period == "2025" for f in changes)
    # 较年初预算数: compared with the same year's budget
    doc = _doc(docs, "000")
    f = _find(prose_facts(doc), subject="机关运行经费支出", measure="change")
    assert [(x.value, x.period, x.base_period) for x in f] == [("31900", "2021", "2021")]


def test_reasons_attach_to_their_clause(docs):
    doc = _doc(docs, "000")
    facts = prose_facts(doc)
    cause = "机构改革,2021年有新增人员,财政拨款收入增加"
    assert {f.measure for f in _find(facts, subject="本年收入合计", reason=cause)} == {"amount", "change", "change_pct"}
    assert all(f.reason is None for f in _find(facts, subject="收入总计"))  # before the ";"
    # a figure inside a cause is part of the cause, not a fact ("按年初预算 100%执行")
    at = doc.text.index("按年初预算 100%执行")
    assert not [f for f in facts if at <= f.evidence.start < at + 12]


def test_shares_and_counts(docs):
    doc = _doc(docs, "000")
    facts = prose_facts(doc)
    assert [f.value for f in _find(facts, subject="基本支出", measure="share_pct")] == ["57.64"]
    people = _find(facts, subject="实有人数")
    assert [(f.measure, f.value, f.unit) for f in people] == [("amount", "13", "人")]


def test_guessed_subjects_without_the_lexicon(docs):
    """Without SUBJECT entities the noun phrase before the figure is the subject, scored lower."""
    doc = _doc(docs, "000")
    with_lexicon = {(f.evidence.start, f.measure): f for f in prose_facts(doc)}
    doc2 = doc.copy()
    doc2._.norm = doc._.norm
    kept = []
    for e in doc.ents:
        if e.label_ != "SUBJECT":
            s = Span(doc2, e.start, e.end, label=e.label_)
            for attr in ("value", "unit", "direction", "flags", "source", "score"):
                setattr(s._, attr, getattr(e._, attr))
            kept.append(s)
    doc2.ents = kept
    guessed = {(f.evidence.start, f.measure): f for f in prose_facts(doc2)}
    assert guessed.keys() == with_lexicon.keys()
    anchors = {
        "收入总计": "收入总计 428.59",
        "本年收入合计": "本年收入合计 428.59",
        "机关运行经费支出": "机关运行经费支出 35.85",
        "公务接待费支出": "公务接待费支出年初预算数为 3.5",
    }
    for subject, anchor in anchors.items():
        at = doc.text.index(anchor)
        g = min((f for k, f in guessed.items() if k[0] > at and k[1] == "amount"), key=lambda f: f.evidence.start)
        assert g.subject == subject
        assert g.score < with_lexicon[(g.evidence.start, "amount")].score


def test_tables_are_not_prose(docs):
    doc = _doc(docs, "001")
    facts = prose_facts(doc)
    assert facts
    for f in facts:
        line_start = doc.text.rfind("\n", 0, f.evidence.start) + 1
        line_end = doc.text.find("\n", f.evidence.end)
        assert "\t" not in doc.text[line_start: line_end if line_end >= 0 else None]


def test_links_point_at_related_facts(docs):
    for name, doc in docs.items():
        result = extract_prose(doc)
        for link in result.links:
            ids = [i for v in link.roles.values() for i in (v if isinstance(v, list) else [v])]
            assert all(0 <= i < len(result.facts) for i in ids), (name, link)
            if link.kind == "change_pct":
                pct, chg = result.facts[link.roles["pct"]], result.facts[link.roles["change"]]
                assert (pct.subject, pct.measure, chg.measure) == (chg.subject, "change_pct", "change")
            if link.kind == "execution_pct":
                assert result.facts[link.roles["budget"]].basis == "budget"


def test_bad_input_does_not_hang(nlp):
    for text in ("1" * 100_000 + "万元", "主要原因是" * 20_000, "其中:" * 20_000, "(" * 50_000 + "5万元",
                 "收入 5万元" + "\n" * 100_000 + "增加 5万元", ("收入 5万元," + " " * 1000 + "\n") * 500):
        doc = nlp(text)
        facts = prose_facts(doc)
        assert isinstance(facts, list)

"""Gold annotation files: schema, validator, tiling, folds, edit helper, review diff."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from nlp.annotation.folds import FOLDS_PATH, load_folds, make_folds
from nlp.annotation.records import (
    SCHEMA_PATH,
    SOURCES_DIR,
    GoldFact,
    GoldSpan,
    Record,
    load_source,
    read_records,
    records_from_result,
    segment_source,
    to_document_offsets,
    write_records,
)
from nlp.annotation.validate import default_paths, surface_values, validate_file, validate_paths

DOC_IDS = sorted(p.stem for p in SOURCES_DIR.glob("*.txt"))
DOC_000 = "000_151e3cc1a638edf9"
SENTENCE = "本部门 2021 年度收入总计 428.59万元"


def test_corpus_validates():
    """`annotate validate` on the corpus: annotations/gold when it exists, else annotations/pre."""
    paths = default_paths()
    n, problems = validate_paths(paths)
    dev = sum(1 for p in paths[1:] for _ in p.glob("*.jsonl"))  # the development corpus, when present
    assert n == len(DOC_IDS) + dev
    assert problems == [], "\n".join(map(str, problems[:20]))


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_segmentation_tiles_each_source(doc_id):
    source = load_source(doc_id)
    blocks = segment_source(source)
    assert blocks[0].start == 0 and blocks[-1].end == len(source)
    assert all(a.end == b.start for a, b in zip(blocks, blocks[1:]))
    assert "".join(source[b.start:b.end] for b in blocks) == source


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_annotation_files_tile_each_source(doc_id):
    directory = default_paths()[0]
    records = read_records(directory / f"{doc_id}.jsonl")
    assert "".join(r.text for r in records) == load_source(doc_id)
    assert [r.offset for r in records] == [sum(len(x.text) for x in records[:i]) for i in range(len(records))]


def test_tables_become_table_records():
    source = load_source("001_0d3306247bd7dd48")
    tables = [b for b in segment_source(source) if b.kind == "table"]
    assert tables
    text = source[tables[0].start:tables[0].end]
    # the title and unit lines above the tab rows belong to the table record
    assert "单位" in text and "2101501\t行政运行\t179.93" in source[tables[0].start:tables[-1].end]


# --- the validator catches crafted bad records ------------------------------------------


def _good_record(tmp_path: Path) -> tuple[Path, list[Record]]:
    """A corpus-shaped file for doc 000 with one hand-annotated sentence."""
    source = load_source(DOC_000)
    start = source.index(SENTENCE)
    amount = SENTENCE.index("428.59万元")
    result = {
        "entities": [
            {"label": "AMOUNT", "start": start + amount, "end": start + amount + 8, "text": "428.59万元",
             "value": "4285900", "unit": "CNY", "direction": None, "flags": []},
            {"label": "SUBJECT", "start": start + 11, "end": start + 15, "text": "收入总计",
             "value": None, "unit": None, "direction": None, "flags": []},
        ],
        "facts": [
            {"subject": "收入总计", "code": None, "measure": "amount", "value": "4285900", "unit": "CNY",
             "direction": None, "comparator": None, "period": "2021", "base_period": None, "basis": None,
             "column": None, "reason": None, "evidence": {"start": start + amount, "end": start + amount + 8},
             "score": 0.9, "flags": []},
        ],
    }
    records = records_from_result(DOC_000, source, result)
    path = tmp_path / f"{DOC_000}.jsonl"
    write_records(path, records)
    return path, records


def _annotated(records: list[Record]) -> Record:
    return next(r for r in records if r.spans)


def test_records_from_result_are_relative_and_valid(tmp_path):
    path, records = _good_record(tmp_path)
    rec = _annotated(records)
    amount = next(s for s in rec.spans if s.label == "AMOUNT")
    s, e = to_document_offsets(rec, amount)
    assert load_source(DOC_000)[s:e] == "428.59万元" == rec.text[amount.start:amount.end]
    assert rec.facts[0].evidence == {"start": amount.start, "end": amount.end}
    assert validate_file(path) == []
    assert [r.to_dict() for r in read_records(path)] == [r.to_dict() for r in records]


def _problems_after(tmp_path, mutate) -> list[str]:
    path, records = _good_record(tmp_path)
    rec = _annotated(records)
    mutate(rec, records)
    write_records(path, records)
    return [str(p) for p in validate_file(path)]


def test_validator_catches_offset_off_by_one(tmp_path):
    def shift(rec, records):
        rec.offset += 1

    problems = _problems_after(tmp_path, shift)
    assert any("does not match the source" in p for p in problems)
    assert any("gap" in p or "overlap" in p for p in problems)


def test_validator_catches_span_offset_off_by_one(tmp_path):
    def shift(rec, records):
        amount = next(s for s in rec.spans if s.label == "AMOUNT")
        amount.start += 1

    problems = _problems_after(tmp_path, shift)
    assert any("text '428.59万元' != record text" in p for p in problems)


def test_validator_catches_overlapping_spans(tmp_path):
    def overlap(rec, records):
        a = next(s for s in rec.spans if s.label == "AMOUNT")
        rec.spans.append(GoldSpan(a.start, a.start + 6, "PERCENT", rec.text[a.start:a.start + 6], "428.59", "%"))

    problems = _problems_after(tmp_path, overlap)
    assert any("spans overlap" in p for p in problems)


def test_validator_catches_fact_evidence_on_no_span(tmp_path):
    def orphan(rec, records):
        rec.facts[0].evidence = {"start": 0, "end": 3}

    problems = _problems_after(tmp_path, orphan)
    assert any("is not exactly a span" in p for p in problems)


def test_validator_catches_fact_evidence_on_a_subject(tmp_path):
    def on_subject(rec, records):
        subj = next(s for s in rec.spans if s.label == "SUBJECT")
        rec.facts[0].evidence = {"start": subj.start, "end": subj.end}

    problems = _problems_after(tmp_path, on_subject)
    assert any("evidence is a SUBJECT span" in p for p in problems)


@pytest.mark.parametrize("bad_value", ["428590", "4285900.00", "4.2859E+6", "42859"])
def test_validator_catches_wrong_value_for_surface(tmp_path, bad_value):
    def wrong(rec, records):
        next(s for s in rec.spans if s.label == "AMOUNT").value = bad_value

    problems = _problems_after(tmp_path, wrong)
    assert problems, bad_value
    assert any("AMOUNT" in p for p in problems)


def test_validator_catches_schema_violation_and_unknown_label(tmp_path):
    path, records = _good_record(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    i = next(i for i, line in enumerate(lines) if '"spans": [{' in line)
    d = json.loads(lines[i])
    d["spans"][0]["label"] = "MONEY"
    del d["status"]
    lines[i] = json.dumps(d, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = [str(p) for p in validate_file(path)]
    assert any("schema" in p and "MONEY" in p for p in problems)
    assert any("schema" in p and "status" in p for p in problems)
    assert all(p.startswith(f"{path}:") for p in problems)


def test_validator_catches_dropped_record(tmp_path):
    def drop(rec, records):
        records.remove(rec)

    problems = _problems_after(tmp_path, drop)
    assert any("gap" in p and "belongs to no record" in p for p in problems)


def test_validator_checks_change_direction_and_template(tmp_path):
    source = load_source(DOC_000)
    sent = "较 2020 年增加（减少）0 万元"
    start = source.index(sent)
    trig = sent.index("增加（减少）")
    path, records = _good_record(tmp_path)
    rec = next(r for r in records if r.offset <= start < r.end)
    rel = start - rec.offset
    rec.spans.append(GoldSpan(rel + trig, rel + trig + 6, "CHANGE", "增加（减少）", None, None, "increase", []))
    write_records(path, records)
    problems = [str(p) for p in validate_file(path)]
    assert not any("template CHANGE" in p for p in problems)  # a plain trigger may carry a direction
    rec.spans[-1].flags = ["template"]
    write_records(path, records)
    problems = [str(p) for p in validate_file(path)]
    assert any("template CHANGE has direction null" in p for p in problems)


@pytest.mark.parametrize(
    "label, surface, value",
    [
        ("AMOUNT", "428.59万元", "4285900"),
        ("AMOUNT", "532 .02 万元", "5320200"),
        ("AMOUNT", "<b>959.51</b>", "9595100"),  # a table number under 单位: 万元
        ("AMOUNT", "一百二十万元", "1200000"),
        ("PERCENT", "6.37 %", "6.37"),
        ("PERCENT", "百分之五", "5"),
        ("QUANTITY", "13 人", "13"),
        ("QUANTITY", "154 万人", "1540000"),
        ("QUANTITY", "1600 余人", "1600"),
    ],
)
def test_surface_values(label, surface, value):
    from decimal import Decimal

    assert Decimal(value) in surface_values(label, surface)


def test_surface_value_rejects_wrong_scale():
    from decimal import Decimal

    assert Decimal("428.59") not in surface_values("AMOUNT", "428.59万元")


# --- folds --------------------------------------------------------------------------------


def test_folds_are_leave_one_document_out():
    folds = load_folds(FOLDS_PATH)
    assert len(folds) == len(DOC_IDS) == 5
    assert sorted(d for f in folds for d in f.test) == DOC_IDS
    for f in folds:
        assert len(f.test) == 1
        assert not set(f.test) & set(f.train)
        assert sorted((*f.train, *f.test)) == DOC_IDS


def test_load_folds_rejects_a_leaky_fold(tmp_path):
    bad = tmp_path / "folds.json"
    bad.write_text(json.dumps({"folds": [{"name": "x", "test": ["a"], "train": ["a", "b"]}]}))
    with pytest.raises(ValueError, match="trains and tests"):
        load_folds(bad)
    assert [f.test for f in make_folds(["b", "a"])] == [("a",), ("b",)]


# --- the edit helper and the review diff ---------------------------------------------------


def test_edit_helper_finds_surfaces_across_line_breaks(tmp_path):
    from nlp.annotation.edit import EditError, GoldFile

    path, records = _good_record(tmp_path)
    gf = GoldFile(path)
    rec = _annotated(gf.records)
    # the source breaks "年初结转和结余" over a PDF line break
    sp = gf.add_span(rec.record_id, "年初结转和结余", "SUBJECT")
    assert "\n" in sp.text and sp.text.replace("\n", "") == "年初结转和结余"
    sp = gf.add_span(rec.record_id, "25.66 万元", "AMOUNT", nth=1)
    assert sp.value == "256600" and sp.unit == "CNY"
    gf.add_fact(rec.record_id, "25.66 万元", "change", "收入总计", nth=1, direction="increase",
                period="2021", base_period="2020")
    with pytest.raises(EditError, match="occurs"):
        gf.add_span(rec.record_id, "增加", "CHANGE", direction="increase")
    assert gf.save() == []
    gf.remove_span(rec.record_id, "25.66 万元", nth=1)
    assert gf.save() == []  # its fact went with it


def test_review_diff_counts_kept_changed_removed_added(tmp_path):
    from nlp.annotation.review import diff_records

    path, pre = _good_record(tmp_path)
    gold = copy.deepcopy(pre)
    rec = _annotated(gold)
    subj = next(s for s in rec.spans if s.label == "SUBJECT")
    rec.spans.remove(subj)  # removed
    p = rec.text.index("2021 年度")
    rec.spans.append(GoldSpan(p, p + 7, "PERIOD", "2021 年度", "2021"))  # added
    rec.facts[0].period = "2020"  # changed
    d = diff_records(pre, gold)
    assert d["labels"][("AMOUNT", "kept")] == 1
    assert d["labels"][("SUBJECT", "removed")] == 1
    assert d["labels"][("PERIOD", "added")] == 1
    assert d["measures"][("amount", "changed")] == 1


# --- command line, stats, seeding --------------------------------------------------------


def test_cli_validate_reports_one_line_per_problem(tmp_path, capsys):
    from service.cli import main

    assert main(["annotate", "validate", *map(str, default_paths())]) == 0
    path, records = _good_record(tmp_path)
    rec = _annotated(records)
    next(s for s in rec.spans if s.label == "AMOUNT").value = "428590"
    rec.facts[0].evidence = {"start": 0, "end": 2}
    write_records(path, records)
    capsys.readouterr()
    assert main(["annotate", "validate", str(path)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"{path}:{rec.record_id}: ") for line in lines)


def test_cli_edit_adds_a_span_and_revalidates(tmp_path, capsys):
    from service.cli import main

    path, records = _good_record(tmp_path)
    rec = _annotated(records)
    n = rec.record_id.split("#")[1]
    assert main(["annotate", "edit", str(path), "add-span", n, "2021 年度", "PERIOD", "--value", "2021"]) == 0
    assert any(s.label == "PERIOD" and s.value == "2021" for s in _annotated(read_records(path)).spans)
    # a wrong value is written but reported, with a non-zero exit
    assert main(["annotate", "edit", str(path), "set-span", n, "2021 年度", "--value", "2020"]) == 1
    assert "does not carry the surface year 2021" in capsys.readouterr().err


def test_stats_count_every_span_and_fact():
    from nlp.annotation.stats import compute_stats, load

    docs = load()
    st = compute_stats(docs)
    assert st["totals"]["spans"] == sum(len(r.spans) for rs in docs.values() for r in rs) == sum(st["labels"].values())
    assert st["totals"]["facts"] == sum(len(r.facts) for rs in docs.values() for r in rs) == sum(st["measures"].values())
    assert set(st["documents"]) == set(DOC_IDS)


def test_seeding_drops_invalid_pre_annotations_and_lists_them(tmp_path):
    from nlp.annotation.preannotate import sanitize

    _, records = _good_record(tmp_path)
    rec = _annotated(records)
    amount = next(s for s in rec.spans if s.label == "AMOUNT")
    rec.spans.append(GoldSpan(amount.start, amount.start + 3, "PERCENT", rec.text[amount.start:amount.start + 3], "428", "%"))
    rec.facts.append(GoldFact(subject="x", measure="change", value="1", unit="CNY", evidence={"start": 0, "end": 1},
                              direction="increase"))
    clean, dropped = sanitize(records)
    assert len(dropped) == 2
    assert all(p for p in dropped)
    cleaned = _annotated(clean)
    assert [s.label for s in cleaned.spans].count("PERCENT") == 0 and len(cleaned.facts) == 1


def test_reviewed_gold_follows_the_fact_conventions(tmp_path):
    """Reviewed records may not carry `inconsistent` or a reason on a level (GUIDELINES §8)."""
    path, records = _good_record(tmp_path)
    rec = _annotated(records)
    rec.status = "reviewed"
    rec.facts[0].reason = "机构改革"
    rec.facts[0].flags = ["inconsistent"]
    write_records(path, records)
    problems = [str(p) for p in validate_file(path)]
    assert any("a reason belongs to change" in p for p in problems)
    assert any("'inconsistent' is a check's output" in p for p in problems)


def test_records_from_result_never_cuts_an_entity():
    """A span across a block boundary merges the blocks instead of being dropped or cut."""
    from nlp.annotation.records import Block

    source = load_source(DOC_000)
    blocks = segment_source(source)
    b = blocks[30]
    straddle = {"label": "SUBJECT", "start": b.end - 2, "end": b.end + 2, "text": source[b.end - 2:b.end + 2],
                "value": None, "unit": None, "direction": None, "flags": []}
    records = records_from_result(DOC_000, source, {"entities": [straddle], "facts": []}, blocks)
    assert len(records) == len(blocks) - 1
    assert "".join(r.text for r in records) == source
    (rec,) = [r for r in records if r.spans]
    (sp,) = rec.spans
    assert to_document_offsets(rec, sp) == (b.end - 2, b.end + 2)
    assert isinstance(blocks[0], Block)


def test_schema_vocabulary_is_the_contracts():
    """The JSON Schema's enums are generated from nlp.contract; they must not drift apart."""
    from nlp import contract

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    span, fact = schema["$defs"]["span"]["properties"], schema["$defs"]["fact"]["properties"]
    assert span["label"]["enum"] == list(contract.LABELS)
    assert span["flags"]["items"]["enum"] == list(contract.ENTITY_FLAGS)
    assert fact["measure"]["enum"] == list(contract.MEASURES)
    assert fact["unit"]["enum"] == list(contract.FACT_UNITS)
    assert fact["comparator"]["enum"] == [*contract.COMPARATORS, None]
    assert fact["flags"]["items"]["enum"] == list(contract.FACT_FLAGS)
    assert set(schema["$defs"]["fact"]["required"]) == {f for f in contract.Fact.model_fields if f != "score"}
    from nlp.annotation.validate import build_schema

    assert schema == build_schema(), "regenerate with: python -m nlp.annotation.validate --write-schema"

"""The development corpus of other departments (annotations/dev): it validates, its offsets are
exact, it has the coverage issue 14 asks for, its split is by department, and its figures add
up everywhere except in the passages where an inconsistency was planted on purpose.

The arithmetic here is the gold's own (code hierarchy in tables, change against level in
prose), written independently of nlp/checks.py so that it can catch a gold figure that the
system's checks would also miss."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from decimal import Decimal

import pytest

from nlp.annotation.validate import DEV_GOLD_DIR, validate_paths
from nlp.corpora import DEV_ROOT, load_split

pytestmark = pytest.mark.skipif(not DEV_GOLD_DIR.is_dir(), reason="no development corpus in annotations/dev")

TEMPLATE_FORMS = {"tab", "space", "pipe", "html", "csv"}
_NUMBER = re.compile(r"-?\d[\d,，]*(?:\.\d+)?")


def _metas() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((DEV_ROOT / "meta").glob("*.json"))]


def _records(doc_id: str) -> list[dict]:
    lines = (DEV_GOLD_DIR / f"{doc_id}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(l) for l in lines if l.strip()]


def _docs() -> list[str]:
    return sorted(p.stem for p in DEV_GOLD_DIR.glob("*.jsonl"))


def test_the_corpus_validates():
    n, problems = validate_paths([DEV_GOLD_DIR])
    assert n == len(_docs()) > 0
    assert problems == [], "\n".join(map(str, problems[:20]))


def test_every_document_has_meta_and_a_source():
    metas = {m["doc_id"]: m for m in _metas()}
    for doc_id in _docs():
        assert doc_id in metas, f"{doc_id} has no annotations/dev/meta/{doc_id}.json"
        assert (DEV_ROOT / "sources" / f"{doc_id}.txt").exists()
        assert metas[doc_id]["basis"] in ("决算", "预算")


@pytest.mark.parametrize("doc_id", _docs() if DEV_GOLD_DIR.is_dir() else [])
def test_records_tile_the_source_and_offsets_are_exact(doc_id):
    source = (DEV_ROOT / "sources" / f"{doc_id}.txt").read_text(encoding="utf-8")
    pos = 0
    for rec in _records(doc_id):
        assert rec["offset"] == pos, f"{rec['record_id']} does not start where the previous record ended"
        assert source[pos: pos + len(rec["text"])] == rec["text"]
        pos += len(rec["text"])
        spans = {(s["start"], s["end"]): s for s in rec["spans"]}
        for s in rec["spans"]:
            assert rec["text"][s["start"]: s["end"]] == s["text"]
        for f in rec["facts"]:
            ev = f["evidence"]
            assert (ev["start"], ev["end"]) in spans, f"{rec['record_id']}: fact evidence is not an entity"
            assert spans[(ev["start"], ev["end"])]["label"] in ("AMOUNT", "PERCENT", "QUANTITY")
    assert pos == len(source), "the records do not cover the whole source"


def test_coverage_of_issue_14():
    metas = _metas()
    prose_passages = sum(1 for d in _docs() for r in _records(d) if r["kind"] == "prose" and r["facts"])
    tables = [t for m in metas for t in m.get("tables", [])]
    assert prose_passages >= 100
    assert len(tables) >= 50
    assert len({m["department_kind"] for m in metas}) >= 20
    assert len({m["province"] for m in metas}) >= 10
    assert {m["basis"] for m in metas} == {"决算", "预算"}
    forms_of = defaultdict(set)
    for t in tables:
        forms_of[t["template"]].add(t["form"])
    assert TEMPLATE_FORMS <= {t["form"] for t in tables}
    single = sorted(k for k, forms in forms_of.items() if len(forms) < 2)
    assert not single, f"templates in one text form only: {single}"
    assert sum(len(m.get("planted", [])) for m in metas) >= 10


def test_the_split_is_by_department():
    split = load_split()
    metas = {m["doc_id"]: m for m in _metas()}
    assert set(split) == set(_docs()), "every document is in exactly one part"
    parts_of = defaultdict(set)
    for doc_id, part in split.items():
        parts_of[metas[doc_id]["department"]].add(part)
    assert all(len(p) == 1 for p in parts_of.values())
    blind = sum(1 for p in split.values() if p == "blind") / len(split)
    assert 0.25 <= blind <= 0.42


def _tolerance(surface: str, value: Decimal) -> Decimal:
    """Half a unit of the last digit shown, in the fact's own unit (yuan, percent, count)."""
    m = _NUMBER.search(surface.replace(" ", "").replace("\n", ""))
    if not m:
        return Decimal(0)
    digits = m.group().replace(",", "").replace("，", "")
    shown = Decimal(digits)
    places = len(digits.split(".")[1]) if "." in digits else 0
    half = Decimal(5) * Decimal(10) ** (-places - 1)
    scale = (value / shown).copy_abs() if shown else Decimal(1)
    return half * scale


def _planted(meta: dict) -> set[int]:
    return {p["record_index"] for p in meta.get("planted", [])}


def _code_sum_failures(rec: dict) -> list[str]:
    """Parent codes against the sum of their children, per column, within one table."""
    facts = [f for f in rec["facts"] if f.get("code") and f["measure"] == "amount"]
    cells = defaultdict(dict)
    for f in facts:
        surface = rec["text"][f["evidence"]["start"]: f["evidence"]["end"]]
        value = Decimal(f["value"])
        key = (f.get("column"), f.get("period"), f.get("basis"))
        cells[key][f["code"]] = (value, _tolerance(surface, value))
    failures = []
    for key, by_code in cells.items():
        for code, (value, tol) in by_code.items():
            children = [c for c in by_code if len(c) == len(code) + 2 and c.startswith(code)]
            if not children:
                continue
            total = sum(by_code[c][0] for c in children)
            slack = tol + sum(by_code[c][1] for c in children)
            if abs(total - value) > slack:
                failures.append(f"{code} {key}: {value} != {total} (±{slack})")
    return failures


def _change_failures(rec: dict) -> list[str]:
    """change_pct against change / (amount − change) for one subject and period in one passage."""
    groups = defaultdict(lambda: defaultdict(list))
    for f in rec["facts"]:
        key = (f["subject"], f.get("period"), f.get("column"), f.get("basis"))
        groups[key][f["measure"]].append(f)
    failures = []
    for key, by in groups.items():
        if not all(len(by.get(m, [])) == 1 for m in ("amount", "change", "change_pct")):
            continue
        a, c, p = by["amount"][0], by["change"][0], by["change_pct"][0]
        if a["unit"] != "CNY" or c["unit"] != "CNY" or c.get("direction") not in ("increase", "decrease"):
            continue
        if p.get("base_period") != c.get("base_period"):
            continue
        sign = 1 if c["direction"] == "increase" else -1
        amount, change = Decimal(a["value"]), sign * Decimal(c["value"])
        base = amount - change
        if base <= 0:
            continue
        pct = sign * Decimal(p["value"])
        surf = lambda f: rec["text"][f["evidence"]["start"]: f["evidence"]["end"]]
        ta, tc = _tolerance(surf(a), amount), _tolerance(surf(c), change.copy_abs())
        tp = _tolerance(surf(p), Decimal(p["value"]))
        lo = (change - tc) / (base + ta + tc) * 100
        hi = (change + tc) / max(base - ta - tc, Decimal("0.01")) * 100
        if not (min(lo, hi) - tp <= pct <= max(lo, hi) + tp):
            failures.append(f"{key}: {p['value']}% vs change {c['value']} on {a['value']}")
    return failures


def test_figures_agree_except_where_planted():
    bad = []
    for meta in _metas():
        planted = _planted(meta)
        for i, rec in enumerate(_records(meta["doc_id"])):
            if i in planted:
                continue
            bad += [f"{meta['doc_id']}#{i}: {msg}" for msg in _code_sum_failures(rec) + _change_failures(rec)]
    assert not bad, "\n".join(bad)


def test_planted_inconsistencies_name_their_check_and_record():
    for meta in _metas():
        n = len(_records(meta["doc_id"]))
        for p in meta.get("planted", []):
            assert 0 <= p["record_index"] < n
            assert p.get("check") and p.get("what")

"""The classification-code table: data integrity, hierarchy, abbreviated codes, and coverage
of every code printed in the sources' tables."""

from __future__ import annotations

import re

import pytest

from nlp.codes import CODES_TSV, CodeTable, code_level
from nlp.normalize import normalize

_CODE_ROW = re.compile(r"^(\d{2,7})\t([^\t]+)\t")


@pytest.fixture(scope="module")
def codes() -> CodeTable:
    return CodeTable.load()


def _source_code_rows(sources: dict[str, str]) -> list[tuple[str, str, str]]:
    """(doc, code as printed, name) for every table row that starts with a code cell."""
    rows = []
    for doc_id, raw in sources.items():
        for line in normalize(raw).text.split("\n"):
            m = _CODE_ROW.match(line)
            if m:
                rows.append((doc_id, m.group(1), m.group(2).strip()))
    return rows


def test_tsv_rows_are_well_formed():
    seen = set()
    for line in CODES_TSV.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or line.startswith("code\t"):
            continue
        code, name, level, kind = line.split("\t")
        assert code not in seen, code
        seen.add(code)
        assert code_level(code) == level, line
        assert kind == ("function" if code[0] == "2" else "economic"), line
        assert name and name == name.strip() and "\t" not in name


def test_hierarchy_is_closed(codes):
    for e in codes:
        parent = codes.parent(e.code)
        if e.level == "类":
            assert parent is None
        else:
            assert parent in codes, f"{e.code} {e.name}: parent {parent} missing"
            assert e.code in codes.children(parent)


def test_all_function_and_economic_classes_present(codes):
    classes = {e.code for e in codes if e.level == "类"}
    # function classes 201-234 (numbers the national table leaves unused are skipped)
    for c in ("201", "205", "208", "210", "213", "215", "221", "224", "229", "230", "234"):
        assert c in classes
    for c in ("301", "302", "303", "307", "309", "310", "311", "312", "313", "399"):
        assert c in classes
    assert codes.name("301") == "工资福利支出" and codes.name("30101") == "基本工资"


def test_every_code_in_the_sources_is_covered(codes, sources):
    rows = _source_code_rows(sources)
    assert len(rows) > 50
    full = [(d, c, n) for d, c, n in rows if len(c) != 2 and code_level(c)]
    # the only other code-like first cells are unit codes (单位编码 302001), not classification codes
    assert {c for d, c, n in rows if len(c) != 2 and not code_level(c)} <= {c for d, c, n in rows if len(c) == 6}
    for doc_id, code, name in full:
        assert codes.is_valid(code), f"{doc_id}: {code} {name} not in the table"
        assert codes.name(code) == name, f"{doc_id}: {code} named {codes.name(code)!r}, source says {name!r}"


def test_abbreviated_codes_of_the_sources_resolve_to_their_named_code(codes, sources):
    """In 003, ``05`` printed under ``208`` is 20805; the resolved code carries the row's name."""
    abbreviated = 0
    for doc_id, raw in sources.items():
        lei = None
        for line in normalize(raw).text.split("\n"):
            m = _CODE_ROW.match(line)
            if not m:
                continue
            code, name = m.group(1), m.group(2).strip()
            if len(code) == 3:
                lei = code
            elif len(code) == 2:
                abbreviated += 1
                full = codes.resolve(code, lei)
                assert full is not None and full.startswith(lei)
                assert codes.name(full) == name, (doc_id, code, full, name)
    assert abbreviated >= 3


def test_resolve_parent_and_children(codes):
    assert codes.resolve("05", "208") == "20805"
    assert codes.resolve("01", ["21015", "210"]) == "2101501"  # the deeper parent when it lists the code
    assert codes.resolve("15", ["21011", "210"]) == "21015"  # 2101115 is not a code, 21015 is
    assert codes.resolve("77", "208") == "20877"  # unlisted but well-formed: kept, not lost
    assert codes.resolve("05", None) is None
    assert codes.resolve("2101501", "999") == "2101501"
    assert codes.resolve("x5", "208") is None
    assert codes.parent("2101501") == "21015" and codes.parent("21015") == "210" and codes.parent("210") is None
    assert codes.children("21011") == ["2101101", "2101102", "2101103", "2101199"]
    assert codes.kind("30217") == "economic" and codes.kind("2101501") == "function"
    assert codes.kind("29999") == "function"  # by shape when unlisted
    assert not codes.is_valid("302001") and code_level("302001") is None
    assert not codes.is_valid("507")

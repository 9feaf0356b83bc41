"""Tests generated from the examples corpus ``nlp/examples/*.jsonl`` (Duckling style).

Each line is ``{"label", "text", "expect": [{"text", "value", ...}], "note"?}``: run the
full rules-only pipeline on ``text`` (original text, PDF spaces and all) and the entities
with that label must equal ``expect`` exactly, as a list in order. ``text`` and ``value``
are always compared; ``unit``, ``flags`` and ``direction`` when the expectation has them.
Adding a case is adding a line; a malformed line fails loudly with its file and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nlp.contract import LABELS, is_decimal_string
from tests.corpus import corpus_lines

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "nlp" / "examples"
_LINE_KEYS = {"label", "text", "expect", "note"}
_EXPECT_KEYS = {"text", "value", "unit", "flags", "direction"}


class ExampleFormatError(ValueError):
    pass


def _check_line(where: str, obj: Any) -> None:
    if not isinstance(obj, dict):
        raise ExampleFormatError(f"{where}: a line must be a JSON object")
    missing = {"label", "text", "expect"} - obj.keys()
    if missing:
        raise ExampleFormatError(f"{where}: missing keys {sorted(missing)}")
    extra = obj.keys() - _LINE_KEYS
    if extra:
        raise ExampleFormatError(f"{where}: unknown keys {sorted(extra)}")
    if obj["label"] not in LABELS:
        raise ExampleFormatError(f"{where}: label {obj['label']!r} is not one of {LABELS}")
    if not isinstance(obj["text"], str) or not obj["text"]:
        raise ExampleFormatError(f"{where}: text must be a non-empty string")
    if not isinstance(obj["expect"], list):
        raise ExampleFormatError(f"{where}: expect must be a list")
    for i, exp in enumerate(obj["expect"]):
        if not isinstance(exp, dict) or not {"text", "value"} <= exp.keys():
            raise ExampleFormatError(f"{where}: expect[{i}] needs text and value")
        if exp.keys() - _EXPECT_KEYS:
            raise ExampleFormatError(f"{where}: expect[{i}] has unknown keys {sorted(exp.keys() - _EXPECT_KEYS)}")
        if exp["text"] not in obj["text"]:
            raise ExampleFormatError(f"{where}: expect[{i}] text {exp['text']!r} is not in the example text")
        if exp["value"] is not None and not (isinstance(exp["value"], str) and exp["value"]):
            raise ExampleFormatError(f"{where}: expect[{i}] value must be a string or null")
        if obj["label"] in ("AMOUNT", "PERCENT", "QUANTITY") and not is_decimal_string(exp["value"]):
            raise ExampleFormatError(f"{where}: expect[{i}] value {exp['value']!r} is not an exact decimal string")
        if "flags" in exp and not isinstance(exp["flags"], list):
            raise ExampleFormatError(f"{where}: expect[{i}] flags must be a list")


def load_examples(directory: Path = EXAMPLES_DIR) -> list[tuple[str, dict[str, Any]]]:
    """(id, example) for every line of every corpus file; raises on a malformed line."""
    out: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(directory.glob("*.jsonl")):
        for where, obj in corpus_lines(path, ExampleFormatError):
            _check_line(where, obj)
            out.append((where, obj))
    return out


EXAMPLES = load_examples()


def test_corpus_is_not_empty():
    assert len(EXAMPLES) > 0, f"no examples under {EXAMPLES_DIR}"


def test_format_errors_are_loud(tmp_path):
    (tmp_path / "BAD.jsonl").write_text('{"label": "AMOUNT", "text": "x"}\n', encoding="utf-8")
    with pytest.raises(ExampleFormatError, match="BAD.jsonl:1"):
        load_examples(tmp_path)
    (tmp_path / "BAD.jsonl").write_text('{"label": "AMOUNT", "text": "5万元", "expect": [{"text": "5万元", "value": "5e4"}]}\n', encoding="utf-8")
    with pytest.raises(ExampleFormatError, match="exact decimal"):
        load_examples(tmp_path)


@pytest.fixture(scope="module")
def rules_extractor():
    from nlp import Extractor

    return Extractor.rules_only()


def _project(entity: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    got = {"text": entity["text"], "value": entity["value"]}
    for key in ("unit", "direction"):
        if key in expected:
            got[key] = entity[key]
    if "flags" in expected:
        got["flags"] = list(entity["flags"])
    return got


@pytest.mark.parametrize("example", [e for _, e in EXAMPLES], ids=[i for i, _ in EXAMPLES])
def test_example(rules_extractor, example):
    result = rules_extractor.extract(example["text"])
    entities = [e for e in result["entities"] if e["label"] == example["label"]]
    for e in entities:  # the contract's offset promise, on every example
        assert example["text"][e["start"]:e["end"]] == e["text"]
    expected = example["expect"]
    got = [_project(e, x) for e, x in zip(entities, expected)] + [
        {"text": e["text"], "value": e["value"]} for e in entities[len(expected):]
    ]
    assert got == expected, example.get("note", "")

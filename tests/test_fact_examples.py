"""Tests generated from the facts corpus ``nlp/examples/facts/facts.jsonl``.

Each line is ``{"text", "expect": [fact...], "only"?, "note"?}``. Every expected fact is a
partial contract ``Fact`` (any of its fields) plus optionally ``evidence``, the surface text
of the value's entity in ``text``; it must match a distinct fact the rules-only pipeline
produces, in order of appearance. With ``"only": true`` no other fact may be produced (so
``"expect": [], "only": true`` is a negative example). Adding a case is adding a line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nlp.contract import Fact
from tests.corpus import corpus_lines

CORPUS = Path(__file__).resolve().parent.parent / "nlp" / "examples" / "facts" / "facts.jsonl"
_FACT_FIELDS = set(Fact.model_fields) - {"evidence"}
_KEYS = {"text", "expect", "only", "note"}


class FactExampleError(ValueError):
    pass


def load_fact_examples(path: Path = CORPUS) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for where, obj in corpus_lines(path, FactExampleError):
        if not isinstance(obj, dict) or not {"text", "expect"} <= obj.keys() or obj.keys() - _KEYS:
            raise FactExampleError(f"{where}: a line is an object with text, expect and optionally only, note")
        for i, exp in enumerate(obj["expect"]):
            unknown = set(exp) - _FACT_FIELDS - {"evidence"}
            if unknown:
                raise FactExampleError(f"{where}: expect[{i}] has unknown keys {sorted(unknown)}")
            if "evidence" in exp and exp["evidence"] not in obj["text"]:
                raise FactExampleError(f"{where}: expect[{i}] evidence {exp['evidence']!r} is not in the text")
        out.append((where, obj))
    return out


EXAMPLES = load_fact_examples()


def test_corpus_has_positives_and_negatives():
    assert any(e["expect"] for _, e in EXAMPLES)
    assert any(not e["expect"] and e.get("only") for _, e in EXAMPLES)


def test_format_errors_are_loud(tmp_path):
    bad = tmp_path / "facts.jsonl"
    bad.write_text('{"text": "x", "expect": [{"colour": "red"}]}\n', encoding="utf-8")
    with pytest.raises(FactExampleError, match="facts.jsonl:1"):
        load_fact_examples(bad)


@pytest.fixture(scope="module")
def rules_extractor():
    from nlp import Extractor

    return Extractor.rules_only()


def _matches(fact: dict[str, Any], text: str, expected: dict[str, Any]) -> bool:
    for key, want in expected.items():
        if key == "evidence":
            ev = fact["evidence"]
            if text[ev["start"]:ev["end"]] != want:
                return False
        elif fact[key] != want:
            return False
    return True


@pytest.mark.parametrize("example", [e for _, e in EXAMPLES], ids=[i for i, _ in EXAMPLES])
def test_fact_example(rules_extractor, example):
    text = example["text"]
    facts = rules_extractor.extract(text)["facts"]
    pos = 0
    for want in example["expect"]:
        # expected facts appear in this order among the produced ones
        found = next((i for i in range(pos, len(facts)) if _matches(facts[i], text, want)), None)
        assert found is not None, f"{example.get('note', '')}: no fact matching {want} in {facts[pos:]}"
        pos = found + 1
    if example.get("only"):
        assert len(facts) == len(example["expect"]), f"{example.get('note', '')}: extra facts {facts}"

"""The prose reader's pieces, each alone, on the example lines of its cue file
(``nlp/facts/cues/<piece>.json``, key ``examples``): adding a case is adding a line there."""

from __future__ import annotations

import pytest

from nlp.facts.prose import reasons, segments
from nlp.facts.prose.cues import load


def _cases(piece: str, kind: str) -> list:
    cases = load(piece)["examples"][kind]
    assert cases, f"{piece}.json has no {kind} examples"
    return [pytest.param(c, id=f"{piece}-{kind}-{i}") for i, c in enumerate(cases)]


# -- clause segmentation ----------------------------------------------------------------------

@pytest.mark.parametrize("case", _cases("segments", "lead"))
def test_lead_of_a_figure(case):
    text = case["text"]
    start, in_paren = segments.local_lead(text, 0, len(text))
    assert text[start:] == case["lead"]
    assert in_paren == case.get("in_paren", False)


@pytest.mark.parametrize("case", _cases("segments", "separator"))
def test_strongest_separator(case):
    text = case["text"]
    assert segments.separators(text, 0, len(text)) == case["separator"]


# -- stated causes ----------------------------------------------------------------------------

@pytest.mark.parametrize("case", _cases("reasons", "cause"))
def test_cause_is_read(case):
    assert [cause for _, _, cause in reasons.reason_regions(case["text"])] == [case["cause"]]


@pytest.mark.parametrize("case", _cases("reasons", "no_cause"))
def test_no_cause(case):
    assert [cause for _, _, cause in reasons.reason_regions(case["text"]) if cause] == []

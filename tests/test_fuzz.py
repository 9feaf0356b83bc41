"""Bounded fuzzing of normalise → extract: no exception, offsets valid, values exact decimals.

The longer run is ``python -m bench.fuzz --minutes 10``; inputs that ever broke an invariant are
kept in ``tests/fuzz_regressions/`` and replayed here."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.fuzzing import FRAGMENTS, check_invariants, random_text

REGRESSIONS = sorted((Path(__file__).parent / "fuzz_regressions").glob("*.txt"))

fiscal_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=60).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fiscal_text)
def test_fuzz_fiscal_fragments(extractor, text):
    check_invariants(text, extractor.extract(text))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_fuzz_arbitrary_unicode(extractor, text):
    check_invariants(text, extractor.extract(text))


def test_seeded_random_documents(extractor):
    rng = random.Random(20261123)
    for _ in range(40):
        text = random_text(rng, 300)
        check_invariants(text, extractor.extract(text))


@pytest.mark.parametrize("path", REGRESSIONS, ids=[p.name for p in REGRESSIONS])
def test_fuzz_regressions(extractor, path):
    text = path.read_text(encoding="utf-8", errors="surrogatepass")
    check_invariants(text, extractor.extract(text))


# Each pathological input is a unit repeated; the test runs it at two lengths.
PATHOLOGICAL = {
    "digits": "1",
    "digits and dots": "1.",
    "spaces": " ",
    "newlines": "\n",
    "wan": "万",
    "han numerals": "一二三",
    "number then space": "1 ",
    "letter-spaced": "医 ",
    "tabs": "1\t",
    "markup": "<b",
    "commas": "1,",
    "percent": "1%",
    "one long line": "收入总计428.59万元较上年增加",
}
SMALL, LARGE = 12_500, 50_000  # characters; four times the text
FLOOR = 0.05  # seconds: below this, timer noise, not growth, sets the ratio


def _seconds(extractor, text):
    t0 = time.perf_counter()
    check_invariants(text, extractor.extract(text))
    return time.perf_counter() - t0


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_inputs_grow_linearly(extractor, name):
    """A hang guard, not a speed goal: four times the text must cost well under sixteen times
    the time. Catastrophic backtracking or a quadratic pass gives 16x or more; linear work
    gives about 4x. Machine speed cancels out of the ratio."""
    unit = PATHOLOGICAL[name]
    small = _seconds(extractor, unit * (SMALL // len(unit)))
    large = _seconds(extractor, unit * (LARGE // len(unit)))
    assert large / max(small, FLOOR) < 10, (small, large)

"""The prose reader's pieces, each alone, on the example lines of its cue file
(``nlp/facts/cues/<piece>.json``, key ``examples``): adding a case is adding a line there."""

from __future__ import annotations

import pytest

from nlp.facts.prose import claims, codes, figure, frames, items, lists, parallel, periods, reasons, segments, subjects, topics
from nlp.facts.prose.cues import CUES, load


def _cases(piece: str, kind: str) -> list:
    cases = load(piece)["examples"][kind]
    assert cases, f"{piece}.json has no {kind} examples"
    return [pytest.param(c, id=f"{piece}-{kind}-{i}") for i, c in enumerate(cases)]


def test_every_cue_file_says_what_it_is_and_carries_examples():
    for path in sorted(CUES.glob("*.json")):
        data = load(path.stem)
        assert isinstance(data.get("about"), str) and data["about"], path.name
        assert data.get("examples"), path.name


def test_a_missing_cue_file_is_a_clear_error():
    with pytest.raises(RuntimeError, match="no-such-piece.json"):
        load("no-such-piece")


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


# -- periods and base periods -----------------------------------------------------------------

@pytest.mark.parametrize("case", _cases("periods", "base"))
def test_base_period_of_a_comparison(case):
    m = periods.last_comparison(case["lead"])
    assert (periods.base_of(m, case["period"]) if m is not None else None) == case["base"]


@pytest.mark.parametrize("case", _cases("periods", "pre_compare"))
def test_comparison_in_a_clause_of_its_own(case):
    pre = periods.pre_comparison(case["before"], case["period"])
    assert (pre or (None, None)) == (case["base"], case["subject"])


@pytest.mark.parametrize("case", _cases("periods", "stated_year"))
def test_year_stated_for_the_figure(case):
    assert periods.stated_year(case["text"]) == case["year"]


@pytest.mark.parametrize("case", _cases("periods", "own_period"))
def test_figure_of_the_previous_year(case):
    assert periods.own_period(case["text"], case["period"]) == (case["own"], case["rest"])


@pytest.mark.parametrize("case", _cases("periods", "prior"))
def test_base_years_amount_stated_inline(case):
    m = periods.last_comparison(case["lead"])
    base = periods.base_of(m, case["period"]) if m is not None else None
    assert periods.names_prior_amount(case["lead"], m, base) is case["prior"]


@pytest.mark.parametrize("case", _cases("periods", "status_date"))
def test_status_date_gives_the_year(case):
    assert periods.status_year(case["text"], 0, len(case["text"])) == case["year"]


# -- figure frames ----------------------------------------------------------------------------

@pytest.mark.parametrize("case", _cases("frames", "frame"))
def test_frame_of_a_figure(case):
    sign, lead = frames.comparator(case["lead"])
    direction, template, trig_at = frames.trigger(lead, [], 0)
    measure, share_total = frames.measure_of(case["label"], sign, "".join(case["lead"].split()), trig_at, template)
    assert measure == case["measure"]
    for key, got in (("direction", direction), ("template", template), ("comparator", sign), ("share_total", share_total)):
        if key in case:
            assert got == case[key], key


@pytest.mark.parametrize("case", _cases("frames", "basis"))
def test_basis_from_the_tail(case):
    assert frames.tail_basis(case["phrase"]) == (case["basis"], case["rest"])


# -- subject attachment -----------------------------------------------------------------------

@pytest.mark.parametrize("case", _cases("subjects", "clean"))
def test_subject_of_a_lead(case):
    subject, basis = subjects.clean_subject(case["phrase"])
    assert subject == case["subject"]
    if "basis" in case:
        assert basis == case["basis"]


@pytest.mark.parametrize("case", _cases("subjects", "counted"))
def test_noun_a_count_counts(case):
    assert subjects.counted_noun(case["text"], case["at"]) == case["noun"]


@pytest.mark.parametrize("case", _cases("subjects", "restates"))
def test_head_said_again(case):
    assert subjects.restates(case["item"], case["subject"]) is case["restates"]


@pytest.mark.parametrize("case", _cases("items", "named"))
def test_item_an_attribute_is_about(case):
    text = case["text"]
    assert items.NamedItems(text).item_at(0, len(text)) == case["item"]


@pytest.mark.parametrize("phrase, code, rest", [
    ("一般公共服务支出(类)人大事务(款)行政运行(项):", "2010101", "行政运行"),
    ("森林资源管理(2130207)", "2130207", "森林资源管理"),
    ("行政运行(2040501):", "2040501", "行政运行"),
    ("一般公共服务支出(类)不存在的款(款)行政运行(项)", None, "行政运行"),
])
def test_code_said_in_a_lead(phrase, code, rest):
    assert codes.named_code(phrase) == (code, rest)


def test_no_code_in_a_plain_lead():
    assert codes.named_code("收入总计") is None
    assert codes.named_code("支出(2021年)") is None


# -- parallel constructions -------------------------------------------------------------------

@pytest.mark.parametrize("case", _cases("parallel", "split"))
def test_coordinated_names_split(case):
    assert parallel.split_coordination(case["subject"]) == case["parts"]


@pytest.mark.parametrize("case", _cases("parallel", "coordinated"))
def test_lead_coordinates(case):
    lead = case["lead"]
    _, _, trig_at = frames.trigger(lead, [], 0)
    assert parallel.coordinated(lead, trig_at) is case["coordinated"]


def test_figures_take_the_coordinated_items_in_order():
    state = parallel.Parallel()
    frame = parallel.SharedFrame("decrease", False, "change", "2020", "AMOUNT", None)
    assert state.open(["收入总计", "支出总计"], frame) == "收入总计"
    assert state.waiting() and state.take() == "支出总计" and not state.waiting()
    assert state.restart(frame._replace(measure="change_pct", label="PERCENT")) == "收入总计"
    assert state.frame.label == "PERCENT" and state.waiting()
    state.reset()
    assert not state.waiting() and state.frame is None


# -- list structure ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", _cases("lists", "opens"))
def test_gap_opens_lists(case):
    structure = lists.ListStructure([], [], "")
    main = topics.Topic("收入总计", 0.9)
    assert [s.kind for s in structure.open_scopes([], case["gap"], main, None)] == case["kinds"]


def _fact(value: str, start: int):
    from nlp.contract import Fact, Offsets

    return Fact(subject="x", measure="amount", value=value, unit="元", period="2021", evidence=Offsets(start=start, end=start + 1))


@pytest.mark.parametrize("opener, uncertain", [("包括", None), ("其中", "partial")])
def test_closed_list_sums_its_items(opener, uncertain):
    """A list closed at a sentence end links its parent and items; only a list the text says is
    complete is checked for sure."""
    facts = [_fact("10", 0), _fact("4", 2), _fact("6", 4)]
    links: list = []
    structure = lists.ListStructure(facts, links, "x" * 10)
    parent = topics.Topic("收入总计", 0.9, amounts={None: 0}, unit="元")
    scopes = structure.open_scopes([], opener, parent, parent)
    for i, name in ((1, "财政拨款收入"), (2, "事业收入")):
        structure.add_item(scopes, topics.Topic(name, 0.9, amounts={None: i}, unit="元"), 0)
    assert structure.close_scopes(scopes, "sentence", False) == []
    assert [(l.kind, l.roles) for l in links] == [("total_sum", {"total": 0, "parts": [1, 2]})]
    assert (links[0].uncertain is None) is (uncertain is None)


def test_known_composition_makes_a_list_complete():
    assert lists.known_composition("“三公”经费支出", ["因公出国(境)费", "公务用车购置及运行维护费", "公务接待费"])
    assert not lists.known_composition("“三公”经费支出", ["因公出国(境)费", "公务接待费"])


# -- which figures are claims -----------------------------------------------------------------

@pytest.mark.parametrize("case", _cases("claims", "claims"))
def test_figure_is_a_claim(case):
    from types import SimpleNamespace

    text, figure = case["text"], case["figure"]
    start = text.index(figure)
    ent = SimpleNamespace(text=figure, start_char=start, end_char=start + len(figure), label_=case["label"])
    assert claims.is_claim(text, ent, case["unit"], case["subject"]) is case["claim"]


# -- one figure, read by the pieces together --------------------------------------------------

@pytest.mark.parametrize("case", _cases("figure", "reading"))
def test_reading_of_one_figure(case):
    from types import SimpleNamespace

    text = case["text"]
    ent = SimpleNamespace(label_=case["label"], start_char=len(text), end_char=len(text) + 4, _=SimpleNamespace(unit=None))
    start, _ = segments.local_lead(text, 0, len(text))
    if parallel.one_lead(text, start, len(text)):  # as the walk does: coordinated names are one lead
        start, _ = segments.local_lead(text, 0, len(text), enumeration=False)
    reading = figure.read_figure(text, ent, text[start:], start, case["period"], text[:start], lambda a, b, label: [])
    if case["expect"] is None:
        assert reading is None
        return
    assert reading is not None
    for key, want in case["expect"].items():
        assert getattr(reading, key) == want, key

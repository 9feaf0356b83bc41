"""Checks that never cry wolf (issue 16): a check fires only where the relation is sure; an
uncertain relation is listed in ``unchecked`` with its reason. The cue data beside the prose
reader (``nlp/facts/cues/*.json``) carries positive and negative example lines; each becomes a test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.checks import PARTIAL_LIST

CUES = Path(__file__).resolve().parents[1] / "nlp" / "facts" / "cues"


@pytest.fixture(scope="module")
def extractor():
    from nlp.extractor import Extractor

    return Extractor.rules_only()


def _run(extractor, text):
    return extractor.extract(text)


SANGONG = ("2023年度“三公”经费支出决算为{total}万元，完成预算的77.75%。其中：因公出国（境）费3.88万元，组织因公出国（境）团组1个、3人次；"
           "公务用车购置及运行维护费14.09万元，其中：公务用车购置费0.00万元，购置车辆0辆；公务用车运行维护费14.09万元，"
           "年末公务用车保有量6辆；公务接待费4.33万元，国内公务接待62批次、558人次。")


def test_nested_list_that_agrees_raises_nothing(extractor):
    r = _run(extractor, SANGONG.format(total="22.30"))
    assert r["checks"] == [] and r["unchecked"] == []


def test_nested_list_with_a_shortfall_is_found(extractor):
    r = _run(extractor, SANGONG.format(total="26.37"))  # 3.88 + 14.09 + 4.33 = 22.30
    assert [c["kind"] for c in r["checks"]] == ["total_sum"]
    assert "22.3" in r["checks"][0]["message"]


@pytest.mark.parametrize("text", [
    "2023年度收入总计12,169,052.97元，比2022年的10,083,978.73元增加2,085,074.24元，增长20.68%。",
    "2023年度收入总计3293.88万元，比上年的3929.21万元减少635.33万元，下降16.17%。",
])
def test_prior_year_amount_inline_is_of_the_base_year(extractor, text):
    r = _run(extractor, text)
    amounts = [f for f in r["facts"] if f["measure"] == "amount"]
    assert [f["period"] for f in amounts] == ["2023", "2022"]
    change = next(f for f in r["facts"] if f["measure"] == "change")
    assert change["base_period"] == "2022"
    assert r["checks"] == []


def test_partial_list_shortfall_is_unchecked_excess_is_found(extractor):
    short = _run(extractor, "本年收入合计2511.77万元，其中：财政拨款收入2251.87万元；事业收入200.90万元。")
    assert short["checks"] == [] and [u["reason"] for u in short["unchecked"]] == [PARTIAL_LIST]
    over = _run(extractor, "本年收入合计2511.77万元，其中：财政拨款收入2251.87万元；事业收入359.90万元。")
    assert [c["kind"] for c in over["checks"]] == ["total_sum"]


def test_coordinated_shares_are_checked(extractor):
    r = _run(extractor, "2023年度本年支出合计1833.16万元。基本支出、项目支出分别为1268.35万元、588.57万元，"
                        "分别占本年支出合计的69.19%、30.81%。")
    shares = [f for f in r["facts"] if f["measure"] == "share_pct"]
    assert [f["subject"] for f in shares] == ["基本支出", "项目支出"]
    assert [c["kind"] for c in r["checks"]] == ["share_pct"]  # 588.57 / 1833.16 = 32.11%


def test_share_of_an_unstated_whole_is_unchecked_below_100(extractor):
    r = _run(extractor, "项目支出588.57万元。组织对6个项目开展绩效自评，自评涉及资金394.22万元，占项目支出总额的69.80%。")
    assert r["checks"] == [] and [u["kind"] for u in r["unchecked"]] == ["share_pct"]


def _composition_cases():
    data = json.loads((CUES / "compositions.json").read_text(encoding="utf-8"))
    return [(line, True) for line in data["examples"]["positive"]] + [(line, False) for line in data["examples"]["negative"]]


@pytest.mark.parametrize("line,complete", _composition_cases())
def test_composition_examples(extractor, line, complete):
    """A list naming every part of a known composition is complete (a shortfall is checked);
    one that does not is partial (a shortfall is unchecked)."""
    from nlp.components.facts import stored_links

    doc = extractor.nlp(line)
    sums = [link for link in stored_links(doc) if link.kind == "total_sum"]
    assert sums, line
    assert all((link.uncertain is None) == complete for link in sums), (line, sums)

"""The dev fact-error report's classes (annotations/dev/tools/fact_errors.py) on made-up pairs:
each class takes its phenomenon and leaves the others; the matching is the evaluation's."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from nlp.evaluation import score_facts

_PATH = Path(__file__).resolve().parents[1] / "annotations" / "dev" / "tools" / "fact_errors.py"
_spec = importlib.util.spec_from_file_location("fact_errors", _PATH)
fe = importlib.util.module_from_spec(_spec)
sys.modules["fact_errors"] = fe
_spec.loader.exec_module(fe)


def _fact(text: str, figure: str, subject, unit="CNY", value="1", measure="amount", period="2023"):
    start = text.index(figure)
    return {"subject": subject, "measure": measure, "value": value, "unit": unit, "period": period,
            "direction": None, "evidence": {"start": start, "end": start + len(figure)}}


@pytest.mark.parametrize("text, figure, read, gold, unit, cls", [
    ("2023年度会议费支出5.47万元。", "5.47万元", "会议费支出", "会议费", "CNY", "`X费支出` vs gold `X费` (open guideline decision)"),
    ("召开会议4个,", "4个", "召开会议", "会议", "个", "verb or scope word before a counted noun"),
    ("2024年收入预算2196.08万元,", "2196.08万元", "收入", "收入预算", "CNY", "budget basis cut from the item"),
    ("单位价值100.00万元以上设备0台。", "0台", "设备", "单位价值100万元以上设备", "台", "qualifier or front of the name cut"),
    ("分别为356.21、48.77 万元,", "48.77 万元", "收入总计", "公用经费", "CNY", "bare numbers sharing one unit"),
    ("A、B分别为1万元、2万元,合计3万元。", "3万元", "合计", "基本支出", "CNY", "`合计` taken as the subject"),
    ("收入预算、支出预算总额均为5万元,", "5万元", "收入预算总额", "收入预算", "CNY", "shared tail kept on a coordinated name"),
    ("收入总计5万元。", "5万元", "支出总计", "收入总计", "CNY", "wrong subject (other)"),
])
def test_pair_classes(text, figure, read, gold, unit, cls):
    err = fe.Error("d", "prose", text, _fact(text, figure, read, unit), _fact(text, figure, gold, unit))
    assert fe.classify(err) == cls


def test_missed_and_spurious():
    text = "分别为356.21、48.77 万元,收入 5万元。"
    assert fe.classify(fe.Error("d", "prose", text, None, _fact(text, "356.21", "人员经费"))) == "bare numbers sharing one unit"
    assert fe.classify(fe.Error("d", "prose", text, None, _fact(text, "5万元", "收入"))) == "missed (other)"
    assert fe.classify(fe.Error("d", "prose", text, _fact(text, "5万元", "收入"), None)) == "spurious (other)"
    wrong_year = fe.Error("d", "prose", text, _fact(text, "5万元", "收入", period="2022"), _fact(text, "5万元", "收入"))
    assert fe.classify(wrong_year) == "wrong period (other)"


@pytest.mark.parametrize("lenient", [False, True])
def test_matching_is_the_evaluations(lenient):
    text = "本年收入合计5万元,会议费支出1万元,召开会议3个。"
    pred = [_fact(text, "5万元", "收入合计"), _fact(text, "1万元", "会议费支出"), _fact(text, "3个", "召开会议", unit="个")]
    gold = [_fact(text, "5万元", "本年收入合计"), _fact(text, "1万元", "会议费"), _fact(text, "3个", "会议", unit="个", value="4")]
    fps, fns = fe._match(pred, gold, lenient)
    s = score_facts(pred, gold, lenient=lenient).overall()
    assert (len(fps), len(fns)) == (s.fp, s.fn)
    assert len(fps) == (1 if lenient else 3)

"""Robustness invariants of normalise → extract, shared by the test suite's bounded fuzz run
and the longer on-demand fuzzer (``python -m bench.fuzz``)."""

from __future__ import annotations

import random
from decimal import Decimal, InvalidOperation
from typing import Any

from nlp.contract import Result

NUMERIC_LABELS = {"AMOUNT", "PERCENT", "QUANTITY", "SUBJECT_CODE"}

# Fragments the extractor has opinions about: numbers, units, triggers, PDF artefacts, table syntax.
FRAGMENTS = [
    "428.59", "532 .02", "82. 13", "1,100.9", "-3480.83", "0", "00", "2101501", "05", "208", "〔2022〕", "1 号",
    "万元", "万", "元", "亿元", "千元", "%", " %", "万人", "人", "人次", "张", "辆",
    "一百二十", "一万零一十二", "三十几", "二百余", "一千多", "百分之五", "万4000", "6千",
    "增加", "减少", "增长", "下降", "持平", "增加（减少）", "增长（下降）", "比上年", "较 2020 年", "上年", "本年",
    "2021 年度", "2025 年 7 月 31 日", "年", "月", "日", "收入总计", "行政运行", "其中", "主要原因是：", "占", "完成年初预算的",
    "单位：万元", "单位: 元", "项目资金(万元)", "合计", "基本支出", "**", "\t", "\t\t", "\n", "\n\n", " ", "  ",
    "，", "。", "；", "、", "：", "（", "）", "(", ")", "<b>", "</b>", "<p>", "≥", "≤", "=", "⾦", "⼀", "１２", "％",
    "\r\n", "\u200b", "…", "㎡", "①", "﹪", "\x00", "\ud7ff", "🙂",
]


def random_text(rng: random.Random, max_fragments: int = 80) -> str:
    parts = []
    for _ in range(rng.randint(0, max_fragments)):
        r = rng.random()
        if r < 0.75:
            parts.append(rng.choice(FRAGMENTS))
        elif r < 0.9:
            parts.append(chr(rng.randint(0x20, 0x2FFF)))
        else:
            parts.append(chr(rng.choice([rng.randint(0x4E00, 0x9FFF), rng.randint(0xFF00, 0xFFEF), rng.randint(0x2F00, 0x2FDF)])))
    return "".join(parts)


def check_invariants(text: str, result: dict[str, Any]) -> None:
    """Raise AssertionError when a result breaks the contract for ``text``."""
    Result.model_validate(result)
    n = len(text)
    last_end = 0
    for e in sorted(result["entities"], key=lambda e: (e["start"], e["end"])):
        assert e["start"] >= last_end, f"entities overlap: {e}"
        last_end = e["end"]
    for e in result["entities"]:
        assert 0 <= e["start"] < e["end"] <= n, f"entity offsets out of range: {e}"
        assert text[e["start"]:e["end"]] == e["text"], f"entity text is not text[start:end]: {e}"
        if e["label"] in NUMERIC_LABELS and e["value"] is not None:
            _decimal(e["value"], e)
    for f in result["facts"]:
        ev = f["evidence"]
        assert 0 <= ev["start"] <= ev["end"] <= n, f"fact evidence out of range: {f}"
        _decimal(f["value"], f)
    for c in result["checks"]:
        assert all(0 <= i < len(result["facts"]) for i in c["facts"]), f"check names a missing fact: {c}"


def _decimal(value: str, where: Any) -> None:
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise AssertionError(f"value {value!r} is not a decimal: {where}") from None
    assert d.is_finite() and "e" not in value.lower(), f"value {value!r} is not a plain decimal: {where}"

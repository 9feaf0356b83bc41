"""AMOUNT, PERCENT and QUANTITY: a number with an explicit unit on its surface.

One pattern finds ``<numeral><approximation?><scale?><unit>`` and the unit decides the
label: a currency (元, with 千/万/亿 as scale) is an AMOUNT in yuan, ``%``/``‰`` a
PERCENT, a count unit (``nlp.contract.COUNT_UNITS``) a QUANTITY. ``百分之…`` has its own
pattern. Bare numbers (table cells under a declared unit) belong to ``fiscal_layout``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Iterator

from nlp.contract import COUNT_UNITS, MONEY_UNIT, PERCENT_UNIT
from nlp.numerals import NumeralError, parse_number, parse_percent_words, to_value
from nlp.rules.base import HAN_DIGIT, HAN_NUMERAL, RuleMatch

# Count units whose characters also open common words: the look-ahead keeps the word out
# (``第三部分``, ``3 部门``, ``百分之``, ``十分``, ``所属``, ``项目``, ``人民医院``, ``本年``).
_UNIT_GUARDS: dict[str, str] = {
    "人": "民",
    "部": "分门署长委",
    "分": "之钟别类期配摊管为成",
    "所": "属有以在得谓",
    "项": "目级",
    "本": "年级部单地级届次金",
    "期": "间限末初满内",
    "名": "称单义词",
    "条": "例件款",
    "天": "然津",
    "台": "账",
    "场": "所景",
    "户": "籍口",
    "家": "庭属",
    "件": "数",
    "次": "均数序",
    "个": "人体别案百",  # 5 个百分点 is a percentage-point change, not five things
    "套": "餐",
}


def _unit_alternation() -> str:
    # longest first, so 元/人 wins over 元 and 人次 over 人; 万册 is 万 + 册 (a scale, then a unit)
    units = sorted({u for u in COUNT_UNITS if not u.startswith("万")}, key=lambda u: (-len(u), u))
    alts = []
    for u in units:
        guard = _UNIT_GUARDS.get(u)
        alts.append(re.escape(u) + (f"(?![{guard}])" if guard else ""))
    return "|".join(alts)


# A thousands group is exactly three digits ("2020,2021" is two numbers).
_ARABIC = r"\d{1,3}+(?:,\d{3}(?!\d))++(?:\.\d++)?+|\d++(?:\.\d++)?+"
# Arabic digit groups under Chinese scales: 428.59万, 3万4000, 25万6千, 1,100.9亿.
_MIXED = rf"(?:{_ARABIC})(?:[百千万亿]{{1,2}}+(?:\d++(?:\.\d++)?+)?+){{0,4}}+"
# A sign only where a value starts (after space, "(", "[", ":", "=", "," or ";"), as the
# tokenizer cuts it: the "-" of 95%-85% or 完成率-85% is a dash or an operator, not a sign.
_SIGN = r"(?:(?<![^\s(\[:=,;])[-+])?+"
_NUMERAL = (
    rf"(?P<num>{_SIGN}(?<![\d.])(?:{_MIXED})"
    rf"|(?<![{HAN_NUMERAL}])[{HAN_DIGIT}十][{HAN_NUMERAL}]*+)"
)
NUMBER_WITH_UNIT = re.compile(
    rf"(?<!第){_NUMERAL}"
    r"[ ]?+"  # the normaliser removes this space only before the units it knows
    r"(?P<approx>[余多几])?+"
    r"(?P<scale>万亿|[千万亿])?+"
    r"(?P<approx2>余)?+"
    rf"(?P<unit>{_unit_alternation()}|元|%|‰)?+"
)
# The unit is optional on purpose: every numeral then matches and ``finditer`` resumes
# after it, so no run of digits is ever scanned twice; unit-less matches are skipped.
PERCENT_WORDS = re.compile(rf"百分之(?:[{HAN_NUMERAL}\d]{{1,12}}+(?:点[{HAN_DIGIT}\d]{{1,8}}+)?+)")

_SCALES = {"千": Decimal(1000), "万": Decimal(10_000), "亿": Decimal(100_000_000), "万亿": Decimal(10) ** 12}
# A single 一/十 before a count unit is nearly always a word (一次不跑, 一个, 十分), never a count.
_WORDLIKE_HAN = {"一", "十"}


def find_numeric(text: str) -> Iterator[RuleMatch]:
    for m in NUMBER_WITH_UNIT.finditer(text):
        yield from _classify(m)
    for m in PERCENT_WORDS.finditer(text):
        try:
            value = parse_percent_words(m.group())
        except NumeralError:
            continue
        yield RuleMatch(m.start(), m.end(), "PERCENT", to_value(value), PERCENT_UNIT, rule="percent_words")


# A bare zero stated of a money item ("支出总额为 0，", "2020 年度决算为 0"): zero is zero in any
# unit, so the missing unit does not matter. Searched in a bounded window before the number.
_ZERO_MONEY_LEAD = re.compile(r"(?:支出|收入|经费|总额|预算|决算|资金|拨款)为 ?$")
_ZERO = re.compile(r"0(?:\.0{1,4})?")
_CLAUSE_END = set("，,。;；\n")


def _zero_amount(m: re.Match[str]) -> Iterator[RuleMatch]:
    text, start, end = m.string, m.start(), m.end()
    if m.group("approx") or m.group("scale") or not _ZERO.fullmatch(m.group("num")):
        return
    after = text[end:end + 2].lstrip(" ")
    if (not after or after[0] in _CLAUSE_END) and _ZERO_MONEY_LEAD.search(text, max(0, start - 12), start):
        yield RuleMatch(start, start + len(m.group("num")), "AMOUNT", "0", MONEY_UNIT, rule="zero_amount")


def _classify(m: re.Match[str]) -> Iterator[RuleMatch]:
    num, unit = m.group("num"), m.group("unit")
    if unit is None:
        yield from _zero_amount(m)
        return
    is_han = num[-1] in HAN_NUMERAL and not any(c.isdigit() for c in num)
    try:
        value = parse_number(num)
    except NumeralError:
        return
    scale = m.group("scale")
    if scale:
        value *= _SCALES[scale]
    approximate = bool(m.group("approx") or m.group("approx2"))
    flags = ("approximate",) if approximate else ()
    start, end = m.start(), m.end()
    if is_han and num in _WORDLIKE_HAN and not (approximate or scale):
        return
    if unit == "元":
        text = m.string
        if (start >= 2 and text[start - 1] in "-－−" and "\u4e00" <= text[start - 2] <= "\u9fff"
                and not num.startswith(("-", "+")) and value > 0):
            # "年末结转和结余-12.35万元": a negative balance stated after its name (GUIDELINES §12);
            # a percentage after a name keeps the dash (完成率-85% is an operator)
            start, value = start - 1, -value
        yield RuleMatch(start, end, "AMOUNT", to_value(value), MONEY_UNIT, flags=flags, rule="amount")
    elif unit in ("%", "‰"):
        if is_han and not scale:
            return  # 三% is not how anyone writes a percentage
        if unit == "‰":
            value /= 10
        yield RuleMatch(start, end, "PERCENT", to_value(value), PERCENT_UNIT, flags=flags, rule="percent")
    else:
        yield RuleMatch(start, end, "QUANTITY", to_value(value), unit, flags=flags, rule="quantity")


__all__ = ["NUMBER_WITH_UNIT", "PERCENT_WORDS", "find_numeric"]

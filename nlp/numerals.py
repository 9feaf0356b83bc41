"""Exact parsing of the numerals found in fiscal text: Arabic, Chinese and mixed forms.

Everything is :class:`decimal.Decimal`; nothing here ever touches a float. Values leave
the module as contract strings (:func:`to_value`): plain decimals, no exponent.

Supported forms (the mixed ones are common in Chinese reports)::

    428.59  1,100.9  -3480.83          Arabic, thousands separators, sign
    一百二十万  一万零一十二  二十万亿    Chinese, with 零 and the 万/亿 scales
    3万4000  25万6千  1.5亿  154万       Arabic digit groups under Chinese scales
    百分之五  百分之三十七点五            percentages (:func:`parse_percent_words`)
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

__all__ = [
    "CURRENCY_SCALES",
    "HAN_DIGITS",
    "NumeralError",
    "parse_number",
    "parse_percent_words",
    "to_value",
]

HAN_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
_SMALL_SCALES: dict[str, int] = {"十": 10, "百": 100, "千": 1000}
_WAN = Decimal(10_000)
_YI = Decimal(100_000_000)

# Currency units and their value in yuan.
CURRENCY_SCALES: dict[str, Decimal] = {
    "元": Decimal(1),
    "千元": Decimal(1000),
    "万元": _WAN,
    "亿元": _YI,
    "万亿元": _WAN * _YI,
}


class NumeralError(ValueError):
    """A string that is not a well-formed numeral."""


def _arabic(text: str) -> Decimal:
    plain = text.replace(",", "")
    if not plain or plain in "+-" or plain.count(".") > 1:
        raise NumeralError(f"not a number: {text!r}")
    try:
        return Decimal(plain)
    except InvalidOperation as exc:  # pragma: no cover - guarded by the checks above
        raise NumeralError(f"not a number: {text!r}") from exc


def _lex(text: str) -> list[tuple[str, Decimal | str]]:
    """Split into ("num", Decimal) literals and ("scale", char) items."""
    items: list[tuple[str, Decimal | str]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isdigit() or (c == "." and i == 0):
            j = i + 1
            while j < n and (text[j].isdigit() or text[j] in ".,"):
                j += 1
            items.append(("num", _arabic(text[i:j])))
            i = j
        elif c in HAN_DIGITS:
            items.append(("num", Decimal(HAN_DIGITS[c])))
            i += 1
        elif c in _SMALL_SCALES or c in "万亿":
            items.append(("scale", c))
            i += 1
        else:
            raise NumeralError(f"unexpected character {c!r} in numeral {text!r}")
    return items


def parse_number(text: str) -> Decimal:
    """The exact value of an Arabic, Chinese or mixed numeral.

    Raises :class:`NumeralError` for anything malformed (``一二``, ``十百``, ``万``)."""
    if not isinstance(text, str) or not text:
        raise NumeralError(f"empty numeral: {text!r}")
    sign = Decimal(1)
    body = text
    if body[0] in "+-":
        sign = Decimal(-1) if body[0] == "-" else Decimal(1)
        body = body[1:]
        if not body:
            raise NumeralError(f"a sign without a number: {text!r}")
    items = _lex(body)
    if all(kind == "num" for kind, _ in items):
        if len(items) != 1:
            raise NumeralError(f"digits without scales: {text!r}")
        return sign * items[0][1]  # type: ignore[operator]

    total = Decimal(0)  # complete 亿 groups
    section = Decimal(0)  # complete 万 groups below the current 亿
    small = Decimal(0)  # 十/百/千 part below the current 万
    cur: Decimal | None = None  # a digit literal waiting for its scale
    last_small = 10_000  # 十/百/千 must decrease inside a 万 group
    seen_zero = False
    for kind, item in items:
        if kind == "num":
            assert isinstance(item, Decimal)
            if cur is not None and not (seen_zero or cur == 0):
                raise NumeralError(f"two digits in a row in {text!r}")
            seen_zero = item == 0
            cur = item
            continue
        assert isinstance(item, str)
        if item in _SMALL_SCALES:
            m = _SMALL_SCALES[item]
            if m >= last_small:
                raise NumeralError(f"scales out of order in {text!r}")
            small += (cur if cur is not None else Decimal(1)) * m
            last_small, cur = m, None
        elif item == "万":
            if cur is None and small == 0:
                raise NumeralError(f"万 without a number in {text!r}")
            section += (small + (cur or 0)) * _WAN
            small, cur, last_small = Decimal(0), None, 10_000
        else:  # 亿 (after 万 too: 二十万亿 = 20 × 10^12)
            if cur is None and small == 0 and section == 0:
                raise NumeralError(f"亿 without a number in {text!r}")
            total = (total + section + small + (cur or 0)) * _YI
            section, small, cur, last_small = Decimal(0), Decimal(0), None, 10_000
        seen_zero = False
    return sign * (total + section + small + (cur or 0))


def parse_percent_words(text: str) -> Decimal:
    """``百分之五`` → 5, ``百分之三十七点五`` → 37.5, ``百分之百`` → 100, ``百分之 5`` → 5."""
    if not text.startswith("百分之"):
        raise NumeralError(f"not a 百分之 percentage: {text!r}")
    body = text[3:].strip()
    if body == "百":
        return Decimal(100)
    if "点" in body:
        whole, _, frac = body.partition("点")
        if not frac or any(c not in HAN_DIGITS and not c.isdigit() for c in frac):
            raise NumeralError(f"bad decimal part in {text!r}")
        digits = "".join(str(HAN_DIGITS[c]) if c in HAN_DIGITS else c for c in frac)
        return parse_number(whole) + Decimal("0." + digits)
    return parse_number(body)


def to_value(d: Decimal) -> str:
    """A contract value string: exact, no exponent, no trailing zeros, ``-0`` → ``0``."""
    if not d.is_finite():
        raise NumeralError(f"not a finite number: {d!r}")
    if d == 0:
        return "0"
    s = format(d.normalize(), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s

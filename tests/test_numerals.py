"""nlp.numerals: exact Decimal parsing of Arabic, Chinese and mixed numerals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from nlp.contract import is_decimal_string
from nlp.numerals import NumeralError, parse_number, parse_percent_words, to_value


@pytest.mark.parametrize(
    "text, value",
    [
        ("428.59", "428.59"),
        ("0", "0"),
        ("1,100.9", "1100.9"),
        ("-3480.83", "-3480.83"),
        ("428.59万", "4285900"),
        ("0.62万", "6200"),
        ("1,100.9亿", "110090000000"),
        ("3万4000", "34000"),
        ("25万6千", "256000"),
        ("1.5亿", "150000000"),
        ("1亿2000万", "120000000"),
        ("一百二十万", "1200000"),
        ("一万零一十二", "10012"),
        ("二十万亿", "20000000000000"),
        ("十二", "12"),
        ("十", "10"),
        ("一千零五", "1005"),
        ("两千", "2000"),
        ("三十", "30"),
        ("二百", "200"),
        ("一百零五", "105"),
        ("九千九百九十九万九千九百九十九", "99999999"),
    ],
)
def test_parse_number(text, value):
    assert to_value(parse_number(text)) == value


@pytest.mark.parametrize("text", ["", "万", "亿", "-", "一二", "十百", "百千万十", "1.2.3", "abc", "3万万"])
def test_malformed_numerals_raise(text):
    with pytest.raises(NumeralError):
        parse_number(text)


@pytest.mark.parametrize(
    "text, value",
    [("百分之五", "5"), ("百分之百", "100"), ("百分之三十七点五", "37.5"), ("百分之十二", "12"), ("百分之 5", "5")],
)
def test_percent_words(text, value):
    assert to_value(parse_percent_words(text)) == value


def test_percent_words_need_the_prefix():
    with pytest.raises(NumeralError):
        parse_percent_words("五")


@pytest.mark.parametrize(
    "d, s",
    [
        (Decimal("4285900"), "4285900"),
        (Decimal("4.2859E+6"), "4285900"),
        (Decimal("100.00"), "100"),
        (Decimal("0.00"), "0"),
        (Decimal("-0"), "0"),
        (Decimal("6.370"), "6.37"),
        (Decimal("1E-7"), "0.0000001"),
    ],
)
def test_to_value_is_plain_decimal(d, s):
    assert to_value(d) == s
    assert is_decimal_string(to_value(d))


def test_to_value_rejects_non_finite():
    with pytest.raises(NumeralError):
        to_value(Decimal("NaN"))


_DIGITS = "零一二三四五六七八九"


def _han(n: int) -> str:
    """A reference writer of Chinese numerals below 10^8 (independent of the parser)."""
    if n == 0:
        return "零"

    def below_wan(k: int) -> str:
        out, zero = "", False
        for power, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            d, k = divmod(k, power)
            if d:
                if zero and out:
                    out += "零"
                out += _DIGITS[d] + name
                zero = False
            else:
                zero = True
        return out

    wan, rest = divmod(n, 10_000)
    if not wan:
        return below_wan(rest)
    s = below_wan(wan) + "万"
    if rest:
        s += ("零" if rest < 1000 else "") + below_wan(rest)
    return s


@given(st.integers(min_value=0, max_value=99_999_999))
def test_chinese_numerals_round_trip(n):
    assert parse_number(_han(n)) == n


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False, allow_infinity=False))
def test_arabic_is_exact(d):
    text = format(d, "f")
    assert parse_number(text) == d
    assert Decimal(to_value(parse_number(text))) == d


@given(st.integers(min_value=1, max_value=9999), st.integers(min_value=0, max_value=9999))
def test_mixed_wan_groups(high, low):
    assert parse_number(f"{high}万{low}") == high * 10_000 + low

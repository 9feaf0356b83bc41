"""Text normalisation with an offset map back to the client's original text.

Everything downstream (tokenizer, rules, model, facts) works on the normalised text;
every span found there is mapped back through :class:`NormalizedText` so that clients
only ever see offsets into the exact text they sent (see ``CONTRACT.md``, *Offsets*).

Each pass is an edit list applied in one linear sweep. Every regular expression here
starts with a look-behind that fails at once inside a run of its own first character
class, so ``finditer`` never rescans a run: the whole module is linear in the input.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from array import array
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, Sequence

__all__ = ["NormalizedText", "normalize"]

Edit = tuple[int, int, str]  # replace cur[start:end] with str


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """Normalised text plus, for each of its characters, the original range it came from."""

    original: str
    text: str
    starts: array  # original start index of each normalised character
    ends: array  # original end index (exclusive) of each normalised character

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of the normalised text to the original text."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span [{start}, {end}) outside normalised text of length {len(self.text)}")
        if start == end:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]

    def is_aligned(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` neither starts nor ends inside the expansion of one original
        character (NFKC ``㎡`` → ``m2``): only such spans are spans of the original text that do
        not share a character with their neighbours."""
        n = len(self.text)
        if 0 < start < n and self.starts[start] == self.starts[start - 1] and self.ends[start] == self.ends[start - 1]:
            return False
        if 0 < end < n and self.starts[end] == self.starts[end - 1] and self.ends[end] == self.ends[end - 1]:
            return False
        return True

    def from_original(self, start: int, end: int) -> tuple[int, int]:
        """The normalised span covering exactly the characters that came from ``original[start:end]``
        (used to align gold spans, given in original offsets, with tokens)."""
        a = bisect_left(self.starts, start)
        b = bisect_right(self.ends, end, lo=a)
        return a, max(a, b)

    def surface(self, start: int, end: int) -> str:
        """The original text behind a normalised span: what a client sees as ``entity.text``."""
        s, e = self.to_original(start, end)
        return self.original[s:e]


def _identity(text: str) -> NormalizedText:
    n = len(text)
    return NormalizedText(text, text, array("l", range(n)), array("l", range(1, n + 1)))


def _apply(cur: NormalizedText, edits: Iterable[Edit]) -> NormalizedText:
    """Apply sorted, non-overlapping edits; replacement characters map to the whole replaced range."""
    text, starts, ends = cur.text, cur.starts, cur.ends
    parts: list[str] = []
    new_starts = array("l")
    new_ends = array("l")
    pos = 0
    changed = False
    for a, b, repl in edits:
        changed = True
        parts.append(text[pos:a])
        new_starts.extend(starts[pos:a])
        new_ends.extend(ends[pos:a])
        if repl:
            lo = starts[a] if a < len(starts) else len(cur.original)
            hi = ends[b - 1] if b > a else lo
            parts.append(repl)
            new_starts.extend([lo] * len(repl))
            new_ends.extend([hi] * len(repl))
        pos = b
    if not changed:
        return cur
    parts.append(text[pos:])
    new_starts.extend(starts[pos:])
    new_ends.extend(ends[pos:])
    return NormalizedText(cur.original, "".join(parts), new_starts, new_ends)


def _sub(cur: NormalizedText, pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str | None]) -> NormalizedText:
    """``re.sub`` that keeps the offset map; a callable returning None leaves the match alone."""
    edits: list[Edit] = []
    for m in pattern.finditer(cur.text):
        r = repl(m) if callable(repl) else repl
        if r is not None and r != m.group():
            edits.append((m.start(), m.end(), r))
    return _apply(cur, edits)


# --- NFKC -------------------------------------------------------------------------------

_NFKC_RANGES = ((0x80, 0x10000), (0x1D400, 0x1D800), (0x1F100, 0x1F200), (0x2F800, 0x2FA20))


@lru_cache(maxsize=1)
def _nfkc_tables() -> tuple[dict[int, str], re.Pattern[str]]:
    """Characters whose NFKC form is one character (length-preserving ``str.translate``) and
    a character class of those whose NFKC form has another length (rewritten with the map)."""
    one: dict[int, str] = {}
    other: list[str] = []
    for lo, hi in _NFKC_RANGES:
        for cp in range(lo, hi):
            if 0xD800 <= cp < 0xE000:
                continue
            c = chr(cp)
            n = unicodedata.normalize("NFKC", c)
            if n != c:
                if len(n) == 1:
                    one[cp] = n
                else:
                    other.append(c)
    cls = "".join(re.escape(c) for c in other)
    return one, re.compile(f"[{cls}]")


def _nfkc(cur: NormalizedText) -> NormalizedText:
    one, other = _nfkc_tables()
    cur = _sub(cur, other, lambda m: unicodedata.normalize("NFKC", m.group()))
    translated = cur.text.translate(one)
    if translated is cur.text or translated == cur.text:
        return cur
    return NormalizedText(cur.original, translated, cur.starts, cur.ends)


# --- the passes -------------------------------------------------------------------------

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]+")
_CR = re.compile(r"\r\n?")
_MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9]{0,9}(?:\s[^<>\n]{0,200})?/?>")
_BR = re.compile(r"^br\b", re.I)

# Spaces inside a number, as PDF extraction leaves them: "532 .02", "82. 13".
_SPACE_IN_NUMBER = re.compile(r"(?<=\d) ++(?=\.\d)|(?<=\d\.) ++(?=\d)")
# Spaces between a number and its unit: "25.66 万元", "6.37 %", "13 人", "2021 年".
_UNIT_HEAD = "万亿千元%‰人个次辆张批台家件份场条年月日号天户例余多几"
_SPACE_BEFORE_UNIT = re.compile(rf"(?<=\d) ++(?=[{_UNIT_HEAD}])")
# Letter-spaced CJK ("医 疗 保 障 部 门"): at least four single ideographs one space apart
# (the last may open a word: "拨 款 收入").
_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_LETTER_SPACED = re.compile(rf"(?<![{_HAN}] )(?<![{_HAN}])[{_HAN}](?: [{_HAN}](?![{_HAN}])){{2,}}+(?: [{_HAN}])?+")

_LINE = re.compile(r"[^\n]*+\n?")
_SENTENCE_END = set("。!?;:！？；：")
_LIST_MARKER = re.compile(
    r"(?:[(（]?[一二三四五六七八九十]{1,3}[)）、]|[(（]\d{1,2}[)）]|\d{1,2} ?(?:[、)]|[.．](?!\d))|"
    r"第[一二三四五六七八九十]{1,3}部分|[①-⑳]|附件|注[:：]|[#>|*-])"
)

# Header fields of a table block (填报单位:507 …, 单位: 万元) stand on their own lines.
_HEADER_FIELD = re.compile(r"(?:填报单位|编制单位|预算单位|金额单位|单位)\s?[:：]")


def _unwrap_lines(cur: NormalizedText) -> NormalizedText:
    """Join a line break (with blank lines around it) that PDF extraction put inside a sentence."""
    text = cur.text
    lines: list[tuple[int, int]] = []  # content start, content end (stripped) of non-blank lines
    for m in _LINE.finditer(text):
        if m.start() == m.end():
            break
        a, b = m.start(), m.end()
        while a < b and text[a] in " \t\n":
            a += 1
        while b > a and text[b - 1] in " \t\n":
            b -= 1
        if b > a:
            lines.append((a, b))
    edits: list[Edit] = []
    for (pa, pb), (na, nb) in zip(lines, lines[1:]):
        gap = text[pb:na]
        if "\n" not in gap or "\t" in text[pa:pb] or "\t" in text[na:nb]:
            continue
        if "\t" in gap and gap.replace("\n", "").strip(" ") != "":
            continue
        last, first = text[pb - 1], text[na]
        if last == "万" and first == "元" or last in "万亿千" and text[na:na + 1] == "元":
            edits.append((pb, na, ""))
            continue
        if last in _SENTENCE_END or (last.isdigit() and first.isdigit()):
            continue
        if _LIST_MARKER.match(text, na) or text[pa] in "#|>":
            continue
        if _HEADER_FIELD.match(text, na) or _HEADER_FIELD.match(text, pa):
            continue
        prev = text[pa:pb]
        if _LIST_MARKER.match(text, pa) and len(prev) <= 25 and not any(c in prev for c in ",，。"):
            continue  # a heading line
        edits.append((pb, na, ""))
    return _apply(cur, edits)


def _markup(m: re.Match[str]) -> str:
    return "\n" if _BR.match(m.group().lstrip("</")) else ""


def _despace_letters(cur: NormalizedText) -> NormalizedText:
    """Delete the spaces of letter-spaced runs one by one, so each ideograph keeps its own
    offset (replacing the whole run would map every character to the run)."""
    edits: list[Edit] = []
    for m in _LETTER_SPACED.finditer(cur.text):
        edits.extend((i, i + 1, "") for i in range(m.start(), m.end()) if cur.text[i] == " ")
    return _apply(cur, edits)


# --- traditional script -------------------------------------------------------------------
# Copies printed in traditional script (mirror sites, some regions: 萬元, 預算, 決算, 總計) are read
# through a character-for-character map to simplified script (OpenCC's TSCharacters, in
# nlp/data/ts_characters.tsv): the length is kept, so the offset map is unchanged. The map is only
# applied to a text that is in traditional script (markers below), never to simplified text, where
# a few characters of the table are legitimate on their own.

_TS_TSV = __import__("pathlib").Path(__file__).parent / "data" / "ts_characters.tsv"
_TRADITIONAL_MARKERS = re.compile(r"[萬億預決總計財務與為這個國時實際報說經費開關點員產應數據級類項機構門單]")
_TRADITIONAL_MIN = 5  # marker characters that make a text traditional (and at least 1 per 200 Han characters)


@lru_cache(maxsize=1)
def traditional_map() -> dict[int, str]:
    """traditional code point → simplified string (read once; callers must not change it)."""
    out: dict[int, str] = {}
    with _TS_TSV.open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or "\t" not in line:
                continue
            t, s = line.rstrip("\n").split("\t")
            out[ord(t)] = s
    return out


@lru_cache(maxsize=1)
def traditional_chars() -> "re.Pattern[str]":
    """One character of the traditional→simplified table (a class: linear to scan)."""
    return re.compile("[" + "".join(re.escape(chr(k)) for k in sorted(traditional_map())) + "]")


def is_traditional(text: str) -> bool:
    markers = sum(1 for _ in _TRADITIONAL_MARKERS.finditer(text))
    if markers < _TRADITIONAL_MIN:
        return False
    han = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    return markers * 200 >= han


def _simplify(cur: NormalizedText) -> NormalizedText:
    if not is_traditional(cur.text):
        return cur
    return NormalizedText(cur.original, cur.text.translate(traditional_map()), cur.starts, cur.ends)


def normalize(text: str) -> NormalizedText:
    """Normalise fiscal text for extraction; see the module docstring for the guarantees."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    cur = _identity(text)
    cur = _sub(cur, _INVISIBLE, "")
    cur = _sub(cur, _CR, "\n")
    cur = _sub(cur, _MARKUP, _markup)
    cur = _nfkc(cur)
    cur = _simplify(cur)
    cur = _unwrap_lines(cur)
    cur = _sub(cur, _SPACE_IN_NUMBER, "")
    cur = _sub(cur, _SPACE_BEFORE_UNIT, "")
    cur = _despace_letters(cur)
    return cur


def spans_to_original(norm: NormalizedText, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    return [norm.to_original(s, e) for s, e in spans]

"""Clause segmentation: where the clause before a figure (its *lead*) starts, and which
separator (paragraph, sentence, statement, phrase) lies between two figures. Line breaks count
only where they end a line (a heading, a finished sentence), not where they wrap one.

The punctuation classes are data (``nlp/facts/cues/segments.json``)."""

from __future__ import annotations

import re
from typing import Optional

from nlp.facts.prose.cues import load

_CUES = load("segments")
CLAUSE_MARKS = _CUES["clause_marks"]
ENUMERATION = _CUES["enumeration_mark"]
SENTENCE_MARKS = _CUES["sentence_marks"]
STATEMENT_MARKS = _CUES["statement_marks"]
PHRASE_MARKS = _CUES["phrase_marks"]
LINE_STATEMENT_ENDS = _CUES["line_statement_ends"]
LINE_SENTENCE_ENDS = _CUES["line_sentence_ends"]
LINE_COMPLETE_ENDS = _CUES["line_complete_ends"]
SHORT_LINE = _CUES["short_line"]  # a line shorter than this is a heading or a label, not wrapped prose
HEADING_LINE = _CUES["heading_line"]
HEADING = re.compile(_CUES["heading"])
_LIST_CLOSE = re.compile(r"(?:^|[\s。;:,])[\d一二三四五六七八九十]{1,2}\)$")
_LOOKBACK = 400  # characters looked back for the line before a break: bounds the work per break
_RANK = {"": 0, ",": 1, ";": 2, "。": 3, "\n": 4}
_SEPARATOR_CHAR = re.compile("[" + re.escape("()\n" + SENTENCE_MARKS + STATEMENT_MARKS + PHRASE_MARKS) + "]")


def joined_break(norm, text: str, i: int) -> bool:
    """Whether the client's text had a line break, joined by normalisation (a wrapped line),
    just before normalised position ``i``."""
    if norm is None or not 0 < i < len(norm.starts) or text[i - 1] == "\n" or text[i] == "\n":
        return False
    a, b = norm.starts[i - 1], norm.starts[i]
    return b - a > 1 and "\n" in norm.original[a + 1: b]


def is_list_close(text: str, i: int) -> bool:
    """A ")" that closes a list marker such as "6)", not a parenthesis."""
    return text[i] == ")" and bool(_LIST_CLOSE.search(text[max(0, i - 4): i + 1]))


def local_lead(text: str, a: int, b: int, enumeration: bool = True) -> tuple[int, bool]:
    """Start of the clause that ends at ``b`` (scanning back no further than ``a``) and whether
    it opens inside parentheses. Separators inside parentheses do not count; a line break
    counts unless it only wraps a long line mid-sentence."""
    depth = 0
    i = b - 1
    while i >= a:
        c = text[i]
        if c == ")" and not is_list_close(text, i):
            depth += 1
        elif c == "(":
            if depth == 0:
                return i + 1, True
            depth -= 1
        elif depth == 0 and (c in CLAUSE_MARKS or c == ENUMERATION and enumeration or c == "\n" and hard_break(text, i)):
            return i + 1, False
        i -= 1
    return a, False


def line_before(text: str, i: int) -> Optional[str]:
    """The non-blank line ending before the line break at ``i`` (None after a long blank run)."""
    j = i
    floor = max(0, i - _LOOKBACK)
    while j > floor and text[j - 1] in " \t\n":
        j -= 1
    if j > 0 and text[j - 1] in " \t\n":
        return None
    line_start = text.rfind("\n", max(0, j - _LOOKBACK), j) + 1
    return text[line_start:j]


def hard_break(text: str, i: int) -> bool:
    """Whether the line break at ``i`` ends a line (heading, paragraph) rather than wraps one."""
    prev = line_before(text, i)
    if not prev or prev[-1] in LINE_COMPLETE_ENDS:
        return True
    # a heading ends its line, unless normalisation joined it to the paragraph after it
    return len(prev) < SHORT_LINE or bool(HEADING.match(prev)) and len(prev) <= HEADING_LINE


def break_kind(text: str, i: int) -> str:
    """A line break as a separator: a wrapped line is nothing, a line ending in ";" or "," is a
    statement break (lists run on over such lines), one after ":" a sentence break, any other
    a paragraph break."""
    if not hard_break(text, i):
        return ""
    prev = line_before(text, i)
    last = prev[-1] if prev else ""
    if last in LINE_STATEMENT_ENDS:
        return ";"
    if last in LINE_SENTENCE_ENDS:
        return "。"
    return "\n"


def separators(text: str, a: int, b: int) -> str:
    """The strongest separator between a and b outside parentheses: "\\n", "。", ";", "," or ""."""
    strongest = ""
    depth = 0
    blank_end = a  # a blank run after a line break is one decision: its breaks are passed over
    for m in _SEPARATOR_CHAR.finditer(text, a, b):  # only these characters can change the answer
        i = m.start()
        if i < blank_end:
            continue
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")" and not is_list_close(text, i):
            depth = max(0, depth - 1)
        elif depth == 0:
            if c == "\n":
                k = break_kind(text, i)
                j = i
                while j + 1 < b and text[j + 1] in " \t\n":
                    j += 1
                blank_end = j + 1
            else:
                k = "。" if c in SENTENCE_MARKS else ";" if c in STATEMENT_MARKS else "," if c in PHRASE_MARKS else ""
            if _RANK[k] > _RANK[strongest]:
                strongest = k
    return strongest

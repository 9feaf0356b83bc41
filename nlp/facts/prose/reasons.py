"""Stated causes (``主要原因是:…``): where each runs, so that figures inside it are read as part
of the cause, and the reason each fact of the statement is given. The cue words are data
(``nlp/facts/cues/reasons.json``)."""

from __future__ import annotations

import re
from bisect import bisect_left

from nlp.contract import Fact
from nlp.facts.prose.cues import load, words
from nlp.facts.prose.segments import hard_break, joined_break

_CUES = load("reasons")
REASON = re.compile(words("reasons", "cue"))
_REPEATED = re.compile(_CUES["repeated"])
_CAUSE_MARKS = _CUES["cause_marks"]
_STATEMENT_MARKS = _CUES["statement_marks"]
_MAX_CAUSE = _CUES["max_cause"]
_STATEMENT_REACH = _CUES["statement_reach"]


def reason_regions(text: str, norm=None, figures: list[int] = ()) -> list[tuple[int, int, str]]:
    """``主要原因是:…`` regions: (start of the cue, end of the cause, the cause).

    A cause ends at a line break that normalisation joined when the next line states a figure:
    PDF lists such as ``主要原因是:无出国安排`` / ``公务接待 2.57万元,…`` lose their breaks."""
    out = []
    pos = 0
    for m in REASON.finditer(text):
        if m.start() < pos:
            continue
        a = m.end()
        # the cause itself: skip ":" and blanks; a cue at a line end continues on the next line
        while a < len(text) and text[a] in ": \t":
            a += 1
        if a < len(text) and text[a] == "\n":
            while a < len(text) and text[a] in "\n \t":
                a += 1
        b = a
        while b < len(text) and text[b] not in _CAUSE_MARKS and b - a < _MAX_CAUSE:
            b += 1
        for j in range(a + 1, b):
            if joined_break(norm, text, j):
                clause_end = j
                while clause_end < b and text[clause_end] not in ",;。":
                    clause_end += 1
                # the new line must open with a name of its own ("公务接待 2.57万元"), not
                # continue a word ("公务用车保|有 0辆")
                k = bisect_left(figures, j)
                f = figures[k] if k < len(figures) else len(text)
                if f < clause_end and len(re.findall(r"[\u4e00-\u9fff]", text[j:f])) >= 2:
                    b = j
                    break
        cause = text[a:b]
        cause = _REPEATED.sub("", cause)  # "主要原因是:主要原因是没有此项支出"
        cause = "".join(cause.split()).strip(",:")
        out.append((m.start(), b, cause))
        pos = b
    return out


def attach_reasons(facts: list[Fact], text: str, reasons: list[tuple[int, int, str]]) -> None:
    """Give each fact of the statement a cause belongs to (facts before the cue, back to the
    previous statement mark or paragraph) that cause as its reason; ``facts`` are in text order."""
    starts = [f.evidence.start for f in facts]
    for ra, rb, cause in reasons:
        if not cause:
            continue
        a = ra
        floor = max(0, ra - _STATEMENT_REACH)
        while a > floor and text[a - 1] not in _STATEMENT_MARKS and not (text[a - 1] == "\n" and hard_break(text, a - 1)):
            a -= 1
        i = bisect_left(starts, a)
        while i < len(starts) and starts[i] < ra:
            if facts[i].reason is None:
                facts[i] = facts[i].model_copy(update={"reason": cause})
            i += 1

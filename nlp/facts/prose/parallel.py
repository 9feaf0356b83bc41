"""Parallel constructions: several figures said of several coordinated items at once
(``收、支总计各是 A、B 万元``, ``分别为…、…``, ``各减少 X、Y，各下降 P%、Q%``) or bare figures after ``、``
that share one trailing unit and one trigger. Each figure is its own fact about its own item, in
order. Cue words are data (``nlp/facts/cues/parallel.json``)."""

from __future__ import annotations

import re
from typing import Any, NamedTuple, Optional

from nlp.facts.prose.cues import load, words

_CUES = load("parallel")
COORD = re.compile(rf"(?<![各分])(?:{words('parallel', 'coordination')})")
_COORD_TAIL = re.compile(rf"(?:{words('parallel', 'coordination_tails')})\s?$")
_BETWEEN = re.compile(rf"(?:{words('parallel', 'between_comparison_and_trigger')})\s?$")
_SHORT_HEADS: dict[str, str] = dict(_CUES["short_heads"])


class SharedFrame(NamedTuple):
    """What the first figure of a coordination said, for the bare figures after it."""

    direction: Optional[str]
    template: bool
    measure: str
    base: Optional[str]
    label: str
    share_total: Optional[str]


def coordinated(lead: str, trig_at: Optional[int]) -> bool:
    """Whether the lead coordinates (各是, 分别为, 各下降…): looked for at its end, or around the trigger."""
    return bool(COORD.search(lead[-12:] if trig_at is None else lead[max(0, trig_at - 3):]))


def names_before_coordination(subject_part: str) -> str:
    """The coordinated names of a lead: what comes before its coordination word."""
    return _COORD_TAIL.sub("", COORD.split(subject_part)[0])


def between_words(phrase: str) -> str:
    """``比去年收、支总计各减少``: the item said between a comparison and the trigger, without a
    trailing coordination word."""
    return _BETWEEN.sub("", phrase)


def one_lead(text: str, lead_start: int, end: int) -> bool:
    """``收、支总计各是 X``: a lead that coordinates and starts right after ``、`` continues back
    over the enumeration (the coordinated names are one lead)."""
    return bool(COORD.search(text, lead_start, end)) and text[lead_start - 1: lead_start] == "、"


def split_coordination(subject: str) -> list[str]:
    """``收、支总计`` → ``收入总计``, ``支出总计``: parts share the tail of the last part."""
    parts = subject.split("、")
    k = max(len(p) for p in parts[:-1])
    last = parts[-1]
    tail = last[k:] if len(last) > k else ""
    heads = parts[:-1] + [last[:k] if tail else last]
    return [_SHORT_HEADS.get(h, h) + tail for h in heads]


class Parallel:
    """The coordinated items of the current statement, the next one a bare figure takes, and
    the frame the first figure set."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.topics: list[Any] = []
        self.next = 0
        self.frame: Optional[SharedFrame] = None

    def waiting(self) -> bool:
        """Whether an item is left for the next bare figure."""
        return bool(self.topics) and self.next < len(self.topics)

    def take(self):
        topic = self.topics[self.next]
        self.next += 1
        return topic

    def open(self, topics: list, frame: SharedFrame):
        """A new coordination: its items, the first one taken by the figure that opened it."""
        self.topics = topics
        return self.restart(frame)

    def restart(self, frame: SharedFrame):
        """``各增加 X、Y，各下降 P%、Q%``: the same items again, with another frame."""
        self.next = 1
        self.frame = frame
        return self.topics[0]

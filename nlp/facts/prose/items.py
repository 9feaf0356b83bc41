"""Items named elsewhere: a lead that names only an attribute (``预算金额``, ``年度预算安排``) is
about the item named before it (``“X”项目``, ``项目名称:X``) or by the heading of its section
(``(九)X项目情况说明``). Attribute words are data (``nlp/facts/cues/items.json``)."""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cached_property
from typing import Optional

from nlp.facts.prose.cues import load, words
from nlp.facts.prose.subjects import clean_subject

_CUES = load("items")
ATTRIBUTES: dict[str, Optional[str]] = dict(_CUES["attributes"])  # phrase -> the basis it states
SECTION_REACH = _CUES["section_reach"]  # how far back a section heading still names the item
_NAMED_ITEM = re.compile(r"“([^“”\n]{2,30})”\s?项目|项目名称\s?:\s?([^\s,。;:]{2,30})")
# a section heading's mark: "### **(九)", "三、"
_SECTION_MARK = r"^[#*\s]{0,8}(?:\([一二三四五六七八九十]{1,3}\)|[一二三四五六七八九十]{1,3}\s?、"
_SECTION_ITEM = re.compile(_SECTION_MARK + rf")\s?([^\n*()]{{2,30}}?)项目(?:{words('items', 'section_tails')})", re.M)
_SECTION = re.compile(_SECTION_MARK + r"|第[一二三四五六七八九十]{1,3}部分)", re.M)


class NamedItems:
    """The items a text names and its section headings, indexed on first use (only texts with an
    attribute figure pay for it)."""

    def __init__(self, text: str):
        self.text = text

    @cached_property
    def _named(self) -> list[tuple[int, str]]:
        return [(m.end(), m.group(1) or m.group(2)) for m in _NAMED_ITEM.finditer(self.text)]

    @cached_property
    def _sections(self) -> list[tuple[int, str]]:
        return [(m.end(), m.group(1)) for m in _SECTION_ITEM.finditer(self.text)]

    @cached_property
    def _section_starts(self) -> list[int]:
        return [m.start() for m in _SECTION.finditer(self.text)]

    def item_at(self, a: int, b: int) -> Optional[str]:
        """The item an attribute figure at ``b`` is about: the last one named (“X”项目, 项目名称:X)
        after ``a``, else the item of the section heading (X项目情况说明) the figure is in."""
        i = bisect_right(self._named, (b, "\uffff")) - 1
        if i >= 0 and self._named[i][0] > a:
            return clean_subject(self._named[i][1])[0]
        i = bisect_right(self._sections, (b, "\uffff")) - 1
        if i >= 0 and b - self._sections[i][0] <= SECTION_REACH:
            end = self._sections[i][0]
            k = bisect_right(self._section_starts, end)
            if k >= len(self._section_starts) or self._section_starts[k] >= b:  # still in that section
                return clean_subject(self._sections[i][1])[0]
        return None

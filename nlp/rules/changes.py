"""CHANGE: a change trigger that governs a figure, with its direction.

``增加 25.66 万元`` → increase, ``下降 100%`` → decrease, ``持平`` → flat (a figure is
implied: ``与上年持平``), and the form templates ``增加(减少)``, ``增长(下降)``, ``增(减)``
→ direction null with flag ``template`` (always: they are placeholders of the form, with
or without a figure after them). A trigger that governs no figure (``各项费用增加;``,
``减轻医药费用负担``) is narrative, not an entity.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from nlp.rules.base import RuleMatch

TEMPLATE = re.compile(r"增加\((?:减少|减)\)|增长\(下降\)|增\(减\)|增加/减少|增长/下降")
TRIGGER = re.compile(r"增加|增长|上升|提高|减少|下降|降低|持平|减")
_DIRECTIONS = {"增加": "increase", "增长": "increase", "上升": "increase", "提高": "increase",
               "减少": "decrease", "下降": "decrease", "降低": "decrease", "减": "decrease",
               "持平": "flat"}
# What may stand between a trigger and its figure: 增加了 5 万元, 下降为 3%, 提高到 90%.
_GAP = re.compile(r"[ \n]{0,6}+(?:了|为|到|至|约|近)?+[ \n]{0,6}+")
_FIGURES = {"AMOUNT", "PERCENT", "QUANTITY"}


def find_changes(text: str, figures: Iterable[RuleMatch]) -> Iterator[RuleMatch]:
    """Change triggers; ``figures`` are the numeric matches a trigger may govern."""
    figure_starts = {f.start for f in figures if f.label in _FIGURES}
    taken: list[tuple[int, int]] = []
    for m in TEMPLATE.finditer(text):
        taken.append((m.start(), m.end()))
        yield RuleMatch(m.start(), m.end(), "CHANGE", None, direction=None, flags=("template",), rule="change_template")
    ti = 0
    for m in TRIGGER.finditer(text):
        while ti < len(taken) and taken[ti][1] <= m.start():
            ti += 1
        if ti < len(taken) and taken[ti][0] < m.end():
            continue  # inside a template
        word = m.group()
        if word != "持平":
            gap = _GAP.match(text, m.end())
            if gap is None or gap.end() not in figure_starts:
                continue
        yield RuleMatch(m.start(), m.end(), "CHANGE", None, direction=_DIRECTIONS[word], rule="change")

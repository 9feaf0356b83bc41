"""UNIT: a unit declared on its own for the figures around it.

``单位：万元`` / ``金额单位: 元`` and a parenthesised unit after a label or alone in a
cell (``项目资金(万元)``, ``当年预算情况(万元)``, ``覆盖率(%)``) → the span of the unit,
value null, unit the unit as written. ``(项)``/``(款)``/``(类)`` are classification levels,
not units, and are never matched.
"""

from __future__ import annotations

import re
from typing import Iterator

from nlp.rules.base import RuleMatch

_DECLARABLE = r"万亿元|亿元|万元|千元|元|%|万人|人次|人|户|家|个|次|张|辆"
UNIT_LINE = re.compile(rf"(?:计量|金额|度量)?单位[ ]{{0,2}}:[ ]{{0,3}}(?P<unit>{_DECLARABLE})(?![\w/])")
UNIT_PAREN = re.compile(rf"\([ ]{{0,2}}(?P<unit>{_DECLARABLE})[ ]{{0,2}}\)")


def find_units(text: str) -> Iterator[RuleMatch]:
    for pattern, rule in ((UNIT_LINE, "unit_line"), (UNIT_PAREN, "unit_paren")):
        for m in pattern.finditer(text):
            unit = m.group("unit")
            yield RuleMatch(m.start("unit"), m.end("unit"), "UNIT", None, unit, rule=rule)

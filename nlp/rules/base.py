"""The rule match type and the character classes the rule patterns share.

Rules work on plain normalised text (``doc.text``) and know nothing of spaCy: each
``find_*`` function takes a string and returns :class:`RuleMatch` objects, so they can be
tested and benchmarked alone. The ``fiscal_rules`` component turns them into spans.

Linear time: every pattern opens with a negative look-behind of its own first character
class (finditer never restarts inside a run it already scanned) and uses possessive or
bounded repetition only, so no input makes a pattern backtrack more than a constant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

HAN = "\u3400-\u4dbf\u4e00-\u9fff"
HAN_DIGIT = "零〇一二两三四五六七八九"
HAN_NUMERAL = HAN_DIGIT + "十百千万亿"  # every character a Chinese numeral may contain


@dataclass(frozen=True, slots=True)
class RuleMatch:
    start: int
    end: int
    label: str
    value: Optional[str] = None
    unit: Optional[str] = None
    direction: Optional[str] = None
    flags: tuple[str, ...] = ()
    score: float = 1.0
    rule: str = ""  # which rule fired (debugging, docs/rules.md)

    def overlaps(self, other: "RuleMatch") -> bool:
        return self.start < other.end and other.start < self.end

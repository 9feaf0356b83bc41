"""Topics: the things the prose talks about, each with its figures by measure and basis, which
lists, links and inheritance of subjects work on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from nlp.facts.prose.cues import words

RECENT = 300  # how far back (facts, topics) a list or a share looks for its whole
WHOLE = re.compile(rf"(?:{words('lists', 'whole_words')})$")  # a paragraph's whole: 收入预算总额


@dataclass
class Topic:
    """One thing the prose talks about: its figures by measure and basis."""

    subject: Optional[str]
    score: float
    amounts: dict[Optional[str], int] = field(default_factory=dict)  # basis -> fact index
    unit: Optional[str] = None
    change: Optional[int] = None  # the last change fact, if after the last amount
    code: Optional[str] = None


def pick_amount(topic: Topic) -> Optional[int]:
    """The topic's amount: as stated without a basis, else its actual, else its budget."""
    for b in (None, "actual", "budget"):
        if b in topic.amounts:
            return topic.amounts[b]
    return None

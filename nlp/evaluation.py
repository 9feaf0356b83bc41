"""Scoring predictions against gold: entities per label, facts per measure.

Entities match on exact (start, end, label) in original offsets. A predicted fact matches a
gold one when measure, value, unit, period, direction and column agree and the subjects agree
after normalisation (NFKC, no whitespace, no markup); matching is one-to-one.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from nlp.contract import LABELS, MEASURES

_MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9]{0,9}>")
_WS = re.compile(r"\s+")


def normalize_subject(subject: str | None) -> str:
    if not subject:
        return ""
    s = unicodedata.normalize("NFKC", subject)
    s = _MARKUP.sub("", s)
    return _WS.sub("", s)


def _num(value: Any) -> Any:
    try:
        return Decimal(str(value)).normalize()
    except (InvalidOperation, ValueError):
        return value


def fact_key(f: dict[str, Any]) -> tuple:
    return (
        f.get("measure"),
        _num(f.get("value")),
        f.get("unit"),
        f.get("period"),
        f.get("direction"),
        f.get("column") or None,
        normalize_subject(f.get("subject")),
    )


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: "PRF") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def as_dict(self) -> dict[str, float | int]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "tp": self.tp, "fp": self.fp, "fn": self.fn, "support": self.tp + self.fn}


@dataclass
class Scores:
    by_key: dict[str, PRF] = field(default_factory=lambda: defaultdict(PRF))

    def overall(self) -> PRF:
        total = PRF()
        for prf in self.by_key.values():
            total.add(prf)
        return total

    def merge(self, other: "Scores") -> None:
        for k, prf in other.by_key.items():
            self.by_key[k].add(prf)

    def as_dict(self, keys: Iterable[str]) -> dict[str, Any]:
        out = {k: self.by_key[k].as_dict() for k in keys if k in self.by_key}
        out["overall"] = self.overall().as_dict()
        return out


def _match(pred: list[tuple], gold: list[tuple], group: int) -> Scores:
    """One-to-one matching of hashable keys; ``group`` is the tuple index giving the label/measure."""
    scores = Scores()
    remaining = Counter(gold)
    for key in pred:
        if remaining[key] > 0:
            remaining[key] -= 1
            scores.by_key[key[group]].tp += 1
        else:
            scores.by_key[key[group]].fp += 1
    for key, n in remaining.items():
        if n > 0:
            scores.by_key[key[group]].fn += n
    return scores


def score_entities(pred: list[dict[str, Any]], gold: Iterable[Any]) -> Scores:
    p = [(e["start"], e["end"], e["label"]) for e in pred]
    g = [(s.start, s.end, s.label) for s in gold]
    return _match(p, g, 2)


def score_facts(pred: list[dict[str, Any]], gold: list[dict[str, Any]], lenient: bool = False) -> Scores:
    """Strict: the subjects agree after normalisation. Lenient: a fact that found no strict
    partner may still match one whose subject contains its subject or is contained in it
    (``收入总计`` and ``本年收入总计``), all other fields agreeing; still one-to-one."""
    pk, gk = [fact_key(f) for f in pred], [fact_key(f) for f in gold]
    if not lenient:
        return _match(pk, gk, 0)
    scores = Scores()
    remaining = Counter(gk)
    unmatched = []
    for key in pk:
        if remaining[key] > 0:
            remaining[key] -= 1
            scores.by_key[key[0]].tp += 1
        else:
            unmatched.append(key)
    for key in unmatched:
        partner = next((g for g, n in remaining.items() if n > 0 and g[:-1] == key[:-1]
                        and subjects_agree_leniently(key[-1], g[-1])), None)
        if partner is None:
            scores.by_key[key[0]].fp += 1
        else:
            remaining[partner] -= 1
            scores.by_key[key[0]].tp += 1
    for key, n in remaining.items():
        if n > 0:
            scores.by_key[key[0]].fn += n
    return scores


def subjects_agree_leniently(a: str, b: str) -> bool:
    """Normalised subjects that are equal, or one inside the other (at least two characters)."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 2 and short in long_


ENTITY_KEYS = LABELS
FACT_KEYS = MEASURES

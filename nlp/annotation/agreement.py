"""Inter-annotator agreement between two sets of annotated records.

Two measures, both computed only over the records that both annotators have (matched by
``(doc_id, record_id)``; a record whose text differs between the two is an error, not a
disagreement):

- **span F1** — exact match of ``(start, end, label)``. Annotator A is taken as the
  reference: precision = matched / spans of B, recall = matched / spans of A; F1 is
  symmetric, so swapping A and B swaps P and R and keeps F1. Reported overall and per label.
- **Cohen's kappa** — every unit (a character, or a token of the fiscal tokenizer) gets
  one category per annotator: the label of the span that covers it, or ``O``.
  kappa = (p_o − p_e) / (1 − p_e), with p_o the observed agreement and p_e the chance
  agreement from each annotator's own category frequencies. Whitespace units are skipped
  (nobody annotates them and they would inflate p_o). When p_e = 1 (both annotators gave
  every unit the same single category) kappa is 1 if they agree everywhere.

Character level is the default because it needs no tokenizer and rewards partial overlap;
token level (``unit="token"``) is closer to what a BIO tagger learns.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

OUTSIDE = "O"


class AgreementError(ValueError):
    """The two files cannot be compared (e.g. the same record with different text)."""


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass
class Agreement:
    records: int
    only_a: int
    only_b: int
    spans: PRF
    per_label: dict[str, PRF]
    kappa: float
    unit: str
    units: int
    observed: float
    expected: float
    confusion: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "records_compared": self.records,
            "records_only_in_a": self.only_a,
            "records_only_in_b": self.only_b,
            "spans": self.spans.as_dict(),
            "per_label": {k: v.as_dict() for k, v in sorted(self.per_label.items())},
            "kappa": round(self.kappa, 4),
            "kappa_unit": self.unit,
            "units": self.units,
            "observed_agreement": round(self.observed, 4),
            "expected_agreement": round(self.expected, 4),
            "disagreements": [
                {"a": a, "b": b, "units": n} for (a, b), n in self.confusion.most_common() if a != b
            ][:20],
        }


def _key(rec: Mapping[str, Any]) -> tuple[str, str]:
    return (str(rec["doc_id"]), str(rec["record_id"]))


def _span_set(rec: Mapping[str, Any]) -> set[tuple[int, int, str]]:
    return {(int(s["start"]), int(s["end"]), str(s["label"])) for s in rec.get("spans") or ()}


def char_units(text: str) -> list[tuple[int, int]]:
    return [(i, i + 1) for i, c in enumerate(text) if not c.isspace()]


def token_units(text: str) -> list[tuple[int, int]]:
    from nlp.annotation.interchange.common import token_offsets

    return [(a, b) for a, b in token_offsets(text) if text[a:b].strip()]


def _categories(units: list[tuple[int, int]], spans: Iterable[tuple[int, int, str]]) -> list[str]:
    """The label covering each unit (a unit belongs to a span if the span covers its first character)."""
    cats = [OUTSIDE] * len(units)
    starts = [a for a, _ in units]
    import bisect

    for s, e, label in sorted(spans):
        i = bisect.bisect_left(starts, s)
        while i < len(units) and units[i][0] < e:
            cats[i] = label
            i += 1
    return cats


def cohen_kappa(pairs: Counter) -> tuple[float, float, float]:
    """(kappa, p_o, p_e) from a Counter of (category_a, category_b) → count."""
    n = sum(pairs.values())
    if n == 0:
        return 1.0, 1.0, 1.0
    agree = sum(c for (a, b), c in pairs.items() if a == b)
    pa: Counter = Counter()
    pb: Counter = Counter()
    for (a, b), c in pairs.items():
        pa[a] += c
        pb[b] += c
    p_o = agree / n
    p_e = sum(pa[k] * pb[k] for k in pa) / (n * n)
    if p_e >= 1.0:
        return (1.0 if p_o >= 1.0 else 0.0), p_o, p_e
    return (p_o - p_e) / (1 - p_e), p_o, p_e


def agreement(a: Iterable[Mapping[str, Any]], b: Iterable[Mapping[str, Any]], unit: str = "char") -> Agreement:
    if unit not in ("char", "token"):
        raise ValueError(f"unit must be 'char' or 'token', not {unit!r}")
    units_of: Callable[[str], list[tuple[int, int]]] = char_units if unit == "char" else token_units
    ra = {_key(r): r for r in a}
    rb = {_key(r): r for r in b}
    common = sorted(set(ra) & set(rb))
    overall = PRF()
    per_label: dict[str, PRF] = {}
    pairs: Counter = Counter()
    for k in common:
        x, y = ra[k], rb[k]
        if x["text"] != y["text"]:
            raise AgreementError(f"record {k[0]}/{k[1]}: the two files have different text for it")
        sa, sb = _span_set(x), _span_set(y)
        for s in sa | sb:
            prf = per_label.setdefault(s[2], PRF())
            if s in sa and s in sb:
                overall.tp += 1
                prf.tp += 1
            elif s in sb:
                overall.fp += 1
                prf.fp += 1
            else:
                overall.fn += 1
                prf.fn += 1
        units = units_of(x["text"])
        pairs.update(zip(_categories(units, sa), _categories(units, sb)))
    kappa, p_o, p_e = cohen_kappa(pairs)
    return Agreement(
        records=len(common), only_a=len(set(ra) - set(rb)), only_b=len(set(rb) - set(ra)),
        spans=overall, per_label=per_label, kappa=kappa, unit=unit, units=sum(pairs.values()),
        observed=p_o, expected=p_e, confusion=pairs,
    )

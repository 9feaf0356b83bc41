"""Which paragraph to annotate next: the ones where a correction teaches the most.

Every record (paragraph or table block) not yet covered by a reviewed gold record is
scored from three signals, each with its reason:

- **disagreement** between the rules (``Extractor.rules_only()``) and the model
  (``Extractor.load()``): each entity one of them has and the other has not (same
  offsets and label) counts ``W_DISAGREE``; a span found by both with different labels
  counts once, not twice;
- **low scores**: each model entity with score below ``LOW_SCORE`` adds ``1 - score``;
- **failed checks**: each arithmetic check whose evidence lies in the record adds
  ``W_CHECK`` (a check is a claim the text contradicts: the annotation there is the most
  likely to be wrong).

Records with no entity at all from either extractor are not queued (nothing to correct).
Ties keep document order; records with no signal at all come last, most entities first.
When no trained model exists, ``Extractor.load()`` is the rules
pipeline and disagreement is zero; the queue then ranks by scores and checks only, and
says so.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence

from nlp.annotation.records import Record

from nlp.annotation.interchange.preannotate import preannotate

W_DISAGREE = 1.0
W_CHECK = 2.0
LOW_SCORE = 0.6


@dataclass
class Candidate:
    doc_id: str
    record_id: str
    offset: int
    text: str
    priority: float
    reasons: list[str] = field(default_factory=list)
    entities: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "record_id": self.record_id, "offset": self.offset,
                "priority": round(self.priority, 4), "entities": self.entities, "reasons": self.reasons,
                "text": self.text}


def _in(records: Sequence[Record], starts: list[int], start: int, end: int) -> Optional[int]:
    i = bisect_right(starts, start) - 1
    if i < 0 or end > records[i].end:
        return None
    return i


def _reviewed(gold: Sequence[Record]) -> list[tuple[int, int]]:
    return sorted((r.offset, r.end) for r in gold if r.status == "reviewed")


def _covered(ranges: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(a <= start and end <= b for a, b in ranges)


def score_document(doc_id: str, text: str, rules_result: Mapping[str, Any], model_result: Mapping[str, Any],
                   gold: Sequence[Record] = (), same_model: bool = False) -> list[Candidate]:
    """Candidates for one document (records not covered by reviewed gold)."""
    pre = preannotate(doc_id, text, model_result, existing=gold or None)
    records = sorted(pre.records, key=lambda r: r.offset)
    starts = [r.offset for r in records]
    reviewed = _reviewed(gold)
    cands = [Candidate(doc_id, r.record_id, r.offset, r.text, 0.0) for r in records]
    rule_ents = {(e["start"], e["end"], e["label"]): e for e in rules_result.get("entities", [])}
    model_ents = {(e["start"], e["end"], e["label"]): e for e in model_result.get("entities", [])}
    n_entities = [0] * len(records)
    if not same_model:
        model_offsets = {(s, e): lab for s, e, lab in model_ents}
        rule_offsets = {(s, e): lab for s, e, lab in rule_ents}
        for key in sorted(set(rule_ents) ^ set(model_ents)):
            s, e, lab = key
            i = _in(records, starts, s, e)
            if i is None:
                continue
            in_rules = key in rule_ents
            other = (model_offsets if in_rules else rule_offsets).get((s, e))
            if other is not None and not in_rules:
                continue  # a relabelled span: counted once, from the rules' side
            ent = (rule_ents if in_rules else model_ents)[key]
            cands[i].priority += W_DISAGREE
            if other is not None:
                cands[i].reasons.append(f"rules say {lab}, model says {other}: {ent['text']!r}")
            else:
                cands[i].reasons.append(f"only the {'rules' if in_rules else 'model'} find {lab} {ent['text']!r}")
    for key, ent in model_ents.items():
        i = _in(records, starts, key[0], key[1])
        if i is None:
            continue
        n_entities[i] += 1
        score = float(ent.get("score", 1.0))
        if score < LOW_SCORE:
            cands[i].priority += 1.0 - score
            cands[i].reasons.append(f"low score {score:.2f} for {key[2]} {ent['text']!r}")
    for key in rule_ents:
        i = _in(records, starts, key[0], key[1])
        if i is not None and key not in model_ents:
            n_entities[i] += 1
    for check in model_result.get("checks", []):
        hit = set()
        for ev in check.get("evidence") or []:
            i = _in(records, starts, ev["start"], ev["end"])
            if i is not None:
                hit.add(i)
        for i in hit:
            cands[i].priority += W_CHECK
            cands[i].reasons.append(f"failed check {check.get('kind')}: {check.get('message')}")
    out = []
    for c, r, n in zip(cands, records, n_entities):
        if n and not _covered(reviewed, r.offset, r.end):
            if not c.reasons:
                c.reasons.append(f"not reviewed yet; {n} pre-annotated entities, no disagreement, no failed check")
            c.entities = n
            out.append(c)
    return out


def rank(documents: Iterable[tuple[str, str]], rules, model, gold: Mapping[str, Sequence[Record]] | None = None,
         top: int = 20) -> tuple[list[Candidate], bool]:
    """Top ``top`` candidates over ``documents`` ((doc_id, text) pairs); also whether the
    model and the rules are the same pipeline (no disagreement signal)."""
    gold = gold or {}
    same = rules.model_info == model.model_info
    out: list[Candidate] = []
    for doc_id, text in documents:
        rr = rules.extract(text, doc_id)
        mr = rr if same else model.extract(text, doc_id)
        for c in score_document(doc_id, text, rr, mr, gold.get(doc_id, ()), same_model=same):
            out.append(c)
    # Stable sort: ties stay in document order; among records with no signal, the ones
    # with more pre-annotated entities first (more to check per paragraph read).
    out.sort(key=lambda c: (-c.priority, -c.entities if c.priority == 0 else 0))
    return out[:top], same

"""Model pre-annotations as gold-shaped records (status ``pre``), ready to export.

When a document already has records (in the gold or the pre-annotations), the same
segmentation and ``record_id``s are reused, so an import lands on the right records;
otherwise the document is segmented with ``records.segment_source``. Each entity goes
to the record that contains it; an entity that straddles two existing records cannot be
represented and is reported (never silently dropped). What the model gives that an
annotator could not accept as it is (overlapping spans, facts the gold's checks refuse) is
``nlp.annotation.new_document.reviewable``'s business.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

from nlp.annotation.records import FACT_FIELDS, GoldFact, GoldSpan, Record, records_from_result


@dataclass
class PreAnnotation:
    records: list[Record]
    scores: dict[str, dict[tuple[int, int, str], float]] = field(default_factory=dict)  # record_id -> span -> score
    warnings: list[str] = field(default_factory=list)  # entities and facts not exported (record boundaries)


def preannotate(doc_id: str, text: str, result: Mapping[str, Any],
                existing: Optional[Sequence[Record]] = None) -> PreAnnotation:
    """Records for ``text`` from an extractor ``result`` (the contract dict over ``text``)."""
    if existing:
        out = _onto_existing(doc_id, text, result, existing)
    else:
        out = PreAnnotation(records_from_result(doc_id, text, result, status="pre"))
    # Scores per span (the record files do not keep them; Label Studio shows them).
    by_doc = {(e["start"], e["end"], e["label"]): float(e.get("score", 1.0)) for e in result.get("entities", [])}
    for r in out.records:
        sc = {}
        for s in r.spans:
            key = (r.offset + s.start, r.offset + s.end, s.label)
            if key in by_doc:
                sc[(s.start, s.end, s.label)] = by_doc[key]
        out.scores[r.record_id] = sc
    return out


def _onto_existing(doc_id: str, text: str, result: Mapping[str, Any], existing: Sequence[Record]) -> PreAnnotation:
    shells = sorted(existing, key=lambda r: r.offset)
    records = [Record(doc_id, r.record_id, r.offset, r.text, r.kind, status="pre", notes=r.notes) for r in shells]
    for r in records:
        if text[r.offset:r.end] != r.text:
            raise ValueError(f"{doc_id}/{r.record_id}: the existing record's text is not the document's text at {r.offset}")
    starts = [r.offset for r in records]
    dropped: list[str] = []

    def owner(start: int, end: int) -> Optional[Record]:
        i = bisect_right(starts, start) - 1
        if i < 0 or end > records[i].end:
            return None
        return records[i]

    for e in result.get("entities", []):
        r = owner(e["start"], e["end"])
        if r is None:
            dropped.append(f"{doc_id} [{e['start']},{e['end']}) {e['label']} {e['text']!r}: not exported, crosses a record boundary")
            continue
        s, t = e["start"] - r.offset, e["end"] - r.offset
        r.spans.append(GoldSpan(s, t, e["label"], r.text[s:t], e.get("value"), e.get("unit"), e.get("direction"),
                                list(e.get("flags") or [])))
    for f in result.get("facts", []):
        ev = f["evidence"]
        r = owner(ev["start"], ev["end"])
        if r is None:
            dropped.append(f"{doc_id} fact {f.get('subject')!r} {f.get('measure')} at [{ev['start']},{ev['end']}): not exported, crosses a record boundary")
            continue
        d = {k: f.get(k) for k in FACT_FIELDS if k != "evidence"}
        d["flags"] = list(f.get("flags") or [])
        d["evidence"] = {"start": ev["start"] - r.offset, "end": ev["end"] - r.offset}
        r.facts.append(GoldFact.from_dict(d))
    for r in records:
        r.sort()
    return PreAnnotation(records, warnings=dropped)

"""doccano sequence labelling with relations: JSONL, one record per line.

We write what a doccano *Sequence Labeling* project with *relation labeling* imports and
exports: ``{"text": ..., "entities": [{"id", "start_offset", "end_offset", "label"}],
"relations": [{"id", "from_id", "to_id", "type"}]}``; doccano keeps every other key as the
example's metadata and writes it back on export. A plain ``"label": [[start, end, "LABEL"]]``
line (a project without relations) is read too.

Facts are relations from the figure entity to its ``subject``, ``code``, ``period`` and
``base_period`` entities (``common.encode_facts``). doccano cannot show span or fact
attributes, so they travel in the metadata, keyed by offsets and label: ``span_attrs``
(value/unit/direction/flags) and ``fact_attrs`` (measure, direction, basis, column, ... and
the fields no span shows). A span the annotator keeps keeps them; a new or moved span comes
back without them (the importer reports it). A relation drawn from a new figure makes an
``amount`` fact of an AMOUNT or QUANTITY (a PERCENT's measure cannot be told: Label Studio).
Facts no figure entity holds travel in ``record.facts``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from .common import (
    BASE_KEY,
    CHECK_FLAGS,
    InterchangeError,
    ReadResult,
    SPAN_ATTRS,
    decode_facts,
    encode_facts,
    fact_sort_key,
    check_span_shape,
    json_lines,
    full_span,
    record_meta,
    spans_fingerprint,
    relation_objects,
)

NAME = "doccano"
SUFFIX = ".jsonl"
META_KEY = "record"
ATTRS_KEY = "span_attrs"
FACT_ATTRS_KEY = "fact_attrs"


def to_line(rec: Mapping[str, Any]) -> dict[str, Any]:
    spans = rec.get("spans") or []
    links, leftover = encode_facts(spans, rec.get("facts") or [])
    meta = record_meta(rec)
    meta["facts"] = leftover
    relations = [{"id": n, "from_id": link.figure, "to_id": tgt, "type": label}
                 for n, (link, (tgt, label)) in enumerate((lk, r) for lk in links for r in lk.relations)]
    fact_attrs = []
    for link in links:
        s = spans[link.figure]
        fact_attrs.append([s["start"], s["end"], s["label"], {**link.attrs, **({"hints": link.hints} if link.hints else {})}])
    return {
        "text": rec["text"],
        "entities": [{"id": i, "start_offset": s["start"], "end_offset": s["end"], "label": s["label"]}
                     for i, s in enumerate(spans)],
        "relations": relations,
        "record_id": rec["record_id"],
        META_KEY: meta,
        ATTRS_KEY: [[s["start"], s["end"], s["label"], {k: s.get(k) for k in SPAN_ATTRS}] for s in spans],
        FACT_ATTRS_KEY: fact_attrs,
        BASE_KEY: spans_fingerprint(spans),
    }


def dump(records: Sequence[Mapping[str, Any]], path: Path, **_: Any) -> list[Path]:
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(to_line(r), ensure_ascii=False) + "\n")
    return [path]


def _labels(d: Mapping[str, Any], where: str) -> list[tuple[Any, Any, Any, Any]]:
    """``(start, end, label, entity id)`` of each entity."""
    if "entities" in d and isinstance(d["entities"], list):
        out = []
        for e in d["entities"]:
            if not isinstance(e, Mapping):
                raise InterchangeError(where, f"entity is not an object: {e!r}")
            out.append((e.get("start_offset"), e.get("end_offset"), e.get("label"), e.get("id")))
        return out
    raw = d.get("label", d.get("labels", []))
    if not isinstance(raw, list):
        raise InterchangeError(where, "'label' must be a list of [start, end, label]")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise InterchangeError(where, f"label item {item!r} is not [start, end, label]")
        out.append((*item, None))
    return out


def _keyed(items: Any) -> dict[tuple, Mapping[str, Any]]:
    out = {}
    for item in items or []:
        if isinstance(item, list) and len(item) == 4 and isinstance(item[3], Mapping):
            out[(item[0], item[1], item[2])] = item[3]
    return out


def from_line(d: Mapping[str, Any], where: str) -> dict[str, Any]:
    text = d.get("text")
    if not isinstance(text, str):
        raise InterchangeError(where, "line has no 'text'")
    meta = d.get(META_KEY)
    if not isinstance(meta, Mapping) or "doc_id" not in meta or "record_id" not in meta:
        raise InterchangeError(where, f"line has no '{META_KEY}' metadata with doc_id and record_id (was it exported by fiscal-extract?)")
    where = f"{where} {meta['doc_id']}/{meta['record_id']}"
    attrs = _keyed(d.get(ATTRS_KEY))
    fact_attrs = _keyed(d.get(FACT_ATTRS_KEY))
    spans, ids = [], {}
    labels = _labels(d, where)
    for start, end, label, eid in labels:
        check_span_shape(where, text, start, end, label)
        if eid is not None:
            if eid in ids:
                raise InterchangeError(where, f"two entities share the id {eid!r}")
            ids[eid] = len(spans)
        spans.append(full_span(start, end, label, text, attrs.get((start, end, label))))
    relations = []
    for r in relation_objects(where, d):
        missing = [x for x in (r.get("from_id"), r.get("to_id")) if x not in ids]
        if missing:
            raise InterchangeError(where, f"relation {r.get('id')} ({r.get('type')}): no entity with id {missing}")
        relations.append((ids[r["from_id"]], ids[r["to_id"]], r.get("type")))
    figure_attrs, hints = {}, {}
    for i, s in enumerate(spans):
        a = fact_attrs.get((s["start"], s["end"], s["label"]))
        if a is not None:
            a = dict(a)
            hints[i] = [x for x in a.pop("hints", None) or [] if x in CHECK_FLAGS]
            figure_attrs[i] = a
    for a, b, _ in relations:  # a new figure with relations: an amount fact where that is the only measure it can be
        fig = next((x for x in (a, b) if spans[x]["label"] in ("AMOUNT", "QUANTITY")), None)
        if fig is not None and fig not in figure_attrs:
            figure_attrs[fig] = {"measure": "amount"}
    names = [f"entity {eid}" for *_, eid in labels]
    facts = decode_facts(where, spans, figure_attrs, relations, hints, names)
    kept = [f for f in (meta.get("facts") or []) if isinstance(f, Mapping)]
    rec = dict(meta)
    rec["text"] = text
    rec["spans"] = spans
    rec["facts"] = sorted([*facts, *kept], key=fact_sort_key)
    rec[BASE_KEY] = d.get(BASE_KEY)
    return rec


def load(path: Path, accept_predictions: bool = False) -> ReadResult:
    out = ReadResult()
    for where, d in json_lines(path):
        if not isinstance(d, Mapping):
            raise InterchangeError(where, "line is not a JSON object")
        out.records.append(from_line(d, where))
    return out

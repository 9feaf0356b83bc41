"""doccano sequence labelling: JSONL, one record per line.

doccano imports ``{"text": ..., "label": [[start, end, "LABEL"], ...]}`` and keeps every
other key as the example's metadata, which it writes back on export. Its export is either
the same ``label`` list or, in projects with relations, ``"entities": [{"start_offset",
"end_offset", "label", ...}]``; both are read.

doccano cannot show span attributes, so they travel in the metadata ``span_attrs``
(keyed by offsets and label): a span the annotator keeps keeps its value/unit/direction/
flags; a new or moved span comes back without them (the importer reports it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from .common import (
    BASE_KEY,
    InterchangeError,
    ReadResult,
    SPAN_ATTRS,
    check_span_shape,
    json_lines,
    full_span,
    record_meta,
    spans_fingerprint,
)

NAME = "doccano"
SUFFIX = ".jsonl"
META_KEY = "record"
ATTRS_KEY = "span_attrs"


def to_line(rec: Mapping[str, Any]) -> dict[str, Any]:
    spans = rec.get("spans") or []
    return {
        "text": rec["text"],
        "label": [[s["start"], s["end"], s["label"]] for s in spans],
        "record_id": rec["record_id"],
        META_KEY: record_meta(rec),
        ATTRS_KEY: [[s["start"], s["end"], s["label"], {k: s.get(k) for k in SPAN_ATTRS}] for s in spans],
        BASE_KEY: spans_fingerprint(spans),
    }


def dump(records: Sequence[Mapping[str, Any]], path: Path, **_: Any) -> list[Path]:
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(to_line(r), ensure_ascii=False) + "\n")
    return [path]


def _labels(d: Mapping[str, Any], where: str) -> list[tuple[Any, Any, Any]]:
    if "entities" in d and isinstance(d["entities"], list):
        out = []
        for e in d["entities"]:
            if not isinstance(e, Mapping):
                raise InterchangeError(where, f"entity is not an object: {e!r}")
            out.append((e.get("start_offset"), e.get("end_offset"), e.get("label")))
        return out
    raw = d.get("label", d.get("labels", []))
    if not isinstance(raw, list):
        raise InterchangeError(where, "'label' must be a list of [start, end, label]")
    out = []
    for item in raw:
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise InterchangeError(where, f"label item {item!r} is not [start, end, label]")
        out.append(tuple(item))
    return out


def from_line(d: Mapping[str, Any], where: str) -> dict[str, Any]:
    text = d.get("text")
    if not isinstance(text, str):
        raise InterchangeError(where, "line has no 'text'")
    meta = d.get(META_KEY)
    if not isinstance(meta, Mapping) or "doc_id" not in meta or "record_id" not in meta:
        raise InterchangeError(where, f"line has no '{META_KEY}' metadata with doc_id and record_id (was it exported by fiscal-extract?)")
    where = f"{where} {meta['doc_id']}/{meta['record_id']}"
    attrs = {}
    for item in d.get(ATTRS_KEY) or []:
        if isinstance(item, list) and len(item) == 4 and isinstance(item[3], Mapping):
            attrs[(item[0], item[1], item[2])] = item[3]
    spans = []
    for start, end, label in _labels(d, where):
        check_span_shape(where, text, start, end, label)
        spans.append(full_span(start, end, label, text, attrs.get((start, end, label))))
    rec = dict(meta)
    rec["text"] = text
    rec["spans"] = spans
    rec[BASE_KEY] = d.get(BASE_KEY)
    return rec


def load(path: Path, accept_predictions: bool = False) -> ReadResult:
    out = ReadResult()
    for where, d in json_lines(path):
        if not isinstance(d, Mapping):
            raise InterchangeError(where, "line is not a JSON object")
        out.records.append(from_line(d, where))
    return out

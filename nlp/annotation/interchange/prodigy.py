"""Prodigy span tasks (``ner.manual`` / ``spans.manual``): JSONL, one record per line.

::

    {"text": ..., "tokens": [{"text", "start", "end", "id", "ws"}],
     "spans": [{"start", "end", "label", "token_start", "token_end", "value", "unit", ...}],
     "meta": {"doc_id", "record_id", "kind"}, "record": {...all record fields...},
     "_input_hash", "_task_hash", "answer": "accept"}

Tokens come from the fiscal tokenizer, cut at every span boundary so that manual
annotation can reproduce every gold span. Prodigy keeps unknown keys on tasks and spans,
so the span attributes ride on the span dicts. On import, ``answer`` decides: ``accept``
→ reviewed, ``reject``/``ignore`` → skipped (reported), no answer → an unreviewed
pre-annotation (taken only with ``accept_predictions``).
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
    stable_int_hash,
    token_offsets,
)

NAME = "prodigy"
SUFFIX = ".jsonl"
META_KEY = "record"


def to_task(rec: Mapping[str, Any]) -> dict[str, Any]:
    text = rec["text"]
    spans = rec.get("spans") or []
    toks = token_offsets(text, [c for s in spans for c in (s["start"], s["end"])])
    index = {a: i for i, (a, _) in enumerate(toks)}
    ends = {b: i for i, (_, b) in enumerate(toks)}
    tokens = [{"text": text[a:b], "start": a, "end": b, "id": i, "ws": False} for i, (a, b) in enumerate(toks)]
    out_spans = []
    for s in spans:
        d = {"start": s["start"], "end": s["end"], "label": s["label"], "text": text[s["start"]:s["end"]],
             "token_start": index[s["start"]], "token_end": ends[s["end"]]}
        d.update({k: s.get(k) for k in SPAN_ATTRS})
        out_spans.append(d)
    input_hash = stable_int_hash(text)
    task = {
        "text": text,
        "tokens": tokens,
        "spans": out_spans,
        "meta": {"doc_id": rec["doc_id"], "record_id": rec["record_id"], "kind": rec.get("kind")},
        META_KEY: record_meta(rec),
        BASE_KEY: spans_fingerprint(spans),
        "_input_hash": input_hash,
        "_task_hash": stable_int_hash(text, json.dumps([[s["start"], s["end"], s["label"]] for s in spans])),
    }
    if rec.get("status") == "reviewed":
        task["answer"] = "accept"
    return task


def dump(records: Sequence[Mapping[str, Any]], path: Path, **_: Any) -> list[Path]:
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(to_task(r), ensure_ascii=False) + "\n")
    return [path]


def from_task(d: Mapping[str, Any], where: str) -> dict[str, Any]:
    text = d.get("text")
    if not isinstance(text, str):
        raise InterchangeError(where, "task has no 'text'")
    meta = d.get(META_KEY)
    if not isinstance(meta, Mapping) or "doc_id" not in meta or "record_id" not in meta:
        raise InterchangeError(where, f"task has no '{META_KEY}' with doc_id and record_id (was it exported by fiscal-extract?)")
    where = f"{where} {meta['doc_id']}/{meta['record_id']}"
    spans = []
    for s in d.get("spans") or []:
        if not isinstance(s, Mapping):
            raise InterchangeError(where, f"span is not an object: {s!r}")
        check_span_shape(where, text, s.get("start"), s.get("end"), s.get("label"), s.get("text"))
        spans.append(full_span(s["start"], s["end"], s["label"], text, s))
    rec = dict(meta)
    rec["text"] = text
    rec["spans"] = spans
    if d.get("answer") == "accept":
        rec["status"] = "reviewed"
    rec[BASE_KEY] = d.get(BASE_KEY)
    return rec


def load(path: Path, accept_predictions: bool = False) -> ReadResult:
    out = ReadResult()
    for where, d in json_lines(path):
        if not isinstance(d, Mapping):
            raise InterchangeError(where, "line is not a JSON object")
        answer = d.get("answer")
        ref = f"{where} {(d.get(META_KEY) or {}).get('doc_id')}/{(d.get(META_KEY) or {}).get('record_id')}"
        if answer in ("reject", "ignore"):
            out.skipped.append(f"{ref}: answer {answer!r}")
            continue
        if answer is None and not accept_predictions:
            out.skipped.append(f"{ref}: no answer (not reviewed in Prodigy)")
            continue
        if answer not in (None, "accept"):
            raise InterchangeError(ref, f"unknown answer {answer!r}")
        out.records.append(from_task(d, where))
    return out

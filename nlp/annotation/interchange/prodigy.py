"""Prodigy tasks in the ``rel.manual`` format (spans and relations): JSONL, one record per line.

::

    {"text": ..., "tokens": [{"text", "start", "end", "id", "ws"}],
     "spans": [{"start", "end", "label", "token_start", "token_end", "value", "unit", ...,
                "fact": {"measure", "basis", "column", ...}}],
     "relations": [{"head", "child", "head_span": {...}, "child_span": {...}, "label": "subject"}],
     "meta": {"doc_id", "record_id", "kind"}, "record": {...the other record fields...},
     "_input_hash", "_task_hash", "answer": "accept"}

A fact is its figure span (with the fact's attributes in ``fact``) and relations from it
(head) to its ``subject``, ``code``, ``period`` and ``base_period`` spans (child); ``head`` and
``child`` are the spans' last tokens, as ``rel.manual`` writes them (see
``common.encode_facts``). ``ner.manual`` / ``spans.manual`` tasks (no relations) are read too;
facts no figure span holds travel in ``record.facts``.

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
    CHECK_FLAGS,
    InterchangeError,
    decode_facts,
    encode_facts,
    fact_sort_key,
    ReadResult,
    SPAN_ATTRS,
    check_span_shape,
    json_lines,
    full_span,
    record_meta,
    spans_fingerprint,
    stable_int_hash,
    token_offsets,
    relation_objects,
)

NAME = "prodigy"
SUFFIX = ".jsonl"
META_KEY = "record"
FACT_KEY = "fact"


def to_task(rec: Mapping[str, Any]) -> dict[str, Any]:
    text = rec["text"]
    spans = rec.get("spans") or []
    toks = token_offsets(text, [c for s in spans for c in (s["start"], s["end"])])
    index = {a: i for i, (a, _) in enumerate(toks)}
    ends = {b: i for i, (_, b) in enumerate(toks)}
    tokens = [{"text": text[a:b], "start": a, "end": b, "id": i, "ws": False} for i, (a, b) in enumerate(toks)]
    links, leftover = encode_facts(spans, rec.get("facts") or [])
    link_of = {link.figure: link for link in links}
    out_spans, bare = [], []
    for i, s in enumerate(spans):
        d = {"start": s["start"], "end": s["end"], "label": s["label"], "text": text[s["start"]:s["end"]],
             "token_start": index[s["start"]], "token_end": ends[s["end"]]}
        bare.append(dict(d))
        d.update({k: s.get(k) for k in SPAN_ATTRS})
        if i in link_of:
            d[FACT_KEY] = {**link_of[i].attrs, **({"hints": link_of[i].hints} if link_of[i].hints else {})}
        out_spans.append(d)
    relations = [{"head": bare[link.figure]["token_end"], "child": bare[tgt]["token_end"],
                  "head_span": bare[link.figure], "child_span": bare[tgt], "label": label}
                 for link in links for tgt, label in link.relations]
    meta = record_meta(rec)
    meta["facts"] = leftover
    input_hash = stable_int_hash(text)
    task = {
        "text": text,
        "tokens": tokens,
        "spans": out_spans,
        "relations": relations,
        "meta": {"doc_id": rec["doc_id"], "record_id": rec["record_id"], "kind": rec.get("kind")},
        META_KEY: meta,
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
    spans, attrs, hints = [], {}, {}
    for s in d.get("spans") or []:
        if not isinstance(s, Mapping):
            raise InterchangeError(where, f"span is not an object: {s!r}")
        check_span_shape(where, text, s.get("start"), s.get("end"), s.get("label"), s.get("text"))
        if isinstance(s.get(FACT_KEY), Mapping):
            a = dict(s[FACT_KEY])
            hints[len(spans)] = [x for x in a.pop("hints", None) or [] if x in CHECK_FLAGS]
            attrs[len(spans)] = a
        spans.append(full_span(s["start"], s["end"], s["label"], text, s))
    by_offsets = {(s["start"], s["end"]): i for i, s in enumerate(spans)}
    by_token_end: dict[int, int] = {}
    for i, s in enumerate(d.get("spans") or []):
        if isinstance(s.get("token_end"), int):
            by_token_end.setdefault(s["token_end"], i)
    relations = []
    for r in relation_objects(where, d):
        ends = []
        for end in ("head", "child"):
            sp = r.get(f"{end}_span")
            i = by_offsets.get((sp.get("start"), sp.get("end"))) if isinstance(sp, Mapping) else by_token_end.get(r.get(end))
            if i is None:
                raise InterchangeError(where, f"relation {r.get('label')!r}: its {end} is not one of the task's spans")
            ends.append(i)
        relations.append((ends[0], ends[1], r.get("label")))
    facts = decode_facts(where, spans, attrs, relations, hints)
    kept = [f for f in (meta.get("facts") or []) if isinstance(f, Mapping)]
    rec = dict(meta)
    rec["text"] = text
    rec["spans"] = spans
    rec["facts"] = sorted([*facts, *kept], key=fact_sort_key)
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

"""spaCy ``DocBin`` (``.spacy``): training data for ``spacy train`` and our trainer.

One ``Doc`` per record, over the record's text exactly as written (offsets are the
record's; the pipeline tokenizer normalises at training time if it wants to). Tokens are
the fiscal tokenizer's, cut at every span boundary, so every span is a token span.

- ``doc.spans["gold"]``: every span (a span group allows overlaps and keeps order);
- ``doc.ents``: the same spans when they do not overlap (what NER training reads);
- ``doc.user_data["fiscal"]``: a JSON string with the record's other fields, the span attributes (by
  offsets and label) and the export fingerprint — ``DocBin(store_user_data=True)``.
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
    full_span,
    record_meta,
    spans_fingerprint,
    token_offsets,
)

NAME = "spacy"
SUFFIX = ".spacy"
SPAN_KEY = "gold"
USER_KEY = "fiscal"


def _vocab():
    from spacy.vocab import Vocab

    return Vocab()


def to_doc(rec: Mapping[str, Any], vocab=None):
    from spacy.tokens import Doc
    from spacy.util import filter_spans

    text = rec["text"]
    spans = rec.get("spans") or []
    toks = token_offsets(text, [c for s in spans for c in (s["start"], s["end"])])
    doc = Doc(vocab or _vocab(), words=[text[a:b] for a, b in toks], spaces=[False] * len(toks))
    assert doc.text == text
    gold = []
    for s in spans:
        sp = doc.char_span(s["start"], s["end"], label=s["label"])
        assert sp is not None  # tokens were cut at every span boundary
        gold.append(sp)
    doc.spans[SPAN_KEY] = gold
    if len(filter_spans(gold)) == len(gold):
        doc.ents = gold
    # JSON, not nested msgpack: msgpack turns lists into tuples and the round trip must be exact.
    doc.user_data[USER_KEY] = json.dumps({
        "record": record_meta(rec),
        "span_attrs": [[s["start"], s["end"], s["label"], {k: s.get(k) for k in SPAN_ATTRS}] for s in spans],
        BASE_KEY: spans_fingerprint(spans),
    }, ensure_ascii=False)
    return doc


def dump(records: Sequence[Mapping[str, Any]], path: Path, **_: Any) -> list[Path]:
    from spacy.tokens import DocBin

    vocab = _vocab()
    db = DocBin(store_user_data=True)
    for r in records:
        db.add(to_doc(r, vocab))
    db.to_disk(path)
    return [path]


def from_doc(doc, where: str) -> dict[str, Any]:
    try:
        info = json.loads(doc.user_data.get(USER_KEY) or "null")
    except (TypeError, json.JSONDecodeError):
        info = None
    if not isinstance(info, Mapping) or not isinstance(info.get("record"), Mapping):
        raise InterchangeError(where, f"doc has no user_data['{USER_KEY}'] (was it exported by fiscal-extract with store_user_data?)")
    meta = info["record"]
    if "doc_id" not in meta or "record_id" not in meta:
        raise InterchangeError(where, "doc metadata lacks doc_id/record_id")
    where = f"{where} {meta['doc_id']}/{meta['record_id']}"
    text = doc.text
    attrs = {}
    for item in info.get("span_attrs") or []:
        if isinstance(item, (list, tuple)) and len(item) == 4 and isinstance(item[3], Mapping):
            attrs[(item[0], item[1], item[2])] = item[3]
    # The span group is the annotation; a Doc edited with only doc.ents (e.g. by a script
    # using the usual NER API) has no group, so fall back to the entities.
    source = list(doc.spans[SPAN_KEY]) if SPAN_KEY in doc.spans else list(doc.ents)
    spans = []
    for sp in source:
        check_span_shape(where, text, sp.start_char, sp.end_char, sp.label_)
        spans.append(full_span(sp.start_char, sp.end_char, sp.label_, text, attrs.get((sp.start_char, sp.end_char, sp.label_))))
    rec = dict(meta)
    rec["text"] = text
    rec["spans"] = spans
    rec[BASE_KEY] = info.get(BASE_KEY)
    return rec


def load(path: Path, accept_predictions: bool = False) -> ReadResult:
    from spacy.tokens import DocBin

    try:
        db = DocBin(store_user_data=True).from_disk(path)
    except Exception as e:  # srsly/msgpack raise many types on a corrupt file
        raise InterchangeError(str(path), f"not a spaCy DocBin: {type(e).__name__}: {e}") from None
    out = ReadResult()
    for i, doc in enumerate(db.get_docs(_vocab())):
        out.records.append(from_doc(doc, f"{path.name} doc {i}"))
    return out

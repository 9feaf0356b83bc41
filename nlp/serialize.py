"""From a processed ``Doc`` to the contract's result dict, with offsets into the original text."""

from __future__ import annotations

from typing import Any, Optional

from spacy.tokens import Doc

from nlp.contract import Check, Fact
from nlp.document_meta import read_document


def entity_dicts(doc: Doc) -> list[dict[str, Any]]:
    norm = doc._.norm
    out = []
    for span in doc.ents:
        start, end = norm.to_original(span.start_char, span.end_char)
        attrs = span._  # one accessor: spaCy makes a new one on every ``span._``
        out.append(
            {
                "label": span.label_,
                "start": start,
                "end": end,
                "text": norm.original[start:end],
                "value": attrs.value,
                "unit": attrs.unit,
                "direction": attrs.direction,
                "flags": list(attrs.flags or ()),
                "source": attrs.source,
                "score": round(float(attrs.score), 4),
            }
        )
    return out


def fact_dict(doc: Doc, fact: Fact) -> dict[str, Any]:
    d = fact.model_dump()
    s, e = doc._.norm.to_original(fact.evidence.start, fact.evidence.end)
    d["evidence"] = {"start": s, "end": e}
    return d


def check_dict(doc: Doc, check: Check) -> dict[str, Any]:
    d = check.model_dump()
    d["evidence"] = [dict(zip(("start", "end"), doc._.norm.to_original(o.start, o.end))) for o in check.evidence]
    return d


def doc_to_result(doc: Doc, doc_id: Optional[str], model: dict[str, str]) -> dict[str, Any]:
    return {
        "doc_id": doc_id,
        "model": dict(model),
        "document": read_document(doc._.norm.original),
        "entities": entity_dicts(doc),
        "facts": [fact_dict(doc, f) for f in doc._.facts or ()],
        "checks": [check_dict(doc, c) for c in doc._.checks or ()],
        "unchecked": list(doc.user_data.get("fiscal_unchecked", [])),
    }

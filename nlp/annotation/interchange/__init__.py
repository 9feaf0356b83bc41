"""Annotation interchange: our gold records to and from the annotation tools' formats.

One module per format, each with ``NAME``, ``SUFFIX``, ``dump(records, path, **opts) ->
[paths written]`` and ``load(path, accept_predictions=False) -> ReadResult``:

- ``labelstudio``: Label Studio tasks JSON (+ ``<stem>.config.xml``, the labeling config)
- ``doccano``: doccano sequence-labelling JSONL
- ``prodigy``: Prodigy span JSONL
- ``spacy``: spaCy ``DocBin``
- ``jsonl``: our own gold record JSONL (``annotations/gold/<doc_id>.jsonl``)

Records are the plain dicts of a gold file line (``Record.to_dict()``); every format
carries the record's other fields as metadata so that ``load(dump(records))`` gives the
same records back.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any, Mapping, Sequence

from . import doccano, labelstudio, prodigy, spacy_docbin
from .common import InterchangeError, ReadResult, check_span_shape, full_span, json_lines, parse_json


class _GoldJsonl:
    """Our own record JSONL as a format (for ``agreement`` and ``import`` of hand-edited files)."""

    NAME = "jsonl"
    SUFFIX = ".jsonl"

    @staticmethod
    def dump(records: Sequence[Mapping[str, Any]], path: Path, **_: Any) -> list[Path]:
        with path.open("w", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(dict(r), ensure_ascii=False) + "\n")
        return [path]

    @staticmethod
    def load(path: Path, accept_predictions: bool = False) -> ReadResult:
        out = ReadResult()
        for where, d in json_lines(path):
            if not isinstance(d, dict) or "record_id" not in d or not isinstance(d.get("text"), str):
                raise InterchangeError(where, "not a gold record (needs record_id and text)")
            where = f"{where} {d.get('doc_id')}/{d['record_id']}"
            spans = []
            for s in d.get("spans") or []:
                if not isinstance(s, dict):
                    raise InterchangeError(where, f"span is not an object: {s!r}")
                check_span_shape(where, d["text"], s.get("start"), s.get("end"), s.get("label"), s.get("text"))
                spans.append(full_span(s["start"], s["end"], s["label"], d["text"], s))
            d["spans"] = spans
            out.records.append(d)
        return out


FORMATS: dict[str, Any] = {
    "labelstudio": labelstudio,
    "doccano": doccano,
    "prodigy": prodigy,
    "spacy": spacy_docbin,
    "jsonl": _GoldJsonl,
}


def detect_format(path: Path) -> str:
    """The format of a file, from its suffix and (for JSONL) the keys of its first line."""
    if path.suffix == ".spacy":
        return "spacy"
    if path.suffix == ".json":
        return "labelstudio"
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8", errors="replace") as fh:
            first = next((line for line in fh if line.strip()), "")
        d = parse_json(first, f"{path.name}:1", "invalid JSON on the first line") if first else {}
        if isinstance(d, dict):
            if "tokens" in d or "_input_hash" in d or "answer" in d:
                return "prodigy"
            if "label" in d or "entities" in d or "labels" in d:
                return "doccano"
            if "record_id" in d and "spans" in d:
                return "jsonl"
    raise InterchangeError(str(path), "cannot tell the format; pass --format labelstudio|doccano|prodigy|spacy|jsonl")


def get_format(name: str) -> ModuleType:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; expected one of {', '.join(FORMATS)}") from None


def read(path: Path, fmt: str | None = None, accept_predictions: bool = False) -> ReadResult:
    path = Path(path)
    if not path.is_file():
        raise InterchangeError(str(path), "no such file")
    return get_format(fmt or detect_format(path)).load(path, accept_predictions=accept_predictions)


def write(records: Sequence[Mapping[str, Any]], path: Path, fmt: str, **opts: Any) -> list[Path]:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return get_format(fmt).dump(records, path, **opts)


__all__ = ["FORMATS", "InterchangeError", "ReadResult", "detect_format", "get_format", "read", "write"]

"""What every interchange format shares: the record as a plain dict, span attributes,
tokens cut at span boundaries, and the error that names the bad record.

Inside this package a record is the JSON-shaped dict of one line of a gold file
(``annotations/gold/<doc_id>.jsonl``): ``doc_id``, ``record_id``, ``offset``, ``text``,
``kind``, ``spans`` (offsets relative to ``text``), ``facts``, ``status``. Formats carry
everything that is not ``text``/``spans`` as opaque metadata, so a round trip through any
format gives back the same dicts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Optional

from nlp.contract import LABELS

# Span fields beyond (start, end, label, text) that an annotator can see or edit.
SPAN_ATTRS = ("value", "unit", "direction", "flags")
SPAN_FIELDS = ("start", "end", "label", "text", *SPAN_ATTRS)
# Record fields carried as metadata by every format (everything but text and spans).
BASE_KEY = "base"  # fingerprint of the spans the file was exported with (3-way merge on import)


@dataclass
class ReadResult:
    """Records read from a file, plus what was deliberately not taken (with the reason)."""

    records: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class InterchangeError(ValueError):
    """A file that cannot be imported; ``where`` names the record (``file:line doc_id/record_id``)."""

    def __init__(self, where: str, reason: str):
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


def json_lines(path: Path) -> Iterator[tuple[str, Any]]:
    """``(where, value)`` for each non-blank line of a UTF-8 JSONL file (``where`` is
    ``name:line``); an undecodable file or line raises :class:`InterchangeError` naming it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise InterchangeError(str(path), f"not UTF-8: {e}") from None
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path.name}:{lineno}"
        yield where, parse_json(line, where)


def parse_json(text: str, where: str, what: str = "invalid JSON") -> Any:
    """``json.loads``, with :class:`InterchangeError` for bad JSON and for nesting too deep for
    Python to parse (``RecursionError``: 100,000 ``[`` on one line)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InterchangeError(where, f"{what}: {e}") from None
    except RecursionError:
        raise InterchangeError(where, f"{what}: nested too deeply") from None


def record_ref(rec: Mapping[str, Any]) -> str:
    return f"{rec.get('doc_id')}/{rec.get('record_id')}"


def record_meta(rec: Mapping[str, Any]) -> dict[str, Any]:
    """Everything a format must carry besides the text and the spans."""
    return {k: v for k, v in rec.items() if k not in ("text", "spans")}


def spans_fingerprint(spans: Iterable[Mapping[str, Any]]) -> str:
    """A short hash of a record's spans (offsets, label and attributes), order-independent."""
    rows = sorted(json.dumps({k: s.get(k) for k in SPAN_FIELDS}, sort_keys=True, ensure_ascii=False) for s in spans)
    return hashlib.sha1("\n".join(rows).encode("utf-8")).hexdigest()[:16]


def full_span(start: int, end: int, label: str, text: str, attrs: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """A span dict with every field of the record schema, attributes from ``attrs`` or empty."""
    attrs = attrs or {}
    flags = attrs.get("flags")
    return {
        "start": start,
        "end": end,
        "label": label,
        "text": text[start:end],
        "value": attrs.get("value"),
        "unit": attrs.get("unit"),
        "direction": attrs.get("direction"),
        "flags": list(flags) if flags else [],
    }


def attrs_by_key(spans: Iterable[Mapping[str, Any]]) -> dict[tuple[int, int, str], dict[str, Any]]:
    """Span attributes keyed by (start, end, label): how formats that cannot show them keep them."""
    return {(int(s["start"]), int(s["end"]), str(s["label"])): {k: s.get(k) for k in SPAN_ATTRS} for s in spans}


def check_span_shape(where: str, text: str, start: Any, end: Any, label: Any, surface: Any = None) -> None:
    """Offsets are ints inside the text, the label is one of the eight, the surface matches."""
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or isinstance(end, bool):
        raise InterchangeError(where, f"span offsets must be integers, got start={start!r} end={end!r}")
    if not 0 <= start < end <= len(text):
        raise InterchangeError(where, f"span [{start}, {end}) is outside the text (length {len(text)}) or empty")
    if label not in LABELS:
        raise InterchangeError(where, f"unknown label {label!r} at [{start}, {end}); expected one of {', '.join(LABELS)}")
    if surface is not None and text[start:end] != surface:
        raise InterchangeError(where, f"span [{start}, {end}) {label} says {surface!r} but the text there is {text[start:end]!r}")


@lru_cache(maxsize=1)
def _segmenter():
    from nlp.tokenizer import USER_DICT, make_segmenter

    return make_segmenter("jieba", str(USER_DICT) if USER_DICT.exists() else None)


def token_offsets(text: str, cuts: Iterable[int] = ()) -> list[tuple[int, int]]:
    """Tokens covering ``text`` exactly (whitespace runs are tokens too), split further at
    ``cuts`` so that every span boundary is a token boundary. Built from the fiscal
    tokenizer's segmentation of the text as written (no normalisation: offsets must stay
    the record's)."""
    from nlp.tokenizer import iter_pieces

    bounds = {0, len(text)}
    for a, b in iter_pieces(text, _segmenter()):
        bounds.add(a)
        bounds.add(b)
    bounds.update(c for c in cuts if 0 <= c <= len(text))
    points = sorted(bounds)
    return [(a, b) for a, b in zip(points, points[1:]) if b > a]


def stable_int_hash(*parts: str) -> int:
    """A signed 32-bit hash, stable across runs (Prodigy's ``_input_hash`` / ``_task_hash``)."""
    h = hashlib.sha1("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(h[:4], "big", signed=True)


def utf16_to_codepoint(text: str, offset: int) -> int:
    """A JavaScript (UTF-16) string index → a Python code-point index."""
    units = 0
    for i, ch in enumerate(text):
        if units >= offset:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


def codepoint_to_utf16(text: str, offset: int) -> int:
    return offset + sum(1 for ch in text[:offset] if ord(ch) > 0xFFFF)

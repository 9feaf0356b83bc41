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
from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence

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


# --- facts as relations ---------------------------------------------------------------------
#
# A fact rests on one figure span (its evidence: an AMOUNT, PERCENT or QUANTITY span). In the
# tools it is that span plus
#
# - relations from the figure to the spans its fields come from: ``subject`` (a SUBJECT span;
#   the fact's subject is the span's text as facts carry it: NFKC, no whitespace or markup),
#   ``code`` (a SUBJECT_CODE span's value), ``period`` and ``base_period`` (PERIOD spans' values);
# - per-figure attributes: ``measure`` (which makes the figure a fact), ``direction``,
#   ``comparator``, ``basis``, ``column``, ``reason`` and the annotatable ``flags``; a field
#   whose value no span of the record shows (a subject the text abbreviates, a period the
#   heading gives) travels as text under its own name; so do ``value``/``unit`` when they are
#   not what the figure span gives (the span's value; CNY, % or the QUANTITY's unit).
#
# Check outputs (``inconsistent``) are hints: never annotated, never required on import.

FIGURE_LABELS = ("AMOUNT", "PERCENT", "QUANTITY")
RELATION_FIELDS = {"subject": ("SUBJECT",), "code": ("SUBJECT_CODE",), "period": ("PERIOD",),
                   "base_period": ("PERIOD",)}
RELATION_LABELS = tuple(RELATION_FIELDS)
# A relation drawn without a label names the field its target span can give.
DEFAULT_RELATION = {"SUBJECT": "subject", "SUBJECT_CODE": "code", "PERIOD": "period"}
CHECK_FLAGS = ("inconsistent",)  # set by the checks, shown as hints, never annotated
FACT_CHOICE_ATTRS = ("measure", "direction", "comparator", "basis")
FACT_TEXT_ATTRS = ("column", "reason")
FACT_FALLBACK_ATTRS = ("subject", "code", "period", "base_period", "value", "unit")
FACT_ATTRS = (*FACT_CHOICE_ATTRS, *FACT_TEXT_ATTRS, "flags", *FACT_FALLBACK_ATTRS)

def subject_of_span(text: str) -> str:
    """A SUBJECT span's text as a fact's subject (``nlp.evaluation.normalize_subject``)."""
    from nlp.evaluation import normalize_subject

    return normalize_subject(text)


def figure_value_unit(span: Mapping[str, Any]) -> tuple[Optional[str], Optional[str]]:
    """The value and unit a fact on this figure span has unless it says otherwise."""
    unit = {"AMOUNT": "CNY", "PERCENT": "%"}.get(span["label"], span.get("unit"))
    return span.get("value"), unit


def _target_value(field_name: str, span: Mapping[str, Any]) -> Optional[str]:
    return subject_of_span(span["text"]) if field_name == "subject" else span.get("value")


@dataclass
class FactLink:
    """One fact as the tools hold it: its figure span, relations to other spans, attributes."""

    figure: int  # index into the record's spans
    relations: list[tuple[int, str]] = field(default_factory=list)  # (target span index, field)
    attrs: dict[str, Any] = field(default_factory=dict)  # FACT_ATTRS that are set
    hints: list[str] = field(default_factory=list)  # check outputs (read-only)


def encode_facts(spans: list[Mapping[str, Any]], facts: Iterable[Mapping[str, Any]]
                 ) -> tuple[list[FactLink], list[dict[str, Any]]]:
    """Facts as links on their figure spans, and the facts no figure span can hold (evidence
    that is not exactly a span, a second fact on one span): those travel as they are."""
    by_offsets: dict[tuple[int, int], int] = {}
    for i, s in enumerate(spans):
        if s["label"] in FIGURE_LABELS:
            by_offsets.setdefault((s["start"], s["end"]), i)
    links: list[FactLink] = []
    leftover: list[dict[str, Any]] = []
    taken: set[int] = set()
    for f in facts:
        ev = f["evidence"]
        fig = by_offsets.get((ev["start"], ev["end"]))
        if fig is None or fig in taken:
            leftover.append(dict(f))
            continue
        taken.add(fig)
        link = FactLink(fig)
        for name in (*FACT_CHOICE_ATTRS, *FACT_TEXT_ATTRS):
            if f.get(name) is not None:
                link.attrs[name] = f[name]
        flags = [x for x in f.get("flags") or [] if x not in CHECK_FLAGS]
        link.hints = [x for x in f.get("flags") or [] if x in CHECK_FLAGS]
        if flags:
            link.attrs["flags"] = flags
        centre = (spans[fig]["start"] + spans[fig]["end"]) / 2
        used: set[int] = set()
        for name, labels in RELATION_FIELDS.items():
            want = f.get(name)
            if want is None:
                continue
            cands = [i for i, s in enumerate(spans) if s["label"] in labels and _target_value(name, s) == want]
            if cands:
                # the nearest such span; base_period avoids the period's span where it can
                best = min(cands, key=lambda i: (i in used, abs((spans[i]["start"] + spans[i]["end"]) / 2 - centre), i))
                used.add(best)
                link.relations.append((best, name))
            else:
                link.attrs[name] = want
        value, unit = figure_value_unit(spans[fig])
        if f.get("value") != value:
            link.attrs["value"] = f.get("value")
        if f.get("unit") != unit:
            link.attrs["unit"] = f.get("unit")
        links.append(link)
    return links, leftover


def decode_facts(where: str, spans: list[Mapping[str, Any]], attrs: Mapping[int, Mapping[str, Any]],
                 relations: Iterable[tuple[int, int, Optional[str]]], hints: Mapping[int, list[str]] | None = None,
                 names: Optional[Sequence[str]] = None) -> list[dict[str, Any]]:
    """Facts from figure attributes (by span index) and relations ``(a, b, field or None)``
    between span indices (either end may be the figure). ``names`` name the spans in errors
    (region ids); a fact comes out with every contract field, in the contract's order."""
    from nlp.annotation.records import FACT_FIELDS

    name = (lambda i: str(names[i])) if names is not None else (lambda i: f"span {i}")
    hints = hints or {}

    def desc(i: int) -> str:
        s = spans[i]
        return f"{name(i)} {s['label']} {s['text']!r}"

    rel_by_fig: dict[int, dict[str, list[int]]] = {}
    for a, b, label in relations:
        fa, fb = spans[a]["label"] in FIGURE_LABELS, spans[b]["label"] in FIGURE_LABELS
        if fa and fb:
            # two figures: the one that is a fact is the head (a relation between two facts says nothing)
            if (a in attrs) == (b in attrs):
                raise InterchangeError(where, f"relation between two figures {desc(a)} and {desc(b)}: "
                                              "relations go from a figure to its subject, code or period span")
            fa, fb = a in attrs, b in attrs
        if not fa and not fb:
            raise InterchangeError(where, f"relation between {desc(a)} and {desc(b)}: one end must be a figure "
                                          f"({'/'.join(FIGURE_LABELS)})")
        fig, tgt = (a, b) if fa else (b, a)
        label = label or DEFAULT_RELATION.get(spans[tgt]["label"])
        if label not in RELATION_FIELDS:
            raise InterchangeError(where, f"relation {desc(fig)} → {desc(tgt)} has label {label!r}; expected one of "
                                          f"{', '.join(RELATION_LABELS)}")
        if spans[tgt]["label"] not in RELATION_FIELDS[label]:
            raise InterchangeError(where, f"a {label} relation goes to a {'/'.join(RELATION_FIELDS[label])} span, "
                                          f"not {desc(tgt)} (from {desc(fig)})")
        rel_by_fig.setdefault(fig, {}).setdefault(label, []).append(tgt)
    for fig in rel_by_fig:
        if fig not in attrs or not attrs[fig].get("measure"):
            raise InterchangeError(where, f"{desc(fig)} has relations but no measure: choose its measure "
                                          "(amount, change, ...) to make it a fact, or delete the relations")
    facts = []
    for fig in sorted(attrs, key=lambda i: (spans[i]["start"], spans[i]["end"], i)):
        a = attrs[fig]
        if not a.get("measure"):
            extra = sorted(k for k, v in a.items() if v not in (None, [], ""))
            if extra:
                raise InterchangeError(where, f"{desc(fig)} has fact fields {extra} but no measure")
            continue
        if spans[fig]["label"] not in FIGURE_LABELS:
            raise InterchangeError(where, f"{desc(fig)} has a measure, but facts rest on {'/'.join(FIGURE_LABELS)} spans")
        value, unit = figure_value_unit(spans[fig])
        f: dict[str, Any] = {k: None for k in FACT_FIELDS}
        f.update({k: a.get(k) for k in (*FACT_CHOICE_ATTRS, *FACT_TEXT_ATTRS)})
        f["value"] = a["value"] if a.get("value") is not None else value
        f["unit"] = a["unit"] if a.get("unit") is not None else unit
        rels = rel_by_fig.get(fig, {})
        for field_name in RELATION_FIELDS:
            targets = rels.get(field_name, [])
            got = sorted({_target_value(field_name, spans[t]) for t in targets}, key=str)
            if len(got) > 1:
                raise InterchangeError(where, f"{desc(fig)} has {len(targets)} {field_name} relations "
                                              f"({', '.join(desc(t) for t in targets)}); one expected")
            text_value = a.get(field_name)
            if got and text_value is not None and text_value != got[0]:
                raise InterchangeError(where, f"{desc(fig)}: {field_name} relation gives {got[0]!r} but its "
                                              f"{field_name} text says {text_value!r}; keep one")
            f[field_name] = got[0] if got else text_value
        f["evidence"] = {"start": spans[fig]["start"], "end": spans[fig]["end"]}
        f["flags"] = [*(a.get("flags") or []), *hints.get(fig, [])]
        if f["value"] is None:
            raise InterchangeError(where, f"{desc(fig)} is a {f['measure']} fact but has no value")
        facts.append({k: f[k] for k in FACT_FIELDS})
    return facts


def relation_objects(where: str, line: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The ``relations`` of an imported line (doccano, Prodigy): a list of objects, or an error."""
    raw = line.get("relations") or []
    if not isinstance(raw, list):
        raise InterchangeError(where, "'relations' must be a list")
    for r in raw:
        if not isinstance(r, Mapping):
            raise InterchangeError(where, f"relation is not an object: {r!r}")
        yield r


def fact_sort_key(f: Mapping[str, Any]) -> tuple:
    """The gold's fact order (``Record.sort``)."""
    return (f["evidence"]["start"], f["evidence"]["end"], f["measure"], f.get("subject") or "", f.get("column") or "")

"""Validate gold annotation files against the schema, their sources and the contract.

``fiscal-extract annotate validate [PATHS]`` (default ``annotations/gold``) prints one line
per problem, ``file:record_id: what``, and exits 1 when there is any. Checks:

* each line is a JSON object matching ``annotations/schema/record.schema.json``;
* ``text`` is exactly the source slice at ``offset`` and the records tile the source;
* every span lies inside its record, its ``text`` is the slice it points at, spans of a
  record do not overlap, labels/units/directions/flags are the contract's;
* numeric values are exact, canonical decimal strings that follow from their surface
  (parsed with :mod:`nlp.numerals`; a bare table number may carry any currency scale);
* each fact's evidence is exactly one AMOUNT/PERCENT/QUANTITY span of its record, with
  the span's value, a unit and measure that fit it, and the fields its measure allows;
* nothing a crashed writer left is lying in the directory: no unfinished journal
  (``.journal.json``), no temp files (``.*.tmp``) (:mod:`nlp.annotation.journal`).
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence

from nlp.annotation.records import DOC_ID_PATTERN, GOLD_DIR, PRE_DIR, SCHEMA_PATH, SOURCES_DIR
from nlp.contract import (
    BASES,
    COMPARATORS,
    COUNT_UNITS,
    DIRECTIONS,
    ENTITY_FLAGS,
    FACT_FLAGS,
    LABELS,
    MEASURES,
    MONEY_UNIT,
    PERCENT_UNIT,
    is_decimal_string,
)

__all__ = ["Problem", "default_paths", "leftover_problems", "main", "surface_values", "validate_file", "validate_paths"]

VALUE_LABELS = ("AMOUNT", "PERCENT", "QUANTITY")
# Which entity a fact of each measure may rest on.
MEASURE_LABELS: dict[str, tuple[str, ...]] = {
    "amount": ("AMOUNT", "QUANTITY"),
    "change": ("AMOUNT", "QUANTITY"),
    "change_pct": ("PERCENT",),
    "share_pct": ("PERCENT",),
    "execution_pct": ("PERCENT",),
    "target": ("AMOUNT", "PERCENT", "QUANTITY"),
}
# Units a UNIT span may declare: currencies (with their scale), percent, counts (possibly 万-scaled).
UNIT_WORDS = ("元", "千元", "万元", "亿元", "%", *COUNT_UNITS, *(f"万{u}" for u in COUNT_UNITS))
PERIOD_VALUE = re.compile(r"\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?")
CODE_VALUE = re.compile(r"\d{3,7}")
YEAR_IN_SURFACE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
# Scales a bare table number may be declared in elsewhere (元, 千元, 万元, 亿元).
TABLE_SCALES = (Decimal(1), Decimal(1000), Decimal(10_000), Decimal(100_000_000))
APPROX_MARKS = "余多几近约超逾"
_MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9]{0,9}>")


@dataclass(frozen=True)
class Problem:
    file: str
    record_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.record_id}: {self.message}"


# --- helpers ------------------------------------------------------------------------------


def build_schema() -> dict[str, Any]:
    """The record JSON Schema, its vocabulary taken from nlp.contract (``--write-schema`` writes it)."""
    from nlp.contract import FACT_UNITS

    nullable = {"type": ["string", "null"]}
    offsets = {"type": "object", "additionalProperties": False, "required": ["start", "end"],
               "properties": {"start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 0}}}
    span = {"type": "object", "additionalProperties": False,
            "required": ["start", "end", "label", "text", "value", "unit", "direction", "flags"],
            "properties": {
                "start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 1},
                "label": {"enum": list(LABELS)}, "text": {"type": "string", "minLength": 1},
                "value": nullable, "unit": nullable, "direction": {"enum": [*DIRECTIONS, None]},
                "flags": {"type": "array", "items": {"enum": list(ENTITY_FLAGS)}, "uniqueItems": True}}}
    fact = {"type": "object", "additionalProperties": False,
            "required": ["subject", "code", "measure", "value", "unit", "direction", "comparator", "period",
                         "base_period", "basis", "column", "reason", "evidence", "flags"],
            "properties": {
                "subject": nullable, "code": {"type": ["string", "null"], "pattern": "^[0-9]+$"},
                "measure": {"enum": list(MEASURES)},
                "value": {"type": "string", "pattern": r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$"},
                "unit": {"enum": list(FACT_UNITS)}, "direction": {"enum": [*DIRECTIONS, None]},
                "comparator": {"enum": [*COMPARATORS, None]}, "period": nullable, "base_period": nullable,
                "basis": {"enum": [*BASES, None]}, "column": nullable, "reason": nullable, "evidence": offsets,
                "flags": {"type": "array", "items": {"enum": list(FACT_FLAGS)}, "uniqueItems": True}}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://fiscal-extract.local/annotations/record.schema.json",
        "title": "Gold annotation record (one paragraph or table block of a source document)",
        "description": "Offsets of spans and fact evidence are relative to the record's text; the record's offset "
                       "places the text in the source (annotations/sources/<doc_id>.txt). Records of one document "
                       "tile it. Vocabulary from nlp/contract.py (CONTRACT.md).",
        "type": "object", "additionalProperties": False,
        "required": ["doc_id", "record_id", "offset", "text", "kind", "spans", "facts", "status"],
        "properties": {
            "doc_id": {"type": "string", "pattern": f"^{DOC_ID_PATTERN}$"},
            "record_id": {"type": "string", "pattern": f"^{DOC_ID_PATTERN}#[0-9]{{4}}$"},
            "offset": {"type": "integer", "minimum": 0},
            "text": {"type": "string", "minLength": 1},
            "kind": {"enum": ["prose", "table", "other"]},
            "spans": {"type": "array", "items": {"$ref": "#/$defs/span"}},
            "facts": {"type": "array", "items": {"$ref": "#/$defs/fact"}},
            "status": {"enum": ["pre", "reviewed"]},
            "notes": {"type": "string"}},
        "$defs": {"span": span, "fact": fact, "offsets": offsets},
    }


def record_schema() -> dict[str, Any]:
    """The project's schema file when it has one (the repository's), else the contract's own:
    a fresh project directory validates without copying the schema."""
    if SCHEMA_PATH.exists():
        return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return build_schema()


@lru_cache(maxsize=1)
def _schema_validator():
    import jsonschema

    return jsonschema.Draft202012Validator(record_schema())


def canonical(value: str) -> Optional[str]:
    """The canonical contract form of a decimal string, or None if it is not one."""
    if not is_decimal_string(value):
        return None
    from nlp.numerals import to_value

    return to_value(Decimal(value))


_TRADITIONAL_SCALES = str.maketrans({"萬": "万", "億": "亿"})  # copies in traditional script: 萬元


def _clean_surface(surface: str) -> str:
    s = unicodedata.normalize("NFKC", _MARKUP.sub("", surface)).translate(_TRADITIONAL_SCALES)
    return "".join(s.split())


_NUM = re.compile(r"(?<![0-9.,零〇一二两三四五六七八九十百千万亿])[0-9.,零〇一二两三四五六七八九十百千万亿]{1,40}")


def surface_values(label: str, surface: str, unit: Optional[str] = None) -> Optional[set[Decimal]]:
    """The values a surface can denote for ``label`` (several for a bare table number whose
    scale is declared elsewhere), or None when the surface cannot be parsed here."""
    from nlp.numerals import CURRENCY_SCALES, NumeralError, parse_number, parse_percent_words

    s = _clean_surface(surface).lstrip("≥≤=><约近超逾")
    if s.startswith("-") and len(s) > 1:  # a negative balance: 年末结转和结余-12.35万元
        values = surface_values(label, s[1:], unit)
        return {-v for v in values} if values is not None else None
    try:
        if label == "PERCENT":
            if s.startswith("百分之"):
                return {parse_percent_words(s)}
            body = s.rstrip("%‰").rstrip(APPROX_MARKS)
            return {parse_number(body)}
        m = _NUM.match(s)
        if not m:
            return None
        numeral, rest = m.group(), s[m.end():]
        rest = rest.lstrip(APPROX_MARKS)
        # 万/亿 at the end of the numeral belong to the unit when a currency unit follows.
        if label == "AMOUNT":
            for scale_word in ("万亿", "亿", "万", "千"):
                if numeral.endswith(scale_word) and rest.startswith("元"):
                    numeral, rest = numeral[: -len(scale_word)], scale_word + rest
                    break
            numeral_value = parse_number(numeral.rstrip(APPROX_MARKS))
            rest = rest.lstrip(APPROX_MARKS)
            if not rest:
                return {numeral_value * k for k in TABLE_SCALES}
            if rest in CURRENCY_SCALES:
                return {numeral_value * CURRENCY_SCALES[rest]}
            return None
        if label == "QUANTITY":
            numeral_value = parse_number(numeral.rstrip(APPROX_MARKS))
            scales = {Decimal(1)}
            if not rest:  # a bare table number: its 万 may be declared in another cell
                scales = {Decimal(1), Decimal(10_000)}
            elif rest == "万" or (rest.startswith("万") and rest[1:] in COUNT_UNITS):
                scales = {Decimal(10_000)}  # 154 万人; 近 6.3 万参保人员 (span "6.3 万")
            return {numeral_value * k for k in scales}
    except (NumeralError, InvalidOperation):
        return None
    return None


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


# --- the checks ----------------------------------------------------------------------------


def _check_span(sp: dict[str, Any], text: str, say) -> None:
    s, e, label = sp["start"], sp["end"], sp["label"]
    where = f"span {label} [{s},{e})"
    if label not in LABELS:  # the schema says so too; the contract is the authority
        say(f"{where} label {label!r} is not one of the contract's {LABELS}")
        return
    if not 0 <= s < e <= len(text):
        say(f"{where} outside the record text (length {len(text)})")
        return
    if text[s:e] != sp["text"]:
        say(f"{where} text {sp['text']!r} != record text there {text[s:e]!r}")
        return
    if sp["text"] != sp["text"].strip():
        say(f"{where} {sp['text']!r} starts or ends with whitespace")
    value, unit, direction, flags = sp["value"], sp["unit"], sp["direction"], sp["flags"]
    for f in flags:
        if f not in ENTITY_FLAGS:
            say(f"{where} unknown flag {f!r}")
    if label in VALUE_LABELS:
        if value is None:
            say(f"{where} {sp['text']!r} has no value")
            return
        canon = canonical(value)
        if canon is None:
            say(f"{where} value {value!r} is not an exact decimal string")
            return
        if canon != value:
            say(f"{where} value {value!r} is not canonical (write {canon!r})")
        want_unit = {"AMOUNT": (MONEY_UNIT,), "PERCENT": (PERCENT_UNIT,), "QUANTITY": COUNT_UNITS}[label]
        if unit not in want_unit:
            say(f"{where} unit {unit!r} is not one of {', '.join(want_unit)}"
                + (" (a new count unit goes into nlp/contract.py COUNT_UNITS)" if label == "QUANTITY" else ""))
        if direction is not None:
            say(f"{where} a {label} has no direction")
        cands = surface_values(label, sp["text"], unit)
        if cands is None:
            say(f"{where} cannot derive a value from surface {sp['text']!r} (is the span right?)")
        elif Decimal(value) not in cands:
            shown = ", ".join(sorted(canonical(str(c)) or str(c) for c in cands))
            say(f"{where} value {value} does not match surface {sp['text']!r} (expected {shown})")
    elif label == "SUBJECT_CODE":
        digits = _clean_surface(sp["text"])
        if value is None or not CODE_VALUE.fullmatch(value):
            say(f"{where} code value {value!r} is not a 3-7 digit code")
        elif not digits.isdigit() or not value.endswith(digits):
            say(f"{where} code value {value!r} does not end with the surface digits {digits!r}")
    elif label == "PERIOD":
        if value is None or not PERIOD_VALUE.fullmatch(value):
            say(f"{where} period value {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        else:
            m = YEAR_IN_SURFACE.search(_clean_surface(sp["text"]))
            if m and not value.startswith(m.group(1)):
                say(f"{where} period value {value!r} does not carry the surface year {m.group(1)}")
    elif label == "CHANGE":
        if value is not None:
            say(f"{where} a CHANGE has no value")
        if "template" in flags:
            if direction is not None:
                say(f"{where} a template CHANGE has direction null")
        elif direction not in DIRECTIONS:
            say(f"{where} CHANGE {sp['text']!r} needs a direction ({'/'.join(DIRECTIONS)})")
    elif label == "UNIT":
        if unit not in UNIT_WORDS:
            say(f"{where} UNIT needs unit = the declared unit (e.g. '万元'), got {unit!r}")
    if label != "CHANGE" and direction is not None and label not in VALUE_LABELS:
        say(f"{where} only CHANGE spans carry a direction")


def _check_fact(i: int, f: dict[str, Any], text: str, spans: dict[tuple[int, int], dict[str, Any]], say) -> None:
    ev = f["evidence"]
    s, e = ev["start"], ev["end"]
    where = f"fact {i} ({f['measure']} {f.get('subject')!r} {f['value']})"
    if not 0 <= s < e <= len(text):
        say(f"{where} evidence [{s},{e}) outside the record text")
        return
    sp = spans.get((s, e))
    if sp is None:
        say(f"{where} evidence [{s},{e}) {text[s:e]!r} is not exactly a span of the record")
        return
    measure = f["measure"]
    if sp["label"] not in MEASURE_LABELS[measure]:
        say(f"{where} evidence is a {sp['label']} span; a {measure} fact needs {'/'.join(MEASURE_LABELS[measure])}")
        return
    canon = canonical(f["value"])
    if canon is None:
        say(f"{where} value {f['value']!r} is not an exact decimal string")
    elif canon != f["value"]:
        say(f"{where} value {f['value']!r} is not canonical (write {canon!r})")
    elif sp["value"] is not None and is_decimal_string(sp["value"]) and Decimal(sp["value"]) != Decimal(f["value"]):
        say(f"{where} value {f['value']} != its evidence span value {sp['value']} ({sp['text']!r})")
    want_unit = {"AMOUNT": MONEY_UNIT, "PERCENT": PERCENT_UNIT}.get(sp["label"], sp["unit"])
    if f["unit"] != want_unit:
        say(f"{where} unit {f['unit']!r} but its evidence {sp['label']} {sp['text']!r} gives {want_unit!r}")
    direction = f["direction"]
    if measure in ("change", "change_pct"):
        if direction is None and "template" not in f["flags"]:
            say(f"{where} a {measure} fact needs a direction (or the template flag)")
        if direction not in (None, "flat") and canon is not None and Decimal(canon) == 0:
            say(f"{where} a change of 0 has direction flat, not {direction!r}")
    else:
        if direction is not None:
            say(f"{where} only change/change_pct facts carry a direction")
        if f["base_period"] is not None:
            say(f"{where} only change/change_pct facts carry a base_period")
    if measure == "target":
        if f["comparator"] not in COMPARATORS:
            say(f"{where} a target fact needs a comparator ({' '.join(COMPARATORS)})")
    elif f["comparator"] is not None:
        say(f"{where} only target facts carry a comparator")
    for key in ("period", "base_period"):
        v = f[key]
        if v is not None and not PERIOD_VALUE.fullmatch(v):
            say(f"{where} {key} {v!r} is not YYYY[-MM[-DD]]")
    if f["code"] is not None and not CODE_VALUE.fullmatch(f["code"]):
        say(f"{where} code {f['code']!r} is not a full 3-7 digit code")
    if f["subject"] is not None:
        subj = f["subject"]
        if subj != unicodedata.normalize("NFKC", subj) or any(c.isspace() for c in subj) or "<" in subj:
            say(f"{where} subject {subj!r} must be NFKC-normalised without whitespace or markup")
    if f["basis"] not in (*BASES, None):
        say(f"{where} basis {f['basis']!r} not in {BASES}")
    if f["measure"] not in MEASURES:
        say(f"{where} unknown measure")
    for fl in f["flags"]:
        if fl not in FACT_FLAGS:
            say(f"{where} unknown flag {fl!r}")


def validate_file(path: Path, sources_dir: Path = SOURCES_DIR) -> list[Problem]:
    problems: list[Problem] = []
    name = str(path)
    doc_id = path.stem

    def report(rid: str, msg: str) -> None:
        problems.append(Problem(name, rid, msg))

    src_path = Path(sources_dir) / f"{doc_id}.txt"
    if not src_path.exists():
        report("-", f"no source {src_path} for doc_id {doc_id!r}")
        return problems
    with open(src_path, encoding="utf-8", newline="") as fh:
        source = fh.read()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        report("-", f"not UTF-8: {e}")
        return problems
    validator = _schema_validator()
    records: list[dict[str, Any]] = []
    seen_ids: set[str] = set()
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        rid = f"line {lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            report(rid, f"invalid JSON: {e.msg} at column {e.colno}")
            continue
        if isinstance(rec, dict) and isinstance(rec.get("record_id"), str):
            rid = rec["record_id"]
        errors = sorted(validator.iter_errors(rec), key=lambda er: list(er.absolute_path))
        if errors:
            for er in errors[:5]:
                loc = "/".join(str(p) for p in er.absolute_path) or "(record)"
                report(rid, f"schema: {loc}: {er.message}")
            continue
        if rec["doc_id"] != doc_id:
            report(rid, f"doc_id {rec['doc_id']!r} but the file is for {doc_id!r}")
        if not rec["record_id"].startswith(doc_id + "#"):
            report(rid, f"record_id must be {doc_id}#NNNN")
        if rec["record_id"] in seen_ids:
            report(rid, "duplicate record_id")
        seen_ids.add(rec["record_id"])
        records.append(rec)
        _check_record(rec, source, lambda msg, rid=rid: report(rid, msg))
    # tiling: sorted by offset, each record starts where the previous one ends
    pos = 0
    prev_id = None
    for rec in records:
        rid = rec["record_id"]
        if prev_id is not None and rid <= prev_id:
            report(rid, f"record_id out of order after {prev_id}")
        if rec["offset"] > pos:
            report(rid, f"gap: source [{pos},{rec['offset']}) {source[pos:rec['offset']][:40]!r} belongs to no record")
        elif rec["offset"] < pos:
            report(rid, f"overlap: starts at {rec['offset']} but the previous record ends at {pos}")
        pos = max(pos, rec["offset"] + len(rec["text"]))
        prev_id = rid
    if records and pos < len(source):
        report("-", f"gap: source [{pos},{len(source)}) after the last record belongs to no record")
    if not records:
        report("-", "no records")
    return problems


REASON_MEASURES = ("change", "change_pct", "execution_pct")  # the measures a reason may explain (GUIDELINES §8)


def misplaced_reason(measure: str, reason: Optional[str]) -> Optional[str]:
    """Why a fact of ``measure`` may not carry ``reason``; None when it may."""
    if reason is not None and measure not in REASON_MEASURES:
        return f"a reason belongs to {'/'.join(REASON_MEASURES)} facts, not {measure}"
    return None


def check_reviewed_fact(i: int, f: dict[str, Any], say) -> None:
    """The guidelines' fact conventions for reviewed gold (GUIDELINES.md §4, §8)."""
    if "inconsistent" in f["flags"]:
        say(f"fact {i}: 'inconsistent' is a check's output, not annotated in reviewed gold")
    problem = misplaced_reason(f["measure"], f["reason"])
    if problem:
        say(f"fact {i}: {problem}")


def _check_record(rec: dict[str, Any], source: str, say) -> None:
    off, text = rec["offset"], rec["text"]
    if source[off:off + len(text)] != text:
        got = source[off:off + 30]
        say(f"text does not match the source at offset {off} (source has {got!r}…, record {text[:30]!r}…)")
        return
    spans = rec["spans"]
    for sp in spans:
        _check_span(sp, text, say)
    ordered = sorted((sp["start"], sp["end"], sp["label"], sp["text"]) for sp in spans)
    for a, b in zip(ordered, ordered[1:]):
        if _overlap(a[:2], b[:2]):
            say(f"spans overlap: {a[2]} {a[3]!r} [{a[0]},{a[1]}) and {b[2]} {b[3]!r} [{b[0]},{b[1]})")
    by_offsets = {(sp["start"], sp["end"]): sp for sp in spans}
    seen: set[tuple] = set()
    for i, f in enumerate(rec["facts"]):
        _check_fact(i, f, text, by_offsets, say)
        if rec["status"] == "reviewed":
            check_reviewed_fact(i, f, say)
        key = (f["evidence"]["start"], f["evidence"]["end"], f["measure"], f["column"], f["subject"])
        if key in seen:
            say(f"fact {i} duplicates another fact (same evidence, measure, subject and column)")
        seen.add(key)


DEV_GOLD_DIR = GOLD_DIR.parent / "dev" / "gold"


def default_paths() -> list[Path]:
    """``annotations/gold`` (else ``annotations/pre``) and the development corpus ``annotations/dev/gold``."""
    paths = [GOLD_DIR] if GOLD_DIR.is_dir() and any(GOLD_DIR.glob("*.jsonl")) else [PRE_DIR]
    if DEV_GOLD_DIR.is_dir():
        paths.append(DEV_GOLD_DIR)
    return paths


def sources_for(path: Path) -> Path:
    """Where a gold file's source texts are: ``sources/`` beside its ``gold/`` folder
    (``annotations/dev/gold`` → ``annotations/dev/sources``), else ``annotations/sources``."""
    sibling = Path(path).resolve().parent.parent / "sources"
    return sibling if Path(path).resolve().parent.name == "gold" and sibling.is_dir() else SOURCES_DIR


def _expand(paths: Iterable[Path]) -> Iterator[Path]:
    for p in paths:
        p = Path(p)
        if p.is_dir():
            yield from sorted(p.glob("*.jsonl"))
        else:
            yield p


def leftover_problems(directories: Iterable[Path]) -> list[Problem]:
    """What a crashed writer left in each gold directory: an unfinished journal, temp files
    (:mod:`nlp.annotation.journal`). Looked at under the gold lock, so a write in progress is
    waited for rather than reported; nothing is repaired here (the next write does that)."""
    from nlp.annotation.journal import leftovers
    from nlp.annotation.lock import gold_lock

    out: list[Problem] = []
    for d in dict.fromkeys(Path(x).resolve() for x in directories):
        if d.is_dir():
            with gold_lock(d, recover=False):
                out.extend(Problem(str(d), "-", msg) for msg in leftovers(d))
    return out


def validate_paths(paths: Sequence[Path] | None = None, sources_dir: Path | None = None) -> tuple[int, list[Problem]]:
    """(number of files checked, problems); without ``sources_dir`` each file's own (:func:`sources_for`)."""
    paths = list(paths or default_paths())
    files = list(_expand(paths))
    problems: list[Problem] = leftover_problems(Path(p) if Path(p).is_dir() else Path(p).parent for p in paths)
    for f in files:
        if not f.exists():
            problems.append(Problem(str(f), "-", "no such file"))
            continue
        problems.extend(validate_file(f, sources_dir or sources_for(f)))
    return len(files), problems


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m nlp.annotation.validate")
    ap.add_argument("paths", nargs="*", type=Path)
    ap.add_argument("--sources", type=Path, default=None)
    ap.add_argument("--write-schema", action="store_true", help=f"regenerate {SCHEMA_PATH.name} from nlp.contract")
    args = ap.parse_args(argv)
    if args.write_schema:
        SCHEMA_PATH.write_text(json.dumps(build_schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {SCHEMA_PATH}")
        return 0
    return run(args.paths, args.sources)


def run(paths: Sequence[Path], sources: Path | None = None, out=None) -> int:
    out = out or sys.stdout
    n, problems = validate_paths(paths or None, sources)
    for p in problems:
        print(p, file=out)
    if n == 0:
        print("no annotation files found", file=out)
        return 1
    print(f"{n} file(s) checked, {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

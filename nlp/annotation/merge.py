"""Bring annotators' corrections back into the gold files, all or nothing.

``plan_merge`` validates every incoming record and classifies it against the existing
gold; ``apply_plan`` writes the result. Nothing is written unless the whole plan is valid,
and the files are committed as one unit through a journal (:mod:`nlp.annotation.journal`):
a crash leaves all of them old or all new. Callers hold the gold lock
(:mod:`nlp.annotation.lock`) around planning and applying, so the plan is made from the gold
it replaces; :func:`merge` does both under the lock.

Validation (an error names the record and says why):

- the record is a valid gold record (``annotations/schema/record.schema.json``);
- every span lies inside the text, has one of the eight labels, its ``text`` is the text
  at its offsets, and spans do not overlap;
- the record names a document: its ``doc_id`` matches ``DOC_ID_PATTERN``
  (``[a-z0-9][a-z0-9_-]{0,63}``; a number is refused, not turned into a string), its
  ``record_id`` is ``<doc_id>#NNNN``, and the source ``<sources>/<doc_id>.txt`` exists
  (``sources/`` beside the gold folder, else ``annotations/sources``);
- the text is unchanged: equal to the gold record with the same ``record_id`` if there is
  one, and to the source document at ``offset``;
- a new record does not overlap another record of the same document;
- a record appears once in the import.

Conflicts (3-way): each exported file remembers the fingerprint of the spans it was
exported with (``base``). A record whose gold spans are still ``base`` is a clean update;
one whose gold changed since the export (or that was exported from somewhere else) and
whose imported spans differ from the gold is a **conflict**. ``on_conflict``: ``fail``
(default; nothing is written), ``import`` (the file wins) or ``gold`` (the gold stays).

- a reviewed record passes the gold's own checks (``annotate validate``: values follow from
  their surfaces, units, directions, facts sit on spans, ...); for unreviewed records
  (``accept_predictions``) the same problems are warnings.

Check outputs (the ``inconsistent`` fact flag) are hints: a reviewed record's facts lose them
on import, never refused, never required.

Completed and reported (not fatal): a number span without ``value`` (drawn in a tool that
cannot edit values) gets the value its surface denotes; a fact whose evidence span was
removed is dropped. Also reported: gold records elsewhere with the same text but different
spans (inconsistent annotation).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from nlp.annotation.interchange.common import BASE_KEY, CHECK_FLAGS, InterchangeError, check_span_shape, spans_fingerprint
from nlp.annotation.records import (
    GOLD_DIR,
    SCHEMA_PATH,
    Record,
    RecordFormatError,
    doc_id_problem,
    read_records,
)

ON_CONFLICT = ("fail", "import", "gold")


@dataclass
class Conflict:
    ref: str
    gold_only: list[tuple[int, int, str]]
    import_only: list[tuple[int, int, str]]

    def __str__(self) -> str:
        fmt = lambda xs: ", ".join(f"[{s},{e}) {lab}" for s, e, lab in xs) or "-"  # noqa: E731
        return f"{self.ref}: gold changed since export; only in gold: {fmt(self.gold_only)}; only in file: {fmt(self.import_only)}"


@dataclass
class MergePlan:
    into: Path
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_gold: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    files: dict[str, list[Record]] = field(default_factory=dict)  # doc_id -> full new content
    on_conflict: str = "fail"

    @property
    def ok(self) -> bool:
        return not self.errors and (not self.conflicts or self.on_conflict != "fail")

    def summary(self) -> dict[str, Any]:
        return {
            "into": str(self.into),
            "ok": self.ok,
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "kept_gold": len(self.kept_gold),
            "conflicts": [str(c) for c in self.conflicts],
            "errors": self.errors,
            "warnings": self.warnings,
            "skipped": self.skipped,
            "files": sorted(self.files),
        }


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    from nlp.annotation.validate import record_schema

    return jsonschema.Draft202012Validator(record_schema())


def _key3(spans: Iterable[Any]) -> set[tuple[int, int, str]]:
    return {(s["start"], s["end"], s["label"]) if isinstance(s, Mapping) else (s.start, s.end, s.label) for s in spans}


def sources_beside(into: Path) -> Path:
    """The sources of a gold folder: ``sources/`` beside it (``annotations/dev/gold`` →
    ``annotations/dev/sources``), else ``annotations/sources``."""
    from nlp.annotation.validate import sources_for

    return sources_for(Path(into) / "x.jsonl")


def _source(doc_id: str, sources_dir: Path) -> Optional[str]:
    p = sources_dir / f"{doc_id}.txt"
    if not p.is_file():
        return None
    with open(p, encoding="utf-8", newline="") as fh:
        return fh.read()


def validate_record(d: Mapping[str, Any], where: str) -> Record:
    """A gold ``Record`` from an imported dict, or ``InterchangeError`` naming it and why."""
    body = {k: v for k, v in d.items() if k != BASE_KEY}
    problem = doc_id_problem(body.get("doc_id"))
    if problem:
        raise InterchangeError(where, problem)
    rid = body.get("record_id")
    if not (isinstance(rid, str) and rid.startswith(f"{body['doc_id']}#")):
        raise InterchangeError(where, f"record_id {rid!r} is not {body['doc_id']}#NNNN")
    try:
        errors = sorted(_validator().iter_errors(body), key=lambda e: list(e.absolute_path))
    except RecursionError:
        raise InterchangeError(where, "nested too deeply to be a record") from None
    if errors:
        e = errors[0]
        at = "/".join(str(p) for p in e.absolute_path) or "record"
        raise InterchangeError(where, f"{at}: {e.message}")
    try:
        rec = Record.from_dict(body)
    except RecordFormatError as e:
        raise InterchangeError(where, str(e)) from None
    last = None
    for s in sorted(rec.spans, key=lambda s: (s.start, s.end)):
        check_span_shape(where, rec.text, s.start, s.end, s.label, s.text)
        if last is not None and s.start < last.end:
            raise InterchangeError(where, f"spans overlap: [{last.start},{last.end}) {last.label} {last.text!r} "
                                          f"and [{s.start},{s.end}) {s.label} {s.text!r}")
        last = s
    for f in rec.facts:
        if not 0 <= f.start <= f.end <= len(rec.text):
            raise InterchangeError(where, f"fact {f.subject!r} {f.measure}: evidence [{f.start},{f.end}) is outside the text")
    return rec


def complete(rec: Record, ref: str) -> list[str]:
    """What tools that cannot edit attributes leave out, filled in and reported:

    - a number span without value (a span drawn in doccano/Prodigy) gets the value and unit
      its surface denotes (``nlp.annotation.edit.derive_value``);
    - a reviewed record's facts lose the checks' outputs (``inconsistent``): hints, not annotations;
    - a fact whose evidence span the annotator removed or moved is dropped (a fact must sit
      on a span; re-derive facts with the review tools)."""
    from nlp.annotation.edit import derive_value

    notes = []
    for s in rec.spans:
        if s.label in ("AMOUNT", "PERCENT", "QUANTITY") and s.value is None:
            try:
                value, unit = derive_value(s.label, s.text)
            except Exception as e:  # EditError, numeral parse errors: the validation below reports it
                notes.append(f"{ref}: [{s.start},{s.end}) {s.label} {s.text!r} has no value and none can be derived ({e})")
                continue
            if value is not None:
                s.value, s.unit = value, s.unit or unit
                notes.append(f"{ref}: [{s.start},{s.end}) {s.label} {s.text!r}: value {value} {s.unit} derived from the surface")
    if rec.status == "reviewed":
        # check outputs are hints the tools show read-only: reviewed gold does not carry them,
        # and an import never refuses them (accepted predictions bring them along)
        for f in rec.facts:
            f.flags = [x for x in f.flags if x not in CHECK_FLAGS]
    offsets = {(s.start, s.end) for s in rec.spans}
    kept = []
    for f in rec.facts:
        if (f.start, f.end) in offsets:
            kept.append(f)
        else:
            notes.append(f"{ref}: fact {f.subject!r} {f.measure}={f.value} dropped: no span at its evidence [{f.start},{f.end}) any more")
    rec.facts = kept
    return notes


def gold_problems(rec: Record, source: Optional[str]) -> list[str]:
    """The gold's own record checks (``annotate validate``) for one record."""
    from nlp.annotation.validate import _check_record

    problems: list[str] = []
    if source is None:  # a text outside annotations/sources: check against itself
        source = " " * rec.offset + rec.text
    _check_record(rec.to_dict(), source, problems.append)
    return problems


def load_target(into: Path, doc_ids: Iterable[str]) -> dict[str, list[Record]]:
    out = {}
    for doc_id in doc_ids:
        p = into / f"{doc_id}.jsonl"
        out[doc_id] = read_records(p) if p.is_file() else []
    return out


def _all_gold_by_text(into: Path) -> dict[str, list[Record]]:
    by_text: dict[str, list[Record]] = {}
    if into.is_dir():
        for p in sorted(into.glob("*.jsonl")):
            try:
                for r in read_records(p):
                    by_text.setdefault(r.text.strip(), []).append(r)
            except RecordFormatError:
                continue  # a broken unrelated gold file is `annotate validate`'s business
    return by_text


def _relative_spans(rec: Record) -> set[tuple[int, int, str]]:
    lead = len(rec.text) - len(rec.text.lstrip())
    return {(s.start - lead, s.end - lead, s.label) for s in rec.spans}


def plan_merge(incoming: Iterable[Mapping[str, Any]], into: str | os.PathLike = GOLD_DIR,
               sources_dir: str | os.PathLike | None = None, on_conflict: str = "fail",
               skipped: Iterable[str] = ()) -> MergePlan:
    """Validate and classify ``incoming`` against the gold in ``into``; hold the gold lock
    from here until :func:`apply_plan` (``sources_dir`` default: :func:`sources_beside`)."""
    if on_conflict not in ON_CONFLICT:
        raise ValueError(f"on_conflict must be one of {ON_CONFLICT}")
    into = Path(into)
    sources_dir = Path(sources_dir) if sources_dir is not None else sources_beside(into)
    plan = MergePlan(into=into, on_conflict=on_conflict, skipped=list(skipped))
    records: list[tuple[Record, Optional[str]]] = []
    seen: dict[str, str] = {}
    for i, d in enumerate(incoming):
        where = str(d.get("_where") or f"item {i}") if isinstance(d, Mapping) else f"item {i}"
        ref = f"{where} {d.get('doc_id')}/{d.get('record_id')}" if isinstance(d, Mapping) else where
        try:
            if not isinstance(d, Mapping):
                raise InterchangeError(where, "not an object")
            body = {k: v for k, v in d.items() if k != "_where"}
            rec = validate_record(body, ref)
        except InterchangeError as e:
            plan.errors.append(str(e))
            continue
        if rec.record_id in seen:
            plan.errors.append(f"{ref}: record appears twice in the import (also at {seen[rec.record_id]})")
            continue
        seen[rec.record_id] = ref
        records.append((rec, body.get(BASE_KEY)))
    doc_ids = sorted({r.doc_id for r, _ in records})
    try:
        targets = load_target(into, doc_ids)
    except RecordFormatError as e:
        plan.errors.append(f"existing gold is unreadable: {e}")
        return plan
    by_text = _all_gold_by_text(into)
    sources = {doc_id: _source(doc_id, sources_dir) for doc_id in doc_ids}
    changed_docs: set[str] = set()
    for rec, base in records:
        ref = f"{rec.doc_id}/{rec.record_id}"
        src = sources[rec.doc_id]
        if src is None:
            plan.errors.append(f"{ref}: no source {sources_dir / (rec.doc_id + '.txt')} for doc_id {rec.doc_id!r} "
                               "(records must belong to a document with a source; --sources DIR)")
            continue
        if src[rec.offset:rec.offset + len(rec.text)] != rec.text:
            plan.errors.append(f"{ref}: text differs from the source {rec.doc_id}.txt at offset {rec.offset} "
                               f"(the annotation tool changed the text?)")
            continue
        gold_list = targets[rec.doc_id]
        existing = next((g for g in gold_list if g.record_id == rec.record_id), None)
        if existing is not None and existing.text != rec.text:
            plan.errors.append(f"{ref}: text differs from the gold record (length {len(existing.text)} vs {len(rec.text)})")
            continue
        if existing is None:
            clash = next((g for g in gold_list if g.offset < rec.end and rec.offset < g.end), None)
            if clash is not None:
                plan.errors.append(f"{ref}: [{rec.offset},{rec.end}) overlaps gold record {clash.record_id} "
                                   f"[{clash.offset},{clash.end})")
                continue
        plan.warnings.extend(complete(rec, ref))
        problems = gold_problems(rec, src)
        if problems and rec.status == "reviewed":
            plan.errors.extend(f"{ref}: {p}" for p in problems)
            continue
        plan.warnings.extend(f"{ref}: (unreviewed) {p}" for p in problems)
        for other in by_text.get(rec.text.strip(), []):
            if other.record_id != rec.record_id and other.status == "reviewed" and _relative_spans(other) != _relative_spans(rec):
                plan.warnings.append(f"{ref}: same text as gold {other.record_id} but different spans")
        rec.sort()
        if existing is None:
            gold_list.append(rec)
            plan.added.append(ref)
            changed_docs.add(rec.doc_id)
            continue
        gold_fp = spans_fingerprint(s.to_dict() for s in existing.spans)
        new_fp = spans_fingerprint(s.to_dict() for s in rec.spans)
        if rec.to_dict() == existing.to_dict():
            plan.unchanged.append(ref)
            continue
        if new_fp != gold_fp and base != gold_fp:
            plan.conflicts.append(Conflict(ref, sorted(_key3(existing.spans) - _key3(rec.spans)),
                                           sorted(_key3(rec.spans) - _key3(existing.spans))))
            if on_conflict != "import":
                plan.kept_gold.append(ref)
                continue
        gold_list[gold_list.index(existing)] = rec
        plan.updated.append(ref)
        changed_docs.add(rec.doc_id)
    plan.files = {d: sorted(targets[d], key=lambda r: r.offset) for d in sorted(changed_docs)}
    return plan


def apply_plan(plan: MergePlan) -> list[Path]:
    """Write the plan's files (all validated) as one journalled commit; returns the paths written.
    Hold the gold lock (``nlp.annotation.lock.gold_lock(plan.into)``) from planning to here."""
    from nlp.annotation.journal import commit

    if not plan.ok:
        raise ValueError("refusing to write an invalid merge plan")
    files = {f"{doc_id}.jsonl": "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in recs).encode("utf-8")
             for doc_id, recs in plan.files.items()}
    return commit(plan.into, files) if files else []


def merge(incoming: Iterable[Mapping[str, Any]], into: str | os.PathLike = GOLD_DIR, **kw: Any) -> MergePlan:
    """Plan and apply under the gold lock: concurrent merges never lose each other's changes."""
    from nlp.annotation.lock import gold_lock

    with gold_lock(into):
        plan = plan_merge(incoming, into, **kw)
        if plan.ok:
            apply_plan(plan)
    return plan


__all__ = ["Conflict", "MergePlan", "ON_CONFLICT", "apply_plan", "merge", "plan_merge", "sources_beside", "validate_record"]

"""Edit one gold file by record and surface, then re-validate it.

Designed so that several reviewers can each own one ``annotations/gold/<doc_id>.jsonl``:
every command touches one file, writes it atomically, and validates it right away. A command
holds the gold lock (:mod:`nlp.annotation.lock`) from reading the file to writing it, so it
never overwrites an import or another edit that landed in between.

Command line (``fiscal-extract annotate edit …`` or ``python -m nlp.annotation.edit …``)::

    edit DOC find "较 2020 年增加"                      # which records hold a surface
    edit DOC show 12                                   # a record with its spans and facts
    edit DOC add-span 12 "25.66 万元" AMOUNT            # value/unit derived from the surface
    edit DOC add-span 12 "增加（减少）" CHANGE --flag template
    edit DOC add-span 12 "上年" PERIOD --value 2020
    edit DOC set-span 12 "0 万元" --value 0 --nth 2     # the 2nd occurrence in the record
    edit DOC remove-span 12 "2020 年"
    edit DOC add-fact 12 "25.66 万元" change --subject 收入总计 --direction increase --period 2021 --base-period 2020
    edit DOC set-fact 12 "25.66 万元" --measure change --reason "机构改革"
    edit DOC remove-fact 12 "25.66 万元" [--measure change]
    edit DOC reviewed 12|all                           # status → reviewed

DOC is a doc_id or its 3-digit prefix (``000``); a record is its number (``12``) or full id.
Python API: :class:`GoldFile` (the same operations, for scripted batches of decisions).
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional, Sequence

from nlp.annotation.records import GOLD_DIR, GoldFact, GoldSpan, Record, read_records, write_records
from nlp.annotation.validate import misplaced_reason

__all__ = ["EditError", "GoldFile", "derive_value", "main", "resolve_doc"]

CURRENCY = {"元": 1, "千元": 1000, "万元": 10_000, "亿元": 100_000_000}


_NUMBER_LIKE = re.compile(r"(?<![0-9.])[0-9][0-9.,]*|(?<![零〇一二两三四五六七八九十百千万])[零〇一二两三四五六七八九十百千万]+(?=[个人次名辆台家件份场条项天批张例户所])")


_REASON = re.compile(r"主要原因是|主要原因|主要是")


def _reason_clauses(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of each stated cause: from 主要原因是 to the end of its clause."""
    out = []
    for m in _REASON.finditer(text):
        end = len(text)
        for stop in "；;。":
            k = text.find(stop, m.end())
            if 0 <= k < end:
                end = k
        out.append((m.start(), end))
    return out


class EditError(ValueError):
    pass


def _key(text: str) -> tuple[str, list[int]]:
    """NFKC text without whitespace, and for each of its characters the index it came from."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace() or ch in "\u200b\ufeff":
            continue
        n = unicodedata.normalize("NFKC", ch)
        out.append(n)
        index.extend([i] * len(n))
    return "".join(out), index


def resolve_doc(doc: str, directory: Path = GOLD_DIR) -> Path:
    p = Path(doc)
    if p.suffix == ".jsonl" and p.exists():
        return p
    matches = sorted(directory.glob(f"{doc}*.jsonl"))
    if len(matches) != 1:
        raise EditError(f"{doc!r} matches {len(matches)} files in {directory}")
    return matches[0]


def derive_value(label: str, surface: str, scale: Optional[int] = None) -> tuple[Optional[str], Optional[str]]:
    """(value, unit) a number surface denotes; ``scale`` for a bare table number (10000 under 万元)."""
    from nlp.annotation.validate import APPROX_MARKS, _clean_surface, _NUM
    from nlp.contract import COUNT_UNITS
    from nlp.numerals import parse_number, parse_percent_words, to_value

    s = _clean_surface(surface).lstrip("≥≤=><约近超逾")
    if label == "PERCENT":
        v = parse_percent_words(s) if s.startswith("百分之") else parse_number(s.rstrip("%‰").rstrip(APPROX_MARKS))
        return to_value(v), "%"
    m = _NUM.match(s)
    if not m:
        raise EditError(f"no number in {surface!r}")
    numeral, rest = m.group(), s[m.end():]
    if label == "AMOUNT":
        for w in ("亿", "万", "千"):
            if numeral.endswith(w) and rest.startswith("元"):
                numeral, rest = numeral[:-1], w + rest
        rest = rest.lstrip(APPROX_MARKS)
        n = parse_number(numeral.rstrip(APPROX_MARKS))
        k = CURRENCY.get(rest) if rest else (scale or 1)
        if k is None:
            raise EditError(f"unknown currency unit {rest!r} in {surface!r}")
        return to_value(n * k), "CNY"
    if label == "QUANTITY":
        rest = rest.lstrip(APPROX_MARKS)
        n = parse_number(numeral.rstrip(APPROX_MARKS))
        if rest == "万" or (rest.startswith("万") and rest[1:] in COUNT_UNITS):
            n, rest = n * 10_000, rest[1:]
        elif scale:
            n = n * scale
        unit = rest.rstrip(APPROX_MARKS) or None
        return to_value(n), unit
    return None, None


class GoldFile:
    """One gold file held in memory; ``save()`` writes it atomically and validates it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._loaded = self._fingerprint()
        self.records = read_records(self.path)
        self.by_id = {r.record_id: r for r in self.records}

    def _fingerprint(self) -> Optional[bytes]:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None

    # --- lookup -----------------------------------------------------------------------
    def record(self, ref: str | int) -> Record:
        ref = str(ref)
        if "#" not in ref:
            ref = f"{self.records[0].doc_id}#{int(ref):04d}"
        try:
            return self.by_id[ref]
        except KeyError:
            raise EditError(f"no record {ref}") from None

    def find(self, surface: str) -> list[tuple[Record, int]]:
        out = []
        for r in self.records:
            i = r.text.find(surface)
            while i >= 0:
                out.append((r, i))
                i = r.text.find(surface, i + 1)
        return out

    @staticmethod
    def locate(rec: Record, surface: str, nth: Optional[int] = None, after: Optional[str] = None) -> tuple[int, int]:
        """``(start, end)`` of the ``nth`` occurrence of ``surface`` in ``rec`` (after the text
        ``after``). Matching ignores whitespace and line breaks and compares NFKC forms, so
        ``年初结转和结余`` finds ``年初结转和结\n\n余`` and ``增加(减少)`` finds ``增加（减少）``;
        without ``nth`` the surface must occur once."""
        key, index = _key(rec.text)
        want = _key(surface)[0]
        if not want:
            raise EditError("empty surface")
        base = 0
        if after is not None:
            a = key.find(_key(after)[0])
            if a < 0:
                raise EditError(f"{rec.record_id}: {after!r} not in record")
            base = a + len(_key(after)[0])
        hits = []
        i = key.find(want, base)
        while i >= 0:
            # a number never matches inside a longer number ("0%" is not in "100%")
            cut_before = want[0].isdigit() and i > 0 and (key[i - 1].isdigit() or key[i - 1] == ".")
            j = i + len(want)
            cut_after = want[-1].isdigit() and j < len(key) and (key[j].isdigit() or key[j] == ".")
            if not (cut_before or cut_after):
                hits.append(i)
            i = key.find(want, i + 1)
        if not hits:
            raise EditError(f"{rec.record_id}: {surface!r} not found" + (f" after {after!r}" if after else ""))
        if nth is None:
            if len(hits) > 1:
                raise EditError(f"{rec.record_id}: {surface!r} occurs {len(hits)} times; give nth= or after=")
            nth = 1
        if nth > len(hits):
            raise EditError(f"{rec.record_id}: occurrence {nth} of {surface!r} not found ({len(hits)})")
        k = hits[nth - 1]
        return index[k], index[k + len(want) - 1] + 1

    def span_at(self, rec: Record, surface: str, nth: Optional[int] = None, after: Optional[str] = None,
                label: Optional[str] = None) -> GoldSpan:
        s, e = self.locate(rec, surface, nth, after)
        for sp in rec.spans:
            if sp.start == s and sp.end == e and (label is None or sp.label == label):
                return sp
        raise EditError(f"{rec.record_id}: no span on {surface!r} at {s}")

    # --- spans ------------------------------------------------------------------------
    def add_span(self, ref, surface: str, label: str, value: Optional[str] = None, unit: Optional[str] = None,
                 direction: Optional[str] = None, flags: Sequence[str] = (), nth: Optional[int] = None,
                 after: Optional[str] = None, scale: Optional[int] = None, replace: bool = True) -> GoldSpan:
        """Add a span; overlapping spans are removed first when ``replace`` (with their facts
        re-pointed when the new span covers the same value). Value/unit of AMOUNT, PERCENT and
        QUANTITY are derived from the surface unless given."""
        rec = self.record(ref)
        s, e = self.locate(rec, surface, nth, after)
        surface = rec.text[s:e]
        if label in ("AMOUNT", "PERCENT", "QUANTITY"):
            dv, du = derive_value(label, surface, scale)
            value = value if value is not None else dv
            unit = unit if unit is not None else du
        elif label == "UNIT" and unit is None:
            unit = surface.strip("()（）:： ").replace(" ", "")
        span = GoldSpan(s, e, label, surface, value, unit, direction, list(flags))
        clash = [sp for sp in rec.spans if sp.start < e and s < sp.end]
        if clash and not replace:
            raise EditError(f"{rec.record_id}: {surface!r} overlaps {[c.text for c in clash]}")
        for c in clash:
            rec.spans.remove(c)
            for f in rec.facts:
                if (f.start, f.end) == (c.start, c.end):
                    f.evidence = {"start": s, "end": e}
        rec.spans.append(span)
        rec.sort()
        return span

    def set_span(self, ref, surface: str, nth: Optional[int] = None, after: Optional[str] = None, **changes: Any) -> GoldSpan:
        rec = self.record(ref)
        sp = self.span_at(rec, surface, nth, after)
        for k, v in changes.items():
            if not hasattr(sp, k):
                raise EditError(f"span has no field {k!r}")
            setattr(sp, k, v)
        return sp

    def remove_span(self, ref, surface: str, nth: Optional[int] = None, after: Optional[str] = None,
                    label: Optional[str] = None) -> None:
        rec = self.record(ref)
        sp = self.span_at(rec, surface, nth, after, label)
        rec.spans.remove(sp)
        rec.facts = [f for f in rec.facts if (f.start, f.end) != (sp.start, sp.end)]

    # --- facts ------------------------------------------------------------------------
    def add_fact(self, ref, surface: str, measure: str, subject: Optional[str], nth: Optional[int] = None,
                 after: Optional[str] = None, **fields: Any) -> GoldFact:
        """A fact on the value span at ``surface`` (value/unit taken from the span)."""
        rec = self.record(ref)
        sp = self.span_at(rec, surface, nth, after)
        unit = {"AMOUNT": "CNY", "PERCENT": "%"}.get(sp.label, sp.unit)
        fact = GoldFact(subject=subject, measure=measure, value=fields.pop("value", sp.value),
                        unit=fields.pop("unit", unit), evidence={"start": sp.start, "end": sp.end})
        for k, v in fields.items():
            if not hasattr(fact, k):
                raise EditError(f"fact has no field {k!r}")
            setattr(fact, k, list(v) if k == "flags" else v)
        if measure in ("change", "change_pct") and fact.direction is None and fact.value is not None \
                and Decimal(fact.value) == 0 and "template" not in fact.flags:
            fact.direction = "flat"
        rec.facts.append(fact)
        rec.sort()
        return fact

    def facts_at(self, rec: Record, surface: str, nth: Optional[int] = None, after: Optional[str] = None,
                 measure: Optional[str] = None) -> list[GoldFact]:
        s, e = self.locate(rec, surface, nth, after)
        return [f for f in rec.facts if f.start == s and f.end == e
                and (measure is None or f.measure == measure)]

    def set_fact(self, ref, surface: str, nth: Optional[int] = None, after: Optional[str] = None,
                 measure: Optional[str] = None, **changes: Any) -> GoldFact:
        rec = self.record(ref)
        fs = self.facts_at(rec, surface, nth, after, measure)
        if len(fs) != 1:
            raise EditError(f"{rec.record_id}: {len(fs)} facts on {surface!r}; give measure=")
        for k, v in changes.items():
            if not hasattr(fs[0], k):
                raise EditError(f"fact has no field {k!r}")
            setattr(fs[0], k, v)
        return fs[0]

    def remove_fact(self, ref, surface: str, nth: Optional[int] = None, after: Optional[str] = None,
                    measure: Optional[str] = None) -> int:
        rec = self.record(ref)
        fs = self.facts_at(rec, surface, nth, after, measure)
        for f in fs:
            rec.facts.remove(f)
        return len(fs)

    def clear(self, ref) -> None:
        """Drop every span and fact of a record (to annotate it from scratch)."""
        rec = self.record(ref)
        rec.spans, rec.facts = [], []

    def reviewed(self, ref: str | int = "all", notes: Optional[str] = None) -> None:
        for r in self.records if str(ref) == "all" else [self.record(ref)]:
            r.status = "reviewed"
            if notes:
                r.notes = notes

    def apply_conventions(self, ref="all") -> int:
        """The mechanical parts of the guidelines, for a record about to be reviewed:
        SUBJECT spans in records without any figure, or inside a stated cause without a figure,
        are dropped (§2: a subject is what a figure is about), the question form ``增加（减少）的主要原因`` is no CHANGE (§4), a template
        change of 0 is ``flat`` (§4), ``reason`` stays only on change/change_pct/execution_pct
        facts (§8) and ``inconsistent`` is not annotated (a check's output, §8). Returns the
        number of edits; everything else is decided by reading."""
        n = 0
        following = {a.record_id: b for a, b in zip(self.records, self.records[1:])}
        for r in self.records if str(ref) == "all" else [self.record(ref)]:
            if not any(s.label in ("AMOUNT", "PERCENT", "QUANTITY") for s in r.spans):
                # a sentence broken over two records: its subject stays when the next record's
                # figure is about it (the last mention, closest to the figure)
                nxt = following.get(r.record_id)
                wanted = {f.subject for f in nxt.facts} if nxt else set()
                keep = {}
                for s in r.spans:
                    if s.label == "SUBJECT" and _key(s.text)[0] in wanted:
                        keep[_key(s.text)[0]] = s
                before = len(r.spans)
                r.spans = [s for s in r.spans if s.label != "SUBJECT" or s in keep.values()]
                n += before - len(r.spans)
            for a, b in _reason_clauses(r.text):
                inner = [s for s in r.spans if a <= s.start and s.end <= b]
                if not any(s.label in ("AMOUNT", "PERCENT", "QUANTITY") for s in inner):
                    for s in inner:
                        if s.label == "SUBJECT":
                            r.spans.remove(s)
                            n += 1
            for s in list(r.spans):
                if s.label == "CHANGE" and "template" in s.flags and _key(r.text[s.end:s.end + 8])[0].startswith("的主要原因"):
                    r.spans.remove(s)
                    n += 1
            for f in r.facts:
                if f.measure in ("change", "change_pct") and "template" in f.flags and f.direction is None \
                        and Decimal(f.value) == 0:
                    f.direction = "flat"
                    n += 1
                if misplaced_reason(f.measure, f.reason):
                    f.reason = None
                    n += 1
                if "inconsistent" in f.flags:
                    f.flags = [x for x in f.flags if x != "inconsistent"]
                    n += 1
        return n

    def uncovered(self, ref="all") -> list[tuple[Record, int, str]]:
        """Numbers (Arabic or Chinese with a unit) that no span covers: the coverage rule's
        to-do list (each is an entity to add or a non-entity case of the guidelines)."""
        out = []
        for r in self.records if str(ref) == "all" else [self.record(ref)]:
            covered = [(s.start, s.end) for s in r.spans]
            for m in _NUMBER_LIKE.finditer(r.text):
                if not any(a <= m.start() < b for a, b in covered):
                    out.append((r, m.start(), r.text[max(0, m.start() - 12):m.end() + 8].replace("\n", "⏎")))
        return out

    # --- output -----------------------------------------------------------------------
    def show(self, ref) -> str:
        r = self.record(ref)
        lines = [f"{r.record_id} offset={r.offset} kind={r.kind} status={r.status}", r.text.rstrip()]
        for sp in r.spans:
            extra = " ".join(f"{k}={v}" for k, v in (("value", sp.value), ("unit", sp.unit),
                                                    ("dir", sp.direction)) if v) + (f" flags={sp.flags}" if sp.flags else "")
            lines.append(f"  [{sp.start},{sp.end}) {sp.label:<12} {sp.text!r} {extra}")
        for f in r.facts:
            d = {k: v for k, v in f.to_dict().items() if v not in (None, [], "") and k != "evidence"}
            lines.append(f"  fact @{r.text[f.start:f.end]!r} {d}")
        return "\n".join(lines)

    def save(self, validate: bool = True, sources_dir: Optional[Path] = None) -> list[str]:
        """Write the file under the gold lock; refuses (``EditError``) if it changed on disk
        since it was read (an import or another edit landed: reload and redo the edit).
        ``sources_dir`` default: ``sources/`` beside the gold folder, else annotations/sources."""
        from nlp.annotation.lock import gold_lock
        from nlp.annotation.validate import sources_for, validate_file

        for r in self.records:
            r.sort()
        with gold_lock(self.path.parent):
            if self._fingerprint() != self._loaded:
                raise EditError(f"{self.path} changed on disk since it was read (another edit or an import); "
                                "nothing written: reload it and redo the edit")
            write_records(self.path, self.records)
            self._loaded = self._fingerprint()
            if not validate:
                return []
            return [str(p) for p in validate_file(self.path, sources_dir or sources_for(self.path))]


def _opt_fields(args: argparse.Namespace, names: Sequence[str]) -> dict[str, Any]:
    out = {}
    for n in names:
        v = getattr(args, n, None)
        if v is not None:
            out[n] = (None if v == "null" else v) if not isinstance(v, list) else v
    return out


FACT_OPTS = ("subject", "code", "measure", "value", "unit", "direction", "comparator", "period", "base_period",
             "basis", "column", "reason")


def build_parser(ap: argparse.ArgumentParser) -> argparse.ArgumentParser:
    ap.add_argument("doc", help="doc_id, its prefix (000) or a .jsonl path")
    ap.add_argument("--dir", type=Path, default=GOLD_DIR)
    sub = ap.add_subparsers(dest="op", required=True)
    p = sub.add_parser("find"); p.add_argument("surface")
    p = sub.add_parser("show"); p.add_argument("record")
    p = sub.add_parser("uncovered", help="numbers no span covers"); p.add_argument("record", nargs="?", default="all")
    for name in ("add-span", "set-span", "remove-span", "add-fact", "set-fact", "remove-fact"):
        p = sub.add_parser(name)
        p.add_argument("record"); p.add_argument("surface")
        p.add_argument("--nth", type=int); p.add_argument("--after")
        if name == "add-span":
            p.add_argument("label")
        if name == "add-fact":
            p.add_argument("fact_measure", metavar="measure")
        if name in ("add-span", "set-span"):
            for o in ("value", "unit", "direction", "label"):
                p.add_argument(f"--{o}") if not (name == "add-span" and o == "label") else None
            p.add_argument("--flag", action="append", dest="flags")
            p.add_argument("--scale", type=int)
        if name in ("add-fact", "set-fact", "remove-fact"):
            for o in FACT_OPTS:
                p.add_argument(f"--{o.replace('_', '-')}", dest=o)
            p.add_argument("--flag", action="append", dest="flags")
        if name == "remove-span":
            p.add_argument("--label")
    p = sub.add_parser("reviewed"); p.add_argument("record"); p.add_argument("--notes")
    return ap


def run(args: argparse.Namespace) -> int:
    from nlp.annotation.journal import JournalError
    from nlp.annotation.lock import GoldLockTimeout, gold_lock

    try:
        path = resolve_doc(args.doc, args.dir)
        with gold_lock(path.parent):  # read, change and write as one writer
            return _run(args, path)
    except (EditError, ValueError, GoldLockTimeout, JournalError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, path: Path) -> int:
    try:
        gf = GoldFile(path)
        op = args.op
        if op == "find":
            for r, i in gf.find(args.surface):
                print(f"{r.record_id} @{i}: …{r.text[max(0, i - 15):i + len(args.surface) + 15]!r}…")
            return 0
        if op == "uncovered":
            for r, i, ctx in gf.uncovered(args.record):
                print(f"{r.record_id} @{i}: {ctx}")
            return 0
        if op == "show":
            print(gf.show(args.record))
            return 0
        loc = dict(nth=args.nth, after=args.after) if hasattr(args, "nth") else {}
        if op == "add-span":
            gf.add_span(args.record, args.surface, args.label, value=args.value, unit=args.unit,
                        direction=args.direction, flags=args.flags or (), scale=args.scale, **loc)
        elif op == "set-span":
            ch = _opt_fields(args, ("value", "unit", "direction", "label"))
            if args.flags is not None:
                ch["flags"] = [] if args.flags == ["none"] else args.flags
            gf.set_span(args.record, args.surface, **loc, **ch)
        elif op == "remove-span":
            gf.remove_span(args.record, args.surface, label=args.label, **loc)
        elif op == "add-fact":
            ch = _opt_fields(args, [o for o in FACT_OPTS if o not in ("measure", "subject")])
            if args.flags:
                ch["flags"] = args.flags
            gf.add_fact(args.record, args.surface, args.fact_measure, args.subject, **loc, **ch)
        elif op == "set-fact":
            ch = _opt_fields(args, [o for o in FACT_OPTS if o != "measure"])
            if args.flags is not None:
                ch["flags"] = [] if args.flags == ["none"] else args.flags
            gf.set_fact(args.record, args.surface, measure=args.measure, **loc, **ch)
        elif op == "remove-fact":
            n = gf.remove_fact(args.record, args.surface, measure=args.measure, **loc)
            print(f"removed {n} fact(s)")
        elif op == "reviewed":
            gf.reviewed(args.record, args.notes)
        problems = gf.save()
        if op != "reviewed" and op != "remove-fact":
            print(gf.show(args.record))
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    except (EditError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    ap = build_parser(argparse.ArgumentParser(prog="python -m nlp.annotation.edit",
                                              description="edit one gold file by record and surface"))
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())

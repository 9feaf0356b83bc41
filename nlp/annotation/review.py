"""What the review changed: pre-annotations (system output) against gold, per label and measure.

``python -m nlp.annotation.review [--write]`` compares ``annotations/seed/<doc>.jsonl`` (the
pre-annotation the gold file was seeded from; ``--pre annotations/pre`` for the latest) with
``annotations/gold/<doc>.jsonl`` for every document that has both, in document offsets:

* a span is *kept* when gold has the same offsets and label with the same value, unit,
  direction and flags; *changed* when gold has a span of the same label overlapping it with
  other offsets or attributes; *removed* when nothing of its label overlaps it in gold; gold
  spans matched by no pre span are *added*;
* a fact is matched on (evidence offsets, measure, column); *changed* when any other field
  differs, *removed*/*added* as for spans.

``--write`` replaces the generated part of ``annotations/REVIEW.md`` (between the markers)
and keeps the hand-written notable-cases section.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Sequence

from nlp.annotation.records import GOLD_DIR, REPO_ROOT, Record, read_records

# The pre-annotation each gold file was seeded from (``preannotate --to-gold`` snapshots it here),
# so re-running the pre-annotation with a newer system never changes what the review is measured against.
SEED_DIR = REPO_ROOT / "annotations" / "seed"
from nlp.contract import LABELS, MEASURES

__all__ = ["diff_documents", "diff_records", "format_tables", "main"]

REVIEW_MD = REPO_ROOT / "annotations" / "REVIEW.md"
BEGIN, END = "<!-- review-tables:begin -->", "<!-- review-tables:end -->"
OUTCOMES = ("kept", "changed", "removed", "added")


def _doc_spans(records: Sequence[Record]) -> list[dict[str, Any]]:
    out = []
    for r in records:
        for s in r.spans:
            out.append({"start": r.offset + s.start, "end": r.offset + s.end, "label": s.label,
                        "attrs": (s.value, s.unit, s.direction, tuple(sorted(s.flags)))})
    return out


def _doc_facts(records: Sequence[Record]) -> list[dict[str, Any]]:
    out = []
    for r in records:
        for f in r.facts:
            d = f.to_dict()
            key = (r.offset + f.start, r.offset + f.end, f.measure, f.column)
            rest = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(d.items())
                         if k not in ("evidence", "measure", "column"))
            out.append({"key": key, "measure": f.measure, "rest": rest})
    return out


def diff_records(pre: Sequence[Record], gold: Sequence[Record]) -> dict[str, Counter]:
    """``{"labels": Counter[(label, outcome)], "measures": Counter[(measure, outcome)]}``."""
    labels: Counter = Counter()
    ps, gs = _doc_spans(pre), _doc_spans(gold)
    gold_exact = {(g["start"], g["end"], g["label"]): g for g in gs}
    gold_by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for g in gs:
        gold_by_label[g["label"]].append(g)
    used: set[int] = set()
    for p in ps:
        g = gold_exact.get((p["start"], p["end"], p["label"]))
        if g is not None:
            used.add(id(g))
            labels[(p["label"], "kept" if g["attrs"] == p["attrs"] else "changed")] += 1
            continue
        over = [g for g in gold_by_label[p["label"]] if g["start"] < p["end"] and p["start"] < g["end"]
                and id(g) not in used]
        if over:
            used.add(id(over[0]))
            labels[(p["label"], "changed")] += 1
        else:
            labels[(p["label"], "removed")] += 1
    for g in gs:
        if id(g) not in used:
            labels[(g["label"], "added")] += 1
    measures: Counter = Counter()
    gf = {}
    for f in _doc_facts(gold):
        gf.setdefault(f["key"], []).append(f)
    matched: set[int] = set()
    for f in _doc_facts(pre):
        cands = [g for g in gf.get(f["key"], []) if id(g) not in matched]
        if not cands:
            measures[(f["measure"], "removed")] += 1
            continue
        same = [g for g in cands if g["rest"] == f["rest"]]
        g = (same or cands)[0]
        matched.add(id(g))
        measures[(f["measure"], "kept" if same else "changed")] += 1
    for fs in gf.values():
        for g in fs:
            if id(g) not in matched:
                measures[(g["measure"], "added")] += 1
    return {"labels": labels, "measures": measures}


def diff_documents(pre_dir: Path = SEED_DIR, gold_dir: Path = GOLD_DIR, reviewed_only: bool = True) -> dict[str, Any]:
    """Per-document and total diffs for documents with both files. With ``reviewed_only``
    only records whose gold status is ``reviewed`` are compared (work in progress is not counted)."""
    per_doc: dict[str, dict[str, Counter]] = {}
    for g in sorted(Path(gold_dir).glob("*.jsonl")):
        p = Path(pre_dir) / g.name
        if not p.exists():
            continue
        gold = read_records(g)
        pre = read_records(p)
        if reviewed_only:
            spans = [(r.offset, r.end) for r in gold if r.status == "reviewed"]
            if not spans:
                continue
            gold = [r for r in gold if r.status == "reviewed"]
            pre = [_restrict(r, spans) for r in pre]
        per_doc[g.stem] = diff_records(pre, gold)
        per_doc[g.stem]["records"] = Counter({"reviewed": len(gold)})
    total = {"labels": Counter(), "measures": Counter()}
    for d in per_doc.values():
        total["labels"].update(d["labels"])
        total["measures"].update(d["measures"])
    return {"documents": per_doc, "total": total}


def _restrict(rec: Record, windows: Sequence[tuple[int, int]]) -> Record:
    """``rec`` with only the spans/facts that fall inside the reviewed stretches of the source."""
    def inside(a: int, b: int) -> bool:
        return any(s <= a and b <= e for s, e in windows)

    return Record(rec.doc_id, rec.record_id, rec.offset, rec.text, rec.kind,
                  [s for s in rec.spans if inside(rec.offset + s.start, rec.offset + s.end)],
                  [f for f in rec.facts if inside(rec.offset + f.start, rec.offset + f.end)], rec.status)


def _table(title: str, keys: Sequence[str], counts: Counter) -> str:
    rows = [f"| {title} | pre | kept | changed | removed | added | gold |", "|---|---|---|---|---|---|---|"]
    tot = Counter()
    for k in keys:
        c = {o: counts.get((k, o), 0) for o in OUTCOMES}
        pre = c["kept"] + c["changed"] + c["removed"]
        gold = c["kept"] + c["changed"] + c["added"]
        tot.update(c)
        rows.append(f"| {k} | {pre} | {c['kept']} | {c['changed']} | {c['removed']} | {c['added']} | {gold} |")
    pre = tot["kept"] + tot["changed"] + tot["removed"]
    gold = tot["kept"] + tot["changed"] + tot["added"]
    rows.append(f"| **all** | {pre} | {tot['kept']} | {tot['changed']} | {tot['removed']} | {tot['added']} | {gold} |")
    return "\n".join(rows)


def format_tables(diff: dict[str, Any]) -> str:
    docs = diff["documents"]
    parts = [
        "Generated by `python -m nlp.annotation.review --write` (reviewed records only; "
        "pre = the rules-only pre-annotation the gold was seeded from (annotations/seed), gold = after review).",
        "",
        "Documents compared: " + (", ".join(f"`{d}` ({v['records']['reviewed']} records)" for d, v in docs.items()) or "none yet"),
        "",
        "### Entities per label (all reviewed documents)",
        _table("label", LABELS, diff["total"]["labels"]),
        "",
        "### Facts per measure (all reviewed documents)",
        _table("measure", MEASURES, diff["total"]["measures"]),
    ]
    for d, v in docs.items():
        parts += ["", f"#### {d}", _table("label", LABELS, v["labels"]), "", _table("measure", MEASURES, v["measures"])]
    return "\n".join(parts) + "\n"


TEMPLATE = """# Review of the pre-annotations

The gold files (`annotations/gold/`) started as copies of the rules-only pre-annotation
(snapshot in `annotations/seed/`) and were corrected by reading the text, following
`annotations/GUIDELINES.md`. Gold is never adjusted to match the system.

## Counts

{begin}
{tables}{end}

## Notable cases (written by hand)

(to be written by the reviewers)
"""


def write_review_md(diff: dict[str, Any], path: Path = REVIEW_MD) -> None:
    tables = format_tables(diff)
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if BEGIN in text and END in text:
            head, _, rest = text.partition(BEGIN)
            _, _, tail = rest.partition(END)
            path.write_text(f"{head}{BEGIN}\n{tables}{END}{tail}", encoding="utf-8")
            return
    path.write_text(TEMPLATE.format(begin=BEGIN, tables=tables, end=END), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nlp.annotation.review")
    ap.add_argument("--pre", type=Path, default=SEED_DIR, help="default: annotations/seed")
    ap.add_argument("--gold", type=Path, default=GOLD_DIR)
    ap.add_argument("--all-records", action="store_true", help="compare records not yet reviewed too")
    ap.add_argument("--write", action="store_true", help=f"update {REVIEW_MD.relative_to(REPO_ROOT)}")
    args = ap.parse_args(argv)
    return run(args.pre, args.gold, args.all_records, args.write)


def run(pre: Path = SEED_DIR, gold: Path = GOLD_DIR, all_records: bool = False, write: bool = False) -> int:
    diff = diff_documents(pre, gold, reviewed_only=not all_records)
    print(format_tables(diff))
    if write:
        write_review_md(diff)
        print(f"wrote {REVIEW_MD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

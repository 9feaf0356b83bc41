"""Pre-annotation: the rules-only extractor over each WHOLE source, cut into records.

``python -m nlp.annotation.preannotate [--out annotations/pre] [DOC_ID ...]`` runs
``Extractor.rules_only()`` on every ``annotations/sources/*.txt``, segments the source into
records (:func:`nlp.annotation.records.segment_source`), moves entities and facts to
record-relative offsets and writes ``annotations/pre/<doc_id>.jsonl`` with status ``pre``.
Reviewers then seed ``annotations/gold/`` from it (``--to-gold``: invalid pre-annotations are
dropped, a gold file is never overwritten) and correct it by reading the text.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Sequence

from nlp.annotation.records import GOLD_DIR, PRE_DIR, SOURCES_DIR, Record, load_source, records_from_result, write_records

__all__ = ["main", "preannotate_doc"]


def preannotate_doc(doc_id: str, extractor=None, sources_dir: Path = SOURCES_DIR) -> list[Record]:
    if extractor is None:
        from nlp import Extractor

        extractor = Extractor.rules_only()
    source = load_source(doc_id, sources_dir)
    result = extractor.extract(source, doc_id=doc_id)
    return records_from_result(doc_id, source, result, status="pre")


def sanitize(records: list[Record]) -> tuple[list[Record], list[str]]:
    """A copy of pre-annotated records fit to start a gold file: spans and facts that fail
    the validator's checks (or overlap an earlier, longer span) are dropped and listed, so the
    gold file is valid from the start and a reviewer re-adds what was right."""
    from nlp.annotation.validate import _check_fact, _check_span

    dropped: list[str] = []
    out: list[Record] = []
    for r in records:
        r = Record.from_dict(r.to_dict())
        keep = []
        for sp in sorted(r.spans, key=lambda s: (s.start, -(s.end - s.start))):
            msgs: list[str] = []
            _check_span(sp.to_dict(), r.text, msgs.append)
            if not msgs and keep and sp.start < max(k.end for k in keep):
                msgs.append(f"overlaps an earlier span: {sp.label} {sp.text!r}")
            if msgs:
                dropped.extend(f"{r.record_id}: {m}" for m in msgs)
            else:
                keep.append(sp)
        r.spans = keep
        by_off = {(s.start, s.end): s.to_dict() for s in keep}
        facts, seen = [], set()
        for i, f in enumerate(r.facts):
            msgs = []
            _check_fact(i, f.to_dict(), r.text, by_off, msgs.append)
            key = (f.start, f.end, f.measure, f.column, f.subject)
            if not msgs and key in seen:
                msgs.append(f"fact {i} duplicate")
            seen.add(key)
            if msgs:
                dropped.extend(f"{r.record_id}: {m}" for m in msgs)
            else:
                facts.append(f)
        r.facts = facts
        out.append(r)
    return out, dropped


def seed_gold(doc_id: str, pre_dir: Path = PRE_DIR, gold_dir: Path = GOLD_DIR) -> tuple[Path, list[str]]:
    """Start ``<gold_dir>/<doc_id>.jsonl`` from the pre file (sanitised) and snapshot the pre file
    to ``annotations/seed/`` (``<gold_dir>.seed/`` for another gold directory, e.g. a second
    reviewer's); never overwrites a gold file."""
    from nlp.annotation.lock import gold_lock
    from nlp.annotation.records import read_records

    gold = Path(gold_dir) / f"{doc_id}.jsonl"
    pre = Path(pre_dir) / f"{doc_id}.jsonl"
    with gold_lock(gold_dir):  # the gold's one writer (nlp.annotation.lock)
        if gold.exists():
            raise FileExistsError(f"{gold} exists: not overwritten")
        records, dropped = sanitize(read_records(pre))
        write_records(gold, records)
    # what the review will be measured against (nlp.annotation.review)
    gold_dir = Path(gold_dir)
    seed_dir = gold_dir.parent / "seed" if gold_dir.resolve() == GOLD_DIR.resolve() else gold_dir.with_name(gold_dir.name + ".seed")
    seed = seed_dir / pre.name
    seed.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pre, seed)
    return gold, dropped


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nlp.annotation.preannotate", description=__doc__.split("\n\n")[0])
    ap.add_argument("doc_ids", nargs="*", help="default: every source")
    ap.add_argument("--sources", type=Path, default=SOURCES_DIR)
    ap.add_argument("--out", type=Path, default=PRE_DIR)
    ap.add_argument("--gold-dir", type=Path, default=GOLD_DIR,
                    help="where --to-gold seeds (e.g. annotations/gold-b for a second, independent reviewer)")
    ap.add_argument("--to-gold", action="store_true", help="also seed annotations/gold/<doc>.jsonl from it (invalid pre-annotations dropped) if absent")
    args = ap.parse_args(argv)
    ids = args.doc_ids or sorted(p.stem for p in args.sources.glob("*.txt"))
    from nlp import Extractor

    extractor = Extractor.rules_only()
    for doc_id in ids:
        if not (args.sources / f"{doc_id}.txt").exists():
            print(f"no source for {doc_id}", file=sys.stderr)
            return 2
        records = preannotate_doc(doc_id, extractor, args.sources)
        out = args.out / f"{doc_id}.jsonl"
        write_records(out, records)
        n_spans = sum(len(r.spans) for r in records)
        n_facts = sum(len(r.facts) for r in records)
        print(f"{out}: {len(records)} records, {n_spans} spans, {n_facts} facts")
        if args.to_gold:
            try:
                gold, dropped = seed_gold(doc_id, args.out, args.gold_dir)
            except FileExistsError as e:
                print(f"  {e}", file=sys.stderr)
                continue
            print(f"  seeded {gold} ({len(dropped)} invalid pre-annotations dropped)")
            for d in dropped:
                print(f"    dropped {d}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

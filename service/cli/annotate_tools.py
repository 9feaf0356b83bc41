"""``fiscal-extract annotate export|import|queue|agreement``: the annotators' round trip.

- ``export``: model pre-annotations of text files/directories (or gold record files, as
  they are) to Label Studio, doccano, Prodigy or spaCy DocBin.
- ``import``: those files back into ``annotations/gold`` (``--into``), validated, with
  conflicts reported, all or nothing.
- ``queue``: the paragraphs whose correction would help most, with reasons.
- ``agreement``: span P/R/F1 and Cohen's kappa between two annotators' files.

See docs/annotators.md for a walk-through.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Iterator

EXPORT_FORMATS = ("labelstudio", "doccano", "prodigy", "spacy", "jsonl")
PROG = "fiscal-extract annotate"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="pre-annotations (or gold) as Label Studio / doccano / Prodigy / spaCy files")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="text files, directories of *.txt, or gold record files / directories of *.jsonl (exported as they are)")
    p.add_argument("--format", "-f", choices=EXPORT_FORMATS, required=True)
    p.add_argument("--out", "-o", required=True, help="output file (Label Studio also writes <stem>.config.xml beside it)")
    p.add_argument("--model", default=None, help="model directory for pre-annotation (default: the shipped model)")
    p.add_argument("--gold", default=None, metavar="DIR",
                   help="gold directory whose segmentation and record ids to reuse (default: annotations/gold, then annotations/pre)")
    p.add_argument("--skip-reviewed", action="store_true", help="leave out records already reviewed in the gold")
    p.set_defaults(func=run_export)

    p = sub.add_parser("import", help="annotators' files back into the gold, validated, all or nothing")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--format", "-f", choices=EXPORT_FORMATS, default=None, help="default: from the file")
    p.add_argument("--into", default=None, metavar="DIR", help="target directory (default: annotations/gold)")
    p.add_argument("--on-conflict", choices=("fail", "import", "gold"), default="fail",
                   help="a record changed both in the gold and in the file: fail (default, nothing written), "
                        "the file wins, or the gold stays")
    p.add_argument("--accept-predictions", action="store_true",
                   help="also take tasks nobody reviewed (Label Studio predictions, Prodigy tasks without answer)")
    p.add_argument("--sources", default=None, metavar="DIR",
                   help="source texts to check against (default: sources/ beside the --into folder, else annotations/sources)")
    p.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    p.add_argument("--json", action="store_true", help="report as JSON")
    p.set_defaults(func=run_import)

    p = sub.add_parser("queue", help="rank paragraphs not yet annotated by how much a correction would help")
    p.add_argument("paths", nargs="*", metavar="PATH", help="text files or directories (default: annotations/sources)")
    p.add_argument("--top", "-n", type=int, default=20)
    p.add_argument("--model", default=None)
    p.add_argument("--gold", default=None, metavar="DIR", help="gold directory (default: annotations/gold)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_queue)

    p = sub.add_parser("agreement", help="span P/R/F1 and Cohen's kappa between two annotators' files")
    p.add_argument("a", metavar="A", help="first annotator's file (reference for precision/recall)")
    p.add_argument("b", metavar="B")
    p.add_argument("--format-a", choices=EXPORT_FORMATS, default=None)
    p.add_argument("--format-b", choices=EXPORT_FORMATS, default=None)
    p.add_argument("--unit", choices=("char", "token"), default="char", help="kappa over characters (default) or tokens")
    p.add_argument("--include-predictions", action="store_true", help="count unreviewed tasks too")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_agreement)


def _err(msg: str) -> int:
    print(f"{PROG}: {msg}", file=sys.stderr)
    return 2


# --- inputs -----------------------------------------------------------------------------


def _expand(paths: list[str], pattern: str) -> Iterator[Path]:
    for name in paths:
        p = Path(name)
        if p.is_dir():
            yield from sorted(p.glob(pattern))
        elif p.is_file():
            yield p
        else:
            raise FileNotFoundError(f"no such file or directory: {name}")


def _read_text(p: Path) -> str:
    with open(p, encoding="utf-8", newline="") as fh:  # keep \r\n: offsets are into the file as stored
        return fh.read()


def _existing_records(gold_dir: str | None) -> dict[str, list]:
    from nlp.annotation.records import GOLD_DIR, PRE_DIR, load_gold

    dirs = [Path(gold_dir)] if gold_dir else [GOLD_DIR, PRE_DIR]
    out: dict[str, list] = {}
    for d in dirs:
        if d.is_dir():
            for doc_id, recs in load_gold(d).items():
                out.setdefault(doc_id, recs)
    return out


# --- export -----------------------------------------------------------------------------


def run_export(args: argparse.Namespace) -> int:
    from nlp.annotation import interchange
    from nlp.annotation.interchange.preannotate import preannotate
    from nlp.annotation.new_document import reviewable
    from nlp.annotation.records import RecordFormatError, doc_id_problem, read_records

    try:
        files = list(_expand(args.paths, "*.txt")) + [f for a in args.paths if Path(a).is_dir()
                                                       for f in sorted(Path(a).glob("*.jsonl"))]
        existing = _existing_records(args.gold)
    except (OSError, RecordFormatError) as e:
        return _err(str(e))
    records: list[dict[str, Any]] = []
    scores: dict[str, dict] = {}
    dropped: list[str] = []
    extractor = None
    model_version = ""
    for f in files:
        try:
            if f.suffix == ".jsonl":
                records.extend(r.to_dict() for r in read_records(f))
                continue
            text = _read_text(f)
        except (OSError, UnicodeDecodeError, RecordFormatError) as e:
            return _err(f"{f}: {e}")
        if not text.strip():
            print(f"{PROG}: {f}: empty, skipped", file=sys.stderr)
            continue
        if extractor is None:
            from nlp import Extractor

            extractor = Extractor.load(args.model)
            model_version = f"{extractor.model_info['name']}-{extractor.model_info['version']}"
        doc_id = f.stem
        problem = doc_id_problem(doc_id)
        if problem:
            return _err(f"{f}: the file name becomes the doc_id: {problem} (rename the file)")
        try:
            pre = preannotate(doc_id, text, extractor.extract(text, doc_id), existing.get(doc_id))
        except ValueError as e:
            return _err(str(e))
        # predictions an annotator can accept as they are: what the gold's checks would refuse
        # (overlapping spans, facts with fields their measure does not take) is left out, and said
        kept, left_out = reviewable(pre.records)
        dropped.extend([*pre.warnings, *(f"left out (not reviewable as it is): {d}" for d in left_out)])
        scores.update(pre.scores)
        records.extend(r.to_dict() for r in kept)
    if args.skip_reviewed:
        reviewed = {r.record_id for recs in existing.values() for r in recs if r.status == "reviewed"}
        records = [r for r in records if r["record_id"] not in reviewed]
    suffix = interchange.get_format(args.format).SUFFIX
    if Path(args.out).suffix != suffix:
        print(f"{PROG}: note: {args.out} does not end in {suffix}; import it with --format {args.format}", file=sys.stderr)
    written = interchange.write(records, Path(args.out), args.format, scores=scores, model_version=model_version)
    n_spans = sum(len(r["spans"]) for r in records)
    print(f"exported {len(records)} records, {n_spans} spans → {', '.join(map(str, written))}", file=sys.stderr)
    for d in dropped:
        print(f"{PROG}: warning: {d}", file=sys.stderr)
    return 0


# --- import -----------------------------------------------------------------------------


def run_import(args: argparse.Namespace) -> int:
    from nlp.annotation import interchange
    from nlp.annotation.journal import JournalError
    from nlp.annotation.lock import GoldLockTimeout, gold_lock
    from nlp.annotation.merge import apply_plan, plan_merge
    from nlp.annotation.records import GOLD_DIR

    incoming: list[dict[str, Any]] = []
    skipped: list[str] = []
    for f in args.files:
        try:
            res = interchange.read(Path(f), args.format, accept_predictions=args.accept_predictions)
        except interchange.InterchangeError as e:
            print(f"{PROG} import: nothing imported: {e}", file=sys.stderr)
            return 1
        except (OSError, ValueError, RecursionError, MemoryError) as e:  # a file no format can read: say so, no traceback
            print(f"{PROG} import: nothing imported: {f}: cannot read it ({type(e).__name__}: {str(e)[:200]})", file=sys.stderr)
            return 1
        for i, rec in enumerate(res.records):
            rec["_where"] = f"{Path(f).name} #{i + 1}"  # names the record in errors
        incoming.extend(res.records)
        skipped.extend(res.skipped)
    into = Path(args.into) if args.into else GOLD_DIR
    try:
        # one writer: plan from the gold as it is now and write before anyone else reads it
        with gold_lock(into):
            plan = plan_merge(incoming, into, sources_dir=args.sources, on_conflict=args.on_conflict, skipped=skipped)
            if plan.ok and not args.dry_run:
                apply_plan(plan)
    except (GoldLockTimeout, JournalError) as e:
        print(f"{PROG} import: nothing imported: {e}", file=sys.stderr)
        return 1
    summary = plan.summary()
    summary["written"] = plan.ok and not args.dry_run
    if args.json:
        json.dump(summary, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        _print_import(summary, args)
    return 0 if plan.ok else 1


SHOW = 10  # lines per category on the terminal; --json has them all


def _print_import(s: dict[str, Any], args: argparse.Namespace) -> None:
    out = sys.stderr
    for tag, items in (("error", s["errors"]), ("conflict", s["conflicts"]), ("warning", s["warnings"]),
                       ("skipped", s["skipped"])):
        for item in items[:SHOW]:
            print(f"{tag}: {item}", file=out)
        if len(items) > SHOW:
            print(f"{tag}: … and {len(items) - SHOW} more (--json lists all)", file=out)
    counts = f"{s['added']} added, {s['updated']} updated, {s['unchanged']} unchanged, {len(s['conflicts'])} conflicts"
    if s["kept_gold"]:
        counts += f" ({s['kept_gold']} kept as in the gold)"
    if s["written"]:
        print(f"imported into {s['into']}: {counts}; files: {', '.join(s['files']) or 'none changed'}", file=out)
    elif s["ok"]:
        print(f"dry run, nothing written: {counts}", file=out)
    else:
        why = f"{len(s['errors'])} errors" if s["errors"] else "conflicts (use --on-conflict import|gold to resolve)"
        print(f"nothing imported ({why}): {counts}", file=out)


# --- queue ------------------------------------------------------------------------------


def run_queue(args: argparse.Namespace) -> int:
    from nlp import Extractor
    from nlp.annotation.queue import rank
    from nlp.annotation.records import GOLD_DIR, SOURCES_DIR, RecordFormatError, load_gold

    if args.top < 1:
        return _err("--top must be at least 1")
    try:
        files = list(_expand(args.paths or [str(SOURCES_DIR)], "*.txt"))
        gold_dir = Path(args.gold) if args.gold else GOLD_DIR
        gold = load_gold(gold_dir) if gold_dir.is_dir() else {}
        docs = [(f.stem, _read_text(f)) for f in files]
    except (OSError, UnicodeDecodeError, RecordFormatError) as e:
        return _err(str(e))
    cands, same = rank(docs, Extractor.rules_only(), Extractor.load(args.model), gold, top=args.top)
    if args.json:
        json.dump({"model_is_rules": same, "queue": [c.as_dict() for c in cands]}, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if same:
        print("note: no trained model, so no rules/model disagreement; ranked by scores and failed checks", file=sys.stderr)
    for n, c in enumerate(cands, 1):
        snippet = " ".join(c.text.split())
        snippet = snippet[:70] + ("…" if len(snippet) > 70 else "")
        print(f"{n:3d}. {c.priority:6.2f}  {c.record_id}  {snippet}")
        for r in c.reasons[:5]:
            print(f"            - {r}")
        if len(c.reasons) > 5:
            print(f"            - … {len(c.reasons) - 5} more")
    if not cands:
        print("nothing to queue: every paragraph with entities is reviewed", file=sys.stderr)
    return 0


# --- agreement --------------------------------------------------------------------------


def run_agreement(args: argparse.Namespace) -> int:
    from nlp.annotation import interchange
    from nlp.annotation.agreement import AgreementError, agreement

    try:
        a = interchange.read(Path(args.a), args.format_a, accept_predictions=args.include_predictions).records
        b = interchange.read(Path(args.b), args.format_b, accept_predictions=args.include_predictions).records
        res = agreement(a, b, unit=args.unit)
    except (interchange.InterchangeError, AgreementError) as e:
        return _err(str(e))
    d = res.as_dict()
    if args.json:
        json.dump(d, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    sp = d["spans"]
    print(f"records compared: {d['records_compared']} (only in A: {d['records_only_in_a']}, only in B: {d['records_only_in_b']})")
    print(f"spans (exact match, A as reference): P {sp['precision']:.4f}  R {sp['recall']:.4f}  F1 {sp['f1']:.4f}"
          f"  (tp {sp['tp']}, fp {sp['fp']}, fn {sp['fn']})")
    print(f"Cohen's kappa ({d['kappa_unit']} level, {d['units']} units): {d['kappa']:.4f}"
          f"  (observed {d['observed_agreement']:.4f}, chance {d['expected_agreement']:.4f})")
    for label, m in d["per_label"].items():
        print(f"  {label:<13} P {m['precision']:.4f}  R {m['recall']:.4f}  F1 {m['f1']:.4f}  (tp {m['tp']}, fp {m['fp']}, fn {m['fn']})")
    return 0

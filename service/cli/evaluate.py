"""``fiscal-extract evaluate``: the same tables for each annotated corpus.

- ``--corpus sources`` (default): leave-one-document-out over the five sources, rules only,
  model only and combined (the tagger of each fold never saw its test document).
- ``--corpus dev`` / ``--corpus blind``: the corpus of other departments (``annotations/dev``),
  scored with rules only and with the shipped model. ``blind`` prints scores only: which records
  it got wrong is never shown.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# nlp.ml.train.SYSTEMS (tests/test_reliability_gold.py checks they agree); importing that module
# to build the parser would load scikit-learn and spaCy on every `fiscal-extract` call.
SYSTEMS = ("rules", "model", "combined")


def register(sub: argparse._SubParsersAction) -> None:
    from nlp.corpora import CORPORA
    from nlp.ml.dataset import GOLD_DIR

    p = sub.add_parser("evaluate", help="entities per label and facts per measure on an annotated corpus")
    p.add_argument("--corpus", choices=CORPORA, default="sources",
                   help="sources: leave-one-document-out on the five sources; dev / blind: the other departments' corpus")
    p.add_argument("--gold", type=Path, default=GOLD_DIR, help="gold directory for --corpus sources (default: %(default)s)")
    p.add_argument("--systems", nargs="+", choices=SYSTEMS, default=None,
                   help="sources: any of rules model combined (default all); dev/blind: rules and/or combined")
    p.add_argument("--model", type=Path, default=None, help="model directory for dev/blind (default: the shipped model)")
    p.add_argument("--out", type=Path, default=None, help="where the report's .md and .json go (default: the project's reports/)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.out is None:
        from nlp.project import project_root

        args.out = project_root() / "reports"
    if args.corpus == "sources":
        return _run_sources(args)
    return _run_corpus(args)


def _run_sources(args: argparse.Namespace) -> int:
    from nlp.ml.dataset import load_gold_documents
    from nlp.ml.train import SYSTEMS, evaluate_loo, report_markdown, write_report

    docs = load_gold_documents(args.gold)
    if not docs:
        print(f"fiscal-extract evaluate: no gold documents in {args.gold}", file=sys.stderr)
        return 2
    report = evaluate_loo(docs, tuple(args.systems or SYSTEMS), progress=lambda m: print(f"evaluate: {m}", file=sys.stderr))
    jpath, mpath = write_report(report, args.out)
    print(report_markdown(report))
    print(f"evaluate: wrote {mpath} and {jpath} ({report['seconds']} s)", file=sys.stderr)
    return 0


def _run_corpus(args: argparse.Namespace) -> int:
    from nlp.corpora import load_corpus
    from nlp.corpus_scoring import corpus_markdown, score_corpus
    from nlp.extractor import Extractor

    docs = load_corpus(args.corpus)
    if not docs:
        print(f"fiscal-extract evaluate: the {args.corpus} corpus is empty (annotations/dev/split.json)", file=sys.stderr)
        return 2
    systems = [s for s in (args.systems or ["rules", "combined"]) if s in ("rules", "combined")]
    if not systems:
        print("fiscal-extract evaluate: dev and blind score the systems rules and combined", file=sys.stderr)
        return 2
    extractors = {"rules": Extractor.rules_only, "combined": lambda: Extractor.load(args.model)}
    reports = {}
    for s in systems:
        ex = extractors[s]()
        print(f"evaluate: {args.corpus}: {s} ({ex.model_info['name']}) on {len(docs)} documents", file=sys.stderr)
        reports[s] = score_corpus(docs, ex.extract)
    blind = args.corpus == "blind"
    if blind:  # nobody reads the blind part's errors: keep only the counts
        for r in reports.values():
            r["checks"].pop("false_alarm_records")
            r["checks"].pop("missed_planted")
    md = corpus_markdown(args.corpus, reports, blind=blind)
    args.out.mkdir(parents=True, exist_ok=True)
    mpath, jpath = args.out / f"evaluation-{args.corpus}.md", args.out / f"evaluation-{args.corpus}.json"
    mpath.write_text(md, encoding="utf-8")
    jpath.write_text(json.dumps(reports, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(md)
    print(f"evaluate: wrote {mpath} and {jpath}", file=sys.stderr)
    return 0

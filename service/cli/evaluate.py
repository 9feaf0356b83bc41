"""``fiscal-extract evaluate``: leave-one-document-out scores of rules only, model only and combined."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from nlp.ml.dataset import GOLD_DIR
    from nlp.ml.train import SYSTEMS

    p = sub.add_parser("evaluate", help="entities per label and facts per measure, leave-one-document-out")
    p.add_argument("--gold", type=Path, default=GOLD_DIR, help="gold annotation directory (default: %(default)s)")
    p.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
    p.add_argument("--out", type=Path, default=Path("reports"), help="where evaluation.md and evaluation.json go")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from nlp.ml.dataset import load_gold_documents
    from nlp.ml.train import evaluate_loo, report_markdown, write_report

    docs = load_gold_documents(args.gold)
    if not docs:
        print(f"fiscal-extract evaluate: no gold documents in {args.gold}", file=sys.stderr)
        return 2
    report = evaluate_loo(docs, tuple(args.systems), progress=lambda m: print(f"evaluate: {m}", file=sys.stderr))
    jpath, mpath = write_report(report, args.out)
    print(report_markdown(report))
    print(f"evaluate: wrote {mpath} and {jpath} ({report['seconds']} s)", file=sys.stderr)
    return 0

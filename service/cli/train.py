"""``fiscal-extract train``: train the tagger on the gold annotations and write the model directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from nlp.ml.dataset import GOLD_DIR

    p = sub.add_parser("train", help="train the statistical tagger from annotations/gold and save models/fiscal-zh")
    p.add_argument("--gold", type=Path, default=GOLD_DIR, help="gold annotation directory (default: %(default)s)")
    p.add_argument("--out", type=Path, default=None, help="model directory to write (default: models/fiscal-zh)")
    p.add_argument("--seed", type=int, default=None, help="default: nlp.ml.train.SEED")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from nlp.extractor import DEFAULT_MODEL_DIR
    from nlp.ml.train import SEED, report_markdown, train_model, write_report

    out = args.out or DEFAULT_MODEL_DIR
    log = lambda msg: print(f"train: {msg}", file=sys.stderr)  # noqa: E731
    try:
        card = train_model(out, args.gold, SEED if args.seed is None else args.seed, progress=log)
    except (ValueError, FileNotFoundError) as e:
        print(f"fiscal-extract train: {e}", file=sys.stderr)
        return 2
    write_report(card["report"], Path("reports"))
    print(report_markdown(card["report"]))
    log(f"wrote {out} in {card['train_seconds']} s (training data sha256 {card['training_data_sha256'][:12]}…)")
    return 0

"""``fiscal-extract train``: train the tagger on the gold annotations and write the model directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from nlp.ml.dataset import GOLD_DIR

    p = sub.add_parser("train", help="train the statistical tagger from annotations/gold and save models/fiscal-zh")
    p.add_argument("--gold", type=Path, default=GOLD_DIR, help="gold annotation directory (default: %(default)s)")
    p.add_argument("--out", type=Path, default=None, help="model directory to write (default: the project's models/fiscal-zh)")
    p.add_argument("--seed", type=int, default=None, help="default: nlp.ml.train.SEED")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from nlp.ml.train import SEED, report_markdown, train_model, write_report
    from nlp.project import project_root, trained_model_dir

    out = args.out or trained_model_dir()
    log = lambda msg: print(f"train: {msg}", file=sys.stderr)  # noqa: E731
    try:
        card = train_model(out, args.gold, SEED if args.seed is None else args.seed, progress=log)
    except (ValueError, FileNotFoundError) as e:
        print(f"fiscal-extract train: {e}", file=sys.stderr)
        return 2
    write_report(card["report"], project_root() / "reports")
    print(report_markdown(card["report"]))
    log(f"wrote {out} in {card['train_seconds']} s (training data sha256 {card['training_data_sha256'][:12]}…)")
    return 0

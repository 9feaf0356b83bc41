"""``fiscal-extract retag INPUT... --out DIR``: re-tag a corpus, resumably, locally or on Dask."""

from __future__ import annotations

import argparse
import os
import sys


def _positive(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "retag",
        help="re-tag a corpus (.txt files, PDFs, JSONL, directories) into DIR; resumable; --diff against an older run",
        description="Run the extractor over every document of the inputs. One JSONL of contract results per "
        "input, errors.jsonl and manifest.json in DIR. Killed or interrupted, the same command resumes; "
        "on a finished DIR it does nothing.",
    )
    p.add_argument("inputs", nargs="*", metavar="INPUT",
                   help=".txt files, PDFs (by their %%PDF- header), JSONL files ({'text', optional 'doc_id'|'id'} per line) "
                        "or directories (recursive)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--workers", type=_positive, default=None,
                   help="worker processes, or Dask workers with --scheduler local (default: all cores)")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786|local",
                   help="run on a Dask cluster at this address, or 'local' to start a LocalCluster of --workers processes")
    p.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    p.add_argument("--extractor-factory", default=None, metavar="MODULE:CALLABLE",
                   help="build the extractor with CALLABLE(model) instead of nlp.Extractor.load (custom or test extractors)")
    p.add_argument("--chunk-size", type=_positive, default=32, help="documents per task and per part file (default 32)")
    p.add_argument("--diff", default=None, metavar="PREVIOUS_OUT",
                   help="compare with an earlier output directory: writes DIR/diff.json and DIR/diff.md")
    p.add_argument("--overwrite", action="store_true", help="replace a finished job in DIR made with other inputs or model")
    p.add_argument("--progress", choices=("auto", "bar", "log", "none"), default="auto",
                   help="progress bar on a terminal, log lines otherwise (default auto)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from nlp.batch import DiffError, ExtractorSpec, InputError, JobConfig, JobError, run_job, write_diff
    from nlp.batch.diff import render_markdown, summary_line

    if not args.inputs and not args.diff:
        print("fiscal-extract retag: give INPUT files/directories (or only --diff to compare two finished outputs)",
              file=sys.stderr)
        return 2
    if args.inputs:
        cfg = JobConfig(
            inputs=args.inputs, out=args.out, workers=args.workers or 0, scheduler=args.scheduler,
            spec=ExtractorSpec(args.model, args.extractor_factory), chunk_docs=args.chunk_size,
            overwrite=args.overwrite, progress=args.progress,
        )
        try:
            run_job(cfg)
        except (InputError, JobError) as e:
            print(f"fiscal-extract retag: {e}", file=sys.stderr)
            return 2
    if args.diff:
        try:
            report = write_diff(args.diff, args.out)
        except (DiffError, OSError, ValueError) as e:
            print(f"fiscal-extract retag --diff: {e}", file=sys.stderr)
            return 2
        if sys.stdout.isatty():
            print(render_markdown(report, max_items=10))
        print(f"{summary_line(report)} (details: {os.path.join(args.out, 'diff.md')}, diff.json)")
    return 0

"""``fiscal-extract extract FILE... | -``: contract results as JSON or JSONL."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="extract entities, facts and checks from text files ('-' for stdin)")
    p.add_argument("files", nargs="+", metavar="FILE", help="UTF-8 text files, or - for standard input")
    p.add_argument("--format", choices=("json", "jsonl"), default="json", help="one JSON array, or a line per document")
    p.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    p.set_defaults(func=run)


def _read(name: str) -> tuple[str, str]:
    if name == "-":
        return sys.stdin.read(), "-"
    path = Path(name)
    return path.read_text(encoding="utf-8"), path.name


def run(args: argparse.Namespace) -> int:
    from nlp import Extractor

    try:
        inputs = [_read(f) for f in args.files]
    except (OSError, UnicodeDecodeError) as e:
        print(f"fiscal-extract extract: {e}", file=sys.stderr)
        return 2
    extractor = Extractor.load(args.model)
    results = extractor.pipe((text, doc_id) for text, doc_id in inputs)
    if args.format == "jsonl":
        for r in results:
            sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
    else:
        json.dump(list(results), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    return 0

"""``fiscal-extract annotate validate|stats|preannotate|review|edit|folds``: the gold data.

- ``validate [PATHS]``: check gold files (default ``annotations/gold``, else ``annotations/pre``)
  against the schema, the sources and the contract; one line per problem, exit 1 if any.
- ``stats [PATHS]``: entity counts per label, fact counts per measure, per document.
- ``preannotate [DOC_ID...]``: rules-only pre-annotation into ``annotations/pre``.
- ``review [--write]``: what the review changed (pre vs gold), into ``annotations/REVIEW.md``.
- ``edit DOC OP …``: add/remove/modify a span or fact of one gold file by record and surface.
- ``folds``: (re)write ``annotations/folds.json`` (leave-one-document-out).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check gold annotation files; one line per problem, exit 1 if any")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                   help="files or directories of *.jsonl (default: annotations/gold, else annotations/pre)")
    p.add_argument("--sources", type=Path, default=None, help="source texts (default: the sources/ folder beside each file's gold/ folder, else annotations/sources)")
    p.set_defaults(func=_validate)

    p = sub.add_parser("stats", help="annotation counts per label, per measure and per document")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    p.add_argument("--format", choices=("md", "json"), default="md")
    p.set_defaults(func=_stats)

    p = sub.add_parser("preannotate", help="rules-only pre-annotation of the sources into annotations/pre")
    p.add_argument("doc_ids", nargs="*")
    p.add_argument("--to-gold", action="store_true", help="copy each pre file to annotations/gold if absent")
    p.set_defaults(func=_preannotate)

    p = sub.add_parser("review", help="pre vs gold per label and measure (kept/changed/removed/added)")
    p.add_argument("--all-records", action="store_true")
    p.add_argument("--write", action="store_true", help="update annotations/REVIEW.md")
    p.set_defaults(func=_review)

    from nlp.annotation.edit import build_parser

    p = sub.add_parser("edit", help="edit one gold file by record id and surface, then re-validate")
    build_parser(p)
    p.set_defaults(func=_edit)

    p = sub.add_parser("folds", help="write annotations/folds.json (leave-one-document-out)")
    p.set_defaults(func=_folds)


def _validate(args: argparse.Namespace) -> int:
    from nlp.annotation.validate import run

    return run(args.paths, args.sources)


def _stats(args: argparse.Namespace) -> int:
    from nlp.annotation.stats import run

    return run(args.paths, args.format)


def _preannotate(args: argparse.Namespace) -> int:
    from nlp.annotation.preannotate import main

    return main([*args.doc_ids, *(["--to-gold"] if args.to_gold else [])])


def _review(args: argparse.Namespace) -> int:
    from nlp.annotation.review import run

    return run(all_records=args.all_records, write=args.write)


def _edit(args: argparse.Namespace) -> int:
    from nlp.annotation.edit import run

    return run(args)


def _folds(args: argparse.Namespace) -> int:
    from nlp.annotation.folds import write_folds

    for f in write_folds():
        print(f.name, "test:", *f.test)
    return 0

"""``fiscal-extract``: one console script, a module per subcommand.

Each module in ``SUBCOMMANDS`` exposes ``register(subparsers)`` which adds its parser and
sets ``func`` to a callable taking the parsed args and returning an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = ("extract", "serve", "train", "evaluate", "annotate", "retag", "dataset")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fiscal-extract", description="Extract facts from Chinese fiscal text.")
    parser.add_argument("--project", metavar="DIR",
                        help="the project directory holding annotations/, models/ and reports/ "
                             "(default: $FISCAL_PROJECT, else the current directory)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"service.cli.{name}").register(sub)
    return parser


def _project_from(argv: list[str]) -> str | None:
    """``--project DIR`` before the subcommand, read before any module computes its paths."""
    for i, a in enumerate(argv):
        if a == "--project" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--project="):
            return a.split("=", 1)[1]
        if not a.startswith("-"):
            return None  # the subcommand: options after it are its own
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    project = _project_from(argv)
    if project is not None:
        import os
        from pathlib import Path

        if not Path(project).is_dir():
            print(f"fiscal-extract: --project {project}: no such directory", file=sys.stderr)
            return 2
        os.environ["FISCAL_PROJECT"] = str(Path(project).resolve())
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())

"""``fiscal-extract evaluate``: not built yet (see the open issue)."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="(not built yet)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print("fiscal-extract evaluate: not built yet", file=sys.stderr)
    return 2

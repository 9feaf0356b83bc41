"""``fiscal-extract annotate …``: the gold data and the annotators' tools.

Sub-subcommands come from two modules: ``annotate_gold`` (validate, stats) and
``annotate_tools`` (export, import, queue, agreement); each exposes ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib

MODULES = ("service.cli.annotate_gold", "service.cli.annotate_tools")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("annotate", help="gold annotations: validate, stats, export, import, queue, agreement")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name in MODULES:
        importlib.import_module(name).register(actions)

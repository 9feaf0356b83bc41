"""``fiscal-extract annotate …``: the gold data and the annotators' tools.

Sub-subcommands come from three modules: ``annotate_gold`` (validate, stats, ...),
``annotate_tools`` (export, import, queue, agreement) and ``annotate_new`` (new: a document the
project has never seen); each exposes ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib

MODULES = ("service.cli.annotate_gold", "service.cli.annotate_tools", "service.cli.annotate_new")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("annotate", help="gold annotations: new, export, import, validate, stats, queue, agreement")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name in MODULES:
        importlib.import_module(name).register(actions)

"""Run the benches: ``python -m bench`` (all of them), ``python -m bench NAME [NAME...]``, or
``python -m bench NAME ARGS...`` (one bench with its own arguments).

A bench is any module ``bench/<name>.py`` exposing ``main(argv) -> int``; it is found by
discovery, so adding a bench is adding a file. Modules with ``ON_DEMAND = True`` (or listed
in ``ON_DEMAND`` below, for benches that run for minutes by design) run only when named.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

ON_DEMAND = {"fuzz"}  # bench.fuzz runs for --minutes (10 by default): only when asked for
ORDER = ["token_boundaries", "throughput"]  # these first; the rest alphabetically
# names a bench answers to besides its module's: bench/profile.py would shadow the standard
# library's profile module (which cProfile imports) for scripts run from bench/
ALIASES = {"profile": "stage_profile"}


def discover() -> list[str]:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    return sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


def on_demand(name: str) -> bool:
    return name in ON_DEMAND or bool(getattr(importlib.import_module(f"bench.{name}"), "ON_DEMAND", False))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help", "--list"):
        print(__doc__)
        print("benches:", ", ".join(f"{n} (on demand)" if on_demand(n) else n for n in discover()))
        return 0
    argv = [ALIASES.get(a, a) for a in argv[:1]] + argv[1:]
    if argv and argv[0] in discover() and any(a not in discover() for a in argv[1:]):
        # one bench with its own arguments: ``python -m bench profile FILE --repeat 3``
        return importlib.import_module(f"bench.{argv[0]}").main(argv[1:])
    chosen = [ALIASES.get(a, a) for a in argv] or discover()
    unknown = [n for n in chosen if n not in discover()]
    if unknown:
        print(f"unknown bench {', '.join(unknown)}; available: {', '.join(discover())}", file=sys.stderr)
        return 2
    failed = []
    for name in chosen:
        module = importlib.import_module(f"bench.{name}")
        run = getattr(module, "main", None)
        if not callable(run) or (not argv and on_demand(name)):
            continue
        print(f"\n=== bench.{name} ===", flush=True)
        t0 = time.perf_counter()
        rc = run([])
        print(f"--- bench.{name}: exit {rc} in {time.perf_counter() - t0:.1f} s", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print("failed:", ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The on-demand fuzzer: ``python -m bench.fuzz --minutes 10``.

Random fiscal-flavoured and arbitrary-Unicode documents through normalise → extract, checking
the invariants of ``nlp.fuzzing`` and a time bound per KB. Every failing input is saved to
``tests/fuzz_regressions/`` (replayed by the test suite from then on).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
import traceback
from pathlib import Path

from nlp.fuzzing import check_invariants, random_text

REGRESSIONS = Path(__file__).resolve().parents[1] / "tests" / "fuzz_regressions"
SECONDS_PER_KB = 0.5  # about 50× the measured cost: only catastrophic behaviour trips it


def save(text: str, why: str) -> Path:
    REGRESSIONS.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    path = REGRESSIONS / f"{name}.txt"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    print(f"fuzz: FAILURE saved to {path}: {why.splitlines()[-1] if why else ''}", file=sys.stderr)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    from nlp import Extractor

    ex = Extractor.load()
    rng = random.Random(args.seed)
    deadline = time.monotonic() + args.minutes * 60
    tried = failures = chars = 0
    while time.monotonic() < deadline:
        r = rng.random()
        if r < 0.6:
            text = random_text(rng, rng.choice((20, 200, 2000)))
        elif r < 0.9:
            text = "".join(chr(rng.randint(0, 0x10FFFF)) for _ in range(rng.randint(0, 300)))
            text = text.encode("utf-8", "replace").decode("utf-8", "replace")
        else:  # long runs of one fragment: the shapes that make backtracking regexes explode
            text = random_text(rng, 3) * rng.randint(100, 5000)
        t0 = time.perf_counter()
        try:
            check_invariants(text, ex.extract(text))
        except Exception:
            failures += 1
            save(text, traceback.format_exc())
        dt = time.perf_counter() - t0
        if dt > SECONDS_PER_KB * max(1.0, len(text) / 1000):
            failures += 1
            save(text, f"slow: {dt:.2f} s for {len(text)} chars")
        tried += 1
        chars += len(text)
    print(f"fuzz: {tried} inputs ({chars:,} characters) in {args.minutes} min, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

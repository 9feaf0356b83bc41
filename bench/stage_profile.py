"""Where extraction time goes, per component (``python -m bench profile [FILE...] [--repeat N] [--cprofile]``;
the module is ``bench.stage_profile``: a ``bench/profile.py`` would shadow the standard library's ``profile``).

Runs the shipped model (``Extractor.load()``) over the given texts (default: the five sources),
warm, and prints the table: the tokenizer (the memos of repeated inputs, the segmenter's and
the tagger's, emptied before each pass, so every pass sees each text for the first time), each pipeline component, and serialisation
to the result dict; ms per pass (best of ``--repeat``) and share. ``--cprofile`` adds the top of
a cProfile of one pass.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.throughput import cprofile_report, stage_seconds, texts


def table(stages: dict[str, float], chars: int, docs: int) -> str:
    total = sum(stages.values())
    lines = [f"{docs} text(s), {chars:,} characters: {total * 1000:.1f} ms per pass, {chars / total:,.0f} chars/s", "",
             "| step | ms | share |", "|---|---:|---:|"]
    for name, sec in sorted(stages.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {name} | {sec * 1000:.1f} | {100 * sec / total:.0f}% |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path, help="UTF-8 texts (default: annotations/sources/*.txt)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cprofile", action="store_true", help="also print the top of a cProfile of one pass")
    args = ap.parse_args(argv)
    from nlp import Extractor

    docs = [p.read_text(encoding="utf-8") for p in args.files] if args.files else texts()
    ex = Extractor.load()
    ex.extract(docs[0][:2000])  # warm-up: dictionaries and lazy imports are no part of a pass
    stages = stage_seconds(ex, docs, args.repeat)
    print(table(stages, sum(map(len, docs)), len(docs)))
    if args.cprofile:
        print(cprofile_report(ex, docs, top=30), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

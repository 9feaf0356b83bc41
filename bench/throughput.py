"""Throughput of extraction against ``jieba.cut`` alone, on the same texts in the same run
(``python -m bench.throughput [--repeat N] [--profile]``).

Measured, over the 5 annotated sources:

- ``jieba.cut``: jieba's segmentation alone (default dictionary, already initialised);
- ``tokenizer[<seg>]``: our tokenizer only (normalise + protect + segment + Doc), per segmenter;
- ``extract[<seg>]``: the full ``Extractor.extract`` of the shipped model (every component, the
  trained tagger included, result dict), per segmenter.

Ratios are chars/s of a line over chars/s of ``jieba.cut`` measured in the same group (one
group per segmenter, see ``run``) (> 1: faster than jieba alone).
The segmenters memoise the runs they cut (documents repeat their phrases), the tagger the
feature rows of the words it saw; every pass starts with empty memos, so a pass sees each document once, as a service would on first sight.
Each line is the best of ``--repeat`` rounds, the lines interleaved within a round (the\nmachine is shared: a load change then disturbs every line alike).
``--profile`` prints the top of a cProfile of one extraction pass.

Writes ``bench/out/throughput.json`` and a Markdown table to stdout.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "annotations" / "sources"
OUT = Path(__file__).parent / "out"
SEGMENTERS = ("jieba", "pkuseg", "char")


def texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SOURCES.glob("*.txt"))]


def clear_memo(nlp_or_tokenizer) -> None:
    """Empty the memos of repeated inputs: the segmenter's runs and, given the pipeline, the
    tagger's per-word feature rows (a pass then sees every text and word for the first time)."""
    tokenizer = getattr(nlp_or_tokenizer, "tokenizer", nlp_or_tokenizer)
    clear = getattr(getattr(tokenizer, "_segment", None), "cache_clear", None)
    if clear:
        clear()
    pipe_names = getattr(nlp_or_tokenizer, "pipe_names", ())
    if "fiscal_tagger" in pipe_names:
        frozen = getattr(nlp_or_tokenizer.get_pipe("fiscal_tagger"), "frozen", None)
        if frozen is not None:
            frozen.clear_memo()


def one_pass(fn: Callable[[str], object], docs: list[str], before: Callable[[], None] = lambda: None) -> float:
    """Seconds of one pass of ``fn`` over ``docs``."""
    before()
    gc.collect()
    t0 = time.perf_counter()
    for d in docs:
        fn(d)
    return time.perf_counter() - t0


def stage_seconds(ex, docs: list[str], repeat: int) -> dict[str, float]:
    """Where an extraction pass goes: the tokenizer (cold memo), each component, serialisation."""
    from nlp.serialize import doc_to_result

    nlp = ex.nlp
    best: dict[str, float] = {}
    for _ in range(repeat):
        clear_memo(nlp)
        acc: dict[str, float] = {}
        for text in docs:
            t0 = time.perf_counter()
            doc = nlp.tokenizer(text)
            t1 = time.perf_counter()
            acc["tokenizer"] = acc.get("tokenizer", 0.0) + t1 - t0
            for name, proc in nlp.pipeline:
                t0 = time.perf_counter()
                doc = proc(doc)
                acc[name] = acc.get(name, 0.0) + time.perf_counter() - t0
            t0 = time.perf_counter()
            doc_to_result(doc, None, ex.model_info)
            acc["serialize"] = acc.get("serialize", 0.0) + time.perf_counter() - t0
        for k, v in acc.items():
            best[k] = min(best.get(k, float("inf")), v)
    return best


def cprofile_report(ex, docs: list[str], top: int = 25) -> str:
    """cProfile of one extraction pass over ``docs`` with the memos emptied: the ``top`` functions by own time."""
    clear_memo(ex.nlp)
    prof = cProfile.Profile()
    prof.enable()
    for d in docs:
        ex.extract(d)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def run(repeat: int = 5, segmenters=SEGMENTERS, profile: bool = False) -> dict:
    import jieba
    from nlp import Extractor
    import spacy

    from nlp.extractor import DEFAULT_MODEL_DIR
    from nlp.model_store import load_model_dir, verify_manifest

    docs = texts()
    chars = sum(map(len, docs))
    from nlp.tokenizer import jieba_cache_dir

    jieba.setLogLevel(40)
    jieba.dt.tmp_dir = str(jieba_cache_dir())  # the baseline's cache beside ours, not in /tmp itself
    jieba.initialize()
    jieba_cut = lambda t: list(jieba.cut(t))  # noqa: E731
    rows: dict[str, dict] = {}
    stages: dict[str, float] = {}
    # One group per segmenter, pkuseg (the biggest model) last: a group measures jieba.cut
    # again beside its own lines, so each ratio compares runs made in the same process state
    # (a loaded model makes every garbage collection slower, for jieba.cut as well).
    for seg in sorted(segmenters, key=lambda s: s == "pkuseg"):
        # the shipped model (trained tagger included), its segmenter overridden for this group
        if seg == "jieba":
            nlp = load_model_dir(DEFAULT_MODEL_DIR)[0]
        else:
            verify_manifest(DEFAULT_MODEL_DIR)
            nlp = spacy.load(DEFAULT_MODEL_DIR, config={"nlp": {"tokenizer": {"segmenter": seg}}})
        ex = Extractor(nlp)
        ex.extract(docs[0])  # warm-up: load dictionaries and models outside the timing
        reset = (lambda pipeline: lambda: clear_memo(pipeline))(nlp)
        lines: list[tuple[str, Callable[[str], object], Callable[[], None]]] = [
            (f"jieba.cut ({seg} group)", jieba_cut, lambda: None),
            (f"tokenizer[{seg}]", nlp.tokenizer, reset),
            (f"extract[{seg}]", ex.extract, reset),
        ]
        if seg == "jieba":  # steady state of a service: the memo already holds the corpus's runs
            lines.append(("tokenizer[jieba, warm memo]", nlp.tokenizer, lambda: None))
            lines.append(("extract[jieba, warm memo]", ex.extract, lambda: None))
        best = {name: float("inf") for name, _, _ in lines}
        # the lines are interleaved round by round and each keeps its best round, so a load
        # change on the (shared) machine hits all of them alike
        for _ in range(repeat):
            for name, fn, before in lines:
                best[name] = min(best[name], one_pass(fn, docs, before))
        base = best[f"jieba.cut ({seg} group)"]
        for name, sec in best.items():
            rows[name] = {"seconds": round(sec, 4), "chars_per_s": round(chars / sec), "docs_per_s": round(len(docs) / sec, 2),
                          "ratio_to_jieba": round(base / sec, 3)}
        if seg == "jieba":
            stages = stage_seconds(ex, docs, repeat)
            if profile:
                print(cprofile_report(ex, docs))
        del nlp, ex, lines
        gc.collect()
    return {
        "docs": len(docs),
        "chars": chars,
        "repeat": repeat,
        "stages_jieba_cold": {k: round(v, 4) for k, v in stages.items()},
        "rows": rows,
    }


def markdown(report: dict) -> str:
    lines = [f"Throughput over {report['docs']} sources ({report['chars']:,} chars), best of {report['repeat']} interleaved rounds", "",
             "| what | chars/s | docs/s | ratio to jieba.cut of its group |", "|---|---:|---:|---:|"]
    for name, r in report["rows"].items():
        lines.append(f"| {name} | {r['chars_per_s']:,} | {r['docs_per_s']} | {r['ratio_to_jieba']:.2f} |")
    stages = report.get("stages_jieba_cold")
    if stages:
        lines += ["", "Where an extraction pass goes (jieba segmenter, cold memo; measured after the table above, "
                  "so compare shares, not milliseconds, with it)", "",
                  "| stage | ms per pass | share |", "|---|---:|---:|"]
        total = sum(stages.values())
        for k, v in stages.items():
            lines.append(f"| {k} | {v * 1000:.1f} | {100 * v / total:.0f}% |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--segmenters", nargs="+", default=list(SEGMENTERS), choices=SEGMENTERS)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one extraction pass (jieba)")
    args = ap.parse_args(argv)
    report = run(args.repeat, args.segmenters, args.profile)
    OUT.mkdir(exist_ok=True)
    (OUT / "throughput.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

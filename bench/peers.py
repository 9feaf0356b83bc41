"""Ours against the peers, on the same texts in one run (``python -m bench.peers``).

- throughput: full extraction vs ``jieba.cut`` alone, a blank spaCy ``zh`` pipeline with jieba
  (tokenization only), and Microsoft Recognizers-Text's Chinese currency + percentage recognisers;
- accuracy on the gold AMOUNT and PERCENT spans and values: Recognizers-Text beside ours;
- cost against size (1 KB … 10 MB per document) with the fitted exponent, and a PNG chart.

Writes ``bench/out/peers.json``, ``bench/out/throughput.png`` and a Markdown section to stdout
(pasted into the README's performance section).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import sys
import time
import tracemalloc
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SOURCES = ROOT / "annotations" / "sources"


def corpus() -> str:
    return "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(SOURCES.glob("*.txt")))


def sized(text: str, n_chars: int) -> str:
    reps = n_chars // len(text) + 1
    return (text * reps)[:n_chars]


def timed(fn: Callable[[str], Any], text: str, min_seconds: float = 1.0, max_runs: int = 50) -> float:
    """Seconds per call (best of repeated runs within a time budget)."""
    fn(text[:2000])  # warm-up: lazy loading is not throughput
    best, spent, runs = math.inf, 0.0, 0
    while runs < max_runs and (spent < min_seconds or runs < 2):
        t0 = time.perf_counter()
        fn(text)
        dt = time.perf_counter() - t0
        best, spent, runs = min(best, dt), spent + dt, runs + 1
        if dt > min_seconds * 3:
            break
    return best


@lru_cache(maxsize=1)  # throughput and scaling share one set (one model load)
def systems() -> dict[str, Callable[[str], Any]]:
    import jieba
    import spacy

    from bench.throughput import clear_memo
    from nlp import Extractor

    jieba.setLogLevel(60)
    ours = Extractor.load()
    blank = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    from nlp.tables import parse_tables
    from nlp.normalize import normalize

    out: dict[str, Callable[[str], Any]] = {
        # the memos of repeated inputs (segmenter runs, tagger word rows) emptied before each
        # run: timed() repeats the same text, which would otherwise be served from them
        "ours (full extraction)": lambda t: (clear_memo(ours.nlp), ours.extract(t))[1],
        # the stages that see the whole text at once, run alone past spaCy's max_length
        "ours (normalise + table parsing)": lambda t: parse_tables(normalize(t).text),
        "jieba.cut": lambda t: list(jieba.cut(t)),
        "spaCy zh + jieba (tokens only)": blank.make_doc,
    }
    try:
        from recognizers_number import recognize_percentage
        from recognizers_number_with_unit import recognize_currency
        from recognizers_text import Culture

        out["Recognizers-Text (currency + percent)"] = lambda t: (
            recognize_currency(t, Culture.Chinese), recognize_percentage(t, Culture.Chinese))
    except ImportError:
        print("bench: recognizers-text-suite not installed (pip install -e '.[bench]'); skipping that peer", file=sys.stderr)
    return out


def throughput(text: str) -> dict[str, dict[str, float]]:
    res = {}
    for name, fn in systems().items():
        sec = timed(fn, text)
        res[name] = {"seconds": sec, "chars_per_second": len(text) / sec}
    ours = res["ours (full extraction)"]["chars_per_second"]
    for name, r in res.items():
        r["ours_over_peer"] = ours / r["chars_per_second"]
    return res


def _decimal(v: Any) -> Decimal | None:
    try:
        return Decimal(str(v).rstrip("%")).normalize()
    except (InvalidOperation, ValueError):
        return None


def accuracy() -> dict[str, Any]:
    """Span+value precision/recall on gold AMOUNT and PERCENT, for ours and Recognizers-Text."""
    from nlp import Extractor
    from nlp.ml.dataset import load_gold_documents

    docs = load_gold_documents()
    ours = Extractor.load()
    try:
        from recognizers_number import recognize_percentage
        from recognizers_number_with_unit import recognize_currency
        from recognizers_text import Culture
    except ImportError:
        recognize_currency = None
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for system in ("ours", "Recognizers-Text"):
        for label in ("AMOUNT", "PERCENT"):
            counts.setdefault(system, {})[label] = {"tp": 0, "fp": 0, "fn": 0, "span_only": 0}
    for gd in docs:
        gold = {lab: {(s.start, s.end): _decimal(s.value) for s in gd.spans if s.label == lab} for lab in ("AMOUNT", "PERCENT")}
        preds: dict[str, dict[str, dict]] = {"ours": {"AMOUNT": {}, "PERCENT": {}}, "Recognizers-Text": {"AMOUNT": {}, "PERCENT": {}}}
        for e in ours.extract(gd.text)["entities"]:
            if e["label"] in ("AMOUNT", "PERCENT"):
                preds["ours"][e["label"]][(e["start"], e["end"])] = _decimal(e["value"])
        if recognize_currency is not None:
            for r in recognize_currency(gd.text, Culture.Chinese):
                preds["Recognizers-Text"]["AMOUNT"][(r.start, r.end + 1)] = _decimal((r.resolution or {}).get("value"))
            for r in recognize_percentage(gd.text, Culture.Chinese):
                preds["Recognizers-Text"]["PERCENT"][(r.start, r.end + 1)] = _decimal((r.resolution or {}).get("value"))
        for system, by_label in preds.items():
            for label, pred in by_label.items():
                c = counts[system][label]
                for span, value in pred.items():
                    if span in gold[label] and gold[label][span] == value:
                        c["tp"] += 1
                    else:
                        c["fp"] += 1
                        c["span_only"] += span in gold[label]
                c["fn"] += sum(1 for span, v in gold[label].items() if pred.get(span) != v or span not in pred)
    for system in counts:
        for label, c in counts[system].items():
            p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
            r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
            c.update(precision=round(p, 4), recall=round(r, 4), f1=round(2 * p * r / (p + r), 4) if p + r else 0.0)
    return counts


FULL_EXTRACTION_MAX = 1_000_000  # spaCy's nlp.max_length: the service answers 413 above it


def scaling(text: str, sizes: list[int], peers: bool) -> dict[str, list[dict[str, float]]]:
    """Time (untraced) and peak Python memory (a second, traced run) per document size. The
    full extraction goes up to spaCy's max_length (1 M characters), normalisation and table
    parsing to the largest size; jieba and spaCy to 1 M, Recognizers-Text to 100 K (slower)."""
    out: dict[str, list[dict[str, float]]] = {}
    limits = {"ours (full extraction)": FULL_EXTRACTION_MAX, "Recognizers-Text (currency + percent)": 100_000}
    for name, fn in systems().items():
        if not peers and not name.startswith("ours"):
            continue
        rows = []
        for n in sizes:
            if n > limits.get(name, max(sizes) if name.startswith("ours") else 1_000_000):
                continue
            doc = sized(text, n)
            gc.collect()
            t0 = time.perf_counter()
            fn(doc)
            dt = time.perf_counter() - t0
            gc.collect()
            tracemalloc.start()
            fn(doc)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rows.append({"chars": n, "seconds": dt, "peak_mib": peak / 2**20, "chars_per_second": n / dt})
            print(f"bench: {name:40s} {n:>10,d} chars  {dt:8.3f} s  peak {peak / 2**20:8.1f} MiB", file=sys.stderr)
        out[name] = rows
    return out


def fitted_exponent(rows: list[dict[str, float]]) -> float:
    """Slope of log(time) against log(size) over the sizes ≥ 10 KB (below that, fixed costs dominate)."""
    pts = [(math.log(r["chars"]), math.log(r["seconds"])) for r in rows if r["chars"] >= 10_000]
    if len(pts) < 2:
        return float("nan")
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)


def chart(scale: dict[str, list[dict[str, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for name, rows in scale.items():
        ax.plot([r["chars"] for r in rows], [r["chars_per_second"] for r in rows], marker="o", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("document size (characters)")
    ax.set_ylabel("throughput (characters / second)")
    ax.set_title("Throughput against document size (same machine, same run)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def markdown(res: dict[str, Any]) -> str:
    lines = ["### Throughput on the five sources (same run)", "",
             "| system | chars/s | ours ÷ system |", "|---|---|---|"]
    for name, r in res["throughput"].items():
        lines.append(f"| {name} | {r['chars_per_second']:,.0f} | {r['ours_over_peer']:.2f} |")
    lines += ["", "### AMOUNT and PERCENT against the gold (exact span and value)", "",
              "| system | label | precision | recall | F1 | right span, wrong value |", "|---|---|---|---|---|---|"]
    for system, by_label in res["accuracy"].items():
        for label, c in by_label.items():
            lines.append(f"| {system} | {label} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['span_only']} |")
    lines += ["", "### Cost against document size", "", "| system | fitted exponent (time ∝ size^k) | largest size | peak MiB there |",
              "|---|---|---|---|"]
    for name, rows in res["scaling"].items():
        if rows:
            lines.append(f"| {name} | {fitted_exponent(rows):.2f} | {rows[-1]['chars']:,} | {rows[-1]['peak_mib']:.0f} |")
    lines += ["", "![throughput against size](bench/out/throughput.png)"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-size", type=int, default=10_000_000, help="largest document in characters")
    ap.add_argument("--quick", action="store_true", help="sizes up to 100 KB only")
    args = ap.parse_args(argv)
    text = corpus()
    sizes = [s for s in (1_000, 10_000, 100_000, 1_000_000, 10_000_000) if s <= (100_000 if args.quick else args.max_size)]
    res = {"throughput": throughput(text), "accuracy": accuracy(), "scaling": scaling(text, sizes, peers=True)}
    OUT.mkdir(parents=True, exist_ok=True)
    res["exponents"] = {k: fitted_exponent(v) for k, v in res["scaling"].items()}
    (OUT / "peers.json").write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    chart(res["scaling"], OUT / "throughput.png")
    print(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Share of entity boundaries that fall on token boundaries, per label, for each segmenter
(``python -m bench.token_boundaries``). Target: 100% for AMOUNT, PERCENT, SUBJECT_CODE, CHANGE.

Reference entities (each available one is measured; ``--reference`` picks one):

1. ``gold``: ``annotations/gold/*.jsonl`` (spans relative to each record's text), if present;
2. ``rules``: the entities ``Extractor.rules_only()`` returns on the sources. Circular by
   construction (a rule span that does not fall on token boundaries is never made), so it
   only shows what the rules could express; a miss here means a span got lost elsewhere;
3. ``scan``: an independent regex scan of the sources (amounts, percentages, table-row codes,
   change triggers), written here without the tokenizer's patterns: the non-circular check.

Entity offsets are in the ORIGINAL text, tokens are over the normalised text: each token
boundary is mapped back through ``doc._.norm`` before comparing. A boundary counts if it is
the original start of some token (entity start) or the original end of some token (entity end).

Writes ``bench/out/token_boundaries.json`` and a Markdown table to stdout.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Iterator

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "annotations" / "sources"
GOLD = ROOT / "annotations" / "gold"
OUT = Path(__file__).parent / "out"
SEGMENTERS = ("jieba", "pkuseg", "char")
TARGET_LABELS = ("AMOUNT", "PERCENT", "SUBJECT_CODE", "CHANGE")

# The independent scan (original text; a number may carry PDF spaces: "532 .02", "6.37 %").
_NUM = r"(?<![\d.])\d+(?: ?\. ?\d+)?"
_SCAN = [
    ("AMOUNT", re.compile(rf"{_NUM}(?= ?(?:万元|亿元|千元|元))(?: ?(?:万元|亿元|千元|元))")),
    ("PERCENT", re.compile(rf"{_NUM} ?[%％]")),
    ("SUBJECT_CODE", re.compile(r"(?m)^(?:<b>)?(\d{3,7})(?:</b>)?\t")),
    # the form template "增加（减少）" is one CHANGE (direction null), possibly broken by PDF lines
    ("CHANGE", re.compile(r"(?:增加|增长|增)[(（]\s*(?:减\s*少|下\s*降|减)\s*[)）]|增加|减少|增长|下降|上升|降低|持平")),
]


def scan_entities(text: str) -> Iterator[tuple[int, int, str]]:
    for label, rx in _SCAN:
        for m in rx.finditer(text):
            g = 1 if rx.groups else 0
            yield m.start(g), m.end(g), label


def gold_items() -> list[tuple[str, list[tuple[int, int, str]]]]:
    items = []
    for path in sorted(GOLD.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                items.append((rec["text"], [(s["start"], s["end"], s["label"]) for s in rec.get("spans", ())]))
    return items


def rules_items(texts: list[str]) -> list[tuple[str, list[tuple[int, int, str]]]]:
    from nlp import Extractor

    ex = Extractor.rules_only()
    return [(t, [(e["start"], e["end"], e["label"]) for e in ex.extract(t)["entities"]]) for t in texts]


def references(which: str = "all") -> dict[str, list[tuple[str, list[tuple[int, int, str]]]]]:
    """kind → [(text, [(start, end, label)])] with offsets into each text; empty kinds left out."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(SOURCES.glob("*.txt"))]
    makers = {"gold": gold_items, "rules": lambda: rules_items(texts), "scan": lambda: [(t, list(scan_entities(t))) for t in texts]}
    out = {}
    for kind, make in makers.items():
        if which in ("all", kind):
            items = make()
            if any(spans for _, spans in items):
                out[kind] = items
    return out


def token_boundaries(doc) -> tuple[set[int], set[int]]:
    """Original-text offsets where tokens start and where they end."""
    norm = doc._.norm
    starts, ends = set(), set()
    for tok in doc:
        if tok.is_space:
            continue
        a, b = norm.to_original(tok.idx, tok.idx + len(tok.text))
        starts.add(a)
        ends.add(b)
    return starts, ends


def measure(tokenizer, items: Iterable[tuple[str, list[tuple[int, int, str]]]]) -> dict[str, dict[str, int]]:
    """label → {entities, whole (both ends on boundaries), boundaries, on (boundaries on tokens)}."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"entities": 0, "whole": 0, "boundaries": 0, "on": 0})
    misses: dict[str, list[str]] = defaultdict(list)
    for text, spans in items:
        if not spans:
            continue
        starts, ends = token_boundaries(tokenizer(text))
        for s, e, label in spans:
            row = out[label]
            ok_s, ok_e = s in starts, e in ends
            row["entities"] += 1
            row["whole"] += ok_s and ok_e
            row["boundaries"] += 2
            row["on"] += ok_s + ok_e
            if not (ok_s and ok_e) and len(misses[label]) < 5:
                misses[label].append(text[max(0, s - 8):e + 8].replace("\n", "⏎"))
    for label, row in out.items():
        row["misses"] = misses[label]
    return dict(out)


def run(which: str = "all", segmenters: Iterable[str] = SEGMENTERS) -> dict:
    from nlp.pipeline import build_pipeline

    refs = references(which)
    tokenizers = {seg: build_pipeline(overrides={"nlp.tokenizer.segmenter": seg}).tokenizer for seg in segmenters}
    return {kind: {seg: measure(tok, items) for seg, tok in tokenizers.items()} for kind, items in refs.items()}


def markdown(kind: str, results: dict) -> str:
    labels = sorted({l for r in results.values() for l in r}, key=lambda l: (l not in TARGET_LABELS, l))
    lines = [f"Entity boundaries on token boundaries, reference `{kind}`: share of boundaries "
             "(entities with both ends on token boundaries / entities)", "",
             "| label | " + " | ".join(results) + " |", "|---|" + "---|" * len(results)]
    for label in labels:
        cells = []
        for seg in results:
            r = results[seg].get(label)
            cells.append("n/a" if not r else f"{100 * r['on'] / r['boundaries']:.2f}% ({r['whole']}/{r['entities']})")
        lines.append(f"| {label}{' (target 100%)' if label in TARGET_LABELS else ''} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", choices=("all", "gold", "rules", "scan"), default="all")
    ap.add_argument("--segmenters", nargs="+", default=list(SEGMENTERS), choices=SEGMENTERS)
    args = ap.parse_args(argv)
    report = run(args.reference, args.segmenters)
    OUT.mkdir(exist_ok=True)
    (OUT / "token_boundaries.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    for kind, results in report.items():
        print(markdown(kind, results), end="\n\n")
        for seg, res in results.items():
            for label in TARGET_LABELS:
                for ctx in res.get(label, {}).get("misses", []):
                    print(f"  miss [{kind} {seg} {label}] …{ctx}…")
    if "gold" not in report:
        print("(no gold annotations found in annotations/gold/: measured against rules and scan)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

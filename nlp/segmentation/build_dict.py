"""Generate the jieba user dictionary ``nlp/data/fiscal_dict.txt``.

Sources, in order (a word seen twice keeps its first tag):

- ``nlp/data/subjects.txt``: the subject lexicon (one name a line, ``#`` comments, extra
  tab-separated columns ignored), if present;
- ``nlp/data/gov_codes.tsv``: the names of the national budget classification (columns
  ``code, name, level, kind``), if present;
- subject names harvested from the table rows of the sources;
- units and change triggers (these are also protected atoms of the tokenizer; listing them
  keeps the pkuseg training data and the dictionary consistent), and the relative-year
  words of the PERIOD rules (``上年``, ``本年度``).

Format: ``word freq tag`` per line, as ``jieba.load_userdict`` reads it. The frequency is
high enough that jieba keeps a listed word whole wherever it occurs (an OOV-free domain
term beats the generic split), and the file is sorted so that rebuilding is reproducible.

Run: ``python -m nlp.segmentation.build_dict`` (``--check`` exits 1 if the file is stale).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import unicodedata
from pathlib import Path
from typing import Iterable, Iterator

from nlp.segmentation.corpus import DATA_DIR, normalized_sources, table_subjects

OUT = DATA_DIR / "fiscal_dict.txt"
SUBJECTS = DATA_DIR / "subjects.txt"
GOV_CODES = DATA_DIR / "gov_codes.tsv"

FREQ = 200000  # above any generic word frequency in jieba's dictionary for these lengths
UNITS = ["万元", "亿元", "千元", "万人", "人次"]
CHANGE_TRIGGERS = ["增加", "减少", "增长", "下降", "上升", "降低", "持平"]


def relative_periods() -> list[str]:
    """The relative-year words of the PERIOD rules (上年, 本年度, 今年…): listed so that the
    tokenizer cuts at them (jieba glues 今年以来, 本年度预算)."""
    try:
        from nlp.rules.periods import _OFFSETS  # the rules' own list: one source of truth

        return sorted(_OFFSETS)
    except ImportError:
        return ["上年度", "上年", "去年", "上一年度", "上一年", "本年度", "本年", "今年", "当年度"]

# A listed word has no digits (numbers are the tokenizer's protected atoms) and no spaces
# (jieba's file format is space separated). jieba itself only matches words made of
# ideographs (its cut() splits the text at anything else); a name with brackets or quotes
# (财政拨款“三公”经费) is still listed: the tokenizer also cuts at the boundaries of every
# listed word it finds (see nlp/tokenizer.py, term boundaries), and pkuseg forces it whole.
_VALID = re.compile(r"[^\s\d]{1,30}")


def _clean(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def lexicon_subjects(path: Path = SUBJECTS) -> Iterator[str]:
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0]
        if line.strip():
            yield line.split("\t", 1)[0]


def code_table_names(path: Path = GOV_CODES) -> Iterator[str]:
    if not path.exists():
        return
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.reader(f, delimiter="\t"):
            if len(row) < 2 or row[0].strip().lower() == "code" or row[0].lstrip().startswith("#"):
                continue
            yield row[1]


def entries() -> list[tuple[str, int, str]]:
    """(word, freq, tag), reproducibly ordered."""
    seen: dict[str, tuple[int, str]] = {}

    def add(words: Iterable[str], tag: str, freq: int = FREQ) -> None:
        for w in words:
            w = _clean(w)
            if w in seen:
                continue
            # a one-character word at this frequency would split common words (个人 → 个 人)
            if len(w) > 1 and _VALID.fullmatch(w) and re.search(r"[\u4e00-\u9fff]", w):
                seen[w] = (freq, tag)

    add(UNITS, "unit")
    add(CHANGE_TRIGGERS, "change")
    add(relative_periods(), "period")
    add(lexicon_subjects(), "subj")
    add(code_table_names(), "subj")
    for text in normalized_sources().values():
        add(table_subjects(text), "subj")
    return sorted(((w, f, t) for w, (f, t) in seen.items()), key=lambda e: (e[2], e[0]))


def render(rows: list[tuple[str, int, str]]) -> str:
    return "".join(f"{w} {f} {t}\n" for w, f, t in rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true", help="exit 1 if the file on disk differs from a fresh build")
    args = ap.parse_args(argv)
    rows = entries()
    text = render(rows)
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is stale: run python -m nlp.segmentation.build_dict", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    counts: dict[str, int] = {}
    for _, _, t in rows:
        counts[t] = counts.get(t, 0) + 1
    print(f"wrote {args.out} ({len(rows)} words: {counts}; subjects.txt {'found' if SUBJECTS.exists() else 'absent'}, "
          f"gov_codes.tsv {'found' if GOV_CODES.exists() else 'absent'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Write reports/dev-fact-errors.md: the fact errors left on the `dev` split, grouped into classes.

    python annotations/dev/tools/fact_errors.py [--systems combined rules] [--out reports/dev-fact-errors.md]

Only the `dev` part of the corpus is extracted and read (annotations/dev/split.json); `blind` is
never loaded here. Errors are found with the same one-to-one matching as the evaluation
(nlp.evaluation.score_facts, strict and lenient subjects) and the totals are checked against it.
A wrong fact and a missed gold fact on the same figure are a pair (what differs says the class);
a wrong fact with no gold partner is spurious, a gold fact with none is missed. Each class is a
predicate on the pair and its text (CLASSES, first match wins); what no class takes is `other`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from nlp.evaluation import fact_key, normalize_subject, score_facts, subjects_agree_leniently  # noqa: E402

KEY_FIELDS = ("measure", "value", "unit", "period", "direction", "column", "subject")
MONEY_OR_SHARE = {"CNY", "%"}
BASIS_WORDS = ("预算", "决算", "預算", "決算")
TOTAL_WORDS = {"合计", "总计", "小计", "合計", "總計", "小計"}
# a bare number in a run of numbers that share one trailing unit: "356.21、48.77 万元"
_BARE_AFTER = re.compile(r"\s?、\s?\d")  # used with .match(text, pos): anchored at pos
_BARE_BEFORE = re.compile(r"\d\s?、\s?$")
_BARE_NUMBER = re.compile(r"[\d,.\s]+")


@dataclass
class Error:
    """One error: a pair (pred and gold on the same figure), a spurious pred or a missed gold."""

    doc_id: str
    record_kind: str
    text: str
    pred: Optional[dict[str, Any]]
    gold: Optional[dict[str, Any]]

    @property
    def fact(self) -> dict[str, Any]:
        return self.gold or self.pred

    @property
    def differs(self) -> tuple[str, ...]:
        if self.pred is None or self.gold is None:
            return ()
        kp, kg = fact_key(self.pred), fact_key(self.gold)
        return tuple(name for name, a, b in zip(KEY_FIELDS, kp, kg) if a != b)

    def subjects(self) -> tuple[str, str]:
        return normalize_subject((self.pred or {}).get("subject")), normalize_subject((self.gold or {}).get("subject"))

    def figure(self) -> str:
        ev = self.fact["evidence"]
        return self.text[ev["start"]: ev["end"]]

    def context(self, before: int = 28, after: int = 10) -> str:
        ev = self.fact["evidence"]
        s, e = ev["start"], ev["end"]
        show = lambda x: " ".join(x.split())  # noqa: E731
        return f"{show(self.text[max(0, s - before): s])}【{show(self.text[s:e])}】{show(self.text[e: e + after])}"


def _subject_only(err: Error) -> bool:
    return err.differs == ("subject",)


def _bare_run(err: Error) -> bool:
    """The figure is a bare number before ``、`` and another number, or comes right after one."""
    ev = err.fact["evidence"]
    bare = _BARE_NUMBER.fullmatch(err.figure()) is not None
    return (bare and bool(_BARE_AFTER.match(err.text, ev["end"]))) or bool(_BARE_BEFORE.search(err.text[max(0, ev["start"] - 4): ev["start"]]))


def _fee_expenditure(err: Error) -> bool:
    p, g = err.subjects()
    return _subject_only(err) and p == g + "支出" and g.endswith(("费", "費"))


def _basis_cut(err: Error) -> bool:
    p, g = err.subjects()
    return _subject_only(err) and any(g == p + w for w in BASIS_WORDS)


def _verb_before_count(err: Error) -> bool:
    p, g = err.subjects()
    return (_subject_only(err) and err.gold.get("unit") not in MONEY_OR_SHARE
            and len(p) > len(g) and p.endswith(g))


def _qualifier_cut(err: Error) -> bool:
    p, g = err.subjects()
    return _subject_only(err) and len(g) > len(p) >= 1 and g.endswith(p)


def _parallel_tail(err: Error) -> bool:
    p, g = err.subjects()
    return _subject_only(err) and len(p) > len(g) and p.startswith(g) and "、" in err.text[max(0, err.fact["evidence"]["start"] - 40): err.fact["evidence"]["start"]]


def _total_word(err: Error) -> bool:
    p, g = err.subjects()
    return _subject_only(err) and p in TOTAL_WORDS and g not in TOTAL_WORDS


@dataclass(frozen=True)
class ErrorClass:
    name: str
    test: Callable[[Error], bool]
    what: str


CLASSES = (
    ErrorClass("bare numbers sharing one unit", _bare_run,
               "a run of bare numbers with one trailing unit (`356.21、48.77 万元`): the bare first number is "
               "not read as an amount, and the one with the unit takes the wrong subject"),
    ErrorClass("`X费支出` vs gold `X费` (open guideline decision)", _fee_expenditure,
               "the reader keeps 支出 after a 费 item (`会议费支出`, `“三公”经费支出`, `机关运行经费支出`), as the five "
               "sources' gold does; the dev gold drops it. Strict only: lenient subjects agree"),
    ErrorClass("verb or scope word before a counted noun", _verb_before_count,
               "a count's noun keeps the verb or scope before it (`举办培训` for `培训`, `召开会议`, `组织因公出国(境)团组`, "
               "`全区保障城市低保对象`, `机关内设机构`)"),
    ErrorClass("budget basis cut from the item", _basis_cut,
               "预算/决算 is read as the basis and cut, where it is part of the item's name (`收入预算` read as `收入`)"),
    ErrorClass("`合计` taken as the subject", _total_word,
               "a total after a list (`…分别为 A、B，合计 C`) takes `合计` as its subject, not the whole it totals"),
    ErrorClass("shared tail kept on a coordinated name", _parallel_tail,
               "coordinated names share a tail (`收入预算、支出预算总额均为`): the first name is given the tail (`收入预算总额`)"),
    ErrorClass("qualifier or front of the name cut", _qualifier_cut,
               "the reader's subject is the tail of the gold one: a qualifier (`单位价值100万元以上设备` → `设备`), "
               "or the front of the name (`政府采购预算总额` → `总额`, `文化旅游体育与传媒支出` → `与传媒支出`) is cut"),
)


def classify(err: Error) -> str:
    for c in CLASSES:
        if c.test(err):
            return c.name
    if err.pred is None:
        return "missed (other)"
    if err.gold is None:
        return "spurious (other)"
    return "wrong " + "+".join(err.differs) + " (other)"


def _match(pred: list[dict], gold: list[dict], lenient: bool) -> tuple[list[dict], list[dict]]:
    """The predicted and gold facts the evaluation leaves unmatched (nlp.evaluation.score_facts's
    one-to-one matching, exact keys first, then lenient subjects)."""
    remaining: dict[tuple, list[dict]] = defaultdict(list)
    for g in gold:
        remaining[fact_key(g)].append(g)
    unmatched = []
    for f in pred:
        k = fact_key(f)
        if remaining[k]:
            remaining[k].pop(0)
        else:
            unmatched.append(f)
    fps = []
    for f in unmatched:
        k = fact_key(f)
        partner = None
        if lenient:
            partner = next((g for g, left in remaining.items() if left and g[:-1] == k[:-1]
                            and subjects_agree_leniently(k[-1], g[-1])), None)
        if partner is None:
            fps.append(f)
        else:
            remaining[partner].pop(0)
    fns = [g for left in remaining.values() for g in left]
    return fps, fns


def _pairs(doc_id: str, kind: str, text: str, fps: list[dict], fns: list[dict]) -> list[Error]:
    """Pair wrong and missed facts on the same figure (same evidence), in text order."""
    by_span: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for g in fns:
        by_span[(g["evidence"]["start"], g["evidence"]["end"])].append(g)
    out = []
    for f in fps:
        span = (f["evidence"]["start"], f["evidence"]["end"])
        g = by_span[span].pop(0) if by_span[span] else None
        out.append(Error(doc_id, kind, text, f, g))
    out += [Error(doc_id, kind, text, None, g) for left in by_span.values() for g in left]
    return sorted(out, key=lambda e: (e.doc_id, e.fact["evidence"]["start"]))


def collect(docs, extract) -> dict[str, Any]:
    """Errors of one system on the documents, strict and lenient, with the evaluation's counts."""
    out: dict[str, Any] = {"strict": [], "lenient": [], "tp": Counter(), "fp": Counter(), "fn": Counter()}
    for doc in docs:
        result = extract(doc.gold.text, doc.doc_id)
        per: dict[int, tuple[list, list]] = {r.index: ([], []) for r in doc.records}
        for f in result["facts"]:
            if (r := doc.record_at(f["evidence"]["start"])) is not None:
                per[r.index][0].append(f)
        for f in doc.gold.facts:
            if (r := doc.record_at(f["evidence"]["start"])) is not None:
                per[r.index][1].append(f)
        for r in doc.records:
            pred, gold = per[r.index]
            for mode, lenient in (("strict", False), ("lenient", True)):
                fps, fns = _match(pred, gold, lenient)
                scores = score_facts(pred, gold, lenient=lenient).overall()
                if (scores.fp, scores.fn) != (len(fps), len(fns)):  # the same matching as the evaluation
                    raise AssertionError(f"{doc.doc_id} record {r.index}: matching disagrees with nlp.evaluation")
                out["tp"][(mode, r.kind)] += scores.tp
                out["fp"][(mode, r.kind)] += len(fps)
                out["fn"][(mode, r.kind)] += len(fns)
                out[mode] += _pairs(doc.doc_id, r.kind, doc.gold.text, fps, fns)
    return out


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def _fee_convention(docs_by_corpus: dict[str, list]) -> list[str]:
    """How each corpus's gold names a 费 item printed as `X费支出`: keeping 支出 or dropping it."""
    lines = ["| gold | subject keeps 支出 (`X费支出`) | subject drops it (`X费`, text says `X费支出`) |", "|---|---:|---:|"]
    for name, docs in docs_by_corpus.items():
        keep = drop = 0
        for doc in docs:
            for f in doc.gold.facts:
                s = normalize_subject(f.get("subject"))
                lead = "".join(doc.gold.text[max(0, f["evidence"]["start"] - 40): f["evidence"]["start"]].split())
                if s.endswith(("费支出", "費支出")):
                    keep += 1
                elif s.endswith(("费", "費")) and s + "支出" in lead:
                    drop += 1
        lines.append(f"| {name} | {keep} | {drop} |")
    return lines


def report(systems: dict[str, dict[str, Any]], fee_table: list[str], n_docs: int) -> str:
    names = list(systems)
    lines = ["# Fact errors left on `dev`, by class", "",
             f"Generated by `annotations/dev/tools/fact_errors.py` on the {n_docs} documents of the `dev` split "
             "(`blind` is not read). Errors are the facts the evaluation leaves unmatched "
             "(`nlp.evaluation.score_facts`, one-to-one; the totals below equal its counts). A wrong fact and a "
             "missed gold fact on the same figure count once as a pair; `FP`/`FN` are the evaluation's false "
             "positives and negatives. Systems: " + ", ".join(f"`{n}`" for n in names) + " (`combined` is the shipped model).", ""]
    lines += ["## Totals", "", "| system | subjects | record kind | TP | FP | FN | F1 |", "|---|---|---|---:|---:|---:|---:|"]
    for n, s in systems.items():
        for mode in ("lenient", "strict"):
            for kind in ("prose", "table"):
                tp, fp, fn = s["tp"][(mode, kind)], s["fp"][(mode, kind)], s["fn"][(mode, kind)]
                lines.append(f"| {n} | {mode} | {kind} | {tp} | {fp} | {fn} | {_f1(tp, fp, fn):.4f} |")
    lines += [""]
    order = [c.name for c in CLASSES]
    for mode in ("strict", "lenient"):
        lines += [f"## Classes, {mode} subjects", "",
                  "| class | " + " | ".join(f"{n}: errors (FP / FN)" for n in names) + " |",
                  "|---|" + "---:|" * len(names)]
        counts: dict[str, dict[str, list[int]]] = {n: defaultdict(lambda: [0, 0, 0]) for n in names}
        for n, s in systems.items():
            for e in s[mode]:
                c = counts[n][classify(e)]
                c[0] += 1
                c[1] += e.pred is not None
                c[2] += e.gold is not None
        seen = order + sorted({k for n in names for k in counts[n]} - set(order))
        for k in seen:
            if not any(counts[n][k][0] for n in names):
                continue
            lines.append(f"| {k} | " + " | ".join(f"{counts[n][k][0]} ({counts[n][k][1]} / {counts[n][k][2]})" for n in names) + " |")
        lines.append(f"| **all** | " + " | ".join(
            f"{sum(v[0] for v in counts[n].values())} ({sum(v[1] for v in counts[n].values())} / "
            f"{sum(v[2] for v in counts[n].values())})" for n in names) + " |")
        lines.append("")
        if mode == "strict":
            for n, s in systems.items():
                fee = [e for e in s["strict"] if e.record_kind == "prose" and classify(e) == CLASSES[1].name]
                tp, fp, fn = s["tp"][("strict", "prose")], s["fp"][("strict", "prose")], s["fn"][("strict", "prose")]
                k = len(fee)
                lines.append(f"- `{n}`: {k} of the {fn} missed prose facts are the open guideline decision `X费支出`; "
                             f"read the dev gold's way, strict prose F1 would be {_f1(tp + k, fp - k, fn - k):.4f} "
                             f"(it is {_f1(tp, fp, fn):.4f}).")
            lines.append("")
    lines += ["## What each class is, with examples (first system, strict subjects)", ""]
    first = systems[names[0]]
    by_class: dict[str, list[Error]] = defaultdict(list)
    for e in first["strict"]:
        by_class[classify(e)].append(e)
    for c in CLASSES:
        errs = by_class.get(c.name, [])
        lines += [f"### {c.name}: {len(errs)}", "", c.what + ".", ""]
        if c.test is _fee_expenditure:
            lines += ["This is a guideline conflict, not a reader error: the gold of the five sources keeps 支出 in these "
                      "subjects and the dev gold drops it. Which one the guidelines mean is an open decision (the gold is "
                      "not edited here); until it is made, these errors count against strict subjects only. "
                      "How each gold names a `X费支出` item:", ""] + fee_table + [""]
        for e in _examples(errs):
            lines.append(_example_line(e))
        lines.append("")
    rest = sorted(k for k in by_class if k not in order)
    for k in rest:
        lines += [f"### {k}: {len(by_class[k])}", ""] + [_example_line(e) for e in _examples(by_class[k])] + [""]
    lines += ["## Every error (first system, strict subjects)", "",
              "| document | measure | value | unit | read | gold | class |", "|---|---|---:|---|---|---|---|"]
    for e in first["strict"]:
        f = e.fact
        lines.append(f"| `{e.doc_id}` | {f['measure']} | {f['value']} | {f.get('unit')} | {(e.pred or {}).get('subject') or '—'} "
                     f"| {(e.gold or {}).get('subject') or '—'} | {classify(e)} |")
    lines += ["", "Regenerate with `python annotations/dev/tools/fact_errors.py` after a change to the rules or the model.", ""]
    return "\n".join(lines)


def _examples(errs: list[Error], n: int = 8) -> list[Error]:
    """Up to ``n`` errors, one per distinct (read, gold) subject pair first, then per document."""
    out, seen = [], set()
    for key in (lambda e: e.subjects(), lambda e: e.doc_id):
        for e in errs:
            if len(out) == n:
                return out
            if key(e) not in seen and e not in out:
                out.append(e)
                seen.add(key(e))
    return out


def _example_line(e: Error) -> str:
    p, g = (e.pred or {}).get("subject"), (e.gold or {}).get("subject")
    what = (f"read `{p}`, gold `{g}`" if e.pred and e.gold else f"missed (gold `{g}`)" if e.gold else f"spurious `{p}`")
    f = e.fact
    return f"- `{e.doc_id}` {f['measure']} {f['value']} {f.get('unit')}: {what} — {e.context()}"


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--systems", nargs="+", choices=("combined", "rules"), default=["combined", "rules"])
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "dev-fact-errors.md")
    args = ap.parse_args(argv)
    from nlp.corpora import load_corpus
    from nlp.extractor import Extractor

    docs = load_corpus("dev")
    makers = {"combined": Extractor.load, "rules": Extractor.rules_only}
    systems = {}
    for name in args.systems:
        ex = makers[name]()
        systems[name] = collect(docs, ex.extract)
    fee = _fee_convention({"five sources (`annotations/gold`)": load_corpus("sources"), "dev split": docs})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report(systems, fee, len(docs)), encoding="utf-8")
    print(f"fact_errors: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

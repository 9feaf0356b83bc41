"""Score one system on a corpus, broken down the ways the issues measure it.

Every figure is attributed to the gold record it lies in, so the same tables come out per
record kind (prose, table), per table text form (tab, space, pipe, html, csv, cell-per-line)
and per national template. Checks are scored against the corpus's planted inconsistencies:
a check that touches a planted record finds it; any other check is a false alarm.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Iterable

from nlp.corpora import CorpusDocument
from nlp.evaluation import ENTITY_KEYS, FACT_KEYS, Scores, score_entities, score_facts


class _Groups:
    """Scores accumulated under several group names at once."""

    def __init__(self) -> None:
        self.entities: dict[str, Scores] = defaultdict(Scores)
        self.strict: dict[str, Scores] = defaultdict(Scores)
        self.lenient: dict[str, Scores] = defaultdict(Scores)

    def add(self, groups: Iterable[str], pred_e, gold_e, pred_f, gold_f) -> None:
        es, fs, fl = score_entities(pred_e, gold_e), score_facts(pred_f, gold_f), score_facts(pred_f, gold_f, lenient=True)
        for g in groups:
            self.entities[g].merge(es)
            self.strict[g].merge(fs)
            self.lenient[g].merge(fl)

    def as_dict(self) -> dict[str, Any]:
        return {g: {"entities": self.entities[g].as_dict(ENTITY_KEYS),
                    "facts_strict": self.strict[g].as_dict(FACT_KEYS),
                    "facts_lenient": self.lenient[g].as_dict(FACT_KEYS)}
                for g in sorted(self.entities)}


def _record_groups(doc: CorpusDocument, index: int, kind: str) -> list[str]:
    groups = ["all", kind]
    table = doc.tables().get(index)
    if kind == "table" and table:
        groups.append(f"form:{table.get('form', '?')}")
        groups.append(f"template:{table.get('template', '?')}")
    return groups


def score_corpus(docs: list[CorpusDocument], extract: Callable[[str, str], dict[str, Any]]) -> dict[str, Any]:
    """``extract(text, doc_id)`` returns the contract's result dict."""
    groups = _Groups()
    planted_total, planted_found = 0, 0
    false_alarms: list[dict[str, Any]] = []
    missed: list[dict[str, Any]] = []
    unchecked = 0
    checks_total = 0
    # the same counts by the kind of record a relation's facts lie in (table or prose)
    by_kind = {k: {"raised": 0, "planted": 0, "planted_found": 0, "false_alarms": 0, "unchecked": 0} for k in ("table", "prose")}

    def kind_of(records: set[int]) -> str:
        return "table" if any(doc.records[k].kind == "table" for k in records) else "prose"
    for doc in docs:
        result = extract(doc.gold.text, doc.doc_id)
        by_record: dict[int, tuple[list, list, list, list]] = {r.index: ([], [], [], []) for r in doc.records}

        def slot(offset: int):
            r = doc.record_at(offset)
            return by_record[r.index] if r is not None else None

        for e in result["entities"]:
            if (s := slot(e["start"])) is not None:
                s[0].append(e)
        for span in doc.gold.spans:
            if (s := slot(span.start)) is not None:
                s[1].append(span)
        for f in result["facts"]:
            if (s := slot(f["evidence"]["start"])) is not None:
                s[2].append(f)
        for f in doc.gold.facts:
            if (s := slot(f["evidence"]["start"])) is not None:
                s[3].append(f)
        for r in doc.records:
            groups.add(_record_groups(doc, r.index, r.kind), *by_record[r.index])

        planted = doc.planted()
        found: set[int] = set()
        for check in result.get("checks", []):
            checks_total += 1
            touched = {rec.index for i in check.get("facts", [])
                       if 0 <= i < len(result["facts"])
                       and (rec := doc.record_at(result["facts"][i]["evidence"]["start"])) is not None}
            hit = touched & set(planted)
            by_kind[kind_of(touched)]["raised"] += 1
            if hit:
                found |= hit
            else:
                false_alarms.append({"doc_id": doc.doc_id, "records": sorted(touched), "kind": check.get("kind")})
                by_kind[kind_of(touched)]["false_alarms"] += 1
        for u in result.get("unchecked", []):
            recs = {rec.index for i in u.get("facts", []) if 0 <= i < len(result["facts"])
                    and (rec := doc.record_at(result["facts"][i]["evidence"]["start"])) is not None}
            by_kind[kind_of(recs)]["unchecked"] += 1
        for k in planted:
            by_kind[doc.records[k].kind if doc.records[k].kind in by_kind else "prose"]["planted"] += 1
            if k in found:
                by_kind[doc.records[k].kind if doc.records[k].kind in by_kind else "prose"]["planted_found"] += 1
        unchecked += len(result.get("unchecked", []))
        planted_total += len(planted)
        planted_found += len(found)
        missed += [{"doc_id": doc.doc_id, "record": k, "check": p.get("check")} for k, p in planted.items() if k not in found]
    return {
        "documents": len(docs),
        "groups": groups.as_dict(),
        "checks": {"raised": checks_total, "planted": planted_total, "planted_found": planted_found,
                   "false_alarms": len(false_alarms),
                   "false_alarm_rate": round(len(false_alarms) / checks_total, 4) if checks_total else 0.0,
                   "unchecked": unchecked, "by_record_kind": by_kind,
                   "false_alarm_records": false_alarms, "missed_planted": missed},
    }


def _cell(r: dict[str, Any] | None) -> str:
    return f"{r['precision']:.3f} / {r['recall']:.3f} / **{r['f1']:.3f}**" if r else "–"


def corpus_markdown(corpus: str, reports: dict[str, dict[str, Any]], blind: bool = False) -> str:
    """Tables per label and per measure for each system; ``blind`` hides which records erred."""
    systems = list(reports)
    first = reports[systems[0]]
    lines = [f"## Corpus `{corpus}`: {first['documents']} documents", ""]
    group_names = [g for g in first["groups"] if g in ("all", "prose", "table")]
    for g in group_names:
        lines += [f"### Entities, {g} records (exact span and label)", "",
                  "| label | " + " | ".join(f"{s} P / R / F1" for s in systems) + " | support |",
                  "|---|" + "---|" * len(systems) + "---|"]
        for key in (*ENTITY_KEYS, "overall"):
            row = [reports[s]["groups"][g]["entities"].get(key) for s in systems]
            if any(row):
                lines.append(f"| {key} | " + " | ".join(_cell(r) for r in row) + f" | {next(r for r in row if r)['support']} |")
        for mode in ("lenient", "strict"):
            lines += ["", f"### Facts, {g} records, {mode} subjects", "",
                      "| measure | " + " | ".join(f"{s} P / R / F1" for s in systems) + " | support |",
                      "|---|" + "---|" * len(systems) + "---|"]
            for key in (*FACT_KEYS, "overall"):
                row = [reports[s]["groups"][g][f"facts_{mode}"].get(key) for s in systems]
                if any(row):
                    lines.append(f"| {key} | " + " | ".join(_cell(r) for r in row) + f" | {next(r for r in row if r)['support']} |")
        lines.append("")
    breakdown = sorted(g for g in first["groups"] if g.startswith(("form:", "template:")))
    if breakdown:
        lines += ["### Tables per text form and per template (overall F1)", "",
                  "| group | " + " | ".join(f"{s} entities / facts lenient / facts strict" for s in systems) + " | fact support |",
                  "|---|" + "---|" * len(systems) + "---|"]
        for g in breakdown:
            cells = []
            for s in systems:
                d = reports[s]["groups"].get(g)
                cells.append(f"{d['entities']['overall']['f1']:.3f} / {d['facts_lenient']['overall']['f1']:.3f} / "
                             f"{d['facts_strict']['overall']['f1']:.3f}" if d else "–")
            support = first["groups"][g]["facts_strict"]["overall"]["support"]
            lines.append(f"| {g} | " + " | ".join(cells) + f" | {support} |")
        lines.append("")
    lines += ["### Checks", "", "| system | raised | planted found | false alarms | false-alarm rate | unchecked |",
              "|---|---|---|---|---|---|"]
    for s in systems:
        c = reports[s]["checks"]
        lines.append(f"| {s} | {c['raised']} | {c['planted_found']} / {c['planted']} | {c['false_alarms']} | "
                     f"{c['false_alarm_rate']:.3f} | {c['unchecked']} |")
    if all("by_record_kind" in reports[s]["checks"] for s in systems):
        lines += ["", "| system | records | raised | planted found | false alarms | unchecked |", "|---|---|---|---|---|---|"]
        for s in systems:
            for kind, c in reports[s]["checks"]["by_record_kind"].items():
                lines.append(f"| {s} | {kind} | {c['raised']} | {c['planted_found']} / {c['planted']} | {c['false_alarms']} | {c['unchecked']} |")
    if not blind:
        for s in systems:
            fa = reports[s]["checks"]["false_alarm_records"]
            if fa:
                lines += ["", f"False alarms of `{s}`: " + ", ".join(f"{a['doc_id']}#{a['records']} ({a['kind']})" for a in fa)]
            mp = reports[s]["checks"]["missed_planted"]
            if mp:
                lines += ["", f"Planted inconsistencies `{s}` missed: " + ", ".join(f"{m['doc_id']}#{m['record']} ({m['check']})" for m in mp)]
    return "\n".join(lines) + "\n"

"""What changed between two re-tagging outputs: per document and in total.

Facts are matched by what they are about — ``(subject, code, measure, column, period,
base_period, evidence span)`` — so a fact whose value (or unit, direction, comparator, basis,
reason, flags) changed is reported as *changed* rather than as one removal plus one addition.
Entities are matched by ``(label, start, end)``. Keys that occur several times in a document
are matched as multisets: identical facts pair first, the rest pair in order, leftovers are
added or removed. Scores are not compared (they move with every model and say nothing a user
acts on).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterable, Optional

FACT_KEY = ("subject", "code", "measure", "column", "period", "base_period")
FACT_FIELDS = ("value", "unit", "direction", "comparator", "basis", "reason", "flags")
ENTITY_FIELDS = ("value", "unit", "direction", "flags")


class DiffError(ValueError):
    """An output directory cannot be compared (missing, unfinished, unreadable)."""


def load_output(out: str | Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(manifest, results by doc_id, errors by doc_id) of a finished output directory."""
    out = Path(out)
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise DiffError(f"{out}: no manifest.json — not a retag output directory") from e
    except ValueError as e:
        raise DiffError(f"{out}/manifest.json: invalid JSON ({e})") from e
    if manifest.get("status") != "complete":
        raise DiffError(f"{out}: the job is not complete (status {manifest.get('status')!r}); finish it first")
    results: dict[str, dict[str, Any]] = {}
    for inp in manifest.get("inputs", []):
        with open(out / inp["output"], encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    results[r["doc_id"]] = r
    errors: dict[str, dict[str, Any]] = {}
    errors_path = out / manifest.get("errors_file", "errors.jsonl")
    if errors_path.exists():
        with open(errors_path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    e = json.loads(line)
                    errors[e["doc_id"]] = e
    return manifest, results, errors


def fact_key(f: dict[str, Any]) -> tuple:
    ev = f.get("evidence") or {}
    return tuple(f.get(k) for k in FACT_KEY) + (ev.get("start"), ev.get("end"))


def entity_key(e: dict[str, Any]) -> tuple:
    return (e.get("label"), e.get("start"), e.get("end"))


def _fields(item: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    return {k: sorted(item.get(k) or []) if k == "flags" else item.get(k) for k in names}


def _match(old: list[dict], new: list[dict], key, fields: tuple[str, ...]) -> dict[str, list]:
    """Multiset matching of two lists of facts/entities by key."""
    old_by, new_by = defaultdict(list), defaultdict(list)
    for x in old:
        old_by[key(x)].append(x)
    for x in new:
        new_by[key(x)].append(x)
    added, removed, changed = [], [], []
    unchanged = 0
    for k in list(old_by) + [k for k in new_by if k not in old_by]:
        a, b = list(old_by.get(k, ())), list(new_by.get(k, ()))
        rest_b = []
        for y in b:  # identical ones first
            fy = _fields(y, fields)
            hit = next((i for i, x in enumerate(a) if _fields(x, fields) == fy), None)
            if hit is None:
                rest_b.append(y)
            else:
                a.pop(hit)
                unchanged += 1
        for x, y in zip(a, rest_b):
            fx, fy = _fields(x, fields), _fields(y, fields)
            changed.append({"before": x, "after": y, "fields": [n for n in fields if fx[n] != fy[n]]})
        removed.extend(a[len(rest_b):])
        added.extend(rest_b[len(a):])
    return {"added": added, "removed": removed, "changed": changed, "unchanged": unchanged}


def _with_text(fact: dict[str, Any], surfaces: dict[tuple, str]) -> dict[str, Any]:
    """The fact plus the surface text of its evidence (from the entity at the same span), for readers."""
    ev = fact.get("evidence") or {}
    text = surfaces.get((ev.get("start"), ev.get("end")))
    return {**fact, "evidence_text": text} if text is not None else fact


def diff_results(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Facts and entities of one document, before and after."""
    facts = _match(old.get("facts", []), new.get("facts", []), fact_key, FACT_FIELDS)
    before = {(e.get("start"), e.get("end")): e.get("text") for e in old.get("entities", [])}
    after = {(e.get("start"), e.get("end")): e.get("text") for e in new.get("entities", [])}
    facts["removed"] = [_with_text(f, before) for f in facts["removed"]]
    facts["added"] = [_with_text(f, after) for f in facts["added"]]
    for c in facts["changed"]:
        c["before"], c["after"] = _with_text(c["before"], before), _with_text(c["after"], after)
    return {
        "facts": facts,
        "entities": _match(old.get("entities", []), new.get("entities", []), entity_key, ENTITY_FIELDS),
    }


def _zero() -> dict[str, int]:
    return {"previous": 0, "current": 0, "added": 0, "removed": 0, "changed": 0, "unchanged": 0}


def diff_outputs(previous: str | Path, current: str | Path) -> dict[str, Any]:
    """The full report: totals, breakdowns by measure and label, and every changed document."""
    pm, pres, perr = load_output(previous)
    cm, cres, cerr = load_output(current)
    totals = {"facts": _zero(), "entities": _zero()}
    by_measure: dict[str, Counter] = defaultdict(Counter)
    by_label: dict[str, Counter] = defaultdict(Counter)
    documents = []
    ids_prev, ids_cur = set(pres) | set(perr), set(cres) | set(cerr)
    compared = unchanged_docs = 0
    for doc_id in sorted(set(pres) & set(cres)):
        compared += 1
        d = diff_results(pres[doc_id], cres[doc_id])
        for kind, group, name in (("facts", by_measure, "measure"), ("entities", by_label, "label")):
            t = totals[kind]
            t["previous"] += len(pres[doc_id].get(kind, []))
            t["current"] += len(cres[doc_id].get(kind, []))
            t["unchanged"] += d[kind]["unchanged"]
            for what in ("added", "removed"):
                t[what] += len(d[kind][what])
                for x in d[kind][what]:
                    group[x.get(name)][what] += 1
            t["changed"] += len(d[kind]["changed"])
            for c in d[kind]["changed"]:
                group[c["after"].get(name)]["changed"] += 1
        if any(d[k][w] for k in d for w in ("added", "removed", "changed")):
            documents.append({"doc_id": doc_id, **d})
        else:
            unchanged_docs += 1
    return {
        "previous": {"dir": str(previous), "model": pm.get("model")},
        "current": {"dir": str(current), "model": cm.get("model")},
        "totals": {
            "documents": {
                "compared": compared,
                "changed": len(documents),
                "unchanged": unchanged_docs,
                "only_previous": sorted(ids_prev - ids_cur),
                "only_current": sorted(ids_cur - ids_prev),
                # failed in one run and not in the other (or in both): not comparable
                "failed_previous": sorted(set(perr) & ids_cur),
                "failed_current": sorted(set(cerr) & ids_prev),
            },
            **totals,
        },
        "by_measure": {k: dict(v) for k, v in sorted(by_measure.items(), key=lambda kv: str(kv[0]))},
        "by_label": {k: dict(v) for k, v in sorted(by_label.items(), key=lambda kv: str(kv[0]))},
        "documents": documents,
    }


# --------------------------------------------------------------------------- the readable page


def _fact_name(f: dict[str, Any]) -> str:
    parts = [f.get("subject") or "(no subject)"]
    if f.get("code"):
        parts.append(f"[{f['code']}]")
    parts.append(f.get("measure", "?"))
    for k in ("column", "period"):
        if f.get(k):
            parts.append(f"{k}={f[k]}")
    if f.get("base_period"):
        parts.append(f"vs {f['base_period']}")
    return " ".join(parts)


def _at(x: dict[str, Any]) -> str:
    ev = x.get("evidence") or x
    text = f" «{x['evidence_text']}»" if x.get("evidence_text") else ""
    return f"@{ev.get('start')}-{ev.get('end')}{text}"


def _show(x: dict[str, Any], fields: list[str]) -> str:
    return ", ".join(f"{k}={x.get(k)!r}" if k != "value" else str(x.get(k)) for k in fields)


def render_markdown(report: dict[str, Any], max_items: int = 30) -> str:
    """The page a user reads after upgrading the model."""
    t = report["totals"]
    pm, cm = report["previous"]["model"] or {}, report["current"]["model"] or {}
    lines = [
        "# Re-tagging diff",
        "",
        f"- previous: `{report['previous']['dir']}` — model {pm.get('name')} {pm.get('version')}",
        f"- current: `{report['current']['dir']}` — model {cm.get('name')} {cm.get('version')}",
        f"- documents compared: {t['documents']['compared']}, changed: {t['documents']['changed']}, "
        f"unchanged: {t['documents']['unchanged']}",
    ]
    for k, label in (("only_previous", "only in previous"), ("only_current", "only in current"),
                     ("failed_previous", "failed in previous"), ("failed_current", "failed in current")):
        if t["documents"][k]:
            ids = t["documents"][k]
            lines.append(f"- {label}: {len(ids)} ({', '.join(ids[:5])}{', …' if len(ids) > 5 else ''})")
    lines += ["", "| | previous | current | added | removed | changed | unchanged |", "|---|---|---|---|---|---|---|"]
    for kind in ("facts", "entities"):
        x = t[kind]
        lines.append(f"| {kind} | {x['previous']} | {x['current']} | {x['added']} | {x['removed']} | {x['changed']} | {x['unchanged']} |")
    for title, group in (("By measure (facts)", report["by_measure"]), ("By label (entities)", report["by_label"])):
        if group:
            lines += ["", f"## {title}", "", "| | added | removed | changed |", "|---|---|---|---|"]
            lines += [f"| {k} | {v.get('added', 0)} | {v.get('removed', 0)} | {v.get('changed', 0)} |" for k, v in group.items()]
    if report["documents"]:
        lines += ["", "## Documents", "", "| document | facts + | facts − | facts ~ | entities + | entities − | entities ~ |",
                  "|---|---|---|---|---|---|---|"]
        for d in report["documents"][:max_items * 5]:
            f, e = d["facts"], d["entities"]
            lines.append(f"| {d['doc_id']} | {len(f['added'])} | {len(f['removed'])} | {len(f['changed'])} | "
                         f"{len(e['added'])} | {len(e['removed'])} | {len(e['changed'])} |")
        changed = [(d["doc_id"], c) for d in report["documents"] for c in d["facts"]["changed"]]
        added = [(d["doc_id"], x) for d in report["documents"] for x in d["facts"]["added"]]
        removed = [(d["doc_id"], x) for d in report["documents"] for x in d["facts"]["removed"]]
        for title, items, fmt in (
            ("Changed facts", changed, lambda c: f"{_fact_name(c['before'])} {_at(c['before'])}: "
             f"{_show(c['before'], c['fields'])} → {_show(c['after'], c['fields'])}"),
            ("Added facts", added, lambda x: f"{_fact_name(x)} {_at(x)}: {x.get('value')} {x.get('unit')}"),
            ("Removed facts", removed, lambda x: f"{_fact_name(x)} {_at(x)}: {x.get('value')} {x.get('unit')}"),
        ):
            if items:
                lines += ["", f"## {title} ({len(items)})", ""]
                lines += [f"- `{doc}` {fmt(x)}" for doc, x in items[:max_items]]
                if len(items) > max_items:
                    lines.append(f"- … {len(items) - max_items} more in diff.json")
    return "\n".join(lines) + "\n"


def summary_line(report: dict[str, Any]) -> str:
    f, e, d = report["totals"]["facts"], report["totals"]["entities"], report["totals"]["documents"]
    return (f"diff: {d['changed']}/{d['compared']} documents changed; facts +{f['added']} −{f['removed']} "
            f"~{f['changed']}; entities +{e['added']} −{e['removed']} ~{e['changed']}")


def write_diff(previous: str | Path, current: str | Path, out: Optional[str | Path] = None) -> dict[str, Any]:
    """Compute the diff and write ``diff.json`` and ``diff.md`` into ``out`` (default: ``current``)."""
    from nlp.batch.files import atomic_write

    report = diff_outputs(previous, current)
    target = Path(out or current)
    atomic_write(target / "diff.json", lambda f: (json.dump(report, f, ensure_ascii=False, indent=1), f.write("\n")))
    atomic_write(target / "diff.md", lambda f: f.write(render_markdown(report)))
    return report

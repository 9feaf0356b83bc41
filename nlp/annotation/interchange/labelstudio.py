"""Label Studio: tasks JSON (import and export) and the labeling config for the eight labels.

A task is one record::

    {"data": {"text": ..., "record": {doc_id, record_id, offset, kind, status, ...},
              "base": <fingerprint of the spans exported>,
              "hints": "<check outputs, read-only>", "fact_hints": [[start, end, flags]]},
     "predictions": [{"model_version", "score", "result": [...]}]      # status "pre"
     "annotations": [{"result": [...], "ground_truth": false}]}        # status "reviewed"

Each span is a ``labels`` region; its attributes are per-region controls sharing the
region's ``id`` (Label Studio's way of attaching answers to a region): ``value`` and
``unit`` are ``textarea`` results (``value.text`` is a list), ``direction`` and ``flags``
``choices`` results.

A fact is its figure region (the AMOUNT/PERCENT/QUANTITY span of its evidence) with the
per-region fact controls (``measure``, ``fact_direction``, ``comparator``, ``basis``,
``fact_flags`` choices; ``column``, ``reason`` text) and ``relation`` results from the figure
to its ``subject`` (SUBJECT), ``code`` (SUBJECT_CODE), ``period`` and ``base_period`` (PERIOD)
regions. A field no span shows travels as per-region text (``subject_text`` ...); see
``common.encode_facts``. Facts no figure region can hold stay in ``data.record.facts``.
Check outputs (the ``inconsistent`` flag) are read-only hints in ``data.hints``: an import
never requires or refuses them.

Offsets: Label Studio counts JavaScript (UTF-16) string indices. Records count code
points; they differ only for characters outside the BMP, so offsets are converted both
ways (identity on ordinary Chinese text).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence
from xml.sax.saxutils import quoteattr

from nlp.contract import BASES, COMPARATORS, DIRECTIONS, ENTITY_FLAGS, FACT_FLAGS, LABELS, MEASURES

from .common import (
    BASE_KEY,
    CHECK_FLAGS,
    RELATION_LABELS,
    FactLink,
    decode_facts,
    encode_facts,
    fact_sort_key,
    InterchangeError,
    ReadResult,
    check_span_shape,
    codepoint_to_utf16,
    full_span,
    parse_json,
    record_meta,
    spans_fingerprint,
    utf16_to_codepoint,
)

NAME = "labelstudio"
SUFFIX = ".json"
FROM_LABEL, TO_NAME = "label", "text"
FROM_VALUE, FROM_UNIT, FROM_DIRECTION, FROM_FLAGS = "value", "unit", "direction", "flags"
HINTS_KEY, FACT_HINTS_KEY = "hints", "fact_hints"
# Per-region controls of a figure's fact: control name -> fact attribute (common.FACT_ATTRS).
FACT_CHOICES = {"measure": "measure", "fact_direction": "direction", "comparator": "comparator", "basis": "basis",
                "fact_flags": "flags"}
FACT_TEXTS = {"column": "column", "reason": "reason", "subject_text": "subject", "code_text": "code",
              "period_text": "period", "base_period_text": "base_period", "fact_value": "value", "fact_unit": "unit"}
FACT_CHOICE_VALUES = {"measure": MEASURES, "direction": DIRECTIONS, "comparator": COMPARATORS, "basis": BASES,
                      "flags": tuple(f for f in FACT_FLAGS if f not in CHECK_FLAGS)}
COLORS = {
    "AMOUNT": "#f4a261", "PERCENT": "#e9c46a", "QUANTITY": "#2a9d8f", "UNIT": "#a8dadc",
    "SUBJECT_CODE": "#b5838d", "SUBJECT": "#8ecae6", "CHANGE": "#e76f51", "PERIOD": "#cdb4db",
}
RELATION_COLORS = {"subject": "#1d3557", "code": "#6d597a", "period": "#7b2cbf", "base_period": "#c77dff"}


def labeling_config() -> str:
    """The project's labeling interface: the eight labels, the per-region span attributes,
    a fact's per-region fields on its figure and its relations to subject/code/period spans."""
    labels = "\n".join(f'    <Label value="{lab}" background="{COLORS[lab]}"/>' for lab in LABELS)
    relations = "\n".join(f'    <Relation value="{r}" background="{RELATION_COLORS[r]}"/>' for r in RELATION_LABELS)

    def choices(values: Sequence[str]) -> str:
        return "\n".join(f'      <Choice value={quoteattr(v)}/>' for v in values)

    hint = quoteattr("exact decimal string: money in yuan (428.59万元 → 4285900), percent number, year")
    fact_choices = "\n".join(
        f'    <Choices name="{name}" toName="{TO_NAME}" perRegion="true" '
        f'choice="{"multiple" if attr == "flags" else "single-radio"}" showInline="true">\n'
        f'{choices(FACT_CHOICE_VALUES[attr])}\n    </Choices>'
        for name, attr in FACT_CHOICES.items())
    placeholders = {"column": "column (table facts): 预算数, 决算数, 上年决算数 ...",
                    "reason": "reason stated for a change or an execution rate",
                    "subject_text": "subject, only when no SUBJECT span shows it (else: a subject relation)",
                    "code_text": "code, only when no SUBJECT_CODE span shows it",
                    "period_text": "period YYYY[-MM[-DD]], only when no PERIOD span shows it",
                    "base_period_text": "base period, only when no PERIOD span shows it",
                    "fact_value": "fact value, only when it is not the span's value",
                    "fact_unit": "fact unit, only when it is not the span's (CNY, %, the QUANTITY's unit)"}
    fact_texts = "\n".join(
        f'    <TextArea name="{name}" toName="{TO_NAME}" perRegion="true" editable="true" maxSubmissions="1" '
        f'rows="1" placeholder={quoteattr(placeholders[name])}/>' for name in FACT_TEXTS)
    return f"""<View>
  <Style>.htx-text {{ white-space: pre-wrap; }}</Style>
  <Header value="$record_id"/>
  <Labels name="{FROM_LABEL}" toName="{TO_NAME}">
{labels}
  </Labels>
  <Relations choice="multiple">
{relations}
  </Relations>
  <Text name="{TO_NAME}" value="$text" granularity="symbol"/>
  <Header value="$hints" size="6"/>
  <View visibleWhen="region-selected">
    <Header value="value / unit / direction / flags of the selected span"/>
    <TextArea name="{FROM_VALUE}" toName="{TO_NAME}" perRegion="true" editable="true" maxSubmissions="1" rows="1" placeholder={hint}/>
    <TextArea name="{FROM_UNIT}" toName="{TO_NAME}" perRegion="true" editable="true" maxSubmissions="1" rows="1" placeholder="CNY, %, 人, 万元 (UNIT spans) ..."/>
    <Choices name="{FROM_DIRECTION}" toName="{TO_NAME}" perRegion="true" choice="single-radio" showInline="true">
{choices(DIRECTIONS)}
    </Choices>
    <Choices name="{FROM_FLAGS}" toName="{TO_NAME}" perRegion="true" choice="multiple" showInline="true">
{choices(ENTITY_FLAGS)}
    </Choices>
    <Header value="fact on this figure (AMOUNT / PERCENT / QUANTITY): a measure makes it a fact; relate it to its subject, code, period and base-period spans"/>
{fact_choices}
{fact_texts}
  </View>
</View>
"""


def region_results(text: str, spans: Sequence[Mapping[str, Any]], scores: Optional[Mapping[tuple, float]] = None,
                   facts: Sequence[Mapping[str, Any]] = ()) -> list[dict[str, Any]]:
    """Label Studio ``result`` items for ``spans`` (a labels region + its per-region attributes)
    and for ``facts`` (per-region fact fields on the figure, relations to other regions). Facts
    no figure region can hold are not in the result (:func:`fact_results` returns them)."""
    return fact_results(text, spans, scores, facts)[0]


def fact_results(text: str, spans: Sequence[Mapping[str, Any]], scores: Optional[Mapping[tuple, float]] = None,
                 facts: Sequence[Mapping[str, Any]] = ()) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[FactLink]]:
    """(result items, facts that travel as they are, the links written)."""
    out: list[dict[str, Any]] = []
    spans = list(spans)
    links, leftover = encode_facts(spans, facts)
    link_of = {link.figure: link for link in links}
    for i, s in enumerate(spans):
        rid = f"r{i}"  # region ids only need to be unique within one annotation
        start, end = codepoint_to_utf16(text, s["start"]), codepoint_to_utf16(text, s["end"])
        where = {"start": start, "end": end}
        region = {"id": rid, "from_name": FROM_LABEL, "to_name": TO_NAME, "type": "labels",
                  "value": {**where, "text": text[s["start"]:s["end"]], "labels": [s["label"]]}}
        if scores is not None:
            key = (s["start"], s["end"], s["label"])
            if key in scores:
                region["score"] = scores[key]
        out.append(region)
        for name in (FROM_VALUE, FROM_UNIT):
            if s.get(name) is not None:
                out.append({"id": rid, "from_name": name, "to_name": TO_NAME, "type": "textarea",
                            "value": {**where, "text": [s[name]]}})
        if s.get("direction") is not None:
            out.append({"id": rid, "from_name": FROM_DIRECTION, "to_name": TO_NAME, "type": "choices",
                        "value": {**where, "choices": [s["direction"]]}})
        if s.get("flags"):
            out.append({"id": rid, "from_name": FROM_FLAGS, "to_name": TO_NAME, "type": "choices",
                        "value": {**where, "choices": list(s["flags"])}})
        link = link_of.get(i)
        if link is None:
            continue
        for name, attr in FACT_CHOICES.items():
            v = link.attrs.get(attr)
            if v is not None:
                out.append({"id": rid, "from_name": name, "to_name": TO_NAME, "type": "choices",
                            "value": {**where, "choices": list(v) if attr == "flags" else [v]}})
        for name, attr in FACT_TEXTS.items():
            v = link.attrs.get(attr)
            if v is not None:
                out.append({"id": rid, "from_name": name, "to_name": TO_NAME, "type": "textarea",
                            "value": {**where, "text": [v]}})
    for link in links:
        by_target: dict[int, list[str]] = {}
        for tgt, label in link.relations:
            by_target.setdefault(tgt, []).append(label)
        for tgt, labels in by_target.items():
            out.append({"from_id": f"r{link.figure}", "to_id": f"r{tgt}", "type": "relation", "direction": "right",
                        "labels": labels})
    return out, leftover, links


def _hints(spans: Sequence[Mapping[str, Any]], links: Sequence[FactLink]) -> tuple[str, list]:
    """Read-only check outputs: a line for the annotator, and ``[start, end, flags]`` per figure."""
    rows, lines = [], []
    for link in links:
        if link.hints:
            s = spans[link.figure]
            rows.append([s["start"], s["end"], list(link.hints)])
            lines.append(f"{s['text']} [{s['start']},{s['end']}): {', '.join(link.hints)}")
    line = ("check hints (read-only, not annotated): " + "; ".join(lines)) if lines else ""
    return line, rows


def to_task(rec: Mapping[str, Any], scores: Optional[Mapping[tuple, float]] = None, model_version: str = "") -> dict[str, Any]:
    spans = rec.get("spans") or []
    result, leftover, links = fact_results(rec["text"], spans, scores, rec.get("facts") or [])
    meta = record_meta(rec)
    meta["facts"] = leftover  # only facts no figure region holds; the others are in the result
    hints, fact_hints = _hints(spans, links)
    data = {"text": rec["text"], "record_id": rec["record_id"], "record": meta,
            BASE_KEY: spans_fingerprint(spans), HINTS_KEY: hints, FACT_HINTS_KEY: fact_hints}
    task: dict[str, Any] = {"data": data}
    if rec.get("status") == "reviewed":
        task["annotations"] = [{"result": result, "ground_truth": False, "was_cancelled": False}]
    else:
        pred: dict[str, Any] = {"model_version": model_version or "fiscal-extract", "result": result}
        if scores:
            pred["score"] = round(min(scores.values()), 4)
        task["predictions"] = [pred]
    return task


def dump(records: Sequence[Mapping[str, Any]], path: Path, scores: Optional[Mapping[str, Mapping[tuple, float]]] = None,
         model_version: str = "") -> list[Path]:
    """Write the tasks to ``path`` and the labeling config beside it (``<stem>.config.xml``)."""
    scores = scores or {}
    tasks = [to_task(r, scores.get(r["record_id"]), model_version) for r in records]
    path.write_text(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    config = path.with_name(path.stem + ".config.xml")
    config.write_text(labeling_config(), encoding="utf-8")
    return [path, config]


# --- reading ----------------------------------------------------------------------------


def spans_from_result(text: str, result: Sequence[Mapping[str, Any]], where: str) -> list[dict[str, Any]]:
    """Spans from Label Studio result items (annotation or prediction); validates as it goes."""
    return parse_result(text, result, where)[0]


def _one_choice(where: str, rid: str, name: str, value: Mapping[str, Any], allowed: Sequence[str]) -> Optional[str]:
    choices = value.get("choices") or []
    if not isinstance(choices, list):
        raise InterchangeError(where, f"region {rid}: 'choices' must be a list")
    if len(choices) > 1 or (choices and choices[0] not in allowed):
        raise InterchangeError(where, f"region {rid}: {name} must be one of {tuple(allowed)}, got {choices}")
    return choices[0] if choices else None


def _many_choices(where: str, rid: str, name: str, value: Mapping[str, Any], allowed: Sequence[str]) -> list[str]:
    choices = value.get("choices") or []
    if not isinstance(choices, list):
        raise InterchangeError(where, f"region {rid}: 'choices' must be a list")
    bad = [c for c in choices if not isinstance(c, str) or c not in allowed]
    if bad:
        raise InterchangeError(where, f"region {rid}: unknown {name} {bad}; expected {tuple(allowed)}")
    return list(dict.fromkeys(choices))


def _one_text(where: str, rid: str, name: str, value: Mapping[str, Any]) -> Optional[str]:
    texts = value.get("text") or []
    texts = [t for t in (texts if isinstance(texts, list) else [texts]) if str(t).strip()]
    if len(texts) > 1:
        raise InterchangeError(where, f"region {rid}: {len(texts)} {name}s {texts}; one expected")
    return str(texts[0]).strip() if texts else None


def parse_result(text: str, result: Sequence[Mapping[str, Any]], where: str,
                 fact_hints: Sequence[Any] = ()) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(spans, facts) from Label Studio result items (annotation or prediction); validates as
    it goes. ``fact_hints`` (``[start, end, flags]``) give back check outputs on the figures
    at those offsets (for unreviewed records; reviewed gold does not carry them)."""
    regions: dict[str, dict[str, Any]] = {}
    attrs: dict[str, dict[str, Any]] = {}
    fact_attrs: dict[str, dict[str, Any]] = {}
    relations: list[tuple[str, str, Optional[str]]] = []
    for item in result:
        if not isinstance(item, Mapping):
            raise InterchangeError(where, f"result item is not an object: {item!r}")
        kind, name, value = item.get("type"), item.get("from_name"), item.get("value") or {}
        if kind == "relation":
            labels = item.get("labels") or [None]
            if not isinstance(labels, list):
                raise InterchangeError(where, f"relation {item.get('from_id')} → {item.get('to_id')}: 'labels' must be a list")
            for label in labels:
                relations.append((str(item.get("from_id")), str(item.get("to_id")), label))
            continue
        rid = str(item.get("id", ""))
        if not isinstance(value, Mapping):
            raise InterchangeError(where, f"region {rid}: 'value' must be an object")
        if kind == "labels":
            labels = value.get("labels") or []
            if not isinstance(labels, list) or len(labels) != 1:
                raise InterchangeError(where, f"region {rid} has {len(labels)} labels {labels}; exactly one expected")
            if rid in regions:
                raise InterchangeError(where, f"two label results share the region id {rid!r}")
            regions[rid] = {"start": value.get("start"), "end": value.get("end"), "label": labels[0],
                            "text": value.get("text")}
        elif kind == "textarea" and name in (FROM_VALUE, FROM_UNIT):
            attrs.setdefault(rid, {})[name] = _one_text(where, rid, name, value)
        elif kind == "choices" and name == FROM_DIRECTION:
            attrs.setdefault(rid, {})["direction"] = _one_choice(where, rid, "direction", value, DIRECTIONS)
        elif kind == "choices" and name == FROM_FLAGS:
            attrs.setdefault(rid, {})["flags"] = _many_choices(where, rid, "flags", value, ENTITY_FLAGS)
        elif kind == "choices" and name in FACT_CHOICES:
            attr = FACT_CHOICES[name]
            allowed = FACT_CHOICE_VALUES[attr]
            if attr == "flags":
                got = value.get("choices") or []
                if isinstance(got, list):
                    got = [c for c in got if c not in CHECK_FLAGS]  # a hint is never refused
                fact_attrs.setdefault(rid, {})[attr] = _many_choices(where, rid, f"fact {attr}", {"choices": got}, allowed)
            else:
                fact_attrs.setdefault(rid, {})[attr] = _one_choice(where, rid, f"fact {attr}", value, allowed)
        elif kind == "textarea" and name in FACT_TEXTS:
            fact_attrs.setdefault(rid, {})[FACT_TEXTS[name]] = _one_text(where, rid, name, value)
        else:
            raise InterchangeError(where, f"result item of type {kind!r} from {name!r} is not part of this labeling config")
    orphans = sorted((set(attrs) | set(fact_attrs)) - set(regions))
    if orphans:
        raise InterchangeError(where, f"attributes for region(s) {orphans} that have no label")
    spans, index = [], {}
    for rid, r in regions.items():
        start, end = r["start"], r["end"]
        if isinstance(start, int) and isinstance(end, int) and not isinstance(start, bool):
            cs, ce = utf16_to_codepoint(text, start), utf16_to_codepoint(text, end)
            if r["text"] is None or text[cs:ce] == r["text"]:
                start, end = cs, ce
        check_span_shape(f"{where} region {rid}", text, start, end, r["label"], r["text"])
        index[rid] = len(spans)
        spans.append(full_span(start, end, r["label"], text, attrs.get(rid)))
    rels = []
    for a, b, label in relations:
        missing = [x for x in (a, b) if x not in index]
        if missing:
            raise InterchangeError(where, f"relation {a} → {b} ({label}): no region {', '.join(missing)}")
        rels.append((index[a], index[b], label))
    hints: dict[int, list[str]] = {}
    by_offsets = {(s["start"], s["end"]): i for i, s in enumerate(spans)}
    for h in fact_hints or ():
        if isinstance(h, (list, tuple)) and len(h) == 3 and (h[0], h[1]) in by_offsets and isinstance(h[2], list):
            hints[by_offsets[(h[0], h[1])]] = [x for x in h[2] if x in CHECK_FLAGS]
    names = list(regions)
    facts = decode_facts(where, spans, {index[rid]: a for rid, a in fact_attrs.items()}, rels, hints, names)
    return spans, facts


def _pick_annotation(task: Mapping[str, Any]) -> Optional[Mapping[str, Any]]:
    """The latest submitted (not cancelled) annotation of a task."""
    anns = task.get("annotations") or []
    done = [a for a in (anns if isinstance(anns, list) else []) if isinstance(a, Mapping) and not a.get("was_cancelled")]
    if not done:
        return None
    return max(done, key=lambda a: (str(a.get("updated_at") or a.get("created_at") or ""), str(a.get("id") or "")))


def from_task(task: Mapping[str, Any], where: str, accept_predictions: bool = False) -> Optional[dict[str, Any]]:
    data = task.get("data")
    if not isinstance(data, Mapping) or not isinstance(data.get("text"), str):
        raise InterchangeError(where, "task has no data.text")
    meta = data.get("record")
    if not isinstance(meta, Mapping) or "doc_id" not in meta or "record_id" not in meta:
        raise InterchangeError(where, "task has no data.record with doc_id and record_id (was it exported by fiscal-extract?)")
    where = f"{where} {meta['doc_id']}/{meta['record_id']}"
    ann = _pick_annotation(task)
    if ann is not None:
        result, reviewed = ann.get("result") or [], True
    elif accept_predictions and isinstance(task.get("predictions"), list) and task["predictions"]:
        pred = task["predictions"][-1]
        result, reviewed = (pred.get("result") if isinstance(pred, Mapping) else None) or [], False
    else:
        return None
    if not isinstance(result, list):
        raise InterchangeError(where, "'result' must be a list of regions")
    rec = dict(meta)
    rec["text"] = data["text"]
    hints = () if reviewed else (data.get(FACT_HINTS_KEY) or ())
    rec["spans"], facts = parse_result(data["text"], result, where, hints)
    kept = [f for f in (meta.get("facts") or []) if isinstance(f, Mapping)]  # facts no figure region holds
    rec["facts"] = sorted([*facts, *kept], key=fact_sort_key)
    if reviewed:
        rec["status"] = "reviewed"
    rec[BASE_KEY] = data.get(BASE_KEY)
    return rec


def load(path: Path, accept_predictions: bool = False) -> ReadResult:
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InterchangeError(str(path), f"not a Label Studio JSON export: {e}") from None
    tasks = parse_json(raw, str(path), "not a Label Studio JSON export")
    if isinstance(tasks, Mapping):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise InterchangeError(str(path), "expected a JSON list of tasks")
    out = ReadResult()
    for i, task in enumerate(tasks):
        where = f"{path.name} task {i}"
        if not isinstance(task, Mapping):
            raise InterchangeError(where, "task is not an object")
        rec = from_task(task, where, accept_predictions)
        if rec is None:
            meta = (task.get("data") or {}).get("record") or {}
            out.skipped.append(f"{where} {meta.get('doc_id')}/{meta.get('record_id')}: no submitted annotation")
        else:
            out.records.append(rec)
    return out

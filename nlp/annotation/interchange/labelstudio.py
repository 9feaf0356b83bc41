"""Label Studio: tasks JSON (import and export) and the labeling config for the eight labels.

A task is one record::

    {"data": {"text": ..., "record": {doc_id, record_id, offset, kind, facts, status, ...},
              "base": <fingerprint of the spans exported>},
     "predictions": [{"model_version", "score", "result": [...]}]      # status "pre"
     "annotations": [{"result": [...], "ground_truth": false}]}        # status "reviewed"

Each span is a ``labels`` region; its attributes are per-region controls sharing the
region's ``id`` (Label Studio's way of attaching answers to a region): ``value`` and
``unit`` are ``textarea`` results (``value.text`` is a list), ``direction`` and ``flags``
``choices`` results.

Offsets: Label Studio counts JavaScript (UTF-16) string indices. Records count code
points; they differ only for characters outside the BMP, so offsets are converted both
ways (identity on ordinary Chinese text).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence
from xml.sax.saxutils import quoteattr

from nlp.contract import DIRECTIONS, ENTITY_FLAGS, LABELS

from .common import (
    BASE_KEY,
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
COLORS = {
    "AMOUNT": "#f4a261", "PERCENT": "#e9c46a", "QUANTITY": "#2a9d8f", "UNIT": "#a8dadc",
    "SUBJECT_CODE": "#b5838d", "SUBJECT": "#8ecae6", "CHANGE": "#e76f51", "PERIOD": "#cdb4db",
}


def labeling_config() -> str:
    """The project's labeling interface: the eight labels and the per-region attributes."""
    labels = "\n".join(f'    <Label value="{lab}" background="{COLORS[lab]}"/>' for lab in LABELS)
    directions = "\n".join(f'      <Choice value="{d}"/>' for d in DIRECTIONS)
    flags = "\n".join(f'      <Choice value="{f}"/>' for f in ENTITY_FLAGS)
    hint = quoteattr("exact decimal string: money in yuan (428.59万元 → 4285900), percent number, year")
    return f"""<View>
  <Style>.htx-text {{ white-space: pre-wrap; }}</Style>
  <Header value="$record_id"/>
  <Labels name="{FROM_LABEL}" toName="{TO_NAME}">
{labels}
  </Labels>
  <Text name="{TO_NAME}" value="$text" granularity="symbol"/>
  <View visibleWhen="region-selected">
    <Header value="value / unit / direction / flags of the selected span"/>
    <TextArea name="{FROM_VALUE}" toName="{TO_NAME}" perRegion="true" editable="true" maxSubmissions="1" rows="1" placeholder={hint}/>
    <TextArea name="{FROM_UNIT}" toName="{TO_NAME}" perRegion="true" editable="true" maxSubmissions="1" rows="1" placeholder="CNY, %, 人, 万元 (UNIT spans) ..."/>
    <Choices name="{FROM_DIRECTION}" toName="{TO_NAME}" perRegion="true" choice="single-radio" showInline="true">
{directions}
    </Choices>
    <Choices name="{FROM_FLAGS}" toName="{TO_NAME}" perRegion="true" choice="multiple" showInline="true">
{flags}
    </Choices>
  </View>
</View>
"""


def region_results(text: str, spans: Sequence[Mapping[str, Any]], scores: Optional[Mapping[tuple, float]] = None
                   ) -> list[dict[str, Any]]:
    """Label Studio ``result`` items for ``spans`` (a labels region + its per-region attributes)."""
    out: list[dict[str, Any]] = []
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
    return out


def to_task(rec: Mapping[str, Any], scores: Optional[Mapping[tuple, float]] = None, model_version: str = "") -> dict[str, Any]:
    spans = rec.get("spans") or []
    data = {"text": rec["text"], "record_id": rec["record_id"], "record": record_meta(rec),
            BASE_KEY: spans_fingerprint(spans)}
    task: dict[str, Any] = {"data": data}
    result = region_results(rec["text"], spans, scores)
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
    regions: dict[str, dict[str, Any]] = {}
    attrs: dict[str, dict[str, Any]] = {}
    for item in result:
        if not isinstance(item, Mapping):
            raise InterchangeError(where, f"result item is not an object: {item!r}")
        kind, name, value = item.get("type"), item.get("from_name"), item.get("value") or {}
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
            texts = value.get("text") or []
            texts = [t for t in (texts if isinstance(texts, list) else [texts]) if str(t).strip()]
            if len(texts) > 1:
                raise InterchangeError(where, f"region {rid}: {len(texts)} {name}s {texts}; one expected")
            attrs.setdefault(rid, {})[name] = str(texts[0]).strip() if texts else None
        elif kind == "choices" and name == FROM_DIRECTION:
            choices = value.get("choices") or []
            if not isinstance(choices, list):
                raise InterchangeError(where, f"region {rid}: 'choices' must be a list")
            if len(choices) > 1 or (choices and choices[0] not in DIRECTIONS):
                raise InterchangeError(where, f"region {rid}: direction must be one of {DIRECTIONS}, got {choices}")
            attrs.setdefault(rid, {})["direction"] = choices[0] if choices else None
        elif kind == "choices" and name == FROM_FLAGS:
            choices = value.get("choices") or []
            if not isinstance(choices, list):
                raise InterchangeError(where, f"region {rid}: 'choices' must be a list")
            bad = [c for c in choices if not isinstance(c, str) or c not in ENTITY_FLAGS]
            if bad:
                raise InterchangeError(where, f"region {rid}: unknown flags {bad}; expected {ENTITY_FLAGS}")
            attrs.setdefault(rid, {})["flags"] = choices
        else:
            raise InterchangeError(where, f"result item of type {kind!r} from {name!r} is not part of this labeling config")
    orphans = sorted(set(attrs) - set(regions))
    if orphans:
        raise InterchangeError(where, f"attributes for region(s) {orphans} that have no label")
    spans = []
    for rid, r in regions.items():
        start, end = r["start"], r["end"]
        if isinstance(start, int) and isinstance(end, int) and not isinstance(start, bool):
            cs, ce = utf16_to_codepoint(text, start), utf16_to_codepoint(text, end)
            if r["text"] is None or text[cs:ce] == r["text"]:
                start, end = cs, ce
        check_span_shape(f"{where} region {rid}", text, start, end, r["label"], r["text"])
        spans.append(full_span(start, end, r["label"], text, attrs.get(rid)))
    return spans


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
    rec["spans"] = spans_from_result(data["text"], result, where)
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

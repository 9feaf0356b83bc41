"""Render passages written in a small markup into a source text and gold records.

The author writes each passage with its entities marked where they stand, and each figure's
fact beside it, so the gold is the author's reading, with offsets computed by construction:

    本部门⟦P:2023年度|2023⟧⟦S:收入总计⟧⟦A:1,234.56万元|s=收入总计⟧

``⟦L:surface|attrs⟧``; L is A (AMOUNT), R (PERCENT), Q (QUANTITY), S (SUBJECT), P (PERIOD,
attrs = its value), C (CHANGE, attrs = direction), U (UNIT), K (SUBJECT_CODE, attrs = code).
Figure attrs, ``;``-separated: ``s=`` subject (without it: an entity, no fact), ``m=`` measure
(default amount for A/Q, change_pct for R), ``p=``/``bp=`` period and base period, ``d=``
direction, ``b=`` basis, ``code=``, ``col=`` column, ``u=`` count unit, ``r=`` reason, ``c=`` comparator, ``v=`` value where the
surface cannot give it (Chinese numerals), ``f=`` entity flags, ``ff=`` fact flags.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

LABELS = {"A": "AMOUNT", "R": "PERCENT", "Q": "QUANTITY", "S": "SUBJECT", "P": "PERIOD",
          "C": "CHANGE", "U": "UNIT", "K": "SUBJECT_CODE"}
_MARK = re.compile(r"⟦([ARQSPCUK]):([^|⟧]*)(?:\|([^⟧]*))?⟧")
_NUM = re.compile(r"-?\d+(?:\.\d+)?")
_SIMPLIFIED_UNITS = str.maketrans({"輛": "辆", "個": "个", "張": "张", "場": "场", "項": "项", "條": "条", "戶": "户"})
_SCALE = (("亿元", 10 ** 8), ("万元", 10 ** 4), ("千元", 1000), ("元", 1), ("万", 10 ** 4))


def fmt(d: Decimal) -> str:
    if d == 0:
        return "0"
    s = format(d.normalize(), "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def _plain(surface: str) -> str:
    s = unicodedata.normalize("NFKC", surface)
    s = s.translate(str.maketrans({"萬": "万", "億": "亿"}))
    return re.sub(r"[\s,，]", "", s)


def money(surface: str, table_scale: int | None = None) -> str:
    s = _plain(surface)
    n = Decimal(_NUM.search(s).group())
    rest = s[_NUM.search(s).end():]
    for unit, scale in _SCALE:
        if rest.startswith(unit):
            return fmt(n * scale)
    if table_scale is None:
        raise ValueError(f"no money unit in {surface!r}")
    return fmt(n * table_scale)


def number(surface: str) -> Decimal:
    return Decimal(_NUM.search(_plain(surface)).group())


def _attrs(raw: str | None) -> dict[str, str]:
    out = {}
    for part in (raw or "").split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def render(marked: str, period: str | None, basis: str | None = None) -> tuple[str, list[dict], list[dict]]:
    """(text, spans, facts) of one passage; ``period``/``basis`` are the facts' defaults."""
    text, spans, facts = [], [], []
    pos, last = 0, 0
    for m in _MARK.finditer(marked):
        text.append(marked[last:m.start()])
        pos += m.start() - last
        last = m.end()
        code, surface, raw = m.group(1), m.group(2), m.group(3)
        start, end = pos, pos + len(surface)
        text.append(surface)
        pos = end
        a = _attrs(raw) if code in "ARQ" else {}
        span = {"start": start, "end": end, "label": LABELS[code], "text": surface, "value": None,
                "unit": None, "direction": None, "flags": a["f"].split(",") if a.get("f") else []}
        if code == "A":
            span["value"], span["unit"] = a.get("v") or money(surface), "CNY"
        elif code == "R":
            span["value"], span["unit"] = a.get("v") or fmt(number(surface)), "%"
        elif code == "Q":
            if a.get("v"):
                n = Decimal(a["v"])
            else:
                n = number(surface)
                if re.match(r"-?[\d.]+万", _plain(surface)):  # 1.23万人次
                    n *= 10000
            span["value"], span["unit"] = fmt(n), a["u"].translate(_SIMPLIFIED_UNITS)
        elif code == "P":
            span["value"] = raw
        elif code == "C":  # attrs: the direction, or ``template`` for a form's two-way wording
            span["direction"] = None if raw in (None, "", "template") else raw
            span["flags"] = ["template"] if raw == "template" else []
        elif code == "U":
            span["unit"] = surface
        elif code == "K":
            span["value"] = raw or surface
        spans.append(span)
        if code in "ARQ" and "s" in a:
            measure = a.get("m") or ("change_pct" if code == "R" else "amount")
            facts.append({
                "subject": re.sub(r"\s", "", unicodedata.normalize("NFKC", a["s"])), "code": a.get("code"), "measure": measure, "value": span["value"],
                "unit": span["unit"], "direction": a.get("d"), "comparator": a.get("c"),
                "period": a.get("p", period), "base_period": a.get("bp"), "basis": a.get("b", basis),
                "column": a.get("col"), "reason": re.sub(r"\s", "", unicodedata.normalize("NFKC", a["r"])) if a.get("r") else None, "evidence": {"start": start, "end": end},
                "flags": a["ff"].split(",") if a.get("ff") else []})
    text.append(marked[last:])
    return "".join(text), spans, facts


def records(doc_id: str, passages: list[tuple[str, str, list[dict], list[dict]]]) -> tuple[str, list[dict]]:
    """The source text and the gold records of a document from (kind, text, spans, facts)."""
    out, offset = [], 0
    for i, (kind, text, spans, facts) in enumerate(passages):
        out.append({"doc_id": doc_id, "record_id": f"{doc_id}#{i:04d}", "offset": offset, "text": text,
                    "kind": kind, "spans": spans, "facts": facts, "status": "reviewed"})
        offset += len(text)
    return "".join(p[1] for p in passages), out

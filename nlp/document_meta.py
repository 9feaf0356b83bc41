"""What a document is, read from its own text: publishing department, region, fiscal year, basis.

The department is the unit name that opens a title-like line near the start of the document
(``景德镇市医疗保障局 2026 年部门预算``, ``…人民法院2023年度部门决算公开说明``, ``第一部分 景德镇市医疗
保障局市本级 部门概况``); its scope is ``汇总`` or ``本级`` when the name is qualified so. The
region is the administrative prefix of that name (省/自治区/市/州/区/县/旗). Year and basis come
from the same evidence the table reader uses (the first heading naming a 预算/决算). A field the
text does not state is None; nothing comes from a file name.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Optional

from nlp.tables import document_evidence

HEAD_CHARS = 3000  # the title and 概况 are near the start; bounded so the scan is constant-time

# A unit name: 2–30 Han characters ending in a kind of public body. The quantifier is bounded,
# so the match is linear in the scanned prefix.
_UNIT = re.compile(
    r"(?P<name>[\u4e00-\u9fff（）()]{2,30}?"
    r"(?:人民法院|人民检察院|人民政府|办事处|委员会|分局|局|中心|馆|医院|中学|小学|学校|学院|院|所|站|队|厅|委|办|部))"
    r"(?:[市县区]本级)?"  # 市本级: the level of government the department belongs to, not a scope
    r"(?P<scope>（汇总）|\(汇总\)|汇总|本级)?"
    r"(?=[ \t]*(?:\d{4}[ \t]*年|部门|概况|单位|预算|决算|\n|$))"
)
_LINE_LEAD = re.compile(r"^[#\s]*(?:第[一二三四五六七八九十]+部分[ \t]*)?")
_PLACE = r"(?:(?![局院委办馆所站队厅部])[\u4e00-\u9fff])"  # a Han character that does not end a unit name
_REGION = re.compile(rf"^(?:{_PLACE}{{2,8}}?(?:省|自治区|特别行政区))?(?:{_PLACE}{{1,8}}?(?:市|自治州|盟|地区))?"
                     rf"(?:{_PLACE}{{1,8}}?(?:区|县|旗))?")
_TITLE_YEAR = re.compile(r"(?<!\d)(\d{4})\s*年")
_TITLE_WORDS = re.compile(r"\d{4}\s*年|部门")
# Words that end like a unit name but are not one (本部门, 本局 …).
_NOT_UNITS = ("本部门", "本单位", "本局", "本院", "本中心", "我局", "我院", "部门", "单位")


def _department(head: str) -> tuple[Optional[str], Optional[str]]:
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    scopes: dict[str, str] = {}
    pos = 0
    for line in head.splitlines():
        lead = _LINE_LEAD.match(line)
        body = line[lead.end():] if lead else line
        m = _UNIT.match(body.strip())
        if m and m.group("name") not in _NOT_UNITS and len(body.strip()) <= 60:
            name = m.group("name")
            counts[name] = counts.get(name, 0) + 1
            first.setdefault(name, pos)
            if m.group("scope"):
                scopes[name] = "汇总" if "汇总" in m.group("scope") else "本级"
        pos += 1
    if not counts:
        return None, None
    name = min(counts, key=lambda n: (-counts[n], first[n]))
    return name, scopes.get(name)


def read_document(text: str) -> dict[str, Any]:
    """``{title, department, scope, region, year, basis}`` of a document, None where not stated."""
    head = unicodedata.normalize("NFKC", text[:HEAD_CHARS])
    department, scope = _department(head)
    year, kind = document_evidence(text)
    title = None
    for line in head.splitlines():
        s = line.strip().lstrip("#").strip()
        if (s and ("预算" in s or "决算" in s) and _TITLE_WORDS.search(s) and len(s) <= 60
                and not any(c in s for c in ",;:。")):
            title = s
            break
    if title is not None:  # the title's own words decide; else the headings' evidence
        kind = "actual" if "决算" in title else "budget"
        stated = _TITLE_YEAR.search(title)
        year = stated.group(1) if stated else year
    region = None
    if department:
        m = _REGION.match(department)
        region = m.group() or None if m else None
    return {"title": title, "department": department, "scope": scope, "region": region,
            "year": year, "basis": kind}

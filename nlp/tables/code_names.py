"""Does a table row's printed name agree with the national name of its code?

A code listed in ``nlp/data/gov_codes.tsv`` has one national name. A row prints it in its own
way: full- or half-width brackets and spaces (the text is NFKC already, whitespace is dropped
here), an enumerator or ``其中:`` in front, a class name without its ``支出`` (``一般公共服务``
for 201 一般公共服务支出), or a name the classification used in an earlier edition
(``nlp/data/code_names.json``: ``aliases``, each with the editions' names). Those agree. Any other
name contradicts the national table: the code resolver then rejects that reading of an
abbreviated code, and the checks report a fully printed code whose name contradicts it
(check kind ``code_name``). A code not in the table contradicts nothing.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Optional

from nlp.codes import CodeTable

__all__ = ["NAMES_DATA", "canonical_name", "code_name_links", "names_agree", "name_contradiction"]

NAMES_DATA = Path(__file__).parent.parent / "data" / "code_names.json"

# Leading list markers and 其中: that are no part of a name: "一、", "（一）", "1.", "其中:"
_LEAD = re.compile(r"^(?:其中[:：]?|[一二三四五六七八九十]{1,3}[、.]|[(（][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[、.](?!\d))")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1 << 16)  # labels and names repeat over a table's rows
def canonical_name(name: str) -> str:
    """A name as compared: NFKC (full-width brackets and digits to half-width), without
    whitespace, a leading enumerator or 其中:, or quotation marks."""
    s = _SPACE.sub("", unicodedata.normalize("NFKC", name or ""))
    s = _LEAD.sub("", s, count=1)
    return s.replace("“", "").replace("”", "").replace('"', "")


@lru_cache(maxsize=1)
def _aliases() -> dict[str, frozenset[str]]:
    data = json.loads(NAMES_DATA.read_text(encoding="utf-8"))
    return {code: frozenset(canonical_name(n) for n in names) for code, names in data["aliases"].items()}


def names_agree(printed: str, national: str, code: Optional[str] = None) -> bool:
    """``printed`` names the item ``national`` names (see the module docstring)."""
    p, n = canonical_name(printed), canonical_name(national)
    if not p or p == n:
        return True
    # a class or item printed without (or with) its trailing 支出: 一般公共服务 / 一般公共服务支出
    if n.endswith("支出") and p == n[:-2] or p.endswith("支出") and p[:-2] == n:
        return True
    return code is not None and p in _aliases().get(code, ())


def name_contradiction(code: Optional[str], printed: Optional[str], codes: CodeTable) -> Optional[str]:
    """The national name of ``code`` when ``printed`` contradicts it, else None (unlisted
    code, no printed name, or names that agree)."""
    if not code or not printed:
        return None
    national = codes.name(code)
    if national is None or names_agree(printed, national, code):
        return None
    return national


def code_name_links(facts, tables, codes: Optional[CodeTable] = None) -> list:
    """``code_name`` relations (``nlp.checks.Link``) for the rows of ``tables`` whose code is
    read for sure (printed in full, or assembled from 类 | 款 | 项 columns) and whose printed
    name contradicts the national name; the row's amount facts are its facts."""
    from nlp.checks import Link
    from nlp.contract import Offsets

    codes = codes or CodeTable.load()
    fact_at = {f.evidence.start: i for i, f in enumerate(facts)}
    links = []
    for table in tables or ():
        for row in getattr(table, "rows", ()) or ():
            code, cell, name_cell = getattr(row, "code", None), getattr(row, "code_cell", None), getattr(row, "subject_cell", None)
            if not code or cell is None or name_cell is None:
                continue
            col = table.column(cell.col) if hasattr(table, "column") else None
            printed_in_full = cell.text == code or (col is not None and col.role in ("code1", "code2", "code3"))
            national = name_contradiction(code, name_cell.text, codes)
            if national is None:
                continue
            ids = [fact_at[c.start] for c in row.values if c.start in fact_at]
            detail = {"code": code, "printed": canonical_name(name_cell.text), "national": national,
                      "evidence": [Offsets(start=cell.start, end=cell.end), Offsets(start=name_cell.start, end=name_cell.end)]}
            reason = None if printed_in_full else (getattr(row, "code_doubt", None) or
                f"abbreviated code {cell.text}: no reading of it has the national name {canonical_name(name_cell.text)}")
            links.append(Link("code_name", {"row": ids}, uncertain=reason, detail=detail))
    return links

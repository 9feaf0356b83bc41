"""Zones of the text where no rule entity may sit: document numbers and bracketed codes.

``景财绩〔2022〕1 号``, ``景党发〔2019〕18号``, ``景财监〈2023〉1号`` (the bracketed year and
the serial number with its 号), ``[302001]`` unit codes, ``填报单位:507`` / ``部门编码 507``
(department codes), and a formula's scale factor (``预算完成率=（预算完成数/预算数）×100%``).
Everything overlapping a zone is dropped.
"""

from __future__ import annotations

import re
# 〔2022〕1 号 / 〈2023〉1号 / [2019]18号 ; the serial part is optional.
DOC_NUMBER = re.compile(r"[〔〈\[［][ ]{0,2}(?:19|20)\d{2}[ ]{0,2}[〕〉\]］](?:[ ]{0,2}\d{1,5}+[ ]{0,2}号)?+")
BRACKET_CODE = re.compile(r"[\[［(][ ]{0,2}\d{3,12}+[ ]{0,2}[\]］)]")
DEPT_CODE = re.compile(r"(?:填报单位|部门编码|单位编码|单位代码|部门代码)[ ]{0,2}[:\t ][ \t]{0,3}\d{1,12}+")

# ×100% in a formula is a symbol, not a figure (GUIDELINES, non-entities).
FORMULA_FACTOR = re.compile(r"[×✕][ \n]{0,3}\d{1,4}+(?:\.\d{1,4}+)?+[ ]{0,2}[%％]")


def excluded_zones(text: str) -> list[tuple[int, int]]:
    zones = [(m.start(), m.end()) for p in (DOC_NUMBER, BRACKET_CODE, DEPT_CODE, FORMULA_FACTOR) for m in p.finditer(text)]
    zones.sort()
    return zones


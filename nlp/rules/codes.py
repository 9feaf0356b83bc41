"""SUBJECT_CODE in prose: a classification code printed in parentheses right after its item's
name (``行政运行（2040501）``, ``森林资源管理(2130207)``, ``公共安全支出（204）``), as the 决算说明
template's 具体情况 paragraphs write it. Tables get their codes from the layout, not from here.

A code is 3, 5 or 7 digits (类, 款, 项) whose 类 the national classification knows, so a year
``（2023）``, a count ``（12）`` or a document number ``〔2022〕1 号`` is never a code. The name must
end right before the parenthesis (a Han character, one space allowed as PDFs print it), so ``第（205）`` or ``电话（0798…）`` are not.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

from nlp.rules.base import HAN, RuleMatch

# normalised text: full-width parentheses are ASCII after NFKC
_CODE_IN_PARENS = re.compile(rf"(?<=[{HAN}]) ?\((\d{{3}}(?:\d{{2}}){{0,2}})\)")
_NOT_A_NAME = "第号字文附"  # ordinals and document numbers: 第(205), 〔2022〕号(201)


@lru_cache(maxsize=1)
def _known_classes() -> frozenset[str]:
    from nlp.codes import CodeTable

    return frozenset(e.code for e in CodeTable.load() if len(e.code) == 3)


def find_codes(text: str) -> Iterator[RuleMatch]:
    classes = _known_classes()
    for m in _CODE_IN_PARENS.finditer(text):
        code = m.group(1)
        if text[m.start() - 1] in _NOT_A_NAME or code[:3] not in classes:
            continue
        yield RuleMatch(m.start(1), m.end(1), "SUBJECT_CODE", value=code, rule="code_in_parens")

"""Classification codes said in a lead: a 类/款/项 chain names its code through the national
classification even where no digits are printed (``公共安全支出(类)法院(款)行政运行(项)``), and a
name may carry its code in parentheses (``森林资源管理(2130207)``). The 项 names the item."""

from __future__ import annotations

import re
from typing import Optional

CHAIN = re.compile(r"(?P<lei>[^\s,;。:()]{2,20})\(类\)(?P<kuan>[^\s,;。:]{2,24}?)\(款\)(?P<xiang>[^\s,;。:]{2,30}?)\(项\)\s?:?\s?$")
CODE_PAREN = re.compile(r"\((?P<code>\d{3}(?:\d{2}){0,2})\)\s?:?\s?$")


def named_code(phrase: str) -> Optional[tuple[Optional[str], str]]:
    """(code, the phrase with the chain replaced by its 项) when the phrase ends in a chain or a
    code in parentheses; the code is None for a chain the classification does not know."""
    m = CHAIN.search(phrase) or CODE_PAREN.search(phrase)
    if m is None:
        return None
    code, item = code_of(m)
    return code, phrase[: m.start()] + item


def code_of(m: re.Match) -> tuple[Optional[str], str]:
    """(code, item name) of a 类/款/项 chain or a name with its code in parentheses."""
    if "code" in m.groupdict():
        return m.group("code"), ""
    from nlp.codes import CodeTable

    table = CodeTable.load()
    xiang = m.group("xiang")
    code = None
    for lei in (c for c in codes_named(table, m.group("lei")) if len(c) == 3):
        for kuan in (c for c in table.children(lei) if same_name(table.name(c), m.group("kuan"))):
            code = next((c for c in table.children(kuan) if same_name(table.name(c), xiang)), None)
            if code:
                break
        if code:
            break
    return code, xiang


def same_name(a: Optional[str], b: str) -> bool:
    norm = lambda x: "".join((x or "").split()).replace("（", "(").replace("）", ")")  # noqa: E731
    return norm(a) == norm(b)


def codes_named(table, name: str) -> list[str]:
    return [e.code for e in table if same_name(e.name, name)]

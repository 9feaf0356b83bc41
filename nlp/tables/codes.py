"""Classification codes in tables, read by their position and their hierarchy.

A code column holds 类 (3 digits), 款 (5) or 项 (7) function codes, or 类 (3) / 款 (5)
economic codes; any code of valid shape is read, listed in ``nlp/data/gov_codes.tsv`` or
not (a code missing from the national table never loses its row). Three layouts:

- one code column (科目编码): the full code, or an abbreviated one (``05`` under ``204`` is
  ``20405``; after a 款 row a two-digit code is first tried as a 项 of that 款, after a
  fully written 项 as a new 款; the candidate whose national name is the row's name wins, and
  one whose national name contradicts it is never taken: ``code_names``);
- 类 | 款 | 项 over three columns (``204 | 05 | 01``): the parts of the row make the code; the
  cell that completes it carries it (a 款 row ``204 | 05 |`` is ``20405`` on ``05``); parts
  left empty under their parent take the current 类/款;
- code and name in one cell (``2040501 行政运行``): :func:`split_code_name`.
"""

from __future__ import annotations

import re
from typing import Optional

from nlp.codes import CodeTable, code_level
from nlp.tables.code_names import name_contradiction, names_agree
from nlp.tables.grid import Cell

__all__ = ["CodeResolver", "split_code_name"]

_DIGITS = re.compile(r"\d{2,9}")
_CODE_NAME = re.compile(r"(\d{3}|\d{5}|\d{7})[ \u3000]{1,6}(?=[^\s\d])")


def split_code_name(cell: Cell) -> Optional[tuple[Cell, Cell]]:
    """``2040501 行政运行`` → (the code's cell, the name's cell); None when the cell does not
    start with a code of valid shape followed by blanks and a name."""
    t = cell.text
    if len(t) > 80:
        return None
    m = _CODE_NAME.match(t)
    if m is None or code_level(m.group(1)) is None:
        return None
    code = Cell(cell.col, cell.start, cell.start + m.end(1), m.group(1))
    return code, Cell(cell.col, cell.start + m.end(), cell.end, t[m.end():])


class CodeResolver:
    """The codes of a table's rows, top to bottom: it remembers the current 类 and 款."""

    def __init__(self, codes: CodeTable):
        self.codes = codes
        self.lei: Optional[str] = None
        self.kuan: Optional[str] = None
        self.prev_level: Optional[str] = None
        self.doubt: Optional[str] = None  # why the last code resolved is not sure (None: it is)

    def resolve(self, cells: list[tuple[str, Cell]], subject: Optional[str]) -> Optional[tuple[str, Cell]]:
        """(full code, the cell that carries it) of a row's code cells ``(role, cell)``; role
        ``code`` for a code column, ``code1``/``code2``/``code3`` for 类/款/项 columns."""
        self.doubt = None
        single = next((c for r, c in cells if r == "code" and _DIGITS.fullmatch(c.text)), None)
        if single is not None:
            code = self._one(single.text, subject)
            cell = single
        else:
            parts = {r: c for r, c in cells if r in ("code1", "code2", "code3") and _DIGITS.fullmatch(c.text)}
            if not parts:
                return None
            code, cell = self._parts(parts)
        if code is None or code_level(code) is None:
            return None
        self._enter(code)
        return code, cell

    def _one(self, raw: str, subject: Optional[str]) -> Optional[str]:
        if code_level(raw) is not None:
            return raw
        if len(raw) != 2:
            return None
        if self.prev_level == "款":
            ctx = [self.kuan, self.lei]
        elif self.prev_level == "项":
            ctx = [self.lei, self.kuan]
        else:
            ctx = [self.lei]
        ctx = [c for c in ctx if c]
        # the row's own name is the strongest evidence of which parent is meant: a reading
        # named so in the national table wins, and a reading whose national name contradicts
        # the row's name is not this row's code (``08`` after 20802 基层政权建设和社区治理 is
        # 2080208, not 20808 抚恤)
        candidates = [p + raw for p in ctx if code_level(p + raw)]
        named = [c for c in candidates if subject and self.codes.name(c) is not None
                 and names_agree(subject, self.codes.name(c), c)]
        if named:
            return named[0]
        possible = [c for c in candidates if name_contradiction(c, subject, self.codes) is None]
        if len(possible) > 1:
            self.doubt = (f"abbreviated code {raw} reads as {' or '.join(possible)} and the national "
                          f"table names neither {subject or '(no name)'}")
        if not possible and len(candidates) > 1:
            self.doubt = f"abbreviated code {raw}: no reading of it has the national name {subject}"
        # every reading contradicts the name: keep the structural one (the code is not lost)
        return self.codes.resolve(raw, [c[:-2] for c in possible] if possible else ctx)

    def _parts(self, parts: dict[str, Cell]) -> tuple[Optional[str], Cell]:
        lei, kuan, xiang = (parts.get(k) for k in ("code1", "code2", "code3"))
        last = xiang or kuan or lei
        assert last is not None
        code: Optional[str]
        if lei is not None:
            code = lei.text
            if kuan is not None:
                code += kuan.text
                if xiang is not None:
                    code += xiang.text
            elif xiang is not None:
                return None, last  # a 项 without its 款
        elif kuan is not None:
            code = (self.lei or "") + kuan.text + (xiang.text if xiang is not None else "")
        else:
            code = (self.kuan or "") + xiang.text  # type: ignore[union-attr]
        if len(code) in (3, 5, 7) and code_level(code) is None and len(last.text) == len(code):
            return None, last
        return code, last

    def _enter(self, code: str) -> None:
        level = code_level(code)
        if level == "类":
            self.lei, self.kuan = code, None
        elif level == "款":
            self.lei, self.kuan = code[:3], code
        elif level == "项":
            self.lei, self.kuan = code[:3], code[:5]
        self.prev_level = level

"""The national budget classification (政府收支分类科目) as a lookup table.

Function codes (支出功能分类) have three levels, 类 (3 digits) / 款 (5) / 项 (7); economic
codes (部门预算支出经济分类) have 类 (3) / 款 (5). The data file ``nlp/data/gov_codes.tsv``
holds ``code, name, level, kind``. Used to validate codes found in tables, to resolve the
abbreviated codes that tables print under their parent (``05`` under ``208`` is ``20805``),
to name a code whose name the text omits and, by the arithmetic checks, to walk the
parent/children hierarchy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

__all__ = ["CodeTable", "CodeEntry", "CODES_TSV", "code_level"]

CODES_TSV = Path(__file__).parent / "data" / "gov_codes.tsv"

_LEVEL_BY_LENGTH = {3: "类", 5: "款", 7: "项"}
# Function classes are 201-2xx, economic classes 3xx (部门预算支出经济分类).
_FUNCTION_FIRST = "2"
_ECONOMIC_FIRST = "3"


def code_level(code: str) -> Optional[str]:
    """类/款/项 from the code's shape alone, or None when it is not a classification code."""
    if not isinstance(code, str) or not code.isascii() or not code.isdigit():
        return None
    level = _LEVEL_BY_LENGTH.get(len(code))
    if level is None or code[0] not in (_FUNCTION_FIRST, _ECONOMIC_FIRST):
        return None
    if code[0] == _ECONOMIC_FIRST and level == "项":
        return None  # economic codes stop at 款
    return level


def _kind_by_shape(code: str) -> Optional[str]:
    if code_level(code) is None:
        return None
    return "function" if code[0] == _FUNCTION_FIRST else "economic"


@dataclass(frozen=True, slots=True)
class CodeEntry:
    code: str
    name: str
    level: str  # 类 | 款 | 项
    kind: str  # function | economic


class CodeTable:
    """Classification codes with names and hierarchy."""

    def __init__(self, entries: Iterable[CodeEntry]):
        self._entries: dict[str, CodeEntry] = {}
        self._children: dict[str, list[str]] = {}
        for e in entries:
            if code_level(e.code) != e.level:
                raise ValueError(f"code {e.code!r}: level {e.level!r} does not match its length")
            if e.code in self._entries:
                raise ValueError(f"duplicate code {e.code!r}")
            self._entries[e.code] = e
        for code in sorted(self._entries):
            p = self.parent(code)
            if p is not None:
                self._children.setdefault(p, []).append(code)

    @classmethod
    def load(cls, path: Union[str, Path, None] = None) -> "CodeTable":
        """The shipped table (cached), or one read from ``path``."""
        if path is None:
            return _default_table()
        return cls(_read_tsv(Path(path)))

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self):
        return iter(self._entries.values())

    def get(self, code: str) -> Optional[CodeEntry]:
        return self._entries.get(code)

    def name(self, code: str) -> Optional[str]:
        e = self._entries.get(code)
        return e.name if e else None

    def kind(self, code: str) -> Optional[str]:
        """``function`` or ``economic``; from the code's shape when the table does not list it."""
        e = self._entries.get(code)
        return e.kind if e else _kind_by_shape(code)

    def level(self, code: str) -> Optional[str]:
        e = self._entries.get(code)
        return e.level if e else code_level(code)

    def is_valid(self, code: str) -> bool:
        """A code listed in the national table."""
        return code in self

    def parent(self, code: str) -> Optional[str]:
        """The code one level up (``2101501`` → ``21015`` → ``210``), whether listed or not."""
        level = code_level(code)
        if level == "项":
            return code[:5]
        if level == "款":
            return code[:3]
        return None

    def children(self, code: str) -> list[str]:
        """Listed codes one level down, in code order."""
        return list(self._children.get(code, ()))

    def resolve(self, abbrev: str, parent_context: Union[str, Sequence[str], None]) -> Optional[str]:
        """The full code of an abbreviated table code, e.g. ``resolve("05", "208")`` → ``"20805"``.

        ``parent_context`` is the enclosing code, or several candidates, most specific first
        (a table's current 款 then its current 类): the first parent giving a listed code wins;
        when none is listed, the first structurally possible one (a 2-digit suffix under a
        3- or 5-digit parent) is returned, so that codes missing from the table are not lost.
        A code that is already complete is returned as is."""
        if not isinstance(abbrev, str) or not abbrev.isascii() or not abbrev.isdigit():
            return None
        if code_level(abbrev) is not None and len(abbrev) != 2:
            return abbrev
        if len(abbrev) != 2:
            return None
        if parent_context is None:
            return None
        parents = [parent_context] if isinstance(parent_context, str) else [p for p in parent_context if p]
        possible = [p + abbrev for p in parents if code_level(p) in ("类", "款") and code_level(p + abbrev)]
        for c in possible:
            if c in self._entries:
                return c
        return possible[0] if possible else None


def _read_tsv(path: Path) -> list[CodeEntry]:
    entries = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#") or line.startswith("code\t"):
                continue
            parts = line.split("\t")
            if len(parts) != 4:
                raise ValueError(f"{path}:{lineno}: expected 4 tab-separated fields, got {len(parts)}")
            entries.append(CodeEntry(*parts))
    return entries


@lru_cache(maxsize=1)
def _default_table() -> CodeTable:
    return CodeTable(_read_tsv(CODES_TSV))

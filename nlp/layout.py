"""Table layout of fiscal documents, as PDF/HTML-to-text conversion leaves it.

Pure functions over the *normalised* text (``doc.text``): no spaCy here, so the parser is
testable on its own and the ``fiscal_layout`` component only turns its output into spans.

What is recognised (see docs/tables.md for the full description and the decisions):

- the document's fiscal year and basis (预算 / 决算) from its title lines: :func:`document_period`
- tab-separated table blocks (one row per line, one cell per tab), with the title and the
  ``单位: 万元`` line just above them, and inside a block:
  - ``grid`` tables: multi-row headers with merged (empty) cells, an optional column-index
    row (``**\t**\t1\t2\t3``), data rows ``code\tname\tv1\tv2…`` with empty cells, 合计
    rows and abbreviated codes (``05`` under ``208`` is ``20805``)
  - ``target`` tables (绩效目标): indicator, comparator, value and unit cells
  - ``kv`` tables: key/value money rows under a ``(万元)`` caption (``项目资金(万元)``)
- inline key/value money pairs of PDF tables flattened into one line
  (``计划投资额(万元)100实际到位资金(万元)100``, source 002)

Every step is a single pass over lines and cells; regular expressions only run on short,
length-bounded cells or start with a look-behind of their own first class, so parsing is
linear in the input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Iterator, Optional

from nlp.codes import CodeTable, code_level
from nlp.contract import COUNT_UNITS

__all__ = [
    "Cell",
    "Column",
    "Row",
    "Table",
    "LayoutEntity",
    "MONEY_UNITS",
    "decimal_string",
    "document_period",
    "document_basis",
    "document_evidence",
    "parse_tables",
    "layout_entities",
    "parse_target_value",
    "target_measure",
    "money_value",
    "clean_subject",
]

# Money units a table can declare, with their value in yuan.
MONEY_UNITS: dict[str, Decimal] = {"元": Decimal(1), "千元": Decimal(1000), "万元": Decimal(10000), "亿元": Decimal(100000000)}
PERCENT_UNITS = ("%", "‰")
_COUNT_UNITS = tuple(sorted(set(COUNT_UNITS), key=len, reverse=True))

_MAX_CELL = 80  # cells longer than this are prose, never numbers, codes or units
_MAX_HEADER_ROWS = 4
_CONTEXT_LINES = 3  # lines above a block searched for its title and unit
_CONTEXT_TAIL = 400  # characters at the end of a context line that are searched

_NUM = r"[-+]?(?:\d{1,3}(?:,\d{3})++|\d++)(?:\.\d++)?+"
_NUM_RE = re.compile(_NUM)
_INT_RE = re.compile(r"\d{1,4}")
_STARS_RE = re.compile(r"\*{1,4}")
_CODE_RE = re.compile(r"\d{2,9}")
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})年(度)?")
_PERIOD_CAPTION_RE = re.compile(r"[(]\s*((?:19|20)\d{2})\s*年度?\s*[)]")
_UNIT_DECL_RE = re.compile(r"(?<!单)单位\s{0,3}[:]\s{0,3}(亿元|千元|万元|元)(?![\u4e00-\u9fff])")
_UNIT_CAPTION_RE = re.compile(r"(?<![(])[(]\s{0,3}(亿元|千元|万元|元)\s{0,3}[)]")
_INLINE_KV_RE = re.compile(r"(?<![(])[(](亿元|千元|万元|元)[)](?=[-+]?\d)")
_COMPARATORS = {"≥": "≥", "≤": "≤", "=": "=", ">": ">", "<": "<", ">=": "≥", "<=": "≤", "==": "="}
_UNIT_ALT = "|".join(re.escape(u) for u in (*MONEY_UNITS, *PERCENT_UNITS) if u) + "|万?(?:" + "|".join(
    re.escape(u) for u in _COUNT_UNITS
) + ")"
_TARGET_RE = re.compile(rf"(?P<cmp>>=|<=|==|[≥≤=<>])?\s{{0,3}}(?P<num>{_NUM})\s{{0,3}}(?P<unit>{_UNIT_ALT})?")
_UNIT_CELL_RE = re.compile(rf"(?:{_UNIT_ALT})")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_UNIT_IN_NAME = re.compile(r"\s?\(([^()]{1,4})\)$")
# The sub-rows that follow a flattened key/value table on its line, under the same unit:
# ``其中:中央财政  其中:中央财政省财政  省财政市县财政 100 市县财政 100`` (source 002).
_KV_TAIL_RE = re.compile(rf"([{_HAN}]{{2,12}}+)[ ]?+({_NUM})(?![\d.%‰万亿千元人个次])")
_FUND_NAMES = ("一般公共预算", "政府性基金预算", "国有资本经营预算", "社会保险基金预算")
_EMPTY_TABLE_NOTE = re.compile(r"注:\s{0,3}若为空表,\s{0,3}则为该部门\(单位\)无")
_WS_RE = re.compile(r"\s+")


# --- data model ---------------------------------------------------------------------------


@dataclass(slots=True)
class Cell:
    """One tab-separated cell; ``start``/``end`` are normalised offsets of its stripped text
    (an empty cell has ``start == end``)."""

    col: int
    start: int
    end: int
    text: str

    @property
    def empty(self) -> bool:
        return not self.text


@dataclass(slots=True)
class Column:
    index: int
    path: tuple[str, ...]  # header labels top-down, merged cells expanded ("2026年预算数", "合计")
    role: str  # code | name | org_code | org_name | seq | value | category | indicator | comparator | target | unit | label
    period: Optional[str] = None  # a year in the header ("2026年预算数")
    basis: Optional[str] = None  # budget | actual when the header says 预算数 / 决算数

    @property
    def leaf(self) -> Optional[str]:
        return self.path[-1] if self.path else None


@dataclass(slots=True)
class Row:
    """A data row. ``kind``: ``data`` (grid), ``kv`` (one key/value pair) or ``target``."""

    kind: str
    start: int
    end: int
    cells: list[Cell]
    subject: Optional[str] = None
    subject_cell: Optional[Cell] = None
    code: Optional[str] = None  # the full classification code
    code_cell: Optional[Cell] = None
    values: list[Cell] = field(default_factory=list)  # number cells (grid: money cells; kv: the value)
    # target rows
    comparator: Optional[str] = None
    comparator_cell: Optional[Cell] = None
    number: Optional[str] = None  # the number as written (target rows)
    unit: Optional[str] = None  # the unit as written (万人, %, 万元)
    unit_cell: Optional[Cell] = None  # a unit in its own cell
    unit_embedded: bool = False  # unit written in the value cell (``≤4万元``)
    categories: tuple[str, ...] = ()  # 一级/二级指标
    basis: Optional[str] = None  # kv rows: basis from the label (预算/计划 → budget, 实际 → actual)


@dataclass(slots=True)
class Table:
    kind: str  # grid | target | kv
    start: int
    end: int
    title: Optional[str] = None
    unit: Optional[str] = None  # declared money unit (万元) or None
    unit_span: Optional[tuple[int, int]] = None
    period: Optional[str] = None  # the table's year (caption "(2024年度)") or the document's
    basis: Optional[str] = None
    columns: list[Column] = field(default_factory=list)
    header_rows: list[list[Cell]] = field(default_factory=list)
    index_row: Optional[list[Cell]] = None
    rows: list[Row] = field(default_factory=list)

    @property
    def multiplier(self) -> Optional[Decimal]:
        return MONEY_UNITS.get(self.unit) if self.unit else None

    @property
    def is_money(self) -> bool:
        return self.multiplier is not None

    def column(self, index: int) -> Optional[Column]:
        return self.columns[index] if 0 <= index < len(self.columns) else None


@dataclass(frozen=True, slots=True)
class LayoutEntity:
    start: int
    end: int
    label: str
    value: Optional[str] = None
    unit: Optional[str] = None


# --- small helpers ------------------------------------------------------------------------


def decimal_string(d: Decimal) -> str:
    """An exact decimal string without exponent or trailing zeros: 1799300.00 → "1799300"."""
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s in ("-0", "+0", ""):
        s = "0"
    return s


def _to_decimal(num: str) -> Optional[Decimal]:
    try:
        return Decimal(num.replace(",", ""))
    except InvalidOperation:
        return None


def is_number(text: str) -> bool:
    return 0 < len(text) <= 40 and _NUM_RE.fullmatch(text) is not None


def clean_subject(text: str) -> str:
    """A subject as facts carry it: NFKC text (already), no whitespace, no markup."""
    return _WS_RE.sub("", text)


def money_value(num: str, unit: str) -> Optional[str]:
    d = _to_decimal(num)
    mult = MONEY_UNITS.get(unit)
    if d is None or mult is None:
        return None
    return decimal_string(d * mult)


def parse_target_value(text: str) -> Optional[tuple[Optional[str], str, Optional[str], int, int]]:
    """A target cell ``≥10000张`` → (comparator, number, unit, number start, end of number+unit)
    relative to the cell, or None when the cell is not a comparator/number/unit expression."""
    if not text or len(text) > 40:
        return None
    m = _TARGET_RE.fullmatch(text)
    if m is None:
        return None
    cmp = _COMPARATORS.get(m.group("cmp")) if m.group("cmp") else None
    return cmp, m.group("num"), m.group("unit"), m.start("num"), m.end()


def target_measure(number: str, unit: Optional[str]) -> Optional[tuple[str, str, str]]:
    """(label, value, unit) of a target number with its unit: ``154`` + ``万人`` →
    ("QUANTITY", "1540000", "人"); ``200`` + ``万元`` → ("AMOUNT", "2000000", "CNY")."""
    d = _to_decimal(number)
    if d is None or not unit:
        return None
    if unit in MONEY_UNITS:
        return "AMOUNT", decimal_string(d * MONEY_UNITS[unit]), "CNY"
    if unit in PERCENT_UNITS:
        if unit == "‰":
            return "PERCENT", decimal_string(d / 10), "%"
        return "PERCENT", decimal_string(d), "%"
    if unit in COUNT_UNITS:
        return "QUANTITY", decimal_string(d), unit
    if unit.startswith("万") and unit[1:] in COUNT_UNITS:
        return "QUANTITY", decimal_string(d * 10000), unit[1:]
    return None


# --- document period ----------------------------------------------------------------------


def _year_evidence(text: str) -> Iterator[tuple[re.Match[str], Optional[str]]]:
    """Every ``YYYY年(度)`` with the 预算/决算 word that follows it on the same clause, if any."""
    for m in _YEAR_RE.finditer(text):
        window = text[m.end() : m.end() + 20]
        for stop in "。,;\n":
            k = window.find(stop)
            if k >= 0:
                window = window[:k]
        b = window.find("预算")
        a = window.find("决算")
        kind = None
        if a >= 0 and (b < 0 or a < b):
            kind = "actual"
        elif b >= 0:
            kind = "budget"
        yield m, kind


def _title_like(text: str, start: int) -> bool:
    """The line around ``start`` is short and has no clause punctuation: a heading.
    Only 80 characters either side are looked at, so the check is constant-time."""
    lo = max(0, start - 80)
    nl = text.rfind("\n", lo, start)
    if nl < 0 and lo > 0:
        return False  # no line start within reach: a long line
    a = nl + 1
    b = text.find("\n", start, start + 80)
    if b < 0:
        if start + 80 < len(text):
            return False
        b = len(text)
    line = text[a:b]
    return len(line.strip()) <= 60 and not any(c in line for c in ",。;")


def document_evidence(text: str) -> tuple[Optional[str], Optional[str]]:
    first_title: Optional[tuple[str, Optional[str]]] = None
    nd_counts: dict[str, int] = {}
    nd_first: dict[str, int] = {}
    doc_counts: dict[str, int] = {}
    doc_kind: dict[str, Optional[str]] = {}
    for i, (m, kind) in enumerate(_year_evidence(text)):
        year = m.group(1)
        if kind is not None:
            if first_title is None and _title_like(text, m.start()):
                first_title = (year, kind)
            doc_counts[year] = doc_counts.get(year, 0) + 1
            doc_kind.setdefault(year, kind)
        if m.group(2):
            nd_counts[year] = nd_counts.get(year, 0) + 1
            nd_first.setdefault(year, i)
    if first_title is not None:
        return first_title
    if nd_counts:
        year = max(nd_counts, key=lambda y: (nd_counts[y], -nd_first[y]))
        return year, doc_kind.get(year)
    if doc_counts:
        year = max(doc_counts, key=lambda y: doc_counts[y])
        return year, doc_kind.get(year)
    return None, None


def document_period(text: str) -> Optional[str]:
    """The document's fiscal year: the year of the first heading that names a 预算/决算
    (``2026年部门预算``), else the most frequent ``YYYY年度``, else the most frequent year
    followed by 预算/决算; None without evidence."""
    return document_evidence(text)[0]


def document_basis(text: str) -> Optional[str]:
    """``budget`` for a 预算 document, ``actual`` for a 决算 document, from the same evidence."""
    return document_evidence(text)[1]


# --- lines and blocks ---------------------------------------------------------------------


def _lines(text: str) -> Iterator[tuple[int, int]]:
    pos = 0
    n = len(text)
    while pos <= n:
        k = text.find("\n", pos)
        if k < 0:
            yield pos, n
            return
        yield pos, k
        pos = k + 1


def _cells(text: str, a: int, b: int) -> list[Cell]:
    cells: list[Cell] = []
    pos = a
    col = 0
    while True:
        k = text.find("\t", pos, b)
        end = b if k < 0 else k
        s, e = pos, end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        cells.append(Cell(col, s, e, text[s:e]))
        col += 1
        if k < 0:
            return cells
        pos = k + 1


def _nonempty(cells: list[Cell]) -> list[Cell]:
    return [c for c in cells if c.text]


def _is_index_row(cells: list[Cell]) -> bool:
    """``**\t**\t1\t2\t3`` or ``1\t2\t…\t8``: a column-numbering row."""
    ints = []
    for c in cells:
        if not c.text:
            continue
        if _STARS_RE.fullmatch(c.text):
            continue
        if _INT_RE.fullmatch(c.text) is None:
            return False
        ints.append(int(c.text))
    return len(ints) >= 2 and all(b == a + 1 for a, b in zip(ints, ints[1:]))


def _is_text_only(cells: list[Cell]) -> bool:
    return all(not c.text or not is_number(c.text) for c in cells)


def _has_number(cells: list[Cell]) -> bool:
    return any(c.text and is_number(c.text) for c in cells)


def _target_header_roles(cells: list[Cell]) -> Optional[dict[int, str]]:
    """Column roles of a 绩效目标 header row (一级指标 二级指标 三级指标 [计算符号] 目标值 [度量单位])."""
    roles: dict[int, str] = {}
    has_target = has_indicator = False
    for c in cells:
        t = c.text
        if not t or len(t) > 12:
            continue
        if t in ("目标值", "指标值", "年度指标值", "目标值(数值)", "年度目标值"):
            roles[c.col] = "target"
            has_target = True
        elif "三级指标" in t or t in ("指标名称", "绩效指标"):
            roles[c.col] = "indicator"
            has_indicator = True
        elif "指标" in t:
            roles[c.col] = "category"
        elif t in ("计算符号", "符号", "指标符号"):
            roles[c.col] = "comparator"
        elif t in ("度量单位", "计量单位", "单位"):
            roles[c.col] = "unit"
    return roles if has_target and has_indicator else None


def _unit_caption(cells: list[Cell]) -> Optional[tuple[Cell, re.Match[str]]]:
    """A key/value caption row: its first cell declares the unit (``项目资金(万元)``) and the
    rest is key/value pairs or empty (a grid header such as ``项目\t金额(万元)`` is not one)."""
    filled = _nonempty(cells)
    if not filled or len(filled[0].text) > 30:
        return None
    m = _UNIT_CAPTION_RE.search(filled[0].text)
    if m is None:
        return None
    if len(filled) > 2 and not _has_number(cells):
        return None
    return filled[0], m


def _label_basis(label: str) -> Optional[str]:
    if "决算" in label or "实际" in label or "执行" in label:
        return "actual"
    if "预算" in label or "计划" in label:
        return "budget"
    return None


def _title_basis(title: Optional[str]) -> Optional[str]:
    if not title:
        return None
    t = title
    for fund in _FUND_NAMES:
        t = t.replace(fund, "")
    if "决算" in t:
        return "actual"
    if "预算" in t:
        return "budget"
    return None


def _clean_title(line: str) -> Optional[str]:
    """The table title inside a line above a block: ``## 部门支出总表``,
    ``注:若为空表,则为…无政府性基金收支政府性基金预算支出表单位:万元`` → ``政府性基金预算支出表``."""
    t = line.strip().lstrip("#").strip()
    for stop in ("填报单位", "[", "单位:", "单位:"):
        k = t.find(stop)
        if k >= 0:
            t = t[:k]
    m = _EMPTY_TABLE_NOTE.search(t)
    if m:
        rest = t[m.end() :]
        # the note ends at the first 收支/支出 that is followed by the title
        ends = [k + 2 for k in (rest.find("收支"), rest.find("支出")) if k >= 0 and k + 2 < len(rest)]
        t = rest[min(ends) :] if ends else ""
    t = _PERIOD_CAPTION_RE.sub("", t).strip().strip("*").strip()
    if not t or len(t) > 60 or any(c in t for c in ",。;"):
        return None
    return t


# --- the parser ---------------------------------------------------------------------------


class _Context:
    """What the lines above a block say: title, money unit (+ span), caption year."""

    def __init__(self, text: str, lines: list[tuple[int, int]]):
        self.title: Optional[str] = None
        self.unit: Optional[str] = None
        self.unit_span: Optional[tuple[int, int]] = None
        self.period: Optional[str] = None
        for a, b in reversed(lines):  # nearest line first
            a = max(a, b - _CONTEXT_TAIL)
            line = text[a:b]
            if self.unit is None:
                ms = list(_UNIT_DECL_RE.finditer(line))
                if ms:
                    m = ms[-1]
                    self.unit = m.group(1)
                    self.unit_span = (a + m.start(1), a + m.end(1))
            if self.period is None:
                pm = _PERIOD_CAPTION_RE.search(line)
                if pm:
                    self.period = pm.group(1)
            if self.title is None:
                stripped = line.strip()
                if stripped.startswith("#") or "表" in stripped:
                    self.title = _clean_title(line)


def _header_paths(header_rows: list[list[Cell]], ncols: int) -> list[tuple[str, ...]]:
    """Column header paths; an empty header cell belongs to the merged cell on its left when
    a lower header row has a label in that column (a group spanning several columns)."""
    grid: list[list[str]] = []
    for r, cells in enumerate(header_rows):
        labels = [cells[c].text if c < len(cells) else "" for c in range(ncols)]
        filled = list(labels)
        for c in range(1, ncols):
            if filled[c] or not filled[c - 1]:
                continue
            below = any(c < len(lower) and lower[c].text for lower in header_rows[r + 1 :])
            if below:
                filled[c] = filled[c - 1]
        grid.append(filled)
    paths = []
    for c in range(ncols):
        path: list[str] = []
        for r in range(len(grid)):
            label = clean_subject(grid[r][c])
            if label and (not path or path[-1] != label):
                path.append(label)
        paths.append(tuple(path))
    return paths


def _column_role(path: tuple[str, ...]) -> str:
    leaf = path[-1] if path else ""
    joined = "".join(path)
    if "编码" in leaf or "代码" in leaf:
        return "code" if "科目" in joined else "org_code"
    if leaf.endswith("名称"):
        return "org_name" if leaf.startswith(("单位", "部门")) else "name"
    if leaf in ("项目", "科目", "收入项目", "支出项目"):  # 收支总表: 项目 | 预算数
        return "name"
    if leaf in ("序号", "编号"):
        return "seq"
    return "value"


def _column_period(path: tuple[str, ...], doc_period: Optional[str] = None) -> Optional[str]:
    """A year in the header (``2026年预算数``); ``上年``/``本年`` relative to the document's."""
    for label in path:
        m = _YEAR_RE.search(label)
        if m:
            return m.group(1)
    if doc_period and doc_period.isdigit():
        for label in path:
            if label.startswith(("上年", "上一年")):
                return str(int(doc_period) - 1)
            if label.startswith(("本年", "当年")):
                return doc_period
    return None


def _column_basis(path: tuple[str, ...]) -> Optional[str]:
    joined = "".join(path)
    if "决算数" in joined or "执行数" in joined:
        return "actual"
    if "预算数" in joined:
        return "budget"
    return None


class _GridBuilder:
    def __init__(self, table: Table, codes: CodeTable, doc_period: Optional[str] = None):
        self.table = table
        self.codes = codes
        self.doc_period = doc_period
        self.lei: Optional[str] = None
        self.kuan: Optional[str] = None
        self.prev_level: Optional[str] = None

    def set_header(self, header_rows: list[list[Cell]], ncols: int) -> None:
        t = self.table
        t.header_rows = header_rows
        paths = _header_paths(header_rows, ncols)
        t.columns = [
            Column(i, p, _column_role(p), _column_period(p, self.doc_period), _column_basis(p)) for i, p in enumerate(paths)
        ]
        if t.unit is None:  # a unit in a header cell: "金额(万元)"
            for cells in header_rows:
                for c in cells:
                    m = _UNIT_CAPTION_RE.search(c.text) if c.text and len(c.text) <= 30 else None
                    if m:
                        t.unit, t.unit_span = m.group(1), (c.start + m.start(1), c.start + m.end(1))
                        return

    def _ensure_columns(self, n: int) -> None:
        t = self.table
        while len(t.columns) < n:
            t.columns.append(Column(len(t.columns), (), "value"))

    def _resolve_code(self, raw: str, subject: Optional[str]) -> Optional[str]:
        if not raw or _CODE_RE.fullmatch(raw) is None:
            return None
        level = code_level(raw)
        code: Optional[str] = None
        if level is not None:
            code = raw
        elif len(raw) == 2:
            if self.prev_level == "款":
                ctx = [self.kuan, self.lei]
            elif self.prev_level == "项":
                ctx = [self.lei, self.kuan]
            else:
                ctx = [self.lei]
            ctx = [c for c in ctx if c]
            # the row's own name is the strongest evidence of which parent is meant
            named = [p + raw for p in ctx if subject and self.codes.name(p + raw) == subject]
            code = named[0] if named else self.codes.resolve(raw, ctx)
        if code is None:
            return None
        level = code_level(code)
        if level == "类":
            self.lei, self.kuan = code, None
        elif level == "款":
            self.lei, self.kuan = code[:3], code
        elif level == "项":
            self.lei, self.kuan = code[:3], code[:5]
        self.prev_level = level
        return code

    def _groups(self, cells: list[Cell]) -> list[list[Cell]]:
        """Cells split where a code/name column follows a value column: a 收支总表 row
        ``一、财政拨款收入\t881.44\t一、社会保障和就业支出\t85.72`` holds two items."""
        groups: list[list[Cell]] = [[]]
        seen_value = False
        for c in cells:
            role = self.table.columns[c.col].role
            if role in ("code", "name") and seen_value:
                groups.append([])
                seen_value = False
            elif role == "value":
                seen_value = True
            groups[-1].append(c)
        return groups

    def add_row(self, cells: list[Cell], a: int, b: int) -> None:
        t = self.table
        self._ensure_columns(len(cells))
        for group in self._groups(cells):
            row = Row("data", a, b, cells)
            code_cell = None
            for c in group:
                col = t.columns[c.col]
                if not c.text:
                    continue
                if col.role == "name" and row.subject_cell is None and not is_number(c.text):
                    row.subject_cell = _strip_marker(c)
                    row.subject = clean_subject(row.subject_cell.text)
                elif col.role == "code" and code_cell is None:
                    code_cell = c
                elif col.role == "value" and is_number(c.text):
                    row.values.append(c)
            if code_cell is not None:
                code = self._resolve_code(code_cell.text, row.subject)
                if code is not None:
                    row.code, row.code_cell = code, code_cell
            if row.values or row.subject or row.code:
                t.rows.append(row)


def _add_target_row(table: Table, roles: dict[int, str], cells: list[Cell], a: int, b: int, cats: list[str]) -> None:
    # categories carry down the merged 一级/二级指标 cells
    for c in cells:
        if roles.get(c.col) == "category" and c.text and not parse_target_value(c.text):
            k = sorted(k for k, r in roles.items() if r == "category").index(c.col)
            del cats[k:]
            cats.append(clean_subject(c.text))
    # the value: the cell under 目标值 when it parses, else (rows shifted by the conversion)
    # the first comparator/number cell after some text
    target_col = next((k for k, r in roles.items() if r == "target"), None)
    value_idx = None
    if target_col is not None and target_col < len(cells) and parse_target_value(cells[target_col].text):
        value_idx = target_col
    else:
        seen_text = False
        for i, c in enumerate(cells):
            if not c.text:
                continue
            if c.text in _COMPARATORS or parse_target_value(c.text):
                if seen_text:
                    j = i
                    if c.text in _COMPARATORS:
                        j = next((k for k in range(i + 1, len(cells)) if cells[k].text), None)
                        if j is None or not parse_target_value(cells[j].text):
                            break
                    value_idx = j
                break
            seen_text = True
    if value_idx is None:
        return
    vc = cells[value_idx]
    cmp, num, unit, ns, ne = parse_target_value(vc.text)  # type: ignore[misc]
    row = Row("target", a, b, cells, categories=tuple(cats))
    row.number = num
    row.values = [Cell(vc.col, vc.start + ns, vc.start + ns + len(num), num)]
    k = value_idx - 1
    while k >= 0 and not cells[k].text:
        k -= 1
    if cmp is None and k >= 0 and cells[k].text in _COMPARATORS:
        cmp = _COMPARATORS[cells[k].text]
        row.comparator_cell = cells[k]
        k -= 1
        while k >= 0 and not cells[k].text:
            k -= 1
    row.comparator = cmp
    if k < 0:
        return
    ind = cells[k]
    um = _UNIT_IN_NAME.search(ind.text)
    if um and _UNIT_CELL_RE.fullmatch(um.group(1)) and um.start() >= 2:
        # "打击欺诈骗保覆盖率(%)": the unit is said in the name, the indicator is the rest (GUIDELINES §10)
        ind = Cell(ind.col, ind.start, ind.start + um.start(), ind.text[: um.start()])
    row.subject_cell = ind
    row.subject = clean_subject(ind.text)
    if unit:
        row.unit, row.unit_embedded = unit, True
        row.values = [Cell(vc.col, vc.start + ns, vc.start + ne, vc.text[ns:ne])]
    else:
        j = value_idx + 1
        while j < len(cells) and not cells[j].text:
            j += 1
        if j < len(cells) and len(cells[j].text) <= 6 and _UNIT_CELL_RE.fullmatch(cells[j].text):
            row.unit, row.unit_cell = cells[j].text, cells[j]
    table.rows.append(row)


def _kv_pairs(table: Table, cells: list[Cell], a: int, b: int, caption: Optional[Cell]) -> bool:
    """Key/value pairs of a row (``其中:财政拨款\t235.38\t其他经费\t0``); False if it has none."""
    found = False
    label: Optional[Cell] = None
    for c in cells:
        if not c.text:
            continue
        if is_number(c.text):
            if label is None:
                continue
            lab = label
            text = lab.text
            start = lab.start
            if caption is not None and lab is caption:
                m = _UNIT_CAPTION_RE.search(text)
                text = text[: m.start()].rstrip() if m else text
            if "编码" in text or "代码" in text or not text:
                label = None
                continue
            for prefix in ("其中:", "其中"):
                if text.startswith(prefix) and len(text) > len(prefix):
                    start += len(prefix)
                    text = text[len(prefix) :]
                    break
            subj_cell = Cell(lab.col, start, start + len(text), text)
            row = Row("kv", a, b, cells, subject=clean_subject(text), subject_cell=subj_cell, values=[c])
            row.basis = _label_basis(text)
            table.rows.append(row)
            found = True
            label = None
        else:
            label = c
    return found


def parse_tables(
    text: str,
    period: Optional[str] = None,
    basis: Optional[str] = None,
    codes: Optional[CodeTable] = None,
) -> list[Table]:
    """All tables of a normalised text, in order. ``period``/``basis`` are the document's
    (used where a table does not say), ``codes`` the classification table."""
    codes = codes or CodeTable.load()
    tables: list[Table] = []
    context: list[tuple[int, int]] = []  # non-blank, non-table lines since the last block
    block: list[tuple[int, int]] = []
    for a, b in _lines(text):
        has_tab = text.find("\t", a, b) >= 0
        if has_tab:
            block.append((a, b))
            continue
        if block:
            tables.extend(_parse_block(text, block, context, period, basis, codes))
            block = []
            context = []
        if text[a:b].strip():
            context.append((a, b))
            if len(context) > _CONTEXT_LINES:
                context.pop(0)
    if block:
        tables.extend(_parse_block(text, block, context, period, basis, codes))
    tables.extend(_inline_kv_tables(text, period, basis))
    tables.extend(_score_tables(text, period))
    tables.sort(key=lambda t: t.start)
    return tables


def _parse_block(
    text: str,
    block: list[tuple[int, int]],
    context_lines: list[tuple[int, int]],
    doc_period: Optional[str],
    doc_basis: Optional[str],
    codes: CodeTable,
) -> list[Table]:
    ctx = _Context(text, context_lines)
    title = ctx.title
    caption_period = ctx.period
    out: list[Table] = []
    pending: list[tuple[list[Cell], int, int]] = []  # text-only rows: candidate header
    seg: Optional[Table] = None
    grid: Optional[_GridBuilder] = None
    roles: Optional[dict[int, str]] = None
    cats: list[str] = []
    kv_caption: Optional[Cell] = None
    unit_used = False

    def new_table(kind: str, start: int) -> Table:
        nonlocal unit_used
        t = Table(kind, start, start, title=title)
        t.period = caption_period or doc_period
        t.basis = _title_basis(title) or doc_basis
        if kind == "grid" and ctx.unit:
            t.unit = ctx.unit
            # the unit line is declared once for the first table under it
            t.unit_span = None if unit_used else ctx.unit_span
            unit_used = True
        return t

    def close() -> None:
        nonlocal seg, grid, roles, kv_caption
        if seg is not None:
            out.append(seg)
        seg, grid, roles, kv_caption = None, None, None, None

    for a, b in block:
        cells = _cells(text, a, b)
        filled = _nonempty(cells)
        if not filled:
            continue
        if seg is not None:
            seg.end = b
        troles = _target_header_roles(cells)
        if troles is not None:
            close()
            seg = new_table("target", a)
            seg.end = b
            seg.header_rows = [cells]
            seg.columns = [Column(c.col, (clean_subject(c.text),) if c.text else (), troles.get(c.col, "label")) for c in cells]
            roles, cats, pending = troles, [], []
            continue
        cap = _unit_caption(cells)
        if cap is not None:
            close()
            seg = new_table("kv", a)
            seg.end = b
            cell, m = cap
            seg.unit = m.group(1)
            seg.unit_span = (cell.start + m.start(1), cell.start + m.end(1))
            lb = _label_basis(cell.text)
            if lb:
                seg.basis = lb
            kv_caption = cell
            pending = []
            _kv_pairs(seg, cells, a, b, kv_caption)
            continue
        if seg is not None and seg.kind == "kv":
            if _kv_pairs(seg, cells, a, b, kv_caption):
                continue
            seg.end = a
            close()
        if seg is not None and seg.kind == "target":
            assert roles is not None
            _add_target_row(seg, roles, cells, a, b, cats)
            continue
        if grid is not None and seg is not None:
            if _is_index_row(cells) and not seg.rows and seg.index_row is None:
                seg.index_row = cells
                continue
            if _is_text_only(cells) and seg.rows and not _is_code_row(cells, seg):
                seg.end = a
                close()
            else:
                grid.add_row(cells, a, b)
                continue
        # no open segment
        unit_cells = [(c, m) for c in filled if len(c.text) <= _MAX_CELL for m in [_UNIT_DECL_RE.search(c.text)] if m]
        if _is_text_only(cells) and (len(filled) == 1 or (unit_cells and len(filled) <= 3)):
            # a caption row inside the block: title, "(2026年度)", "单位:万元"
            for c in filled:
                pm = _PERIOD_CAPTION_RE.search(c.text) if len(c.text) <= _MAX_CELL else None
                if pm:
                    caption_period = pm.group(1)
                t = _PERIOD_CAPTION_RE.sub("", c.text).strip()
                if t.endswith("表") and len(t) <= 40:
                    title = clean_subject(t)
            if unit_cells:
                c, m = unit_cells[-1]
                ctx.unit, ctx.unit_span = m.group(1), (c.start + m.start(1), c.start + m.end(1))
                unit_used = False
            pending = []
            continue
        if _is_index_row(cells) and pending:
            header = [p[0] for p in pending[-_MAX_HEADER_ROWS:]]
            seg = new_table("grid", pending[-len(header)][1])
            seg.end = b
            seg.index_row = cells
            grid = _GridBuilder(seg, codes, doc_period)
            grid.set_header(header, max(len(r) for r in (*header, cells)))
            pending = []
            continue
        if _is_text_only(cells):
            pending.append((cells, a, b))
            if len(pending) > _MAX_HEADER_ROWS:
                pending.pop(0)
            continue
        if pending and len(_nonempty(pending[-1][0])) >= 2:
            # header rows directly followed by data, without an index row
            header = [p[0] for p in pending[-_MAX_HEADER_ROWS:]]
            seg = new_table("grid", pending[-len(header)][1])
            seg.end = b
            grid = _GridBuilder(seg, codes, doc_period)
            grid.set_header(header, max(len(r) for r in (*header, cells)))
            grid.add_row(cells, a, b)
            pending = []
            continue
        pending = []
    close()
    return out


_LIST_MARKER_RE = re.compile(r"(?:[一二三四五六七八九十]{1,3}、|[(][一二三四五六七八九十\d]{1,3}[)]|\d{1,2}[、.](?!\d))\s{0,3}")


def _strip_marker(cell: Cell) -> Cell:
    """A row name without its list marker: ``一、一般公共预算拨款收入`` → ``一般公共预算拨款收入``."""
    m = _LIST_MARKER_RE.match(cell.text)
    if m is None or m.end() >= len(cell.text):
        return cell
    return Cell(cell.col, cell.start + m.end(), cell.end, cell.text[m.end() :])


def _is_code_row(cells: list[Cell], table: Table) -> bool:
    """A text-only row that still belongs to the grid (a code and name without values)."""
    for c in cells:
        col = table.column(c.col)
        if col is not None and col.role in ("code", "name") and c.text:
            return True
    return False


def _inline_kv_tables(text: str, period: Optional[str], basis: Optional[str]) -> list[Table]:
    """PDF tables flattened into one line: ``计划投资额(万元)100实际到位资金(万元)100``."""
    tables: list[Table] = []
    current: Optional[Table] = None
    line_start = -1
    ls = 0  # start of the line of the current match, found by scanning each character once
    scanned = 0
    for m in _INLINE_KV_RE.finditer(text):
        a = m.start()
        nl = text.rfind("\n", scanned, a)
        if nl >= 0:
            ls = nl + 1
        scanned = a
        # the label: the ideographs right before "(万元)", at most 12
        k = a
        while k > 0 and a - k < 12 and re.match(f"[{_HAN}]", text[k - 1]):
            k -= 1
        nm = _NUM_RE.match(text, m.end())
        if k == a or nm is None or text.rfind("\t", max(0, k - 1), nm.end()) >= 0:
            continue
        if current is None or ls != line_start:
            if current is not None:
                tables.append(_with_kv_tail(text, current))
            line_start = ls
            head = text[ls : min(a, ls + 200)]
            ti = head.find("表")
            title = head[: ti + 1].strip() if 0 < ti <= 40 else None
            pm = _PERIOD_CAPTION_RE.search(head)
            current = Table("kv", k, nm.end(), title=title, unit=m.group(1))
            current.period = pm.group(1) if pm else period
            current.basis = _title_basis(title) or basis
        current.rows.append(_inline_kv_row(text, k, a, nm.start(), nm.end()))
        current.end = nm.end()
        if current.unit_span is None:
            current.unit_span = (m.start(1), m.end(1))
    if current is not None:
        tables.append(_with_kv_tail(text, current))
    return tables


def _inline_kv_row(text: str, label_start: int, label_end: int, num_start: int, num_end: int) -> Row:
    """A flattened key/value pair: the label names the item and, by its words, the basis."""
    label = text[label_start:label_end]
    return Row("kv", label_start, num_end, [], subject=label, subject_cell=Cell(0, label_start, label_end, label),
               values=[Cell(1, num_start, num_end, text[num_start:num_end])], basis=_label_basis(label))


def _with_kv_tail(text: str, table: Table) -> Table:
    """Add the ``LABEL NUMBER`` pairs after the table's last row, up to the end of its line."""
    line_end = text.find("\n", table.end)
    line_end = len(text) if line_end < 0 else line_end
    if _INLINE_KV_RE.search(text, table.end, line_end):
        return table  # another flattened table follows on this line: not a tail
    found = list(_KV_TAIL_RE.finditer(text, table.end, line_end))
    for i, m in enumerate(found):
        label, (a, b) = m.group(1), m.span(2)
        # each label is printed once per column, and the PDF line breaks between cells are gone:
        # "省财政  省财政市县财政 100 市县财政 100" — the next cell's label names this one too
        if i + 1 < len(found):
            nxt = found[i + 1].group(1)
            if label != nxt and label.endswith(nxt) and len(nxt) >= 2:
                label = nxt
        table.rows.append(_inline_kv_row(text, m.end(1) - len(label), m.end(1), a, b))
        table.end = b
    return table


# --- score tables (项目支出绩效自评表) -------------------------------------------------------
# The national indicator framework's score table, as PDF-to-text leaves it: one run after the
# header "一级指标 分值 二级指标 分值 三级指标 分值 得分", rows glued together —
# "决策40项目立项 8立项依据充分性 4 4立项程序规范性 4 4…总分 100 100 99". A name with one number is
# a weight (一级/二级指标); with two or more, the last is the indicator's 得分 (source 002).
_SCORE_HEADER_RE = re.compile(r"三级指标[ ]?分值[ ]?得分")
_SCORE_SEGMENT_RE = re.compile(rf"([{_HAN}()（）]{{2,40}}+)[ ]{{0,3}}+((?:\d{{1,3}}+(?:\.\d{{1,2}}+)?+\s{{0,8}}+){{1,3}}+)")
_SCORE_NUMBER_RE = re.compile(r"\d{1,3}+(?:\.\d{1,2}+)?+")
_SCORE_REGION = 2000  # characters after the header that the table may span
_SCORE_END_RE = re.compile(r"评价等次|评价结论|\n\s*\n\s*[一二三四五六七八九十]+\s?、")
_FIRST_LEVEL = ("决策", "过程", "产出", "效益", "满意度")  # 一级指标 of the national framework
_NOTE_LENGTH = 12  # a longer "name" is the framework's note column, not an indicator


def _score_tables(text: str, period: Optional[str]) -> list[Table]:
    tables: list[Table] = []
    pos = 0
    while (h := _SCORE_HEADER_RE.search(text, pos)) is not None:
        a = h.end()
        end = _SCORE_END_RE.search(text, a, a + _SCORE_REGION)
        b = end.start() if end else min(len(text), a + _SCORE_REGION)
        nxt = _SCORE_HEADER_RE.search(text, a, b)
        b = nxt.start() if nxt else b
        pos = max(b, a)  # regions never overlap: each character is scanned once
        head = text[max(0, h.start() - 200): h.start()]
        pm = None
        for pm in _PERIOD_CAPTION_RE.finditer(head):
            pass
        table = Table("score", h.start(), h.end(), unit="分", period=pm.group(1) if pm else period)
        previous: Optional[str] = None
        for m in _SCORE_SEGMENT_RE.finditer(text, a, b):
            name, name_start = m.group(1), m.start(1)
            numbers = [Cell(i, n.start(), n.end(), n.group()) for i, n in
                       enumerate(_SCORE_NUMBER_RE.finditer(text, m.start(2), m.end(2)))]
            subject_cell: Optional[Cell]
            if len(name) > _NOTE_LENGTH:  # a note: its numbers are the previous indicator's
                subject, subject_cell = previous, None
            else:
                for first in _FIRST_LEVEL:  # "效益经济效益": the 一级指标 glued to the indicator
                    if name.startswith(first) and len(name) - len(first) >= 4:
                        name, name_start = name[len(first):], name_start + len(first)
                        break
                if name.endswith("总分"):  # "…意度总分": the tail of a broken cell, then 总分
                    name, name_start = "总分", m.end(1) - 2
                subject, subject_cell = name, Cell(0, name_start, m.end(1), name)
            previous = subject
            table.rows.append(Row("score", name_start, m.end(2), [], subject=subject, subject_cell=subject_cell,
                                  values=numbers))
            table.end = numbers[-1].end  # the segment pattern holds at least one number
        if table.rows:
            tables.append(table)
    return tables


def score_of(row: Row) -> Optional[Cell]:
    """The 得分 cell of a score-table row: the last of two or more numbers."""
    return row.values[-1] if row.kind == "score" and len(row.values) >= 2 else None


# --- entities -----------------------------------------------------------------------------


def layout_entities(tables: list[Table]) -> list[LayoutEntity]:
    """Entities that table structure makes certain (see docs/tables.md): UNIT for declared
    units, AMOUNT for bare numbers in money cells, SUBJECT_CODE for the code column,
    SUBJECT for row names and indicators, and target numbers whose unit sits in its own cell."""
    out: list[LayoutEntity] = []
    for t in tables:
        if t.unit_span is not None and t.unit:
            out.append(LayoutEntity(t.unit_span[0], t.unit_span[1], "UNIT", None, t.unit))
        if t.kind == "score":  # every number is a score (QUANTITY 分); scored indicators are SUBJECTs
            for r in t.rows:
                if r.subject_cell is not None and score_of(r) is not None:
                    out.append(LayoutEntity(r.subject_cell.start, r.subject_cell.end, "SUBJECT"))
                for v in r.values:
                    out.append(LayoutEntity(v.start, v.end, "QUANTITY", decimal_string(Decimal(v.text)), "分"))
            continue
        if t.kind == "target":
            for r in t.rows:
                if r.subject_cell is not None:
                    out.append(LayoutEntity(r.subject_cell.start, r.subject_cell.end, "SUBJECT"))
                if r.unit_embedded or r.unit_cell is None or r.number is None:
                    continue  # a unit written with the number is the rules' entity
                meas = target_measure(r.number, r.unit)
                if meas is None:
                    continue
                label, value, unit = meas
                v = r.values[0]
                out.append(LayoutEntity(v.start, v.end, label, value, unit))
                out.append(LayoutEntity(r.unit_cell.start, r.unit_cell.end, "UNIT", None, r.unit))
            continue
        for r in t.rows:
            if r.code_cell is not None and r.code:
                out.append(LayoutEntity(r.code_cell.start, r.code_cell.end, "SUBJECT_CODE", r.code))
            if r.subject_cell is not None and r.subject_cell.end > r.subject_cell.start:
                out.append(LayoutEntity(r.subject_cell.start, r.subject_cell.end, "SUBJECT"))
            if not t.is_money:
                continue
            for v in r.values:
                value = money_value(v.text, t.unit or "")
                if value is not None:
                    out.append(LayoutEntity(v.start, v.end, "AMOUNT", value, "CNY"))
    out.sort(key=lambda e: (e.start, e.end))
    return out

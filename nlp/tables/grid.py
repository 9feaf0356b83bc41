"""The shared table model: ``Table``/``Row``/``Column``/``Cell`` with exact offsets, header
paths (merged cells expanded), column roles, periods and bases, and the grid builder that
turns rows of cells into data rows. Knows nothing of the source form (see ``readers``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Callable, Iterator, Optional

from nlp.contract import COUNT_UNITS
from nlp.codes import CodeTable


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
INDEX_LABELS = ("栏次", "行次", "栏号", "行号")
# A unit in a header cell, ASCII or full-width brackets: "合计(万元)", "决算数（万元）"
_HEADER_UNIT_RE = re.compile(r"\s{0,3}[(（]\s{0,3}(亿元|千元|万元|元)\s{0,3}[)）]")
# A row label that names a basis and maybe a year, not an item (三公 tables: 年初预算数, 2024年预算数)
_BASIS_LABEL_RE = re.compile(r"(?:((?:19|20)\d{2})\s{0,2}年度?)?\s{0,2}(上年|本年|当年)?(年初预算数?|调整预算数?|全年预算数?|预算数?|决算数?|执行数|实际支出数?|预算执行数)")

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
    printed: Optional[str] = None  # the leaf label as the client printed it, without its unit ("因公出国（境）费")

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
    code_doubt: Optional[str] = None  # why the code's reading is not sure (an abbreviated code with two readings)
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
    period: Optional[str] = None  # a row label that names a year (三公 tables: "2024年预算数")
    label: Optional[str] = None  # a row label that names a basis, not an item (年初预算数, 决算数)
    label_cell: Optional[Cell] = None
    layout_cells: list[Cell] = field(default_factory=list)  # cells that are layout only (类/款 parts repeated on a 项 row)


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
    unit_spans: list[tuple[int, int]] = field(default_factory=list)
    title_span: Optional[tuple[int, int]] = None  # where the title stands (the line above the block)
    repeated_rows: list[list[Cell]] = field(default_factory=list)  # header/index rows printed again after a page break
    note_spans: list[tuple[int, int]] = field(default_factory=list)  # 公开05表 / 表3 / 编制单位：… lines above it  # more UNIT spans: one per column header "合计(万元)"

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
    for i, c in enumerate(cells):
        if not c.text:
            continue
        if _STARS_RE.fullmatch(c.text) or (not ints and c.text in INDEX_LABELS):
            continue
        if _INT_RE.fullmatch(c.text) is None:
            return False
        ints.append(int(c.text))
    return len(ints) >= 2 and all(b == a + 1 for a, b in zip(ints, ints[1:]))


def _is_text_only(cells: list[Cell]) -> bool:
    return all(not c.text or not is_number(c.text) for c in cells)


def _has_number(cells: list[Cell]) -> bool:
    return any(c.text and is_number(c.text) for c in cells)


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
            label = clean_subject(_HEADER_UNIT_RE.sub("", grid[r][c]))
            if label and (not path or path[-1] != label):
                path.append(label)
        paths.append(tuple(path))
    return paths


_CODE_PART_ROLES = {"类": "code1", "款": "code2", "项": "code3"}
CODE_ROLES = ("code", "code1", "code2", "code3")


def _column_role(path: tuple[str, ...]) -> str:
    leaf = path[-1] if path else ""
    joined = "".join(path)
    if "编码" in leaf or "代码" in leaf:
        return "code" if "科目" in joined else "org_code"
    if leaf in _CODE_PART_ROLES:  # 类 | 款 | 项: the code over three columns
        return _CODE_PART_ROLES[leaf]
    if leaf in INDEX_LABELS:  # 行次 of a 收支总表: numbers the lines, no amount
        return "index"
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
        if col is not None and (col.role == "name" or col.role in CODE_ROLES) and c.text:
            return True
    return False



class _GridBuilder:
    def __init__(self, table: Table, codes: CodeTable, doc_period: Optional[str] = None,
                 surface: Optional[Callable[[int, int], str]] = None):
        self.table = table
        self.codes = codes
        self.doc_period = doc_period
        self.surface = surface
        self.resolver = CodeResolver(codes)

    def set_header(self, header_rows: list[list[Cell]], ncols: int) -> None:
        t = self.table
        t.header_rows = header_rows
        paths = _header_paths(header_rows, ncols)
        printed = paths
        if self.surface is not None:
            surf = self.surface
            printed = _header_paths([[Cell(c.col, c.start, c.end, surf(c.start, c.end) if c.text else "") for c in row]
                                     for row in header_rows], ncols)
        t.columns = [
            Column(i, p, _column_role(p), _column_period(p, self.doc_period), _column_basis(p),
                   printed[i][-1] if i < len(printed) and printed[i] else None)
            for i, p in enumerate(paths)
        ]
        # a unit in a header cell: "金额(万元)", "合计（万元）" (one UNIT per header that says it)
        for cells in header_rows:
            for c in cells:
                m = _UNIT_CAPTION_RE.search(c.text) if c.text and len(c.text) <= 30 else None
                if m is None:
                    continue
                span = (c.start + m.start(1), c.start + m.end(1))
                if t.unit is None:
                    t.unit, t.unit_span = m.group(1), span
                elif m.group(1) == t.unit and span != t.unit_span:
                    t.unit_spans.append(span)

    def _ensure_columns(self, n: int) -> None:
        t = self.table
        while len(t.columns) < n:
            t.columns.append(Column(len(t.columns), (), "value"))

    def _groups(self, cells: list[Cell]) -> list[list[Cell]]:
        """Cells split where a code/name column follows a value column: a 收支总表 row
        ``一、财政拨款收入\t881.44\t一、社会保障和就业支出\t85.72`` holds two items."""
        groups: list[list[Cell]] = [[]]
        seen_value = False
        for c in cells:
            role = self.table.columns[c.col].role
            if (role == "name" or role in CODE_ROLES) and seen_value:
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
            code_cells: list[tuple[str, Cell]] = []
            for c in group:
                col = t.columns[c.col]
                if not c.text:
                    continue
                if col.role == "name" and row.subject_cell is None and not is_number(c.text):
                    name = c
                    if not any(r == "code" for r, _ in code_cells):
                        split = split_code_name(c)  # "2040501 行政运行": the code and the name in one cell
                        if split is not None:
                            code_cells.append(("code", split[0]))
                            name = split[1]
                    row.subject_cell = _strip_marker(name)
                    row.subject = clean_subject(row.subject_cell.text)
                elif col.role in CODE_ROLES:
                    code_cells.append((col.role, c))
                elif col.role == "value" and is_number(c.text):
                    row.values.append(c)
            if row.subject is not None and not code_cells:
                lm = _BASIS_LABEL_RE.fullmatch(row.subject)
                if lm is not None:  # "年初预算数", "2024年预算数": a basis label, the items are the columns
                    row.label, row.label_cell = row.subject, row.subject_cell
                    row.subject, row.subject_cell = None, None
                    row.basis = _column_basis((lm.group(3) + ("数" if not lm.group(3).endswith("数") else ""),))
                    row.period = lm.group(1) or _column_period((lm.group(2) or "",), self.doc_period) or None
            if code_cells:
                found = self.resolver.resolve(code_cells, row.subject)
                if found is not None:
                    row.code, row.code_cell = found
                    row.code_doubt = self.resolver.doubt
                    row.layout_cells = [c for _, c in code_cells if c is not row.code_cell and c.col != row.code_cell.col]
            if row.values or row.subject or row.code:
                t.rows.append(row)


from nlp.tables.codes import CodeResolver, split_code_name  # noqa: E402  (codes uses the model above)

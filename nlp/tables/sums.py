"""Sum relations that a table's own structure makes sure.

Parts and whole are always read from one table, and only money amounts take part (a share or
a rate is never a part). Two structures say the parts are complete:

- **the code hierarchy** (rows, one value column at a time): a row of code P against the rows
  of its child codes (``parent_sum``), a 合计/总计 row against the rows of the top codes, those
  with no ancestor in the table (``total_sum``);
- **the header tree** (columns, one row at a time): under one header node, a 合计/总计 column
  (or a label ending so, 本年收入合计) against its sibling columns, a group counting by its own
  total or its leaves (``column_sum``: 合计 = 基本支出 + 项目支出). A 小计 totals its group. A
  flat header that prints a 小计 or a known whole beside its parts (``小计 | 公务用车购置费 |
  公务用车运行维护费``) is read through the national compositions in ``nlp/data/table_sums.json``; a column
  headed 其中…, 差额, 增减, 比例 … is no part of any sum and never a total.

Where the structure does not say the parts are complete, the relation goes to ``unchecked``
with the reason: an abbreviated code with two readings, a code printed twice with different
figures, a 项 row whose 款 row is missing, rows without a code beside the coded rows of a
合计, two total rows or columns at one level, a 小计 whose columns are not known, a header that
puts one of two sibling parts under the other (项目支出 under 基本支出).

Tolerance: every figure is taken as rounded to the decimals its column prints (a cell that
prints fewer, ``0`` among ``12.50``, to the column's), half a unit of the last printed digit
each, summed over the parts and the whole.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional, Sequence

from nlp.checks import Link
from nlp.codes import CodeTable
from nlp.contract import MONEY_UNIT, Fact
from nlp.tables.code_names import canonical_name

__all__ = ["SUMS_DATA", "table_sum_links"]

_MAX_SIBLINGS = 64  # a header level wider than this is no fiscal header: no column sums (bounds the work)
SUMS_DATA = Path(__file__).parent.parent / "data" / "table_sums.json"


@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(SUMS_DATA.read_text(encoding="utf-8"))


@lru_cache(maxsize=4096)
def _stem(label: str) -> str:
    """A label as compared with a composition's part: 公务用车购置 = 公务用车购置费."""
    s = canonical_name(label)
    for tail in ("费用", "费", "支出"):
        if s.endswith(tail) and len(s) > len(tail) + 1:
            return s[: -len(tail)]
    return s


@lru_cache(maxsize=4096)
def _is_total(label: str, names: tuple[str, ...]) -> bool:
    s = canonical_name(label)
    return any(s == n or s.endswith(n) for n in names)


@lru_cache(maxsize=4096)
def _is_share(label: str) -> bool:
    """A column of shares or rates (占比（%）): its figures are never summed."""
    s = canonical_name(label)
    return any(w in s for w in _data()["not_parts"]["shares"])


@lru_cache(maxsize=4096)
def _not_a_part(label: str) -> bool:
    s = canonical_name(label)
    np = _data()["not_parts"]
    return s.startswith(tuple(np["prefixes"])) or any(w in s for w in np["differences"]) or _is_share(s)


@lru_cache(maxsize=4096)
def _compositions(whole: Optional[str]) -> tuple[tuple[str, ...], ...]:
    if not whole:
        return ()
    stem = _stem(whole)
    for name, alternatives in _data()["compositions"].items():
        if _stem(name) == stem:
            return tuple(tuple(_stem(p) for p in parts) for parts in alternatives)
    return ()


def _misread_group(group: Optional[str], labels: Iterable[str]) -> Optional[str]:
    """A header group that holds one of its own sibling parts (项目支出 under 基本支出)."""
    if group is None:
        return None
    g = canonical_name(group)
    for family in _data()["siblings"]:
        if g in family:
            inside = [x for x in labels if canonical_name(x) in family and canonical_name(x) != g]
            if inside:
                return f"the header puts {inside[0]} under {group}, its sibling: the header is misread"
    return None


# --- tolerance ------------------------------------------------------------------------------

def _decimals(text: str) -> int:
    t = text.strip()
    return len(t.split(".")[1]) if "." in t else 0


def _tolerances(table, fact_at: dict[int, int]) -> dict[int, Decimal]:
    """Half a unit of the last digit the column prints (its most decimals: at least the cell's own), in yuan."""
    scale = table.multiplier or Decimal(1)
    col_dec: dict[int, int] = {}
    for row in table.rows:
        for c in row.values:
            col_dec[c.col] = max(col_dec.get(c.col, 0), _decimals(c.text))
    out: dict[int, Decimal] = {}
    for row in table.rows:
        for c in row.values:
            i = fact_at.get(c.start)
            if i is not None:
                out[i] = Decimal(5) / (Decimal(10) ** (col_dec[c.col] + 1)) * scale
    return out


# --- rows: the code hierarchy ----------------------------------------------------------------

def _row_links(table, fact_at: dict[int, int], facts: Sequence[Fact], codes: CodeTable, tol) -> list[Link]:
    links: list[Link] = []
    by_col: dict[int, list[tuple[object, int]]] = {}
    shares = {c.index for c in table.columns if any(_is_share(x) for x in c.path)}
    for row in table.rows:
        for c in row.values:
            i = fact_at.get(c.start)
            if i is not None and c.col not in shares:
                by_col.setdefault(c.col, []).append((row, i))
    total_names = _data()["total_rows"]
    for entries in by_col.values():
        by_code: dict[str, int] = {}
        doubts: dict[str, str] = {}
        totals: list[int] = []
        loose: list[str] = []
        for row, i in entries:
            code = getattr(row, "code", None)
            if code:
                if code in by_code and facts[by_code[code]].value != facts[i].value:
                    doubts[code] = f"code {code} is printed twice in one column with different figures"
                by_code.setdefault(code, i)
                if getattr(row, "code_doubt", None):
                    doubts.setdefault(code, row.code_doubt)
            elif row.subject and _is_total(row.subject, tuple(total_names)):
                totals.append(i)
            elif row.subject:
                loose.append(row.subject)
        present = set(by_code)

        def ancestors(code: str) -> list[str]:
            out, p = [], codes.parent(code)
            while p is not None:
                out.append(p)
                p = codes.parent(p)
            return out

        # one pass each (a table may have 10^5 rows): children, and the first orphan under
        # each listed ancestor (a code whose parent row is missing)
        kids_of: dict[str, list[str]] = {}
        orphan_under: dict[str, str] = {}
        for c in sorted(present):
            parent = codes.parent(c)
            if parent in present:
                kids_of.setdefault(parent, []).append(c)
            else:
                for a in ancestors(c):
                    if a in present:
                        orphan_under.setdefault(a, c)
        for p, kids in kids_of.items():
            reason = next((doubts[c] for c in (p, *kids) if c in doubts), None)
            if reason is None and p in orphan_under:
                o = orphan_under[p]
                reason = f"a row of {o} without the row of its parent {codes.parent(o)}: the children of {p} may not all be printed"
            links.append(Link("parent_sum", {"total": by_code[p], "parts": [by_code[c] for c in kids]},
                              uncertain=reason, tolerances=tol))
        if not totals or not present:
            continue
        top = [c for c in sorted(present) if not any(a in present for a in ancestors(c))]  # ancestors: at most 2
        reason = next((doubts[c] for c in top if c in doubts), None)
        if reason is None and len({facts[i].value for i in totals}) > 1:
            reason = "several total rows in one column"
        if reason is None and loose:
            reason = f"a row without a code ({loose[0]}) beside the coded rows: the codes may not be all the parts"
        links.append(Link("total_sum", {"total": totals[0], "parts": [by_code[c] for c in top]},
                          uncertain=reason, tolerances=tol))
    return links


# --- columns: the header tree ------------------------------------------------------------------

def _level(cells: list[tuple[tuple[str, ...], int]], prefix: tuple[str, ...], facts: Sequence[Fact],
           links: list[Link], tol) -> tuple[list[int], Optional[str]]:
    """Column sums under header node ``prefix`` of one row's cells ``(path, fact)``. Returns
    the facts that stand for the node and why they are not sure (None: they are)."""
    data = _data()
    children: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for path, i in cells:
        if path[: len(prefix)] == prefix and len(path) > len(prefix):
            children.setdefault(path[len(prefix)], []).append((path, i))
    depth = len(prefix) + 1
    if len(children) > _MAX_SIBLINGS:
        return [], "too many columns at one header level to be a fiscal header"
    doubt = _misread_group(prefix[-1] if prefix else None, children)
    nodes: dict[str, list[int]] = {}
    for label, members in children.items():
        leaves = [i for p, i in members if len(p) == depth]
        if len(leaves) > 1:
            doubt = doubt or f"two columns headed {label} at one level"
        if leaves:
            nodes[label] = leaves[:1]
        else:
            got, why = _level(members, prefix + (label,), facts, links, tol)
            nodes[label] = got
            doubt = doubt or why
    labels = [x for x in nodes if not _not_a_part(x)]
    totals = [x for x in labels if _is_total(x, tuple(data["total_columns"]))]
    subs = [x for x in labels if x in data["subtotal"]]
    if not totals and len(subs) == 1:  # a group's own 小计
        totals, subs = subs, []
    if len(totals) > 1:
        doubt = doubt or f"two total columns ({totals[0]}, {totals[1]}) at one level"
    # wholes printed beside their parts: a 小计 named by the meaning layer, or a known whole
    covered: set[str] = set()
    for label in labels:
        if label in totals:
            continue
        whole = facts[nodes[label][0]].subject if label in subs else label
        stems = {_stem(x): x for x in labels if x not in totals and x not in subs and x != label}
        parts = next((alt for alt in _compositions(whole) if all(s in stems for s in alt)), None)
        if parts is not None:
            names = [stems[s] for s in parts]
            covered.update(names)
            links.append(Link("column_sum", {"total": nodes[label][0], "parts": [i for n in names for i in nodes[n]]},
                              uncertain=doubt, tolerances=tol))
        elif label in subs:
            reason = "a 小计 column with no header group above it: the columns it totals are not printed"
            links.append(Link("column_sum", {"total": nodes[label][0], "parts": [i for x in labels if x not in totals
                                                                                  and x != label for i in nodes[x]]},
                              uncertain=reason, tolerances=tol))
            doubt = doubt or reason
    parts = [i for x in labels if x not in totals and x not in covered for i in nodes[x]]
    if totals:
        total = nodes[totals[0]][0]
        if parts:
            links.append(Link("column_sum", {"total": total, "parts": parts}, uncertain=doubt, tolerances=tol))
        return [total], doubt  # a misread level makes its total doubtful to its parent too
    return parts, doubt


def _column_links(table, fact_at: dict[int, int], facts: Sequence[Fact], tol) -> list[Link]:
    links: list[Link] = []
    paths = {c.index: tuple(canonical_name(x) for x in c.path) if c.path else (str(c.index),)
             for c in table.columns if c.role == "value"}
    for row in table.rows:
        cells = [(paths[c.col], fact_at[c.start]) for c in row.values if c.col in paths and c.start in fact_at]
        if len(cells) > 1:
            _level(cells, (), facts, links, tol)
    return links


def table_sum_links(facts: Sequence[Fact], tables, codes: Optional[CodeTable] = None) -> list[Link]:
    """The sum relations of every grid table in ``tables`` (``doc._.tables``) among ``facts``."""
    codes = codes or CodeTable.load()
    fact_at = {f.evidence.start: i for i, f in enumerate(facts)
               if f.measure == "amount" and f.unit == MONEY_UNIT}
    links: list[Link] = []
    for table in tables or ():
        if getattr(table, "kind", None) != "grid" or not table.is_money:
            continue
        tol = _tolerances(table, fact_at)
        links += _row_links(table, fact_at, facts, codes, tol)
        links += _column_links(table, fact_at, facts, tol)
    return links

"""Arithmetic checks over facts: does each stated figure follow from the figures it is made of?

Kinds (``Check.kind``):

- ``parent_sum``: a table row with a classification code vs the sum of its child codes' rows
  (same table, same column);
- ``total_sum``: a 合计 row vs the sum of the top-level codes; in prose, a whole vs the items
  listed under it (``其中…`` / ``包括…`` / ``按…划分:`` / ``…的具体构成为:``);
- ``column_sum``: a row's 合计 column vs the sum of its other columns;
- ``change_sum``: the stated change of a whole vs the signed changes of its listed items;
- ``change_pct``: a percentage change vs change / (amount − change);
- ``execution_pct``: 完成预算 X% vs 决算数 / 预算数;
- ``share_pct``: 占 X% vs part / total;
- ``balance``: the two sides of a balanced account (收入总计 = 支出总计, 收入预算总额 =
  支出预算总额): the same period's amounts must agree, and so must their changes;
- ``code_name``: a table row's code whose printed name is not the national classification's
  name for it (no arithmetic; ``nlp/tables/code_names.py``).

Table sums are built only where the table's structure says the parts are complete
(``nlp/tables/sums.py``); others go to ``unchecked`` with their reason.

Figures are rounded for display, so every comparison is made on intervals: a money figure
shown with k decimals of its unit is exact to ±0.5·10^-max(k,2) of that unit (``428.59万元``
→ ±50 yuan; ``62万元`` is read as ``62.00``, the way these reports drop trailing zeros), a
table cell to half a unit of the last digit its column prints, a percentage with k decimals
to ±0.5·10^-k, a count is exact. Sums add the half-units, ratios
use interval arithmetic. Only what fails beyond that is reported, and the facts involved get
the flag ``inconsistent``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Iterable, Optional, Sequence

from nlp.contract import MONEY_UNIT, PERCENT_UNIT, Check, Fact

__all__ = ["Link", "Unchecked", "PARTIAL_LIST", "balance_links", "check_facts", "check_links", "table_links", "mark_inconsistent", "fact_tolerance"]

_NUMBER = re.compile(r"(?<![\d.])\d[\d,]*+(?:\.\d++)?+")
_UNIT_SCALE = (("亿元", Decimal(10) ** 8), ("万元", Decimal(10) ** 4), ("千元", Decimal(1000)), ("元", Decimal(1)))
_HUNDRED = Decimal(100)


@dataclass
class Link:
    """A relation between facts (indices) to verify; see the module docstring for the kinds.

    roles: ``pct``/``change``/``amount`` (change_pct), ``pct``/``budget``/``actual``
    (execution_pct), ``pct``/``part``/``total`` (share_pct), ``total``/``parts`` (sums),
    ``left``/``right`` (balance)."""

    kind: str
    roles: dict
    # Why the relation cannot be checked for sure (None: it can). For a sum whose parts are not
    # said to be complete (``其中…`` without 包括/构成/划分, a table's 合计 or a known composition),
    # only parts exceeding their whole are sure; a shortfall goes to ``unchecked``.
    uncertain: Optional[str] = None
    # Rounding of each fact (index → yuan) where the relation knows it better than the figure's
    # own text: a table cell is rounded to the decimals its column prints (``nlp.tables.sums``).
    tolerances: Optional[dict] = None
    # What a relation that is no arithmetic compares (``code_name``: code, printed and national
    # names, evidence offsets).
    detail: Optional[dict] = None


@dataclass
class Unchecked:
    """A relation that was found but is not checked for sure (contract v2 ``unchecked``)."""

    kind: str
    facts: list[int]
    reason: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "facts": list(self.facts), "reason": self.reason}


PARTIAL_LIST = "parts not said to be complete (a shortfall may be items not listed)"


def _fmt(d: Decimal) -> str:
    """An exact decimal string without exponent or trailing zeros."""
    if d == 0:
        return "0"
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def _dec(value: str) -> Optional[Decimal]:
    try:
        d = Decimal(value)
    except (InvalidOperation, TypeError):
        return None
    return d if d.is_finite() else None


def fact_tolerance(fact: Fact, text: str, default_scale: Decimal = Decimal(10000)) -> Decimal:
    """Half a unit of the last place the figure shows, in the fact's own unit (yuan, %, count)."""
    shown = text[fact.evidence.start: fact.evidence.end] if text else ""
    m = _NUMBER.search(shown)
    value = _dec(fact.value) or Decimal(0)
    if fact.unit == PERCENT_UNIT:
        if not m:
            return Decimal(0)
        k = len(m.group().split(".")[1]) if "." in m.group() else 0
        return Decimal(5) / (Decimal(10) ** (k + 1))
    if fact.unit != MONEY_UNIT:
        return Decimal(0)  # a count is exact
    if not m:
        return Decimal(0)  # written in words: exact
    number = _dec(m.group().replace(",", "")) or Decimal(0)
    k = len(m.group().split(".")[1]) if "." in m.group() else 0
    if number != 0:
        scale = value / number
    else:
        scale = next((s for u, s in _UNIT_SCALE if u in shown), default_scale)
    return Decimal(5) / (Decimal(10) ** (max(k, 2) + 1)) * scale


class _Ctx:
    def __init__(self, facts: Sequence[Fact], text: str):
        self.facts = facts
        self.text = text

    def val(self, i: int) -> Decimal:
        return _dec(self.facts[i].value) or Decimal(0)

    def tol(self, i: int) -> Decimal:
        return fact_tolerance(self.facts[i], self.text)

    def shown(self, i: int) -> str:
        f = self.facts[i]
        return "".join(self.text[f.evidence.start: f.evidence.end].split()) if self.text else f.value

    def name(self, i: int) -> str:
        f = self.facts[i]
        parts = [f.subject or "?"]
        if f.column:
            parts.append(f"[{f.column}]")
        if f.basis:
            parts.append(f"({'预算数' if f.basis == 'budget' else '决算数'})")
        return "".join(parts)


def _usable(f: Fact) -> bool:
    return "template" not in f.flags and "approximate" not in f.flags


def _signed(f: Fact) -> Optional[Decimal]:
    v = _dec(f.value)
    if v is None or f.direction is None:
        return None
    return {"increase": v, "decrease": -v, "flat": Decimal(0)}[f.direction]


def _ratio_interval(num: Decimal, dnum: Decimal, den: Decimal, dden: Decimal) -> Optional[tuple[Decimal, Decimal]]:
    """100·num/den over the intervals num±dnum, den±dden; None when den may be 0."""
    lo_d, hi_d = den - dden, den + dden
    if lo_d <= 0:
        return None
    lo_n, hi_n = max(Decimal(0), num - dnum), num + dnum
    return _HUNDRED * lo_n / hi_d, _HUNDRED * hi_n / lo_d


def _pct_check(ctx: _Ctx, kind: str, pct: int, num: Decimal, dnum: Decimal, den: Decimal, dden: Decimal,
               involved: list[int], explain: str) -> Optional[Check]:
    rng = _ratio_interval(num, dnum, den, dden)
    if rng is None:
        return None
    stated = ctx.val(pct)
    tol = ctx.tol(pct)
    lo, hi = rng
    if stated + tol >= lo and stated - tol <= hi:
        return None
    computed = (_HUNDRED * num / den).quantize(Decimal("0.01"))
    return Check(
        kind=kind,
        message=f"{ctx.name(pct)}: stated {ctx.shown(pct)} but {explain} = {_fmt(computed)}%",
        stated=_fmt(stated),
        computed=_fmt(computed),
        tolerance=_fmt((tol + (hi - lo) / 2).quantize(Decimal("0.0001"))),
        facts=sorted(set(involved)),
        evidence=[ctx.facts[i].evidence for i in sorted(set(involved))],
    )


def _sum_check(ctx: _Ctx, kind: str, total: int, parts: list[int], values: Optional[list[Decimal]] = None,
               stated: Optional[Decimal] = None, tolerances: Optional[dict] = None) -> Optional[Check]:
    vals = values if values is not None else [ctx.val(i) for i in parts]
    computed = sum(vals, Decimal(0))
    stated = ctx.val(total) if stated is None else stated
    half = (lambda i: tolerances[i] if i in tolerances else ctx.tol(i)) if tolerances else ctx.tol  # noqa: E731
    tol = half(total) + sum((half(i) for i in parts), Decimal(0))
    if abs(stated - computed) <= tol:
        return None
    involved = [total, *parts]
    unit = ctx.facts[total].unit
    scale = Decimal(10000) if unit == MONEY_UNIT else Decimal(1)
    show = lambda d: _fmt(d / scale) + ("万元" if unit == MONEY_UNIT else unit)  # noqa: E731
    items = " + ".join(f"{ctx.name(i)} {show(v)}" for i, v in zip(parts, vals))
    return Check(
        kind=kind,
        message=f"{ctx.name(total)} {show(stated)} ≠ {items} = {show(computed)}",
        stated=_fmt(stated),
        computed=_fmt(computed),
        tolerance=_fmt(tol),
        facts=involved,
        evidence=[ctx.facts[i].evidence for i in involved],
    )


def _balance_check(ctx: _Ctx, a: int, b: int) -> Optional[Check]:
    """Two sides of a balanced account: equal amounts, or equal signed changes."""
    fa, fb = ctx.facts[a], ctx.facts[b]
    if fa.measure == "amount":
        va, vb = ctx.val(a), ctx.val(b)
    else:
        va, vb = _signed(fa), _signed(fb)  # type: ignore[assignment]
        if va is None or vb is None:
            return None
    tol = ctx.tol(a) + ctx.tol(b)
    if abs(va - vb) <= tol:
        return None
    what = "amounts" if fa.measure == "amount" else f"changes against {fa.base_period or 'the base'}"
    return Check(
        kind="balance",
        message=f"{ctx.name(a)} {ctx.shown(a)} ≠ {ctx.name(b)} {ctx.shown(b)}: the two sides of a balanced "
                f"account have equal {what}",
        stated=_fmt(va),
        computed=_fmt(vb),
        tolerance=_fmt(tol),
        facts=[a, b],
        evidence=[fa.evidence, fb.evidence],
    )


def _check_link(ctx: _Ctx, link: Link) -> Optional[Check]:
    f = ctx.facts
    r = link.roles
    ids = [i for k, v in r.items() for i in (v if isinstance(v, list) else [v])]
    if any(not (0 <= i < len(f)) for i in ids) or not all(_usable(f[i]) for i in ids):
        return None
    if link.kind == "change_pct":
        pct, chg, amt = r["pct"], r["change"], r["amount"]
        d_pct, d_chg = f[pct].direction, f[chg].direction
        if d_pct and d_chg and "flat" not in (d_pct, d_chg) and d_pct != d_chg:
            return Check(
                kind="change_pct",
                message=f"{ctx.name(pct)}: the change is stated as {d_chg} but the percentage as {d_pct}",
                stated=f[pct].value, computed=f[pct].value, tolerance="0",
                facts=sorted({pct, chg, amt}), evidence=[f[i].evidence for i in sorted({pct, chg, amt})],
            )
        a, c = ctx.val(amt), ctx.val(chg)
        base = a + c if d_chg == "decrease" else a - c if d_chg == "increase" else a
        return _pct_check(ctx, "change_pct", pct, c, ctx.tol(chg), base, ctx.tol(amt) + ctx.tol(chg),
                          [pct, chg, amt], f"{ctx.shown(chg)} / ({ctx.shown(amt)} {'+' if d_chg == 'decrease' else '−'} {ctx.shown(chg)})")
    if link.kind == "execution_pct":
        pct, bud, act = r["pct"], r["budget"], r["actual"]
        return _pct_check(ctx, "execution_pct", pct, ctx.val(act), ctx.tol(act), ctx.val(bud), ctx.tol(bud),
                          [pct, bud, act], f"决算数 {ctx.shown(act)} / 预算数 {ctx.shown(bud)}")
    if link.kind == "share_pct":
        pct, part, total = r["pct"], r["part"], r["total"]
        return _pct_check(ctx, "share_pct", pct, ctx.val(part), ctx.tol(part), ctx.val(total), ctx.tol(total),
                          [pct, part, total], f"{ctx.shown(part)} / {ctx.name(total)} {ctx.shown(total)}")
    if link.kind in ("total_sum", "parent_sum", "column_sum"):
        if any(f[i].unit != f[r["total"]].unit for i in r["parts"]):
            return None
        return _sum_check(ctx, link.kind, r["total"], list(r["parts"]), tolerances=link.tolerances)
    if link.kind == "balance":
        return _balance_check(ctx, r["left"], r["right"])
    if link.kind == "code_name" and link.detail:
        d = link.detail
        return Check(
            kind="code_name",
            message=f"code {d['code']} is printed as {d['printed']} but the national classification names it {d['national']}",
            stated=d["printed"], computed=d["national"], tolerance="0",
            facts=list(r["row"]), evidence=[f[i].evidence for i in r["row"]] or list(d.get("evidence", [])),
        )
    if link.kind == "change_sum":
        total, parts = r["total"], list(r["parts"])
        signed = [_signed(f[i]) for i in parts]
        stated = _signed(f[total])
        if stated is None or any(s is None for s in signed):
            return None
        return _sum_check(ctx, "change_sum", total, parts, values=signed, stated=stated)  # type: ignore[arg-type]
    return None


# --- table relations ----------------------------------------------------------------------

def table_links(facts: Sequence[Fact], text: str, tables=None) -> list[Link]:
    """Sum relations among table facts that the table's own structure makes sure (parent code
    vs children, 合计 row vs top codes, 合计/小计 column vs its siblings), and relations of
    uncertain structure with their reason: ``nlp.tables.sums``. ``tables`` is
    ``doc._.tables``; without it the tables are read from ``text`` (normalised) again.
    A fully printed code whose row names it otherwise than the national table does is a
    ``code_name`` relation (``nlp.tables.code_names``)."""
    from nlp.tables import parse_tables
    from nlp.tables.code_names import code_name_links
    from nlp.tables.sums import table_sum_links

    if tables is None:
        tables = parse_tables(text) if text else []
    return table_sum_links(facts, tables) + code_name_links(facts, tables)


def _norm_name(s: Optional[str]) -> str:
    return "".join((s or "").split())


# --- balanced accounts ----------------------------------------------------------------------

# The two sides of an account that balances by construction (the 收支总表 of a 决算 or 预算).
_BALANCED_SIDES = (("收入总计", "支出总计"), ("收入预算总额", "支出预算总额"))


def balance_links(facts: Sequence[Fact]) -> list[Link]:
    """收入总计 vs 支出总计 (and 收入预算总额 vs 支出预算总额): amounts of the same period, basis
    and column, and changes against the same base period, must agree. A side stated more than
    once for the same key is ambiguous and left alone."""
    links: list[Link] = []
    for left, right in _BALANCED_SIDES:
        sides: dict[str, dict[tuple, list[int]]] = {left: {}, right: {}}
        for i, f in enumerate(facts):
            name = _norm_name(f.subject)
            if name not in sides or f.measure not in ("amount", "change"):
                continue
            key = (f.measure, f.period, f.basis, f.column, f.base_period)
            sides[name].setdefault(key, []).append(i)
        for key, ids in sides[left].items():
            other = sides[right].get(key, [])
            if len(ids) == 1 and len(other) == 1:
                links.append(Link("balance", {"left": ids[0], "right": other[0]}))
    return links


# --- the checker --------------------------------------------------------------------------

def check_facts(facts: Sequence[Fact], links: Iterable[Link], text: str = "") -> list[Check]:
    """Every failed check among ``links`` (facts are indices into ``facts``); ``text`` is the
    normalised text the evidence offsets point into (it gives the decimals each figure shows)."""
    return check_links(facts, links, text)[0]


def _link_facts(link: Link) -> list[int]:
    return sorted({i for v in link.roles.values() for i in (v if isinstance(v, list) else [v])})


def check_links(facts: Sequence[Fact], links: Iterable[Link], text: str = "") -> tuple[list[Check], list[Unchecked]]:
    """(failed checks, relations not checked for sure). A link marked ``uncertain`` is never
    reported, except a sum whose parts exceed their whole (parts of a whole cannot exceed it,
    listed completely or not); it is listed as unchecked with its reason instead."""
    ctx = _Ctx(facts, text)
    out: list[Check] = []
    unchecked: list[Unchecked] = []
    seen: set[tuple] = set()
    for link in links:
        key = (link.kind, tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in link.roles.items())),
               (link.detail or {}).get("code"))
        if key in seen:
            continue
        seen.add(key)
        check = _check_link(ctx, link)
        if link.uncertain is not None:
            exceeds = (check is not None and link.kind == "total_sum" and link.uncertain == PARTIAL_LIST
                       and Decimal(check.computed) > Decimal(check.stated) >= 0)
            if not exceeds:
                unchecked.append(Unchecked(link.kind, _link_facts(link), link.uncertain))
                continue
        if check is not None:
            out.append(check)
    return out, unchecked


def mark_inconsistent(facts: list[Fact], checks: Iterable[Check]) -> list[Fact]:
    """Facts with the flag ``inconsistent`` added to those a failed check involves."""
    bad = {i for c in checks for i in c.facts}
    out = list(facts)
    for i in bad:
        if 0 <= i < len(out) and "inconsistent" not in out[i].flags:
            out[i] = out[i].model_copy(update={"flags": [*out[i].flags, "inconsistent"]})
    return out

"""Write the development corpus: ``python annotations/dev/tools/build.py``.

Writes ``sources/<id>.txt``, ``gold/<id>.jsonl`` and ``meta/<id>.json`` for every prose and
table document (prose_docs.py, table_docs.py, special.py). The gold is the author's reading,
written in markup beside the text; nothing here runs the extractor. Re-running gives the
same files (every document's figures come from a generator seeded by its id).
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import prose_docs as P  # noqa: E402
import table_docs as T  # noqa: E402
from markup import records, render  # noqa: E402
from prose_style import TRAD, Writer  # noqa: E402
from special import SPECIAL  # noqa: E402
from tables import render as render_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

# Which documents carry a planted inconsistency, and in which section (by the section's name).
PLANTED_PROSE = {
    "p01-sc-fayuan": ("totals", "change_pct", "the change percentage of 收入总计 is 3.10 points above change / base"),
    "p02-gd-jianchayuan": ("income", "share_pct", "the share of 财政拨款收入 is 4 points above its amount / 本年收入合计"),
    "p04-js-jiaoyuju": ("spending", "total_sum", "基本支出 + 项目支出 exceeds 本年支出合计"),
    "p06-hun-yiyuan": ("general_overall", "execution_pct", "完成年初预算的 % is 7 points above 决算 / 年初预算"),
    "p08-hb-shuili": ("detail", "execution_pct", "a 具体情况 execution rate 12 points above 决算 / 年初预算"),
    "p10-yn-linye": ("sangong", "total_sum", "the 三公 total exceeds the sum of its three parts"),
    "p12-ah-minzheng": ("procurement", "total_sum", "货物 + 工程 + 服务 exceeds 政府采购支出总额"),
    "p13-fj-tongji": ("totals", "change_pct", "the change percentage of 收入总计 does not follow from the change and base"),
    "p03-hn-gonganju": ("budget_totals", "change_pct", "the change percentage of the budget total is 2.5 points off"),
    "p14-sx-wenlv": ("budget_sangong", "total_sum", "the 三公 budget exceeds the sum of its parts"),
    "p20-shx-huanjing": ("income", "share_pct", "the share of 财政拨款收入 is 4 points above its amount / 本年收入合计"),
    "p23-nm-tushuguan": ("spending", "total_sum", "基本支出 + 项目支出 exceeds 本年支出合计"),
}
PLANTED_TABLES = {  # (doc id, table number in the document): a parent code off by a cell
    ("t03-sc-gonganju", 1): "parent_sum",
    ("t11-js-tongji", 1): "parent_sum",
    ("t16-hlj-xuexiao", 2): "parent_sum",
}


def _seed(doc_id: str) -> random.Random:
    return random.Random(int(hashlib.sha256(doc_id.encode()).hexdigest()[:12], 16))


def prose_sections(doc) -> list[tuple[str, str]]:
    """(section name, markup) of one prose document, in document order."""
    doc_id, dept, kind, province, basis, year, style, codes, cause = doc
    rng = _seed(doc_id)
    w = Writer(style, year, basis, rng)
    f = P.Figures(w, codes)
    plant = PLANTED_PROSE.get(doc_id, (None,))[0]
    out = []
    if basis == "决算":
        out.append(("totals", P.totals(w, f, dept, cause, rng.randrange(3), plant == "totals")))
        out.append(("income", P.income(w, f, dept, rng.randrange(2), plant == "income")))
        out.append(("spending", P.spending(w, f, dept, rng.randrange(2), plant == "spending")))
        if rng.random() < 0.6:
            out.append(("appropriation", P.appropriation_totals(w, f, dept)))
        out.append(("general_overall", P.general_overall(w, f, dept, plant == "general_overall")))
        out.append(("structure", P.general_structure(w, f, dept)))
        detail_variant = rng.randrange(2)
        for i, code in enumerate(codes):
            out.append(("detail", P.general_detail(w, f, code, detail_variant, cause, plant == "detail" and i == 0)))
        out.append(("basic", P.basic(w, f, dept, rng.randrange(2))))
        out.append(("sangong", P.sangong(w, f, dept, rng.randrange(2), plant == "sangong")))
        for name, fn in (("meetings", P.meetings), ("procurement", None), ("assets", P.assets),
                         ("performance", P.performance)):
            if name == "procurement":
                out.append((name, P.procurement(w, f, dept, plant == "procurement")))
            elif rng.random() < 0.7:
                out.append((name, fn(w, f, dept)))
        if rng.random() < 0.5:
            out.append(("operation", P.operation(w, f, dept, cause)))
    else:
        out.append(("budget_totals", P.budget_totals(w, f, dept, cause, rng.randrange(2), plant == "budget_totals")))
        out.append(("budget_income", P.budget_income(w, f, dept)))
        out.append(("budget_spending", P.budget_spending(w, f, dept)))
        out.append(("budget_general", P.budget_general(w, f, dept, codes[0], cause, rng.randrange(2))))
        out.append(("budget_sangong", P.budget_sangong(w, f, dept, plant == "budget_sangong")))
        out.append(("budget_operation", P.budget_operation(w, f, dept)))
        out.append(("budget_procurement", P.budget_procurement(w, f, dept)))
        out.append(("budget_assets", P.budget_assets(w, f, dept)))
        out.append(("budget_performance", P.budget_performance(w, f, dept)))
    return out


def build_prose(doc) -> tuple[str, list[dict], dict]:
    doc_id, dept, kind, province, basis, year, style, codes, cause = doc
    b = "budget" if basis == "预算" else None
    title = f"{dept}{year}年度部门{basis}公开说明\n"
    passages = [("other", title, [], [])]
    sections = prose_sections(doc)
    planted = []
    # special passages go after the first section
    specials = SPECIAL.get(doc_id, [])
    for n, (name, marked) in enumerate(sections):
        if style.traditional:
            marked = marked.translate(TRAD)
        text, spans, facts = render(marked, str(year), b)
        if PLANTED_PROSE.get(doc_id, (None,))[0] == name and not any(p for p in planted):
            check, what = PLANTED_PROSE[doc_id][1:]
            planted.append({"record_index": len(passages), "check": check, "what": what})
        passages.append(("prose", text, spans, facts))
        if n == 0:
            for marked_s, period, basis_s in specials:
                passages.append(("prose", *render(marked_s, period, basis_s)))
    # the year of the title is a PERIOD
    t_text, t_spans, _ = render(f"{dept}⟦P:{year}年度|{year}⟧部门{basis}公开说明\n", str(year))
    passages[0] = ("other", t_text, t_spans, [])
    source, recs = records(doc_id, passages)
    meta = {"doc_id": doc_id, "department": dept, "department_kind": kind, "province": province, "basis": basis,
            "year": year, "kind": "prose", "tables": [], "planted": planted,
            "style": {k: v for k, v in vars(style).items()}}
    return source, recs, meta


def build_tables(doc, tables) -> tuple[str, list[dict], dict]:
    doc_id, dept, kind, province, basis, year, leaves = doc
    rng = _seed(doc_id)
    passages = [("other", *render(f"{dept}⟦P:{year}年度|{year}⟧部门{basis}公开表\n\n", str(year)))]
    meta_tables, planted = [], []
    for i, (template, form, layout) in enumerate(tables):
        thousands = "unit_title" not in layout and rng.random() < 0.25
        spec = T.spec_for(template, doc, rng, layout, thousands)
        if spec is None:
            text, spans, facts = T.performance_targets(doc, rng, form)
        else:
            if (doc_id, i) in PLANTED_TABLES:
                spec = _plant_parent(spec)
                planted.append({"record_index": len(passages), "check": PLANTED_TABLES[(doc_id, i)],
                                "what": "a 款 row is 10.00 above the sum of its 项 rows in the first amount column"})
            text, spans, facts = render_table(spec, form)
        meta_tables.append({"record_index": len(passages), "template": template, "form": form,
                            "layout": sorted(set(layout) | ({"thousands"} if thousands else set()))})
        passages.append(("table", text, spans, facts))
    source, recs = records(doc_id, passages)
    meta = {"doc_id": doc_id, "department": dept, "department_kind": kind, "province": province, "basis": basis,
            "year": year, "kind": "tables", "tables": meta_tables, "planted": planted}
    return source, recs, meta


def _plant_parent(spec):
    from decimal import Decimal
    rows = list(spec.rows)
    for k, (code, name, values) in enumerate(rows):
        if len(code) == 5 and values and values[0]:
            bumped = f"{Decimal(values[0].replace(',', '')) + Decimal('10.00') * (1 if spec.unit == '万元' else 10000):.2f}"
            rows[k] = (code, name, [bumped] + values[1:])
            break
    spec.rows = rows
    return spec


def write(doc_id: str, source: str, recs: list[dict], meta: dict) -> None:
    for sub in ("sources", "gold", "meta"):
        (ROOT / sub).mkdir(exist_ok=True)
    (ROOT / "sources" / f"{doc_id}.txt").write_text(source, encoding="utf-8")
    with open(ROOT / "gold" / f"{doc_id}.jsonl", "w", encoding="utf-8") as fh:
        for r in recs:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    (ROOT / "meta" / f"{doc_id}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    n_passages = n_tables = 0
    for doc in P.DEPARTMENTS:
        source, recs, meta = build_prose(doc)
        write(doc[0], source, recs, meta)
        n_passages += sum(1 for r in recs if r["kind"] == "prose")
    for doc, tables in T.plan():
        source, recs, meta = build_tables(doc, tables)
        write(doc[0], source, recs, meta)
        n_tables += len(tables)
    print(f"{len(P.DEPARTMENTS)} prose documents ({n_passages} passages), {len(T.DEPARTMENTS)} table documents "
          f"({n_tables} tables)")


if __name__ == "__main__":
    main()

"""The table documents of the development corpus: one department each, three national templates
each, in text forms and layouts chosen so that every template appears in three forms.

Figures are drawn from a generator seeded by the document id and built bottom-up, so every
parent code is the sum of its children and every 合计 the sum of its parts; a planted
inconsistency is then written into one cell on purpose and recorded in the meta.
"""

from __future__ import annotations

import random
import unicodedata
from decimal import Decimal

from classification import NAMES, hierarchy
from tables import ItemsSpec, PanelSpec, TableSpec

FORMS = ["tab", "space", "pipe", "html", "csv"]
Q = Decimal("0.01")

# (doc id, department, kind, province, basis, year, leaves of its function codes)
DEPARTMENTS = [
    ("t01-cq-fayuan", "重庆市渝北区人民法院", "法院", "重庆", "决算", 2023, ["2040501", "2040504", "2040505", "2080505", "2101101", "2210201"]),
    ("t02-zj-jianchayuan", "浙江省嘉兴市南湖区人民检察院", "检察院", "浙江", "决算", 2022, ["2040401", "2040410", "2080505", "2080506", "2101101"]),
    ("t03-sc-gonganju", "四川省绵阳市游仙区公安分局", "公安", "四川", "决算", 2023, ["2040201", "2040219", "2040220", "2080501", "2080505", "2210201"]),
    ("t04-hb-jiaoyuju", "湖北省宜昌市夷陵区教育局", "教育局", "湖北", "决算", 2022, ["2050101", "2050202", "2050203", "2050204", "2080505", "2101102"]),
    ("t05-gd-yiyuan", "广东省佛山市顺德区第一人民医院", "医院", "广东", "决算", 2023, ["2100201", "2100409", "2080502", "2080505", "2210201"]),
    ("t06-hn-jkzx", "河南省洛阳市疾病预防控制中心", "疾控中心", "河南", "决算", 2021, ["2100401", "2100408", "2100410", "2080505", "2101102"]),
    ("t07-yn-shuiwu", "云南省曲靖市麒麟区水务局", "水利", "云南", "决算", 2023, ["2130301", "2130305", "2130306", "2130314", "2080505"]),
    ("t08-gs-linye", "甘肃省天水市林业和草原局", "林业", "甘肃", "决算", 2022, ["2130201", "2130205", "2130207", "2130209", "2080505"]),
    ("t09-sd-jiaotong", "山东省潍坊市寒亭区交通运输局", "交通运输", "山东", "决算", 2023, ["2140101", "2140104", "2140106", "2140112", "2080505"]),
    ("t10-hun-minzheng", "湖南省株洲市荷塘区民政局", "民政", "湖南", "预算", 2024, ["2080201", "2080208", "2081002", "2081901", "2081902", "2101101"]),
    ("t11-js-tongji", "江苏省无锡市梁溪区统计局", "统计", "江苏", "预算", 2025, ["2010501", "2010505", "2010508", "2080505", "2210201"]),
    ("t12-fj-wenlv", "福建省泉州市丰泽区文化体育和旅游局", "文化", "福建", "预算", 2024, ["2070101", "2070104", "2070108", "2070204", "2080505"]),
    ("t13-ah-xiangzhen", "安徽省六安市金安区三十铺镇人民政府", "乡镇", "安徽", "预算", 2025, ["2010301", "2130705", "2080208", "2120104", "2210201"]),
    ("t14-sx-jiedao", "陕西省西安市碑林区长安路街道办事处", "街道办事处", "陕西", "预算", 2024, ["2010301", "2080208", "2120101", "2080505"]),
    ("t15-gx-nongye", "广西壮族自治区桂林市临桂区农业农村局", "农业农村", "广西", "预算", 2025, ["2130101", "2130106", "2130108", "2080505", "2210201"]),
    ("t16-hlj-xuexiao", "黑龙江省大庆市第二十三中学", "学校", "黑龙江", "预算", 2024, ["2050203", "2050204", "2080505", "2101102", "2210201"]),
    ("t17-gz-danganguan", "贵州省遵义市汇川区档案馆", "档案", "贵州", "预算", 2025, ["2012604", "2080505", "2101102"]),
    ("t18-heb-weijian-hz", "河北省邯郸市卫生健康委员会（汇总）", "汇总", "河北", "预算", 2024, ["2100101", "2100201", "2100302", "2100401", "2100403", "2080505"]),
]

FINAL_TEMPLATES = ["收入支出决算总表", "收入决算表", "支出决算表", "财政拨款收入支出决算总表",
                   "一般公共预算财政拨款支出决算表", "一般公共预算财政拨款基本支出决算表",
                   "一般公共预算财政拨款“三公”经费支出决算表", "政府性基金预算财政拨款收入支出决算表",
                   "国有资本经营预算财政拨款支出决算表"]
BUDGET_TEMPLATES = ["部门收支总表", "部门收入总表", "部门支出总表", "财政拨款收支总表", "一般公共预算支出表",
                    "一般公共预算基本支出表", "一般公共预算“三公”经费支出表", "政府性基金预算支出表",
                    "项目支出绩效目标表"]

# Layouts given in turn to the hierarchical tables, and which forms each can be printed in.
LAYOUTS = [["colindex"], ["kxy3"], ["codename"], ["abbrev", "indent"], ["unit_title"], ["unit_header"],
           ["unit_row", "colindex"], ["group"], ["pagebreak"], ["abbrev"], ["kxy3", "colindex"], ["codename", "unit_title"]]
LAYOUT_FORMS = {"pagebreak": {"tab", "space"}, "unit_row": {"tab", "html", "pipe", "space", "csv"}}


def _money(rng: random.Random, lo: float, hi: float) -> Decimal:
    return Decimal(str(rng.uniform(lo, hi))).quantize(Q)


def _s(d: Decimal, empty_zero: bool = False) -> str:
    if d == 0:
        return "" if empty_zero else "0.00"
    return f"{d:.2f}"


def hier_rows(rng: random.Random, leaves: list[str], columns: int, *, empty_zero: bool = False,
              total: str = "合计", scale: float = 1.0, zero_cols: tuple[int, ...] = ()) -> list[tuple[str, str, list[str]]]:
    """Rows of a code table: column 0 is the sum of the other columns (when there are others);
    parents are the sums of their children; the 合计 row comes first."""
    parts = max(columns - 1, 1)
    leaf_values: dict[str, list[Decimal]] = {}
    for leaf in leaves:
        vals = []
        for j in range(parts):
            if j in zero_cols or (parts > 1 and rng.random() < 0.25):
                vals.append(Decimal(0))
            else:
                vals.append(_money(rng, 2, 600) * Decimal(str(scale)))
        if all(v == 0 for v in vals):
            vals[0] = _money(rng, 5, 300)
        leaf_values[leaf] = [v.quantize(Q) for v in vals]
    codes = hierarchy(leaves)
    sums = {c: [sum((leaf_values[l][j] for l in leaves if l.startswith(c)), Decimal(0)) for j in range(parts)]
            for c in codes}
    rows = []
    grand = [sum((leaf_values[l][j] for l in leaves), Decimal(0)) for j in range(parts)]

    def line(vals):
        full = ([sum(vals, Decimal(0))] + vals) if columns > 1 else vals
        return [_s(v, empty_zero) for v in full]

    rows.append(("", total, line(grand)))
    for c in codes:
        rows.append((c, NAMES[c], line(sums[c])))
    return rows


def _econ_leaves(rng: random.Random) -> list[str]:
    people = ["30101", "30102", "30103", "30107", "30108", "30109", "30110", "30113"]
    public = ["30201", "30205", "30206", "30207", "30211", "30213", "30228", "30231", "30299"]
    return sorted(rng.sample(people, 5) + rng.sample(public, 5) + ["30302"] * (rng.random() < 0.5))


def _panel_rows(rng: random.Random, income: list[str], spending: list[str], final: bool) -> list[tuple[str, str, str, str]]:
    inc = [_money(rng, 50, 900) if i in (0,) or rng.random() < 0.5 else Decimal(0) for i in range(len(income))]
    total_in = sum(inc, Decimal(0))
    # spending is a split of the same total, so 本年收入合计 = 本年支出合计
    weights = [rng.uniform(0.05, 1) for _ in spending]
    spend = [(total_in * Decimal(str(w / sum(weights)))).quantize(Q) for w in weights]
    spend[0] += total_in - sum(spend, Decimal(0))
    rows = []
    for i in range(max(len(income), len(spending))):
        li = income[i] if i < len(income) else ""
        ri = spending[i] if i < len(spending) else ""
        rows.append((li, _s(inc[i]) if li else "", ri, _s(spend[i]) if ri else ""))
    tail_in = ["本年收入合计", "年初结转和结余", "总计"] if final else ["收入合计", "上年结转", "收入总计"]
    tail_out = ["本年支出合计", "年末结转和结余", "总计"] if final else ["支出合计", "结转下年", "支出总计"]
    carry = _money(rng, 0, 40) if rng.random() < 0.5 else Decimal(0)
    rows.append((tail_in[0], _s(total_in), tail_out[0], _s(total_in)))
    rows.append((tail_in[1], _s(carry), tail_out[1], _s(carry)))
    rows.append((tail_in[2], _s(total_in + carry), tail_out[2], _s(total_in + carry)))
    return rows


def _classes(leaves: list[str]) -> list[str]:
    roman = "一二三四五六七八九十"
    classes = sorted({l[:3] for l in leaves})
    return [f"{roman[i]}、{NAMES[c]}" for i, c in enumerate(classes)]


def spec_for(template: str, doc: tuple, rng: random.Random, layout: list[str], thousands: bool):
    doc_id, dept, kind, province, basis, year, leaves = doc
    period = str(year)
    b = "actual" if basis == "决算" else "budget"
    unit = "元" if thousands else "万元"
    scale = 10_000.0 if thousands else 1.0
    tno = (FINAL_TEMPLATES if basis == "决算" else BUDGET_TEMPLATES).index(template) + 1
    preamble = [f"公开{tno:02d}表" if basis == "决算" else f"表{tno}", f"编制单位：{dept}"]
    title = f"{year}年度{template}" if basis == "决算" else f"{dept}{year}年{template}"

    def hier(columns, **kw):
        rows = hier_rows(rng, leaves, len(columns), scale=scale, **kw)
        return TableSpec(title, unit, columns, rows, period, b, thousands=thousands, layout=layout,
                         preamble=preamble, group="本年支出" if "group" in layout else "")

    if template in ("收入支出决算总表", "部门收支总表"):
        income = (["一、一般公共预算财政拨款收入", "二、政府性基金预算财政拨款收入", "三、上级补助收入", "四、事业收入",
                   "五、其他收入"] if basis == "决算" else
                  ["一、一般公共预算拨款收入", "二、政府性基金预算拨款收入", "三、事业收入", "四、其他收入"])
        rows = _panel_rows(rng, income, _classes(leaves), basis == "决算")
        rows = [(l, _scale(lv, scale), r, _scale(rv, scale)) for l, lv, r, rv in rows]
        return PanelSpec(title, unit, ("收入", "支出"), "决算数" if basis == "决算" else "预算数", rows, period, b,
                         thousands=thousands, line_numbers=basis == "决算", layout=[l for l in layout if l == "unit_title"],
                         preamble=preamble)
    if template in ("财政拨款收入支出决算总表", "财政拨款收支总表"):
        income = ["一、一般公共预算财政拨款", "二、政府性基金预算财政拨款", "三、国有资本经营预算财政拨款"]
        rows = _panel_rows(rng, income, _classes(leaves), basis == "决算")
        rows = [(l, _scale(lv, scale), r, _scale(rv, scale)) for l, lv, r, rv in rows]
        return PanelSpec(title, unit, ("收入", "支出"), "决算数" if basis == "决算" else "预算数", rows, period, b,
                         thousands=thousands, line_numbers=basis == "决算", layout=[l for l in layout if l == "unit_title"],
                         preamble=preamble)
    if template == "收入决算表":
        return hier(["本年收入合计", "财政拨款收入", "上级补助收入", "事业收入", "其他收入"], zero_cols=(1,))
    if template == "部门收入总表":
        return hier(["合计", "一般公共预算拨款收入", "政府性基金预算拨款收入", "事业收入", "其他收入"], zero_cols=(1,))
    if template in ("支出决算表", "部门支出总表", "一般公共预算财政拨款支出决算表", "一般公共预算支出表"):
        cols = ["本年支出合计", "基本支出", "项目支出"] if basis == "决算" and template == "支出决算表" else ["合计", "基本支出", "项目支出"]
        return hier(cols)
    if template in ("一般公共预算财政拨款基本支出决算表", "一般公共预算基本支出表"):
        econ = _econ_leaves(rng)
        rows = hier_rows(rng, econ, 3 if basis == "预算" else 1, scale=scale, zero_cols=())
        # personnel vs public: 301/303 are 人员经费, 302/310 公用经费 — one column each
        if basis == "预算":
            rows = _split_people_public(rows)
        columns = ["合计", "人员经费", "公用经费"] if basis == "预算" else ["决算数"]
        lay = [l for l in layout if l not in ("kxy3", "group")]
        return TableSpec(title, unit, columns, rows, period, b, code_header="经济分类科目编码",
                         thousands=thousands, layout=lay, preamble=preamble)
    if template in ("一般公共预算财政拨款“三公”经费支出决算表", "一般公共预算“三公”经费支出表"):
        return _sangong(rng, title, unit, scale, year, basis, thousands, layout, preamble)
    if template in ("政府性基金预算财政拨款收入支出决算表", "政府性基金预算支出表"):
        fund = ["2296002", "2120801"] if rng.random() < 0.5 else ["2296003"]
        cols = (["年初结转和结余", "本年收入", "本年支出", "年末结转和结余"] if basis == "决算" else ["合计", "基本支出", "项目支出"])
        rows = hier_rows(rng, fund, 3, scale=scale, zero_cols=(0,)) if basis == "预算" else _fund_rows(rng, fund, scale)
        return TableSpec(title, unit, cols, rows, period, b, thousands=thousands,
                         layout=[l for l in layout if l not in ("group",)], preamble=preamble)
    if template == "国有资本经营预算财政拨款支出决算表":
        rows = hier_rows(rng, ["2230105"], 3, scale=scale, zero_cols=(0,))
        return TableSpec(title, unit, ["合计", "基本支出", "项目支出"], rows, period, b, thousands=thousands,
                         layout=[l for l in layout if l != "group"], preamble=preamble)
    if template == "项目支出绩效目标表":
        return None  # written by performance_targets() as a QUANTITY/PERCENT table
    raise KeyError(template)


def _scale(v: str, scale: float) -> str:
    return v if not v or scale == 1.0 else f"{(Decimal(v) * Decimal(str(scale))).quantize(Q):.2f}"


def _split_people_public(rows):
    out = []
    for code, name, vals in rows:
        total = Decimal(vals[0]) if vals[0] else Decimal(0)
        people_share = Decimal(0)
        if code[:3] in ("301", "303"):
            people_share = total
        elif code == "":
            pass
        out.append([code, name, total, people_share])
    # 合计 row: sum of 类 rows
    classes = [r for r in out if len(r[0]) == 3]
    out[0][3] = sum((r[3] for r in classes), Decimal(0))
    return [(c, n, [_s(t), _s(p, True), _s(t - p, True)]) for c, n, t, p in out]


def _fund_rows(rng, fund, scale):
    """年初结转和结余, 本年收入, 本年支出, 年末结转和结余 per code: end = start + income − spending."""
    leaves = {}
    for leaf in fund:
        start = _money(rng, 0, 20) * Decimal(str(scale))
        income = _money(rng, 20, 300) * Decimal(str(scale))
        spend = (income * Decimal(str(rng.uniform(0.6, 1.0)))).quantize(Q)
        leaves[leaf] = [start.quantize(Q), income.quantize(Q), spend, (start + income - spend).quantize(Q)]
    codes = hierarchy(list(fund))
    rows = [("", "合计", [_s(sum((leaves[l][j] for l in fund), Decimal(0))) for j in range(4)])]
    for c in codes:
        rows.append((c, NAMES[c], [_s(sum((leaves[l][j] for l in fund if l.startswith(c)), Decimal(0))) for j in range(4)]))
    return rows


def _sangong(rng, title, unit, scale, year, basis, thousands, layout, preamble):
    items = [("合计", "“三公”经费"), ("因公出国（境）费", "因公出国（境）费"), ("小计", "公务用车购置及运行维护费"),
             ("公务用车购置费", "公务用车购置费"), ("公务用车运行维护费", "公务用车运行维护费"), ("公务接待费", "公务接待费")]
    def one():
        abroad = Decimal(0) if rng.random() < 0.6 else _money(rng, 1, 15)
        buy = Decimal(0) if rng.random() < 0.7 else _money(rng, 10, 30)
        run = _money(rng, 1, 25)
        host = _money(rng, 0.3, 8)
        vals = [abroad + buy + run + host, abroad, buy + run, buy, run, host]
        return [_scale(_s(v), scale) for v in vals]
    if basis == "决算":
        rows = [("年初预算数", "budget", str(year), one()), ("决算数", "actual", str(year), one())]
    else:
        rows = [(f"{year}年预算数", "budget", str(year), one()), (f"{year - 1}年预算数", "budget", str(year - 1), one())]
    return ItemsSpec(title, unit, items, rows, thousands=thousands,
                     layout=[l for l in layout if l in ("unit_title",)], preamble=preamble)


def plan() -> list[tuple[tuple, list[tuple[str, str, list[str]]]]]:
    """Per document: (department row, [(template, form, layout)…])."""
    out = []
    for group, templates in (("决算", FINAL_TEMPLATES), ("预算", BUDGET_TEMPLATES)):
        docs = [d for d in DEPARTMENTS if d[4] == group]
        for k, doc in enumerate(docs):
            tables = []
            for j in range(3):
                t = (3 * k + j) % 9
                form = FORMS[(k // 3 + t) % 5]
                layout = list(LAYOUTS[(k * 3 + j + (0 if group == "决算" else 5)) % len(LAYOUTS)])
                layout = [l for l in layout if form in LAYOUT_FORMS.get(l, set(FORMS))]
                tables.append((templates[t], form, layout))
            if k % 4 == 0:  # a fourth table as a text-only crawler flattens a web page: one cell per line
                t = (3 * k + 4) % 9
                tables.append((templates[t], "lines", ["colindex"] if k % 8 == 0 else []))
            out.append((doc, tables))
    return out


# 项目支出绩效目标表: project rows (name, budget amount) followed by their indicators, each a target.
PROJECTS = {
    "民政": [("困难群众救助补助资金", [("产出指标", "数量指标", "城乡低保保障人数", "≥", "3200", "人"),
                                    ("效益指标", "社会效益指标", "救助对象满意度", "≥", "95", "%")]),
           ("养老服务体系建设经费", [("产出指标", "数量指标", "新建社区养老服务站", "=", "6", "个"),
                                   ("成本指标", "经济成本指标", "单站建设补助", "≤", "20", "万元")])],
    "统计": [("第五次全国经济普查经费", [("产出指标", "数量指标", "普查登记单位", "≥", "18000", "家"),
                                     ("产出指标", "时效指标", "数据上报及时率", "=", "100", "%")])],
    "文化": [("公共文化服务体系建设", [("产出指标", "数量指标", "送戏下乡演出", "≥", "120", "场"),
                                   ("效益指标", "社会效益指标", "群众满意度", "≥", "90", "%")])],
    "乡镇": [("村级组织运转经费", [("产出指标", "数量指标", "保障村（社区）", "=", "14", "个")]),
           ("农村人居环境整治", [("产出指标", "数量指标", "改造农村户厕", "≥", "260", "户"),
                               ("成本指标", "经济成本指标", "户厕改造补助标准", "≤", "0.15", "万元")])],
    "街道办事处": [("社区治理专项经费", [("产出指标", "数量指标", "开展社区活动", "≥", "48", "次"),
                                     ("效益指标", "满意度指标", "居民满意度", "≥", "92", "%")])],
    "农业农村": [("农作物病虫害防控", [("产出指标", "数量指标", "统防统治面积", "≥", "15", "万亩"),
                                    ("产出指标", "质量指标", "病虫害损失率", "≤", "5", "%")])],
    "学校": [("学生资助资金", [("产出指标", "数量指标", "资助学生", "≥", "420", "人次"),
                             ("效益指标", "社会效益指标", "应助尽助率", "=", "100", "%")])],
    "档案": [("档案数字化加工", [("产出指标", "数量指标", "档案数字化", "≥", "60000", "页"),
                               ("产出指标", "质量指标", "数字化合格率", "≥", "98", "%")])],
    "汇总": [("基本公共卫生服务项目", [("产出指标", "数量指标", "65岁以上老年人健康管理", "≥", "120000", "人"),
                                    ("效益指标", "社会效益指标", "居民健康素养水平", "≥", "28", "%")])],
}


def performance_targets(doc: tuple, rng: random.Random, form: str, unit_header: bool = True):
    """The 项目支出绩效目标表 of a 预算 document: (text, spans, facts)."""
    from tables import _Writer, _grid, _title, _yuan
    doc_id, dept, kind, province, basis, year, leaves = doc
    w = _Writer()
    _title(w, f"{dept}{year}年项目支出绩效目标表", "万元", ["unit_header"], form, ["表9"])
    head = [[(h, None, {})] for h in ("项目名称",)] + [[("预算金额（", None, {}), ("万元", "UNIT", {"unit": "万元"}),
                                                     ("）", None, {})]] \
        + [[(h, None, {})] for h in ("一级指标", "二级指标", "三级指标", "指标值")]
    rows = [(head, [])]
    target_facts = []
    for name, indicators in PROJECTS[kind]:
        amount = f"{_money(rng, 10, 400):.2f}"
        for i, (l1, l2, l3, comp, value, unit) in enumerate(indicators):
            cells = [[(name, "SUBJECT", {})] if i == 0 else [("", None, {})],
                     [(amount, "AMOUNT", {"value": _yuan("万元", amount), "unit": "CNY"})] if i == 0 else [("", None, {})],
                     [(l1, None, {})], [(l2, None, {})], [(l3, "SUBJECT", {})]]
            surface = value + unit
            label, val, u = ("PERCENT", value, "%") if unit == "%" else \
                (("AMOUNT", _yuan("万元", value), "CNY") if unit == "万元" else
                 ("QUANTITY", str(int(value) * 10000) if unit == "万亩" else value, unit))
            if unit == "万亩":  # 亩 is no contract unit: the figure is an entity-less text
                cells.append([(comp + surface, None, {})])
            else:
                cells.append([(comp, None, {}), (surface, label, {"value": val, "unit": u})])
                target_facts.append((len(rows), l3, val, u, comp))
            rows.append((cells, [(1, name, None, "预算金额", _yuan("万元", amount))] if i == 0 else []))
    widths = None
    if form == "space":
        from tables import _widths
        widths = _widths(rows)
    if form == "html":
        w.raw('<table border="1">\n')
    _grid(w, form, rows, str(year), "budget", header_rows=1, widths=widths)
    if form == "html":
        w.raw("</table>\n")
    w.raw("\n")
    # targets: the value spans in order of the rows that carry them
    value_spans = [s for s in w.spans if s["label"] in ("PERCENT", "QUANTITY", "AMOUNT")
                   and not (s["label"] == "AMOUNT" and any(f["evidence"]["start"] == s["start"] for f in w.facts))]
    for s, (_, subject, val, u, comp) in zip(value_spans, target_facts):
        w.facts.append({"subject": unicodedata.normalize("NFKC", subject), "code": None, "measure": "target", "value": val, "unit": u,
                        "direction": None, "comparator": comp, "period": str(year), "base_period": None,
                        "basis": None, "column": None, "reason": None,
                        "evidence": {"start": s["start"], "end": s["end"]}, "flags": []})
    return "".join(w.parts), w.spans, w.facts

"""The prose documents of the development corpus: one department each, written section by section
from the national 决算说明 / 部门预算说明 templates in that department's house style.

Each section function returns one passage as markup (see markup.py). The figures of a document
are drawn once (``Figures``) from a generator seeded by its id and built so that they agree:
parts sum to their totals, shares and changes are computed from the printed figures. A planted
inconsistency replaces one printed figure on purpose and is recorded in the meta.
"""

from __future__ import annotations

import random
from decimal import Decimal

from classification import NAMES
from prose_style import Q, Style, Writer

# (doc id, department, kind, province, basis, year, style, function 项 codes, cause of change)
DEPARTMENTS = [
    ("p01-sc-fayuan", "四川省广元市利州区人民法院", "法院", "四川", "决算", 2023,
     Style(sp=" ", comparison="较上年"), ["2040501", "2040504", "2040505"], "审判执行业务量增加"),
    ("p02-gd-jianchayuan", "广东省江门市新会区人民检察院", "检察院", "广东", "决算", 2022,
     Style(comparison="与年度相比", pct_words=("增幅", "降幅")), ["2040401", "2040410"], "检察监督专项经费减少"),
    ("p03-hn-gonganju", "河南省新乡市公安局红旗分局", "公安", "河南", "预算", 2024,
     Style(comparison="比上年"), ["2040201", "2040220", "2040219"], "执法办案经费增加"),
    ("p04-js-jiaoyuju", "江苏省盐城市亭湖区教育局", "教育局", "江苏", "决算", 2023,
     Style(unit="元", comparison="较年份"), ["2050101", "2050202", "2050203"], "学校改扩建项目支出增加"),
    ("p05-zj-xiaoxue", "浙江省温州市鹿城区实验小学", "学校", "浙江", "预算", 2025,
     Style(sp=" ", comparison="比上年"), ["2050202", "2080505"], "教师人数增加"),
    ("p06-hun-yiyuan", "湖南省常德市第一中医医院", "医院", "湖南", "决算", 2022,
     Style(comparison="同比"), ["2100202", "2100409"], "疫情防控支出增加"),
    ("p07-sd-jkzx", "山东省临沂市兰山区疾病预防控制中心", "疾控中心", "山东", "决算", 2023,
     Style(sp=" ", comparison="与上年相比", pdf_breaks=True), ["2100401", "2100408", "2100410"], "突发公共卫生事件应急处理支出减少"),
    ("p08-hb-shuili", "湖北省荆州市沙市区水利和湖泊局", "水利", "湖北", "决算", 2021,
     Style(comparison="较上年度"), ["2130301", "2130305", "2130314"], "水利工程建设项目完工"),
    ("p09-heb-nongye", "河北省保定市清苑区农业农村局", "农业农村", "河北", "预算", 2024,
     Style(comparison="比上年"), ["2130101", "2130106", "2130108"], "高标准农田建设任务增加"),
    ("p10-yn-linye", "云南省普洱市思茅区林业和草原局", "林业", "云南", "决算", 2023,
     Style(sp=" ", comparison="较上年", pct_words=("增幅", "降幅")), ["2130201", "2130207", "2130209"], "森林防火项目资金增加"),
    ("p11-gz-jiaotong", "贵州省毕节市七星关区交通运输局", "交通运输", "贵州", "预算", 2025,
     Style(comparison="比上年"), ["2140101", "2140106", "2140104"], "农村公路养护里程增加"),
    ("p12-ah-minzheng", "安徽省芜湖市镜湖区民政局", "民政", "安徽", "决算", 2023,
     Style(comparison="比去年"), ["2080201", "2081901", "2081002"], "低保对象人数减少"),
    ("p13-fj-tongji", "福建省漳州市芗城区统计局", "统计", "福建", "决算", 2022,
     Style(sp=" ", comparison="与年份决算相比", fullwidth=True), ["2010501", "2010507", "2010508"], "开展第五次全国经济普查"),
    ("p14-sx-wenlv", "陕西省宝鸡市渭滨区文化和旅游局", "文化", "陕西", "预算", 2024,
     Style(comparison="比上年"), ["2070101", "2070108", "2070204"], "文物保护项目增加"),
    ("p15-gx-xiangzhen", "广西壮族自治区玉林市北流市新圩镇人民政府", "乡镇", "广西", "决算", 2023,
     Style(comparison="较上年"), ["2010301", "2130705", "2080208"], "村级组织运转经费标准提高"),
    ("p16-cq-jiedao", "重庆市九龙坡区杨家坪街道办事处", "街道办事处", "重庆", "预算", 2025,
     Style(sp=" ", comparison="比上年"), ["2010301", "2080208", "2120101"], "社区治理经费增加"),
    ("p17-gs-jiaoyu-hz", "甘肃省兰州市教育局（汇总）", "汇总", "甘肃", "决算", 2022,
     Style(unit="亿元", comparison="较上年"), ["2050202", "2050203", "2050204"], "义务教育经费保障标准提高"),
    ("p18-hlj-sifa", "黑龙江省齐齐哈尔市龙沙区司法局", "司法", "黑龙江", "决算", 2023,
     Style(comparison="较年份"), ["2040601", "2040604", "2040605"], "公共法律服务项目增加"),
    ("p19-jx-shichang", "江西省赣州市章贡区市场监督管理局", "市场监管", "江西", "预算", 2024,
     Style(comparison="比上年"), ["2010301", "2010302"], "食品安全抽检经费增加"),
    ("p20-shx-huanjing", "山西省晋中市榆次区生态环境局", "生态环境", "山西", "决算", 2023,
     Style(sp=" ", comparison="较上年"), ["2010301", "2010302"], "大气污染防治项目减少"),
    ("p21-jl-danganguan", "吉林省四平市铁西区档案馆", "档案", "吉林", "决算", 2022,
     Style(comparison="比上年", pct_words=("增幅", "降幅")), ["2012604"], "档案数字化项目完成"),
    ("p22-ln-renshe", "辽宁省鞍山市铁东区人力资源和社会保障局", "人社", "辽宁", "预算", 2024,
     Style(comparison="比上年"), ["2080505", "2080506"], "养老保险缴费基数调整"),
    ("p23-nm-tushuguan", "内蒙古自治区包头市昆都仑区图书馆", "图书馆", "内蒙古", "决算", 2023,
     Style(sp=" ", comparison="较上年"), ["2070104"], "免费开放补助资金增加"),
    ("p24-xj-yingji", "新疆维吾尔自治区昌吉市应急管理局", "应急管理", "新疆", "预算", 2025,
     Style(comparison="比上年"), ["2010301", "2010302"], "应急物资储备增加"),
    ("p25-hi-weijian-hz", "海南省三亚市卫生健康委员会（汇总）", "汇总", "海南", "决算", 2023,
     Style(comparison="较上年", traditional=True), ["2100101", "2100201", "2100401"], "公立医院改革补助增加"),
]

NUMERALS = "零一二三四五六七八九十"


def han(n: int) -> str:
    """Chinese numerals for 0–99 (二十三)."""
    if n < 11:
        return NUMERALS[n]
    tens, ones = divmod(n, 10)
    return (NUMERALS[tens] if tens > 1 else "") + "十" + (NUMERALS[ones] if ones else "")


class Figures:
    """The figures of one document, in its style's unit, drawn so that they agree."""

    def __init__(self, w: Writer, codes: list[str]) -> None:
        d = w.draw
        self.appropriation = d(300, 3000)  # 财政拨款收入
        self.business = d(0, 400) if w.rng.random() < 0.6 else Decimal(0)  # 事业收入
        self.other = d(0, 60) if w.rng.random() < 0.5 else Decimal(0)  # 其他收入
        self.income = self.appropriation + self.business + self.other  # 本年收入合计
        self.carry_in = d(0, 80) if w.rng.random() < 0.6 else Decimal(0)
        self.carry_out = min(self.carry_in, d(0, 50)) if w.rng.random() < 0.5 else Decimal(0)
        self.total = self.income + self.carry_in  # 收入总计 = 支出总计
        self.spending = self.total - self.carry_out  # 本年支出合计
        self.basic = (self.spending * Decimal(str(w.rng.uniform(0.55, 0.85)))).quantize(Q)
        self.project = self.spending - self.basic
        self.total_prev = (self.total * Decimal(str(w.rng.choice([w.rng.uniform(0.8, 0.97), w.rng.uniform(1.03, 1.25)])))).quantize(Q)
        self.general = self.appropriation  # 一般公共预算财政拨款支出
        self.general_budget = (self.general * Decimal(str(w.rng.uniform(0.85, 1.05)))).quantize(Q)
        self.general_prev = (self.general * Decimal(str(w.rng.uniform(0.85, 1.15)))).quantize(Q)
        self.people = (self.basic * Decimal(str(w.rng.uniform(0.75, 0.92)))).quantize(Q)
        self.public = self.basic - self.people
        # the structure by 项: weights over the department's codes
        weights = [w.rng.uniform(0.3, 1) for _ in codes]
        split = [(self.general * Decimal(str(x / sum(weights)))).quantize(Q) for x in weights]
        split[0] += self.general - sum(split, Decimal(0))
        self.by_code = dict(zip(codes, split))
        self.budget_by_code = {c: (v * Decimal(str(w.rng.uniform(0.7, 1.1)))).quantize(Q) for c, v in self.by_code.items()}
        # 三公经费
        self.abroad = Decimal(0) if w.rng.random() < 0.6 else d(1, 12)
        self.car_buy = Decimal(0) if w.rng.random() < 0.7 else d(12, 30)
        self.car_run = d(1, 20)
        self.reception = d(0.3, 6)
        self.sangong = self.abroad + self.car_buy + self.car_run + self.reception
        self.sangong_budget = (self.sangong * Decimal(str(w.rng.uniform(1.0, 1.3)))).quantize(Q)
        self.sangong_prev = (self.sangong * Decimal(str(w.rng.uniform(0.8, 1.2)))).quantize(Q)
        self.meeting, self.training = d(0.5, 8), d(0.5, 12)
        self.operation = (self.public * Decimal(str(w.rng.uniform(0.6, 0.95)))).quantize(Q)
        self.operation_prev = (self.operation * Decimal(str(w.rng.uniform(0.85, 1.15)))).quantize(Q)
        self.goods, self.works, self.services = d(5, 120), (d(20, 300) if w.rng.random() < 0.4 else Decimal(0)), d(5, 150)
        self.procurement = self.goods + self.works + self.services
        self.sme = (self.procurement * Decimal(str(w.rng.uniform(0.6, 1.0)))).quantize(Q)


def _stub(w: Writer, dept: str) -> str:
    return f"{w.t(dept)}{w.P(f'{w.year}年度', w.year)}"


# --- 决算说明 sections -------------------------------------------------------------------------------

def totals(w: Writer, f: Figures, dept: str, cause: str, variant: int, plant: bool = False) -> str:
    """收入支出决算总体情况."""
    pct = f.total_prev and w.pct_value(abs(f.total - f.total_prev), f.total_prev)
    wrong = (pct + Decimal("3.10")) if plant else None
    if variant == 0:
        both = f"{w.A(f.total, '收入总计')}"
        return (f"一、收入支出决算总体情况\n{_stub(w, dept)}{w.S('收入总计')}{both}，{w.S('支出总计')}"
                f"{w.A(f.total, '支出总计')}。{w.S('收入总计')}{w.change(f.total, f.total_prev, '收入总计', reason=cause, planted_pct=wrong)}，"
                f"主要原因是{cause}。\n")
    if variant == 1:
        phrase, y0 = w.versus()
        up = f.total > f.total_prev
        d = "increase" if up else "decrease"
        delta = abs(f.total - f.total_prev)
        p = wrong if plant else w.pct_value(delta, f.total_prev)
        return (f"（一）收入支出决算总体情况\n{_stub(w, dept)}{w.S('收入总计')}、{w.S('支出总计')}各是"
                f"{w.A(f.total, '收入总计')}、{w.A(f.total, '支出总计')}。{phrase}收、支总计各"
                f"{w.C('增加' if up else '减少', d)}{w.A(delta, '收入总计', m='change', d=d, bp=y0)}、"
                f"{w.A(delta, '支出总计', m='change', d=d, bp=y0)}，各{w.C(w.style.pct_words[0 if up else 1], d)}"
                f"{w.R(p, '收入总计', d=d, bp=y0)}、{w.R(p, '支出总计', d=d, bp=y0)}。\n")
    # variant 2: the prior-year amount inline
    y0 = w.year - 1
    up = f.total > f.total_prev
    d = "increase" if up else "decrease"
    delta = abs(f.total - f.total_prev)
    p = wrong if plant else w.pct_value(delta, f.total_prev)
    return (f"1.收入支出决算总体情况。{_stub(w, dept)}{w.S('收入总计')}{w.A(f.total, '收入总计')}，比"
            f"{w.P(f'{y0}年', y0)}的{w.A(f.total_prev, '收入总计', p=y0)}{w.C('增加' if up else '减少', d)}"
            f"{w.A(delta, '收入总计', m='change', d=d, bp=y0)}，{w.C(w.style.pct_words[0 if up else 1], d)}"
            f"{'为' if w.style.pct_words[0].endswith('幅') else ''}{w.R(p, '收入总计', d=d, bp=y0)}；"
            f"{w.S('支出总计')}{w.A(f.total, '支出总计')}。\n")


def income(w: Writer, f: Figures, dept: str, variant: int, plant: bool = False) -> str:
    """收入决算情况, with shares."""
    parts = [("财政拨款收入", f.appropriation), ("事业收入", f.business), ("其他收入", f.other)]
    shares = [w.pct_value(v, f.income) for _, v in parts]
    if plant:
        shares[0] += Decimal("4.00")
    body = []
    for (name, v), s in zip(parts, shares):
        if variant == 0:
            body.append(f"{w.S(name)}{w.A(v, name)}，占{w.R(s, name, m='share_pct')}")
        else:
            body.append(f"{w.S(name)}{w.A(v, name)}，占本年收入合计的{w.R(s, name, m='share_pct')}")
    head = "二、收入决算情况\n" if variant == 0 else "（二）收入决算情况说明\n"
    return (f"{head}{_stub(w, dept)}{w.S('本年收入合计')}{w.A(f.income, '本年收入合计')}，其中：" + "；".join(body) + "。\n")


def spending(w: Writer, f: Figures, dept: str, variant: int, plant: bool = False) -> str:
    """支出决算情况, with shares."""
    b, p = w.pct_value(f.basic, f.spending), w.pct_value(f.project, f.spending)
    project = f.project + (w.draw(20, 60) if plant else 0)
    if variant == 0:
        return (f"三、支出决算情况\n{_stub(w, dept)}{w.S('本年支出合计')}{w.A(f.spending, '本年支出合计')}，其中："
                f"{w.S('基本支出')}{w.A(f.basic, '基本支出')}，占{w.R(b, '基本支出', m='share_pct')}；"
                f"{w.S('项目支出')}{w.A(project, '项目支出')}，占{w.R(p, '项目支出', m='share_pct')}。\n")
    # parallel figures: 分别为
    return (f"（三）支出决算情况说明\n{_stub(w, dept)}{w.S('本年支出合计')}{w.A(f.spending, '本年支出合计')}。"
            f"{w.S('基本支出')}、{w.S('项目支出')}分别为{w.A(f.basic, '基本支出')}、{w.A(project, '项目支出')}，"
            f"分别占本年支出合计的{w.R(b, '基本支出', m='share_pct')}、{w.R(p, '项目支出', m='share_pct')}。\n")


def appropriation_totals(w: Writer, f: Figures, dept: str) -> str:
    """财政拨款收入支出决算总体情况."""
    return (f"四、财政拨款收入支出决算总体情况\n{_stub(w, dept)}{w.S('财政拨款收入总计')}"
            f"{w.A(f.appropriation, '财政拨款收入总计')}，{w.S('财政拨款支出总计')}{w.A(f.appropriation, '财政拨款支出总计')}。"
            f"{w.S('财政拨款收入总计')}{w.change(f.appropriation, f.general_prev, '财政拨款收入总计')}。\n")


def general_overall(w: Writer, f: Figures, dept: str, plant: bool = False) -> str:
    """一般公共预算财政拨款支出决算总体情况, with execution against 年初预算."""
    share = w.pct_value(f.general, f.spending)
    execution = w.pct_value(f.general, f.general_budget) + (Decimal("7.00") if plant else 0)
    subject = "一般公共预算财政拨款支出"
    return (f"五、一般公共预算财政拨款支出决算情况\n（一）总体情况\n{_stub(w, dept)}{w.S(subject)}"
            f"{w.A(f.general, subject)}，占本年支出合计的{w.R(share, subject, m='share_pct')}。"
            f"{w.S(subject)}{w.change(f.general, f.general_prev, subject)}。年初预算为"
            f"{w.A(f.general_budget, subject, b='budget')}，支出决算为{w.A(f.general, subject, b='actual')}，"
            f"完成年初预算的{w.R(execution, subject, m='execution_pct')}。\n")


def general_structure(w: Writer, f: Figures, dept: str) -> str:
    """一般公共预算财政拨款支出决算结构情况, by 类."""
    by_class: dict[str, Decimal] = {}
    for code, v in f.by_code.items():
        by_class[code[:3]] = by_class.get(code[:3], Decimal(0)) + v
    items = []
    for c, v in by_class.items():
        name = NAMES[c]
        items.append(f"{w.S(name)}{w.A(v, name, code=c)}，占{w.R(w.pct_value(v, f.general), name, m='share_pct', code=c)}")
    return f"（二）结构情况\n{_stub(w, dept)}一般公共预算财政拨款支出主要用于以下方面：" + "；".join(items) + "。\n"


def general_detail(w: Writer, f: Figures, code: str, variant: int, cause: str, plant: bool = False) -> str:
    """One 具体情况 paragraph: 类/款/项 chain or a code in parentheses, 年初预算 against 决算."""
    budget, actual = f.budget_by_code[code], f.by_code[code]
    execution = w.pct_value(actual, budget) + (Decimal("12.00") if plant else 0)
    name = NAMES[code]
    if variant == 0:
        lei, kuan = NAMES[code[:3]], NAMES[code[:5]]
        head = f"{w.S(lei)}（类）{w.S(kuan)}（款）{w.S(name)}（项）"
    else:
        head = f"{w.S(name)}（⟦K:{code}|{code}⟧）"
    gap = "大于" if actual > budget else "小于"
    return (f"{head}：年初预算为{w.A(budget, name, b='budget', code=code)}，支出决算为"
            f"{w.A(actual, name, b='actual', code=code)}，完成年初预算的"
            f"{w.R(execution, name, m='execution_pct', code=code, r=cause)}。决算数{gap}年初预算数的主要原因是{cause}。\n")


def basic(w: Writer, f: Figures, dept: str, variant: int) -> str:
    """一般公共预算财政拨款基本支出决算情况."""
    if variant == 0:
        return (f"六、一般公共预算财政拨款基本支出决算情况说明\n{_stub(w, dept)}{w.S('一般公共预算财政拨款基本支出')}"
                f"{w.A(f.basic, '一般公共预算财政拨款基本支出')}，其中：{w.S('人员经费')}{w.A(f.people, '人员经费')}，"
                f"主要包括基本工资、津贴补贴、奖金、机关事业单位基本养老保险缴费、住房公积金；"
                f"{w.S('公用经费')}{w.A(f.public, '公用经费')}，主要包括办公费、水费、电费、差旅费、公务用车运行维护费。\n")
    return (f"（六）基本支出决算情况。{w.S('基本支出')}{w.A(f.basic, '基本支出')}，其中{w.S('人员经费')}、"
            f"{w.S('公用经费')}分别为{w.A(f.people, '人员经费')}、{w.A(f.public, '公用经费')}。\n")


def sangong(w: Writer, f: Figures, dept: str, variant: int, plant: bool = False) -> str:
    """“三公”经费: total, execution, each part with its counts."""
    total = f.sangong + (w.draw(2, 6) if plant else 0)
    execution = w.pct_value(f.sangong, f.sangong_budget)
    groups, people = (w.rng.randint(1, 3), w.rng.randint(2, 9)) if f.abroad else (0, 0)
    cars_bought = 1 if f.car_buy else 0
    fleet = w.rng.randint(2, 14)
    batches, visitors = w.rng.randint(5, 80), w.rng.randint(30, 600)
    abroad = (f"{w.S('因公出国（境）费')}{w.A(f.abroad, '因公出国（境）费')}，组织{w.S('因公出国（境）团组')}"
              f"{w.Q(groups, '个', '因公出国（境）团组')}、{w.Q(people, '人次', '因公出国（境）团组')}"
              if f.abroad else f"{w.S('因公出国（境）费')}{w.A(f.abroad, '因公出国（境）费')}，未安排因公出国（境）")
    car = (f"{w.S('公务用车购置及运行维护费')}{w.A(f.car_buy + f.car_run, '公务用车购置及运行维护费')}，其中："
           f"{w.S('公务用车购置费')}{w.A(f.car_buy, '公务用车购置费')}，{w.S('购置车辆')}{w.Q(cars_bought, '辆', '购置车辆')}；"
           f"{w.S('公务用车运行维护费')}{w.A(f.car_run, '公务用车运行维护费')}，年末{w.S('公务用车保有量')}"
           f"{w.Q(fleet, '辆', '公务用车保有量')}")
    host = (f"{w.S('公务接待费')}{w.A(f.reception, '公务接待费')}，{w.S('国内公务接待')}"
            f"{w.Q(batches, '批次', '国内公务接待')}、{w.Q(visitors, '人次', '国内公务接待')}")
    head = "七、“三公”经费支出决算情况说明\n" if variant == 0 else "（七）一般公共预算财政拨款“三公”经费支出决算情况\n"
    return (f"{head}{_stub(w, dept)}{w.S('“三公”经费')}支出决算为{w.A(total, '“三公”经费', b='actual')}，完成预算的"
            f"{w.R(execution, '“三公”经费', m='execution_pct')}。其中：{abroad}；{car}；{host}。\n")


def meetings(w: Writer, f: Figures, dept: str) -> str:
    n1, p1, n2, p2 = w.rng.randint(2, 12), w.rng.randint(40, 500), w.rng.randint(1, 9), w.rng.randint(30, 800)
    return (f"八、会议费、培训费支出情况\n{_stub(w, dept)}{w.S('会议费')}支出{w.A(f.meeting, '会议费')}，召开{w.S('会议')}"
            f"{w.Q(n1, '个', '会议')}，{w.S('参会人员')}{w.Q(p1, '人次', '参会人员')}；{w.S('培训费')}支出"
            f"{w.A(f.training, '培训费')}，举办{w.S('培训')}{w.Q(n2, '期', '培训')}，{w.S('参训人员')}"
            f"{w.Q(p2, '人次', '参训人员')}。\n")


def operation(w: Writer, f: Figures, dept: str, cause: str) -> str:
    return (f"九、机关运行经费支出情况\n{_stub(w, dept)}{w.S('机关运行经费')}支出{w.A(f.operation, '机关运行经费')}，"
            f"{w.change(f.operation, f.operation_prev, '机关运行经费', reason='日常公用经费压减')}，主要原因是日常公用经费压减。\n")


def procurement(w: Writer, f: Figures, dept: str, plant: bool = False) -> str:
    goods = f.goods + (w.draw(5, 20) if plant else 0)
    share = w.pct_value(f.sme, f.procurement)
    return (f"十、政府采购支出情况\n{_stub(w, dept)}{w.S('政府采购支出总额')}{w.A(f.procurement, '政府采购支出总额')}，其中："
            f"{w.S('政府采购货物支出')}{w.A(goods, '政府采购货物支出')}、{w.S('政府采购工程支出')}"
            f"{w.A(f.works, '政府采购工程支出')}、{w.S('政府采购服务支出')}{w.A(f.services, '政府采购服务支出')}。"
            f"{w.S('授予中小企业合同金额')}{w.A(f.sme, '授予中小企业合同金额')}，占政府采购支出总额的"
            f"{w.R(share, '授予中小企业合同金额', m='share_pct')}。\n")


def assets(w: Writer, f: Figures, dept: str) -> str:
    cars, special = w.rng.randint(1, 12), w.rng.randint(0, 4)
    y = w.year
    return (f"十一、国有资产占用情况\n截至{w.P(f'{y}年12月31日', f'{y}-12-31')}，{w.t(dept)}共有车辆"
            f"{w.Q(cars, '辆', '车辆', p=y)}，其中：{w.S('执法执勤用车')}{w.Q(han(cars), '辆', '执法执勤用车', p=y, v=cars)}；"
            f"单位价值{w.A(Decimal(100) * w.scale, unit=None)}以上设备{w.Q(special, '台', '单位价值100万元以上设备', p=y)}。\n"
            if w.style.unit == "万元" else
            f"十一、国有资产占用情况\n截至{w.P(f'{y}年12月31日', f'{y}-12-31')}，{w.t(dept)}共有车辆"
            f"{w.Q(cars, '辆', '车辆', p=y)}，其中执法执勤用车{w.Q(han(cars), '辆', '执法执勤用车', p=y, v=cars)}。\n")


def performance(w: Writer, f: Figures, dept: str) -> str:
    n = w.rng.randint(3, 15)
    covered = (f.project * Decimal(str(w.rng.uniform(0.5, 1.0)))).quantize(Q)
    share = w.pct_value(covered, f.project)
    return (f"十二、预算绩效管理工作开展情况\n{_stub(w, dept)}组织对{w.Q(n, '个', '项目')}{w.S('项目')}开展绩效自评，"
            f"{w.S('自评涉及资金')}{w.A(covered, '自评涉及资金')}，占项目支出总额的{w.R(share, '自评涉及资金', m='share_pct')}。\n")


# --- 部门预算说明 sections ---------------------------------------------------------------------------

def budget_totals(w: Writer, f: Figures, dept: str, cause: str, variant: int, plant: bool = False) -> str:
    y = w.year
    subject = "收入预算总额" if variant == 0 else "收支预算总额"
    pct = w.pct_value(abs(f.total - f.total_prev), f.total_prev) + (Decimal("2.50") if plant else 0)
    if variant == 0:
        return (f"一、收支预算总体情况\n按照综合预算的原则，{w.t(dept)}所有收入和支出均纳入部门预算管理。"
                f"{w.P(f'{y}年', y)}{w.S('收入预算总额')}{w.A(f.total, '收入预算总额', b='budget')}，"
                f"{w.S('支出预算总额')}{w.A(f.total, '支出预算总额', b='budget')}。{w.S('收入预算总额')}"
                f"{w.change(f.total, f.total_prev, '收入预算总额', basis='budget', reason=cause, planted_pct=pct if plant else None)}，"
                f"主要原因是{cause}。\n")
    phrase, y0 = w.versus()
    up = f.total > f.total_prev
    d = "increase" if up else "decrease"
    delta = abs(f.total - f.total_prev)
    return (f"（一）收支预算总体情况。{w.P(f'{y}年度', y)}{w.S('收入预算')}、{w.S('支出预算')}总额均为"
            f"{w.A(f.total, '收入预算', b='budget')}，{phrase}预算{w.C('增加' if up else '减少', d)}"
            f"{w.A(delta, '收入预算', m='change', d=d, bp=y0, b='budget')}，{w.C(w.style.pct_words[0 if up else 1], d)}"
            f"{w.R(pct, '收入预算', d=d, bp=y0, b='budget')}。\n")


def budget_income(w: Writer, f: Figures, dept: str) -> str:
    parts = [("一般公共预算拨款收入", f.appropriation), ("事业收入", f.business), ("其他收入", f.other)]
    body = [f"{w.S(n)}{w.A(v, n, b='budget')}，占{w.R(w.pct_value(v, f.income), n, m='share_pct', b='budget')}"
            for n, v in parts if v]
    return (f"二、收入预算情况\n{w.P(f'{w.year}年', w.year)}{w.S('收入预算')}{w.A(f.income, '收入预算', b='budget')}，其中："
            + "；".join(body) + "。\n")


def budget_spending(w: Writer, f: Figures, dept: str) -> str:
    b, p = w.pct_value(f.basic, f.spending), w.pct_value(f.project, f.spending)
    return (f"三、支出预算情况\n{w.P(f'{w.year}年', w.year)}{w.S('支出预算')}{w.A(f.spending, '支出预算', b='budget')}，"
            f"其中：{w.S('基本支出')}{w.A(f.basic, '基本支出', b='budget')}，占{w.R(b, '基本支出', m='share_pct', b='budget')}；"
            f"{w.S('项目支出')}{w.A(f.project, '项目支出', b='budget')}，占{w.R(p, '项目支出', m='share_pct', b='budget')}。\n")


def budget_general(w: Writer, f: Figures, dept: str, code: str, cause: str, variant: int) -> str:
    subject = "一般公共预算当年拨款"
    name = NAMES[code]
    now = f.by_code[code]
    before = f.budget_by_code[code]
    if variant == 0:
        head = f"{w.S(NAMES[code[:3]])}（类）{w.S(NAMES[code[:5]])}（款）{w.S(name)}（项）"
    else:
        head = f"{w.S(name)}（⟦K:{code}|{code}⟧）"
    return (f"四、一般公共预算当年拨款情况\n{w.P(f'{w.year}年', w.year)}{w.S(subject)}规模{w.A(f.general, subject, b='budget')}，"
            f"{w.change(f.general, f.general_prev, subject, basis='budget')}。其中：{head}"
            f"{w.A(now, name, b='budget', code=code)}，{w.change(now, before, name, basis='budget', reason=cause)}，主要原因是{cause}。\n")


def budget_sangong(w: Writer, f: Figures, dept: str, plant: bool = False) -> str:
    y = w.year
    total = f.sangong + (w.draw(2, 5) if plant else 0)
    y0 = y - 1
    abroad = (f"{w.S('因公出国（境）费')}{w.A(f.abroad, '因公出国（境）费', b='budget')}，与上年{w.C('持平', 'flat')}"
              if not f.abroad else f"{w.S('因公出国（境）费')}{w.A(f.abroad, '因公出国（境）费', b='budget')}")
    return (f"五、“三公”经费预算情况说明\n{w.P(f'{y}年', y)}{w.S('“三公”经费')}预算数为{w.A(total, '“三公”经费', b='budget')}，"
            f"{w.change(f.sangong, f.sangong_prev, '“三公”经费', basis='budget')}。其中：{abroad}；"
            f"{w.S('公务用车购置费')}{w.A(f.car_buy, '公务用车购置费', b='budget')}；{w.S('公务用车运行维护费')}"
            f"{w.A(f.car_run, '公务用车运行维护费', b='budget')}；{w.S('公务接待费')}{w.A(f.reception, '公务接待费', b='budget')}。\n")


def budget_operation(w: Writer, f: Figures, dept: str) -> str:
    return (f"六、机关运行经费\n{w.P(f'{w.year}年', w.year)}{w.S('机关运行经费')}预算{w.A(f.operation, '机关运行经费', b='budget')}，"
            f"{w.change(f.operation, f.operation_prev, '机关运行经费', basis='budget')}。\n")


def budget_procurement(w: Writer, f: Figures, dept: str) -> str:
    return (f"七、政府采购情况\n{w.P(f'{w.year}年', w.year)}{w.S('政府采购预算总额')}{w.A(f.procurement, '政府采购预算总额', b='budget')}，"
            f"其中：{w.S('政府采购货物')}预算{w.A(f.goods, '政府采购货物', b='budget')}、{w.S('政府采购工程')}预算"
            f"{w.A(f.works, '政府采购工程', b='budget')}、{w.S('政府采购服务')}预算{w.A(f.services, '政府采购服务', b='budget')}。\n")


def budget_assets(w: Writer, f: Figures, dept: str) -> str:
    cars = w.rng.randint(1, 9)
    return (f"八、国有资产占用情况\n截至{w.P(f'{w.year - 1}年12月31日', f'{w.year - 1}-12-31')}，{w.t(dept)}共有车辆"
            f"{w.Q(cars, '辆', '车辆', p=w.year - 1)}。{w.P(f'{w.year}年', w.year)}部门预算安排购置车辆"
            f"{w.Q(0, '辆', '购置车辆', b='budget')}。\n")


def budget_performance(w: Writer, f: Figures, dept: str) -> str:
    n = w.rng.randint(2, 12)
    return (f"九、预算绩效情况说明\n{w.P(f'{w.year}年', w.year)}实行绩效目标管理的项目{w.Q(n, '个', '实行绩效目标管理的项目')}，"
            f"涉及{w.S('一般公共预算当年拨款')}{w.A(f.project, '一般公共预算当年拨款', b='budget')}。\n")

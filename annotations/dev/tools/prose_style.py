"""How one department writes: its house style, and markup helpers that print figures in it.

A ``Writer`` holds a department's style (units, spacing, comparison phrases, digits, script)
and writes each figure as markup (see markup.py) with its fact, so the passages in
prose_docs.py read as text while their gold follows by construction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

Q = Decimal("0.01")
FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
TRAD = str.maketrans({"万": "萬", "亿": "億", "预": "預", "决": "決", "总": "總", "计": "計", "财": "財", "务": "務",
                      "费": "費", "经": "經", "运": "運", "项": "項", "较": "較", "增": "增", "长": "長", "减": "減",
                      "从": "從", "为": "為", "与": "與", "门": "門", "车": "車", "购": "購", "置": "置", "维": "維",
                      "护": "護", "接": "接", "国": "國", "内": "內", "出": "出", "结": "結", "转": "轉", "余": "餘",
                      "入": "入", "收": "收", "拨": "撥", "款": "款", "员": "員", "关": "關", "产": "產", "体": "體",
                      "况": "況", "说": "說", "明": "明", "类": "類", "资": "資", "积": "積", "险": "險", "缴": "繳",
                      "险": "險", "养": "養", "疗": "療", "卫": "衛", "讯": "訊", "单": "單", "位": "位", "业": "業",
                      "政": "政", "数": "數", "占": "佔", "会": "會", "议": "議", "训": "訓", "开": "開", "样": "樣",
                      "购": "購", "额": "額", "货": "貨", "务": "務", "标": "標", "绩": "績", "评": "評", "价": "價",
                      "这": "這", "个": "個", "辆": "輛", "批": "批", "次": "次", "监": "監", "检": "檢", "区": "區",
                      "县": "縣", "镇": "鎮", "乡": "鄉", "机": "機", "构": "構", "设": "設", "备": "備", "报": "報"})


@dataclass
class Style:
    unit: str = "万元"  # 万元, 元 (with thousands separators) or 亿元
    sp: str = ""  # between a number and its unit
    comparison: str = "较上年"  # see Writer.versus
    pct_words: tuple[str, str] = ("增长", "下降")
    fullwidth: bool = False
    traditional: bool = False
    pdf_breaks: bool = False  # a PDF line break inside some figures


class Writer:
    """Figures of one passage in one department's style; ``year`` is the report year."""

    def __init__(self, style: Style, year: int, basis: str, rng: random.Random) -> None:
        self.style, self.year, self.basis, self.rng = style, year, basis, rng
        self.scale = {"万元": Decimal(1), "元": Decimal(10000), "亿元": Decimal("0.0001")}[style.unit]

    # --- numbers --------------------------------------------------------------------------------
    def draw(self, lo: float, hi: float) -> Decimal:
        """A figure in the style's unit, drawn from a range given in 万元."""
        v = Decimal(str(self.rng.uniform(lo, hi))) * self.scale
        return v.quantize(Q) if v >= Decimal("0.1") else v.quantize(Decimal("0.0001"))

    def number(self, v: Decimal) -> str:
        if self.style.unit == "元":
            s = f"{v:,.2f}"
        else:
            s = f"{v:.2f}" if v.as_tuple().exponent >= -2 else f"{v:.4f}"
        return s.translate(FULLWIDTH) if self.style.fullwidth else s

    def money(self, v: Decimal, unit: str | None = None) -> str:
        unit = unit or self.style.unit
        n = self.number(v)
        if self.style.pdf_breaks and self.rng.random() < 0.15 and "." in n:
            n = n.replace(".", " .", 1)
        u = unit.translate(TRAD) if self.style.traditional else unit
        if self.style.pdf_breaks and self.rng.random() < 0.1 and len(u) == 2:
            u = u[0] + "\n" + u[1]
        return n + self.style.sp + u

    @staticmethod
    def pct_value(part: Decimal, whole: Decimal) -> Decimal:
        return (part / whole * 100).quantize(Q) if whole else Decimal(0)

    def percent(self, p: Decimal) -> str:
        s = f"{p:.2f}"
        return (s.translate(FULLWIDTH) if self.style.fullwidth else s) + self.style.sp + "%"

    # --- markup -----------------------------------------------------------------------------------
    def t(self, words: str) -> str:
        """Words in the document's script."""
        return words.translate(TRAD) if self.style.traditional else words

    def A(self, v: Decimal, subject: str | None = None, **kw) -> str:
        return self._mark("A", self.money(v, kw.pop("unit", None)), subject, kw)

    def R(self, p: Decimal, subject: str | None = None, **kw) -> str:
        return self._mark("R", self.percent(p), subject, kw)

    def Q(self, n: int | str, unit: str, subject: str | None = None, **kw) -> str:
        if isinstance(n, str):  # Chinese numerals sit right against their unit
            surface = n + unit
        else:
            digits = str(n).translate(FULLWIDTH) if self.style.fullwidth else str(n)
            surface = f"{digits}{self.style.sp}{unit}"
        kw["u"] = unit
        return self._mark("Q", surface, subject, kw)

    def S(self, name: str) -> str:
        return f"⟦S:{self.t(name)}⟧"

    def P(self, surface: str, value: int | str) -> str:
        return f"⟦P:{self.t(surface)}|{value}⟧"

    def C(self, word: str, direction: str) -> str:
        return f"⟦C:{self.t(word)}|{direction}⟧"

    def _mark(self, label: str, surface: str, subject: str | None, kw: dict) -> str:
        attrs = []
        if subject is not None:
            attrs.append(f"s={self.t(subject)}")
        for k, v in kw.items():
            if v is not None:
                attrs.append(f"{k}={v}")
        return f"⟦{label}:{surface}|{';'.join(attrs)}⟧" if attrs else f"⟦{label}:{surface}⟧"

    # --- phrases ----------------------------------------------------------------------------------
    def versus(self, kind: str | None = None) -> tuple[str, str]:
        """(comparison phrase as markup, base period)."""
        y0 = self.year - 1
        kind = kind or self.style.comparison
        phrases = {
            "较上年": f"较{self.P('上年', y0)}", "比上年": f"比{self.P('上年', y0)}",
            "与上年相比": f"与{self.P('上年', y0)}相比，", "同比": "同比",
            "较年份": f"较{self.P(f'{y0}年', y0)}", "与年度相比": f"与{self.P(f'{y0}年度', y0)}相比，",
            "比去年": f"比{self.P('去年', y0)}", "较上年度": f"较{self.P('上年度', y0)}",
            "与年份决算相比": f"与{self.P(f'{y0}年度', y0)}决算相比，",
        }
        return phrases[kind], str(y0)

    def change(self, now: Decimal, before: Decimal, subject: str, *, pct: bool = True, basis: str | None = None,
               reason: str | None = None, words: tuple[str, str] | None = None, planted_pct: Decimal | None = None) -> str:
        """``增加 X 万元，增长 Y%`` (or its decrease) of ``subject`` against the base year; ``持平`` when equal."""
        phrase, y0 = self.versus()
        if now == before:
            return f"{phrase}{self.C('持平', 'flat')}"
        up = now > before
        d = "increase" if up else "decrease"
        delta = abs(now - before)
        w1 = (words or ("增加", "减少"))[0 if up else 1]
        w2 = self.style.pct_words[0 if up else 1]
        out = f"{phrase}{self.C(w1, d)}{self.A(delta, subject, m='change', d=d, bp=y0, b=basis, r=reason)}"
        if pct:
            p = planted_pct if planted_pct is not None else self.pct_value(delta, before)
            glue = "为" if w2.endswith("幅") else ""
            mark = self.R(p, subject, m="change_pct", d=d, bp=y0, b=basis, r=reason)
            out += f"，{self.C(w2, d)}{glue}{mark}"
        return out

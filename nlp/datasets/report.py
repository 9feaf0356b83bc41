"""A department's page: each major subject over the years and budget against actual as bar
charts (inline SVG, no script), and the cross-document checks with their evidence.

``render(db, department)`` returns the HTML; ``fiscal-extract dataset report`` writes it and the
service serves it at ``/datasets/{department}``."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from nlp.datasets.links import cross_checks

TEMPLATES = Path(__file__).resolve().parents[2] / "service" / "templates"
# The subjects a reader looks for first; others follow by how many years they cover.
MAJOR = ("收入总计", "支出总计", "本年收入合计", "本年支出合计", "财政拨款收入", "一般公共预算财政拨款支出",
         "基本支出", "项目支出", "“三公”经费", "机关运行经费")
MAX_CHARTS = 8


def _wan(value: str) -> float:
    return float(Decimal(value) / 10_000)


def _series(con: sqlite3.Connection, department: str) -> dict[str, dict[tuple[str, str], Decimal]]:
    """subject → {(period, basis): value}; one value per key (the most frequent one)."""
    rows = con.execute("SELECT subject, period, COALESCE(basis, doc_basis) AS b, value FROM facts WHERE department = ? "
                       "AND measure = 'amount' AND unit = 'CNY' AND column_name IS NULL AND period IS NOT NULL "
                       "AND subject IS NOT NULL", (department,)).fetchall()
    counts: dict[str, dict[tuple[str, str], dict[Decimal, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for subject, period, basis, value in rows:
        counts[subject][(period[:4], basis or "")][Decimal(value)] += 1
    return {s: {k: max(v, key=lambda x: (v[x], x)) for k, v in by.items()} for s, by in counts.items()}


def _chart(subject: str, points: dict[tuple[str, str], Decimal]) -> dict[str, Any]:
    years = sorted({y for y, _ in points})
    bases = [b for b in ("budget", "actual", "") if any(k[1] == b for k in points)]
    top = max((float(v) for v in points.values()), default=0.0) or 1.0
    bars, x = [], 40
    width = 60 if len(bases) == 1 else 34
    for y in years:
        for i, b in enumerate(bases):
            v = points.get((y, b))
            if v is not None:
                h = 150 * float(v) / top if v > 0 else 0
                bars.append({"x": x + i * width, "y": 170 - h, "w": width - 6, "h": h, "basis": b or "stated",
                             "label": f"{_wan(str(v)):,.2f}"})
        bars.append({"axis": True, "x": x, "year": y})
        x += width * len(bases) + 24
    return {"subject": subject, "bars": bars, "width": max(x, 200), "bases": bases}


def render(db: Path, department: str) -> str:
    con = sqlite3.connect(db)
    docs = con.execute("SELECT doc_id, year, basis, title FROM documents WHERE department = ? ORDER BY year, doc_id",
                       (department,)).fetchall()
    series = _series(con, department)
    ranked = sorted(series, key=lambda s: (s not in MAJOR, MAJOR.index(s) if s in MAJOR else 0,
                                           -len({y for y, _ in series[s]}), s))
    charts = [_chart(s, series[s]) for s in ranked if len({y for y, _ in series[s]}) > 1 or
              len({b for _, b in series[s]}) > 1][:MAX_CHARTS]
    checks = [c for c in cross_checks(con) if c.department == department]
    con.close()
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    return env.get_template("dataset_report.html").render(
        department=department, documents=docs, charts=charts,
        disagreements=[c for c in checks if c.status == "disagrees"],
        others=[c for c in checks if c.status != "disagrees"], wan=_wan)

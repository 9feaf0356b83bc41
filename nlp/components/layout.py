"""fiscal_layout: document period and table structure (title, unit line, header, rows, cells).

Writes ``doc._.period``, ``doc._.tables`` (``nlp.tables.Table``) and the entities that
table structure makes certain (bare amounts under a declared unit, codes, row subjects,
target values with a unit cell) to ``doc.spans["layout"]``. The parsing itself is the
pure ``nlp.tables`` package; this component only maps its offsets to spans.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Optional

from spacy.attrs import IDX, LENGTH
from spacy.language import Language
from spacy.tokens import Doc

from nlp.codes import CodeTable
from nlp.extensions import doc_text, make_span
from nlp.tables import document_evidence, layout_entities, parse_tables


class LayoutAnalyzer:
    def __init__(self, codes: CodeTable | None = None):
        self.codes = codes or CodeTable.load()

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        period, basis = document_evidence(text)
        doc._.period = period
        tables = parse_tables(text, period, basis, self.codes, doc._.norm)
        doc._.tables = tables
        entities = layout_entities(tables)
        _split_tokens(doc, entities)
        spans = []
        for e in entities:
            span = make_span(doc, e.start, e.end, e.label, value=e.value, unit=e.unit, source="rule", score=1.0)
            if span is not None:  # offsets inside a token: left to the rules
                spans.append(span)
        doc.spans["layout"] = spans
        doc.spans[BLOCKED_KEY] = _blocked_spans(doc, tables)
        return doc


BLOCKED_KEY = "layout_blocked"


def _blocked_spans(doc: Doc, tables) -> list:
    """Where table structure says no other component's entity stands: the table's title, its
    number and maker lines (公开05表, 编制单位：…), basis labels of rows, and its header cells (label ``HEADER``: a table's or a column's name is no item of the text;
    its years and units stay PERIODs and UNITs) and column-index rows (``INDEX``: ``栏次 1 2 3``,
    ``** ** 1 2``; the 类/款 parts a 项 row repeats)."""
    out = []
    for t in tables:
        if t.kind not in ("grid", "target"):
            continue
        areas = [("HEADER", a, b) for a, b in ([t.title_span] if t.title_span else []) + t.note_spans]
        for r in t.rows:  # a basis label (年初预算数, 2024年预算数); 类/款 parts repeated on a 项 row
            if r.label_cell is not None:
                areas.append(("HEADER", r.label_cell.start, r.label_cell.end))
            areas += [("INDEX", c.start, c.end) for c in r.layout_cells if c.end > c.start]
        for label, a, b in areas:
            span = doc.char_span(a, b, label=label, alignment_mode="expand")
            if span is not None:
                out.append(span)
        for label, rows in (("HEADER", [*t.header_rows, *t.repeated_rows]), ("INDEX", [t.index_row] if t.index_row else [])):
            for row in rows:
                for c in row:
                    if c.end > c.start:
                        span = doc.char_span(c.start, c.end, label=label, alignment_mode="expand")
                        if span is not None:
                            out.append(span)
    return out


def _split_tokens(doc: Doc, entities) -> None:
    """Cell boundaries are token boundaries: a token that runs over an entity's edge (the text
    lost the cell break: ``1</td><td>3,976,800.00`` normalises to ``13,976,800.00``; CSV
    ``1,132.27`` is the cells ``1`` and ``132.27``) is split there, so the entity gets its span."""
    cuts: set[int] = set()
    for e in entities:
        cuts.add(e.start)
        cuts.add(e.end)
    if not cuts:
        return
    # the few cuts looked up among the token starts, not every token visited
    starts, lengths = (col.tolist() for col in doc.to_array([IDX, LENGTH]).T)
    inner_cuts: dict[int, list[int]] = {}
    for x in sorted(cuts):
        i = bisect_right(starts, x) - 1
        if i >= 0 and starts[i] < x < starts[i] + lengths[i]:
            inner_cuts.setdefault(i, []).append(x)
    if not inner_cuts:
        return
    todo = [(doc[i], inner) for i, inner in sorted(inner_cuts.items())]
    with doc.retokenize() as retok:
        for tok, inner in todo:
            a = tok.idx
            points = [a, *inner, a + len(tok.text)]
            orths = [tok.text[p - a : q - a] for p, q in zip(points, points[1:])]
            retok.split(tok, orths, heads=[(tok, 0)] * len(orths))


@Language.factory("fiscal_layout", default_config={"codes_path": None})
def make_layout(nlp: Language, name: str, codes_path: Optional[str]) -> LayoutAnalyzer:
    """``codes_path``: another classification table (TSV as ``nlp/data/gov_codes.tsv``)."""
    return LayoutAnalyzer(CodeTable.load(codes_path))

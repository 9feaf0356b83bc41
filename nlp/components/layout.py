"""fiscal_layout: document period and table structure (title, unit line, header, rows, cells).

Writes ``doc._.period``, ``doc._.tables`` (``nlp.tables.Table``) and the entities that
table structure makes certain (bare amounts under a declared unit, codes, row subjects,
target values with a unit cell) to ``doc.spans["layout"]``. The parsing itself is the
pure ``nlp.tables`` package; this component only maps its offsets to spans.
"""

from __future__ import annotations

from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc

from nlp.codes import CodeTable
from nlp.extensions import make_span
from nlp.tables import document_evidence, layout_entities, parse_tables


class LayoutAnalyzer:
    def __init__(self, codes: CodeTable | None = None):
        self.codes = codes or CodeTable.load()

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        period, basis = document_evidence(text)
        doc._.period = period
        tables = parse_tables(text, period, basis, self.codes, doc._.norm)
        doc._.tables = tables
        spans = []
        for e in layout_entities(tables):
            span = make_span(doc, e.start, e.end, e.label, value=e.value, unit=e.unit, source="rule", score=1.0)
            if span is not None:  # offsets inside a token: left to the rules
                spans.append(span)
        doc.spans["layout"] = spans
        return doc


@Language.factory("fiscal_layout", default_config={"codes_path": None})
def make_layout(nlp: Language, name: str, codes_path: Optional[str]) -> LayoutAnalyzer:
    """``codes_path``: another classification table (TSV as ``nlp/data/gov_codes.tsv``)."""
    return LayoutAnalyzer(CodeTable.load(codes_path))

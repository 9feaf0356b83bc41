"""fiscal_layout: document period and table structure (title, unit line, header, rows, cells).

Writes ``doc._.period``, ``doc._.tables`` and the entities that table structure makes
certain (bare amounts under a declared unit, codes, row subjects) to ``doc.spans["layout"]``.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc


class LayoutAnalyzer:
    def __call__(self, doc: Doc) -> Doc:
        doc._.tables = []
        doc.spans["layout"] = []
        return doc


@Language.factory("fiscal_layout")
def make_layout(nlp: Language, name: str) -> LayoutAnalyzer:
    return LayoutAnalyzer()

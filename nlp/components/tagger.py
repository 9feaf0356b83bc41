"""fiscal_tagger: the statistical entity tagger, proposals written to ``doc.spans["model"]``."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc


class StatisticalTagger:
    def __call__(self, doc: Doc) -> Doc:
        doc.spans["model"] = []
        return doc


@Language.factory("fiscal_tagger")
def make_tagger(nlp: Language, name: str) -> StatisticalTagger:
    return StatisticalTagger()

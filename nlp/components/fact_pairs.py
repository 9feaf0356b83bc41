"""fiscal_fact_pairs: learned subject choice for prose facts, after fiscal_facts (issue 16).

Off by default (``enabled = false`` in ``nlp/pipeline.cfg``): then it does nothing. Enabled, it
re-chooses the subject of every prose fact with the ``combined`` scorer of
``nlp.ml.fact_pairs`` (the rules' subject is one candidate and a feature), loaded from a
verified model directory (``models/fact-pairs``: manifest and skops, trusted types only).
Measurements and why it is off: ``reports/fact-assembly.md``.
"""

from __future__ import annotations

from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

DEFAULT_MODEL = "fact-pairs"


def resolve_model(name: str) -> Path:
    """An absolute path as given; a name: the project's ``models/<name>``, else the shipped one."""
    from nlp.project import model_dir

    path = Path(name)
    return path if path.is_absolute() else model_dir(name, marker="manifest.json")


class FactPairs:
    def __init__(self, enabled: bool, model: str):
        self.enabled = enabled
        self.scorer = None
        if enabled:
            from nlp.ml.fact_pairs import load_scorer

            self.scorer = load_scorer(resolve_model(model))

    def __call__(self, doc: Doc) -> Doc:
        if self.scorer is None or not doc._.facts:
            return doc
        from nlp.ml.fact_pairs import doc_cases, prose_fact_indices

        cases = doc_cases(doc, prose_fact_indices(doc), with_rule=True)
        facts = list(doc._.facts)
        for case, (pick, _) in zip(cases, self.scorer.choose(cases)):
            if pick is not None and pick.text != (facts[case.fact_index].subject or ""):
                facts[case.fact_index] = facts[case.fact_index].model_copy(update={"subject": pick.text or None})
        doc._.facts = facts
        return doc


@Language.factory("fiscal_fact_pairs", default_config={"enabled": False, "model": DEFAULT_MODEL})
def make_fact_pairs(nlp: Language, name: str, enabled: bool, model: str) -> FactPairs:
    return FactPairs(enabled, model)

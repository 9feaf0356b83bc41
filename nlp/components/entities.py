"""fiscal_entities: resolve the span groups into ``doc.ents`` by an explicit policy.

Policy: groups are taken in priority order (``layout`` before ``rules`` before ``model``),
or in the order ``label_priority`` gives for a label (``{"SUBJECT": ["layout", "model", "rules"]}``
lets the model's SUBJECT spans win over the lexicon's; a group left out of the list gives no
span of that label); within one rank longer spans first; a
span overlapping one already taken is dropped. Model spans count only for the labels listed in
``model_labels`` and only above ``min_model_score``. The shipped policy is chosen by
cross-validation on the training documents (``nlp/ml/train.py``), not by hand.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp.extensions import doc_text, set_span_attrs
from nlp.rules import find_rule_entities


_VALUE_WINDOW = 24  # characters after a span the value reader may look at (a CHANGE's figure)


def read_value(doc: Doc, span: Span) -> dict:
    """value, unit, direction and flags of a model span: the tagger finds where an entity is,
    the rules' value readers say what it is worth — the span must be exactly one rule match of
    its label (a CHANGE trigger may be followed by its figure). Otherwise no value."""
    empty = {"value": None, "unit": None, "direction": None, "flags": ()}
    if span.label_ == "SUBJECT":
        return empty
    text = doc_text(doc)[span.start_char: span.end_char + _VALUE_WINDOW]
    n = span.end_char - span.start_char
    for m in find_rule_entities(text, doc._.period, None, [span.label_]):
        if m.start == 0 and m.end == n:
            return {"value": m.value, "unit": m.unit, "direction": m.direction, "flags": tuple(m.flags or ())}
    return empty


class EntityResolver:
    def __init__(self, priority: list[str], model_labels: list[str], min_model_score: float,
                 label_priority: dict[str, list[str]] | None = None):
        self.priority = list(priority)
        self.model_labels = set(model_labels)
        self.min_model_score = min_model_score
        self.label_priority = {label: list(groups) for label, groups in (label_priority or {}).items()}
        self.unaligned = 0  # spans dropped for starting or ending inside one original character

    def rank(self, group: str, label: str) -> int | None:
        """The span's rank, or None when ``label_priority`` leaves its group out for this label."""
        order = self.label_priority.get(label, self.priority)
        return order.index(group) if group in order else None

    def candidates(self, doc: Doc) -> list[tuple[str, Span]]:
        """(group, span) in the order they are taken."""
        scores = doc._.model_scores or {}
        ranked: list[tuple[int, int, int, str, Span]] = []
        for group in self.priority:
            spans = list(doc.spans[group]) if group in doc.spans else []
            if group == "model":
                spans = [s for s in spans if s.label_ in self.model_labels
                         and scores.get((s.start_char, s.end_char, s.label_), 0.0) >= self.min_model_score]
            for s in spans:
                rank = self.rank(group, s.label_)
                if rank is not None:
                    ranked.append((rank, -(s.end_char - s.start_char), s.start_char, group, s))
        ranked.sort(key=lambda r: r[:3])
        return [(r[3], r[4]) for r in ranked]

    def __call__(self, doc: Doc) -> Doc:
        taken = bytearray(len(doc))
        chosen: list[Span] = []
        norm = doc._.norm
        scores = doc._.model_scores or {}
        blocked = _blocked(doc)
        for group, span in self.candidates(doc):
            if any(taken[span.start:span.end]):
                continue
            if group != "layout" and blocked and _is_blocked(blocked, span):
                continue  # a table's header cell or column-index row (fiscal_layout)
            if norm is not None and not norm.is_aligned(span.start_char, span.end_char):
                # "㎡万元" → "m2万元": "2万元" starts inside one original character, so it is no
                # span of the client's text (and its digit is an exponent, not a figure)
                self.unaligned += 1
                continue
            taken[span.start:span.end] = b"\x01" * (span.end - span.start)
            ent = Span(doc, span.start, span.end, label=span.label_)
            if group == "model":
                # spaCy keys span attributes by character offsets alone: a layout or rule span's
                # attributes are already the entity's; a model span has none of its own (the
                # tagger keeps its scores in doc._.model_scores), so they are set here, the
                # value read from the span's text
                set_span_attrs(ent, **read_value(doc, span), source="model",
                               score=scores.get((span.start_char, span.end_char, span.label_), 0.0))
            chosen.append(ent)
        chosen.sort(key=lambda s: s.start)
        doc.ents = chosen
        return doc


# Labels that a header cell may still hold (a year in "2026年预算数", a unit in "金额(万元)").
_HEADER_LABELS = ("PERIOD", "UNIT")


def _blocked(doc: Doc) -> list[tuple[int, int, str]]:
    """Token ranges where fiscal_layout says no other entity stands (``doc.spans["layout_blocked"]``)."""
    if "layout_blocked" not in doc.spans:
        return []
    return [(s.start, s.end, s.label_) for s in doc.spans["layout_blocked"]]


def _is_blocked(blocked: list[tuple[int, int, str]], span: Span) -> bool:
    for a, b, kind in blocked:
        if a < span.end and span.start < b:
            if kind == "INDEX" or span.label_ not in _HEADER_LABELS:
                return True
    return False


@Language.factory(
    "fiscal_entities",
    default_config={"priority": ["layout", "rules", "model"], "model_labels": ["SUBJECT"], "min_model_score": 0.5,
                    "label_priority": {}},
)
def make_entities(nlp: Language, name: str, priority: list[str], model_labels: list[str], min_model_score: float,
                  label_priority: dict[str, list[str]]) -> EntityResolver:
    return EntityResolver(priority, model_labels, min_model_score, label_priority)

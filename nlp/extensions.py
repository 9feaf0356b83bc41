"""Custom attributes on spaCy's ``Doc`` and ``Span``: the shared data model of the pipeline.

Offsets on a ``Doc`` are into the *normalised* text (``doc.text``); ``doc._.norm`` maps
them back to the client's text, which only the serializer does.

Span groups written by the components:

- ``doc.spans["layout"]``: entities certain from table structure (fiscal_layout)
- ``doc.spans["rules"]``:  entities found by the rules in prose and target cells (fiscal_rules)
- ``doc.spans["model"]``:  entities proposed by the statistical tagger (fiscal_tagger)
- ``doc.ents``:            the resolved, non-overlapping entities (fiscal_entities)
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

SPAN_GROUPS = ("layout", "rules", "model")

_DOC_ATTRS = {
    "norm": None,  # nlp.normalize.NormalizedText
    "period": None,  # the document's fiscal year, e.g. "2021"
    "tables": None,  # list[nlp.tables.Table]
    "facts": None,  # list[nlp.contract.Fact] with evidence in normalised offsets
    "checks": None,  # list[nlp.contract.Check]
    "model_scores": None,  # {(start_char, end_char, label): calibrated score} of doc.spans["model"]
}
_SPAN_ATTRS = {
    "value": None,  # exact decimal string (money in yuan), year, date or resolved code
    "unit": None,  # CNY / % / count unit / declared unit ("万元")
    "direction": None,  # CHANGE: increase | decrease | flat | None
    "flags": (),  # ("approximate",), ("template",)
    "source": "rule",  # rule | model
    "score": 1.0,
}


def doc_text(doc: Doc) -> str:
    """``doc.text`` without joining every token again (spaCy builds it anew on each call):
    the tokenizer made the doc from the normalised text, which it still is when the lengths
    agree; any other doc pays for the join."""
    norm = doc._.norm
    text = getattr(norm, "text", None)
    if isinstance(text, str):
        length = doc[-1].idx + len(doc[-1].text_with_ws) if len(doc) else 0
        if len(text) == length:
            return text
    return doc.text


def register_extensions() -> None:
    for name, default in _DOC_ATTRS.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=default)
    for name, default in _SPAN_ATTRS.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)


def set_span_attrs(span: Span, **attrs) -> Span:
    """Set our attributes on ``span`` (spaCy stores them per character offsets: every Span
    object over the same characters sees them)."""
    underscore = span._  # one accessor: spaCy makes a new one on every ``span._``
    for name, value in attrs.items():
        if name not in _SPAN_ATTRS:
            raise KeyError(f"unknown span attribute {name!r}")
        setattr(underscore, name, value)
    return span


def make_span(doc: Doc, start_char: int, end_char: int, label: str, **attrs) -> Span | None:
    """A span at exact character offsets, or None where they do not fall on token boundaries."""
    span = doc.char_span(start_char, end_char, label=label, alignment_mode="strict")
    return None if span is None else set_span_attrs(span, **attrs)


register_extensions()

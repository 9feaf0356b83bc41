"""The extraction contract (``CONTRACT.md``) as types.

These pydantic models are the one vocabulary every interface speaks: the Python API
returns ``Result.model_dump()``, the HTTP service declares them as its response models,
batch re-tagging writes them as JSONL and annotation files reuse ``Entity``/``Fact``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

CONTRACT_VERSION = "2.0"  # v2: PDF/HTML provenance, document block, unchecked relations, code_name and cross-document checks

LABELS: tuple[str, ...] = (
    "AMOUNT",
    "PERCENT",
    "QUANTITY",
    "UNIT",
    "SUBJECT_CODE",
    "SUBJECT",
    "CHANGE",
    "PERIOD",
)
Label = Literal["AMOUNT", "PERCENT", "QUANTITY", "UNIT", "SUBJECT_CODE", "SUBJECT", "CHANGE", "PERIOD"]

MEASURES: tuple[str, ...] = ("amount", "change", "change_pct", "share_pct", "execution_pct", "target")
Measure = Literal["amount", "change", "change_pct", "share_pct", "execution_pct", "target"]

DIRECTIONS: tuple[str, ...] = ("increase", "decrease", "flat")
Direction = Literal["increase", "decrease", "flat"]
COMPARATORS: tuple[str, ...] = ("≥", "≤", "=", ">", "<")
Comparator = Literal["≥", "≤", "=", ">", "<"]
BASES: tuple[str, ...] = ("budget", "actual")
Basis = Literal["budget", "actual"]
SOURCES: tuple[str, ...] = ("rule", "model")

ENTITY_FLAGS: tuple[str, ...] = ("approximate", "template")
FACT_FLAGS: tuple[str, ...] = ("template", "inconsistent", "approximate")

MONEY_UNIT = "CNY"
PERCENT_UNIT = "%"
# Count units seen in the sources and in fiscal disclosures generally; QUANTITY units and
# fact units outside CNY/% must be one of these.
COUNT_UNITS: tuple[str, ...] = (
    "人", "人次", "户", "家", "个", "次", "辆", "张", "批", "批次", "台", "件", "份", "场", "条",
    "例", "项", "天", "套", "篇", "期", "所", "名", "部", "本", "册", "台次", "户次", "场次",
    "分", "页", "元/人", "平方米", "公里", "万册",
)
FACT_UNITS: tuple[str, ...] = (MONEY_UNIT, PERCENT_UNIT, *COUNT_UNITS)


def is_decimal_string(value: str) -> bool:
    """A contract value: a plain decimal string, no exponent, no float artefacts."""
    if not isinstance(value, str) or not value or "e" in value.lower() or value.strip() != value:
        return False
    try:
        d = Decimal(value)
    except InvalidOperation:
        return False
    return d.is_finite()


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _absent(value: object) -> bool:
    return value is None


def _provenance(description: str, **kw):
    """A field only a PDF's result has: left out of the output when None, so a text result is
    byte for byte what it was before PDFs were read."""
    return Field(None, description=description, exclude_if=_absent, **kw)


Box = list[float]  # [x0, top, x1, bottom] in PDF points, origin at the page's top left


class Offsets(_Model):
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Entity(_Model):
    label: Label
    start: int = Field(ge=0, description="code-point offset into the text the client sent")
    end: int = Field(ge=0)
    text: str = Field(description="exactly text[start:end] of the input")
    value: Optional[str] = Field(None, description="exact decimal string (money in yuan) or normalised value")
    unit: Optional[str] = None
    direction: Optional[Direction] = None
    flags: list[str] = Field(default_factory=list)
    source: Literal["rule", "model"] = "rule"
    score: float = Field(1.0, ge=0.0, le=1.0)
    page: Optional[int] = _provenance("PDF input only: the 1-based page the entity is printed on", ge=1)
    bbox: Optional[Box] = _provenance("PDF input only: the union of its characters' boxes, [x0, top, x1, bottom] "
                                      "in points from the page's top left (a table cell's entity: the cell's text)",
                                      min_length=4, max_length=4)


class Fact(_Model):
    subject: Optional[str]
    code: Optional[str] = None
    measure: Measure
    value: str
    unit: str
    direction: Optional[Direction] = None
    comparator: Optional[Comparator] = None
    period: Optional[str] = None
    base_period: Optional[str] = None
    basis: Optional[Basis] = None
    column: Optional[str] = None
    reason: Optional[str] = None
    evidence: Offsets
    score: float = Field(1.0, ge=0.0, le=1.0)
    flags: list[str] = Field(default_factory=list)

    @field_validator("value")
    @classmethod
    def _decimal(cls, v: str) -> str:
        if not is_decimal_string(v):
            raise ValueError(f"value {v!r} is not an exact decimal string")
        return v


class ResultFact(Fact):
    """A fact as a result carries it: with the page of its evidence when the input was a PDF.
    (``Fact`` itself is also the gold records' fact, which has no page.)"""
    page: Optional[int] = _provenance("PDF input only: the 1-based page of the fact's evidence", ge=1)


class Check(_Model):
    kind: str = Field(description="parent_sum | total_sum | column_sum | change_sum | change_pct | execution_pct | share_pct | balance | code_name")
    message: str
    stated: str
    computed: str
    tolerance: str
    facts: list[int] = Field(description="indices into the response's facts")
    evidence: list[Offsets] = Field(default_factory=list)


class Unchecked(_Model):
    """A relation found among the facts that is not checked for sure (a list not said to be
    complete, an ambiguous structure, a whole of another scope): never an inconsistency."""
    kind: str
    facts: list[int] = Field(description="indices into the response's facts")
    reason: str


class ModelInfo(_Model):
    name: str
    version: str


class Document(_Model):
    """What the document is, as its own text states it (``nlp.document_meta``); None where it does not."""
    title: Optional[str] = None
    department: Optional[str] = Field(None, description="the publishing unit, without 本级/汇总")
    scope: Optional[Literal["本级", "汇总"]] = None
    region: Optional[str] = None
    year: Optional[str] = None
    basis: Optional[Basis] = None


class Page(_Model):
    """One page of a PDF input: its 1-based number, the range of ``Result.text`` it fills and its
    size in points."""
    number: int = Field(ge=1)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    width: float = Field(ge=0)
    height: float = Field(ge=0)


class Result(_Model):
    doc_id: Optional[str] = None
    model: ModelInfo
    document: Document = Field(default_factory=Document)
    entities: list[Entity]
    facts: list[ResultFact]
    checks: list[Check]
    unchecked: list[Unchecked] = Field(default_factory=list)
    text: Optional[str] = _provenance("PDF input only: the text read from the PDF, which every offset points into")
    pages: Optional[list[Page]] = _provenance("PDF input only: the pages and the part of text each fills")

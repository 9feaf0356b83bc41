"""Request and response models of the HTTP API. Responses are the contract's own types."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from nlp.contract import CONTRACT_VERSION, Result  # noqa: F401  (Result is re-exported for the routers)


def _encodable(value: str, field: str) -> str:
    # A JSON string may carry "\ud800": an unpaired surrogate that no UTF-8 response can hold.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{field} contains an unpaired surrogate code point") from None
    return value


def unencodable_path(data: Any) -> Optional[str]:
    """Where in parsed JSON a string (or key) cannot be encoded as UTF-8 (a lone surrogate such
    as ``"\\ud800"``), as ``a.0.b``; None when every string can. Iterative: depth is no limit."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return where or "body"
        elif isinstance(value, dict):
            for k, v in value.items():
                name = str(k).encode("utf-8", "backslashreplace").decode("utf-8")[:80]  # printable in the answer
                sub = f"{where}.{name}" if where else name
                if isinstance(k, str):
                    stack.append((k, sub))
                stack.append((v, sub))
        elif isinstance(value, (list, tuple)):
            stack.extend((v, f"{where}.{i}" if where else str(i)) for i, v in enumerate(value))
    return None


class ExtractRequest(BaseModel):
    """One document. ``text`` must have at least one non-whitespace character."""

    model_config = ConfigDict(extra="forbid")

    text: StrictStr = Field(description="the document; offsets in the answer index into exactly this string")
    doc_id: Optional[StrictStr] = Field(None, max_length=256, description="echoed back as the result's doc_id")

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("text is empty or whitespace only")
        return _encodable(v, "text")

    @field_validator("doc_id")
    @classmethod
    def _doc_id(cls, v: Optional[str]) -> Optional[str]:
        return v if v is None else _encodable(v, "doc_id")


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The count limit is a setting (FISCAL_MAX_BATCH_DOCUMENTS), checked by the dependency → 413.
    documents: list[ExtractRequest] = Field(min_length=1, description="documents, answered in the same order")


class BatchResponse(BaseModel):
    results: list[Result]


class Health(BaseModel):
    status: str = Field(description="ok")
    model_loaded: bool
    pending_extractions: int = Field(description="queued + running extractions in this worker process")
    uptime_seconds: float


class ModelVersion(BaseModel):
    name: str
    version: str


class VersionInfo(BaseModel):
    model: ModelVersion
    service_version: str
    contract_version: str = CONTRACT_VERSION
    pipeline: Literal["model", "rules-only"] = Field(
        description="model: a verified trained model directory; rules-only: no model (serve --rules-only)")
    evaluation: Optional[dict[str, Any]] = Field(
        None, description="overall scores from the model card or reports/evaluation.json, null when neither exists")
    evaluation_source: Optional[str] = None


class Labels(BaseModel):
    contract_version: str = CONTRACT_VERSION
    entities: list[str]
    measures: list[str]
    directions: list[str]
    comparators: list[str]
    bases: list[str]
    entity_flags: list[str]
    fact_flags: list[str]
    fact_units: list[str]

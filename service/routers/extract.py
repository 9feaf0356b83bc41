"""``POST /extract`` and ``POST /extract/batch``: text (or a PDF) in, the contract's result out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from service.deps import ExtractionRunner, batch_request, get_runner, job_extract, job_extract_batch
from service.documents import ExtractInput, extract_input
from service.errors import ErrorBody
from service.routers.schemas import BatchRequest, BatchResponse, ExtractRequest, Result

router = APIRouter(tags=["extract"])


def inline_schema(model) -> dict[str, Any]:
    """The model's JSON schema with its ``$defs`` inlined: it is embedded in the OpenAPI document,
    where ``#/$defs/...`` would point at the document's root."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.rsplit("/", 1)[1]])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ErrorBody} for s in statuses}


# The body is parsed by a dependency (size limit while reading, charset, JSON or text/plain),
# so the OpenAPI request body is declared here rather than inferred from a parameter.
EXTRACT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": inline_schema(ExtractRequest)},
            "text/plain": {"schema": {"type": "string", "minLength": 1,
                                      "description": "the document; declare its charset (e.g. charset=GB18030) if not UTF-8"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary",
                                           "description": "a PDF with a text layer; doc_id from the query"}},
            "multipart/form-data": {"schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary", "description": "a PDF or a UTF-8 text file"},
                               "text": {"type": "string", "description": "the document, when no file is sent"},
                               "doc_id": {"type": "string", "maxLength": 256}}}},
        },
    }
}
BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": inline_schema(BatchRequest)}},
    }
}


@router.post(
    "/extract",
    response_model=Result,
    summary="Entities, facts and checks of one document (text, or a PDF: then with its text and pages)",
    openapi_extra=EXTRACT_BODY,
    responses=_errors(400, 413, 415, 422, 503, 504),
)
async def extract(
    body: ExtractInput = Depends(extract_input),
    runner: ExtractionRunner = Depends(get_runner),
) -> Response:
    # The job returns the contract-validated JSON already encoded (off the event loop).
    return Response(await runner.run(job_extract, body.doc.text, body.doc.doc_id, body.pdf), media_type="application/json")


@router.post(
    "/extract/batch",
    response_model=BatchResponse,
    summary="Many documents in one request, answered in order (413 beyond FISCAL_MAX_BATCH_DOCUMENTS)",
    openapi_extra=BATCH_BODY,
    responses=_errors(400, 413, 415, 422, 503, 504),
)
async def extract_batch(
    batch: BatchRequest = Depends(batch_request),
    runner: ExtractionRunner = Depends(get_runner),
) -> Response:
    documents = [(d.text, d.doc_id) for d in batch.documents]
    return Response(await runner.run(job_extract_batch, documents), media_type="application/json")

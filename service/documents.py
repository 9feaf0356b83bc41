"""The body of ``POST /extract``: a document as JSON or text, or a PDF (raw or a multipart upload).

A PDF is read by ``nlp.sources.pdf`` in a child process bounded in pages, memory and time
(``FISCAL_PDF_*``; its bytes are bounded by the body limit) and at most
``FISCAL_PDF_MAX_CONCURRENT`` at once per server worker; a PDF the reader refuses is a 4xx with
the reader's code (``not_pdf``, ``encrypted``, ``damaged``, ``no_text``, ``too_many_pages``,
``too_expensive``). The extraction then runs on the PDF's text, and the result carries the text,
the pages and every entity's and fact's page.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Optional

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from nlp.sources.pdf import PdfError, PdfLimits, PdfText, is_pdf, read_pdf_isolated
from service.deps import (JSON_TYPES, TEXT_TYPES, RawBody, _is_json, _wrong_type, extract_request, get_model_info,
                          get_settings, read_body, validate, within_model_limit)
from service.errors import ApiError
from service.routers.schemas import ExtractRequest
from service.settings import Settings

PDF_TYPES = ("application/pdf",)
MULTIPART_TYPES = ("multipart/form-data",)

# The reader's refusals: what the client sent cannot be used as it is.
PDF_STATUS = {"not_pdf": 415, "encrypted": 422, "damaged": 422, "no_text": 422, "too_many_pages": 422,
              "too_expensive": 422}


@dataclass(frozen=True)
class ExtractInput:
    doc: ExtractRequest
    pdf: Optional[PdfText] = None  # the PDF the text was read from


def pdf_limits(settings: Settings) -> PdfLimits:
    return PdfLimits(settings.pdf_max_pages, settings.pdf_timeout_seconds, settings.pdf_max_memory_mb)


_slots_lock = threading.Lock()


def _slots(request: Request, settings: Settings) -> threading.BoundedSemaphore:
    state = request.app.state
    with _slots_lock:
        slots = getattr(state, "pdf_slots", None)
        if slots is None:
            slots = state.pdf_slots = threading.BoundedSemaphore(settings.pdf_max_concurrent)
    return slots


async def read_pdf_body(request: Request, data: bytes, settings: Settings) -> PdfText:
    """The PDF's text, read off the event loop in a bounded child process."""
    if not is_pdf(data):
        raise ApiError(415, "not_pdf", "the body is not a PDF (it does not start with %PDF-)")
    slots = _slots(request, settings)
    if not slots.acquire(blocking=False):
        raise ApiError(503, "overloaded", f"{settings.pdf_max_concurrent} PDFs already being read; retry later")
    try:
        return await run_in_threadpool(read_pdf_isolated, data, pdf_limits(settings))
    except PdfError as e:
        raise ApiError(PDF_STATUS.get(e.code, 422), e.code, str(e)) from None
    finally:
        slots.release()


async def _multipart(request: Request, body: RawBody) -> dict[str, Any]:
    """The form's fields: ``file`` (a PDF or a text file), ``text``, ``doc_id``; nothing else."""
    async def stream():
        yield body.data

    try:
        form = await MultiPartParser(Headers(raw=request.headers.raw), stream(), max_files=1, max_fields=4).parse()
    except MultiPartException as e:
        raise ApiError(400, "invalid_multipart", f"multipart body: {e.message}") from None
    unknown = sorted(set(form.keys()) - {"file", "text", "doc_id"})
    if unknown:
        raise ApiError(422, "invalid_request", f"unknown form field(s) {', '.join(unknown)[:80]}; send file, text or doc_id")
    fields: dict[str, Any] = {}
    for name in ("file", "text", "doc_id"):
        value = form.get(name)
        if isinstance(value, UploadFile):
            fields[name] = await value.read()
            await value.close()
        elif value is not None:
            fields[name] = value
    return fields


async def extract_input(request: Request, body: RawBody = Depends(read_body), settings: Settings = Depends(get_settings),
                        model: dict[str, Any] = Depends(get_model_info)) -> ExtractInput:
    """JSON or ``text/plain`` as before; ``application/pdf``; or ``multipart/form-data`` with a
    ``file`` (a PDF, or text in UTF-8) or a ``text`` field, and optionally ``doc_id``."""
    doc_id = request.query_params.get("doc_id")
    pdf: Optional[PdfText] = None
    if body.media_type in PDF_TYPES:
        pdf = await read_pdf_body(request, body.data, settings)
        doc = validate(ExtractRequest, {"text": pdf.text, "doc_id": doc_id})
    elif body.media_type in MULTIPART_TYPES:
        fields = await _multipart(request, body)
        doc_id = fields.get("doc_id", doc_id)
        data = fields.get("file")
        if isinstance(data, bytes) and is_pdf(data):
            pdf = await read_pdf_body(request, data, settings)
            text: Any = pdf.text
        elif isinstance(data, bytes):
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as e:
                raise ApiError(400, "invalid_encoding", f"file is neither a PDF nor UTF-8 text (byte {e.start})") from None
        elif "text" in fields:
            text = fields["text"]
        else:
            raise ApiError(422, "invalid_request", "a multipart upload needs a 'file' (a PDF or a text file) or a 'text' field")
        doc = validate(ExtractRequest, {"text": text, "doc_id": doc_id})
    elif _is_json(body.media_type) or body.media_type in TEXT_TYPES:
        doc = await extract_request(request, body)
    else:
        raise _wrong_type(body, JSON_TYPES + TEXT_TYPES + PDF_TYPES + MULTIPART_TYPES)
    within_model_limit(model, [doc.text])
    return ExtractInput(doc, pdf)

"""``/visualize``: paste a document, see its entities highlighted in place (displaCy) and its
facts and checks in tables beneath. Everything is served from this process (no CDN)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from service.deps import ExtractionRunner, get_runner, job_extract_and_render, visualize_request
from service.errors import ErrorBody
from service.routers.schemas import ExtractRequest

router = APIRouter(tags=["visualize"])
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))

LABEL_COLORS = {
    "AMOUNT": "#f9d976", "PERCENT": "#a6e3a1", "QUANTITY": "#f5c2e7", "UNIT": "#cdd6f4",
    "SUBJECT_CODE": "#b4befe", "SUBJECT": "#89dceb", "CHANGE": "#fab387", "PERIOD": "#d9c4f5",
}


def render_entities(text: str, entities: list[dict[str, Any]]) -> str:
    """displaCy's entity view of the contract entities; displaCy escapes the text itself."""
    from spacy import displacy

    ents = [{"start": e["start"], "end": e["end"], "label": e["label"]} for e in sorted(entities, key=lambda e: e["start"])]
    markup = displacy.render({"text": text, "ents": ents}, style="ent", manual=True, page=False,
                             options={"colors": LABEL_COLORS})
    # displaCy turns line breaks into <br>; tabs (table cells) would collapse into one space.
    return markup.replace("\t", '<span class="tab">\t</span>')


def _page(request: Request, **context: Any) -> HTMLResponse:
    base = {"labels": LABEL_COLORS, "text": "", "doc_id": "", "result": None, "entities_html": None}
    return templates.TemplateResponse(request, "visualize.html", {**base, **context})


@router.get("/visualize", response_class=HTMLResponse, summary="The page: a form to paste text")
async def visualize_form(request: Request) -> HTMLResponse:
    return _page(request)


@router.post(
    "/visualize",
    response_class=HTMLResponse,
    summary="The page with a document's entities highlighted and its facts and checks",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/x-www-form-urlencoded": {"schema": {"type": "object", "required": ["text"], "properties": {
            "text": {"type": "string", "minLength": 1}, "doc_id": {"type": "string"}}}},
        "text/plain": {"schema": {"type": "string", "minLength": 1}},
    }}},
    responses={s: {"model": ErrorBody} for s in (400, 413, 415, 422, 503, 504)},
)
async def visualize_document(
    request: Request,
    doc: ExtractRequest = Depends(visualize_request),
    runner: ExtractionRunner = Depends(get_runner),
) -> HTMLResponse:
    rendered = await runner.run(job_extract_and_render, doc.text, doc.doc_id)
    return _page(request, text=doc.text, doc_id=doc.doc_id or "", **rendered)

"""One error shape for every failure: ``{"error": {"code", "message", "request_id", "details"}}``.

FastAPI's own failures (validation 422, unknown route 404, wrong method 405) are rewritten into
the same shape, so a client parses errors one way whatever produced them.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Optional

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException


# Set by the request-id middleware; read here and by the log filter.
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

REQUEST_ID_HEADER = "X-Request-ID"

_STATUS_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    500: "internal_error",
    503: "overloaded",
    504: "timeout",
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    request_id: str
    details: Optional[list[dict[str, Any]]] = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """A client-facing failure with its HTTP status and a stable machine-readable code."""

    def __init__(self, status: int, code: str, message: str, details: Optional[list[dict[str, Any]]] = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def error_response(status: int, code: str, message: str, details=None, headers=None) -> JSONResponse:
    rid = request_id_var.get()
    body = ErrorBody(error=ErrorDetail(code=code, message=message, request_id=rid, details=details))
    out_headers = {REQUEST_ID_HEADER: rid, **(headers or {})}
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=out_headers)


def validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Location, message and type only: echoing ``input`` back could return megabytes (or a
    deeply nested structure) to the client."""
    return [{"loc": [str(x) for x in e.get("loc", ())][:20], "msg": str(e.get("msg", ""))[:500], "type": e.get("type")}
            for e in errors[:50]]


def invalid_request(exc: ValidationError | RequestValidationError) -> ApiError:
    details = validation_details(list(exc.errors()))
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(first["loc"]) or "body"
    return ApiError(422, "invalid_request", f"{where}: {first['msg']}", details)


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message, exc.details)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    err = invalid_request(exc)
    return error_response(err.status, err.code, err.message, err.details)


def install_error_handlers(app: FastAPI) -> None:
    """(Unhandled exceptions — bugs — are answered by the request middleware in ``service.app``,
    where the request id is still known.)"""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)

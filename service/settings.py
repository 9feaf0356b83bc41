"""Service settings, from the environment (``FISCAL_*``) or from ``fiscal-extract serve`` options."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal, Optional

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from nlp.sources.pdf import PdfLimits


class Settings(BaseSettings):
    """Limits and sizing of one server process (each uvicorn worker reads the same environment)."""

    model_config = SettingsConfigDict(env_prefix="FISCAL_", extra="ignore")

    # 4 MiB: a 1-million-character Chinese document (3 MB of UTF-8) fits, 10 MB does not.
    max_body_bytes: int = Field(4 * 1024 * 1024, gt=0, description="largest request body; 413 beyond")
    max_batch_documents: int = Field(256, gt=0, description="most documents in one /extract/batch; 413 beyond")
    request_timeout_seconds: float = Field(30.0, gt=0, description="extraction time budget per request; 504 beyond")
    # Extraction is CPU work holding the GIL (pure Python, regexes, pydantic): in "process" mode it
    # runs in separate processes so the event loop never waits for it; "thread" mode shares the
    # app's model in-process (tests, tiny deployments).
    extract_mode: Literal["process", "thread"] = Field("process", description="where extraction runs")
    extract_workers: int = Field(1, gt=0, le=32, description="extraction processes (or threads) per server worker")
    max_pending_extractions: int = Field(64, gt=0, description="queued + running extractions per worker; 503 beyond")
    # Connections (see docs/service.md): every wait on a client is bounded.
    header_timeout_seconds: float = Field(10.0, gt=0, description="time to send a complete request head; closed (408) beyond")
    body_timeout_seconds: float = Field(30.0, gt=0, description="time to send the whole request body; 408 and closed beyond")
    keep_alive_seconds: int = Field(5, gt=0, description="an idle keep-alive connection is closed after this")
    max_connections: int = Field(1000, gt=0, description="open connections per server worker; new ones closed at once beyond")
    max_header_bytes: int = Field(16 * 1024, ge=1024, description="largest request head (line and headers); 431/400 beyond")
    # PDF input (docs/service.md): read in a child process with these bounds (defaults: the
    # reader's own, nlp.sources.pdf.PdfLimits); the body limit above bounds its bytes.
    pdf_max_pages: int = Field(PdfLimits.max_pages, gt=0, description="most pages of a PDF; 422 too_many_pages beyond")
    pdf_timeout_seconds: float = Field(PdfLimits.timeout_s, gt=0, description="wall (and CPU) time to read one PDF; 422 too_expensive beyond")
    pdf_max_memory_mb: int = Field(PdfLimits.max_memory_mb, ge=256, description="address space of the PDF reader's child process")
    pdf_max_concurrent: int = Field(2, gt=0, description="PDFs read at once per server worker; 503 beyond")
    rules_only: bool = Field(False, description="serve the rules-only pipeline, no trained model (serve --rules-only)")
    log_level: str = Field("info", description="logging level of the service logger")


@lru_cache
def get_settings() -> Settings:
    return Settings()


def resolve_model_dir(model_dir: Optional[str] = None) -> Path:
    """The model the service loads: ``model_dir``, else ``$FISCAL_MODEL_DIR``, else the project's
    ``models/fiscal-zh``, else the shipped one (package data; kept light: ``serve`` checks it
    before importing the pipeline)."""
    from nlp.project import default_model_dir

    return Path(model_dir or os.environ.get("FISCAL_MODEL_DIR") or default_model_dir())

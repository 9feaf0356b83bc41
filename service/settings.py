"""Service settings, from the environment (``FISCAL_*``) or from ``fiscal-extract serve`` options."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    log_level: str = Field("info", description="logging level of the service logger")


@lru_cache
def get_settings() -> Settings:
    return Settings()

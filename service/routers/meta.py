"""Service metadata: ``/health``, ``/version``, ``/labels``, ``/metrics``."""

from __future__ import annotations

import os
import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from nlp.contract import BASES, COMPARATORS, DIRECTIONS, ENTITY_FLAGS, FACT_FLAGS, FACT_UNITS, LABELS, MEASURES
from service.deps import ExtractionRunner, get_runner, get_version_info
from service.routers.schemas import Health, Labels, VersionInfo

router = APIRouter(tags=["meta"])

LABELS_INFO = Labels(
    entities=list(LABELS), measures=list(MEASURES), directions=list(DIRECTIONS), comparators=list(COMPARATORS),
    bases=list(BASES), entity_flags=list(ENTITY_FLAGS), fact_flags=list(FACT_FLAGS), fact_units=list(FACT_UNITS),
)


@router.head("/health", response_model=Health, include_in_schema=False)  # load balancers' HEAD probes: 200
@router.get("/health", response_model=Health, summary="Liveness; answers while extractions run (HEAD too)")
async def health(request: Request, runner: ExtractionRunner = Depends(get_runner)) -> Health:
    return Health(status="ok", model_loaded=bool(request.app.state.model_info), pending_extractions=runner.pending,
                  uptime_seconds=round(time.monotonic() - request.app.state.started, 3))


@router.get("/version", response_model=VersionInfo, summary="Model name and version, evaluation summary")
async def version(info: dict[str, Any] = Depends(get_version_info)) -> dict[str, Any]:
    return info


@router.get("/labels", response_model=Labels, summary="The contract's vocabulary: labels, measures, units")
async def labels() -> Labels:
    return LABELS_INFO


def metrics_registry() -> CollectorRegistry:
    """This process's registry, or, under several workers, all of them (prometheus multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(registry: CollectorRegistry = Depends(metrics_registry)) -> Response:
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

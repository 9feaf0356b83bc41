"""Schemathesis against the app's own OpenAPI schema: generated requests for every operation,
valid ones and deliberately invalid ones, bounded in examples, and no answer may be a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def api_schema(extractor):
    app = create_app(Settings(extract_mode="thread", request_timeout_seconds=60), extractor=extractor)
    with TestClient(app):  # runs the lifespan: the state the endpoints depend on
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


def test_schema_covers_the_api(api_schema):
    paths = {op.ok().path for op in api_schema.get_all_operations()}
    assert {"/extract", "/extract/batch", "/health", "/version", "/labels", "/visualize"} <= paths


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error(api_schema, mode):
    @given(case=api_schema.as_strategy(generation_mode=mode))
    @settings(max_examples=60, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        response = case.call()
        assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
        if response.status_code >= 400:
            assert set(response.json()) == {"error"}, response.text[:300]

    check()

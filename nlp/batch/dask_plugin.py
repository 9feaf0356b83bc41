"""The Dask side of the one executor path: a worker plugin that loads the model once per worker."""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from nlp.batch.workers import ExtractorSpec, get_extractor


class LoadExtractorPlugin(WorkerPlugin):
    """Every worker, including one that joins later, builds its extractor once at start."""

    name = "fiscal-retag-extractor"

    def __init__(self, spec: ExtractorSpec):
        self.spec = spec

    def setup(self, worker: Any) -> None:
        get_extractor(self.spec)

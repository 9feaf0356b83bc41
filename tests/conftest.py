from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "annotations" / "sources"


def source_texts() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(SOURCES.glob("*.txt"))}


@pytest.fixture(scope="session")
def sources() -> dict[str, str]:
    return source_texts()


@pytest.fixture(scope="session")
def extractor():
    from nlp import Extractor

    return Extractor.load()

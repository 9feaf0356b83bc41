"""Build the spaCy pipeline from its config file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language

import nlp.components  # noqa: F401  (registers the factories)
import nlp.tokenizer  # noqa: F401  (registers the tokenizer)

DEFAULT_CONFIG = Path(__file__).with_name("pipeline.cfg")


def build_pipeline(config_path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Language:
    """A pipeline from ``config_path`` (default: ``nlp/pipeline.cfg``) with dotted overrides,
    e.g. ``{"nlp.tokenizer.segmenter": "pkuseg"}``."""
    config = spacy.util.load_config(config_path or DEFAULT_CONFIG, overrides=overrides or {}, interpolate=False)
    return spacy.util.load_model_from_config(config, auto_fill=True, validate=True)

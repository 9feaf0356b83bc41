"""Safe model directories: a sha256 manifest is checked before any file in it is read.

(Placeholder until the model issue lands: verification and loading of a trained pipeline.)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from spacy.language import Language


class ModelIntegrityError(RuntimeError):
    """A model file is missing, extra or does not match its manifest hash."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_manifest(model_dir: Path) -> dict[str, Any]:
    manifest_path = model_dir / "manifest.json"
    if not manifest_path.exists():
        raise ModelIntegrityError(f"{model_dir}: no manifest.json; refusing to load an unverified model")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for rel, digest in manifest.get("files", {}).items():
        p = (model_dir / rel).resolve()
        if model_dir.resolve() not in p.parents:
            raise ModelIntegrityError(f"{rel}: path escapes the model directory")
        if not p.exists():
            raise ModelIntegrityError(f"{rel}: listed in the manifest but missing")
        if sha256_file(p) != digest:
            raise ModelIntegrityError(f"{rel}: sha256 does not match the manifest; the file was changed")
    return manifest


def load_model_dir(model_dir: Path) -> tuple[Language, dict[str, Any]]:
    from nlp.pipeline import build_pipeline

    manifest = verify_manifest(model_dir)
    config = model_dir / "config.cfg"
    nlp = build_pipeline(config if config.exists() else None)
    return nlp, manifest.get("meta", {})

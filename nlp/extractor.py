"""The public Python API: ``Extractor.load().extract(text)`` returns the contract's dict."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Union

from spacy.language import Language

from nlp import __version__
from nlp.pipeline import build_pipeline
from nlp.project import default_model_dir
from nlp.serialize import doc_to_result

DEFAULT_MODEL_DIR = default_model_dir()  # the project's own model, else the shipped one

TextItem = Union[str, tuple[str, Optional[str]]]


class Extractor:
    """Text → normalised text with offset map → tokens → entities → facts → checks."""

    def __init__(self, nlp: Language, name: str = "fiscal-zh-rules", version: str = __version__):
        self.nlp = nlp
        self.model_info = {"name": name, "version": version}
        self.model_dir: Optional[Path] = None  # the verified model directory; None: rules only

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> "Extractor":
        """Load the shipped model (``models/fiscal-zh``, or ``$FISCAL_MODEL_DIR``).

        A model directory is verified against its sha256 manifest before anything in it is
        read; without a trained model directory the rules-only pipeline is used."""
        from nlp.model_store import load_model_dir  # late: keeps `import nlp` light

        target = Path(path or os.environ.get("FISCAL_MODEL_DIR") or DEFAULT_MODEL_DIR)
        if path is None and not (target / "manifest.json").exists():
            return cls(build_pipeline())
        nlp, meta = load_model_dir(target)
        extractor = cls(nlp, meta.get("name", "fiscal-zh"), meta.get("version", __version__))
        extractor.model_dir = target
        return extractor

    @classmethod
    def rules_only(cls) -> "Extractor":
        return cls(build_pipeline(), name="fiscal-zh-rules")

    def extract(self, text: str, doc_id: Optional[str] = None) -> dict[str, Any]:
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        return doc_to_result(self.nlp(text), doc_id, self.model_info)

    def pipe(self, texts: Iterable[TextItem], batch_size: int = 16) -> Iterator[dict[str, Any]]:
        """Stream results; items are texts or ``(text, doc_id)`` pairs."""

        def split() -> Iterator[tuple[str, Optional[str]]]:
            for item in texts:
                yield (item, None) if isinstance(item, str) else (item[0], item[1])

        for doc, doc_id in self.nlp.pipe(split(), as_tuples=True, batch_size=batch_size):
            yield doc_to_result(doc, doc_id, self.model_info)

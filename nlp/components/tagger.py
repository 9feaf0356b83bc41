"""fiscal_tagger: the statistical entity tagger, proposals written to ``doc.spans["model"]``.

Without a trained model (the rules-only pipeline) it writes an empty group. A trained model is
a :class:`nlp.ml.tagger.SequenceTagger` stored with skops beside an isotonic calibration map
(fitted on held-out folds) that turns raw span scores into probabilities of being right.

Inference runs the model's frozen form (:class:`nlp.ml.frozen.FrozenTagger`: numpy arrays, the
same probabilities), saved beside the skops file. Loading reads the frozen arrays when they were
frozen from the ``model.skops`` that is there (its sha256), and imports no scikit-learn; a
directory without them, or with a ``model.skops`` they were not made from, loads the skops file
(against the trust list) and freezes it in memory.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp.ml.features import doc_features
from nlp.ml.frozen import META_FILE as FROZEN_FILE
from nlp.ml.frozen import FrozenTagger

if TYPE_CHECKING:
    from nlp.ml.tagger import SequenceTagger

MODEL_FILE = "model.skops"
CALIBRATION_FILE = "calibration.json"


class Calibration:
    """Isotonic map from raw span score to calibrated probability (piecewise linear)."""

    def __init__(self, xs: list[float], ys: list[float]):
        self.xs, self.ys = list(xs), list(ys)

    def many(self, scores: list[float]) -> list[float]:
        """The calibrated probabilities of ``scores``, in one ``np.interp`` (scores as they are without a map)."""
        if not self.xs or not scores:
            return [float(s) for s in scores]
        return np.interp(np.asarray(scores, dtype=np.float64), self.xs, self.ys).tolist()

    def to_json(self) -> dict:
        return {"xs": self.xs, "ys": self.ys}


def freeze(model: Union["SequenceTagger", FrozenTagger, None], source_sha256: Optional[str] = None) -> Optional[FrozenTagger]:
    """The frozen form of ``model``; None for a model that has none (a binary one)."""
    if model is None or isinstance(model, FrozenTagger):
        return model
    try:
        return FrozenTagger.from_estimator(model, source_sha256)
    except ValueError:
        return None


class StatisticalTagger:
    def __init__(self, name: str = "fiscal_tagger"):
        self.name = name
        self.model: Union["SequenceTagger", FrozenTagger, None] = None  # as given or loaded
        self.frozen: Optional[FrozenTagger] = None  # what inference runs
        self.calibration = Calibration([], [])
        self._skops_source: Optional[tuple[Path, str]] = None  # (path, sha256) a frozen model was loaded beside

    def set_model(self, model: Union["SequenceTagger", FrozenTagger, None], calibration: Optional[Calibration] = None) -> None:
        self.model = model
        self.frozen = freeze(model)
        self._skops_source = None
        self.calibration = calibration or Calibration([], [])

    def token_spans(self, doc: Doc):
        if self.frozen is not None:
            return self.frozen.predict_doc(doc)
        return self.model.predict_spans([doc_features(doc)])[0]

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        scores: dict[tuple[int, int, str], float] = {}
        if self.model is not None and len(doc):
            found = self.token_spans(doc)
            calibrated = self.calibration.many([ts.score for ts in found])
            for ts, score in zip(found, calibrated):
                span = Span(doc, ts.start, ts.end, label=ts.label)
                # not span._: spaCy keys span attributes by offsets alone, and a rule span at the
                # same offsets must keep its own source, score and value
                scores[(span.start_char, span.end_char, ts.label)] = round(score, 4)
                spans.append(span)
        doc.spans["model"] = spans
        doc._.model_scores = scores
        return doc

    def to_disk(self, path, exclude=()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if self.model is None:
            return
        if isinstance(self.model, FrozenTagger):
            data = self._skops_bytes()
        else:
            from nlp.model_store import canonical_skops

            data = canonical_skops(self.model)
        sha = hashlib.sha256(data).hexdigest() if data is not None else None
        if data is not None:
            (path / MODEL_FILE).write_bytes(data)
        frozen = freeze(self.model, sha)  # a loaded frozen model keeps its own (the skops written back)
        if frozen is not None:
            frozen.save(path)
        (path / CALIBRATION_FILE).write_text(json.dumps(self.calibration.to_json(), sort_keys=True) + "\n", encoding="utf-8")

    def _skops_bytes(self) -> Optional[bytes]:
        """The skops file a loaded frozen model came with (None: it came alone)."""
        if self._skops_source is None:
            return None
        from nlp.model_store import ModelIntegrityError

        src, sha = self._skops_source
        data = src.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha:
            raise ModelIntegrityError(f"{src}: changed since the model was loaded; cannot save it")
        return data

    def from_disk(self, path, exclude=()) -> "StatisticalTagger":
        from nlp.model_store import ModelIntegrityError, find_manifest_dir, load_skops, sha256_file, verify_manifest

        path = Path(path)
        skops_path = path / MODEL_FILE
        if not (skops_path.exists() or (path / FROZEN_FILE).exists()):
            return self
        verify_manifest(find_manifest_dir(path))  # nothing is deserialised from an unverified directory
        sha = sha256_file(skops_path) if skops_path.exists() else None
        frozen = None
        if (path / FROZEN_FILE).exists():
            try:
                frozen = FrozenTagger.load(path)
            except (OSError, ValueError, UnicodeDecodeError, RecursionError) as e:
                raise ModelIntegrityError(f"{path / FROZEN_FILE}: not a frozen tagger ({str(e)[:200]})") from None
            if sha is not None and frozen.source_sha256 != sha:
                frozen = None  # frozen from another model.skops: the skops file is the model
        if frozen is not None:
            self.model = self.frozen = frozen
            self._skops_source = (skops_path, sha) if sha is not None else None
        else:
            model = load_skops(skops_path)
            self.model, self.frozen, self._skops_source = model, freeze(model, sha), None
        cal_path = path / CALIBRATION_FILE
        try:
            cal = json.loads(cal_path.read_text(encoding="utf-8"))
            xs, ys = cal["xs"], cal["ys"]
            if not (isinstance(xs, list) and isinstance(ys, list) and len(xs) == len(ys)
                    and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in xs + ys)):
                raise ValueError("xs and ys must be two lists of numbers of the same length")
        except OSError as e:
            raise ModelIntegrityError(f"{cal_path}: cannot be read ({e.strerror or e})") from None
        except (ValueError, UnicodeDecodeError, RecursionError, KeyError, TypeError) as e:
            what = f"missing key {e}" if isinstance(e, KeyError) else str(e)[:200]
            raise ModelIntegrityError(f"{cal_path}: not a calibration map {{\"xs\": [...], \"ys\": [...]}} ({what})") from None
        self.calibration = Calibration(xs, ys)
        return self


@Language.factory("fiscal_tagger")
def make_tagger(nlp: Language, name: str) -> StatisticalTagger:
    return StatisticalTagger(name)

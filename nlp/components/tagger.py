"""fiscal_tagger: the statistical entity tagger, proposals written to ``doc.spans["model"]``.

Without a trained model (the rules-only pipeline) it writes an empty group. A trained model is
a :class:`nlp.ml.tagger.SequenceTagger` stored with skops beside an isotonic calibration map
(fitted on held-out folds) that turns raw span scores into probabilities of being right.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp.ml.features import doc_features
from nlp.ml.tagger import SequenceTagger

MODEL_FILE = "model.skops"
CALIBRATION_FILE = "calibration.json"


class Calibration:
    """Isotonic map from raw span score to calibrated probability (piecewise linear)."""

    def __init__(self, xs: list[float], ys: list[float]):
        self.xs, self.ys = list(xs), list(ys)

    def __call__(self, score: float) -> float:
        if not self.xs:
            return score
        return float(np.interp(score, self.xs, self.ys))

    def to_json(self) -> dict:
        return {"xs": self.xs, "ys": self.ys}


class StatisticalTagger:
    def __init__(self, name: str = "fiscal_tagger"):
        self.name = name
        self.model: Optional[SequenceTagger] = None
        self.calibration = Calibration([], [])

    def set_model(self, model: Optional[SequenceTagger], calibration: Optional[Calibration] = None) -> None:
        self.model = model
        self.calibration = calibration or Calibration([], [])

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        scores: dict[tuple[int, int, str], float] = {}
        if self.model is not None and len(doc):
            for ts in self.model.predict_spans([doc_features(doc)])[0]:
                span = Span(doc, ts.start, ts.end, label=ts.label)
                # not span._: spaCy keys span attributes by offsets alone, and a rule span at the
                # same offsets must keep its own source, score and value
                scores[(span.start_char, span.end_char, ts.label)] = round(self.calibration(ts.score), 4)
                spans.append(span)
        doc.spans["model"] = spans
        doc._.model_scores = scores
        return doc

    def to_disk(self, path, exclude=()) -> None:
        from nlp.model_store import canonical_skops

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if self.model is not None:
            (path / MODEL_FILE).write_bytes(canonical_skops(self.model))
            (path / CALIBRATION_FILE).write_text(json.dumps(self.calibration.to_json(), sort_keys=True) + "\n", encoding="utf-8")

    def from_disk(self, path, exclude=()) -> "StatisticalTagger":
        from nlp.model_store import ModelIntegrityError, find_manifest_dir, load_skops, verify_manifest

        path = Path(path)
        if not (path / MODEL_FILE).exists():
            return self
        verify_manifest(find_manifest_dir(path))  # nothing is deserialised from an unverified directory
        self.model = load_skops(path / MODEL_FILE)
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

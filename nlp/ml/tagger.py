"""A BIO sequence tagger as a scikit-learn estimator.

``SequenceTagger.fit(X, y)`` takes sequences of feature dicts and of BIO tags;
``predict_spans(X)`` returns labelled token spans with a score per span. Inside: a
``DictVectorizer`` → ``LogisticRegression`` pipeline gives per-token tag probabilities,
and Viterbi decoding over them forbids the invalid BIO transitions (``O → I-X``,
``B-X → I-Y``). Deterministic: lbfgs with a fixed ``random_state``, sorted features.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from nlp.ml.decode import OUTSIDE, TokenSpan, path_spans, transition_mask, viterbi  # noqa: F401  (re-exported)


class SequenceTagger(BaseEstimator):
    def __init__(self, C: float = 4.0, max_iter: int = 400, random_state: int = 0):
        self.C = C
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X: Sequence[Sequence[dict]], y: Sequence[Sequence[str]]) -> "SequenceTagger":
        flat_x = [f for seq in X for f in seq]
        flat_y = [t for seq in y for t in seq]
        if len(flat_x) != len(flat_y):
            raise ValueError("X and y must hold the same number of tokens")
        self.pipeline_ = Pipeline(
            [
                ("features", DictVectorizer(sort=True)),
                ("classifier", LogisticRegression(C=self.C, max_iter=self.max_iter, random_state=self.random_state)),
            ]
        )
        self.pipeline_.fit(flat_x, flat_y)
        self.tags_ = [str(t) for t in self.pipeline_.classes_]
        return self

    def predict_proba_tokens(self, seq: Sequence[dict]) -> np.ndarray:
        if not seq:
            return np.zeros((0, len(self.tags_)))
        return self.pipeline_.predict_proba(list(seq))

    def predict_spans(self, X: Sequence[Sequence[dict]]) -> list[list[TokenSpan]]:
        out = []
        for seq in X:
            probs = self.predict_proba_tokens(seq)
            path = viterbi(np.log(np.clip(probs, 1e-12, 1.0)), self.tags_)
            out.append(self._spans(path, probs))
        return out

    def predict(self, X: Sequence[Sequence[dict]]) -> list[list[str]]:
        result = []
        for seq in X:
            probs = self.predict_proba_tokens(seq)
            result.append([self.tags_[i] for i in viterbi(np.log(np.clip(probs, 1e-12, 1.0)), self.tags_)])
        return result

    def _spans(self, path: list[int], probs: np.ndarray) -> list[TokenSpan]:
        return path_spans(path, probs, self.tags_)

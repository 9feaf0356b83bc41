"""A BIO sequence tagger as a scikit-learn estimator.

``SequenceTagger.fit(X, y)`` takes sequences of feature dicts and of BIO tags;
``predict_spans(X)`` returns labelled token spans with a score per span. Inside: a
``DictVectorizer`` → ``LogisticRegression`` pipeline gives per-token tag probabilities,
and Viterbi decoding over them forbids the invalid BIO transitions (``O → I-X``,
``B-X → I-Y``). Deterministic: lbfgs with a fixed ``random_state``, sorted features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

OUTSIDE = "O"


@dataclass(frozen=True)
class TokenSpan:
    start: int  # token index
    end: int  # token index, exclusive
    label: str
    score: float


def _transition_mask(tags: Sequence[str]) -> np.ndarray:
    """allowed[i, j]: tag j may follow tag i."""
    n = len(tags)
    allowed = np.ones((n, n), dtype=bool)
    for j, tj in enumerate(tags):
        if tj.startswith("I-"):
            for i, ti in enumerate(tags):
                allowed[i, j] = ti in (f"B-{tj[2:]}", tj)
    return allowed


def viterbi(log_probs: np.ndarray, tags: Sequence[str]) -> list[int]:
    """Best tag sequence under BIO constraints; ``log_probs`` is tokens × tags."""
    n_tok, n_tag = log_probs.shape
    if n_tok == 0:
        return []
    trans = np.where(_transition_mask(tags), 0.0, -np.inf)
    start_ok = np.array([0.0 if not t.startswith("I-") else -np.inf for t in tags])
    score = log_probs[0] + start_ok
    back = np.zeros((n_tok, n_tag), dtype=np.int32)
    for k in range(1, n_tok):
        cand = score[:, None] + trans  # prev × next
        back[k] = np.argmax(cand, axis=0)
        score = cand[back[k], np.arange(n_tag)] + log_probs[k]
    path = [int(np.argmax(score))]
    for k in range(n_tok - 1, 0, -1):
        path.append(int(back[k, path[-1]]))
    return path[::-1]


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
        spans: list[TokenSpan] = []
        k = 0
        while k < len(path):
            tag = self.tags_[path[k]]
            if tag == OUTSIDE:
                k += 1
                continue
            label = tag[2:]
            j = k + 1
            while j < len(path) and self.tags_[path[j]] == f"I-{label}":
                j += 1
            # Span confidence: the weakest token's probability of its decoded tag.
            score = float(min(probs[t, path[t]] for t in range(k, j)))
            spans.append(TokenSpan(k, j, label, score))
            k = j
        return spans

"""The tagger as inference needs it: numpy arrays frozen from the fitted scikit-learn model.

A fitted :class:`nlp.ml.tagger.SequenceTagger` (``DictVectorizer`` → multinomial
``LogisticRegression``) is frozen into: the feature names (a feature's position is its row), the
weight matrix (features × tags, the classifier's ``coef_`` transposed), the intercept and the
BIO transition mask. A token's scores are the sum of its features' rows plus the intercept, in
the order the sparse product sums them, then the same softmax: the probabilities equal the
pipeline's. Viterbi runs over the masked transitions only. No scikit-learn at inference.

On disk, beside ``model.skops`` (the training artefact, kept), in the component directory:
``frozen.json`` (format, version, tags, feature names, the sha256 of the ``model.skops`` it was
frozen from) and ``weights.npy``, ``intercept.npy``, ``transitions.npy``, loaded without pickle
and memory-mapped, so that processes on one machine share one copy of the weights.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nlp.ml.decode import TokenSpan, path_spans, start_mask, transition_mask, viterbi_masked

if TYPE_CHECKING:  # numpy and json only at import: check_model_dir validates a frozen tagger cheaply
    from spacy.tokens import Doc

    from nlp.ml.tagger import SequenceTagger

FORMAT = "fiscal-frozen-tagger"
VERSION = 1
META_FILE = "frozen.json"
ARRAYS = {"weights": "weights.npy", "intercept": "intercept.npy", "transitions": "transitions.npy"}
_CHUNK_TOKENS = 1 << 15  # tokens scored at once: bounds the scratch memory on long documents


class FrozenTagger:
    def __init__(self, tags: list[str], features: list[str], weights: np.ndarray, intercept: np.ndarray,
                 transitions: np.ndarray, source_sha256: str | None = None):
        n_feat, n_tag = weights.shape
        if len(tags) != n_tag or len(features) != n_feat or intercept.shape != (n_tag,) or transitions.shape != (n_tag, n_tag):
            raise ValueError(f"frozen tagger: shapes disagree (tags {len(tags)}, features {len(features)}, weights "
                             f"{weights.shape}, intercept {intercept.shape}, transitions {transitions.shape})")
        if weights.dtype != np.float64 or intercept.dtype != np.float64 or transitions.dtype != np.bool_:
            raise ValueError("frozen tagger: weights and intercept must be float64, transitions bool")
        self.tags_ = list(tags)
        self.features = list(features)
        self.vocab = {f: i for i, f in enumerate(self.features)}
        self.index = None  # the FeatureIndex, made on first use (it imports spaCy)
        self.weights, self.intercept, self.transitions = weights, intercept, transitions
        self.start_ok = start_mask(self.tags_)
        self.source_sha256 = source_sha256

    @classmethod
    def from_estimator(cls, model: "SequenceTagger", source_sha256: str | None = None) -> "FrozenTagger":
        vectorizer = model.pipeline_.named_steps["features"]
        classifier = model.pipeline_.named_steps["classifier"]
        if classifier.coef_.shape[0] != len(model.tags_) or len(model.tags_) <= 2:
            raise ValueError("frozen tagger: only a multinomial model over more than two tags can be frozen")
        features = list(vectorizer.feature_names_)
        if any(vectorizer.vocabulary_[f] != i for i, f in enumerate(features)):
            raise ValueError("frozen tagger: the vectorizer's vocabulary is not its feature order")
        return cls(model.tags_, features, np.ascontiguousarray(classifier.coef_.T, dtype=np.float64),
                   np.array(classifier.intercept_, dtype=np.float64), transition_mask(model.tags_), source_sha256)

    # --- inference ------------------------------------------------------------------------------

    def predict_proba_doc(self, doc: "Doc") -> np.ndarray:
        """tokens × tags: the pipeline's ``predict_proba`` of ``doc_features(doc)``."""
        if self.index is None:
            from nlp.ml.feature_ids import FeatureIndex

            self.index = FeatureIndex(self.vocab)
        indices, indptr = self.index.doc_ids(doc)
        return self.proba_from_ids(indices, indptr)

    def clear_memo(self) -> None:
        """Forget the words seen so far (their feature rows are kept between documents)."""
        if self.index is not None:
            self.index.clear()

    def proba_from_ids(self, indices: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        n_tok = len(indptr) - 1
        scores = np.zeros((n_tok, len(self.tags_)))
        for a in range(0, n_tok, _CHUNK_TOKENS):
            b = min(n_tok, a + _CHUNK_TOKENS)
            scores[a:b] = self._row_sums(indices, indptr[a:b + 1])
        scores += self.intercept
        # sklearn.utils.extmath.softmax, step for step
        scores -= scores.max(axis=1).reshape(-1, 1)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1).reshape(-1, 1)
        return scores

    def _row_sums(self, indices: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        """Each token's feature rows summed left to right, ``((0 + w1) + w2) + ...``: the order
        of the sparse product (a pairwise or blocked sum, as ``np.add.reduceat``'s, differs
        in the last bits). Vectorised over tokens, one step per feature position; tokens
        sorted by their number of features, so the ones still summing are a prefix."""
        lengths = np.diff(indptr)
        order = np.argsort(-lengths, kind="stable")
        starts, lengths = indptr[:-1][order], lengths[order]
        acc = np.zeros((len(order), len(self.tags_)))
        still = len(order)
        for p in range(int(lengths[0]) if len(order) else 0):
            while still and lengths[still - 1] <= p:
                still -= 1
            acc[:still] += self.weights[indices[starts[:still] + p]]
        out = np.empty_like(acc)
        out[order] = acc
        return out

    def predict_doc(self, doc: "Doc") -> list[TokenSpan]:
        if not len(doc):
            return []
        probs = self.predict_proba_doc(doc)
        path = viterbi_masked(np.log(np.clip(probs, 1e-12, 1.0)), self.transitions, self.start_ok)
        return path_spans(path, probs, self.tags_)

    # --- storage --------------------------------------------------------------------------------

    def meta(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "tags": self.tags_, "features": self.features,
                "source_sha256": self.source_sha256, "arrays": ARRAYS,
                "shapes": {"weights": list(self.weights.shape), "intercept": list(self.intercept.shape),
                           "transitions": list(self.transitions.shape)}}

    def save(self, path: Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        for key, name in ARRAYS.items():
            with open(path / name, "wb") as f:
                np.save(f, np.ascontiguousarray(getattr(self, key)), allow_pickle=False)
        (path / META_FILE).write_text(json.dumps(self.meta(), ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path, mmap: bool = True) -> "FrozenTagger":
        """Read a frozen tagger; raises ``ValueError`` naming what is wrong."""
        path = Path(path)
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ValueError(f"{path / META_FILE}: not a {FORMAT} file")
        if meta.get("version") != VERSION:
            raise ValueError(f"{path / META_FILE}: {FORMAT} version {meta.get('version')!r}, this code reads version {VERSION}")
        tags, features = meta.get("tags"), meta.get("features")
        if not (isinstance(tags, list) and isinstance(features, list) and all(isinstance(x, str) for x in tags + features)):
            raise ValueError(f"{path / META_FILE}: tags and features must be lists of strings")
        arrays = {key: np.load(path / name, mmap_mode="r" if mmap else None, allow_pickle=False) for key, name in ARRAYS.items()}
        # a plain read-only array over the mapped file: the pages are shared by every process
        # that maps it, and indexing skips np.memmap's per-call overhead
        weights = arrays["weights"].view(np.ndarray) if mmap else arrays["weights"]
        return cls(tags, features, weights, np.array(arrays["intercept"]), np.array(arrays["transitions"]),
                   meta.get("source_sha256"))

"""The tagger's token features as rows of a frozen weight matrix, without feature dicts.

``FeatureIndex.doc_ids`` gives, for every token, the sorted row indices of exactly the features
``nlp.ml.features.doc_features`` names for it that the vocabulary knows (a feature the training
never saw has no row, as ``DictVectorizer`` drops it). A token's features are those of its
word (text, shape, affixes, bigrams), of its four nearest content neighbours as neighbours, of
the characters around it and of its line (a tab: a table row). The rows of a word, in each of
those five roles, are worked out once and kept in a table shared by later documents (bounded:
emptied when it reaches ``max_words``), so a document costs a dictionary look-up per distinct
word and numpy gathers; tokens are read from the doc's arrays, not as ``Token`` objects.
"""

from __future__ import annotations

import threading
from typing import Callable

import numpy as np
from spacy.attrs import IDX, LENGTH, SPACY
from spacy.tokens import Doc

from nlp.extensions import doc_text
from nlp.ml.features import _edge_class, shape


def _word_features(w: str, shp: str) -> list[str]:
    names = ["bias", f"w={w}", f"shape={shp}", f"p1={w[:1]}", f"s1={w[-1:]}", f"p2={w[:2]}",
             f"s2={w[-2:]}", f"len={min(len(w), 8)}"]
    names += [f"bi={w[j:j + 2]}" for j in range(len(w) - 1)]
    return names


# A word's roles: itself, then the 1st/2nd content token to the left, to the right.
_ROLES: list[Callable[[str, str], list[str]]] = [
    _word_features,
    lambda w, shp: [f"L1w={w}", f"L1shape={shp}", f"L1s1={w[-1:]}"],
    lambda w, shp: [f"L2w={w}", f"L2shape={shp}"],
    lambda w, shp: [f"R1w={w}", f"R1shape={shp}", f"R1p1={w[:1]}"],
    lambda w, shp: [f"R2w={w}", f"R2shape={shp}"],
]
_SHIFTS = (0, -1, -2, 1, 2)  # where the token stands whose word plays the role


class _Ragged:
    """Rows per key as one growing ragged array: key ``k``'s rows are ``flat[ptr[k]:ptr[k + 1]]``."""

    def __init__(self) -> None:
        self.flat = np.zeros(1024, dtype=np.int64)
        self.ptr = np.zeros(1024, dtype=np.int64)
        self.size, self.keys = 0, 0  # used lengths of flat, and keys (ptr holds keys + 1)

    def append(self, rows: list[int], counts: list[int]) -> None:
        need_flat, need_ptr = self.size + len(rows), self.keys + 1 + len(counts)
        if need_flat > len(self.flat):
            self.flat = np.resize(self.flat, max(need_flat, 2 * len(self.flat)))
        if need_ptr > len(self.ptr):
            self.ptr = np.resize(self.ptr, max(need_ptr, 2 * len(self.ptr)))
        self.flat[self.size:need_flat] = rows
        self.ptr[self.keys + 1:need_ptr] = self.size + np.cumsum(counts, dtype=np.int64)
        self.size, self.keys = need_flat, self.keys + len(counts)

    def gather(self, keys: np.ndarray, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(token, row) pairs of every key's rows; ``keys[i]`` belongs to ``tokens[i]``."""
        starts = self.ptr[keys]
        lens = self.ptr[keys + 1] - starts
        total = int(lens.sum())
        first = np.repeat(np.cumsum(lens) - lens, lens)
        rows = self.flat[np.repeat(starts, lens) + (np.arange(total, dtype=np.int64) - first)]
        return np.repeat(tokens, lens), rows


class FeatureIndex:
    """Feature names → weight rows for documents, with the per-word table described above."""

    def __init__(self, vocab: dict[str, int], max_words: int = 50_000):
        self.vocab, self.max_words = vocab, max_words
        self.ws_row, self.table_row = vocab.get("ws"), vocab.get("in_table_row")
        self._lock = threading.Lock()  # the service's thread mode shares one tagger
        self.clear()

    def clear(self) -> None:
        """Forget every word (a bench measuring first sight calls this between passes)."""
        self.words: dict[str, int] = {}
        self.is_space: list[bool] = []
        self.roles = [_Ragged() for _ in _ROLES]
        self.edges: dict[str, dict[str, int]] = {}  # "before=" / "after=" → {character: row (-1: unknown)}

    def _ids(self, names: list[str]) -> list[int]:
        ids = set(map(self.vocab.get, names))
        ids.discard(None)  # a feature the training never saw has no row
        return sorted(ids)

    def _add(self, new: list[str]) -> None:
        shapes = [shape(w) for w in new]
        for role, make in zip(self.roles, _ROLES):
            per_word = [self._ids(make(w, s)) for w, s in zip(new, shapes)]
            role.append([i for ids in per_word for i in ids], [len(ids) for ids in per_word])
        for w in new:
            self.words[w] = len(self.words)
            self.is_space.append(w.isspace())

    def _edge_rows(self, prefix: str, chars: list[str]) -> np.ndarray:
        known = self.edges.setdefault(prefix, {})  # character → row (-1: unknown), per prefix
        for c in set(chars).difference(known):
            known[c] = self.vocab.get(prefix + _edge_class(c), -1)
        return np.asarray([known[c] for c in chars], dtype=np.int64)

    def doc_ids(self, doc: Doc) -> tuple[np.ndarray, np.ndarray]:
        """``(indices, indptr)`` in CSR form: token ``i``'s rows are ``indices[indptr[i]:indptr[i + 1]]``,
        ascending (the order in which ``DictVectorizer``'s sorted sparse rows sum them)."""
        with self._lock:
            return self._doc_ids(doc)

    def _doc_ids(self, doc: Doc) -> tuple[np.ndarray, np.ndarray]:
        n = len(doc)
        if n == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
        offsets = doc.to_array([IDX, LENGTH, SPACY]).astype(np.int64)  # uint64 from spaCy
        starts = offsets[:, 0]
        ends = starts + offsets[:, 1]
        text = doc_text(doc)
        local: dict[str, int] = {}
        local_key = np.asarray([local.setdefault(text[a:b], len(local)) for a, b in zip(starts.tolist(), ends.tolist())],
                               dtype=np.int64)
        distinct = list(local)
        if len(self.words) + len(distinct) > self.max_words:
            self.clear()
        new = [w for w in distinct if w not in self.words]
        if new:
            self._add(new)
        table = np.asarray([self.words[w] for w in distinct], dtype=np.int64)
        word_key = table[local_key]
        is_ws = np.asarray(self.is_space, dtype=bool)[word_key]
        content = np.flatnonzero(~is_ws)
        pairs = []
        ws_tokens = np.flatnonzero(is_ws)
        if self.ws_row is not None and len(ws_tokens):
            pairs.append((ws_tokens, np.full(len(ws_tokens), self.ws_row, dtype=np.int64)))
        if len(content):
            content_keys = word_key[content]
            for role, shift in zip(self.roles, _SHIFTS):
                if shift == 0:
                    tokens, keys = content, content_keys
                elif shift < 0:  # the word stands |shift| content tokens left of the token
                    tokens, keys = content[-shift:], content_keys[:shift]
                else:
                    tokens, keys = content[:-shift], content_keys[shift:]
                pairs.append(role.gather(keys, tokens))
            # the characters around each token, and whether its line holds a tab
            padded = "^" + text + "$"
            for prefix, at in (("before=", starts[content]), ("after=", ends[content] + 1)):
                rows = self._edge_rows(prefix, [padded[i] for i in at.tolist()])
                keep = rows >= 0
                pairs.append((content[keep], rows[keep]))
            if self.table_row is not None:
                line_ends, line_tab, pos = [], [], 0
                for line in text.split("\n"):
                    pos += len(line) + 1
                    line_ends.append(pos)
                    line_tab.append("\t" in line)
                tab = np.asarray(line_tab)[np.searchsorted(np.asarray(line_ends), starts[content], side="right")]
                pairs.append((content[tab], np.full(int(tab.sum()), self.table_row, dtype=np.int64)))
        token = np.concatenate([t for t, _ in pairs]) if pairs else np.zeros(0, dtype=np.int64)
        row = np.concatenate([r for _, r in pairs]) if pairs else np.zeros(0, dtype=np.int64)
        width = len(self.vocab) + 1
        key = token * width + row
        key.sort()  # by token, then by row: each token's rows ascending
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(key // width, minlength=n), out=indptr[1:])
        return key % width, indptr


def doc_feature_ids(doc: Doc, vocab: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """``FeatureIndex(vocab).doc_ids(doc)``, with a table for this document only."""
    return FeatureIndex(vocab).doc_ids(doc)

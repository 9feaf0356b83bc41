"""The tagger's token features as rows of a frozen weight matrix, without feature dicts.

``doc_feature_ids`` gives, for every token, the sorted row indices of exactly the features
``nlp.ml.features.doc_features`` names for it that the vocabulary knows (a feature the training
never saw has no row, as ``DictVectorizer`` drops it). The features of a word (its text,
shape, affixes, bigrams) and of a word as a neighbour are looked up once per distinct word
of the document, not once per occurrence; tokens are read from the doc's arrays, not as
``Token`` objects.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Callable

import numpy as np
from spacy.attrs import IDX, LENGTH
from spacy.tokens import Doc

from nlp.ml.features import _edge_class, shape


def _word_features(w: str, shp: str) -> list[str]:
    names = ["bias", f"w={w}", f"shape={shp}", f"p1={w[:1]}", f"s1={w[-1:]}", f"p2={w[:2]}",
             f"s2={w[-2:]}", f"len={min(len(w), 8)}"]
    names += [f"bi={w[j:j + 2]}" for j in range(len(w) - 1)]
    return names


# a word as the 1st/2nd content token to the left/right
_NEIGHBOURS: list[Callable[[str, str], list[str]]] = [
    lambda w, shp: [f"L1w={w}", f"L1shape={shp}", f"L1s1={w[-1:]}"],
    lambda w, shp: [f"L2w={w}", f"L2shape={shp}"],
    lambda w, shp: [f"R1w={w}", f"R1shape={shp}", f"R1p1={w[:1]}"],
    lambda w, shp: [f"R2w={w}", f"R2shape={shp}"],
]


class _Rows:
    """Feature rows per distinct key, as one ragged array: key ``k``'s rows are
    ``flat[ptr[k]:ptr[k + 1]]``, ascending, each once (a feature dict holds a name once)."""

    def __init__(self, vocab: dict[str, int], names_per_key):
        known = vocab.get
        flat: list[int] = []
        ptr = [0]
        for names in names_per_key:
            flat.extend(sorted({f for f in map(known, names) if f is not None}))
            ptr.append(len(flat))
        self.flat = np.asarray(flat, dtype=np.int64)
        self.ptr = np.asarray(ptr, dtype=np.int64)

    def gather(self, keys: np.ndarray, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(token, row) pairs of every key's rows; ``keys[i]`` belongs to ``tokens[i]``."""
        starts, lens = self.ptr[keys], self.ptr[keys + 1] - self.ptr[keys]
        total = int(lens.sum())
        first = np.repeat(np.cumsum(lens) - lens, lens)
        rows = self.flat[np.repeat(starts, lens) + (np.arange(total, dtype=np.int64) - first)]
        return np.repeat(tokens, lens), rows


def _intern(items) -> tuple[np.ndarray, list]:
    """Each item's key (its first-seen rank) and the distinct items in that order."""
    ids: dict = {}
    keys = [ids.setdefault(x, len(ids)) for x in items]
    return np.asarray(keys, dtype=np.int64), list(ids)


def doc_feature_ids(doc: Doc, vocab: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, indptr)`` in CSR form: token ``i``'s rows are ``indices[indptr[i]:indptr[i + 1]]``,
    ascending (the order in which ``DictVectorizer``'s sorted sparse rows sum them)."""
    text = doc.text
    n = len(doc)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
    offsets = doc.to_array([IDX, LENGTH]).astype(np.int64)  # uint64 from spaCy
    starts = offsets[:, 0]
    ends = starts + offsets[:, 1]
    word_key, distinct = _intern([text[a:b] for a, b in zip(starts.tolist(), ends.tolist())])
    is_ws = np.asarray([w.isspace() for w in distinct], dtype=bool)[word_key]
    content = np.flatnonzero(~is_ws)
    pairs = []
    ws_tokens = np.flatnonzero(is_ws)
    ws_row = vocab.get("ws")
    if ws_row is not None and len(ws_tokens):
        pairs.append((ws_tokens, np.full(len(ws_tokens), ws_row, dtype=np.int64)))
    if len(content):
        shapes = [shape(w) for w in distinct]
        pairs.append(_Rows(vocab, map(_word_features, distinct, shapes)).gather(word_key[content], content))
        # the characters around each token, and whether its line holds a tab (a table row)
        padded = "^" + text + "$"
        for name, at in (("before=", starts[content]), ("after=", ends[content] + 1)):
            keys, chars = _intern([padded[i] for i in at.tolist()])
            pairs.append(_Rows(vocab, ([name + _edge_class(c)] for c in chars)).gather(keys, content))
        table_row = vocab.get("in_table_row")
        if table_row is not None:
            line_ends, line_tab, pos = [], [], 0
            for line in text.split("\n"):
                pos += len(line) + 1
                line_ends.append(pos)
                line_tab.append("\t" in line)
            tab = np.asarray(line_tab)[np.searchsorted(np.asarray(line_ends), starts[content], side="right")]
            pairs.append((content[tab], np.full(int(tab.sum()), table_row, dtype=np.int64)))
        # neighbours across whitespace: the content tokens 1 and 2 before and after
        content_keys = word_key[content]
        for make, shift in zip(_NEIGHBOURS, (-1, -2, 1, 2)):
            side = _Rows(vocab, map(make, distinct, shapes))
            if shift < 0:
                tokens, keys = content[-shift:], content_keys[:shift]
            else:
                tokens, keys = content[:-shift], content_keys[shift:]
            pairs.append(side.gather(keys, tokens))
    token = np.concatenate([t for t, _ in pairs]) if pairs else np.zeros(0, dtype=np.int64)
    row = np.concatenate([r for _, r in pairs]) if pairs else np.zeros(0, dtype=np.int64)
    key = token * (len(vocab) + 1) + row
    key.sort()  # by token, then by row: each token's rows ascending
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(key // (len(vocab) + 1), minlength=n), out=indptr[1:])
    return key % (len(vocab) + 1), indptr

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


def _word_features(w: str) -> list[str]:
    names = ["bias", f"w={w}", f"shape={shape(w)}", f"p1={w[:1]}", f"s1={w[-1:]}", f"p2={w[:2]}",
             f"s2={w[-2:]}", f"len={min(len(w), 8)}"]
    names += [f"bi={w[j:j + 2]}" for j in range(len(w) - 1)]
    return names


def _neighbour_features(name: str, seen: int) -> Callable[[str], list[str]]:
    def features(nw: str) -> list[str]:
        out = [f"{name}{seen}w={nw}", f"{name}{seen}shape={shape(nw)}"]
        if seen == 1:
            out.append(f"L1s1={nw[-1:]}" if name == "L" else f"R1p1={nw[:1]}")
        return out

    return features


_NEIGHBOURS = [_neighbour_features("L", 1), _neighbour_features("L", 2),
               _neighbour_features("R", 1), _neighbour_features("R", 2)]


def doc_feature_ids(doc: Doc, vocab: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, indptr)`` in CSR form: token ``i``'s rows are ``indices[indptr[i]:indptr[i + 1]]``,
    ascending (the order in which ``DictVectorizer``'s sorted sparse rows sum them)."""
    text = doc.text
    n = len(doc)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
    offsets = doc.to_array([IDX, LENGTH]).tolist()
    words = [text[a:a + m] for a, m in offsets]
    known = vocab.get

    def ids(names: list[str]) -> tuple[int, ...]:
        return tuple(sorted({i for i in map(known, names) if i is not None}))

    is_ws: dict[str, bool] = {}
    own: dict[str, tuple[int, ...]] = {}
    side: list[dict[str, tuple[int, ...]]] = [{}, {}, {}, {}]
    edge: dict[str, tuple[int, ...]] = {}
    ws_ids = ids(["ws"])
    table_ids = ids(["in_table_row"])
    # which lines hold a tab (table rows): line ends, then one bisect per token
    line_ends: list[int] = []
    line_tab: list[bool] = []
    start = 0
    for line in text.split("\n"):
        start += len(line) + 1
        line_ends.append(start)
        line_tab.append("\t" in line)
    content = []  # positions of the non-whitespace tokens
    for i, w in enumerate(words):
        ws = is_ws.get(w)
        if ws is None:
            ws = is_ws[w] = w.isspace()
        if not ws:
            content.append(i)
    rows: list[tuple[int, ...]] = [ws_ids] * n
    for p, i in enumerate(content):
        w = words[i]
        parts = own.get(w)
        if parts is None:
            parts = own[w] = ids(_word_features(w))
        a = offsets[i][0]
        b = a + len(w)
        before = text[a - 1] if a > 0 else "^"
        after = text[b] if b < len(text) else "$"
        for key, c in (("before=", before), ("after=", after)):
            e = edge.get(key + c)
            if e is None:
                e = edge[key + c] = ids([key + _edge_class(c)])
            parts = parts + e
        if line_tab[bisect_right(line_ends, a)]:
            parts = parts + table_ids
        for memo, make, q in zip(side, _NEIGHBOURS, (p - 1, p - 2, p + 1, p + 2)):
            if 0 <= q < len(content):
                nw = words[content[q]]
                f = memo.get(nw)
                if f is None:
                    f = memo[nw] = ids(make(nw))
                parts = parts + f
        rows[i] = tuple(sorted(parts))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=indptr[1:])
    indices = np.fromiter((i for r in rows for i in r), dtype=np.int64, count=int(indptr[-1]))
    return indices, indptr

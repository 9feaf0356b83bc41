"""BIO decoding shared by the scikit-learn tagger and its frozen form (numpy only).

``viterbi`` is the reference: tokens × tags, a dense transition matrix per step.
``viterbi_masked`` gives the same path with the same floating-point sums and the same
tie-breaking (``argmax``: the first best), in the time of the masked transitions only: a tag
any tag may precede takes the previous step's best; an ``I-X`` compares its few allowed
predecessors (``B-X``, ``I-X``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

OUTSIDE = "O"


@dataclass(frozen=True)
class TokenSpan:
    start: int  # token index
    end: int  # token index, exclusive
    label: str
    score: float


def transition_mask(tags: Sequence[str]) -> np.ndarray:
    """allowed[i, j]: tag j may follow tag i."""
    n = len(tags)
    allowed = np.ones((n, n), dtype=bool)
    for j, tj in enumerate(tags):
        if tj.startswith("I-"):
            for i, ti in enumerate(tags):
                allowed[i, j] = ti in (f"B-{tj[2:]}", tj)
    return allowed


def start_mask(tags: Sequence[str]) -> np.ndarray:
    """allowed[j]: a sequence may begin with tag j."""
    return np.array([not t.startswith("I-") for t in tags], dtype=bool)


def viterbi(log_probs: np.ndarray, tags: Sequence[str]) -> list[int]:
    """Best tag sequence under BIO constraints; ``log_probs`` is tokens × tags."""
    n_tok, n_tag = log_probs.shape
    if n_tok == 0:
        return []
    trans = np.where(transition_mask(tags), 0.0, -np.inf)
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


def viterbi_masked(log_probs: np.ndarray, allowed: np.ndarray, start_ok: np.ndarray) -> list[int]:
    """``viterbi`` for 0/-inf transitions given as a mask, in Python floats (the same IEEE
    sums as numpy's float64: ``x + 0.0`` is ``x``), one pass over the tokens."""
    n_tok, n_tag = log_probs.shape
    if n_tok == 0:
        return []
    rows = log_probs.tolist()
    free = [j for j in range(n_tag) if allowed[:, j].all()]  # any tag may precede these
    limited = [(j, [int(i) for i in np.flatnonzero(allowed[:, j])]) for j in range(n_tag) if not allowed[:, j].all()]
    neg_inf = float("-inf")
    score = [v if ok else neg_inf for v, ok in zip(rows[0], start_ok.tolist())]
    backs: list[tuple[int, list[int]]] = [(0, [])]  # per step: the best previous tag, and each limited tag's
    for k in range(1, n_tok):
        row = rows[k]
        best = max(score)
        best_i = score.index(best)  # the first best, as argmax
        new = [best + v for v in row] if len(free) == n_tag else [0.0] * n_tag
        if len(free) != n_tag:
            for j in free:
                new[j] = best + row[j]
        picks = []
        for j, prevs in limited:
            p = prevs[0]
            for i in prevs[1:]:
                if score[i] > score[p]:
                    p = i
            if score[p] == neg_inf:  # a column of -inf only: argmax says row 0, the sum stays -inf
                p, new[j] = 0, neg_inf
            else:
                new[j] = score[p] + row[j]
            picks.append(p)
        backs.append((best_i, picks))
        score = new
    limited_index = {j: n for n, (j, _) in enumerate(limited)}
    last = max(score)
    path = [score.index(last)]
    for k in range(n_tok - 1, 0, -1):
        best_i, picks = backs[k]
        j = path[-1]
        n = limited_index.get(j)
        path.append(best_i if n is None else picks[n])
    return path[::-1]


def path_spans(path: list[int], probs: np.ndarray, tags: Sequence[str]) -> list[TokenSpan]:
    spans: list[TokenSpan] = []
    k = 0
    while k < len(path):
        tag = tags[path[k]]
        if tag == OUTSIDE:
            k += 1
            continue
        label = tag[2:]
        j = k + 1
        while j < len(path) and tags[path[j]] == f"I-{label}":
            j += 1
        # Span confidence: the weakest token's probability of its decoded tag.
        score = float(min(probs[t, path[t]] for t in range(k, j)))
        spans.append(TokenSpan(k, j, label, score))
        k = j
    return spans

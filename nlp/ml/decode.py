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
    sums as numpy's float64: ``x + 0.0`` is ``x``), one pass over the tokens. A tag any tag may
    precede takes the previous step's best (``argmax``: the first best); a tag with fewer
    predecessors (``I-X``: ``B-X`` or ``I-X``) the first best of those, and when all of them
    are -inf, row 0 and -inf, as ``argmax`` over a column of -inf."""
    n_tok, n_tag = log_probs.shape
    if n_tok == 0:
        return []
    rows = log_probs.tolist()
    limited = [(j, [int(i) for i in np.flatnonzero(allowed[:, j])]) for j in range(n_tag) if not allowed[:, j].all()]
    pairs = [(j, prevs[0], prevs[1]) for j, prevs in limited if len(prevs) == 2]
    others = [(j, prevs) for j, prevs in limited if len(prevs) != 2]
    neg_inf = float("-inf")
    score = [v if ok else neg_inf for v, ok in zip(rows[0], start_ok.tolist())]
    best_prev: list[int] = [0]  # per step: the best previous tag
    picks_at: list[list[int]] = [[]]  # per step: each limited tag's previous tag (pairs, then others)
    for k in range(1, n_tok):
        row = rows[k]
        best = max(score)
        best_prev.append(score.index(best))
        new = [best + v for v in row]
        picks = []
        for j, p, q in pairs:
            sp, sq = score[p], score[q]
            if sq > sp:
                new[j] = sq + row[j]
                picks.append(q)
            elif sp == neg_inf:
                new[j] = neg_inf
                picks.append(0)
            else:
                new[j] = sp + row[j]
                picks.append(p)
        for j, prevs in others:
            p = prevs[0] if prevs else 0
            for i in prevs[1:]:
                if score[i] > score[p]:
                    p = i
            if not prevs or score[p] == neg_inf:
                p, new[j] = 0, neg_inf
            else:
                new[j] = score[p] + row[j]
            picks.append(p)
        picks_at.append(picks)
        score = new
    slot = {j: n for n, (j, *_rest) in enumerate(pairs + others)}
    path = [score.index(max(score))]
    for k in range(n_tok - 1, 0, -1):
        n = slot.get(path[-1])
        path.append(best_prev[k] if n is None else picks_at[k][n])
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

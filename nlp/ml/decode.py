"""BIO decoding shared by the scikit-learn tagger and its frozen form (numpy only).

``viterbi`` (``viterbi_dense``) is the reference: tokens × tags, a dense transition matrix per step.
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
    return viterbi_dense(log_probs, transition_mask(tags), start_mask(tags))


def viterbi_dense(log_probs: np.ndarray, allowed: np.ndarray, start_ok: np.ndarray) -> list[int]:
    """The reference: a dense transition matrix per step (0 allowed, -inf not), any mask."""
    n_tok, n_tag = log_probs.shape
    if n_tok == 0:
        return []
    trans = np.where(allowed, 0.0, -np.inf)
    score = log_probs[0] + np.where(start_ok, 0.0, -np.inf)
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
    """``viterbi`` for 0/-inf transitions given as a mask: the same path, from the same
    floating-point sums, with the same tie-breaking (``argmax``: the first best).

    A *free* tag (any tag may precede it) scores the previous step's best plus its own
    log-probability, so a step is carried by that best alone and by the scores of the few
    *limited* tags (``I-X``: ``B-X`` or ``I-X`` before it). Only those run in the Python loop;
    the free tags' scores, and the best previous tag of every step, are then rebuilt with numpy
    (``best + log_prob``: the same IEEE sum). Masks of another shape, and log-probabilities
    that are not all finite, take ``viterbi_dense``."""
    n_tok, n_tag = log_probs.shape
    if n_tok == 0:
        return []
    free = allowed.all(axis=0)
    limited = [int(j) for j in np.flatnonzero(~free)]
    prevs = [[int(i) for i in np.flatnonzero(allowed[:, j])] for j in limited]
    if not free.any() or any(len(p) != 2 for p in prevs) or not start_ok[free].all() or not np.isfinite(log_probs).all():
        return viterbi_dense(log_probs, allowed, start_ok)
    slot = {j: n for n, j in enumerate(limited)}
    # BIO: each limited tag I-X is preceded by a free tag (B-X, earlier in tag order) or itself
    pairs = []
    for j, (a, b) in zip(limited, prevs):
        if not (free[a] and b == j and a < b):
            return viterbi_dense(log_probs, allowed, start_ok)
        pairs.append((j, a, slot[j]))
    neg_inf = float("-inf")
    # the loop reads only the limited tags' log-probabilities and their free predecessors'
    rows_lim = log_probs[:, limited].tolist()
    rows_prev = log_probs[:, [p for _, p, _ in pairs]].tolist()
    best_free = log_probs[:, free].max(axis=1).tolist()  # max over free tags of best + lp = best + this
    # step 0: free tags may start (checked above); a limited tag scores -inf unless it may start
    lim = [v if start_ok[j] else neg_inf for j, v in zip(limited, rows_lim[0])]
    base = 0.0  # step 0's free scores are lp + 0.0
    best = max(base + best_free[0], max(lim))
    bases = [base]
    lims = list(lim)  # flat, step after step: floats are no work for the garbage collector, lists are
    from_self = [0]  # per step: bit n set when limited tag n continues itself
    for k in range(1, n_tok):
        new = []
        bits = 0
        bit = 1
        for sb, sq, r in zip(rows_prev[k - 1], lim, rows_lim[k]):
            sp = base + sb  # the free predecessor's score (finite)
            if sq > sp:
                new.append(sq + r)
                bits |= bit
            else:
                new.append(sp + r)
            bit <<= 1
        base, lim = best, new
        best = max(base + best_free[k], max(new))
        bases.append(base)
        lims.extend(new)
        from_self.append(bits)
    scores = np.asarray(bases)[:, None] + log_probs  # the free tags' scores, step by step
    scores[0, ~start_ok] = neg_inf
    scores[:, limited] = np.asarray(lims).reshape(n_tok, len(limited))
    best_prev = np.argmax(scores, axis=1).tolist()
    is_free = free.tolist()
    path = [best_prev[-1]]
    for k in range(n_tok - 1, 0, -1):
        t = path[-1]
        if is_free[t]:
            path.append(best_prev[k - 1])
        else:
            n = slot[t]
            path.append(t if from_self[k] >> n & 1 else pairs[n][1])
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

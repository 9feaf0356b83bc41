"""jieba's accurate mode (DAG + max-probability route + HMM for unknown runs), for one block of
ideographs, in one pass with the word log-probabilities memoised.

Same algorithm and same floating-point operations as ``jieba.Tokenizer.__cut_DAG`` (get_DAG,
calc, then the HMM buffer logic), so it gives jieba's words exactly — ``tests/test_tokenizer.py``
compares the two on every block of the sources. It exists because jieba's DAG is the hot spot
of our tokenizer: jieba builds a dict of lists and calls ``log`` for every candidate of every
position on every call; here the route is computed backwards while the candidates are found,
and ``log(freq) - log(total)`` is computed once per word per process.
"""

from __future__ import annotations

from math import log
from typing import Callable


# Longest run of out-of-dictionary characters given to jieba's HMM in one piece (a departure
# from jieba only for runs longer than this, which the sources never have).
HMM_MAX_RUN = 64


def block_cutter(tok) -> Callable[[str], list[str]]:
    """A function cutting one block (a run of jieba's ``re_han_default`` class) the way
    ``tok.cut(block, HMM=True)`` does. ``tok`` must be initialised, its user words loaded."""
    from jieba import finalseg

    tok.check_initialized()
    freq = tok.FREQ
    logtotal = log(tok.total)
    logp: dict[str, float] = {}

    def route(sentence: str) -> list[int]:
        """end[idx]: the last index of the best word starting at idx (jieba's calc over get_DAG)."""
        n = len(sentence)
        score = [0.0] * (n + 1)
        end = [0] * n
        for idx in range(n - 1, -1, -1):
            best_s = 0.0
            best_x = -1
            i = idx
            frag = sentence[idx]
            while frag in freq:  # jieba: while i < N and frag in FREQ (a frag past N is never in FREQ)
                if freq[frag]:
                    lp = logp.get(frag)
                    if lp is None:
                        lp = logp[frag] = log(freq[frag]) - logtotal
                    s = lp + score[i + 1]
                    # max over (score, x) in increasing x: a tie goes to the longer word
                    if best_x < 0 or s >= best_s:
                        best_s, best_x = s, i
                i += 1
                if i >= n:
                    break
                frag = sentence[idx:i + 1]
            if best_x < 0:  # no dictionary word: the single character, log(freq or 1)
                best_s, best_x = (log(freq.get(sentence[idx]) or 1) - logtotal) + score[idx + 1], idx
            score[idx] = best_s
            end[idx] = best_x
        return end

    def flush(buf: str, out: list[str]) -> None:
        if len(buf) == 1:
            out.append(buf)
        elif not freq.get(buf):
            # jieba's Viterbi copies its path lists at every step: quadratic in the run.
            # Real unknown runs are a few characters; cut pathological ones into pieces.
            for i in range(0, len(buf), HMM_MAX_RUN):
                out.extend(finalseg.cut(buf[i:i + HMM_MAX_RUN]))
        else:
            out.extend(buf)

    def cut(sentence: str) -> list[str]:
        end = route(sentence)
        out: list[str] = []
        buf = ""
        x, n = 0, len(sentence)
        while x < n:
            y = end[x] + 1
            if y - x == 1:
                buf += sentence[x]
            else:
                if buf:
                    flush(buf, out)
                    buf = ""
                out.append(sentence[x:y])
            x = y
        if buf:
            flush(buf, out)
        return out

    return cut

"""Learned fact assembly: which span of the text a figure's fact is about, scored by a
classifier over (figure, candidate span) pairs.

The hand rules (``nlp.facts.prose``) read one subject per figure from its lead. This module
is the measured alternative (``reports/fact-assembly.md``): for every prose fact the rules
emitted, the candidates are

* token spans of the clauses before the figure in its sentence (and of the one right after
  it: ``召开会议 8 个``, ``1 个所属预算单位``), cut at punctuation, figures and periods;
* the SUBJECT entities the pipeline found in the ``SUBJECT_REACH`` characters before it;
* "no subject".

Each (figure, candidate) pair is described by features of the clause between them (distance
in characters and tokens, separators, figures and cue words in between, the words either
side of the candidate, its first and last characters and words) and a logistic regression
scores it; the best-scoring candidate of a figure is its subject. ``combined`` adds the
rules' own subject as a candidate and, as features, whether a candidate is the rules' choice
or lies inside it. Only the subject changes: measure, value, period and the rest stay the
rules'. Deterministic: lbfgs with a fixed ``random_state`` and features in a fixed order.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from spacy.tokens import Doc

from nlp.evaluation import normalize_subject
from nlp.extensions import doc_text
from nlp.facts.prose.regions import inside, table_ranges

VALUE_LABELS = ("AMOUNT", "PERCENT", "QUANTITY")
# entity labels a subject never spans: figures, periods, codes
_BREAKING_LABELS = (*VALUE_LABELS, "PERIOD", "SUBJECT_CODE")
_CLAUSE_END = frozenset(",;。:!?\n")
_SENTENCE_END = frozenset("。!?\n")
SEGMENTS_BACK = 3  # clauses (segments) before the figure whose spans are candidates
LOOKBACK = 120  # characters before the figure those segments may start in
SEGMENT_TOKENS = 12  # only a segment's last tokens start candidates (a subject ends a clause)
MAX_SPAN_TOKENS = 8
MAX_SPAN_CHARS = 24
SUBJECT_REACH = 300  # characters back that a SUBJECT entity is still a candidate
_HAN = re.compile(r"[\u4e00-\u9fff]")
_CUES = ("其中", "占", "较", "比", "与", "同比", "增加", "减少", "增长", "下降", "增幅", "降幅", "分别", "各",
         "为", "是", "共", "合计", "完成", "预算", "决算", "的", "和", "及", "、", "主要", "相比")
NULL = ""  # the candidate "no subject"


@dataclass(frozen=True)
class Candidate:
    text: str  # as written in the client's text, NFKC, no blanks ("" for no subject)
    start: int  # normalised offsets (-1 for no subject)
    end: int
    features: dict[str, float]


@dataclass
class FigureCase:
    """One prose fact of the rules and the subjects it could have."""

    fact_index: int  # into the result's facts
    evidence: tuple[int, int]  # original offsets of the figure
    measure: str
    rule_subject: Optional[str]
    candidates: list[Candidate] = field(default_factory=list)


def _bucket(n: int) -> str:
    for limit in (0, 1, 2, 3, 5, 8, 12, 20, 40, 80):
        if n <= limit:
            return str(limit)
    return "far"


class _DocView:
    """Tokens, segments and entity positions of one processed ``Doc``, computed once."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self.text = doc_text(doc)
        norm = doc._.norm
        self.original = norm.original if norm is not None else self.text
        self._to_original = norm.to_original if norm is not None else (lambda a, b: (a, b))
        # plain lists: spaCy builds a Token object on every doc[i]
        self.words, self.space, self.token_starts = [], [], []
        for t in doc:
            self.words.append(t.text)
            self.space.append(t.is_space)
            self.token_starts.append(t.idx)
        self.n = len(self.words)
        ents = list(doc.ents)
        breaking = [any(c in _CLAUSE_END or c.isdigit() for c in w) for w in self.words]
        for e in ents:
            if e.label_ in _BREAKING_LABELS:
                breaking[e.start:e.end] = [True] * (e.end - e.start)
        self.breaking = breaking
        self.labels = {(e.start_char, e.end_char): e.label_ for e in ents}
        self.figure_starts = sorted(e.start_char for e in ents if e.label_ in VALUE_LABELS)
        # SUBJECT entities as (start_char, end_char, start token, end token, source), by end
        self.subjects = sorted(((e.start_char, e.end_char, e.start, e.end, e._.source) for e in ents
                                if e.label_ == "SUBJECT"), key=lambda e: e[1])
        self._subject_ends = [e[1] for e in self.subjects]

    def to_original(self, a: int, b: int) -> tuple[int, int]:
        return tuple(self._to_original(a, b))

    def written(self, a: int, b: int) -> str:
        s, e = self._to_original(a, b)
        return self.original[s:e]

    def token_at(self, char: int) -> int:
        """Index of the token starting at or containing ``char``."""
        return max(0, bisect_left(self.token_starts, char + 1) - 1)

    def span_chars(self, i: int, j: int) -> tuple[int, int]:
        """Character range of tokens ``i..j-1``."""
        return self.token_starts[i], self.token_starts[j - 1] + len(self.words[j - 1])

    def segments_before(self, tok: int) -> list[tuple[int, int]]:
        """Token ranges of the clauses before token ``tok`` in its sentence, nearest first."""
        out, starts = [], self.token_starts
        i = tok - 1
        floor = starts[tok] - LOOKBACK if tok < self.n else len(self.text) - LOOKBACK
        while i >= 0 and len(out) < SEGMENTS_BACK and starts[i] >= floor:
            if self.breaking[i]:
                if any(c in _SENTENCE_END for c in self.words[i]):
                    break
                i -= 1
                continue
            end = i + 1
            while i >= 0 and not self.breaking[i] and starts[i] >= floor:
                i -= 1
            out.append((i + 1, end))
        return out

    def segment_after(self, tok: int) -> Optional[tuple[int, int]]:
        """The run of words right after the figure (``8 个|会议``), if nothing separates them."""
        i = tok
        while i < self.n and self.space[i]:
            i += 1
        if i >= self.n or self.breaking[i]:
            return None
        j = i
        while j < self.n and not self.breaking[j] and j - i < MAX_SPAN_TOKENS:
            j += 1
        return i, j

    def subjects_before(self, char: int) -> list:
        k = bisect_left(self._subject_ends, char + 1)
        out = []
        for e in reversed(self.subjects[:k]):
            if e[1] < char - SUBJECT_REACH:
                break
            out.append(e)
        return out


def _gap_features(view: _DocView, a: int, b: int, prefix: str = "") -> dict[str, float]:
    """What lies between two character offsets (a <= b): distance, separators, figures, cues."""
    gap = view.text[a:b]
    compact = "".join(gap.split())
    f: dict[str, float] = {
        f"{prefix}dc={_bucket(len(compact))}": 1.0,
        f"{prefix}dt={_bucket(view.token_at(b) - view.token_at(a) if b > a else 0)}": 1.0,
        f"{prefix}gap={compact if len(compact) <= 4 else '*'}": 1.0,
        f"{prefix}gap_end={compact[-2:]}": 1.0,
        f"{prefix}gap_start={compact[:2]}": 1.0,
    }
    seps = 0
    for c in ",;。:、\n()":
        n = gap.count(c)
        if n:
            f[f"{prefix}sep{c}={min(n, 3)}"] = 1.0
            seps += n if c in ",;。:\n" else 0
    f[f"{prefix}same_clause"] = float(seps == 0)
    figs = bisect_left(view.figure_starts, b) - bisect_left(view.figure_starts, a)
    f[f"{prefix}figs={min(figs, 3)}"] = 1.0
    for cue in _CUES:
        if cue in compact:
            f[f"{prefix}cue={cue}"] = 1.0
    return f


def _span_features(view: _DocView, a_tok: int, b_tok: int) -> dict[str, float]:
    W, space = view.words, view.space
    words = [W[i] for i in range(a_tok, b_tok) if not space[i]]
    s = "".join(words)
    prev = next((W[i] for i in range(a_tok - 1, max(-1, a_tok - 3), -1) if not space[i]), "^")
    nxt = next((W[i] for i in range(b_tok, min(view.n, b_tok + 2)) if not space[i]), "$")
    return {
        f"len={_bucket(len(s))}": 1.0, f"ntok={min(len(words), 8)}": 1.0,
        f"c0={s[:1]}": 1.0, f"c-1={s[-1:]}": 1.0, f"c01={s[:2]}": 1.0, f"c-2={s[-2:]}": 1.0,
        f"w0={words[0]}": 1.0, f"w-1={words[-1]}": 1.0, f"prev={prev}": 1.0, f"next={nxt}": 1.0,
        "has_de": float("的" in s), "odd_quotes": float((s.count("“") + s.count("”")) % 2 == 1),
        "unclosed_paren": float(s.count("(") != s.count(")")),
    }


def _rule_features(text: str, rule: Optional[str]) -> dict[str, float]:
    """How a candidate relates to the rules' subject (``combined`` only)."""
    r, c = normalize_subject(rule), normalize_subject(text)
    if not r:
        return {"rule_none": 1.0, "rule_none_null": float(not c)}
    return {"is_rule": float(c == r), "in_rule": float(bool(c) and c != r and c in r),
            "has_rule": float(bool(c) and c != r and r in c), "rule_missing": float(not c)}


def _figure_context(view: _DocView, fig_start: int, measure: str, label: str) -> dict[str, float]:
    lead = view.text[max(0, fig_start - 6):fig_start]
    return {f"m={measure}": 1.0, f"label={label}": 1.0, f"lead2={''.join(lead.split())[-2:]}": 1.0}


def _conjoin(base: dict[str, float], context: dict[str, float], keys: Sequence[str]) -> dict[str, float]:
    """Pair features crossed with what kind of figure it is (a share's subject and a count's differ)."""
    out = dict(base)
    m = next(k for k in context if k.startswith("m="))
    for k in keys:
        if k in base:
            out[f"{m}&{k}"] = base[k]
    return out


def figure_candidates(view: _DocView, fig_start: int, fig_end: int, measure: str, label: str,
                      rule_subject: Optional[str] = None, with_rule: bool = False) -> list[Candidate]:
    """The candidates of one figure (normalised offsets), nearest first; one per text."""
    context = _figure_context(view, fig_start, measure, label)
    fig_tok = view.token_at(fig_start)
    end_tok = view.token_at(max(fig_start, fig_end - 1)) + 1
    seen: dict[str, Candidate] = {}

    def add(text: str, a: int, b: int, feats: dict[str, float]) -> None:
        key = normalize_subject(text)
        if key in seen:  # the same words nearer the figure: keep that one, with what this one adds
            old = seen[key].features
            old.update({k: v for k, v in feats.items() if k not in old and not k.startswith(("c0", "c-", "c01", "w0", "w-", "prev", "next", "len", "ntok"))})
            return
        feats = {**feats, **context}
        if with_rule:
            feats.update(_rule_features(text, rule_subject))
        seen[key] = Candidate(unicodedata.normalize("NFKC", "".join(text.split())), a, b, feats)

    gaps: dict[int, dict[str, float]] = {}  # spans ending at the same place share the gap
    for rank, (sa, sb) in enumerate(view.segments_before(fig_tok)):
        first = max(sa, sb - SEGMENT_TOKENS)
        for j in range(sb, first, -1):
            for i in range(j - 1, max(first, j - MAX_SPAN_TOKENS) - 1, -1):
                if view.space[i] or view.space[j - 1]:
                    continue
                a, b = view.span_chars(i, j)
                text = view.written(a, b)
                compact = "".join(text.split())
                if not 2 <= len(compact) <= MAX_SPAN_CHARS or not _HAN.search(compact):
                    continue
                f = {"before": 1.0, f"seg={rank}": 1.0, "seg_start": float(i == sa), "seg_end": float(j == sb)}
                if b not in gaps:
                    gaps[b] = _gap_features(view, b, fig_start)
                f.update(gaps[b])
                f.update(_span_features(view, i, j))
                add(text, a, b, _conjoin(f, context, ("same_clause", f"seg={rank}", "seg_end", "seg_start")))
    after = view.segment_after(end_tok)
    if after is not None:
        sa, sb = after
        for j in range(sb, sa + 1, -1):
            a, b = view.span_chars(sa, j)
            text = view.written(a, b)
            if 2 <= len("".join(text.split())) <= MAX_SPAN_CHARS and _HAN.search(text):
                f = {"after": 1.0, "seg_end": float(j == sb)}
                f.update(_span_features(view, sa, j))
                add(text, a, b, _conjoin(f, context, ("after", "seg_end")))
    for ea, eb, et0, et1, source in view.subjects_before(fig_start):
        text = view.written(ea, eb)
        f = {"subject_entity": 1.0, f"source={source}": 1.0}
        f.update(_gap_features(view, eb, fig_start, prefix="e_"))
        f.update(_span_features(view, et0, et1))
        add(text, ea, eb, _conjoin(f, context, ("e_same_clause", "e_figs=0", "e_figs=1")))
    add(NULL, -1, -1, {"null": 1.0, f"null&{next(iter(context))}": 1.0})
    if with_rule and rule_subject and normalize_subject(rule_subject) not in seen:
        # the rules' subject is no span near the figure (inherited from afar, an attribute's item)
        add(rule_subject, -1, -1, {"rule_only": 1.0})
    return list(seen.values())


def doc_cases(doc: Doc, keep: Iterable[int], with_rule: bool = False) -> list[FigureCase]:
    """The cases of the facts ``keep`` (indices into ``doc._.facts``: its prose facts)."""
    view = _DocView(doc)
    out = []
    for i in keep:
        fact = doc._.facts[i]
        a, b = fact.evidence.start, fact.evidence.end
        label = view.labels.get((a, b), "AMOUNT")
        cands = figure_candidates(view, a, b, fact.measure, label, fact.subject, with_rule)
        out.append(FigureCase(i, view.to_original(a, b), fact.measure, fact.subject, cands))
    return out


def prose_fact_indices(doc: Doc) -> list[int]:
    """Indices of ``doc._.facts`` that are prose facts: not on a table row (a tab line, or a
    grid or target table fiscal_layout read), which ``nlp.facts.tables`` owns."""
    tables = table_ranges(doc_text(doc), doc._.tables)  # the prose reader's own notion of "not prose"
    return [i for i, f in enumerate(doc._.facts or ()) if f.column is None and not inside(tables, f.evidence.start)]


class FactPairScorer(ClassifierMixin, BaseEstimator):
    """Scores (figure, candidate) pairs: ``fit(X, y)`` on feature dicts and 0/1 labels (the
    candidate is the gold subject); ``choose(cases)`` picks each figure's best candidate."""

    def __init__(self, C: float = 0.5, random_state: int = 0):
        self.C = C
        self.random_state = random_state

    def _pipeline(self) -> Pipeline:
        return Pipeline([("vectorizer", DictVectorizer(sort=True)),
                         ("classifier", LogisticRegression(C=self.C, solver="lbfgs", max_iter=1000,
                                                           random_state=self.random_state))])

    def fit(self, X: Sequence[dict[str, float]], y: Sequence[int]) -> "FactPairScorer":
        self.pipeline_ = self._pipeline().fit(list(X), np.asarray(y, dtype=int))
        self.classes_ = self.pipeline_.classes_
        return self

    def predict_proba(self, X: Sequence[dict[str, float]]) -> np.ndarray:
        return self.pipeline_.predict_proba(list(X))

    def predict(self, X: Sequence[dict[str, float]]) -> np.ndarray:
        return self.pipeline_.predict(list(X))

    def fit_cases(self, cases: Sequence[FigureCase], gold: Sequence[Optional[str]]) -> "FactPairScorer":
        X, y = training_rows(cases, gold)
        return self.fit(X, y)

    def choose(self, cases: Sequence[FigureCase]) -> list[tuple[Optional[Candidate], float]]:
        """Each case's best candidate and its probability (ties: the nearest candidate)."""
        rows = [c.features for case in cases for c in case.candidates]
        if not rows:
            return [(None, 0.0) for _ in cases]
        p = self.predict_proba(rows)[:, list(self.classes_).index(1)] if 1 in self.classes_ else np.zeros(len(rows))
        out, k = [], 0
        for case in cases:
            n = len(case.candidates)
            if n == 0:
                out.append((None, 0.0))
                continue
            best = int(np.argmax(p[k:k + n]))
            out.append((case.candidates[best], float(p[k + best])))
            k += n
        return out


def training_rows(cases: Sequence[FigureCase], gold: Sequence[Optional[str]]) -> tuple[list[dict], list[int]]:
    """Feature dicts and labels: a candidate is positive when it is the gold subject (strict)."""
    X, y = [], []
    for case, g in zip(cases, gold):
        target = normalize_subject(g)
        for c in case.candidates:
            X.append(c.features)
            y.append(int(normalize_subject(c.text) == target))
    return X, y


def nearest_span(case: FigureCase) -> Optional[Candidate]:
    """The baseline: the SUBJECT entity nearest before the figure, else no subject."""
    entities = [c for c in case.candidates if c.features.get("subject_entity")]
    return max(entities, key=lambda c: c.end) if entities else None


SUBJECT_MODEL = "subject.skops"


def save_scorer(scorer: FactPairScorer, model_dir, meta: dict) -> None:
    """The fitted pipeline as canonical skops (trusted types only), with meta and manifest."""
    import json
    from pathlib import Path

    from nlp.model_store import canonical_skops, write_manifest

    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / SUBJECT_MODEL).write_bytes(canonical_skops(scorer.pipeline_))
    (model_dir / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    write_manifest(model_dir, meta)


def load_scorer(model_dir) -> FactPairScorer:
    """A scorer from a model directory, after its manifest and skops types are checked."""
    from pathlib import Path

    from nlp.model_store import load_skops, verify_manifest

    model_dir = Path(model_dir)
    verify_manifest(model_dir)
    pipeline = load_skops(model_dir / SUBJECT_MODEL)
    scorer = FactPairScorer()
    scorer.pipeline_, scorer.classes_ = pipeline, pipeline.classes_
    return scorer

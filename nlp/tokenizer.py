"""The fiscal tokenizer: normalise, protect numeric expressions, segment the rest.

Normalisation happens here, at the head of the pipeline, so ``nlp(raw_text)`` carries the
offset map on ``doc._.norm`` and every later component sees normalised text only.

Segmentation keeps numbers, units, percentages, codes and change triggers on token
boundaries by construction: a linear scanner cuts those out first and only the text
between them goes to the word segmenter (jieba with a fiscal user dictionary, or a
spacy-pkuseg model trained on the corpus; see docs/tokenizer.md for the measurements).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator, Optional

import spacy
from spacy.tokens import Doc
from spacy.vocab import Vocab

from nlp.extensions import register_extensions
from nlp.normalize import normalize

DATA_DIR = Path(__file__).parent / "data"
USER_DICT = DATA_DIR / "fiscal_dict.txt"

_HAN_NUM = "零〇一二两三四五六七八九十百千万亿"
# Atoms that must stay whole tokens. Each alternative opens with a look-behind that fails
# at once inside a run of its own first class, so finditer stays linear.
PROTECTED = re.compile(
    r"(?<![\d.,])[-+]?\d++(?:,\d{3})*+(?:\.\d++)?+"  # 428.59, 1,100.9, -3480.83, 2101501
    rf"|(?<![{_HAN_NUM}])[{_HAN_NUM}]++(?=[几余多]?(?:万|亿|千)?元|[几余多]?万人)"  # 一百二十(万元)
    r"|万元|亿元|千元|万人|人次|元|%|‰"
    r"|增加\(减少\)|增长\(下降\)|增\(减\)|增加|减少|增长|下降|上升|降低|持平|减"
    r"|[≥≤=<>]"
)

_WS = re.compile(r"\s+")


@lru_cache(maxsize=None)
def _jieba(user_dict: str | None):
    import jieba

    tok = jieba.Tokenizer()
    tok.initialize()
    if user_dict and Path(user_dict).exists():
        tok.load_userdict(user_dict)
    return tok


@lru_cache(maxsize=None)
def _pkuseg(model_dir: str, user_dict: str | None):
    import spacy_pkuseg

    return spacy_pkuseg.pkuseg(model_name=model_dir, user_dict=user_dict or "default")


def make_segmenter(name: str, user_dict: str | None = None, pkuseg_model: str | None = None) -> Callable[[str], list[str]]:
    """A function cutting a run of non-protected text into words."""
    if name == "jieba":
        tok = _jieba(user_dict)
        return lambda s: [w for w in tok.cut(s, HMM=True)]
    if name == "pkuseg":
        if not pkuseg_model:
            raise ValueError("segmenter 'pkuseg' needs pkuseg_model (a directory shipped in models/)")
        seg = _pkuseg(str(pkuseg_model), user_dict)
        return seg.cut
    if name == "char":
        return list
    raise ValueError(f"unknown segmenter {name!r}: expected jieba, pkuseg or char")


def iter_pieces(text: str, segment: Callable[[str], list[str]]) -> Iterator[tuple[int, int]]:
    """Non-whitespace token spans of ``text``: protected atoms whole, the rest segmented."""
    pos = 0
    for m in PROTECTED.finditer(text):
        if m.start() > pos:
            yield from _segment_run(text, pos, m.start(), segment)
        yield m.start(), m.end()
        pos = m.end()
    if pos < len(text):
        yield from _segment_run(text, pos, len(text), segment)


def _segment_run(text: str, a: int, b: int, segment: Callable[[str], list[str]]) -> Iterator[tuple[int, int]]:
    pos = a
    for ws in _WS.finditer(text, a, b):
        if ws.start() > pos:
            yield from _words(text, pos, ws.start(), segment)
        pos = ws.end()
    if pos < b:
        yield from _words(text, pos, b, segment)


def _words(text: str, a: int, b: int, segment: Callable[[str], list[str]]) -> Iterator[tuple[int, int]]:
    pos = a
    for w in segment(text[a:b]):
        if not w:
            continue
        yield pos, pos + len(w)
        pos += len(w)
    if pos != b:  # a segmenter that lost characters: fall back to one token for the rest
        yield pos, b


def doc_from_pieces(vocab: Vocab, text: str, pieces: list[tuple[int, int]]) -> Doc:
    """A Doc over exactly ``text`` whose tokens are ``pieces``; other whitespace becomes tokens."""
    words: list[str] = []
    spaces: list[bool] = []
    pos = 0
    for a, b in pieces:
        if a > pos:
            gap = text[pos:a]
            if gap == " " and words and not spaces[-1]:
                spaces[-1] = True
            else:
                words.append(gap)
                spaces.append(False)
        words.append(text[a:b])
        spaces.append(False)
        pos = b
    if pos < len(text):
        gap = text[pos:]
        if gap == " " and words and not spaces[-1]:
            spaces[-1] = True
        else:
            words.append(gap)
            spaces.append(False)
    return Doc(vocab, words=words, spaces=spaces)


class FiscalTokenizer:
    def __init__(self, vocab: Vocab, segmenter: str = "jieba", user_dict: str | None = None, pkuseg_model: str | None = None):
        register_extensions()
        self.vocab = vocab
        self.segmenter = segmenter
        self.user_dict = user_dict
        self.pkuseg_model = pkuseg_model
        self._segment = make_segmenter(segmenter, user_dict, pkuseg_model)

    def __call__(self, text: str) -> Doc:
        norm = normalize(text)
        pieces = list(iter_pieces(norm.text, self._segment))
        doc = doc_from_pieces(self.vocab, norm.text, pieces)
        doc._.norm = norm
        return doc

    # spaCy serialises the tokenizer with the pipeline; ours is configured from config.cfg only.
    def to_bytes(self, **kwargs) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs) -> "FiscalTokenizer":
        return self

    def to_disk(self, path, **kwargs) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)

    def from_disk(self, path, **kwargs) -> "FiscalTokenizer":
        return self


def _resolve(path: Optional[str]) -> Optional[str]:
    """Config paths are relative to the repository (``models/...``) or to the package data."""
    if not path:
        return None
    p = Path(path)
    if p.is_absolute() or p.exists():
        return str(p)
    for base in (Path(__file__).resolve().parent.parent, DATA_DIR):
        if (base / p).exists():
            return str(base / p)
    return str(p)


@spacy.registry.tokenizers("fiscal.Tokenizer.v1")
def create_fiscal_tokenizer(segmenter: str = "jieba", user_dict: Optional[str] = "fiscal_dict.txt", pkuseg_model: Optional[str] = None):
    def make(nlp) -> FiscalTokenizer:
        return FiscalTokenizer(nlp.vocab, segmenter, _resolve(user_dict), _resolve(pkuseg_model))

    return make

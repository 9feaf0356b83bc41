"""The fiscal tokenizer: normalise, protect numeric expressions, segment the rest.

Normalisation happens here, at the head of the pipeline, so ``nlp(raw_text)`` carries the
offset map on ``doc._.norm`` and every later component sees normalised text only.

Segmentation keeps numbers, units, percentages, codes and change triggers on token
boundaries by construction: a linear scanner cuts those out first and only the text
between them goes to the word segmenter (jieba with a fiscal user dictionary, or a
spacy-pkuseg model trained on the corpus; see docs/tokenizer.md for the measurements).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator, Optional

import spacy

from nlp.project import project_root
from spacy.tokens import Doc
from spacy.vocab import Vocab

from nlp.extensions import register_extensions
from nlp.normalize import normalize

DATA_DIR = Path(__file__).parent / "data"
USER_DICT = DATA_DIR / "fiscal_dict.txt"
SEGMENTERS = ("jieba", "pkuseg", "char")

_HAN_NUM = "零〇一二两三四五六七八九十百千万亿"
_COUNT_UNITS = "人次|人|个|次|辆|张|台|家|件|份|场|条|户|例|项|所|天"
# Atoms that must stay whole tokens. Each alternative opens with a look-behind that fails
# at once inside a run of its own first class, so finditer stays linear. A number may follow
# a comma (NFKC turns "，" into ","), so only a preceding digit blocks it; a thousands group
# is exactly three digits (",\d{3}" must not eat the head of "2020,2021"); a sign needs
# a value start before it (the "-" of a range "95%-85%" is not a sign).
PROTECTED = re.compile(
    r"(?<!\d)(?:(?<![^\s(\[:=,;])[-+])?+\d++(?:,\d{3}(?!\d))*+(?:\.\d++)?+"  # 428.59, 1,100.9, -3480.83, 2101501
    rf"|(?<![{_HAN_NUM}])(?![万亿千]++元)[{_HAN_NUM}]++(?=[几余多]?(?:万|亿|千)?元|[几余多]?万人)"  # 一百二十(万元), not 单位:万元
    rf"|(?<!百分)百分之[{_HAN_NUM}点]{{1,12}}+"  # 百分之五
    r"|万元|亿元|千元|万人|人次|元|%|‰"
    rf"|(?<=\d)(?:年度|年|月|日|{_COUNT_UNITS})"  # 2021年, 13人: a unit only right after a number
    r"|增加\(减少\)|增长\(下降\)|增\(减\)|增加|减少|增长|下降|上升|降低|持平|减"
    r"|[≥≤=<>]"
)

# jieba logs "Building prefix dict…" to stderr through its own logger; we are a library.
logging.getLogger("jieba").setLevel(logging.WARNING)


def jieba_cache_dir() -> Path:
    """A private directory for jieba's prefix-dictionary cache (``$FISCAL_JIEBA_CACHE`` or a
    per-user directory under the system temp dir). jieba unmarshals that cache, so it must
    not live where another user could plant one: the directory is created 0700 and must be ours."""
    env = os.environ.get("FISCAL_JIEBA_CACHE")
    uid = os.getuid() if hasattr(os, "getuid") else 0
    path = Path(env) if env else Path(tempfile.gettempdir()) / f"fiscal-extract-jieba-{uid}"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if hasattr(os, "getuid") and path.stat().st_uid != uid:
        raise PermissionError(f"jieba cache directory {path} belongs to another user")
    return path


@lru_cache(maxsize=None)
def _jieba(user_dict: str | None):
    import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.tmp_dir = str(jieba_cache_dir())
    tok.initialize()
    if user_dict and Path(user_dict).exists():
        tok.load_userdict(user_dict)
    return tok


def dictionary_words(user_dict: str | None) -> list[str]:
    """The words of a jieba user dictionary (``word [freq] [tag]`` lines)."""
    if not user_dict or not Path(user_dict).exists():
        return []
    words = []
    for line in Path(user_dict).read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if fields:
            words.append(fields[0])
    return words


@lru_cache(maxsize=None)
def _pkuseg(model_dir: str, user_dict: str | None):
    import spacy_pkuseg

    if not (Path(model_dir) / "features.msgpack").exists():
        # spacy_pkuseg would treat an unknown name as a pretrained model and try to download it
        raise FileNotFoundError(f"no spacy-pkuseg model in {model_dir!r} (build it: python -m nlp.segmentation.train_pkuseg)")
    # pkuseg's own dictionary format is one word a line; hand it our words as a list
    return spacy_pkuseg.pkuseg(model_name=str(model_dir), user_dict=dictionary_words(user_dict) or None)


class MemoSegmenter:
    """A segmenter (run of text → word lengths) that remembers its answers. Fiscal documents
    repeat their phrases and table labels, and a run always segments the same way. The memo
    is bounded: it is emptied when full."""

    def __init__(self, cut: Callable[[str], tuple[int, ...]], maxsize: int = 1 << 16, inner: object = None):
        self._cut = cut
        self._memo: dict[str, tuple[int, ...]] = {}
        self.maxsize = maxsize
        self._inner = inner  # a memo inside ``cut`` (jieba's blocks), emptied with this one

    def __call__(self, run: str) -> tuple[int, ...]:
        got = self._memo.get(run)
        if got is None:
            got = self._cut(run)
            if len(self._memo) >= self.maxsize:
                self._memo.clear()
            self._memo[run] = got
        return got

    def cache_clear(self) -> None:
        self._memo.clear()
        inner = getattr(self._inner, "cache_clear", None)
        if inner:
            inner()


def _checked(words: list[str], run: str) -> tuple[int, ...]:
    if "".join(words) != run:  # a segmenter that changed the text: keep the run whole
        return (len(run),)
    return tuple(len(w) for w in words if w)


# jieba.cut splits its input into blocks of this class (each cut by the DAG + HMM) and
# single other characters; we do the same split ourselves, once, and memoise the blocks.
_JIEBA_BLOCK = re.compile(r"([\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]++)|[^\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]", re.S)


def _jieba_lengths(user_dict: str | None) -> Callable[[str], tuple[int, ...]]:
    from nlp.segmentation.jieba_dag import block_cutter

    cut_block = block_cutter(_jieba(user_dict))  # = tok.cut(block, HMM=True), faster (see there)
    blocks = MemoSegmenter(lambda blk: _checked(cut_block(blk), blk))

    def lengths(run: str) -> tuple[int, ...]:
        out: list[int] = []
        for m in _JIEBA_BLOCK.finditer(run):
            if m.group(1) is None:
                out.append(1)
            else:
                out.extend(blocks(m.group(1)))
        return tuple(out)

    lengths.cache_clear = blocks.cache_clear  # type: ignore[attr-defined]
    return lengths


@lru_cache(maxsize=None)
def _term_trie(user_dict: str | None) -> dict:
    """A character trie of the dictionary's words (two characters or more); "" marks a word end."""
    trie: dict = {}
    for word in dictionary_words(user_dict):
        if len(word) > 1:
            node = trie
            for c in word:
                node = node.setdefault(c, {})
            node[""] = True
    return trie


def term_boundaries(run: str, trie: dict) -> set[int]:
    """Where the longest dictionary word starting at each position begins and ends.

    The SUBJECT rules match the lexicon leftmost-longest, so these are the only places a
    lexicon span can start or end; a segmenter may glue a word across one (jieba's 经费支出
    in 财政拨款“三公”经费支出), so the tokenizer cuts there too. Linear: a walk is bounded
    by the longest word."""
    cuts: set[int] = set()
    n = len(run)
    for i in range(n):
        node = trie.get(run[i])
        if node is None:
            continue
        j, longest = i + 1, 0
        while True:
            if "" in node:
                longest = j
            if j == n:
                break
            node = node.get(run[j])
            if node is None:
                break
            j += 1
        if longest:
            cuts.add(i)
            cuts.add(longest)
    return cuts


def _cut_at(lengths: tuple[int, ...], cuts: set[int]) -> tuple[int, ...]:
    if not cuts:
        return lengths
    out: list[int] = []
    pos = 0
    for n in lengths:
        start = pos
        for c in range(pos + 1, pos + n):
            if c in cuts:
                out.append(c - start)
                start = c
        pos += n
        out.append(pos - start)
    return tuple(out)


def make_segmenter(name: str, user_dict: str | None = None, pkuseg_model: str | None = None) -> Callable[[str], tuple[int, ...]]:
    """A function cutting a run of non-protected, non-space text into words, returned as
    word lengths (memoised, see :class:`MemoSegmenter`), also cut at dictionary-word
    boundaries (:func:`term_boundaries`)."""
    if name == "jieba":
        cut = _jieba_lengths(user_dict)
    elif name == "pkuseg":
        if not pkuseg_model:
            raise ValueError("segmenter 'pkuseg' needs pkuseg_model (a directory shipped in models/)")
        seg = _pkuseg(str(pkuseg_model), user_dict)
        cut = lambda run: _checked(seg.cut(run), run)  # noqa: E731
    elif name == "char":
        return lambda run: (1,) * len(run)
    else:
        raise ValueError(f"unknown segmenter {name!r}: expected one of {', '.join(SEGMENTERS)}")
    trie = _term_trie(user_dict)
    return MemoSegmenter(lambda run: _cut_at(cut(run), term_boundaries(run, trie)), inner=cut)


_NON_SPACE = re.compile(r"\S++")  # finditer resumes after a whole run: linear


def iter_pieces(text: str, segment: Callable[[str], tuple[int, ...]]) -> Iterator[tuple[int, int]]:
    """Non-whitespace token spans of ``text``: protected atoms whole, the rest segmented."""
    pos = 0
    for m in PROTECTED.finditer(text):
        start = m.start()
        if start > pos:
            yield from _gap_words(text, pos, start, segment)
        pos = m.end()
        yield start, pos
    if pos < len(text):
        yield from _gap_words(text, pos, len(text), segment)


def _gap_words(text: str, a: int, b: int, segment: Callable[[str], tuple[int, ...]]) -> Iterator[tuple[int, int]]:
    """Words of the text between two protected atoms: each whitespace-free run, segmented."""
    for m in _NON_SPACE.finditer(text, a, b):
        pos = m.start()
        for n in segment(m.group()):
            yield pos, pos + n
            pos += n


_GAP = re.compile(r"(\s++)|\S++")


def words_and_spaces(text: str, segment: Callable[[str], tuple[int, ...]]) -> tuple[list[str], list[bool]]:
    """spaCy's ``words``/``spaces`` for ``text``: the tokens of :func:`iter_pieces`, each
    whitespace run a token of its own except a single space after a word (``spaces``).
    One pass, no intermediate piece list: this is the tokenizer's hot loop."""
    words: list[str] = []
    spaces: list[bool] = []
    word, space = words.append, spaces.append

    def gap(a: int, b: int) -> None:
        for g in _GAP.finditer(text, a, b):
            run = g.group()
            if g.start(1) >= 0:  # whitespace
                if run == " " and words and not spaces[-1]:
                    spaces[-1] = True
                else:
                    word(run)
                    space(False)
            else:
                i = 0
                for n in segment(run):
                    word(run[i:i + n])
                    space(False)
                    i += n

    pos = 0
    for m in PROTECTED.finditer(text):
        start = m.start()
        if start > pos:
            gap(pos, start)
        word(m.group())
        space(False)
        pos = m.end()
    if pos < len(text):
        gap(pos, len(text))
    return words, spaces


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
        words, spaces = words_and_spaces(norm.text, self._segment)
        doc = Doc(self.vocab, words=words, spaces=spaces)
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
    """Config paths are relative to the project (``models/...``), else to the package data
    (``nlp/models/...``, ``nlp/data/...``), so a wheel install finds the shipped segmenter."""
    if not path:
        return None
    p = Path(path)
    if p.is_absolute() or p.exists():
        return str(p)
    for base in (project_root(), Path(__file__).resolve().parent, DATA_DIR):
        if (base / p).exists():
            return str(base / p)
    return str(p)


@spacy.registry.tokenizers("fiscal.Tokenizer.v1")
def create_fiscal_tokenizer(segmenter: str = "jieba", user_dict: Optional[str] = "fiscal_dict.txt", pkuseg_model: Optional[str] = None):
    def make(nlp) -> FiscalTokenizer:
        return FiscalTokenizer(nlp.vocab, segmenter, _resolve(user_dict), _resolve(pkuseg_model))

    return make

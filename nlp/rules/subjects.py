"""SUBJECT from the lexicon (``nlp/data/subjects.txt``): certain names of line items,
accounts and indicators, matched leftmost-longest with an Aho-Corasick automaton
(one linear pass). Only prose lines are searched: table row names are ``fiscal_layout``'s.
The open vocabulary is the statistical tagger's job, not this one's.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

import ahocorasick

from nlp.rules.base import RuleMatch

SUBJECTS_FILE = Path(__file__).resolve().parent.parent / "data" / "subjects.txt"


def load_terms(path: str | Path = SUBJECTS_FILE) -> list[str]:
    """Terms of a lexicon file, NFKC-normalised like the text they are matched against."""
    terms: list[str] = []
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            terms.append(unicodedata.normalize("NFKC", line))
    return terms


@lru_cache(maxsize=8)
def _automaton(terms: tuple[str, ...]) -> ahocorasick.Automaton:
    auto = ahocorasick.Automaton()
    for term in terms:
        auto.add_word(term, term)
    auto.make_automaton()
    return auto


class SubjectLexicon:
    def __init__(self, terms: Iterable[str]):
        self.terms = tuple(sorted(set(terms)))
        if not self.terms:
            raise ValueError("the SUBJECT lexicon is empty")
        self._auto = _automaton(self.terms)

    @classmethod
    def load(cls, path: str | Path = SUBJECTS_FILE) -> "SubjectLexicon":
        return cls(load_terms(path))

    def find(self, text: str) -> Iterator[RuleMatch]:
        """Leftmost-longest matches in the lines of ``text`` that are not table rows."""
        pos = 0
        for line in text.splitlines(keepends=True):
            if "\t" not in line:
                for end, term in self._auto.iter_long(line):
                    start = end - len(term) + 1
                    yield RuleMatch(pos + start, pos + end + 1, "SUBJECT", None, rule="subject_lexicon")
            pos += len(line)

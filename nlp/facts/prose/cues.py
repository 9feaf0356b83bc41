"""Cue words and patterns of the prose reader, kept as data in ``nlp/facts/cues/<piece>.json``.

Each file holds the cues of one piece (what it says, as words or pattern fragments) and the
example lines that generate that piece's tests (``tests/test_prose_pieces.py``); adding a cue or
a case is adding a line there. Files are read once, when the piece is imported."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

CUES = Path(__file__).resolve().parent.parent / "cues"


@lru_cache(maxsize=None)
def load(piece: str) -> dict[str, Any]:
    """The cue file of ``piece`` (``nlp/facts/cues/<piece>.json``), parsed once."""
    path = CUES / f"{piece}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise RuntimeError(f"prose cues: cannot read {path}: {err}") from err


def words(piece: str, key: str) -> str:
    """A list of cue words (or pattern fragments) of ``piece`` as one regex alternation, in the
    file's order (the first alternative that matches wins)."""
    return "|".join(load(piece)[key])

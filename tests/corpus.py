"""Reading the example corpora (``nlp/examples/**/*.jsonl``) that the generated tests run."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from nlp.annotation.interchange.common import InterchangeError, json_lines


def corpus_lines(path: Path, error: type[Exception]) -> Iterator[tuple[str, Any]]:
    """``(where, value)`` for each non-blank line (``where`` is ``name:line``); a line that is
    not JSON raises ``error`` naming it, so a malformed corpus fails loudly."""
    try:
        yield from json_lines(path)
    except InterchangeError as exc:
        raise error(str(exc)) from exc

"""Reading the example corpora (``nlp/examples/**/*.jsonl``) that the generated tests run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator


def corpus_lines(path: Path, error: type[Exception]) -> Iterator[tuple[str, Any]]:
    """``(where, value)`` for each non-blank line (``where`` is ``name:line``); a line that is
    not JSON raises ``error`` naming it, so a malformed corpus fails loudly."""
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path.name}:{n}"
        try:
            yield where, json.loads(raw)
        except json.JSONDecodeError as exc:
            raise error(f"{where}: invalid JSON ({exc})") from exc

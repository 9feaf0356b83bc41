"""Cross-validation folds recorded with the data (``annotations/folds.json``).

Leave-one-document-out: with five documents, five folds, each testing on one document and
training on the other four. ``make_folds`` writes the file; ``load_folds`` reads and checks it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from nlp.annotation.records import REPO_ROOT, SOURCES_DIR

FOLDS_PATH = REPO_ROOT / "annotations" / "folds.json"

__all__ = ["FOLDS_PATH", "Fold", "load_folds", "make_folds", "write_folds"]


@dataclass(frozen=True)
class Fold:
    name: str
    test: tuple[str, ...]
    train: tuple[str, ...]


def make_folds(doc_ids: Sequence[str]) -> list[Fold]:
    """Leave-one-document-out folds over ``doc_ids`` (sorted, so the file is stable)."""
    ids = sorted(doc_ids)
    return [Fold(f"lodo-{d.split('_')[0]}", (d,), tuple(x for x in ids if x != d)) for d in ids]


def write_folds(path: Path = FOLDS_PATH, sources_dir: Path = SOURCES_DIR) -> list[Fold]:
    folds = make_folds([p.stem for p in Path(sources_dir).glob("*.txt")])
    data = {
        "scheme": "leave-one-document-out",
        "folds": [{"name": f.name, "test": list(f.test), "train": list(f.train)} for f in folds],
    }
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return folds


def load_folds(path: Path = FOLDS_PATH) -> list[Fold]:
    """The folds of ``path``; raises ValueError if a fold trains on a document it tests on."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    folds = [Fold(f["name"], tuple(f["test"]), tuple(f["train"])) for f in data["folds"]]
    for f in folds:
        both = set(f.test) & set(f.train)
        if both:
            raise ValueError(f"fold {f.name} trains and tests on {sorted(both)}")
        if not f.test:
            raise ValueError(f"fold {f.name} has no test document")
    return folds


if __name__ == "__main__":
    for fold in write_folds():
        print(fold.name, "test:", *fold.test)

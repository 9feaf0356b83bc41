"""Gold documents for training and evaluation, and their alignment with tokens.

Gold records (``annotations/gold/<doc_id>.jsonl``, schema in ``annotations/schema/``) carry
spans and facts relative to their record; here they are lifted to whole-document offsets
(into the original source text), the unit every evaluation compares on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from nlp.project import project_root

if TYPE_CHECKING:  # annotations only: importing spaCy costs a second, and the CLI imports this module
    from spacy.language import Language
    from spacy.tokens import Doc

REPO_ROOT = project_root()
GOLD_DIR = REPO_ROOT / "annotations" / "gold"
SOURCES_DIR = REPO_ROOT / "annotations" / "sources"
FOLDS_FILE = REPO_ROOT / "annotations" / "folds.json"


@dataclass(frozen=True)
class GoldSpan:
    start: int
    end: int
    label: str
    value: str | None = None


@dataclass
class GoldDocument:
    doc_id: str
    text: str
    spans: list[GoldSpan] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)


def load_gold_documents(gold_dir: Path = GOLD_DIR, sources_dir: Path = SOURCES_DIR) -> list[GoldDocument]:
    return load_gold_snapshot(gold_dir, sources_dir)[0]


def load_gold_snapshot(gold_dir: Path = GOLD_DIR, sources_dir: Path = SOURCES_DIR) -> tuple[list[GoldDocument], str]:
    """The gold documents and the sha256 of the files they came from, read in one go under the
    gold lock (``nlp.annotation.lock``): never half an import, and the hash is of what was read."""
    files = _read_gold_files(gold_dir)
    return [_document(path, data.decode("utf-8"), sources_dir) for path, data in files], _hash(files)


def _read_gold_files(gold_dir: Path) -> list[tuple[Path, bytes]]:
    from nlp.annotation.lock import gold_lock

    if not Path(gold_dir).is_dir():
        return []
    with gold_lock(gold_dir):
        return [(path, path.read_bytes()) for path in sorted(Path(gold_dir).glob("*.jsonl"))]


def _hash(files: list[tuple[Path, bytes]]) -> str:
    h = hashlib.sha256()
    for path, data in files:
        h.update(path.name.encode())
        h.update(data)
    return h.hexdigest()


def _document(path: Path, content: str, sources_dir: Path) -> GoldDocument:
    doc_id = path.stem
    text = (Path(sources_dir) / f"{doc_id}.txt").read_text(encoding="utf-8")
    gd = GoldDocument(doc_id, text)
    for line in content.splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        off = rec["offset"]
        if text[off: off + len(rec["text"])] != rec["text"]:
            raise ValueError(f"{path}: record {rec.get('record_id')} does not match the source at offset {off}")
        for s in rec.get("spans", []):
            gd.spans.append(GoldSpan(off + s["start"], off + s["end"], s["label"], s.get("value")))
        for f in rec.get("facts", []):
            f = dict(f)
            ev = f["evidence"]
            f["evidence"] = {"start": off + ev["start"], "end": off + ev["end"]}
            gd.facts.append(f)
    return gd


def gold_hash(gold_dir: Path = GOLD_DIR) -> str:
    return _hash(_read_gold_files(gold_dir))


def load_folds(path: Path = FOLDS_FILE, doc_ids: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Leave-one-document-out folds as recorded with the data, joined by every document of
    ``doc_ids`` that no recorded fold tests (:func:`join_folds`); with no file, derived from
    ``doc_ids`` alone."""
    folds = json.loads(Path(path).read_text(encoding="utf-8"))["folds"] if Path(path).exists() else []
    folds = join_folds(folds, doc_ids)
    for fold in folds:
        if set(fold["test"]) & set(fold["train"]):
            raise ValueError(f"fold {fold.get('name')} trains and tests on the same document")
    return folds


def join_folds(folds: list[dict[str, Any]], doc_ids: Iterable[str]) -> list[dict[str, Any]]:
    """A document no fold tests (one annotated after the folds were written) joins them
    deterministically, as leave-one-document-out has it: a fold ``heldout-<doc_id>`` of its own,
    after the recorded ones in doc_id order, training on every other document, and the training
    side of every other fold. Recorded folds keep their names and test documents."""
    tested = {d for f in folds for d in f["test"]}
    new = sorted(set(doc_ids) - tested)
    if not new:
        return folds
    everyone = sorted(set(doc_ids) | tested | {d for f in folds for d in f["train"]})
    out = [{**f, "train": [*f["train"], *(d for d in new if d not in f["train"] and d not in f["test"])]} for f in folds]
    out += [{"name": f"heldout-{d}", "test": [d], "train": [o for o in everyone if o != d]} for d in new]
    return out


def bio_tags(doc: Doc, spans: Iterable[GoldSpan]) -> tuple[list[str], int]:
    """BIO tags for the tokens of ``doc`` (made from the original text) and the number of gold
    spans whose edges do not fall on token edges (those are tagged on the covering tokens)."""
    tags = ["O"] * len(doc)
    norm = doc._.norm
    misaligned = 0
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        a, b = norm.from_original(s.start, s.end)
        if b <= a:
            misaligned += 1
            continue
        span = doc.char_span(a, b, alignment_mode="strict")
        if span is None:
            misaligned += 1
            span = doc.char_span(a, b, alignment_mode="expand")
            if span is None:
                continue
        if any(t != "O" for t in tags[span.start: span.end]):
            continue
        tags[span.start] = f"B-{s.label}"
        for k in range(span.start + 1, span.end):
            tags[k] = f"I-{s.label}"
    return tags, misaligned


def tokenized(nlp: Language, text: str) -> Doc:
    """Tokenizer only (normalisation + segmentation): what the tagger sees."""
    return nlp.make_doc(text)

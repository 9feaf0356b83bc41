"""The annotated corpora the project scores itself on, and how each is read.

- ``sources``: the five documents the rules were first written from (``annotations/gold``,
  ``annotations/sources``). Scores on them are in-sample for the rules; the tagger is scored
  leave-one-document-out.
- ``dev``: the development part of the corpus of other departments (``annotations/dev``). The
  rules and the tagger may be developed while reading it, so after the baseline its scores are
  development scores, not a test.
- ``blind``: the held-out part of the same corpus, split by department. It is scored and never
  read for errors.

``annotations/dev/split.json`` says which document is in which part.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp.ml.dataset import GoldDocument, GoldSpan
from nlp.project import project_root

REPO_ROOT = project_root()
ANNOTATIONS = REPO_ROOT / "annotations"
DEV_ROOT = ANNOTATIONS / "dev"
CORPORA = ("sources", "dev", "blind")


@dataclass(frozen=True)
class RecordRange:
    """Where one gold record lies in its document, and what it is."""

    index: int
    start: int
    end: int
    kind: str  # "prose" | "table"


@dataclass
class CorpusDocument:
    gold: GoldDocument
    records: list[RecordRange]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def doc_id(self) -> str:
        return self.gold.doc_id

    def record_at(self, offset: int) -> RecordRange | None:
        for r in self.records:
            if r.start <= offset < r.end:
                return r
        return None

    def tables(self) -> dict[int, dict[str, Any]]:
        """Table descriptions from the meta, by record index."""
        return {t["record_index"]: t for t in self.meta.get("tables", [])}

    def planted(self) -> dict[int, dict[str, Any]]:
        """Planted inconsistencies from the meta, by record index."""
        return {p["record_index"]: p for p in self.meta.get("planted", [])}


def corpus_dirs(name: str) -> tuple[Path, Path, Path | None]:
    """(gold dir, sources dir, meta dir) of a corpus."""
    if name == "sources":
        return ANNOTATIONS / "gold", ANNOTATIONS / "sources", None
    if name in ("dev", "blind"):
        return DEV_ROOT / "gold", DEV_ROOT / "sources", DEV_ROOT / "meta"
    raise ValueError(f"unknown corpus {name!r}; one of {', '.join(CORPORA)}")


def load_split(root: Path = DEV_ROOT) -> dict[str, str]:
    path = root / "split.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["documents"]


def _read_document(gold_path: Path, sources_dir: Path, meta_dir: Path | None) -> CorpusDocument:
    doc_id = gold_path.stem
    text = (sources_dir / f"{doc_id}.txt").read_text(encoding="utf-8")
    gd = GoldDocument(doc_id, text)
    records = []
    for i, line in enumerate(l for l in gold_path.read_text(encoding="utf-8").splitlines() if l.strip()):
        rec = json.loads(line)
        off = rec["offset"]
        if text[off: off + len(rec["text"])] != rec["text"]:
            raise ValueError(f"{gold_path}: record {rec.get('record_id')} does not match the source at offset {off}")
        records.append(RecordRange(i, off, off + len(rec["text"]), rec.get("kind", "prose")))
        for s in rec.get("spans", []):
            gd.spans.append(GoldSpan(off + s["start"], off + s["end"], s["label"], s.get("value")))
        for f in rec.get("facts", []):
            f = dict(f)
            ev = f["evidence"]
            f["evidence"] = {"start": off + ev["start"], "end": off + ev["end"]}
            gd.facts.append(f)
    meta = {}
    if meta_dir is not None and (meta_dir / f"{doc_id}.json").exists():
        meta = json.loads((meta_dir / f"{doc_id}.json").read_text(encoding="utf-8"))
    return CorpusDocument(gd, records, meta)


def load_corpus(name: str, root: Path | None = None) -> list[CorpusDocument]:
    """The documents of a corpus, sorted by id. ``dev`` and ``blind`` need the split file;
    a dev document missing from it belongs to neither (it cannot be scored until it is split)."""
    gold_dir, sources_dir, meta_dir = corpus_dirs(name)
    if root is not None:  # a corpus tree elsewhere (tests), laid out as annotations/dev is
        gold_dir, sources_dir, meta_dir = root / "gold", root / "sources", root / "meta"
    wanted = None
    if name in ("dev", "blind"):
        split = load_split(root or DEV_ROOT)
        wanted = {d for d, part in split.items() if part == name}
    return [_read_document(p, sources_dir, meta_dir) for p in sorted(gold_dir.glob("*.jsonl"))
            if wanted is None or p.stem in wanted]

"""Gold annotation records: one paragraph or table block of a source document per JSONL line.

The file format is fixed by ``annotations/schema/record.schema.json``::

    annotations/gold/<doc_id>.jsonl   (doc_id = source file stem)

Each record carries its ``text`` (the ORIGINAL source slice at ``offset``), its entity
``spans`` and ``facts`` with offsets RELATIVE to that text. The records of one document
tile it: every source character belongs to exactly one record, so nothing is lost.

This module is the stable interface other tools build on (annotator export/import,
evaluation, training): ``Record``/``GoldSpan``/``GoldFact``, ``read_records``,
``write_records``, ``load_gold``, ``to_document_offsets``, ``segment_source`` and
``records_from_result``.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping, Optional, Sequence, Union

from nlp.contract import Fact
from nlp.project import project_root

__all__ = [
    "Block",
    "DOC_ID_PATTERN",
    "doc_id_problem",
    "GoldFact",
    "GoldSpan",
    "Record",
    "RecordFormatError",
    "SCHEMA_PATH",
    "Kind",
    "load_gold",
    "read_records",
    "record_id",
    "records_from_result",
    "segment_source",
    "to_document_offsets",
    "write_records",
]

REPO_ROOT = project_root()  # the project directory (never the package location)
SCHEMA_PATH = REPO_ROOT / "annotations" / "schema" / "record.schema.json"
SOURCES_DIR = REPO_ROOT / "annotations" / "sources"
GOLD_DIR = REPO_ROOT / "annotations" / "gold"
PRE_DIR = REPO_ROOT / "annotations" / "pre"

# A document id names ``gold/<doc_id>.jsonl`` and ``sources/<doc_id>.txt``: lower-case letters,
# digits, ``_`` and ``-``, starting with a letter or digit, at most 64 characters (no ``.``, so
# never ``.``/``..`` or a hidden file; no upper case, so no two ids differ only in case).
DOC_ID_PATTERN = r"[a-z0-9][a-z0-9_-]{0,63}"
_DOC_ID = re.compile(DOC_ID_PATTERN)

Kind = Literal["prose", "table", "other"]
Status = Literal["pre", "reviewed"]
# The fact fields a gold fact carries: the contract's Fact without ``score``.
FACT_FIELDS: tuple[str, ...] = tuple(f for f in Fact.model_fields if f != "score")


class RecordFormatError(ValueError):
    """A JSONL line that is not a record (bad JSON or missing/unknown keys)."""


@dataclass
class GoldSpan:
    """An entity; ``start``/``end`` are relative to the record's text."""

    start: int
    end: int
    label: str
    text: str
    value: Optional[str] = None
    unit: Optional[str] = None
    direction: Optional[str] = None
    flags: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "GoldSpan":
        return cls(**_take(cls, d))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GoldFact:
    """A contract fact without ``score``; ``evidence`` is relative to the record's text."""

    subject: Optional[str]
    measure: str
    value: str
    unit: str
    evidence: dict[str, int]
    code: Optional[str] = None
    direction: Optional[str] = None
    comparator: Optional[str] = None
    period: Optional[str] = None
    base_period: Optional[str] = None
    basis: Optional[str] = None
    column: Optional[str] = None
    reason: Optional[str] = None
    flags: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "GoldFact":
        return cls(**_take(cls, d))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: d[k] for k in FACT_FIELDS}  # the contract's field order

    @property
    def start(self) -> int:
        return int(self.evidence["start"])

    @property
    def end(self) -> int:
        return int(self.evidence["end"])


@dataclass
class Record:
    doc_id: str
    record_id: str
    offset: int
    text: str
    kind: str = "prose"
    spans: list[GoldSpan] = field(default_factory=list)
    facts: list[GoldFact] = field(default_factory=list)
    status: str = "pre"
    notes: Optional[str] = None

    @property
    def end(self) -> int:
        """Offset just past the record's text in the source."""
        return self.offset + len(self.text)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Record":
        kw = _take(cls, d)
        kw["spans"] = [GoldSpan.from_dict(s) for s in d.get("spans", [])]
        kw["facts"] = [GoldFact.from_dict(f) for f in d.get("facts", [])]
        return cls(**kw)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "doc_id": self.doc_id,
            "record_id": self.record_id,
            "offset": self.offset,
            "text": self.text,
            "kind": self.kind,
            "spans": [s.to_dict() for s in self.spans],
            "facts": [f.to_dict() for f in self.facts],
            "status": self.status,
        }
        if self.notes is not None:
            d["notes"] = self.notes
        return d

    def sort(self) -> None:
        """Spans and facts in text order (stable files, readable diffs)."""
        self.spans.sort(key=lambda s: (s.start, s.end, s.label))
        self.facts.sort(key=lambda f: (f.start, f.end, f.measure, f.subject or "", f.column or ""))


def _take(cls: type, d: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of dataclass ``cls`` from ``d``; unknown or missing keys are errors."""
    if not isinstance(d, Mapping):
        raise RecordFormatError(f"{cls.__name__}: expected an object, got {type(d).__name__}")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(d) - names)
    if unknown:
        raise RecordFormatError(f"{cls.__name__}: unknown keys {unknown}")
    kw = {k: v for k, v in d.items() if k in names and k not in ("spans", "facts")}
    try:
        cls(**kw)  # type: ignore[call-arg]  (missing required keys raise TypeError)
    except TypeError as e:
        raise RecordFormatError(f"{cls.__name__}: {e}") from None
    return kw


def doc_id_problem(doc_id: Any) -> Optional[str]:
    """Why ``doc_id`` cannot name a document (None if it can)."""
    if isinstance(doc_id, bool) or not isinstance(doc_id, str):
        kind = "a number" if isinstance(doc_id, (int, float)) and not isinstance(doc_id, bool) else type(doc_id).__name__
        return f"doc_id must be a string, got {kind} {doc_id!r} (write it in quotes)"
    if not _DOC_ID.fullmatch(doc_id):
        return f"doc_id {doc_id[:80]!r} does not match {DOC_ID_PATTERN} (lower-case letters, digits, _ and -)"
    return None


def record_id(doc_id: str, n: int) -> str:
    return f"{doc_id}#{n:04d}"


def to_document_offsets(record: Record, span: Union[GoldSpan, GoldFact, Mapping[str, int]]) -> tuple[int, int]:
    """Source offsets of a span, a fact's evidence, or a ``{"start", "end"}`` dict of ``record``."""
    if isinstance(span, Mapping):
        start, end = int(span["start"]), int(span["end"])
    else:
        start, end = span.start, span.end
    return record.offset + start, record.offset + end


# --- files ------------------------------------------------------------------------------


def read_records(path: str | os.PathLike) -> list[Record]:
    """Records of one JSONL file (blank lines skipped); raises ``RecordFormatError`` with the line."""
    out: list[Record] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                out.append(Record.from_dict(json.loads(line)))
            except (json.JSONDecodeError, RecordFormatError) as e:
                raise RecordFormatError(f"{path}:{lineno}: {e}") from None
    return out


def write_records(path: str | os.PathLike, records: Iterable[Record | Mapping[str, Any]]) -> None:
    """Write records as JSONL atomically (temp file in the same directory + rename), so a
    reader or a crashed writer never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for r in records:
        d = r.to_dict() if isinstance(r, Record) else dict(r)
        lines.append(json.dumps(d, ensure_ascii=False) + "\n")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.writelines(lines)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600; keep the file's mode (or the umask's default for a new file)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_gold(directory: str | os.PathLike = GOLD_DIR, reviewed_only: bool = False) -> dict[str, list[Record]]:
    """``{doc_id: records}`` for every ``*.jsonl`` in ``directory``, sorted by doc_id.

    ``reviewed_only`` keeps only records a person has read (status ``reviewed``): what training and
    evaluation should use, so that unreviewed system output never counts as gold."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"no annotation directory {directory}")
    docs = {p.stem: read_records(p) for p in sorted(directory.glob("*.jsonl"))}
    if reviewed_only:
        docs = {d: [r for r in rs if r.status == "reviewed"] for d, rs in docs.items()}
    return docs


def load_source(doc_id: str, sources_dir: str | os.PathLike = SOURCES_DIR) -> str:
    """The source text of ``doc_id`` exactly as stored (no newline translation)."""
    with open(Path(sources_dir) / f"{doc_id}.txt", encoding="utf-8", newline="") as fh:
        return fh.read()


# --- segmentation -----------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A ``[start, end)`` stretch of the ORIGINAL source that becomes one record."""

    start: int
    end: int
    kind: str


def _norm_lines(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each line of ``text`` without its ``\\n``."""
    out, pos = [], 0
    while pos <= len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        out.append((pos, end))
        if nl < 0:
            break
        pos = nl + 1
    return out


# A table title or unit line directly above a tab block belongs to the table record.
_TABLE_HEAD_MAX = 60


def _is_table_head(line: str) -> bool:
    s = line.strip()
    if not s or len(s) > _TABLE_HEAD_MAX:
        return False
    return "单位" in s or s.endswith("表") or "表》" in s or (s.startswith("(") and s.endswith(")")) or s.startswith("#")


def segment_source(source: str) -> list[Block]:
    """Split a source into record blocks that tile it.

    Paragraphs are the lines of the NORMALISED text (normalisation joins the PDF line breaks
    inside a sentence, so one normalised line is one paragraph), mapped back to original
    offsets. Consecutive tab-separated lines form one ``table`` block together with the
    short title/unit lines right above them. Whitespace between blocks is attached to the
    preceding block (leading whitespace to the first), so the blocks tile the source.
    """
    from nlp.normalize import normalize  # late: keep `records` importable without the pipeline

    if not source:
        return []
    norm = normalize(source)
    t = norm.text
    lines = [(a, b) for a, b in _norm_lines(t) if t[a:b].strip()]
    groups: list[list[Any]] = []  # [kind, first_line_idx, last_line_idx]
    i = 0
    while i < len(lines):
        a, b = lines[i]
        if "\t" in t[a:b]:
            j = i
            while j + 1 < len(lines) and "\t" in t[lines[j + 1][0]:lines[j + 1][1]]:
                j += 1
            first = i
            # pull in up to three title/unit lines directly above (not already part of a table)
            while (
                first > 0
                and i - first < 3
                and groups
                and groups[-1][0] != "table"
                and groups[-1][1] == groups[-1][2] == first - 1
                and _is_table_head(t[lines[first - 1][0]:lines[first - 1][1]])
            ):
                groups.pop()
                first -= 1
            groups.append(["table", first, j])
            i = j + 1
        else:
            groups.append(["prose", i, i])
            i += 1
    blocks: list[Block] = []
    for kind, fi, li in groups:
        s, _ = norm.to_original(lines[fi][0], lines[fi][1])
        _, e = norm.to_original(lines[li][0], lines[li][1])
        if kind == "prose" and not any(ch.isalnum() for ch in t[lines[fi][0]:lines[fi][1]]):
            kind = "other"
        blocks.append(Block(s, e, kind))
    return _tile(blocks, len(source))


def _tile(blocks: Sequence[Block], n: int) -> list[Block]:
    """Stretch blocks so that they tile ``[0, n)``: gaps go to the preceding block."""
    if not blocks:
        return [Block(0, n, "other")] if n else []
    out: list[Block] = []
    for k, b in enumerate(blocks):
        start = 0 if k == 0 else out[-1].end
        end = blocks[k + 1].start if k + 1 < len(blocks) else n
        if end < start:
            raise ValueError(f"overlapping blocks at {b.start}")
        out.append(Block(start, end, b.kind))
    return out


def _merge_straddled(blocks: list[Block], intervals: Iterable[tuple[int, int]]) -> list[Block]:
    """Merge consecutive blocks that an entity or evidence straddles (never cut a span)."""
    ends = [b.end for b in blocks]
    merge_to: dict[int, int] = {}
    from bisect import bisect_right

    for s, e in intervals:
        if e <= s:
            continue
        i = bisect_right(ends, s)
        j = bisect_right(ends, e - 1)
        if j > i:
            merge_to[i] = max(merge_to.get(i, i), j)
    if not merge_to:
        return blocks
    out: list[Block] = []
    k = 0
    while k < len(blocks):
        last = k
        m = k
        while m <= last:
            last = max(last, merge_to.get(m, m))
            m += 1
        kinds = {b.kind for b in blocks[k:last + 1]}
        kind = "table" if "table" in kinds else ("prose" if "prose" in kinds else "other")
        out.append(Block(blocks[k].start, blocks[last].end, kind))
        k = last + 1
    return out


def records_from_result(
    doc_id: str,
    source_text: str,
    extractor_result: Mapping[str, Any],
    segmentation: Optional[Sequence[Block | tuple[int, int, str]]] = None,
    status: str = "pre",
) -> list[Record]:
    """Records for a whole document from an extractor result (the contract's dict, offsets
    into ``source_text``). ``segmentation`` defaults to :func:`segment_source`; blocks that an
    entity or a fact's evidence straddles are merged, so no annotation is dropped."""
    blocks = [b if isinstance(b, Block) else Block(*b) for b in (segmentation or segment_source(source_text))]
    blocks = _tile(sorted(blocks, key=lambda b: b.start), len(source_text))
    entities = list(extractor_result.get("entities", []))
    facts = list(extractor_result.get("facts", []))
    intervals = [(e["start"], e["end"]) for e in entities] + [
        (f["evidence"]["start"], f["evidence"]["end"]) for f in facts
    ]
    blocks = _merge_straddled(blocks, intervals)
    records = [
        Record(doc_id, record_id(doc_id, n), b.start, source_text[b.start:b.end], b.kind, status=status)
        for n, b in enumerate(blocks)
    ]
    ends = [r.end for r in records]
    from bisect import bisect_right

    def owner(pos: int) -> Record:
        return records[min(bisect_right(ends, pos), len(records) - 1)]

    for e in entities:
        r = owner(e["start"])
        s, t = e["start"] - r.offset, e["end"] - r.offset
        r.spans.append(
            GoldSpan(
                s, t, e["label"], r.text[s:t], e.get("value"), e.get("unit"), e.get("direction"),
                list(e.get("flags") or []),
            )
        )
    for f in facts:
        ev = f["evidence"]
        r = owner(ev["start"])
        d = {k: f.get(k) for k in FACT_FIELDS if k != "evidence"}
        d["flags"] = list(f.get("flags") or [])
        d["evidence"] = {"start": ev["start"] - r.offset, "end": ev["end"] - r.offset}
        r.facts.append(GoldFact.from_dict(d))
    for r in records:
        r.sort()
    return records


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

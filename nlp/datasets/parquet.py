"""The fact store as Parquet: one schema for the SQLite export and for the distributed build.

Columns are the store's (``rows.COLUMNS``); ``value`` stays a decimal string, as in the contract,
so no figure passes through a float. Files are partitioned by ``doc_year`` (hive style,
``doc_year=2022/part-….parquet``) because a year is what analysts slice by first; rows inside a
file are in the store's key order, so two exports of the same store are the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

from nlp.datasets.rows import COLUMNS, row_key

_INTEGERS = ("fact_index", "page", "evidence_start", "evidence_end")
PARTITION = "doc_year"
NO_YEAR = "unknown"  # a document whose year the text does not state


def schema():
    import pyarrow as pa

    return pa.schema([(c, pa.int64() if c in _INTEGERS else pa.string()) for c in COLUMNS])


def table(rows: Sequence[tuple]):
    """A pyarrow table of fact rows (tuples in ``COLUMNS`` order)."""
    import pyarrow as pa

    sc = schema()
    cols = list(zip(*rows)) if rows else [() for _ in COLUMNS]
    return pa.table({c: pa.array(list(v), type=sc.field(c).type) for c, v in zip(COLUMNS, cols)}, schema=sc)


def write_rows(rows: Iterable[tuple], out_dir: Path, part: str) -> list[Path]:
    """Write rows under ``out_dir/doc_year=Y/part-<part>.parquet``, one file per year present."""
    import pyarrow.parquet as pq

    by_year: dict[str, list[tuple]] = {}
    year_at = COLUMNS.index(PARTITION)
    for r in rows:
        by_year.setdefault(r[year_at] or NO_YEAR, []).append(r)
    written = []
    for year in sorted(by_year):
        d = Path(out_dir) / f"{PARTITION}={year}"
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"part-{part}.parquet"
        tmp = path.with_suffix(".parquet.tmp")
        pq.write_table(table(sorted(by_year[year], key=row_key)), tmp)
        tmp.replace(path)  # a reader never sees half a file
        written.append(path)
    return written


def export(db: Path, out_dir: Path) -> list[Path]:
    """Every fact of the SQLite store as a partitioned Parquet dataset."""
    from nlp.datasets.store import content

    return write_rows(content(db), out_dir, "0")


def read(out_dir: Path) -> list[tuple]:
    """Every row of a Parquet fact dataset in the store's key order (for comparisons)."""
    import pyarrow.parquet as pq

    rows: list[tuple] = []
    for path in sorted(Path(out_dir).rglob("*.parquet")):
        t = pq.ParquetFile(path).read()  # the file's own columns, not the directory's partition key
        rows += list(zip(*(t.column(c).to_pylist() for c in COLUMNS)))
    return sorted(rows, key=row_key)

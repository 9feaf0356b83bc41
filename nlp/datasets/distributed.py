"""The fact store's build as a Dask job, for corpora that one process should not read alone.

``rows(paths, client)`` returns every fact row in the store's key order, computed as a bag over
retag output files, so it compares directly with ``store.content``. ``build_parquet`` is the
same build with nothing gathered on the client but document ids: a first pass lists each
file's documents, the client decides which file's copy of a document is kept (the last one, as
a SQLite build replaces a document's rows), and a second pass has every worker write its
files' kept rows as Parquet parts (``nlp.datasets.parquet``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable


def _file_rows(path: str) -> list[tuple[str, list[tuple]]]:
    from nlp.datasets.rows import read_results, result_rows

    return [(result["doc_id"], result_rows(result)) for result in read_results(Path(path))]


def _file_doc_ids(path: str) -> list[str]:
    from nlp.datasets.rows import read_results

    return [result["doc_id"] for result in read_results(Path(path))]


def _write_kept(item: tuple[int, str, list[str]], out_dir: str) -> int:
    from nlp.datasets.parquet import write_rows

    index, path, kept = item
    keep = set(kept)
    rows = [r for doc_id, doc_rows in _file_rows(path) if doc_id in keep for r in doc_rows]
    write_rows(rows, Path(out_dir), f"{index:06d}")
    return len(rows)


def _compute(bag, client):
    return bag.compute() if client is None else client.compute(bag).result()


def rows(paths: Iterable[Path], client=None) -> list[tuple]:
    import dask.bag as db

    from nlp.datasets.rows import retag_files, row_key

    files = [str(p) for p in retag_files(paths)]
    bag = db.from_sequence(files, npartitions=max(1, len(files))).map(_file_rows)
    latest: dict[str, list[tuple]] = {}
    for documents in _compute(bag, client):  # files in the store's order; a later document replaces an earlier one
        for doc_id, doc_rows in documents:
            latest[doc_id] = doc_rows
    return sorted((r for rs in latest.values() for r in rs), key=row_key)


def build_parquet(paths: Iterable[Path], out_dir: Path, client=None) -> dict[str, int]:
    """Write the store's rows as a partitioned Parquet dataset under ``out_dir``; counts back."""
    import dask.bag as db

    from nlp.datasets.rows import retag_files

    files = [str(p) for p in retag_files(paths)]
    n = max(1, len(files))
    ids = _compute(db.from_sequence(files, npartitions=n).map(_file_doc_ids), client)
    owner: dict[str, int] = {}
    for i, doc_ids in enumerate(ids):
        for doc_id in doc_ids:
            owner[doc_id] = i  # the last file holding a document wins
    items = [(i, f, sorted({d for d in ids[i] if owner[d] == i})) for i, f in enumerate(files)]
    written = _compute(db.from_sequence(items, npartitions=n).map(_write_kept, str(out_dir)), client)
    return {"documents": len(owner), "facts": sum(written)}

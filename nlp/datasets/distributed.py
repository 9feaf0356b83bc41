"""The same rows as the SQLite build, computed as a Dask bag over retag output files, for
corpora that one process should not read alone. ``rows(paths, client)`` returns every fact row
in the store's key order, so it compares directly with ``store.content``."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable


def _file_rows(path: str) -> list[tuple[str, list[tuple]]]:
    from nlp.datasets.rows import read_results, result_rows

    return [(result["doc_id"], result_rows(result)) for result in read_results(Path(path))]


def rows(paths: Iterable[Path], client=None) -> list[tuple]:
    import dask.bag as db

    from nlp.datasets.rows import retag_files

    files = [str(p) for p in retag_files(paths)]
    bag = db.from_sequence(files, npartitions=max(1, len(files))).map(_file_rows)
    per_file = bag.compute() if client is None else client.compute(bag).result()
    latest: dict[str, list[tuple]] = {}
    for documents in per_file:  # files in the store's order; a later document replaces an earlier one
        for doc_id, doc_rows in documents:
            latest[doc_id] = doc_rows
    return sorted((r for rs in latest.values() for r in rs), key=lambda r: (r[0], r[7]))

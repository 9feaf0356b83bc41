"""The text the segmentation resources are built from: the annotated sources, normalised."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from nlp.project import package_data, project_root

from nlp.normalize import normalize

REPO_ROOT = project_root()
SOURCES_DIR = REPO_ROOT / "annotations" / "sources"
DATA_DIR = package_data("data")

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
# A table cell that names something: ideographs, optionally with brackets, 、 or a middle dot.
_NAME_CELL = re.compile(rf"[{_HAN}][{_HAN}()、·]{{1,29}}")
_CODE_CELL = re.compile(r"\d{2,7}")
# Sentence ends for the training lines; line breaks also end a line.
_SENTENCE = re.compile(r"[^。!?;\n]*+[。!?;]?")


def source_paths() -> list[Path]:
    return sorted(SOURCES_DIR.glob("*.txt"))


def normalized_sources() -> dict[str, str]:
    """doc_id → normalised text of each source document."""
    return {p.stem: normalize(p.read_text(encoding="utf-8")).text for p in source_paths()}


def table_subjects(text: str) -> Iterator[str]:
    """Names in table rows (``2101501<TAB>行政运行<TAB>179.93…``): the cell after a code cell,
    or after an empty first cell (``<TAB>合计<TAB>…``)."""
    for line in text.splitlines():
        if "\t" not in line:
            continue
        cells = [c.strip() for c in line.split("\t")]
        for first, second in zip(cells, cells[1:]):
            if (first == "" or _CODE_CELL.fullmatch(first)) and _NAME_CELL.fullmatch(second):
                yield second


def sentences(text: str) -> Iterator[str]:
    """Sentences and table rows of a normalised text, stripped, non-empty."""
    for m in _SENTENCE.finditer(text):
        s = m.group().strip()
        if s:
            yield s

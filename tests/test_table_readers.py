"""The table readers on their example corpora (nlp/tables/readers/examples/<form>.jsonl):
each example is a text, the form it must be read as and the cells of its rows; ``rows: null``
is a negative example (no table of any form). Offsets are exact: every cell's text is the
text between its offsets. Plus the space-aligned reader's linearity."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from nlp.tables.readers import find_blocks

EXAMPLES = Path(__file__).resolve().parent.parent / "nlp" / "tables" / "readers" / "examples"


def _examples():
    for path in sorted(EXAMPLES.glob("*.jsonl")):
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                e = json.loads(line)
                yield pytest.param(e, id=f"{path.stem}-{i}-{e['name'][:40]}")


@pytest.mark.parametrize("example", list(_examples()))
def test_reader_example(example):
    text = example["text"]
    blocks = find_blocks(text)
    if example["rows"] is None:
        assert blocks == [], [(b.form, [[c.text for c in r.cells] for r in b.rows]) for b in blocks]
        return
    assert len(blocks) == 1, [(b.form, [[c.text for c in r.cells] for r in b.rows]) for b in blocks]
    block = blocks[0]
    assert block.form == example["form"]
    got = [[c.text for c in r.cells] for r in block.rows]
    assert got == example["rows"]
    for r in block.rows:
        assert [c.col for c in r.cells] == list(range(len(r.cells)))
        for c in r.cells:
            assert text[c.start:c.end] == c.text or (example["form"] == "html" and not c.text)
            assert r.start <= c.start <= c.end <= r.end


def test_every_form_has_examples():
    forms = {p.stem for p in EXAMPLES.glob("*.jsonl")}
    assert forms == {"tab", "space", "pipe", "csv", "html", "lines"}


def _space_table(rows: int) -> str:
    line = "{code:<7}   {name:<20}   {a:>12}   {b:>12}\n"
    out = [line.format(code="科目编码", name="科目名称", a="合计", b="基本支出")]
    for i in range(rows):
        out.append(line.format(code=str(2010101 + i % 90), name="行政 运行", a=f"{i % 9999:,}.00", b="" if i % 3 else "1.00"))
    return "".join(out)


def test_space_reader_is_linear():
    """Twice the rows cost about twice the time (not four times)."""
    small, large = _space_table(5000), _space_table(20000)
    t0 = time.perf_counter()
    a = find_blocks(small)
    t1 = time.perf_counter()
    b = find_blocks(large)
    t2 = time.perf_counter()
    assert len(a[0].rows) == 5001 and len(b[0].rows) == 20001
    assert (t2 - t1) < 10 * max(t1 - t0, 1e-3)

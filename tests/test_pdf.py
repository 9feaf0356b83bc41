"""PDFs in (issue 15): the generated PDFs of ``tests/data/pdf`` (``make_pdfs.py``) give the facts
of their text forms, with pages and boxes; bad PDFs are refused with their code; a PDF bomb is
cut off by the reader's bounds; the command line and retag read PDFs by their header."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nlp.contract import Result
from nlp.sources.pdf import PdfError, PdfLimits, attach_provenance, read_pdf, read_pdf_isolated

DATA = Path(__file__).resolve().parent / "data" / "pdf"
GOOD = sorted(DATA.glob("*.pdf"))
BAD = DATA / "bad"
PROVENANCE = {"evidence", "page"}

def fact_keys(result: dict[str, Any]) -> Counter:
    return Counter(json.dumps({k: v for k, v in f.items() if k not in PROVENANCE}, ensure_ascii=False, sort_keys=True)
                   for f in result["facts"])


@pytest.fixture(scope="module")
def pdf_results(extractor) -> dict[str, tuple[dict, dict]]:
    """name → (result of the text form, result of the PDF with its provenance)."""
    out = {}
    for path in GOOD:
        pdf = read_pdf(path.read_bytes())
        text = path.with_suffix(".txt").read_text(encoding="utf-8")
        out[path.stem] = (extractor.extract(text), attach_provenance(extractor.extract(pdf.text), pdf))
    return out


def test_the_generated_set_is_there_and_small():
    names = {p.stem for p in GOOD}
    assert {n.split("-")[0] for n in names} == {"ruled", "unruled", "pages", "prose"}
    assert any("-source-" in n for n in names) and any("-dev-" in n for n in names)
    for p in GOOD:
        assert p.stat().st_size < 8 * 1024 and p.with_suffix(".txt").exists()


@pytest.mark.parametrize("name", [p.stem for p in GOOD])
def test_facts_of_a_pdf_are_those_of_its_text_form(pdf_results, name):
    text_result, pdf_result = pdf_results[name]
    assert text_result["facts"], name
    assert fact_keys(pdf_result) == fact_keys(text_result)


def test_every_entity_and_fact_of_a_pdf_has_its_page_and_box(pdf_results):
    for name, (_, r) in pdf_results.items():
        Result.model_validate(r)
        text, pages = r["text"], r["pages"]
        assert pages and pages[0]["start"] == 0 and pages[-1]["end"] == len(text)
        for e in r["entities"]:
            assert text[e["start"]:e["end"]] == e["text"], (name, e)
            page = pages[e["page"] - 1]
            assert page["start"] <= e["start"] < page["end"], (name, e)
            x0, top, x1, bottom = e["bbox"]
            assert 0 <= x0 < x1 <= page["width"] and 0 <= top < bottom <= page["height"], (name, e)
        for f in r["facts"]:
            page = pages[f["page"] - 1]
            assert page["start"] <= f["evidence"]["start"] < page["end"], (name, f)


def test_a_table_continued_on_page_two_has_facts_on_both_pages(pdf_results):
    _, r = pdf_results["pages-dev-t02-3"]
    assert [p["number"] for p in r["pages"]] == [1, 2]
    on = Counter(f["page"] for f in r["facts"])
    assert on[1] >= 4 and on[2] >= 7, on
    text = r["text"]
    for f in r["facts"]:  # the page numbers (— 1 —) are no figures
        start = f["evidence"]["start"]
        line = text[text.rfind("\n", 0, start) + 1:text.find("\n", start)]
        assert "—" not in line, line


def test_a_text_result_has_no_provenance_fields(extractor):
    r = extractor.extract("本部门 2021 年度收入总计 428.59万元。")
    assert "text" not in r and "pages" not in r
    dumped = Result.model_validate(r).model_dump()
    assert {"text", "pages"}.isdisjoint(dumped) and all({"page", "bbox"}.isdisjoint(e) for e in dumped["entities"])
    assert all("page" not in f for f in dumped["facts"])


def test_the_layout_text_aligns_columns_and_keeps_sentences():
    pdf = read_pdf((DATA / "unruled-dev-t05-2.pdf").read_bytes())
    lines = pdf.text.splitlines()
    assert "" not in lines  # no blank line between the rows of a table
    row = next(x for x in lines if "事业单位离退休" in x)
    assert row.split() == ["208", "05", "02", "事业单位离退休", "659.41", "90.05", "569.36"]
    prose = read_pdf((DATA / "prose-source-000.pdf").read_bytes()).text
    assert prose.splitlines()[0] == "本部门 2021 年度收入总计 428.59万元，其中年初结转和结"


# --- refusals and bounds ----------------------------------------------------------------------

EXPECTED = {"not-a-pdf": "not_pdf", "truncated": "damaged", "encrypted": "encrypted", "scanned": "no_text",
            "many-pages": "too_many_pages"}


@pytest.mark.parametrize("name,code", EXPECTED.items())
def test_bad_pdfs_are_refused_with_their_code(name, code):
    with pytest.raises(PdfError) as err:
        read_pdf_isolated((BAD / f"{name}.pdf").read_bytes(), PdfLimits(max_pages=20))
    assert err.value.code == code and str(err.value)


def test_a_pdf_bomb_is_cut_off_by_memory_and_by_time():
    from tests.data.pdf.make_pdfs import bomb_pdf

    bomb = bomb_pdf(400)  # 400 KB that inflate to 400 MB
    assert len(bomb) < 500 * 1024
    for limits in (PdfLimits(max_memory_mb=256, timeout_s=20), PdfLimits(max_memory_mb=8192, timeout_s=1)):
        with pytest.raises(PdfError) as err:
            read_pdf_isolated(bomb, limits)
        assert err.value.code == "too_expensive", limits


# --- HTTP (TestClient; the real server in tests/test_reliability_service.py) -----------------


@pytest.fixture(scope="module")
def client(extractor):
    from service.app import create_app
    from service.settings import Settings

    with TestClient(create_app(Settings(extract_mode="thread", pdf_max_pages=20), extractor=extractor)) as c:
        yield c


def test_extract_takes_a_raw_pdf_and_a_multipart_upload(client, pdf_results):
    data = (DATA / "ruled-source-001.pdf").read_bytes()
    raw = client.post("/extract?doc_id=d1", content=data, headers={"content-type": "application/pdf"})
    assert raw.status_code == 200, raw.text[:300]
    _, expected = pdf_results["ruled-source-001"]
    assert raw.json()["doc_id"] == "d1" and raw.json()["facts"] == expected["facts"]
    assert raw.json()["text"] == expected["text"] and raw.json()["entities"] == expected["entities"]
    form = client.post("/extract", files={"file": ("x.bin", data, "application/octet-stream")}, data={"doc_id": "d2"})
    assert form.status_code == 200 and form.json()["doc_id"] == "d2" and form.json()["facts"] == expected["facts"]
    text = client.post("/extract", files={"file": ("x.txt", "收入总计428.59万元".encode(), "text/plain")})
    assert text.status_code == 200 and "pages" not in text.json() and text.json()["facts"]


@pytest.mark.parametrize("name,code", EXPECTED.items())
def test_bad_pdfs_are_a_4xx_with_their_code(client, name, code):
    r = client.post("/extract", content=(BAD / f"{name}.pdf").read_bytes(), headers={"content-type": "application/pdf"})
    assert r.status_code == (415 if code == "not_pdf" else 422) and r.json()["error"]["code"] == code
    if code == "no_text":
        assert "text layer" in r.json()["error"]["message"]


def test_bad_multipart_is_a_400_or_422(client):
    r = client.post("/extract", content=b"garbage", headers={"content-type": "multipart/form-data; boundary=x"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_multipart"
    r = client.post("/extract", files={"other": ("a", b"x")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    r = client.post("/extract", files={"file": ("a", b"\xff\xfe\x00x")})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_encoding"


# --- command line and retag -------------------------------------------------------------------


def test_cli_extract_reads_a_pdf_by_its_header(tmp_path, capsys, pdf_results):
    from service.cli import main

    disguised = tmp_path / "report.txt"  # a PDF whatever its name
    disguised.write_bytes((DATA / "prose-source-000.pdf").read_bytes())
    code = main(["extract", str(disguised), str(BAD / "encrypted.pdf"), "--format", "jsonl"])
    out, err = capsys.readouterr()
    assert code == 1 and "encrypted.pdf" in err and "(encrypted)" in err
    (result,) = [json.loads(x) for x in out.splitlines()]
    assert result["doc_id"] == "report.txt" and result["facts"] == pdf_results["prose-source-000"][1]["facts"]


def test_retag_finds_pdfs_in_a_folder_and_reads_them(tmp_path, extractor, pdf_results):
    from nlp.batch import workers
    from nlp.batch.inputs import discover, load_chunk, plan

    folder = tmp_path / "pdfs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.pdf").write_bytes((DATA / "unruled-dev-t05-2.pdf").read_bytes())
    (folder / "sub" / "no-suffix").write_bytes((DATA / "ruled-dev-t11-3.pdf").read_bytes())
    (folder / "sub" / "locked.pdf").write_bytes((BAD / "encrypted.pdf").read_bytes())
    (folder / "notes.md").write_text("not an input", encoding="utf-8")
    inputs = discover([str(folder)])
    assert [(i.key, i.kind, i.output) for i in inputs] == [
        ("pdfs/a.pdf", "pdf", "pdfs/a.jsonl"), ("pdfs/sub/locked.pdf", "pdf", "pdfs/sub/locked.jsonl"),
        ("pdfs/sub/no-suffix", "pdf", "pdfs/sub/no-suffix.jsonl")]
    p = plan(inputs)
    spec = workers.ExtractorSpec(factory="tests.test_pdf:unused")
    workers._EXTRACTORS[spec] = extractor
    try:
        lines = workers.process_chunk(spec, 0, load_chunk(p, p.chunks[0]))["lines"]
    finally:
        del workers._EXTRACTORS[spec]
    by_id = {}
    for line in lines:
        head, _, body = line.partition("\t")
        by_id[json.loads(head)["doc_id"]] = json.loads(body) if body else json.loads(head)
    assert by_id["pdfs/sub/locked.pdf"]["error"]["code"] == "encrypted"
    assert by_id["pdfs/a.pdf"]["facts"] == pdf_results["unruled-dev-t05-2"][1]["facts"]
    assert by_id["pdfs/sub/no-suffix"]["facts"] == pdf_results["ruled-dev-t11-3"][1]["facts"]
    assert all(f["page"] == 1 for f in by_id["pdfs/a.pdf"]["facts"])

"""A document the project has never seen (issue 19): ``annotate new`` (text or PDF), its doc_id,
its stored source, its pre-annotation; and, in a fresh project, the loop from there to a
retrained model: export, the annotator's answers, import, validate, train, evaluate, with the
new document in the folds and in the model card."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nlp.annotation.interchange import labelstudio as ls
from nlp.annotation.interchange.common import CHECK_FLAGS
from nlp.annotation.new_document import NewDocumentError, NewSource, claim_doc_id, derive_doc_id
from nlp.annotation.records import doc_id_problem
from nlp.ml.dataset import join_folds, load_folds

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "fiscal-extract")
NEW_DOC = ROOT / "annotations" / "dev" / "sources" / "p03-hn-gonganju.txt"  # a dev-split department
OLD_DOC = "004_bd253d31d99d6327"
OLD_RECORDS = 24  # the first records of an annotated source: a small, valid gold document


def _cli(project: Path, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FISCAL_")}
    return subprocess.run([CLI, *map(str, args)], cwd=project, env=env, capture_output=True, text=True, timeout=600)


# --- doc ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name, want", [
    ("p03-hn-gonganju.txt", "p03-hn-gonganju"),  # already a doc id: kept
    ("000_151e3cc1a638edf9.pdf", "000_151e3cc1a638edf9"),
])
def test_a_valid_file_name_is_the_doc_id(name, want):
    assert derive_doc_id(name) == want


@pytest.mark.parametrize("name", ["湖南红旗分局2024年预算.pdf", "Report 2023 (final).TXT", "预算.txt", "..txt",
                                  "-x.txt", "a" * 200 + ".txt", "ＡＢＣ２０２４.txt", "a.b.c.txt"])
def test_any_file_name_gives_a_valid_doc_id(name):
    doc_id = derive_doc_id(name)
    assert doc_id_problem(doc_id) is None, doc_id
    assert derive_doc_id(name) == doc_id  # deterministic


def test_names_that_differ_only_in_chinese_get_different_ids():
    a, b = derive_doc_id("2024年财政局预算.pdf"), derive_doc_id("2024年教育局预算.pdf")
    assert a != b and a.startswith("2024-") and b.startswith("2024-")
    assert derive_doc_id("财政局.txt").startswith("doc-")
    assert derive_doc_id("ＡＢＣ２０２４.txt").startswith("abc2024-")  # full-width folded (NFKC)


def test_an_id_is_refused_when_it_names_another_text(tmp_path):
    (tmp_path / "dept-a.txt").write_text("一段文字", encoding="utf-8")
    src = NewSource("另一段文字", "dept-a.txt", "0" * 64, "text")
    with pytest.raises(NewDocumentError, match="already names another source"):
        claim_doc_id(src, None, tmp_path)
    assert claim_doc_id(NewSource("一段文字", "dept-a.txt", "0" * 64, "text"), None, tmp_path) == "dept-a"
    with pytest.raises(NewDocumentError, match="does not match"):
        claim_doc_id(src, "Dept A", tmp_path)


# --- folds ------------------------------------------------------------------------------------


def test_a_new_document_joins_the_recorded_folds():
    recorded = load_folds(ROOT / "annotations" / "folds.json")
    ids = sorted({d for f in recorded for d in f["test"]})
    joined = join_folds(recorded, [*ids, "zz-new", "aa-new"])
    assert joined[:len(recorded)] != recorded  # the new documents train every recorded fold...
    assert [(f["name"], f["test"]) for f in joined[:len(recorded)]] == [(f["name"], f["test"]) for f in recorded]
    for f in joined[:len(recorded)]:
        assert f["train"][-2:] == ["aa-new", "zz-new"]
    new = joined[len(recorded):]  # ...and each is held out in a fold of its own, in doc_id order
    assert [(f["name"], f["test"]) for f in new] == [("heldout-aa-new", ["aa-new"]), ("heldout-zz-new", ["zz-new"])]
    assert new[0]["train"] == sorted([*ids, "zz-new"])
    assert join_folds(recorded, ids) == recorded  # nothing new: the folds as recorded
    assert join_folds(recorded, [*ids, "zz-new", "aa-new"]) == joined


# --- reading a new document -------------------------------------------------------------------


def test_gb18030_text_is_read_and_stored_as_utf8(tmp_path):
    from service.cli.annotate_new import read_source

    f = tmp_path / "gbk.txt"
    f.write_bytes(NEW_DOC.read_text(encoding="utf-8").encode("gb18030"))
    src = read_source(f, None)
    assert src.encoding == "gb18030" and src.text == NEW_DOC.read_text(encoding="utf-8")


def _can_make_pdfs() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("reportlab", "pdfplumber"))


def _make_pdf(path: Path, text: str) -> None:
    """A PDF of ``text`` (reportlab's built-in Chinese CID font, so no font file is needed)."""
    from reportlab.pdfgen import canvas
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 10)
    y = 800
    for line in text.splitlines():
        for k in range(0, max(len(line), 1), 50):
            c.drawString(30, y, line[k:k + 50])
            y -= 14
            if y < 40:
                c.showPage()
                c.setFont("STSong-Light", 10)
                y = 800
    c.save()


# --- the loop in a fresh project --------------------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A fresh project: one small annotated document (the first records of a gold file, and the
    source up to their end) and the recorded folds, which know nothing of the new document."""
    p = tmp_path_factory.mktemp("project")
    (p / "annotations" / "sources").mkdir(parents=True)
    (p / "annotations" / "gold").mkdir()
    lines = (ROOT / "annotations" / "gold" / f"{OLD_DOC}.jsonl").read_text(encoding="utf-8").splitlines()[:OLD_RECORDS]
    last = json.loads(lines[-1])
    with open(ROOT / "annotations" / "sources" / f"{OLD_DOC}.txt", encoding="utf-8", newline="") as fh:
        source = fh.read()[:last["offset"] + len(last["text"])]
    with open(p / "annotations" / "sources" / f"{OLD_DOC}.txt", "w", encoding="utf-8", newline="") as fh:
        fh.write(source)
    (p / "annotations" / "gold" / f"{OLD_DOC}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (p / "annotations" / "folds.json").write_bytes((ROOT / "annotations" / "folds.json").read_bytes())
    return p


@pytest.mark.slow
def test_a_new_document_from_pre_annotation_to_a_retrained_model(project):
    # a PDF where reportlab (to make it) and pdfplumber (to read it) are installed, else the
    # same text as a GB18030 file: the loop after `annotate new` is the same
    if _can_make_pdfs():
        pdf = project / "湖南红旗分局2024年预算.pdf"
        _make_pdf(pdf, NEW_DOC.read_text(encoding="utf-8"))
        read_as = "pdf, 1 pages"
    else:
        pdf = project / "湖南红旗分局2024年预算.txt"
        pdf.write_bytes(NEW_DOC.read_text(encoding="utf-8").encode("gb18030"))
        read_as = "text, gb18030"
    doc_id = derive_doc_id(pdf.name)

    r = _cli(project, "annotate", "new", pdf.name, "--doc-id", "Bad Id")
    assert r.returncode == 2 and "does not match" in r.stderr and not list((project / "annotations").glob("pre"))
    r = _cli(project, "annotate", "new", pdf.name)
    assert r.returncode == 0, r.stderr
    assert f"doc_id {doc_id}: source annotations/sources/{doc_id}.txt" in r.stdout and read_as in r.stdout
    origin = json.loads((project / "annotations" / "sources" / f"{doc_id}.origin.json").read_text(encoding="utf-8"))
    assert origin["kind"] == read_as.split(",")[0] and origin["file"] == pdf.name
    assert origin["pages"][:1] == ([{"number": 1, "start": 0, "end": origin["characters"]}] if origin["kind"] == "pdf" else [])
    source = (project / "annotations" / "sources" / f"{doc_id}.txt").read_text(encoding="utf-8")
    assert "2197.35万元" in source
    pre = [json.loads(line) for line in (project / "annotations" / "pre" / f"{doc_id}.jsonl").read_text().splitlines()]
    assert "".join(r["text"] for r in pre) == source  # the records tile the stored source
    assert sum(len(r["facts"]) for r in pre) > 10

    r = _cli(project, "annotate", "export", f"annotations/pre/{doc_id}.jsonl", "-f", "labelstudio", "-o", "tasks.json")
    assert r.returncode == 0, r.stderr
    tasks = json.loads((project / "tasks.json").read_text(encoding="utf-8"))
    # exporting the stored source pre-annotates it again, onto the same records: the same predictions
    r = _cli(project, "annotate", "export", f"annotations/sources/{doc_id}.txt", "-f", "labelstudio", "-o", "again.json")
    assert r.returncode == 0, r.stderr
    again = json.loads((project / "again.json").read_text(encoding="utf-8"))
    unscored = lambda ts: [[{k: v for k, v in x.items() if k != "score"} for x in t["predictions"][0]["result"]]  # noqa: E731
                           for t in ts]  # the record file keeps no scores
    assert unscored(again) == unscored(tasks)
    # the annotator accepts every prediction, and removes the first fact (its measure choice)
    removed = None
    for t in tasks:
        result = t["predictions"][0]["result"]
        for item in result:
            assert not set(CHECK_FLAGS) & set(item.get("value", {}).get("choices", []))  # hints only
        if removed is None:
            m = next((x for x in result if x.get("from_name") == "measure"), None)
            if m is not None:
                removed = (t["data"]["record_id"], m["value"]["start"], m["value"]["end"])
                fact_controls = {*ls.FACT_CHOICES, *ls.FACT_TEXTS}  # the span's own value/unit stay
                result = [x for x in result if not (x.get("id") == m["id"] and x.get("from_name") in fact_controls)
                          and not (x.get("type") == "relation" and m["id"] in (x["from_id"], x["to_id"]))]
        t["annotations"] = [{"result": result, "was_cancelled": False}]
    (project / "reviewed.json").write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    r = _cli(project, "annotate", "import", "reviewed.json")
    assert r.returncode == 0, r.stderr
    assert f"{len(pre)} added" in r.stderr
    gold = [json.loads(line) for line in (project / "annotations" / "gold" / f"{doc_id}.jsonl").read_text().splitlines()]
    assert all(g["status"] == "reviewed" for g in gold) and [g["spans"] for g in gold] == [p["spans"] for p in pre]
    lost = [(p["record_id"], f["evidence"]["start"], f["evidence"]["end"])
            for p, g in zip(pre, gold) for f in p["facts"] if f["evidence"] not in [x["evidence"] for x in g["facts"]]]
    assert lost == [removed]

    r = _cli(project, "annotate", "validate")
    assert r.returncode == 0 and "2 file(s) checked, 0 problem(s)" in r.stdout + r.stderr, r.stdout + r.stderr

    r = _cli(project, "train")
    assert r.returncode == 0, r.stderr
    card = json.loads((project / "models" / "fiscal-zh" / "model_card.json").read_text(encoding="utf-8"))
    assert card["documents"] == sorted([OLD_DOC, doc_id])
    assert f"`{doc_id}`" in (project / "models" / "fiscal-zh" / "MODEL_CARD.md").read_text(encoding="utf-8")
    held = [f for f in card["folds"] if f["test"] == [doc_id]]
    assert [f["name"] for f in held] == [f"heldout-{doc_id}"] and OLD_DOC in held[0]["train"]
    assert any(doc_id in f["train"] for f in card["folds"] if f["test"] == [OLD_DOC])

    r = _cli(project, "evaluate", "--systems", "rules")  # the model systems: train above scored them per fold
    assert r.returncode == 0, r.stderr
    report = json.loads((project / "reports" / "evaluation.json").read_text(encoding="utf-8"))
    assert [f["test"] for f in report["folds"]] == [[OLD_DOC], [doc_id]]
    assert report["facts"]["rules"]["overall"]["support"] > 0

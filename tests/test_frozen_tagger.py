"""The frozen tagger (numpy arrays) against the scikit-learn pipeline it was frozen from."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.extractor import DEFAULT_MODEL_DIR, Extractor
from nlp.ml.decode import start_mask, transition_mask, viterbi, viterbi_masked
from nlp.ml.features import doc_features
from nlp.ml.frozen import FrozenTagger
from nlp.model_store import ModelIntegrityError, load_skops, sha256_file, write_manifest

ROOT = Path(__file__).resolve().parent.parent
TAGGER_DIR = DEFAULT_MODEL_DIR / "fiscal_tagger"
TAGS = ["B-AMOUNT", "B-SUBJECT", "I-AMOUNT", "I-SUBJECT", "O"]


@pytest.fixture(scope="module")
def fitted():
    return load_skops(TAGGER_DIR / "model.skops")


@pytest.fixture(scope="module")
def pipeline():
    return Extractor.load().nlp


def tagger_input(nlp, text: str):
    """The doc as the tagger sees it: tokenized, then every component before it."""
    doc = nlp.make_doc(text)
    for name, proc in nlp.pipeline:
        if name == "fiscal_tagger":
            return doc
        doc = proc(doc)
    raise AssertionError("no fiscal_tagger in the pipeline")


def gold_record_texts() -> list[str]:
    """Every record of the gold (annotations/gold) and of the dev corpus's dev split."""
    texts = []
    for path in sorted((ROOT / "annotations" / "gold").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    split = json.loads((ROOT / "annotations" / "dev" / "split.json").read_text(encoding="utf-8"))["documents"]
    for doc_id, part in sorted(split.items()):
        if part == "dev":
            path = ROOT / "annotations" / "dev" / "gold" / f"{doc_id}.jsonl"
            texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts


def test_shipped_frozen_tagger_was_frozen_from_the_shipped_skops_file(pipeline):
    meta = json.loads((TAGGER_DIR / "frozen.json").read_text(encoding="utf-8"))
    assert meta["source_sha256"] == sha256_file(TAGGER_DIR / "model.skops")
    card = json.loads((DEFAULT_MODEL_DIR / "model_card.json").read_text(encoding="utf-8"))
    assert card["frozen"]["source_sha256"] == meta["source_sha256"] and card["frozen"]["version"] == meta["version"]
    assert isinstance(pipeline.get_pipe("fiscal_tagger").model, FrozenTagger)  # loaded without scikit-learn


def test_frozen_probabilities_and_spans_equal_the_pipelines_on_every_gold_record(fitted, pipeline):
    frozen = pipeline.get_pipe("fiscal_tagger").frozen
    texts = gold_record_texts()
    assert len(texts) > 600
    worst = 0.0
    for text in texts:
        doc = tagger_input(pipeline, text)
        expected = fitted.predict_proba_tokens(doc_features(doc))
        got = frozen.predict_proba_doc(doc)
        assert got.shape == expected.shape
        worst = max(worst, float(np.abs(got - expected).max()) if len(doc) else 0.0)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
        want = [(s.start, s.end, s.label) for s in fitted.predict_spans([doc_features(doc)])[0]]
        assert [(s.start, s.end, s.label) for s in frozen.predict_doc(doc)] == want, text[:80]
    assert worst <= 1e-12


def test_frozen_feature_rows_are_the_vectorizers(fitted, pipeline):
    """Exactly the features DictVectorizer keeps for each token, in its order."""
    from nlp.ml.feature_ids import doc_feature_ids

    vectorizer = fitted.pipeline_.named_steps["features"]
    frozen = pipeline.get_pipe("fiscal_tagger").frozen
    for text in sorted((ROOT / "annotations" / "sources").glob("*.txt"))[:2]:
        doc = tagger_input(pipeline, text.read_text(encoding="utf-8"))
        x = vectorizer.transform(doc_features(doc))
        indices, indptr = doc_feature_ids(doc, frozen.vocab)
        assert np.array_equal(indptr, x.indptr) and np.array_equal(indices, x.indices)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 25).flatmap(lambda n: st.lists(st.lists(st.sampled_from([0.05, 0.1, 0.2, 0.3, 0.5, 1.0]), min_size=5, max_size=5),
                                                       min_size=n, max_size=n)))
def test_masked_viterbi_gives_the_reference_path_ties_included(rows):
    log_probs = np.log(np.array(rows))  # few distinct values: ties are common
    assert viterbi_masked(log_probs, transition_mask(TAGS), start_mask(TAGS)) == viterbi(log_probs, TAGS)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 12).flatmap(lambda n: st.lists(st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=5, max_size=5),
                                                       min_size=n, max_size=n)))
def test_masked_viterbi_with_impossible_tags_gives_the_reference_path(rows):
    with np.errstate(divide="ignore"):
        log_probs = np.log(np.array(rows))  # -inf entries: columns of -inf only, argmax's row 0
    assert viterbi_masked(log_probs, transition_mask(TAGS), start_mask(TAGS)) == viterbi(log_probs, TAGS)


def test_a_skops_file_the_arrays_were_not_frozen_from_is_loaded_instead(tmp_path, fitted):
    """Stale frozen arrays are never used: the directory's skops file is the model."""
    d = tmp_path / "m"
    shutil.copytree(DEFAULT_MODEL_DIR, d)
    meta_path = d / "fiscal_tagger" / "frozen.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["source_sha256"] = "0" * 64
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    write_manifest(d, {"name": "fiscal-zh"})
    tagger = Extractor.load(d).nlp.get_pipe("fiscal_tagger")
    assert type(tagger.model).__name__ == "SequenceTagger" and tagger.frozen.source_sha256 == sha256_file(d / "fiscal_tagger" / "model.skops")


def test_a_broken_frozen_file_is_a_clear_error(tmp_path):
    d = tmp_path / "m"
    shutil.copytree(DEFAULT_MODEL_DIR, d)
    (d / "fiscal_tagger" / "frozen.json").write_text('{"format": "fiscal-frozen-tagger", "version": 99}', encoding="utf-8")
    write_manifest(d, {"name": "fiscal-zh"})
    with pytest.raises(ModelIntegrityError, match="frozen.json: not a frozen tagger .*version 99"):
        Extractor.load(d)


def test_saving_a_loaded_model_gives_the_same_files(tmp_path):
    ex = Extractor.load()
    ex.nlp.to_disk(tmp_path / "again", exclude=["vocab"])
    for name in ("model.skops", "frozen.json", "weights.npy", "intercept.npy", "transitions.npy", "calibration.json"):
        assert sha256_file(tmp_path / "again" / "fiscal_tagger" / name) == sha256_file(TAGGER_DIR / name), name


def test_extraction_imports_nothing_heavy():
    """Extractor.load() and extract(), and the service's extraction path, import no scikit-learn,
    skops, dask, matplotlib or annotation tooling."""
    code = (
        "import sys\n"
        "from nlp import Extractor\n"
        "ex = Extractor.load()\n"
        "ex.extract('2024年一般公共预算收入1,234.56万元，比上年增长5.2%。')\n"
        "import service.deps\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'skops', 'dask', 'distributed', 'matplotlib', 'scipy', 'label_studio', 'pandas'})\n"
        "heavy += sorted(m for m in sys.modules if m.startswith('nlp.annotation') or m == 'nlp.ml.tagger' or m.startswith('nlp.batch'))\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "", f"imported on the extraction path: {out.stdout.strip()}"

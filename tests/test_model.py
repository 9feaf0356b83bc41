"""The statistical tagger: deterministic training, safe loading, BIO decoding."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.extractor import DEFAULT_MODEL_DIR, Extractor
from nlp.ml.dataset import load_gold_documents
from nlp.ml.tagger import viterbi
from nlp.ml.train import fit_tagger, make_extractor
from nlp.model_store import ModelIntegrityError, canonical_skops, sha256_file, write_manifest

TAGS = ["B-AMOUNT", "B-SUBJECT", "I-AMOUNT", "I-SUBJECT", "O"]


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 30).flatmap(lambda n: st.lists(st.lists(st.floats(0.001, 1.0), min_size=5, max_size=5), min_size=n, max_size=n)))
def test_viterbi_respects_bio_constraints(rows):
    probs = np.array(rows)
    path = [TAGS[i] for i in viterbi(np.log(probs / probs.sum(axis=1, keepdims=True)), TAGS)]
    assert not path[0].startswith("I-")
    for prev, cur in zip(path, path[1:]):
        if cur.startswith("I-"):
            assert prev in (f"B-{cur[2:]}", cur)


@pytest.fixture(scope="module")
def small_gold():
    docs = load_gold_documents()
    assert len(docs) == 5, "the gold annotations of the five sources are part of the repository"
    # The two smallest documents keep the test quick.
    return sorted(docs, key=lambda d: len(d.text))[:2]


def _save(tagger, out: Path) -> Path:
    ex = make_extractor("combined", tagger)
    ex.nlp.to_disk(out, exclude=["vocab"])
    write_manifest(out, {"name": "test"})
    return out


def _digests(d: Path) -> dict[str, str]:
    return {p.relative_to(d).as_posix(): sha256_file(p) for p in sorted(d.rglob("*")) if p.is_file()}


def test_training_twice_gives_byte_identical_model_files(small_gold, tmp_path):
    a = _save(fit_tagger(small_gold)[0], tmp_path / "a")
    b = _save(fit_tagger(small_gold)[0], tmp_path / "b")
    assert _digests(a) == _digests(b)
    assert (a / "fiscal_tagger" / "model.skops").exists()


def test_a_trained_model_tags_subjects_in_a_document_it_did_not_see(small_gold, tmp_path):
    tagger, _ = fit_tagger(small_gold)
    unseen = [d for d in load_gold_documents() if d.doc_id not in {g.doc_id for g in small_gold}][0]
    result = make_extractor("model", tagger).extract(unseen.text)
    gold = {(s.start, s.end) for s in unseen.spans if s.label == "SUBJECT"}
    found = {(e["start"], e["end"]) for e in result["entities"] if e["label"] == "SUBJECT"}
    assert found & gold, "the model finds at least some gold subjects of an unseen document"


def test_tampered_model_file_fails_with_a_clear_error(small_gold, tmp_path):
    d = _save(fit_tagger(small_gold)[0], tmp_path / "m")
    Extractor.load(d)  # intact: loads
    f = d / "fiscal_tagger" / "model.skops"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="model.skops: sha256 does not match"):
        Extractor.load(d)


class Booby:
    """A type no model of ours contains; constructing it would leave a mark."""

    marker: Path | None = None

    def __setstate__(self, state):
        Path(state["marker"]).write_text("code ran")


def test_untrusted_type_is_refused_before_any_code_runs(small_gold, tmp_path):
    d = _save(fit_tagger(small_gold)[0], tmp_path / "m")
    marker = tmp_path / "ran.txt"
    evil = Booby()
    evil.marker = str(marker)
    (d / "fiscal_tagger" / "model.skops").write_bytes(canonical_skops(evil))
    write_manifest(d, {"name": "attacker re-signed the manifest"})
    with pytest.raises(ModelIntegrityError, match="untrusted types"):
        Extractor.load(d)
    assert not marker.exists()


def test_model_directory_without_manifest_is_refused(tmp_path):
    (tmp_path / "config.cfg").write_text("[nlp]\n")
    with pytest.raises(ModelIntegrityError, match="no manifest.json"):
        Extractor.load(tmp_path)


def test_shipped_model_verifies_and_loads():
    assert (DEFAULT_MODEL_DIR / "manifest.json").exists()
    ex = Extractor.load()
    assert ex.model_info["name"] == "fiscal-zh"
    assert ex.nlp.get_pipe("fiscal_tagger").model is not None
    card = json.loads((DEFAULT_MODEL_DIR / "model_card.json").read_text(encoding="utf-8"))
    assert card["training_data_sha256"] == hashlib.sha256(
        b"".join(p.name.encode() + p.read_bytes() for p in sorted((DEFAULT_MODEL_DIR.parents[1] / "annotations" / "gold").glob("*.jsonl")))
    ).hexdigest()


def test_shipped_model_keeps_each_entitys_provenance():
    """spaCy keys span attributes by offsets alone: a model span at the same offsets as a rule
    span must not overwrite the rule's source, score or value (it did once)."""
    ex = Extractor.load()
    labels = set(ex.nlp.get_pipe("fiscal_entities").model_labels)
    doc = sorted(load_gold_documents(), key=lambda d: len(d.text))[0]
    entities = ex.extract(doc.text)["entities"]
    assert {e["source"] for e in entities} == {"rule", "model"}
    for e in entities:
        if e["source"] == "model":
            assert e["label"] in labels and e["value"] is None, e
        if e["label"] in ("AMOUNT", "PERCENT"):
            assert e["source"] == "rule" and e["value"] is not None, e

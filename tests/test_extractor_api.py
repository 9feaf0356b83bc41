"""The Python API answers the contract's shape, with offsets into the original text."""

from __future__ import annotations

from nlp.contract import Result


def test_extract_returns_contract_result_with_exact_offsets(extractor, sources):
    text = sources["000_151e3cc1a638edf9"]
    result = extractor.extract(text, doc_id="000")
    Result.model_validate(result)
    assert result["doc_id"] == "000"
    for ent in result["entities"]:
        assert text[ent["start"]:ent["end"]] == ent["text"]


def test_pipe_streams_one_result_per_text_in_order(extractor, sources):
    items = [(t, k) for k, t in sources.items()]
    results = list(extractor.pipe(items))
    assert [r["doc_id"] for r in results] == [k for _, k in items]

"""The HTTP service through FastAPI's TestClient: happy paths on the real sources, and the
bad-input matrix — every bad request is a 4xx in the one error shape, never a 500."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nlp.contract import LABELS, Result
from service.app import create_app
from service.deps import ExtractionRunner
from service.errors import ApiError
from service.settings import Settings

MB = 1024 * 1024
LIMITS = Settings(max_body_bytes=4 * MB, max_batch_documents=50, request_timeout_seconds=120, extract_mode="thread",
                  pdf_max_pages=20)  # tests/data/pdf/bad/many-pages.pdf has 25
SENTENCE = "本部门 2021 年度收入总计 428.59万元，较 2020 年增加 25.66 万元，增长 6.37 %。"


@pytest.fixture(scope="module")
def client(extractor):
    # raise_server_exceptions (the default): any 500 fails the test with its traceback.
    with TestClient(create_app(LIMITS, extractor=extractor)) as c:
        yield c


def assert_error(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text[:500]
    body = r.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert err["message"] and err["request_id"] == r.headers["x-request-id"]
    if code:
        assert err["code"] == code
    return err


def assert_offsets(text: str, result: dict) -> None:
    Result.model_validate(result)
    for e in result["entities"]:
        assert text[e["start"]:e["end"]] == e["text"], e
    for f in result["facts"]:
        assert 0 <= f["evidence"]["start"] <= f["evidence"]["end"] <= len(text)


# --- happy paths ------------------------------------------------------------------------------


def test_extract_real_sources_same_as_python_api(client, sources, extractor):
    for doc_id, text in sources.items():
        r = client.post("/extract", json={"text": text, "doc_id": doc_id})
        assert r.status_code == 200, r.text[:300]
        result = r.json()
        assert result["doc_id"] == doc_id
        assert_offsets(text, result)
        assert result == extractor.extract(text, doc_id)


def test_extract_sentence_entities_in_place(client):
    result = client.post("/extract", json={"text": SENTENCE}).json()
    assert_offsets(SENTENCE, result)
    amounts = {e["text"]: e["value"] for e in result["entities"] if e["label"] == "AMOUNT"}
    assert amounts.get("428.59万元") == "4285900"


def test_text_plain_utf8_and_doc_id_query(client, sources):
    doc_id, text = next(iter(sources.items()))
    r = client.post(f"/extract?doc_id={doc_id}", content=text.encode(), headers={"content-type": "text/plain"})
    assert r.status_code == 200
    assert r.json()["doc_id"] == doc_id
    assert_offsets(text, r.json())


def test_text_plain_gb18030_honours_charset(client, sources):
    text = sources["000_151e3cc1a638edf9"]
    body = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")  # the charset really matters for this body
    r = client.post("/extract", content=body, headers={"content-type": "text/plain; charset=GB18030"})
    assert r.status_code == 200
    assert_offsets(text, r.json())
    assert r.json()["entities"] == client.post("/extract", json={"text": text}).json()["entities"]


def test_json_with_declared_charset_and_bom(client):
    body = json.dumps({"text": SENTENCE}, ensure_ascii=False).encode("utf-16")
    r = client.post("/extract", content=body, headers={"content-type": "application/json; charset=utf-16"})
    assert r.status_code == 200
    assert_offsets(SENTENCE, r.json())
    r = client.post("/extract", content=b"\xef\xbb\xbf" + json.dumps({"text": SENTENCE}).encode(),
                    headers={"content-type": "application/json"})
    assert r.status_code == 200


def test_batch_in_order(client, sources):
    docs = [{"text": t, "doc_id": d} for d, t in sources.items()]
    r = client.post("/extract/batch", json={"documents": docs})
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["doc_id"] for x in results] == list(sources)
    for doc, result in zip(docs, results):
        assert_offsets(doc["text"], result)


def test_meta_endpoints(client):
    assert client.get("/health").json()["status"] == "ok"
    v = client.get("/version").json()
    assert v["model"]["name"] and v["model"]["version"] and "evaluation" in v
    assert client.get("/labels").json()["entities"] == list(LABELS)
    client.post("/extract", json={"text": SENTENCE})
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert 'fiscal_http_requests_total{method="POST",route="/extract",status="200"}' in metrics.text


def test_request_id_in_and_out(client):
    r = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = client.get("/nope", headers={"X-Request-ID": "bad id\r\nInjected: 1"})
    err = assert_error(r, 404, "not_found")
    assert err["request_id"] != "bad id\r\nInjected: 1" and len(err["request_id"]) == 32
    assert client.get("/health").headers["x-request-id"] != client.get("/health").headers["x-request-id"]


def test_docs_served_offline(client):
    page = client.get("/docs").text
    assert "cdn" not in page.lower() and "http" not in page.replace("http-equiv", "")
    for asset in ("/static/docs/swagger-ui-bundle.js", "/static/docs/swagger-ui.css"):
        assert asset in page
        assert client.get(asset).status_code == 200
    assert client.get("/openapi.json").json()["paths"]["/extract"]["post"]["requestBody"]["content"].keys() == {
        "application/json", "text/plain", "application/pdf", "multipart/form-data"}


# --- /visualize -------------------------------------------------------------------------------


def test_visualize_form_and_result(client, sources):
    page = client.get("/visualize")
    assert page.status_code == 200 and "<textarea" in page.text and "https://" not in page.text
    text = sources["000_151e3cc1a638edf9"]
    r = client.post("/visualize", data={"text": text, "doc_id": "000"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    result = client.post("/extract", json={"text": text}).json()
    assert r.text.count('<mark class="entity"') == len(result["entities"])
    assert r.text.count("<tr") >= len(result["facts"])
    assert "https://" not in r.text and "//cdn" not in r.text


def test_visualize_escapes_markup(client):
    r = client.post("/visualize", data={"text": "<script>alert(1)</script> 收入总计 100 万元", "doc_id": "<b>x</b>"})
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "&lt;script&gt;" in r.text and "<b>x</b>" not in r.text


def test_visualize_bad_input(client):
    assert_error(client.post("/visualize", data={"text": "   "}), 422)
    assert_error(client.post("/visualize", content=b"\x00\x01", headers={"content-type": "image/png"}), 415)


# --- the bad-input matrix ---------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "  \n\t　 \u3000"])
def test_empty_or_whitespace_text(client, text):
    assert_error(client.post("/extract", json={"text": text}), 422, "invalid_request")


def test_empty_text_plain_body(client):
    assert_error(client.post("/extract", content=b"", headers={"content-type": "text/plain"}), 422)


@pytest.mark.parametrize("value", [5, 1.5, None, True, ["x"], {"t": "x"}])
def test_text_of_wrong_type(client, value):
    err = assert_error(client.post("/extract", json={"text": value}), 422, "invalid_request")
    assert err["details"][0]["loc"] == ["text"]


def test_missing_text_and_unknown_field(client):
    assert_error(client.post("/extract", json={"doc_id": "x"}), 422)
    assert_error(client.post("/extract", json={"text": "x 1 万元", "txet": "y"}), 422)
    assert_error(client.post("/extract", json=["x"]), 422)


def test_ten_megabytes_refused_by_declared_length(client):
    body = ("收入" * (5 * MB // 2)).encode()  # ≈ 15 MB of UTF-8
    assert len(body) > 10 * MB
    assert_error(client.post("/extract", content=body, headers={"content-type": "text/plain"}), 413, "payload_too_large")
    big_json = json.dumps({"text": "a" * (10 * MB)})
    assert_error(client.post("/extract", content=big_json, headers={"content-type": "application/json"}), 413)
    assert_error(client.post("/extract/batch", content=big_json, headers={"content-type": "application/json"}), 413)
    assert_error(client.post("/nope", content=big_json), 413)


def test_ten_megabytes_refused_while_streaming(client):
    def chunks():  # chunked transfer: no Content-Length to refuse by
        for _ in range(10 * 16):
            yield b"a" * 65536

    assert_error(client.post("/extract", content=chunks(), headers={"content-type": "text/plain"}), 413)


def test_body_reader_stops_at_the_limit():
    from starlette.requests import Request

    from service.deps import read_body

    received = []

    async def receive():  # an endless chunked body: the reader must stop by itself
        received.append(1)
        return {"type": "http.request", "body": b"a" * 65536, "more_body": True}

    request = Request({"type": "http", "method": "POST", "headers": [(b"content-type", b"text/plain")]}, receive)
    with pytest.raises(ApiError) as e:
        asyncio.run(read_body(request, Settings(max_body_bytes=MB)))
    assert e.value.status == 413
    assert len(received) == MB // 65536 + 1


def test_invalid_json(client):
    for body in (b"{bad", b'{"text": "x"', b"", b"nul", b'{"text": "\\ud800"'):
        assert_error(client.post("/extract", content=body, headers={"content-type": "application/json"}), 400, "invalid_json")


def test_lone_surrogate_rejected(client):
    r = client.post("/extract", content=b'{"text": "\\ud800 100 \xe4\xb8\x87\xe5\x85\x83"}', headers={"content-type": "application/json"})
    assert_error(r, 422)


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", "text/plain; charset=utf-8"])
def test_invalid_utf8(client, content_type):
    body = b'{"text": "\xff\xfe\xfd"}' if "json" in content_type else "收入".encode() + b"\xff\xfe 100"
    assert_error(client.post("/extract", content=body, headers={"content-type": content_type}), 400, "invalid_encoding")


@pytest.mark.parametrize("content_type", [None, "application/xml", "application/octet-stream", "image/png", "garbage"])
def test_wrong_content_type(client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    assert_error(client.post("/extract", content=b'{"text": "x"}', headers=headers), 415, "unsupported_media_type")


def test_unknown_or_non_text_charset(client):
    for charset in ("klingon-8", "base64", "rot13"):
        r = client.post("/extract", content=b"abc", headers={"content-type": f"text/plain; charset={charset}"})
        assert_error(r, 415, "unsupported_charset")


def test_ten_thousand_documents_in_one_batch(client):
    docs = [{"text": f"收入 {i} 万元"} for i in range(10_000)]
    err = assert_error(client.post("/extract/batch", json={"documents": docs}), 413, "too_many_documents")
    assert "10000" in err["message"]


def test_batch_bad_items(client):
    assert_error(client.post("/extract/batch", json={"documents": []}), 422)
    err = assert_error(client.post("/extract/batch", json={"documents": [{"text": "x 1 万元"}, {"text": None}]}), 422)
    assert err["details"][0]["loc"] == ["documents", "1", "text"]
    assert_error(client.post("/extract/batch", content=b"x", headers={"content-type": "text/plain"}), 415)


def test_one_megabyte_line_without_punctuation(client):
    text = ("收入总计" + "4285900" + "支出") * (MB // 25)  # 25 bytes of UTF-8 each: 1 MB, no punctuation, one line
    assert len(text.encode()) > MB - 25 and "\n" not in text
    r = client.post("/extract", content=text.encode(), headers={"content-type": "text/plain"})
    assert r.status_code == 200, r.text[:300]
    assert_offsets(text, r.json())


def test_text_longer_than_the_model_accepts(client, extractor):
    limit = extractor.nlp.max_length
    text = "a" * (limit + 1)
    if len(text.encode()) > LIMITS.max_body_bytes:
        pytest.skip("the body limit already refuses what the model cannot take")
    err = assert_error(client.post("/extract", content=text.encode(), headers={"content-type": "text/plain"}), 413, "text_too_long")
    assert str(limit) in err["message"]
    assert_error(client.post("/extract/batch", json={"documents": [{"text": text}]}), 413, "text_too_long")


@pytest.mark.parametrize("depth", [100_000, 2_000])
def test_deeply_nested_json(client, depth):
    body = '{"text": "x 1 万元", "extra": ' + "[" * depth + "]" * depth + "}"
    r = client.post("/extract", content=body, headers={"content-type": "application/json"})
    assert r.status_code in (400, 422)
    assert_error(r, r.status_code)
    top = "[" * depth + "]" * depth
    assert client.post("/extract", content=top, headers={"content-type": "application/json"}).status_code in (400, 422)


def test_unknown_route_and_method_keep_the_error_shape(client):
    assert_error(client.get("/extractt"), 404, "not_found")
    assert_error(client.get("/extract"), 405, "method_not_allowed")
    assert_error(client.delete("/health"), 405)


def test_time_budget_gives_504(extractor, sources):
    tight = Settings(request_timeout_seconds=0.001, extract_mode="thread")
    with TestClient(create_app(tight, extractor=extractor)) as c:
        r = c.post("/extract", json={"text": sources["002_100750d5db1f2fce"] * 3})
        assert_error(r, 504, "timeout")
        assert c.get("/health").status_code == 200


def test_runner_refuses_beyond_pending_limit():
    runner = ExtractionRunner("thread", workers=1, max_pending=1, timeout=5, extractor=object())
    release = threading.Event()

    async def scenario():
        first = asyncio.ensure_future(runner.run(release.wait, 5))
        await asyncio.sleep(0.05)
        with pytest.raises(ApiError) as refused:
            await runner.run(lambda: None)
        assert refused.value.status == 503
        release.set()
        assert await first is True

    try:
        asyncio.run(scenario())
        assert runner.pending == 0
    finally:
        runner.shutdown()


def test_a_bug_is_a_500_in_the_same_shape_with_the_request_id(extractor):
    from fastapi import APIRouter

    app = create_app(LIMITS, extractor=extractor)
    broken = APIRouter()

    @broken.get("/broken")
    async def boom():
        raise RuntimeError("a bug")

    app.include_router(broken)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/broken", headers={"X-Request-ID": "bug-1"})
    err = assert_error(r, 500, "internal_error")
    assert err["request_id"] == "bug-1" and "a bug" not in r.text


def test_version_summarises_the_model_card(tmp_path):
    from service.deps import load_evaluation

    scores = {"precision": 0.9, "recall": 0.8, "f1": 0.85, "support": 10}
    card = {"name": "fiscal-zh", "evaluation": {"entities": {"rules": {"AMOUNT": scores, "overall": scores}},
                                                "facts": {"combined": {"overall": scores}}}}
    (tmp_path / "model_card.json").write_text(json.dumps(card), encoding="utf-8")
    summary, source = load_evaluation(tmp_path, tmp_path / "no-reports")
    assert summary == {"entities": {"rules": scores}, "facts": {"combined": scores}}
    assert source.endswith("model_card.json")
    assert load_evaluation(tmp_path / "none", tmp_path / "none") == (None, None)


# --- the hostile-input matrix over every route -------------------------------------------------

BAD_PDFS = Path(__file__).resolve().parent / "data" / "pdf" / "bad"


def _multipart_file(data: bytes, name: str = "file") -> bytes:
    return (b'--x\r\nContent-Disposition: form-data; name="%s"; filename="a.pdf"\r\n'
            b"Content-Type: application/pdf\r\n\r\n%s\r\n--x--\r\n" % (name.encode(), data))


_DEEP = 50_000
HOSTILE_BODIES: list[tuple[str, bytes, str]] = [
    ("empty", b"", "application/json"),
    ("null", b"null", "application/json"),
    ("array", b"[]", "application/json"),
    ("object", b"{}", "application/json"),
    ("string", b'"x"', "application/json"),
    ("truncated", b'{"text": "x', "application/json"),
    ("huge-int", b'{"text": "x", "doc_id": 1' + b"0" * 5000 + b"}", "application/json"),
    ("huge-float", b'{"text": 1e999999}', "application/json"),
    ("nan", b'{"text": NaN, "tasks": NaN}', "application/json"),
    ("deep-array", b"[" * _DEEP + b"]" * _DEEP, "application/json"),
    ("deep-in-object", b'{"tasks": [{"data": ' + b"[" * _DEEP + b"]" * _DEEP + b"}]}", "application/json"),
    ("surrogate", b'{"text": "\\ud800", "tasks": [{"data": {"text": "\\udc00"}}], "schema": "\\ud800", "action": "\\ud800"}',
     "application/json"),
    ("surrogate-key", b'{"\\ud800": 1}', "application/json"),
    ("invalid-utf8", b'{"text": "\xff\xfe"}', "application/json"),
    ("utf16-declared", '{"text": "收入 1 万元"}'.encode("utf-16"), "application/json; charset=utf-16"),
    ("nul", b'{"text": "\\u0000 1 \xe4\xb8\x87\xe5\x85\x83", "doc_id": "\\u0000"}', "application/json"),
    ("wrong-types", b'{"text": ["a"], "documents": "x", "tasks": {"a": 1}, "action": 5, "annotations": 3, "schema": 1}',
     "application/json"),
    ("numeric-doc-id", b'{"text": "x 1 \xe4\xb8\x87\xe5\x85\x83", "doc_id": 123, "documents": [{"text": "x", "doc_id": 1}]}',
     "application/json"),
    ("tasks-bad", b'{"tasks": [null, 1, "x", {"data": null}, {"data": {"a": 1, "b": 2}}]}', "application/json"),
    ("xml-bomb", b'{"schema": "<!DOCTYPE l [<!ENTITY a \\"aaaa\\">]><View>&a;</View>"}', "application/json"),
    ("xml-broken", b'{"schema": "<View><Labels"}', "application/json"),
    ("webhook-bad-annotation", b'{"action": "ANNOTATION_CREATED", "task": {"id": 1, "data": {"text": "x"}}, '
     b'"annotation": {"result": [{"value": {"start": -5, "end": 99, "labels": ["NOPE"]}}]}}', "application/json"),
    ("train-bad-annotations", b'{"annotations": [{"id": "../..", "data": {"text": "x"}, "annotations": [{"result": "x"}]}]}',
     "application/json"),
    ("text-plain", "收入 1 万元".encode(), "text/plain"),
    ("text-plain-unicode-escape", b"\\ud800 abc", "text/plain; charset=unicode-escape"),
    ("text-plain-utf7", b"+2AA-", "text/plain; charset=utf-7"),
    ("text-plain-bad-charset", b"abc", "text/plain; charset=rot13"),
    ("form", b"text=%ED%A0%80&doc_id=%ff", "application/x-www-form-urlencoded"),
    ("form-many-fields", b"&".join(b"f%d=1" % i for i in range(5000)), "application/x-www-form-urlencoded"),
    ("multipart", b"--x\r\nContent-Disposition: form-data; name=text\r\n\r\nabc\r\n--x--\r\n", "multipart/form-data; boundary=x"),
    ("no-content-type", b'{"text": "x"}', ""),
    # PDFs (tests/data/pdf/make_pdfs.py): each refused with its code, never a 5xx
    *((f"pdf-{p.stem}", p.read_bytes(), "application/pdf") for p in sorted(BAD_PDFS.glob("*.pdf"))),
    ("pdf-multipart-encrypted", _multipart_file((BAD_PDFS / "encrypted.pdf").read_bytes()), "multipart/form-data; boundary=x"),
    ("pdf-multipart-no-file", _multipart_file(b"", name="other"), "multipart/form-data; boundary=x"),
    ("pdf-multipart-no-boundary", _multipart_file(b"%PDF-1.4"), "multipart/form-data"),
]


def _routes(app) -> list[tuple[str, str]]:
    """Every (method, path) the app serves: its OpenAPI paths (routers are included lazily, so
    ``app.routes`` does not list them), plus the pages and probes left out of the schema."""
    out = [(method.upper(), path) for path, ops in app.openapi()["paths"].items() for method in ops]
    return sorted(set(out) | {("HEAD", "/health"), ("GET", "/docs"), ("GET", "/redoc"), ("GET", "/openapi.json")})


def test_every_route_is_in_the_matrix(client):
    routes = _routes(client.app)
    paths = {p for _, p in routes}
    assert {"/extract", "/extract/batch", "/visualize", "/health", "/version", "/labels", "/metrics",
            "/label-studio/predict", "/label-studio/setup", "/label-studio/webhook", "/label-studio/train",
            "/label-studio/health", "/label-studio/jobs"} <= paths


@pytest.mark.parametrize("name,body,content_type", HOSTILE_BODIES, ids=[b[0] for b in HOSTILE_BODIES])
def test_hostile_input_on_every_route_is_never_a_5xx(client, monkeypatch, tmp_path, name, body, content_type):
    """Every route and method of the app (the Label Studio backend's included, with a valid token
    and a temporary gold) answers each hostile body with a non-5xx in the one error shape."""
    from service.routers import label_studio as backend

    monkeypatch.setenv(backend.TOKEN_ENV, "matrix-token")
    monkeypatch.setenv("FISCAL_GOLD_DIR", str(tmp_path / "gold"))
    client.app.dependency_overrides[backend.get_retrain_queue] = lambda: backend.RetrainQueue(runner=lambda job: 0)
    client.app.dependency_overrides[backend.get_gold_dir] = lambda: tmp_path / "gold"
    headers = {"authorization": "Bearer matrix-token", **({"content-type": content_type} if content_type else {})}
    try:
        for method, path in _routes(client.app):
            for query in ("", "?doc_id=%ED%A0%80", "?doc_id=" + "x" * 300):
                r = client.request(method, path + query, content=body if method in ("POST", "PUT", "PATCH") else None,
                                   headers=headers)
                assert r.status_code < 500, (method, path, query, name, r.status_code, r.text[:300])
                if r.status_code >= 400 and method != "HEAD":
                    assert set(r.json()) == {"error"} and r.json()["error"]["request_id"], (method, path, name)
    finally:
        client.app.dependency_overrides.clear()

"""The real server: ``fiscal-extract serve`` under uvicorn on a free loopback port, in a
subprocess (process-mode extraction, as deployed), spoken to with httpx over a socket."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from bench.load import running_server

MB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log_path = tmp_path_factory.mktemp("serve") / "server.log"
    with running_server(env={"FISCAL_REQUEST_TIMEOUT_SECONDS": "120"}, log_path=log_path) as (base, proc):
        yield base, proc, log_path
    assert proc.returncode is not None  # stopped within the bounded shutdown


def test_extract_over_a_socket(server, sources):
    base, _, _ = server
    with httpx.Client(base_url=base, timeout=60) as client:
        for doc_id, text in sources.items():
            r = client.post("/extract", json={"text": text, "doc_id": doc_id})
            assert r.status_code == 200
            for e in r.json()["entities"]:
                assert text[e["start"]:e["end"]] == e["text"]
        r = client.post("/extract", content=text.encode("gb18030"), headers={"content-type": "text/plain; charset=gb18030"})
        assert r.status_code == 200 and r.json()["entities"] == client.post("/extract", json={"text": text}).json()["entities"]


def test_ten_megabytes_refused_over_a_socket(server):
    base, _, _ = server
    r = httpx.post(base + "/extract", content=b"a" * (10 * MB), headers={"content-type": "text/plain"}, timeout=30)
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"


def test_chunked_ten_megabytes_stops_early(server):
    """No Content-Length: the server answers 413 once the limit is crossed, without waiting for the rest."""
    base, _, _ = server
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(b"POST /extract HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"a" * 65536
        sent, reply = 0, b""
        s.settimeout(0.01)
        while sent < 10 * MB:
            try:
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:  # the server may close after answering
                break
            sent += len(chunk)
            try:
                reply += s.recv(65536)
            except (TimeoutError, socket.timeout):
                pass
            if reply:
                break
        s.settimeout(10)
        while b"\r\n\r\n" not in reply:
            data = s.recv(65536)
            if not data:
                break
            reply += data
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert sent < 10 * MB


def test_health_answers_while_a_large_document_is_extracted(server):
    base, _, _ = server
    text = ("收入总计" + "4285900" + "支出") * (MB // 25)
    done = {}

    def big():
        done["r"] = httpx.post(base + "/extract", content=text.encode(), headers={"content-type": "text/plain"}, timeout=120)

    t = threading.Thread(target=big)
    t.start()
    time.sleep(0.5)
    answered = 0
    with httpx.Client(base_url=base, timeout=30) as client:
        while t.is_alive() and answered < 20:
            assert client.get("/health").status_code == 200
            answered += 1
    t.join(120)
    assert done["r"].status_code == 200
    assert answered >= 1  # /health answered while the extraction was still running


def test_request_ids_in_the_log(server):
    base, _, log_path = server
    r = httpx.get(base + "/nope", headers={"X-Request-ID": "live-test-4242"}, timeout=10)
    assert r.status_code == 404 and r.headers["x-request-id"] == "live-test-4242"
    assert r.json()["error"]["request_id"] == "live-test-4242"
    time.sleep(0.2)
    assert "[live-test-4242]" in log_path.read_text(errors="replace")


def test_pages_and_metrics(server):
    base, _, _ = server
    with httpx.Client(base_url=base, timeout=30) as client:
        assert "<textarea" in client.get("/visualize").text
        assert client.get("/docs").status_code == 200 and client.get("/redoc").status_code == 200
        assert client.get("/static/docs/swagger-ui-bundle.js").status_code == 200
        assert "fiscal_http_requests_total" in client.get("/metrics").text
        assert client.get("/version").json()["model"]["name"]


def test_a_dead_extraction_process_is_replaced(server):
    import psutil

    base, proc, _ = server
    workers = [p for p in psutil.Process(proc.pid).children(recursive=True) if "spawn_main" in " ".join(p.cmdline())]
    assert workers, "no extraction process found"
    for p in workers:
        p.kill()
    psutil.wait_procs(workers, timeout=10)
    statuses = []
    with httpx.Client(base_url=base, timeout=120) as client:
        for _ in range(3):
            r = client.post("/extract", json={"text": "本部门 2021 年度收入总计 428.59万元"})
            statuses.append(r.status_code)
            if r.status_code == 200:
                break
            assert r.status_code == 503 and r.json()["error"]["code"] == "worker_restarting"
    assert statuses[-1] == 200, statuses

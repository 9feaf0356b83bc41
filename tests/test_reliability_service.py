"""Reliability of the service where its faults live: the real server (``fiscal-extract serve``
under uvicorn, in a subprocess on a free loopback port, spoken to over sockets), its command
line and the model files on disk. One test (or more) per fault of issue 20, items 5-10 and
the minor ones:

5. text that cannot be encoded as UTF-8 (a lone surrogate) is a 4xx on every route;
6. one body limit for every route, chunked or not, enforced while reading, before authentication;
7. every wait on a client is bounded: request head, body (408, never a 5xx in the metrics),
   idle keep-alive; open connections capped;
8. a configured model that is missing or does not verify stops ``serve`` in one line, non-zero;
   rules-only only with ``--rules-only``, and ``/version`` says which;
9. skops files are loaded against our explicit trust list only (skops's defaults are not trusted);
10. ``kill -9`` of the server takes its extraction process (and resource tracker) with it;
- a non-JSON ``calibration.json`` is a clear error; ``HEAD /health`` is 200; a numeric
  ``doc_id`` is refused (422): a doc_id is a JSON string or absent;
- PDFs in (issue 15): a generated PDF gives the facts of its text form with pages; bad PDFs
  (not a PDF, truncated, encrypted, scanned, too many pages, a Flate bomb) are 4xx, never 5xx.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, Optional

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / "models" / "fiscal-zh"
KB, MB = 1024, 1024 * 1024
TOKEN = "reliability-token"
LIMIT = 1 * MB  # the module server's body limit

# The module server's bounds, short so the tests are quick.
BOUNDS = {
    "FISCAL_MAX_BODY_BYTES": str(LIMIT),
    "FISCAL_HEADER_TIMEOUT_SECONDS": "1",
    "FISCAL_BODY_TIMEOUT_SECONDS": "1.5",
    "FISCAL_KEEP_ALIVE_SECONDS": "1",
    "FISCAL_MAX_CONNECTIONS": "40",
    "FISCAL_PDF_MAX_PAGES": "20",  # tests/data/pdf/bad/many-pages.pdf has 25
    "FISCAL_PDF_MAX_MEMORY_MB": "256",  # the PDF bomb below inflates to 400 MB
}

POST_ROUTES = ["/extract", "/extract/batch", "/visualize", "/label-studio/predict", "/label-studio/setup",
               "/label-studio/webhook", "/label-studio/train"]


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_command(*args: str) -> list[str]:
    # `python -c`, not the installed script: the code under test is the checkout's (cwd first on sys.path).
    return [sys.executable, "-c", "import sys; from service.cli import main; sys.exit(main())", "serve", *args]


def _clean_env(env: Optional[dict[str, str]]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FISCAL_")}
    return {**base, **(env or {})}


def start(args: tuple[str, ...] = (), env: Optional[dict[str, str]] = None, log: Optional[Path] = None
          ) -> tuple[str, subprocess.Popen]:
    port = free_port()
    out = open(log, "wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(serve_command("--host", "127.0.0.1", "--port", str(port), *args), cwd=ROOT,
                            stdout=out, stderr=subprocess.STDOUT, env=_clean_env(env), start_new_session=True)
    if log:
        out.close()
    return f"http://127.0.0.1:{port}", proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(15)
    with contextlib.suppress(ProcessLookupError):  # anything left in the group (orphans included)
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(5)


def wait_up(base: str, proc: subprocess.Popen, log: Optional[Path] = None, startup: float = 90.0) -> None:
    deadline = time.monotonic() + startup
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:] if log else ''}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError("server not up in time")
        time.sleep(0.2)


@contextlib.contextmanager
def running(args: tuple[str, ...] = (), env: Optional[dict[str, str]] = None, log: Optional[Path] = None
            ) -> Iterator[tuple[str, subprocess.Popen]]:
    base, proc = start(args, env, log)
    try:
        wait_up(base, proc, log)
        yield base, proc
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def launched(bad_models, tmp_path_factory):
    """What the module needs besides its main server, started at once so the start-ups overlap:
    ``serve`` with each bad model (each must stop by itself) and a ``--rules-only`` server."""
    cases = {name: (("--model", str(path)), None) for name, path in bad_models.items() if name != "calibration-without-ys"}
    cases["missing"] = (("--model", "/does-not-exist"), None)
    cases["no-manifest-env"] = ((), {"FISCAL_MODEL_DIR": str(bad_models["no-manifest"])})
    failing = {name: subprocess.Popen(serve_command("--host", "127.0.0.1", "--port", str(free_port()), *args), cwd=ROOT,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=_clean_env(env),
                                      start_new_session=True)
               for name, (args, env) in cases.items()}
    log = tmp_path_factory.mktemp("rules-only") / "server.log"
    rules = start(("--rules-only",), log=log)
    yield {"failing": failing, "rules": (*rules, log)}
    for proc in failing.values():
        stop(proc)
    stop(rules[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory, launched):
    """The shipped model, process-mode extraction, short bounds; webhook writes go to a temporary gold."""
    tmp = tmp_path_factory.mktemp("reliability")
    env = {**BOUNDS, "FISCAL_ANNOTATION_TOKEN": TOKEN, "FISCAL_GOLD_DIR": str(tmp / "gold"),
           "FISCAL_RETRAIN_COMMAND": f"{sys.executable} -c pass"}
    with running(env=env, log=tmp / "server.log") as (base, proc):
        yield base, proc


def hostport(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


def raw_request(base: str, head: bytes, body: bytes = b"", timeout: float = 10) -> bytes:
    """One request over a fresh socket; the whole answer (until the server closes or the head and
    a short body are in)."""
    with socket.create_connection(hostport(base), timeout=timeout) as s:
        s.sendall(head + body)
        reply = b""
        with contextlib.suppress(OSError):
            while True:
                data = s.recv(65536)
                if not data:
                    break
                reply += data
                if b"\r\n\r\n" in reply:
                    head_part, _, rest = reply.partition(b"\r\n\r\n")
                    m = re.search(rb"content-length: *(\d+)", head_part, re.I)
                    if m and len(rest) >= int(m.group(1)):
                        break
        return reply


def status_of(reply: bytes) -> int:
    m = re.match(rb"HTTP/1\.[01] (\d{3})", reply)
    assert m, reply[:200]
    return int(m.group(1))


def metric_statuses(base: str, route: str) -> dict[str, float]:
    """``{status: count}`` of fiscal_http_requests_total for ``route``."""
    text = httpx.get(base + "/metrics", timeout=10).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("fiscal_http_requests_total{") and f'route="{route}"' in line:
            status = re.search(r'status="(\d+)"', line).group(1)
            out[status] = out.get(status, 0) + float(line.rsplit(" ", 1)[1])
    return out


# --- 5. text that UTF-8 cannot hold ----------------------------------------------------------------


SURROGATE_BODIES = {
    "/extract": b'{"text": "\\ud800 100 \xe4\xb8\x87\xe5\x85\x83"}',
    "/extract/batch": b'{"documents": [{"text": "ok 1 \xe4\xb8\x87\xe5\x85\x83"}, {"text": "\\udfff"}]}',
    "/visualize": b'{"text": "a", "doc_id": "\\ud800"}',
    "/label-studio/predict": b'{"tasks": [{"id": 1, "data": {"text": "\\ud800 100"}}]}',
    "/label-studio/setup": b'{"project": 1, "schema": "<View>\\ud800</View>"}',
    "/label-studio/webhook": b'{"action": "\\ud800"}',
    "/label-studio/train": b'{"annotations": [{"id": 1, "data": {"text": "\\ud800"}}]}',
}


@pytest.mark.parametrize("route", POST_ROUTES)
def test_lone_surrogate_is_a_4xx_on_every_route(server, route):
    base, _ = server
    r = httpx.post(base + route, content=SURROGATE_BODIES[route], timeout=30,
                   headers={"content-type": "application/json", "authorization": f"Bearer {TOKEN}"})
    assert 400 <= r.status_code < 500, (route, r.status_code, r.text[:300])
    assert r.json()["error"]["code"]


def test_surrogates_by_other_ways_are_4xx(server):
    base, _ = server
    with httpx.Client(base_url=base, timeout=30) as c:
        for charset in ("unicode-escape", "raw-unicode-escape", "utf-7"):
            body = b"+2AA-" if charset == "utf-7" else b"\\ud800 abc"
            r = c.post("/extract", content=body, headers={"content-type": f"text/plain; charset={charset}"})
            assert 400 <= r.status_code < 500, (charset, r.status_code, r.text[:200])
        r = c.post("/extract?doc_id=%ED%A0%80", content="收入 1 万元".encode(), headers={"content-type": "text/plain"})
        assert r.status_code < 500
        r = c.post("/label-studio/predict", content=b'{"tasks": [{"id": 1, "data": {"\\ud800": "x"}}]}',
                   headers={"content-type": "application/json"})
        assert r.status_code == 422


# --- 6. one body limit, chunked or not, before authentication -----------------------------------


def send_chunked(base: str, route: str, total: int, headers: bytes = b"") -> tuple[bytes, int]:
    """POST ``total`` bytes in chunks to ``route`` until the server answers; (answer, bytes sent)."""
    with socket.create_connection(hostport(base), timeout=30) as s:
        s.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n%s\r\n"
                  % (route.encode(), headers))
        s.sendall(b"6\r\n{\"a\":\"\r\n")
        chunk = b"a" * 65536
        sent, reply = 0, b""
        s.settimeout(0.01)
        while sent < total:
            try:
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:  # closed after answering
                break
            sent += len(chunk)
            with contextlib.suppress(TimeoutError, socket.timeout, ConnectionResetError):
                reply += s.recv(65536)
            if reply:
                break
        s.settimeout(10)
        with contextlib.suppress(OSError):
            while b"\r\n\r\n" not in reply:
                data = s.recv(65536)
                if not data:
                    break
                reply += data
    return reply, sent


@pytest.mark.parametrize("route", POST_ROUTES)
@pytest.mark.parametrize("authorized", [True, False])
def test_chunked_body_over_the_limit_stops_early_on_every_route(server, route, authorized):
    base, _ = server
    auth = b"Authorization: Bearer %s\r\n" % TOKEN.encode() if authorized else b""
    reply, sent = send_chunked(base, route, 16 * LIMIT, auth)
    assert status_of(reply) == 413, (route, reply[:300])
    assert sent < 8 * LIMIT, f"{route}: {sent} bytes sent before the 413"


@pytest.mark.parametrize("route", ["/label-studio/webhook", "/label-studio/predict", "/extract"])
def test_declared_length_over_the_limit_is_refused_before_reading(server, route):
    base, _ = server
    reply = raw_request(base, b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                        % (route.encode(), 50 * LIMIT))
    assert status_of(reply) == 413


# --- 7. bounded waits --------------------------------------------------------------------------------


def wait_closed_or_answer(s: socket.socket, within: float) -> tuple[bytes, float]:
    """What the server sends until it closes the connection (or ``within`` seconds pass)."""
    started = time.monotonic()
    s.settimeout(within)
    reply = b""
    with contextlib.suppress(OSError):
        while True:
            data = s.recv(65536)
            if not data:
                break
            reply += data
    return reply, time.monotonic() - started


def test_stalled_body_gets_408_and_no_5xx(server):
    base, _ = server
    before = metric_statuses(base, "/label-studio/predict")
    with socket.create_connection(hostport(base), timeout=10) as s:
        s.sendall(b"POST /label-studio/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n{\"tasks\": [")
        reply, took = wait_closed_or_answer(s, 6)
    assert took < 5, "the stalled body held the connection"
    assert status_of(reply) == 408 and b"request_timeout" in reply
    after = metric_statuses(base, "/label-studio/predict")
    assert not any(k.startswith("5") and after[k] > before.get(k, 0) for k in after), after


@pytest.mark.parametrize("route", ["/extract", "/label-studio/webhook"])
def test_client_leaving_mid_body_is_not_a_5xx(server, route):
    base, _ = server
    before = metric_statuses(base, route)
    with socket.create_connection(hostport(base), timeout=10) as s:
        s.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\n"
                  b"Content-Length: 5000\r\n\r\n{\"text\": \"abc" % (route.encode(), TOKEN.encode()))
        time.sleep(0.3)
    time.sleep(0.5)
    after = metric_statuses(base, route)
    new = {k: after[k] - before.get(k, 0) for k in after if after[k] > before.get(k, 0)}
    assert new and not any(k.startswith("5") for k in new), new


def test_half_sent_head_is_closed(server):
    base, _ = server
    with socket.create_connection(hostport(base), timeout=10) as s:
        s.sendall(b"POST /extract HTTP/1.1\r\nHost: x\r\nContent-Type: text/pl")
        reply, took = wait_closed_or_answer(s, 6)
    assert took < 4, "a half-sent request head held the connection"
    assert reply == b"" or status_of(reply) == 408


def test_idle_connections_are_closed(server):
    base, _ = server
    with socket.create_connection(hostport(base), timeout=10) as s:  # never sends a byte
        reply, took = wait_closed_or_answer(s, 6)
    assert took < 4
    with socket.create_connection(hostport(base), timeout=10) as s:  # kept alive after one request
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        assert status_of(s.recv(65536)) == 200
        _, took = wait_closed_or_answer(s, 6)
    assert took < 3.5, f"idle keep-alive connection held {took:.1f} s (FISCAL_KEEP_ALIVE_SECONDS=1)"


def test_connections_are_capped(server):
    base, _ = server
    socks = []
    try:
        for _ in range(80):
            socks.append(socket.create_connection(hostport(base), timeout=5))
        time.sleep(0.4)  # within the 1 s head timeout: only the cap closes connections this early
        closed = 0
        for s in socks:
            s.setblocking(False)
            try:
                closed += s.recv(1) == b""
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
        assert closed >= 30, f"{closed} of 80 connections closed with a cap of 40"
    finally:
        for s in socks:
            s.close()
    time.sleep(0.2)
    assert httpx.get(base + "/health", timeout=10).status_code == 200


def test_oversized_head_is_a_4xx(server):
    base, _ = server
    reply = raw_request(base, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (64 * KB) + b"\r\n\r\n")
    assert reply == b"" or 400 <= status_of(reply) < 500


# --- 8. a configured model must be there ----------------------------------------------------------------


def collect_exits(procs: dict[str, subprocess.Popen], within: float = 60) -> dict[str, tuple[Optional[int], str]]:
    """``{case: (exit code, output)}`` of ``serve`` processes that must stop by themselves."""
    deadline = time.monotonic() + within
    results: dict[str, tuple[Optional[int], str]] = {}
    for name, proc in procs.items():
        try:
            out, _ = proc.communicate(timeout=max(deadline - time.monotonic(), 1))
            results[name] = (proc.returncode, out.decode(errors="replace"))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            results[name] = (None, "did not stop: it serves. " + out.decode(errors="replace")[-1500:])
    return results


def assert_one_clear_line(result: tuple[Optional[int], str], *fragments: str) -> None:
    rc, out = result
    lines = [line for line in out.splitlines() if line.strip()]
    assert rc is not None and rc != 0, out[-1500:]
    assert len(lines) == 1 and "Traceback" not in out, out[-1500:]
    for f in fragments:
        assert f in lines[0], lines[0]


def copy_model(tmp_path: Path, name: str = "model") -> Path:
    dst = tmp_path / name
    shutil.copytree(MODEL_DIR, dst)
    return dst


def rewrite_manifest(model_dir: Path) -> None:
    """As someone who changed a file would: the manifest then agrees with the change."""
    from nlp.model_store import write_manifest

    meta = json.loads((model_dir / "manifest.json").read_text(encoding="utf-8"))["meta"]
    write_manifest(model_dir, meta)


@pytest.fixture(scope="module")
def bad_models(tmp_path_factory) -> dict[str, Path]:
    import skops.io as sio

    tmp = tmp_path_factory.mktemp("bad-models")
    models = {}
    models["no-manifest"] = m = copy_model(tmp, "no-manifest")
    (m / "manifest.json").unlink()
    models["changed"] = m = copy_model(tmp, "changed")
    with open(m / "meta.json", "a", encoding="utf-8") as f:
        f.write(" ")
    models["untrusted-skops"] = m = copy_model(tmp, "untrusted-skops")
    (m / "fiscal_tagger" / "model.skops").write_bytes(sio.dumps(_hostile_objects()["random-forest"][0]))
    rewrite_manifest(m)
    models["bad-calibration"] = m = copy_model(tmp, "bad-calibration")
    (m / "fiscal_tagger" / "calibration.json").write_text("not json {", encoding="utf-8")
    rewrite_manifest(m)
    models["calibration-without-ys"] = m = copy_model(tmp, "calibration-without-ys")
    (m / "fiscal_tagger" / "calibration.json").write_text('{"xs": [0, 1]}', encoding="utf-8")
    rewrite_manifest(m)
    return models


@pytest.fixture(scope="module")
def failed_starts(launched) -> dict[str, tuple[Optional[int], str]]:
    return collect_exits(launched["failing"])


def test_missing_model_directory_stops_serve(failed_starts):
    assert_one_clear_line(failed_starts["missing"], "/does-not-exist", "--rules-only")


def test_model_directory_without_manifest_stops_serve(failed_starts):
    assert_one_clear_line(failed_starts["no-manifest"], "manifest.json")
    assert_one_clear_line(failed_starts["no-manifest-env"], "manifest.json")  # the same through the environment


def test_a_changed_model_file_stops_serve(failed_starts):
    assert_one_clear_line(failed_starts["changed"], "sha256")


def test_version_says_model_or_rules_only(server):
    base, _ = server
    info = httpx.get(base + "/version", timeout=10).json()
    assert info["pipeline"] == "model" and info["model"]["name"] == "fiscal-zh" and info["evaluation"]


# --- 8 and 10: --rules-only, and kill -9 of the server ----------------------------------------------


def test_rules_only_is_explicit_and_workers_die_with_a_killed_server(launched):
    import psutil

    base, proc, log = launched["rules"]
    wait_up(base, proc, log)
    info = httpx.get(base + "/version", timeout=10).json()
    assert info["pipeline"] == "rules-only" and info["model"]["name"] == "fiscal-zh-rules"
    assert info["evaluation"] is None  # not the shipped model's scores
    r = httpx.post(base + "/extract", json={"text": "本部门 2021 年度收入总计 428.59万元"}, timeout=60)
    assert r.status_code == 200 and r.json()["model"]["name"] == "fiscal-zh-rules"

    children = psutil.Process(proc.pid).children(recursive=True)
    workers = [p for p in children if "spawn_main" in " ".join(p.cmdline())]
    assert workers, "no extraction process found"
    os.kill(proc.pid, signal.SIGKILL)  # the server only, not its process group
    proc.wait(10)
    gone, alive = psutil.wait_procs(children, timeout=8)
    assert not alive, f"orphans after kill -9 of the server: {[(p.pid, p.cmdline()[-2:]) for p in alive]}"


# --- 9. the skops trust list is ours alone ----------------------------------------------------------


def _hostile_objects():
    import numpy
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.preprocessing import FunctionTransformer

    forest = RandomForestClassifier(n_estimators=2, random_state=0).fit([[0.0], [1.0]], [0, 1])
    return {
        "function-transformer-exp": (FunctionTransformer(numpy.exp), "numpy.exp"),
        "random-forest": (forest, "RandomForestClassifier"),
        "ufunc": ({"f": numpy.add}, "numpy.add"),
        "ufunc-in-list": ([numpy.exp, 1], "numpy.exp"),
    }


@pytest.mark.parametrize("name", ["function-transformer-exp", "random-forest", "ufunc", "ufunc-in-list"])
def test_skops_defaults_are_not_trusted(tmp_path, name):
    import skops.io as sio

    from nlp.model_store import ModelIntegrityError, load_skops

    obj, shown = _hostile_objects()[name]
    path = tmp_path / "model.skops"
    path.write_bytes(sio.dumps(obj))
    with pytest.raises(ModelIntegrityError, match="untrusted types") as e:
        load_skops(path)
    assert shown in str(e.value)


def test_a_model_with_an_untrusted_skops_file_stops_serve(bad_models, failed_starts):
    from nlp import Extractor
    from nlp.model_store import ModelIntegrityError

    with pytest.raises(ModelIntegrityError, match="untrusted types"):
        Extractor.load(bad_models["untrusted-skops"])
    assert_one_clear_line(failed_starts["untrusted-skops"], "untrusted types", "RandomForestClassifier")


def test_the_shipped_model_names_trusted_types_only():
    from nlp.model_store import TRUSTED_TYPES, load_skops, skops_refused_types

    data = (MODEL_DIR / "fiscal_tagger" / "model.skops").read_bytes()
    assert skops_refused_types(data) == []
    assert type(load_skops(MODEL_DIR / "fiscal_tagger" / "model.skops")).__name__ == "SequenceTagger"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "TRUSTED_TYPES" in readme and "default" in readme  # the README says what is trusted, and that skops's defaults are not
    assert all("." in t for t in TRUSTED_TYPES)


# --- minor ones -------------------------------------------------------------------------------------------


def test_non_json_calibration_is_a_clear_error(bad_models, failed_starts):
    from nlp import Extractor
    from nlp.model_store import ModelIntegrityError

    with pytest.raises(ModelIntegrityError, match="calibration.json"):
        Extractor.load(bad_models["bad-calibration"])
    assert_one_clear_line(failed_starts["bad-calibration"], "calibration.json", "not valid JSON")
    with pytest.raises(ModelIntegrityError, match="calibration.json.*ys"):
        Extractor.load(bad_models["calibration-without-ys"])


def test_head_health_is_200(server):
    base, _ = server
    reply = raw_request(base, b"HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_of(reply) == 200
    assert httpx.head(base + "/health", timeout=10).status_code == 200


def test_numeric_doc_id_is_refused(server):
    """The rule: a doc_id is a JSON string (at most 256 characters) or absent; a number, a
    boolean or anything else is refused with 422, never turned into a string."""
    base, _ = server
    with httpx.Client(base_url=base, timeout=60) as c:
        for doc_id in (123, 1.5, True, ["a"], {"a": 1}):
            r = c.post("/extract", json={"text": "收入 1 万元", "doc_id": doc_id})
            assert r.status_code == 422 and "doc_id" in r.json()["error"]["message"], r.text[:200]
            r = c.post("/extract/batch", json={"documents": [{"text": "收入 1 万元", "doc_id": doc_id}]})
            assert r.status_code == 422, r.text[:200]
            r = c.post("/visualize", json={"text": "收入 1 万元", "doc_id": doc_id})
            assert r.status_code == 422, r.text[:200]
        r = c.post("/extract", json={"text": "收入 1 万元", "doc_id": "123"})
        assert r.status_code == 200 and r.json()["doc_id"] == "123"


# --- PDFs in (issue 15) ----------------------------------------------------------------------------

PDF_DATA = ROOT / "tests" / "data" / "pdf"


def _facts_without_provenance(result: dict) -> list[str]:
    return sorted(json.dumps({k: v for k, v in f.items() if k not in ("evidence", "page")}, ensure_ascii=False,
                             sort_keys=True) for f in result["facts"])


def test_a_generated_pdf_gives_the_facts_of_its_text_form_with_pages(server):
    base, _ = server
    pdf = (PDF_DATA / "unruled-dev-t05-2.pdf").read_bytes()
    text = (PDF_DATA / "unruled-dev-t05-2.txt").read_text(encoding="utf-8")
    with httpx.Client(base_url=base, timeout=120) as c:
        as_text = c.post("/extract", json={"text": text}).json()
        raw = c.post("/extract?doc_id=t05", content=pdf, headers={"content-type": "application/pdf"})
        form = c.post("/extract", files={"file": ("t05.pdf", pdf, "application/pdf")}, data={"doc_id": "t05"})
    for r in (raw, form):
        assert r.status_code == 200, r.text[:300]
        result = r.json()
        assert result["doc_id"] == "t05" and result["pages"][0]["number"] == 1
        assert _facts_without_provenance(result) == _facts_without_provenance(as_text) != []
        assert all(f["page"] == 1 for f in result["facts"])
        assert all(e["page"] == 1 and len(e["bbox"]) == 4 and result["text"][e["start"]:e["end"]] == e["text"]
                   for e in result["entities"])
    assert "pages" not in as_text and "text" not in as_text


def test_bad_pdfs_are_4xx_never_5xx(server):
    from tests.data.pdf.make_pdfs import bomb_pdf

    base, _ = server
    bodies = {p.stem: p.read_bytes() for p in sorted((PDF_DATA / "bad").glob("*.pdf"))}
    bodies["bomb"] = bomb_pdf(400)
    expected = {"not-a-pdf": (415, "not_pdf"), "truncated": (422, "damaged"), "encrypted": (422, "encrypted"),
                "scanned": (422, "no_text"), "many-pages": (422, "too_many_pages"), "bomb": (422, "too_expensive")}
    assert set(bodies) == set(expected)
    before = metric_statuses(base, "/extract")
    with httpx.Client(base_url=base, timeout=120) as c:
        for name, body in bodies.items():
            for r in (c.post("/extract", content=body, headers={"content-type": "application/pdf"}),
                      c.post("/extract", files={"file": (f"{name}.pdf", body, "application/pdf")})):
                if name == "not-a-pdf" and "multipart" in r.request.headers["content-type"]:
                    assert r.status_code == 200  # a multipart file that is not a PDF is read as UTF-8 text
                    continue
                assert (r.status_code, r.json()["error"]["code"]) == expected[name], (name, r.text[:300])
        assert c.get("/health").status_code == 200
    after = metric_statuses(base, "/extract")
    assert not any(s.startswith("5") and after[s] > before.get(s, 0) for s in after), after

"""The CLI as a user meets it (issue 19): one bad input among several, encodings, empty input,
a missing model, quiet stderr; and a wheel (non-editable) install working in a fresh project
directory, writing there and not where the package is installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "fiscal-extract")
TEXT = "本部门 2021 年度收入总计 428.59万元，较 2020 年增加 25.66 万元，增长 6.37 %"


def _cli(*args, cwd=None, env=None, stdin=None):
    return subprocess.run([CLI, *map(str, args)], cwd=cwd, env=env, input=stdin, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("inputs")
    out = {"good": d / "good.txt", "gbk": d / "gbk.txt", "empty": d / "empty.txt", "binary": d / "binary.txt"}
    out["good"].write_text(TEXT, encoding="utf-8")
    out["gbk"].write_bytes(TEXT.encode("gb18030"))
    out["empty"].write_text("  \n", encoding="utf-8")
    out["binary"].write_bytes(b"\xff\xfe\x00\xc3\x28\xa0\xa1" * 10)
    return out


def test_one_bad_input_is_named_and_the_others_still_give_results(files, tmp_path):
    r = _cli("extract", "--format", "jsonl", files["good"], tmp_path / "missing.txt", files["empty"], files["gbk"])
    assert r.returncode == 1
    results = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert [x["doc_id"] for x in results] == ["good.txt", "gbk.txt"]
    err = r.stderr.decode()
    assert "missing.txt" in err and "empty.txt: empty text" in err and "Traceback" not in err


def test_gb18030_is_detected_and_gives_the_utf8_facts(files):
    utf8 = json.loads(_cli("extract", files["good"]).stdout)[0]
    gbk = json.loads(_cli("extract", files["gbk"]).stdout)[0]
    assert gbk["facts"] == utf8["facts"] and len(gbk["facts"]) == 3


def test_undecodable_bytes_suggest_encoding_and_a_wrong_encoding_is_named(files):
    r = _cli("extract", files["binary"])
    assert r.returncode == 2 and b"--encoding" in r.stderr and b"binary.txt" in r.stderr
    r = _cli("extract", "--encoding", "ascii", files["good"])
    assert r.returncode == 2 and b"not ascii" in r.stderr
    r = _cli("extract", "--encoding", "no-such-codec", files["good"])
    assert r.returncode == 2 and b"unknown encoding" in r.stderr


def test_empty_stdin_is_refused_as_the_http_api_refuses_it():
    r = _cli("extract", "-", stdin=b"")
    assert r.returncode == 2 and b"-: empty text" in r.stderr


def test_a_missing_model_is_one_clear_line(files, tmp_path):
    r = _cli("extract", "--model", tmp_path / "no-model", files["good"])
    assert r.returncode == 2 and b"Traceback" not in r.stderr
    assert len(r.stderr.decode().strip().splitlines()) == 1 and b"no-model" in r.stderr


def test_stderr_is_quiet_on_a_normal_run(files):
    r = _cli("extract", files["good"])
    assert r.returncode == 0 and r.stderr == b""


def test_project_must_exist(files, tmp_path):
    r = _cli("--project", tmp_path / "nowhere", "extract", files["good"])
    assert r.returncode == 2 and b"no such directory" in r.stderr


# --- a wheel install in a fresh project directory -------------------------------------------------


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory) -> Path:
    """A new virtual environment with the project installed from its wheel (not editable); the
    dependencies come from the test environment's site-packages through a .pth line, so nothing
    is downloaded and the editable install's import hook is not in effect."""
    tmp = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(ROOT)],
                           capture_output=True, timeout=600)
    if build.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {build.stderr.decode()[-300:]}")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = next((venv / "lib").glob("python*/site-packages"))
    deps = [p for p in sys.path if p.endswith("site-packages")]
    (site / "test-deps.pth").write_text("\n".join(deps) + "\n")
    wheel = next((tmp / "dist").glob("*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps",
                    "-q", str(wheel)], check=True, capture_output=True, timeout=600)
    return venv


@pytest.fixture()
def project(tmp_path) -> Path:
    p = tmp_path / "project"
    (p / "annotations" / "sources").mkdir(parents=True)
    (p / "annotations" / "gold").mkdir()
    src = sorted((ROOT / "annotations" / "sources").glob("*.txt"))[1]
    shutil.copy(src, p / "annotations" / "sources" / src.name)
    shutil.copy(ROOT / "annotations" / "gold" / f"{src.stem}.jsonl", p / "annotations" / "gold")
    return p


def test_a_wheel_install_extracts_serves_and_annotates_in_its_project(wheel_env, project, tmp_path):
    cli = str(wheel_env / "bin" / "fiscal-extract")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FISCAL_")}
    located = subprocess.run([str(wheel_env / "bin" / "python"), "-c", "import nlp; print(nlp.__file__)"],
                             capture_output=True, text=True, env=env, cwd=project, check=True).stdout
    assert str(wheel_env) in located and str(ROOT) not in located  # the wheel, not the checkout

    (project / "in.txt").write_text(TEXT, encoding="utf-8")
    r = subprocess.run([cli, "extract", "in.txt"], cwd=project, env=env, capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)[0]
    assert result["model"]["name"] == "fiscal-zh" and len(result["facts"]) == 3  # the shipped model, as package data

    r = subprocess.run([cli, "annotate", "validate"], cwd=project, env=env, capture_output=True, timeout=300)
    assert r.returncode == 0 and b"1 file(s) checked, 0 problem(s)" in r.stdout + r.stderr, r.stdout + r.stderr
    # the annotation loop writes into this project: an export, then an import of it back
    out = tmp_path / "export.json"
    r = subprocess.run([cli, "--project", str(project), "annotate", "export", "--format", "labelstudio", "--out",
                        str(out), str(project / "annotations" / "gold")], cwd=tmp_path, env=env, capture_output=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    before = (project / "annotations" / "gold").stat().st_mtime_ns
    r = subprocess.run([cli, "--project", str(project), "annotate", "import", str(out)], cwd=tmp_path, env=env,
                       capture_output=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert list((project / "annotations" / "gold").glob("*.jsonl"))
    assert (project / "annotations" / "gold").stat().st_mtime_ns >= before

    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen([cli, "serve", "--port", str(port)], cwd=project, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                resp = httpx.post(f"http://127.0.0.1:{port}/extract", json={"text": TEXT}, timeout=10)
                break
            except httpx.TransportError:
                if server.poll() is not None:
                    pytest.fail(server.stderr.read().decode()[-500:])
                time.sleep(0.5)
        else:
            pytest.fail("the server did not answer")
        assert resp.status_code == 200 and len(resp.json()["facts"]) == 3
    finally:
        server.terminate()
        server.wait(timeout=60)

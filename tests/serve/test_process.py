"""`seqdoodle serve --workers 2` as a real process: concurrent requests, same answers, Ctrl-C.

It serves two of the trained current runs (the first two registered kinds: a bitmap and a stroke
model). The workers use the Keras backend; answers to real drawings are compared with an
in-process engine of the same runs on the ONNX backend.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.serve.conftest import REPO_ROOT, check_drawings
from tests.serve.test_browser import free_port


def post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


@pytest.fixture(scope="module")
def two_runs(run_dirs):
    """`(run folders, in-process engine)` of the first two current runs."""
    from seqdoodle.serve.engine import load_engine

    engine = load_engine(run_dirs[:2])
    yield run_dirs[:2], engine
    engine.close()


@pytest.mark.slow
def test_two_workers_serve_concurrent_requests(two_runs, tmp_path):
    run_dirs, engine = two_runs
    port = free_port()
    log = tmp_path / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "seqdoodle",
        "serve",
        *map(str, run_dirs),
        "--port",
        str(port),
        "--workers",
        "2",
        "--backend",
        "keras",
        "--max-wait-ms",  # answers under concurrency, not admission: Keras requests take longer
        "0",  # than the default wait on a busy machine, so only --max-queue may refuse
    ]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 240
        while True:
            assert proc.poll() is None, log.read_text()[-2000:]
            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                assert time.time() < deadline, "no /health answer within 240 s"
                time.sleep(0.5)
        checks = check_drawings("raw")
        drawings = [d["drawing"] for d in checks]
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda d: post(base + "/predict", {"drawing": d}), drawings))
        assert all(status == 200 for status, _ in answers)
        for d, (_, answer) in zip(drawings, answers):
            want = engine.predict(d)["models"]
            assert list(answer["models"]) == list(want)
            for name, model in answer["models"].items():
                assert model["top"][0]["class"] == want[name]["top"][0]["class"]
                assert (
                    abs(model["top"][0]["probability"] - want[name]["top"][0]["probability"]) < 1e-5
                )
        top = [a["models"]["ensemble"]["top"][0]["class"] for _, a in answers]
        assert sum(t == c["word"] for t, c in zip(top, checks)) >= 0.7 * len(checks)
        status, error = post(base + "/predict", {"drawing": []})
        assert status == 422 and "no strokes" in error["error"]
        assert "Starting 2 workers" in log.read_text()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("the server did not stop within 30 s of Ctrl-C")

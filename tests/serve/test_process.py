"""`seqdoodle serve --workers 2` as a real process: concurrent requests, same answers, Ctrl-C.

The workers use the Keras backend (quicker to start); answers are compared with the in-process
engine's ONNX backend.
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

from tests.serve.conftest import REPO_ROOT
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


@pytest.mark.slow
def test_two_workers_serve_concurrent_requests(run_dirs, engine, tmp_path):
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
        drawings = [
            [[[float(5 * i), 80.5, 160.0 + i], [10.0, 90.0 + 3 * i, 20.0], [0, 40, 90]]]
            for i in range(24)
        ]
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda d: post(base + "/predict", {"drawing": d}), drawings))
        assert all(status == 200 for status, _ in answers)
        for d, (_, answer) in zip(drawings, answers):
            want = engine.predict(d)["models"]
            for name, model in answer["models"].items():
                assert model["top"][0]["class"] == want[name]["top"][0]["class"]
                assert (
                    abs(model["top"][0]["probability"] - want[name]["top"][0]["probability"]) < 1e-5
                )
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

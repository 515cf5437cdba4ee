"""Hostile traffic against a live `seqdoodle serve`: schemathesis and hand-made requests.

schemathesis generates requests from the server's own OpenAPI schema (`/openapi.json`), valid
and invalid ones, in two processes until at least `GENERATED_REQUESTS` were sent; the hand-made
ones are what it does not make: bodies over the limit, 10,000 levels of nesting, NaN/Infinity,
numbers of 400 and 5,000 digits, unicode and broken UTF-8, wrong content types, a body sent over
a few seconds. No answer may be a server error (5xx) other than a 503 with `Retry-After`, the
process must stay alive, and a valid request afterwards must get the right answer.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

import pytest

from tests.serve.conftest import REPO_ROOT
from tests.serve.test_browser import free_port
from tests.serve.test_process import post

GENERATED_REQUESTS = int(os.environ.get("SEQDOODLE_HOSTILE_REQUESTS", "5000"))
FUZZ_PROCESSES = 2
GOOD = {"drawing": [[[10, 200, 120, 10], [20, 30, 220, 20]], [[60, 140], [120, 120]]]}


def acceptable(status: int, headers) -> bool:
    """No server error, except a 503 that says when to retry."""
    return status < 500 or (status == 503 and "retry-after" in {k.lower() for k in headers})


@pytest.fixture(scope="module")
def live_server(run_dirs, tmp_path_factory):
    """`seqdoodle serve` on 127.0.0.1 as its own process: `(base_url, process)`."""
    port = free_port()
    log = tmp_path_factory.mktemp("hostile") / "server.log"
    cmd = [sys.executable, "-m", "seqdoodle", "serve", *map(str, run_dirs)]
    cmd += ["--port", str(port), "--backend", "keras"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
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
    yield base, proc
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def assert_alive_and_right(base: str, proc, engine) -> None:
    """The process runs and a valid request gets the in-process engine's answer (1e-5)."""
    assert proc.poll() is None, "the server died"
    status, answer = post(base + "/predict", GOOD)
    assert status == 200, answer
    want = engine.predict(GOOD["drawing"])["models"]
    assert set(answer["models"]) == set(want)
    for name, model in answer["models"].items():
        assert model["top"][0]["class"] == want[name]["top"][0]["class"]
        assert abs(model["top"][0]["probability"] - want[name]["top"][0]["probability"]) < 1e-5


def fuzz(base: str, quota: int, seed: int) -> dict:
    """Send schemathesis's generated requests until `quota` were sent (one worker process).

    Every operation of the schema, positive and negative data; schemathesis's own checks run
    on each answer, except that schema-valid data must be accepted (the schema cannot say that
    the axes of a stroke have one length, so most valid-looking drawings are rightly refused).

    Returns:
        `{"sent", "statuses": {status: n}, "server_errors": [...], "check_failures": {...}}`.
    """
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as with_seed
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    schema = schemathesis.openapi.from_url(base + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    excluded = [positive_data_acceptance]  # valid-looking drawings are mostly refused
    out = {"sent": 0, "statuses": Counter(), "server_errors": [], "check_failures": Counter()}

    def send(case, label: str) -> None:
        if out["sent"] >= quota:
            return
        out["sent"] += 1
        try:
            response = case.call(base_url=base, timeout=60)
        except Exception as e:  # noqa: BLE001 - no answer at all is a failure
            out["server_errors"].append(f"{label}: no answer: {e!r}"[:300])
            return
        out["statuses"][response.status_code] += 1
        if not acceptable(response.status_code, response.headers):
            body, text = repr(case.body)[:200], response.text[:200]
            out["server_errors"].append(f"{response.status_code} {body} -> {text}")
            return
        try:
            case.validate_response(response, excluded_checks=excluded)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:  # noqa: BLE001 - an AssertionError or a group of them
            for failure in getattr(e, "exceptions", [e]):
                out["check_failures"][f"{label}: {str(failure).splitlines()[0][:120]}"] += 1

    def generated(operation, mode, round_: int):
        label = f"{operation.label} {mode.value}"

        @given(operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=200,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @with_seed(seed * 100_000 + round_)
        def run(case):
            send(case, label)

        return run

    if seed == 1:  # schemathesis's coverage cases: boundaries, wrong types, other methods
        from schemathesis.config import GenerationConfig

        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
        for operation in operations:
            for case in schema.iter_coverage_cases(
                operation, generation_modes=modes, generation_config=GenerationConfig()
            ):
                send(case, f"{operation.label} coverage")
    for round_ in range(1000):
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                if out["sent"] < quota:
                    try:
                        generated(operation, mode, round_)()
                    except Unsatisfiable:  # no negative data for an operation without inputs
                        pass
        if out["sent"] >= quota:
            break
    return {**out, "statuses": dict(out["statuses"]), "check_failures": dict(out["check_failures"])}


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(live_server, engine):
    base, proc = live_server
    quota = -(-GENERATED_REQUESTS // FUZZ_PROCESSES)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(FUZZ_PROCESSES, mp_context=context) as pool:
        parts = list(pool.map(fuzz, [base] * FUZZ_PROCESSES, [quota] * FUZZ_PROCESSES, [1, 2]))
    sent = sum(p["sent"] for p in parts)
    statuses = sum((Counter(p["statuses"]) for p in parts), Counter())
    errors = [e for p in parts for e in p["server_errors"]]
    failures = sum((Counter(p["check_failures"]) for p in parts), Counter())
    print(f"schemathesis: {sent} requests, statuses {dict(sorted(statuses.items()))}")
    assert sent >= GENERATED_REQUESTS and sum(statuses.values()) == sent
    assert not errors, f"{len(errors)} server errors, first: {errors[:3]}"
    assert not failures, f"schemathesis checks failed: {dict(failures)}"
    assert statuses[200] > 0 and statuses[422] > 0  # both valid and invalid data were sent
    assert_alive_and_right(base, proc, engine)


def raw_exchange(port: int, head: bytes, body_parts, pause: float = 0.0) -> tuple[int, dict]:
    """Send a request over a raw socket (body parts `pause` s apart); its status and headers."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(head)
        for part in body_parts:
            time.sleep(pause)
            if select.select([s], [], [], 0)[0]:
                break  # answered already (e.g. 413 before the whole body): stop sending
            try:
                s.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server answered and closed; its answer is read below
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head_text, _, rest = data.partition(b"\r\n\r\n")
        lines = head_text.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
    return int(lines[0].split()[1]), {"headers": headers, "body": rest}


HOSTILE_BODIES = {
    "body over 1 MB": b'{"drawing": [[[' + b"1," * 600_000 + b"1], [1]]]}",
    "10,000 levels of lists": b'{"drawing": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
    "10,000 levels of objects": b'{"drawing": ' + b'{"a":' * 10_000 + b"1" + b"}" * 10_000 + b"}",
    "100,000 open brackets": b"[" * 100_000,
    "NaN": b'{"drawing": [[[NaN, 2], [3, 4]]]}',
    "Infinity": b'{"drawing": [[[1, 2], [3, Infinity]]]}',
    "-Infinity top_k": b'{"drawing": [[[1, 2], [3, 4]]], "top_k": -Infinity}',
    "1e400": b'{"drawing": [[[1e400, 2], [3, 4]]]}',
    "400 digits": b'{"drawing": [[[1' + b"0" * 400 + b", 2], [3, 4]]]}",
    "5,000 digits": b'{"drawing": [[[1' + b"0" * 5000 + b", 2], [3, 4]]]}",
    "top_k of 5,000 digits": b'{"drawing": [[[1, 2], [3, 4]]], "top_k": 1' + b"0" * 5000 + b"}",
    "unicode field": '{"drawing": [[[1, 2], [3, 4]]], "\u2603\U0001f600": 1}'.encode(),
    "unicode format": '{"drawing": [[[1, 2], [3, 4]]], "format": "\u0440\u0430\u0432"}'.encode(),
    "lone surrogate": b'{"drawing": [[[1, 2], [3, 4]]], "format": "\\ud800"}',
    "invalid UTF-8": b'{"drawing": [[[1, 2], [3, 4]]], "format": "\xff\xfe"}',
    "NUL after the JSON": b'{"drawing": [[[1, 2], [3, 4]]]}\x00',
    "strings for numbers": b'{"drawing": [[["1", "2"], ["3", "4"]]]}',
    "900 kB field name": b'{"drawing": [[[1, 2], [3, 4]]], "' + b"k" * 900_000 + b'": 1}',
}
WRONG_CONTENT = {
    "form": (b"drawing=1&top_k=3", "application/x-www-form-urlencoded"),
    "multipart": (
        b'--x\r\nContent-Disposition: form-data; name="drawing"\r\n\r\n1\r\n--x--\r\n',
        "multipart/form-data; boundary=x",
    ),
    "xml": (b"<drawing><stroke/></drawing>", "application/xml"),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
}


@pytest.mark.slow
def test_hand_made_hostile_requests_get_4xx(live_server, engine):
    base, proc = live_server
    port = int(base.rsplit(":", 1)[1])
    seen = {}
    for name, body in HOSTILE_BODIES.items():
        head = (
            "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        parts = [body[i : i + 65536] for i in range(0, len(body), 65536)]
        status, answer = raw_exchange(port, head, parts)  # the server may answer mid-body
        seen[name] = (status, json.loads(answer["body"]))
    for name, (body, content_type) in WRONG_CONTENT.items():
        head = (
            f"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        status, answer = raw_exchange(port, head, [body])
        seen[name] = (status, json.loads(answer["body"]))
    for name, (status, answer) in seen.items():
        assert 400 <= status < 500, (name, status, answer)
        error = answer["error"]
        assert "\n" not in error and len(error) < 300, (name, error)
    assert seen["body over 1 MB"][0] == 413
    assert "nested too deeply" in seen["10,000 levels of lists"][1]["error"]
    assert "digits" in seen["5,000 digits"][1]["error"]
    assert "NaN" in seen["NaN"][1]["error"]

    # a valid body sent over about 3 s, a few bytes at a time, is answered normally
    body = json.dumps(GOOD).encode()
    head = (
        f"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    parts = [body[i : i + 8] for i in range(0, len(body), 8)]
    t = time.perf_counter()
    status, answer = raw_exchange(port, head, parts, pause=3.0 / len(parts))
    assert time.perf_counter() - t >= 2.5
    assert status == 200 and "models" in json.loads(answer["body"])

    # a body cut short (Content-Length larger than what is sent), then the client leaves
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head.replace(f"{len(body)}".encode(), b"5000") + body[:20])
    assert_alive_and_right(base, proc, engine)


def test_slow_body_is_cut_off_with_408(monkeypatch):
    import asyncio

    from seqdoodle.serve import app as app_module
    from seqdoodle.serve.requests import RequestError

    class Trickle:  # a request whose body arrives a part every 0.25 s
        headers: dict = {}

        async def stream(self):
            for part in (b'{"drawing": ', b"[[[1, 2], ", b"[3, 4]]]}"):
                await asyncio.sleep(0.25)
                yield part

    assert asyncio.run(app_module._read_body(Trickle())) == b'{"drawing": [[[1, 2], [3, 4]]]}'
    monkeypatch.setattr(app_module, "BODY_TIMEOUT_S", 0.3)
    with pytest.raises(RequestError, match="not received within 0.3 s") as info:
        asyncio.run(app_module._read_body(Trickle()))
    assert info.value.status == 408

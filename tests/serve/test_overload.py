"""Overload: bounded queues refuse at once with 503 and `Retry-After`; `/health` shows them."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from seqdoodle.serve.batcher import Admission, MicroBatcher, Overloaded

GOOD = {"drawing": [[[10, 200, 120, 10], [20, 30, 220, 20]], [[60, 140], [120, 120]]]}


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


def test_full_batcher_refuses_at_once_and_recovers():
    gate, calls = threading.Event(), []

    def predict(items):
        calls.append(list(items))
        gate.wait(10)
        return [[float(x)] for x in items]

    batcher = MicroBatcher(predict, max_batch=4, max_queue=2, name="slow")
    try:
        first = batcher.submit(0)
        wait_until(lambda: calls)  # the worker holds item 0; the queue is empty again
        waiting = [batcher.submit(1), batcher.submit(2)]
        assert batcher.stats()["depth"] == 2
        t = time.perf_counter()
        with pytest.raises(Overloaded, match="'slow' has 2 drawings waiting") as info:
            batcher.submit(3)
        assert time.perf_counter() - t < 0.5 and info.value.retry_after >= 1
        assert batcher.stats() == {
            "depth": 2,
            "max_queue": 2,
            "batches": 0,
            "items": 0,
            "rejected": 1,
        }
        gate.set()
        assert [f.result(5) for f in [first, *waiting]] == [[0.0], [1.0], [2.0]]
        assert calls == [[0], [1, 2]]  # the refused item never reached the model
        wait_until(lambda: batcher.stats()["items"] == 3)
        assert batcher.stats()["depth"] == 0
        assert batcher.submit(4).result(5) == [4.0]
    finally:
        gate.set()
        batcher.close()


def test_cancelled_item_costs_no_model_work():
    gate, calls = threading.Event(), []

    def predict(items):
        calls.append(list(items))
        gate.wait(10)
        return [[1.0] for _ in items]

    batcher = MicroBatcher(predict, max_queue=4)
    try:
        batcher.submit("held")
        wait_until(lambda: calls)
        gone, kept = batcher.submit("gone"), batcher.submit("kept")
        assert gone.cancel()
        gate.set()
        assert kept.result(5) == [1.0]
        assert calls == [["held"], ["kept"]]
    finally:
        gate.set()
        batcher.close()


def test_admission_counts_requests_in_progress():
    admission = Admission(2, max_wait_ms=0)
    with admission.admit(), admission.admit():
        with pytest.raises(Overloaded, match="--max-queue 2"):
            with admission.admit():
                pass
        assert admission.stats()["in_progress"] == 2
    stats = admission.stats()
    assert stats["in_progress"] == 0 and stats["admitted"] == 2 and stats["rejected"] == 1
    assert stats["max_queue"] == 2 and stats["max_wait_ms"] == 0
    with pytest.raises(Exception, match="max_queue must be an integer of at least 1"):
        Admission(0)
    for bad in (-1, float("inf"), float("nan"), True, "50"):
        with pytest.raises(Exception, match="max_wait_ms must be a number of at least 0"):
            Admission(4, max_wait_ms=bad)


def test_admission_refuses_by_expected_wait_above_the_floor():
    admission = Admission(16, max_wait_ms=50, floor=2)
    assert admission.stats()["expected_wait_ms"] is None  # nothing measured: only the count
    admission.seconds_per_request = 0.020  # as if measured: 20 ms a request
    with admission.admit(), admission.admit():  # under the floor: admitted whatever the wait
        assert admission.stats()["expected_wait_ms"] == pytest.approx(60.0)
        with pytest.raises(Overloaded, match="expected wait of 60 ms, over --max-wait-ms 50"):
            with admission.admit():
                pass
    assert admission.stats()["rejected"] == 1
    admission.seconds_per_request = 0.010  # a faster server admits more for the same budget
    with contextlib.ExitStack() as held:
        for _ in range(5):  # the fifth expects (4 + 1) x 10 ms = 50 ms: within the budget
            held.enter_context(admission.admit())
        with pytest.raises(Overloaded, match="expected wait of 60 ms"):
            with admission.admit():
                pass


def test_admission_learns_seconds_per_request_from_answered_requests():
    admission = Admission(16, max_wait_ms=50)
    with admission.admit():
        time.sleep(0.03)  # one request alone for 30 ms: 30 ms a request
    first = admission.seconds_per_request
    assert first >= 0.03
    with admission.admit():  # a request that came in with another in progress
        with admission.admit():
            time.sleep(0.03)
    # the inner one shares its 30+ ms with the outer one: its sample is half its time
    assert admission.seconds_per_request < first + 0.05 * (0.03 - first) + 0.01
    assert admission.stats()["admitted"] == 3 and admission.stats()["rejected"] == 0


def test_server_answers_503_with_retry_after_when_full(client, engine, monkeypatch):
    """Two requests hold the only places (their model is stalled); the third is refused at once."""
    gate = threading.Event()
    stalled = []
    for served in engine.served:
        real = served.predict

        def slow(items, real=real):
            gate.wait(20)
            return real(items)

        batcher = MicroBatcher(slow, max_queue=2, name=served.name)
        stalled.append(batcher)
        monkeypatch.setattr(served, "batcher", batcher)
    monkeypatch.setattr(engine, "admission", Admission(2, max_wait_ms=0))
    answers: list = [None, None]

    def ask(i):
        answers[i] = client.post("/predict", json=GOOD)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    try:
        for t in threads:
            t.start()
        wait_until(lambda: engine.admission.stats()["in_progress"] == 2)
        t0 = time.perf_counter()
        refused = client.post("/predict", json=GOOD)
        assert time.perf_counter() - t0 < 2.0  # at once, not after the stalled requests
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        error = refused.json()["error"]
        assert "--max-queue 2" in error and "\n" not in error
        health = client.get("/health").json()
        assert health["status"] == "ok"
        requests = health["queues"]["requests"]
        assert {k: requests[k] for k in ("in_progress", "max_queue", "admitted", "rejected")} == {
            "in_progress": 2,
            "max_queue": 2,
            "admitted": 2,
            "rejected": 1,
        }
        assert set(health["queues"]["models"]) == set(engine.names)
        for stats in health["queues"]["models"].values():
            assert stats["max_queue"] == 2 and stats["rejected"] == 0
            assert stats["depth"] + stats["items"] <= 2
    finally:
        gate.set()
        for t in threads:
            t.join(30)
    assert [a.status_code for a in answers] == [200, 200]
    after = client.post("/predict", json=GOOD)
    assert after.status_code == 200
    assert after.json()["models"] == answers[0].json()["models"]
    assert client.get("/health").json()["queues"]["requests"]["in_progress"] == 0
    for batcher in stalled:
        batcher.close()


def test_openapi_documents_the_503(client):
    spec = client.get("/openapi.json").json()
    assert "503" in spec["paths"]["/predict"]["post"]["responses"]

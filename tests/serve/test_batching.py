"""Concurrent `/predict` requests are batched: N requests, fewer than N model calls.

Deterministic: each model's worker is held inside its first call until every other request has
been queued (read from the batcher's queue depth), so the rest must go in together as one batch.
"""

from __future__ import annotations

import threading
import time

from tests.serve.conftest import check_drawings

N_REQUESTS = 12


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def probs_by_class(model: dict) -> dict[str, float]:
    return {item["class"]: item["probability"] for item in model["top"]}


def test_concurrent_requests_are_batched(client, engine, monkeypatch):
    from seqdoodle.serve.batcher import Admission, MicroBatcher

    drawings = [d["drawing"] for d in check_drawings("raw")][:N_REQUESTS]
    assert len(drawings) == N_REQUESTS
    alone = [engine.predict(d, top_k=50)["models"] for d in drawings]

    release = threading.Event()
    held: dict[str, int] = {}  # model name -> size of the batch its worker holds
    batchers = []
    for served in engine.served:
        real = served.predict

        def hold_first(items, real=real, name=served.name):
            if name not in held:
                held[name] = len(items)
                release.wait(30)
            return real(items)

        batchers.append(MicroBatcher(hold_first, max_queue=N_REQUESTS, name=served.name))
        monkeypatch.setattr(served, "batcher", batchers[-1])

    room = Admission(N_REQUESTS, max_wait_ms=0)  # room for them all
    monkeypatch.setattr(engine, "admission", room)
    answers: list = [None] * N_REQUESTS

    def ask(i):
        answers[i] = client.post("/predict", json={"drawing": drawings[i], "top_k": 50})

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(N_REQUESTS)]
    try:
        for t in threads:
            t.start()

        def all_queued() -> bool:
            models = client.get("/health").json()["queues"]["models"]
            return all(
                name in held and models[name]["depth"] + held[name] == N_REQUESTS
                for name in engine.names
            )

        wait_until(all_queued)
    finally:
        release.set()
        for t in threads:
            t.join(60)
        for batcher in batchers:
            batcher.close()

    assert [a.status_code for a in answers] == [200] * N_REQUESTS
    stats = client.get("/health").json()["queues"]["models"]
    for name in engine.names:
        assert stats[name]["items"] == N_REQUESTS
        # the held batch, then everything that queued behind it in one batch
        assert stats[name]["batches"] == (2 if held[name] < N_REQUESTS else 1) < N_REQUESTS
    # batched answers equal the answers to the same drawings alone
    for a, b in zip(alone, answers, strict=True):
        for name in [*engine.names, "ensemble"]:
            pa, pb = probs_by_class(a[name]), probs_by_class(b.json()["models"][name])
            assert pa.keys() == pb.keys()
            assert max(abs(pa[c] - pb[c]) for c in pa) <= 1e-5

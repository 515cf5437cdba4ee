"""The JSON API of `seqdoodle serve` through FastAPI's TestClient."""

from __future__ import annotations

import base64
import io
import json
import threading
import time

import numpy as np
import pytest
from PIL import Image

from seqdoodle.serve.requests import MAX_BODY_BYTES, MAX_POINTS, MAX_STROKES
from tests.serve.conftest import check_drawings, raw_drawings

GOOD = {"drawing": [[[10, 200, 120, 10], [20, 30, 220, 20]], [[60, 140], [120, 120]]]}


def probs_by_class(answer: dict) -> dict[str, float]:
    return {item["class"]: item["probability"] for item in answer["top"]}


def test_health_classes_and_docs(client, engine, run_dirs):
    names = [p.name for p in run_dirs]  # one run per registered kind, named after it
    classes = json.loads((run_dirs[0] / "config.json").read_text())["classes"]
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["models"] == names
    assert set(health["queues"]["models"]) == set(names)
    info = client.get("/classes").json()
    assert set(info["models"]) == set(names)
    for name in names:
        assert info["models"][name]["kind"] == name
        assert info["models"][name]["classes"] == classes
    assert info["ensemble"] == engine.shared == classes
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert {"drawing", "format", "top_k"} <= set(body["schema"]["properties"])


def test_page_is_one_self_contained_file(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<canvas" in page and "pointerdown" in page and "getCoalescedEvents" in page
    assert 'name="viewport"' in page  # readable on a phone
    lowered = page.lower()
    for external in ("http://", "https://", "<link", "<script src", "@import", "url("):
        assert external not in lowered, external


def test_raw_drawing_answer_shape(client, engine, shared_quickdraw):
    from seqdoodle.strokes.raster import render_bitmap
    from seqdoodle.strokes.simplify import simplify_strokes

    raw = raw_drawings(shared_quickdraw, 1)[0]["drawing"]
    response = client.post("/predict", json={"drawing": raw, "top_k": 3, "image": True})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert {"models", "simplified"} <= set(answer)
    assert list(answer["models"]) == [*engine.names, "ensemble"]
    for model in answer["models"].values():
        assert set(model) == {"top"} and len(model["top"]) == 3
        p = [t["probability"] for t in model["top"]]
        assert p == sorted(p, reverse=True) and all(0 <= v <= 1 for v in p)
    simplified = simplify_strokes(raw)
    assert answer["simplified"] == simplified
    if "bitmap" in answer:  # the rendered bitmap, where the server sends it
        png = Image.open(io.BytesIO(base64.b64decode(answer["bitmap"])))
        assert png.size == (28, 28)
        np.testing.assert_array_equal(np.asarray(png), render_bitmap(simplified))


@pytest.mark.parametrize("fmt", ["raw", "simplified"])
def test_answers_equal_seqdoodle_predict_and_are_mostly_right(client, run_dirs, fmt, tmp_path):
    """Served probabilities equal `seqdoodle predict` on the same real drawings (1e-5), and the
    trained runs' top class is the true one on most of them (drawings outside their dataset)."""
    from typer.testing import CliRunner

    from seqdoodle.cli import app

    drawings = check_drawings(fmt)
    path = tmp_path / "checks.ndjson"
    path.write_text("".join(json.dumps(d) + "\n" for d in drawings))
    served = [
        client.post("/predict", json={"drawing": d["drawing"], "format": fmt, "top_k": 50})
        for d in drawings
    ]
    assert all(r.status_code == 200 for r in served)
    served = [r.json() for r in served]
    for run_dir in run_dirs:
        result = CliRunner().invoke(
            app, ["predict", str(run_dir), str(path), "--json", "-", "--top-k", "50"]
        )
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout[result.stdout.index("[") :])
        assert len(rows) == len(drawings)
        for row, answer in zip(rows, served, strict=True):
            cli = {t["class"]: t["probability"] for t in row["top"]}
            mine = answer["models"][run_dir.name]
            assert cli.keys() == probs_by_class(mine).keys()
            assert max(abs(cli[c] - probs_by_class(mine)[c]) for c in cli) <= 1e-5
            assert mine["top"][0]["class"] == row["top"][0]["class"]
    words = [d["word"] for d in drawings]
    for name in [*(p.name for p in run_dirs), "ensemble"]:
        right = [a["models"][name]["top"][0]["class"] == w for a, w in zip(served, words)]
        assert np.mean(right) >= (0.7 if fmt == "raw" else 0.5), (name, np.mean(right))


def test_ensemble_is_the_geometric_mean_over_shared_classes(client, engine):
    answer = client.post("/predict", json={**GOOD, "top_k": 50}).json()["models"]
    runs = [probs_by_class(answer[name]) for name in engine.names]
    ens = probs_by_class(answer["ensemble"])
    assert len(ens) == len(engine.shared)  # top_k is capped at the number of classes
    root = {c: np.prod([max(r[c], 1e-12) for r in runs]) ** (1 / len(runs)) for c in ens}
    total = sum(root.values())
    for cls, p in ens.items():
        assert p == pytest.approx(root[cls] / total, abs=1e-6)
    assert sum(ens.values()) == pytest.approx(1.0, abs=1e-6)


def test_formats_auto_simplified_raw(client):
    from seqdoodle.strokes.simplify import simplify_strokes

    auto = client.post("/predict", json={**GOOD, "format": "auto"}).json()
    simplified = client.post("/predict", json={**GOOD, "format": "simplified"}).json()
    raw = client.post("/predict", json={**GOOD, "format": "raw"}).json()
    assert auto == simplified  # integer strokes within 0..255 are taken as simplified
    assert simplified["simplified"] == GOOD["drawing"]
    assert raw["simplified"] != GOOD["drawing"]  # raw: rescaled, resampled, RDP
    assert raw["simplified"] == simplify_strokes(GOOD["drawing"])


def _many_strokes(n: int) -> list:
    return [[[i % 250, i % 250 + 1], [3, 4]] for i in range(n)]


def _compact(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


BAD_INPUTS = {
    "malformed JSON": (b'{"drawing": [[[1, 2], [3, 4]]', 400),
    "empty body": (b"", 400),
    "not UTF-8": (b'{"drawing": "\xff"}', 400),
    "not an object": (b"[[[1, 2], [3, 4]]]", 422),
    "missing drawing": (b'{"format": "raw"}', 422),
    "unknown field": (b'{"drawing": [[[1, 2], [3, 4]]], "topk": 3}', 422),
    "drawing is an object": (b'{"drawing": {"x": [1]}}', 422),
    "stroke is a number": (b'{"drawing": [5]}', 422),
    "nested too deep": (b'{"drawing": [[[[1], [2]], [[3], [4]]]]}', 422),
    "one list per stroke": (b'{"drawing": [[[1, 2]]]}', 422),
    "four lists per stroke": (b'{"drawing": [[[1], [2], [3], [4]]]}', 422),
    "empty drawing": (b'{"drawing": []}', 422),
    "empty stroke": (b'{"drawing": [[[1, 2], [3, 4]], []]}', 422),
    "stroke of empty lists": (b'{"drawing": [[[], []]]}', 422),
    "x and y lengths differ": (b'{"drawing": [[[1, 2, 3], [3, 4]]]}', 422),
    "t length differs": (b'{"drawing": [[[1, 2], [3, 4], [0]]]}', 422),
    "NaN": (b'{"drawing": [[[1, NaN], [3, 4]]]}', 422),
    "Infinity": (b'{"drawing": [[[1, 2], [3, -Infinity]]]}', 422),
    "overflow to infinity": (b'{"drawing": [[[1, 1e400], [3, 4]]]}', 422),
    "string coordinate": (b'{"drawing": [[[1, "2"], [3, 4]]]}', 422),
    "boolean coordinate": (b'{"drawing": [[[1, true], [3, 4]]]}', 422),
    "null coordinate": (b'{"drawing": [[[1, null], [3, 4]]]}', 422),
    "unknown format": (b'{"drawing": [[[1, 2], [3, 4]]], "format": "svg"}', 422),
    "format not a string": (b'{"drawing": [[[1, 2], [3, 4]]], "format": 3}', 422),
    "top_k 0": (b'{"drawing": [[[1, 2], [3, 4]]], "top_k": 0}', 422),
    "top_k negative": (b'{"drawing": [[[1, 2], [3, 4]]], "top_k": -2}', 422),
    "top_k a string": (b'{"drawing": [[[1, 2], [3, 4]]], "top_k": "3"}', 422),
    "top_k fractional": (b'{"drawing": [[[1, 2], [3, 4]]], "top_k": 2.5}', 422),
    "simplified out of range": (b'{"drawing": [[[1, 300], [3, 4]]], "format": "simplified"}', 422),
    "span beyond float64": (b'{"drawing": [[[1e308, -1e308], [0, 0]]]}', 422),
    "200,000 points": (_compact({"drawing": [[[0] * 200_000, [0] * 200_000]]}), 422),
    "20,000 strokes": (_compact({"drawing": _many_strokes(20_000)}), 422),
    "body over 1 MB": (json.dumps({"drawing": [[[1.5] * 150_000, [2.5] * 150_000]]}).encode(), 413),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_is_a_one_line_4xx_and_serving_goes_on(client, name):
    body, status = BAD_INPUTS[name]
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    message = response.json()["error"]
    assert isinstance(message, str) and message and "\n" not in message and len(message) < 300
    good = client.post("/predict", json=GOOD)
    assert good.status_code == 200 and "ensemble" in good.json()["models"]


def test_size_limits_are_what_the_bad_inputs_cross():
    assert len(BAD_INPUTS["200,000 points"][0]) <= MAX_BODY_BYTES  # refused for its points
    assert len(BAD_INPUTS["20,000 strokes"][0]) <= MAX_BODY_BYTES  # refused for its strokes
    assert len(BAD_INPUTS["body over 1 MB"][0]) > MAX_BODY_BYTES
    assert MAX_POINTS < 200_000 and MAX_STROKES < 20_000


def test_messages_name_what_is_wrong(client):
    def error(body: bytes) -> str:
        return client.post("/predict", content=body).json()["error"]

    assert "stroke 2" in error(BAD_INPUTS["empty stroke"][0])
    assert "x has 3" in error(BAD_INPUTS["x and y lengths differ"][0])
    assert "NaN" in error(BAD_INPUTS["NaN"][0])
    assert "200000 strokes" not in error(BAD_INPUTS["20,000 strokes"][0])
    assert "20000 strokes" in error(BAD_INPUTS["20,000 strokes"][0])
    assert "svg" in error(BAD_INPUTS["unknown format"][0])
    assert "top_k" in error(BAD_INPUTS["top_k 0"][0])


def test_chunked_body_over_the_limit_is_refused(client):
    def chunks():
        yield b'{"drawing": [[['
        for _ in range(1200):
            yield b"1.25," * 200
        yield b"1], [1]]]}"

    response = client.post("/predict", content=chunks())  # no Content-Length: chunked
    assert response.status_code == 413
    assert "bytes" in response.json()["error"]
    assert client.post("/predict", json=GOOD).status_code == 200


@pytest.mark.parametrize(
    "path", ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/static/page.html", "/page.html"]
)
def test_no_path_reaches_the_file_system(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "root:" not in response.text and "<canvas" not in response.text
    assert "error" in response.json()


def test_wrong_method_is_a_json_error(client):
    response = client.get("/predict")
    assert response.status_code == 405 and "error" in response.json()


def test_concurrent_requests_are_batched_and_answer_alike(engine):
    drawings = [[[[int(10 + 7 * i), 200, 120 + i], [20, int(30 + 5 * i), 220]]] for i in range(12)]
    alone = [engine.predict(d, top_k=12) for d in drawings]
    together: list = [None] * len(drawings)

    def ask(i):
        together[i] = engine.predict(drawings[i], top_k=12)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(drawings))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(alone, together):
        for name in [*engine.names, "ensemble"]:
            pa, pb = probs_by_class(a["models"][name]), probs_by_class(b["models"][name])
            assert max(abs(pa[c] - pb[c]) for c in pa) <= 1e-6


def test_micro_batcher_takes_what_queued_while_busy():
    from seqdoodle.serve.engine import MicroBatcher

    sizes, gate = [], threading.Event()

    def predict(items):
        sizes.append(len(items))
        if len(sizes) == 1:
            gate.wait(5)
        return [[float(x) * 10] for x in items]

    batcher = MicroBatcher(predict, max_batch=3)
    futures = [batcher.submit(0)]
    deadline = time.monotonic() + 5
    while not sizes and time.monotonic() < deadline:
        time.sleep(0.01)
    futures += [batcher.submit(i) for i in range(1, 7)]  # they queue while batch 1 is held
    gate.set()
    assert [f.result(5)[0] for f in futures] == [0, 10, 20, 30, 40, 50, 60]
    assert sizes[0] == 1 and sizes[1:] == [3, 3]
    batcher.close()


def test_a_failing_model_fails_only_its_batch():
    from seqdoodle.serve.engine import MicroBatcher

    def predict(items):
        if "bad" in items:
            raise ValueError("boom")
        return [[1.0] for _ in items]

    batcher = MicroBatcher(predict)
    with pytest.raises(ValueError, match="boom"):
        batcher.submit("bad").result(5)
    assert batcher.submit("good").result(5) == [1.0]
    batcher.close()


def test_run_names_are_unique_and_never_ensemble(tmp_path):
    from seqdoodle.serve.engine import run_names

    paths = [tmp_path / "a" / "cnn", tmp_path / "b" / "cnn", tmp_path / "ensemble"]
    assert run_names(paths) == ["cnn", "cnn-2", "ensemble-2"]


def test_serve_binds_localhost_by_default():
    import inspect

    from typer.testing import CliRunner

    from seqdoodle.cli import app
    from seqdoodle.serve import serve

    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "127.0.0.1" in result.output


def test_serve_a_missing_run_is_one_line(tmp_path):
    from typer.testing import CliRunner

    from seqdoodle.cli import app

    result = CliRunner().invoke(app, ["serve", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "nope" in result.output and "Traceback" not in result.output


def test_onnx_and_keras_backends_answer_alike(engine, run_dirs, shared_quickdraw):
    from seqdoodle.serve.engine import load_engine

    assert {s.backend for s in engine.served} == {"onnx"}  # auto picks onnxruntime
    keras_engine = load_engine(run_dirs, backend="keras", warm=False)
    try:
        assert {s.backend for s in keras_engine.served} == {"keras"}
        for d in raw_drawings(shared_quickdraw, 4):
            a = engine.predict(d["drawing"], top_k=12)["models"]
            b = keras_engine.predict(d["drawing"], top_k=12)["models"]
            for name in [*engine.names, "ensemble"]:
                pa, pb = probs_by_class(a[name]), probs_by_class(b[name])
                assert max(abs(pa[c] - pb[c]) for c in pa) <= 1e-5
    finally:
        keras_engine.close()


def test_unknown_backend_is_refused(run_dirs):
    from seqdoodle.serve.engine import load_engine

    with pytest.raises(ValueError, match="unknown backend 'tpu'"):
        load_engine(run_dirs[:1], backend="tpu", warm=False)


@pytest.mark.parametrize(
    "drawing",
    [
        [[[120.5], [80.25], [0]]],  # a single tap
        [[[7], [9]]],  # one simplified point
        [[[0, 0, 0], [5, 5, 5]], [[3, 3], [3, 3]]],  # strokes of repeated points
        [[[-50.0, 1e6, 3.5], [2e-3, -7.0, 1e5], [0.0, 16.7, 33.4]]],  # wild but finite
    ],
)
def test_odd_but_valid_drawings_are_answered(client, drawing):
    response = client.post("/predict", json={"drawing": drawing})
    assert response.status_code == 200, response.text
    assert all(len(m["top"]) == 3 for m in response.json()["models"].values())


def test_old_runs_still_serve(old_run_dirs):
    """The 1-epoch runs saved at fc5b9ec (an older run format) serve, equal to their `Run`."""
    from seqdoodle.datasets.records import Drawing
    from seqdoodle.runs.folder import load_run
    from seqdoodle.serve.engine import load_engine

    engine = load_engine(old_run_dirs, warm=False)
    try:
        answer = engine.predict(GOOD["drawing"], top_k=50)["models"]
        assert list(answer) == [*(p.name for p in old_run_dirs), "ensemble"]
        for path in old_run_dirs:
            run = load_run(path)
            want = run.predict_proba([Drawing("", strokes=GOOD["drawing"])])[0]
            got = probs_by_class(answer[path.name])
            assert len(got) == len(run.classes) == 12
            assert max(abs(got[c] - float(want[i])) for i, c in enumerate(run.classes)) <= 1e-5
    finally:
        engine.close()

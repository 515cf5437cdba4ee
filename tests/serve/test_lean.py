"""Lean serving: the ONNX export cached in the run folder, workers without TensorFlow, per-request
work only where a request needs it, and an ensemble folder served with its fitted weights."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from seqdoodle.datasets.records import Drawing
from tests.serve.conftest import REPO_ROOT, raw_drawings

pytest.importorskip("onnxruntime")
pytest.importorskip("tf2onnx")


@pytest.fixture(scope="module")
def cached_runs(current_runs, tmp_path_factory) -> dict:
    """Copies of the current runs with their ONNX exports cached (by one `load_engine`)."""
    from seqdoodle.serve.engine import load_engine

    root = tmp_path_factory.mktemp("lean")
    runs = {}
    for kind, path in current_runs.items():
        runs[kind] = root / kind
        shutil.copytree(path, runs[kind], ignore=shutil.ignore_patterns("onnx", ".lock"))
    engine = load_engine(list(runs.values()), backend="onnx", warm=False)
    try:
        assert all(s.predict.cached is False for s in engine.served)  # exported now
    finally:
        engine.close()
    return runs


def test_the_export_is_cached_in_the_run_folder_keyed_by_the_model_sha256(cached_runs):
    from seqdoodle.fileio import sha256_file
    from seqdoodle.runs.layout import RunLayout
    from seqdoodle.serve.engine import load_engine

    for path in cached_runs.values():
        layout = RunLayout(path)
        sha = sha256_file(layout.model)
        info = json.loads(layout.onnx_cache_info(sha).read_text("utf-8"))
        assert layout.onnx_cache(sha).is_file()
        assert info["cache"]["model_sha256"] == sha and info["file"] == layout.onnx_cache(sha).name
    engine = load_engine(list(cached_runs.values()), backend="onnx", warm=False)
    try:
        assert [s.predict.cached for s in engine.served] == [True] * len(cached_runs)
    finally:
        engine.close()


def test_a_changed_model_is_exported_again(cached_runs, tmp_path):
    from seqdoodle.serve.backends import find_cache
    from seqdoodle.serve.loading import open_run

    run_dir = tmp_path / "cnn"
    shutil.copytree(cached_runs["cnn"], run_dir)
    assert find_cache(open_run(run_dir)) is not None
    with open(run_dir / "model.keras", "ab") as f:  # another sha256 (zip readers ignore the tail)
        f.write(b"\0")
    assert find_cache(open_run(run_dir)) is None


def test_a_run_folder_that_cannot_be_written_caches_under_the_user_cache(
    current_runs, tmp_path, monkeypatch
):
    from seqdoodle.serve.backends import make_predictor
    from seqdoodle.serve.engine import _warm_drawings
    from seqdoodle.serve.loading import open_run

    run_dir = tmp_path / "rnn"
    shutil.copytree(current_runs["rnn"], run_dir, ignore=shutil.ignore_patterns("onnx"))
    (run_dir / "onnx").write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    notes: list = []
    predict, backend = make_predictor(open_run(run_dir), "onnx", _warm_drawings(2), notes)
    assert backend == "onnx"
    assert list((tmp_path / "cache" / "seqdoodle" / "onnx").glob("model-*.onnx"))
    assert len(notes) == 1 and "cached under" in notes[0] and str(tmp_path / "cache") in notes[0]


def test_a_cached_worker_imports_neither_tensorflow_nor_sklearn(cached_runs, shared_quickdraw):
    drawing = raw_drawings(shared_quickdraw, 1)[0]["drawing"]
    script = textwrap.dedent(
        f"""
        import json, sys
        from seqdoodle.serve.engine import load_engine
        engine = load_engine({[str(p) for p in cached_runs.values()]!r}, backend="auto")
        answer = engine.predict(json.loads({json.dumps(json.dumps(drawing))}), image=True)
        heavy = ("tensorflow", "keras", "tf2onnx", "sklearn")  # sklearn: 1.5 s on a first request
        loaded = sorted(m for m in heavy if m in sys.modules)
        print(json.dumps({{"backends": [s.backend for s in engine.served], "loaded": loaded,
                          "models": sorted(answer["models"]), "png": "bitmap" in answer}}))
        engine.close()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["backends"] == ["onnx"] * len(cached_runs)
    assert out["loaded"] == []
    assert out["png"] and "ensemble" in out["models"]


def test_served_answers_equal_predict_and_the_keras_backend(cached_runs, shared_quickdraw):
    from seqdoodle.serve.engine import load_engine

    engine = load_engine(list(cached_runs.values()), backend="onnx", warm=False)
    keras_engine = load_engine(list(cached_runs.values()), backend="keras", warm=False)
    try:
        for record in raw_drawings(shared_quickdraw, 4):
            simplified, ink, drawing = engine.prepare(record["drawing"])
            items = engine.inputs(drawing, ink)
            for served, item in zip(engine.served, items, strict=True):
                got = served.predict([item])[0]
                want = served.run.predict_proba([Drawing("", strokes=record["drawing"])])[0]
                np.testing.assert_allclose(got, want, atol=1e-5)
            a = engine.predict(record["drawing"], top_k=50)
            b = keras_engine.predict(record["drawing"], top_k=50)
            for name in a["models"]:
                pa = {c["class"]: c["probability"] for c in a["models"][name]["top"]}
                pb = {c["class"]: c["probability"] for c in b["models"][name]["top"]}
                assert pa.keys() == pb.keys()
                assert max(abs(pa[c] - pb[c]) for c in pa) <= 1e-5
    finally:
        engine.close()
        keras_engine.close()


def test_each_rendering_is_made_once_and_only_when_needed(cached_runs, shared_quickdraw):
    from seqdoodle.serve.engine import load_engine
    from seqdoodle.strokes.raster import render_bitmap
    from seqdoodle.strokes.timeraster import render_channels

    record = raw_drawings(shared_quickdraw, 1)[0]["drawing"]
    stroke_only = load_engine([cached_runs["rnn"]], warm=False)
    everything = load_engine(list(cached_runs.values()), warm=False)
    try:
        _, ink, drawing = stroke_only.prepare(record)
        stroke_only.inputs(drawing, ink)
        assert ink.rendered == 0  # a stroke model alone renders nothing
        assert "bitmap" not in stroke_only.predict(record)
        simplified, ink, drawing = everything.prepare(record)
        items = everything.inputs(drawing, ink)
        assert ink.rendered == 1  # one pass: the channels, whose ink is the CNN's bitmap
        by_kind = dict(zip([s.kind for s in everything.served], items, strict=True))
        np.testing.assert_array_equal(by_kind["cnn"].bitmap, render_bitmap(simplified))
        timecnn = everything.served[[s.kind for s in everything.served].index("timecnn")]
        np.testing.assert_array_equal(
            by_kind["timecnn"].bitmap,
            render_channels(simplified, 28, timecnn.input_config["channels"]),
        )
        assert "bitmap" not in everything.predict(record)
        assert "bitmap" in everything.predict(record, image=True)
    finally:
        stroke_only.close()
        everything.close()


def _stand_in_ensemble(folder, runs: dict, weights: dict, pool: str = "log") -> None:
    """An ensemble folder as `seqdoodle ensemble` writes it, with weights chosen here."""
    from seqdoodle.fileio import sha256_file, write_json
    from seqdoodle.runs.ensemble_folder import FORMAT, FORMAT_VERSION
    from seqdoodle.runs.folder import load_run

    classes = load_run(next(iter(runs.values()))).classes
    folder.mkdir()
    members = [
        {"name": n, "kind": n, "weight": weights[n], "path": str(p), "abs_path": str(p),
         "model_sha256": sha256_file(p / "model.keras"), "copied": False}
        for n, p in runs.items()
    ]  # fmt: skip
    write_json(folder / "ensemble.json", {
        "format": FORMAT, "format_version": FORMAT_VERSION, "members": members, "pool": pool,
        "classes": classes,
    })  # fmt: skip


@pytest.mark.parametrize("pool", ["log", "linear"])
def test_an_ensemble_folder_is_served_with_its_fitted_weights(
    cached_runs, shared_quickdraw, tmp_path, pool
):
    from fastapi.testclient import TestClient

    from seqdoodle.runs.ensemble import load_model
    from seqdoodle.serve.app import create_app
    from seqdoodle.serve.engine import load_engine

    weights = dict(zip(cached_runs, [0.5, 0.25, 0.15, 0.1]))  # one a kind
    _stand_in_ensemble(tmp_path / "ens", cached_runs, weights, pool)
    ensemble = load_model(tmp_path / "ens")
    engine = load_engine([tmp_path / "ens"], warm=False)
    plain = load_engine(list(cached_runs.values()), warm=False)
    try:
        assert engine.names == list(cached_runs)
        with TestClient(create_app(engine)) as client:
            health = client.get("/health").json()["ensemble"]
            assert health["weighting"] == "fitted" and health["pool"] == pool
            assert health["says"] == "weights fitted on validation"
            assert health["weights"] == pytest.approx(weights)
            for record in raw_drawings(shared_quickdraw, 3):
                body = {"drawing": record["drawing"], "top_k": 100}
                top = client.post("/predict", json=body).json()["models"]["ensemble"]["top"]
                got = {c["class"]: c["probability"] for c in top}
                want = ensemble.predict_proba([Drawing("", strokes=record["drawing"])])[0]
                assert max(abs(got[c] - want[i]) for i, c in enumerate(ensemble.classes)) <= 1e-5
        equal = plain.ensemble_info()
        assert equal["weighting"] == "equal" and equal["says"].startswith("equal weights")
    finally:
        engine.close()
        plain.close()


def test_an_ensemble_folder_is_served_alone(cached_runs, tmp_path):
    from seqdoodle.errors import DataFormatError
    from seqdoodle.serve.loading import open_served

    _stand_in_ensemble(tmp_path / "ens", cached_runs, dict.fromkeys(cached_runs, 0.5))
    with pytest.raises(DataFormatError, match="served alone"):
        open_served([tmp_path / "ens", cached_runs["cnn"]])

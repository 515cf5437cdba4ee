"""Runs saved by older seqdoodle code load and predict as they did.

`tests/fixtures/runs_fc5b9ec` (cnn, rnn) keep the stroke scale outside the model (in config.json);
`Run` applies it itself. `tests/fixtures/runs_0cc056b` (cnn, rnn, timecnn) were saved by the last
commit of the flat module layout, training records and checkpoint state included. Each fixture
holds drawings (simplified and raw) and the probabilities the old code gave for them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from seqdoodle.datasets.records import Drawing
from seqdoodle.runs.folder import load_run

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE = FIXTURES / "runs_fc5b9ec"
OLD_RUNS = [("runs_fc5b9ec", "cnn"), ("runs_fc5b9ec", "rnn"), ("runs_0cc056b", "cnn"),
            ("runs_0cc056b", "rnn"), ("runs_0cc056b", "timecnn")]  # fmt: skip


def _expected(fixture: str) -> dict:
    return json.loads((FIXTURES / fixture / "expected.json").read_text("utf-8"))


def _drawings(rows: list[dict]) -> list[Drawing]:
    return [Drawing(r["word"], strokes=r["drawing"], key_id=r.get("key_id")) for r in rows]


@pytest.mark.parametrize("fixture, kind", OLD_RUNS, ids=[f"{f[5:]}-{k}" for f, k in OLD_RUNS])
def test_an_old_run_predicts_what_it_predicted(fixture, kind):
    expected = _expected(fixture)
    run = load_run(FIXTURES / fixture / kind)
    assert run.kind == kind
    for fmt in ("simplified", "raw"):
        probs = run.predict_proba(_drawings(expected["drawings"][fmt]))
        want = np.asarray(expected["probabilities"][kind][fmt], np.float32)
        assert probs.shape == want.shape and want.shape[0] >= 4
        np.testing.assert_allclose(probs, want, atol=1e-5, rtol=0)
        assert np.ptp(want, axis=0).max() > 1e-3  # the drawings give different outputs


@pytest.mark.parametrize("fixture, kind", OLD_RUNS, ids=[f"{f[5:]}-{k}" for f, k in OLD_RUNS])
def test_an_old_run_keeps_its_training_records(fixture, kind):
    run = load_run(FIXTURES / fixture / kind)
    history = run.history
    assert history["epoch"] == [1] and len(history["val_accuracy"]) == 1
    saved = run.test_predictions
    assert saved.classes == run.classes and saved.ids is not None
    assert saved.probs.shape == (len(saved.y_true), len(run.classes))
    top1 = float(np.mean(saved.probs.argmax(axis=1) == saved.y_true))
    assert run.metrics["top1"] == pytest.approx(top1) and run.metrics["n"] == len(saved.ids)
    if fixture == "runs_0cc056b":  # the checkpoint state (without its weights) was kept
        summary = run.summary
        assert summary["kind"] == kind and summary["epochs_run"] == 1
        assert summary["test_top1"] == pytest.approx(top1)
    else:
        assert run.summary is None


def test_an_old_stroke_run_keeps_its_scale_outside_the_model():
    run = load_run(FIXTURE / "rnn")
    assert "scale_in_model" not in run.config["input"]
    names = [layer.name for layer in run.model.get_layer("backbone").layers]
    assert "stroke_scale" not in names
    spec = run.input_spec
    assert "divided by" in spec["how"] and str(run.config["input"]["scale"][0]) in spec["how"]


@pytest.mark.parametrize("kind, presets", [("rnn", "STROKE_ARCHS"), ("cnn", "BITMAP_ARCHS")])
def test_a_new_run_predicts_the_same_after_its_preset_is_edited(tmp_path, monkeypatch, kind,
                                                                presets):  # fmt: skip
    import copy

    import keras

    from seqdoodle.kinds import get_kind
    from seqdoodle.kinds.inputs import StrokeFeatures, bitmap_config
    from seqdoodle.models import presets as preset_module
    from seqdoodle.runs.folder import save_run

    model_kind = get_kind(kind)
    if model_kind.needs_strokes:
        config = StrokeFeatures(scale=(0.2, 0.3), scale_in_model=True).to_config()
    else:
        config = bitmap_config(28)
    keras.utils.set_random_seed(3)
    classes = ["a", "b", "c"]
    model = model_kind.build_model("default", len(classes), config, seed=0)
    save_run(tmp_path, model, {"kind": kind, "arch": "default", "input": config}, classes)
    rows = _expected("runs_fc5b9ec")["drawings"]["simplified"]
    drawings = _drawings(rows)
    before = load_run(tmp_path).predict_proba(drawings)
    edited = copy.deepcopy(getattr(preset_module, presets))
    for settings in edited.values():  # every number of every preset changes
        for key, value in settings.items():
            if isinstance(value, list) and value and isinstance(value[0], int):
                settings[key] = [v + 8 for v in value]
            elif isinstance(value, int) and not isinstance(value, bool) and value > 0:
                settings[key] = value + 8
    table = getattr(preset_module, presets)
    for arch, settings in edited.items():  # in place: every module sees the edit
        monkeypatch.setitem(table, arch, settings)
    rebuilt = model_kind.build_model("default", len(classes), config, seed=0)
    assert rebuilt.count_params() != model.count_params()  # the edit changes new models
    after = load_run(tmp_path).predict_proba(drawings)
    np.testing.assert_allclose(after, before, atol=1e-5, rtol=0)

"""`seqdoodle export`: ONNX, LiteRT and SavedModel round trips for every kind, checked in their
runtimes, and the failures that must leave nothing behind.

The round trips export the trained current runs (`tests/fixtures/runs_current`), so a file that
lost the trained weights would no longer name the true class of real drawings; one test exports
an fc5b9ec run to prove that old runs still export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from seqdoodle.kinds import kind_names
from tests.conftest import current_expected

OLD_RUNS = Path(__file__).resolve().parent / "fixtures" / "runs_fc5b9ec"
FORMATS = {"onnx": "model.onnx", "tflite": "model.tflite", "savedmodel": "model_savedmodel"}


@pytest.fixture(scope="module")
def runs(current_runs):
    """The trained current runs, `{kind name: Run}`, loaded once."""
    from seqdoodle.runs.folder import load_run

    return {name: load_run(path) for name, path in current_runs.items()}


@pytest.fixture(scope="module")
def old_runs(tmp_path_factory):
    """The 1-epoch runs saved at fc5b9ec (12 synthetic classes), loaded once."""
    from seqdoodle.runs.folder import load_run

    if not (OLD_RUNS / "cnn" / "config.json").is_file():
        pytest.fail(f"the saved-run fixture is missing at {OLD_RUNS}", pytrace=False)
    root = tmp_path_factory.mktemp("old_runs")
    out = {}
    for kind in ("cnn", "rnn"):
        shutil.copytree(OLD_RUNS / kind, root / kind, ignore=shutil.ignore_patterns(".lock"))
        out[kind] = load_run(root / kind)
    return out


def check_drawings():
    """The current runs' raw check drawings (real, in no split of their dataset)."""
    from seqdoodle.datasets.records import Drawing

    return [
        Drawing(d["word"], strokes=d["drawing"], key_id=d.get("key_id"), fmt="raw")
        for d in current_expected()["drawings"]["raw"]
    ]


def synthetic(n_per_class: int = 1, fmt: str = "raw"):
    from seqdoodle.datasets.synthetic import SYNTHETIC_CLASSES, synthetic_drawings

    return [d for c in SYNTHETIC_CLASSES[:6] for d in synthetic_drawings(c, n_per_class, 5, fmt)]


def by_hand(run, drawings) -> list[np.ndarray]:
    """Inputs made as the JSON's `input` says, from the simplified strokes: `render_bitmap`,
    `drawing_to_stroke3` or `render_channels` (by the run's input type)."""
    from seqdoodle.strokes.raster import render_bitmap
    from seqdoodle.strokes.simplify import simplify_strokes
    from seqdoodle.strokes.stroke3 import drawing_to_stroke3
    from seqdoodle.strokes.timeraster import render_channels

    out = []
    cfg = run.input_config
    for d in drawings:
        strokes = simplify_strokes(d.strokes)
        if cfg["type"] == "bitmap":
            image = render_bitmap(strokes, size=cfg["size"])[None, ..., None]
        elif cfg["type"] == "channels":
            image = render_channels(strokes, size=cfg["size"], channels=cfg["channels"])[None]
        else:
            options = {k: cfg[k] for k in ("normalize", "flag", "max_len", "truncate")}
            image = drawing_to_stroke3(strokes, **options)[None]
        out.append(image.astype(np.float32))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("kind", kind_names())
def test_round_trip(runs, kind, fmt, tmp_path):
    from seqdoodle.export.checks import RUNTIMES
    from seqdoodle.export.formats import export_run

    run = runs[kind]
    out = tmp_path / FORMATS[fmt]
    result = export_run(run, fmt, out, n_check=12)
    assert out.exists() and result.path == out
    assert result.max_abs_diff <= 1e-4 and result.top1_agreement == 1.0
    assert result.n_checked == 12 and "drawings" in result.source
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, out.name + ".json"])

    info = json.loads((tmp_path / (out.name + ".json")).read_text())
    assert info["classes"] == run.classes and info["kind"] == kind and info["format"] == fmt
    spec = info["input"]
    assert spec["dtype"] == "float32"
    cfg = run.input_config
    side = cfg.get("size")
    if cfg["type"] == "bitmap":
        assert spec["shape"][1:] == [side, side, 1] and "render_bitmap" in spec["how"]
    elif cfg["type"] == "channels":
        n = len(cfg["channels"])
        assert spec["shape"][1:] == [side, side, n] and "render_channels" in spec["how"]
    else:
        assert cfg["type"] == "stroke3" and spec["shape"][1:] == [None, 3]  # dynamic length
        assert "drawing_to_stroke3" in spec["how"] and "divided by" not in spec["how"]
    assert spec["shape"][0] == (1 if fmt == "tflite" and cfg["type"] == "stroke3" else None)

    # The file, fed inputs made by hand as the JSON says, agrees with `Run.predict_proba` and,
    # holding the trained weights, names the true class of most real drawings.
    drawings = check_drawings()
    name, predict = RUNTIMES[fmt](out)
    assert name == spec["name"]
    got = np.asarray(predict(by_hand(run, drawings)))
    want = run.predict_proba(drawings)
    assert np.abs(got - want).max() <= 1e-4
    assert (got.argmax(1) == want.argmax(1)).all()
    right = [run.classes[i] == d.word for i, d in zip(got.argmax(1), drawings, strict=True)]
    assert np.mean(right) >= 0.7


@pytest.mark.slow
def test_an_old_run_still_exports(old_runs, tmp_path):
    """A run saved at fc5b9ec (scale in config.json) exports to ONNX, agreeing with Keras."""
    from seqdoodle.export.checks import RUNTIMES
    from seqdoodle.export.formats import export_run

    for kind, run in old_runs.items():
        out = tmp_path / f"{kind}.onnx"
        result = export_run(run, "onnx", out, n_check=6)
        assert result.max_abs_diff <= 1e-4 and result.top1_agreement == 1.0
        _, predict = RUNTIMES["onnx"](out)
        drawings = synthetic()
        got = np.asarray(predict(by_hand(run, drawings)))
        assert np.abs(got - run.predict_proba(drawings)).max() <= 1e-4


@pytest.mark.slow
def test_onnx_stroke_model_takes_any_length_and_batch(runs, tmp_path):
    import onnxruntime as ort

    from seqdoodle.export.formats import export_run

    run = runs["rnn"]
    export_run(run, "onnx", tmp_path / "rnn.onnx", n_check=4)
    session = ort.InferenceSession(str(tmp_path / "rnn.onnx"), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    for batch, length in ((1, 3), (5, 40), (2, 250)):
        x = np.zeros((batch, length, 3), np.float32)
        x[:, :, :2] = rng.normal(0, 0.05, (batch, length, 2))
        x[:, -1, 2] = 1
        got = session.run(None, {"strokes": x})[0]
        from seqdoodle.export.raw_input import raw_input_model

        want = np.asarray(raw_input_model(run).predict_on_batch(x))
        assert got.shape == (batch, len(run.classes))
        assert np.abs(got - want).max() <= 1e-4


@pytest.mark.slow
def test_a_disagreeing_export_leaves_nothing(runs, tmp_path):
    from seqdoodle.errors import DataFormatError
    from seqdoodle.export.formats import export_run

    out = tmp_path / "cnn.onnx"
    with pytest.raises(DataFormatError, match="disagrees with Keras.*nothing written"):
        export_run(runs["cnn"], "onnx", out, n_check=4, tolerance=-1.0)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_failed_export_keeps_an_older_file(runs, tmp_path):
    from seqdoodle.errors import DataFormatError
    from seqdoodle.export.formats import export_run

    out = tmp_path / "cnn.tflite"
    out.write_bytes(b"older")
    with pytest.raises(DataFormatError):
        export_run(runs["cnn"], "tflite", out, n_check=2, tolerance=-1.0)
    assert out.read_bytes() == b"older" and sorted(p.name for p in tmp_path.iterdir()) == [
        "cnn.tflite"
    ]


def test_bad_arguments_are_one_line(runs, tmp_path):
    from seqdoodle.errors import DataFormatError
    from seqdoodle.export.formats import export_run

    with pytest.raises(DataFormatError, match="unknown export format 'coreml'"):
        export_run(runs["cnn"], "coreml", tmp_path / "m.mlmodel")
    with pytest.raises(DataFormatError, match=r"needs a path ending in \.tflite"):
        export_run(runs["cnn"], "tflite", tmp_path / "m.lite")
    with pytest.raises(DataFormatError, match="no such folder"):
        export_run(runs["cnn"], "onnx", tmp_path / "missing" / "m.onnx")
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataFormatError, match="not a folder"):
        export_run(runs["cnn"], "savedmodel", tmp_path / "file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_old_stroke_runs_are_wrapped_with_their_scale(old_runs, runs):
    from seqdoodle.export.raw_input import raw_input_model, stroke_scale

    run = old_runs["rnn"]
    scale = stroke_scale(run)
    assert scale == tuple(run.config["input"]["scale"])  # an old run keeps it in config.json
    model = raw_input_model(run)
    assert model is not run.model and stroke_scale(old_runs["cnn"]) is None
    current = runs["rnn"]  # a run of today's format holds its scale in the model
    assert stroke_scale(current) is None and raw_input_model(current) is current.model
    x = np.zeros((1, 6, 3), np.float32)
    x[0, :, 0], x[0, :, 1], x[0, -1, 2] = 0.1, -0.05, 1
    scaled = x.copy()
    scaled[..., 0] /= scale[0]
    scaled[..., 1] /= scale[1]
    np.testing.assert_allclose(
        model.predict_on_batch(x), run.model.predict_on_batch(scaled), atol=1e-6
    )


@pytest.mark.slow
def test_cli_export_prints_the_check(runs, tmp_path):
    from typer.testing import CliRunner

    from seqdoodle.cli import app

    out = tmp_path / "cnn.onnx"
    result = CliRunner().invoke(
        app,
        ["export", str(runs["cnn"].path), "--format", "onnx", "--out", str(out), "--check", "4"],
    )
    assert result.exit_code == 0, result.output
    assert "largest probability difference" in result.output and "100.0%" in result.output
    assert out.is_file() and (tmp_path / "cnn.onnx.json").is_file()
    bad = CliRunner().invoke(
        app, ["export", str(runs["cnn"].path), "--format", "tflite", "--out", str(tmp_path / "x")]
    )
    assert bad.exit_code == 1 and "Error:" in bad.output and "Traceback" not in bad.output


def test_a_format_that_cannot_hold_the_model_says_why(runs, tmp_path, monkeypatch):
    import seqdoodle.export.formats as export
    from seqdoodle.errors import DataFormatError

    def refuse(run, model, fmt, tmp):
        tmp.write_bytes(b"half a file")
        raise RuntimeError("op Foo is not supported\nsecond line")

    monkeypatch.setattr(export, "_write", refuse)
    with pytest.raises(DataFormatError) as info:
        export.export_run(runs["cnn"], "onnx", tmp_path / "cnn.onnx", n_check=2)
    message = str(info.value)
    assert "onnx cannot hold the cnn model" in message and "op Foo" in message
    assert "\n" not in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_stroke_litert_with_select_tf_ops_is_refused_in_one_line(runs, tmp_path, monkeypatch):
    """Keras' default LiteRT export of the masked LSTM needs Select TF ops (Flex), which the
    interpreter of pip TensorFlow does not run; the export says so and leaves nothing."""
    import warnings

    import tensorflow as tf

    import seqdoodle.export.checks as checks
    import seqdoodle.export.formats as export
    from seqdoodle.errors import DataFormatError

    def keras_default(run, model, fmt, tmp):
        model.export(str(tmp), format="litert", verbose=False)

    def pip_tensorflow_interpreter(path):  # not ai_edge_litert's, which may link Flex
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
            return tf.lite.Interpreter(model_path=str(path))

    monkeypatch.setattr(export, "_write", keras_default)
    monkeypatch.setattr(checks, "_tflite_interpreter", pip_tensorflow_interpreter)
    with pytest.raises(DataFormatError) as info:
        export.export_run(runs["rnn"], "tflite", tmp_path / "rnn.tflite", n_check=2)
    message = str(info.value)
    assert "the LiteRT interpreter cannot run the exported rnn model" in message, message
    assert "Select TensorFlow op" in message and "\n" not in message
    assert list(tmp_path.iterdir()) == []

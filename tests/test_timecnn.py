"""The multi-channel stroke-order rendering and the `timecnn` model kind."""

from __future__ import annotations

import numpy as np
import pytest

from seqdoodle.datasets.records import Drawing
from seqdoodle.errors import DataFormatError
from seqdoodle.kinds import get_kind, kind_names
from seqdoodle.strokes.points import strokes_to_points
from seqdoodle.strokes.raster import cairo_available, render_bitmap
from seqdoodle.strokes.timeraster import (
    check_channels,
    render_channels,
    render_channels_batch,
    render_points_batch,
)

CROSS = [[[0, 255], [0, 255]], [[0, 255], [255, 0]]]
APART = [[[0, 60], [0, 0]], [[0, 60], [255, 255]]]  # two strokes that do not touch


def _drawings(n=12, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        strokes = []
        for _ in range(rng.integers(1, 5)):
            k = int(rng.integers(1, 9))
            strokes.append([rng.integers(0, 256, k).tolist(), rng.integers(0, 256, k).tolist()])
        out.append(strokes)
    return out


@pytest.mark.parametrize("size", [28, 64])
def test_ink_channel_is_google_bitmap_byte_for_byte(size):
    for strokes in _drawings() + [CROSS, APART, [[[7], [9]]]]:
        image = render_channels(strokes, size=size)
        assert image.shape == (size, size, 3) and image.dtype == np.uint8
        assert np.array_equal(image[..., 0], render_bitmap(strokes, size=size))


def test_order_channel_fades_with_stroke_order():
    order = render_channels(APART, channels=["order", "ink"])
    top, bottom = order[:14, :, 0], order[14:, :, 0]
    assert top.max() == 255  # first stroke at full intensity
    assert bottom.max() == 242  # the second 13 levels darker
    # ink: both strokes white
    assert order[:14, :, 1].max() == 255 and order[14:, :, 1].max() == 255


def test_index_channel_runs_along_the_drawing():
    line = [np.linspace(0, 255, 9).round().astype(int).tolist(), [128] * 9]
    line = [line]
    index = render_channels(line, channels=["index"])[..., 0].astype(int)
    left, right = index[:, :10].max(), index[:, -10:].max()
    assert left > right + 100  # the start of the line is brighter than its end
    # no times: speed stays black; with times it lights up
    assert render_channels(line, channels=["speed"]).max() == 0
    timed = [[[0, 128, 255], [128, 128, 128], [0, 100, 200]]]
    assert render_channels(timed, channels=["speed"]).max() > 0


def test_points_batch_equals_strokes_batch():
    drawings = _drawings(6, seed=1)
    points = [strokes_to_points(d) for d in drawings]
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in points])])
    rows = [4, 0, 2]
    from_points = render_points_batch(np.concatenate(points), offsets, rows)
    from_strokes = render_channels_batch([drawings[i] for i in rows])
    assert np.array_equal(from_points, from_strokes)


@pytest.mark.skipif(not cairo_available(), reason="needs libcairo")
def test_numpy_fallback_is_close_to_cairo():
    exact = render_channels(CROSS).astype(int)
    approx = render_channels(CROSS, backend="numpy").astype(int)
    assert np.abs(exact - approx).mean() < 3


def test_bad_channels_and_drawings_are_refused():
    with pytest.raises(DataFormatError, match="unknown"):
        check_channels(["ink", "colour"])
    with pytest.raises(DataFormatError, match="repeated"):
        check_channels(["ink", "ink"])
    with pytest.raises(DataFormatError, match="drawing 1"):
        render_channels_batch([CROSS, []])


def test_timecnn_kind_is_registered():
    assert "timecnn" in kind_names()
    kind = get_kind("timecnn")
    assert kind.needs_strokes and kind.archs[0] == "default"
    spec = kind.input_spec(kind.run_input_config(None))
    assert spec["shape"] == [None, 28, 28, 3] and spec["dtype"] == "float32"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    from seqdoodle.datasets.prepare import prepare

    root = tmp_path_factory.mktemp("timecnn")
    return prepare("synthetic", root / "ds", classes=["circle", "square"], per_class=12,
                   progress=False)  # fmt: skip


def test_batches_match_drawing_inputs_and_train(data):

    kind = get_kind("timecnn")
    config = kind.fit_input_config(data, data.indices("train"))
    rows = data.indices("train")
    batches = kind.batches(data, rows, 8, config, train=True)
    x, y = next(batches.epoch(0))
    assert x.shape[1:] == (data.size, data.size, 3) and x.dtype == np.float32
    again = batches.inputs(np.sort(rows[:5]))  # served from the cache, same values
    drawings = list(data.drawings(np.sort(rows[:5])))
    assert np.array_equal(again, kind.drawing_inputs(drawings, config))
    model = kind.build_model("default", len(data.classes), config, seed=0)
    assert model.input_shape == (None, data.size, data.size, 3)
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(batches.dataset(), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_drawing_inputs_simplify_raw_and_refuse_bitmaps():
    kind = get_kind("timecnn")
    config = kind.run_input_config(None)
    raw = Drawing("circle", strokes=[[[10.5, 300.0], [20.0, 40.0], [0, 50]]], fmt="raw")
    assert kind.drawing_inputs([raw], config).shape == (1, 28, 28, 3)
    with pytest.raises(DataFormatError, match="no strokes"):
        kind.drawing_inputs([Drawing("circle", bitmap=np.zeros((28, 28), np.uint8))], config)


def test_train_save_load_and_predict_a_timecnn_run(data, tmp_path):
    from seqdoodle.runs.folder import load_run
    from seqdoodle.runs.inference import predict_dataset
    from seqdoodle.training import train

    summary = train("timecnn", data.path, tmp_path / "run", epochs=1, progress=False).summary
    assert summary["kind"] == "timecnn"
    run = load_run(tmp_path / "run")
    assert run.input_config["channels"] == ["ink", "order", "index"]
    rows = data.indices("test")
    from_dataset = predict_dataset(run, data, rows)
    from_drawings = run.predict_proba(list(data.drawings(rows)))
    np.testing.assert_allclose(from_dataset, from_drawings, atol=1e-5)


@pytest.fixture(scope="module")
def default_run(data, tmp_path_factory):
    from seqdoodle.runs.folder import load_run
    from seqdoodle.training import train

    out = tmp_path_factory.mktemp("timecnn_run") / "run"
    train("timecnn", data.path, out, epochs=1, progress=False)
    return load_run(out)


@pytest.mark.parametrize("fmt, name", [("onnx", "m.onnx"), ("tflite", "m.tflite")])
def test_a_mirror_averaged_run_exports_and_agrees_with_keras(default_run, tmp_path, fmt, name):
    from seqdoodle.export.formats import export_run
    from seqdoodle.models.encoders import BitmapEncoder
    from tests.models.helpers import all_layers

    layers = all_layers(default_run.model)
    encoder = [layer for layer in layers if isinstance(layer, BitmapEncoder)]
    assert encoder[0].settings["mirror_average"] is True  # the default preset
    result = export_run(default_run, fmt, tmp_path / name, n_check=6)
    assert result.max_abs_diff < 1e-4 and result.top1_agreement == 1.0

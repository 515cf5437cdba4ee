"""Tests of run folders: save_run / load_run, their checks, and Run predictions.

Also holds the helpers the inference, image and CLI tests share: simple shape doodles, doodle
images drawn with Pillow, and tiny runs built without training (a template-matching bitmap model
and a pooled stroke model).
"""

from __future__ import annotations

import json
import math

import keras
import numpy as np
import pytest
from PIL import Image, ImageDraw

from seqdoodle.datasets.prepared import DatasetWriter, PreparedDataset
from seqdoodle.datasets.records import Drawing
from seqdoodle.errors import DataFormatError, MissingFileError
from seqdoodle.runs.folder import CLASSES_FILE, CONFIG_FILE, MODEL_FILE, load_run, save_run
from seqdoodle.strokes.points import strokes_to_points
from seqdoodle.strokes.raster import render_bitmap

# ----------------------------------------------------------------------------- shared helpers

SHAPE_CLASSES = ["circle", "line", "triangle", "zigzag"]


def shape_strokes(name: str, rng: np.random.Generator | None = None) -> list:
    """A simple doodle of `name` in Google's simplified format (ints 0..255, longer side 255).

    With `rng`, the shape is jittered (aspect, rotation, point noise) before the rescaling.
    """
    if name == "circle":
        t = np.linspace(0, 2 * np.pi, 33)
        strokes = [np.stack([np.cos(t), np.sin(t)])]
    elif name == "line":
        strokes = [np.array([[0.0, 1.0], [0.0, 0.0]])]
    elif name == "triangle":
        strokes = [np.array([[0.0, 0.5, 1.0, 0.0], [1.0, 0.0, 1.0, 1.0]])]
    elif name == "zigzag":
        strokes = [np.array([[0, 0.25, 0.5, 0.75, 1.0], [0, 1, 0, 1, 0]], dtype=float)]
    else:
        raise ValueError(name)
    if rng is not None:
        angle = rng.normal(0, 0.08)
        rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        stretch = np.diag([1.0, rng.uniform(0.8, 1.2)])
        strokes = [rot @ stretch @ s + rng.normal(0, 0.01, s.shape) for s in strokes]
    points = np.concatenate(strokes, axis=1)
    lo = points.min(axis=1, keepdims=True)
    scale = 255.0 / max(float((points.max(axis=1, keepdims=True) - lo).max()), 1e-9)
    return [np.round((s - lo) * scale).astype(int).tolist() for s in strokes]


def draw_image(
    strokes, side: int = 256, width: int = 7, dark_on_light: bool = True, margin: int = 0
) -> Image.Image:
    """A doodle image as a person might save it: strokes drawn with Pillow on a plain canvas."""
    background, ink = (255, 0) if dark_on_light else (0, 255)
    image = Image.new("L", (side, side), background)
    draw = ImageDraw.Draw(image)
    scale = (side - 2 * margin - width) / 255.0
    for stroke in strokes:
        xy = [
            (margin + width / 2 + x * scale, margin + width / 2 + y * scale)
            for x, y in zip(*stroke[:2])
        ]
        if len(xy) > 1:
            draw.line(xy, fill=ink, width=width, joint="curve")
        for x, y in (xy[0], xy[-1]):
            draw.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=ink)
    return image


def shape_drawings(classes=SHAPE_CLASSES, per_class: int = 6, seed: int = 0) -> list[Drawing]:
    """Jittered shape doodles with strokes and their reference bitmaps, class by class."""
    rng = np.random.default_rng(seed)
    out = []
    for name in classes:
        for i in range(per_class):
            strokes = shape_strokes(name, rng)
            out.append(
                Drawing(
                    word=name, strokes=strokes, bitmap=render_bitmap(strokes), source=f"{name}:{i}"
                )
            )
    return out


def template_model(classes=SHAPE_CLASSES) -> keras.Model:
    """A bitmap classifier without training: softmax over correlations with blurred templates.

    Takes `(batch, 28, 28, 1)` float32 raw pixels 0..255, like the project's CNN.
    """
    from PIL import ImageFilter

    templates = []
    for name in classes:
        image = Image.fromarray(render_bitmap(shape_strokes(name))).filter(
            ImageFilter.GaussianBlur(1)
        )
        templates.append(np.asarray(image, np.float32).ravel() / 255.0)
    t = np.stack(templates)
    t -= t.mean(axis=0)
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Rescaling(1.0 / 255.0)(inputs)
    x = keras.layers.Flatten()(x)
    dense = keras.layers.Dense(len(classes), activation="softmax")
    outputs = dense(x)
    dense.set_weights([(t.T * 0.5).astype(np.float32), np.zeros(len(classes), np.float32)])
    return keras.Model(inputs, outputs)


def pooled_stroke_model(n_classes: int, n_features: int = 3, seed: int = 0) -> keras.Model:
    """A tiny stroke classifier: masked mean of the padded sequence, then a softmax layer."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((None, n_features))
    x = keras.layers.Masking(0.0)(inputs)
    x = keras.layers.GlobalAveragePooling1D()(x)
    x = keras.layers.Dense(8, activation="tanh")(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def make_cnn_run(folder, classes=SHAPE_CLASSES, dataset_sha: str | None = None):
    """Save the template model as a bitmap run; returns the folder."""
    config = {"kind": "cnn", "arch": "template", "input": {"type": "bitmap", "size": 28}}
    if dataset_sha:
        config["dataset"] = {"path": "x", "manifest_sha256": dataset_sha}
    return save_run(folder, template_model(classes), config, classes)


def make_rnn_run(folder, classes=SHAPE_CLASSES):
    """Save the pooled stroke model as a stroke run; returns the folder."""
    from seqdoodle.kinds.inputs import StrokeFeatures

    config = {"kind": "rnn", "arch": "pooled", "input": StrokeFeatures().to_config()}
    return save_run(folder, pooled_stroke_model(len(classes)), config, classes)


def make_dataset(folder, drawings, classes=SHAPE_CLASSES, with_strokes: bool = True):
    """A prepared dataset folder from `Drawing`s (all rows in the test split but one per class)."""
    writer = DatasetWriter(folder, classes, has_strokes=with_strokes)
    for position, name in enumerate(classes):
        own = [d for d in drawings if d.word == name]
        splits = np.full(len(own), 2, np.uint8)
        splits[0] = 0
        points = [strokes_to_points(d.strokes) for d in own] if with_strokes else None
        writer.write_part(
            position,
            np.stack([d.bitmap for d in own]),
            splits,
            np.arange(len(own)),
            points,
        )
    writer.finalize({"seed": 0})
    return PreparedDataset(folder)


def needs_stroke_modules():
    """Skip until the stroke encoding modules exist."""
    pytest.importorskip("seqdoodle.strokes.stroke3")


# ----------------------------------------------------------------------------- save / load


def test_save_load_round_trip_predicts_the_same(tmp_path):
    drawings = shape_drawings(per_class=3)
    model = template_model()
    x = np.stack([d.bitmap for d in drawings]).astype(np.float32)[..., None]
    expected = np.asarray(model.predict_on_batch(x))
    run_dir = save_run(
        tmp_path / "run", model, {"kind": "cnn", "input": {"type": "bitmap", "size": 28}},
        SHAPE_CLASSES,
    )  # fmt: skip
    assert sorted(p.name for p in run_dir.iterdir()) == [CLASSES_FILE, CONFIG_FILE, MODEL_FILE]
    assert (run_dir / CLASSES_FILE).read_text().splitlines() == SHAPE_CLASSES
    config = json.loads((run_dir / CONFIG_FILE).read_text())
    assert config["classes"] == SHAPE_CLASSES and config["seqdoodle_version"]

    run = load_run(run_dir)
    assert (run.kind, run.classes) == ("cnn", SHAPE_CLASSES)
    probs = run.predict_proba(drawings, batch_size=5)
    assert probs.shape == (len(drawings), 4) and probs.dtype == np.float32
    np.testing.assert_allclose(probs, expected, rtol=1e-5, atol=1e-6)
    # the template model recognises its own shapes
    truth = [SHAPE_CLASSES.index(d.word) for d in drawings]
    assert (probs.argmax(axis=1) == truth).mean() >= 0.9
    assert run.n_params == model.count_params()
    assert run.saved_size_bytes == (run_dir / MODEL_FILE).stat().st_size


def test_round_trip_of_the_project_cnn(tmp_path):
    from seqdoodle.models.cnn import build_bitmap_classifier

    model = build_bitmap_classifier(3, arch="baseline", seed=1)
    x = np.random.default_rng(0).integers(0, 256, (5, 28, 28)).astype(np.uint8)
    expected = np.asarray(model.predict_on_batch(x.astype(np.float32)[..., None]))
    save_run(tmp_path, model, {"kind": "cnn", "arch": "baseline"}, ["cat", "dog", "fish"])
    run = load_run(tmp_path)
    probs = run.predict_proba([Drawing("cat", bitmap=b) for b in x])
    np.testing.assert_allclose(probs, expected, rtol=1e-4, atol=1e-6)
    assert run.arch == "baseline"


def test_save_run_replaces_the_model_atomically(tmp_path):
    save_run(tmp_path, template_model(), {"kind": "cnn"}, SHAPE_CLASSES)
    first = (tmp_path / MODEL_FILE).read_bytes()
    model = template_model()
    model.layers[-1].set_weights([w * 2 for w in model.layers[-1].get_weights()])
    save_run(tmp_path, model, {"kind": "cnn"}, SHAPE_CLASSES)
    assert (tmp_path / MODEL_FILE).read_bytes() != first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files


@pytest.mark.parametrize(
    "config, classes, match",
    [
        ({"kind": "svm"}, SHAPE_CLASSES, "kind"),
        ({"kind": "cnn"}, SHAPE_CLASSES[:3], "4 scores for 3 classes"),
        ({"kind": "cnn", "classes": ["a", "b", "c", "d"]}, SHAPE_CLASSES, "differ"),
        ({"kind": "cnn"}, ["a", "a", "b", "c"], "not unique"),
    ],
)
def test_save_run_rejects_bad_arguments(tmp_path, config, classes, match):
    with pytest.raises(DataFormatError, match=match):
        save_run(tmp_path / "run", template_model(), config, classes)
    assert not (tmp_path / "run" / CONFIG_FILE).exists()


def test_truncated_model_is_one_line_error(tmp_path):
    make_cnn_run(tmp_path)
    model_file = tmp_path / MODEL_FILE
    data = model_file.read_bytes()
    for broken in (data[: len(data) // 2], data[:-200], b"not a zip file"):
        model_file.write_bytes(broken)
        with pytest.raises(DataFormatError) as e:
            load_run(tmp_path)
        message = str(e.value)
        assert f"{model_file}: corrupt or truncated Keras file (" in message
        assert "\n" not in message


def test_flipped_byte_in_weights_is_caught(tmp_path):
    make_cnn_run(tmp_path)
    model_file = tmp_path / MODEL_FILE
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the stored weights
    model_file.write_bytes(bytes(data))
    with pytest.raises(DataFormatError, match="corrupt or truncated Keras file"):
        load_run(tmp_path)


def test_edited_classes_txt_is_refused(tmp_path):
    make_cnn_run(tmp_path)
    (tmp_path / CLASSES_FILE).write_text("circle\nline\nsquare\nzigzag\n")
    with pytest.raises(DataFormatError, match=r"classes\.txt.*differ"):
        load_run(tmp_path)
    (tmp_path / CLASSES_FILE).unlink()  # optional: config.json holds the classes
    assert load_run(tmp_path).classes == SHAPE_CLASSES


def test_model_width_must_match_classes(tmp_path):
    make_cnn_run(tmp_path)
    config = json.loads((tmp_path / CONFIG_FILE).read_text())
    config["classes"] = SHAPE_CLASSES + ["square"]
    (tmp_path / CONFIG_FILE).write_text(json.dumps(config))
    (tmp_path / CLASSES_FILE).write_text("\n".join(config["classes"]) + "\n")
    with pytest.raises(DataFormatError, match=r"model\.keras: the model outputs 4 scores .* 5"):
        load_run(tmp_path)


def test_missing_pieces_name_the_file(tmp_path):
    with pytest.raises(MissingFileError, match="no such run folder"):
        load_run(tmp_path / "nope")
    make_cnn_run(tmp_path)
    (tmp_path / CONFIG_FILE).rename(tmp_path / "config.bak")
    with pytest.raises(MissingFileError, match=r"config\.json: missing"):
        load_run(tmp_path)
    (tmp_path / "config.bak").rename(tmp_path / CONFIG_FILE)
    (tmp_path / MODEL_FILE).unlink()
    with pytest.raises(MissingFileError, match=r"model\.keras: missing"):
        load_run(tmp_path)


@pytest.mark.parametrize(
    "text, match",
    [("{not json", "not valid JSON"), ('{"kind": "svm", "classes": ["a", "b"]}', "kind 'svm'")],
)
def test_bad_config_is_refused(tmp_path, text, match):
    make_cnn_run(tmp_path)
    (tmp_path / CONFIG_FILE).write_text(text)
    with pytest.raises(DataFormatError, match=match) as e:
        load_run(tmp_path)
    assert str(tmp_path / CONFIG_FILE) in str(e.value)


def test_model_with_code_is_refused(tmp_path):
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(x))
    save_run(tmp_path, keras.Model(inputs, outputs), {"kind": "cnn"}, ["cat", "dog"])
    with pytest.raises(DataFormatError, match="refused to load.*safe mode") as e:
        load_run(tmp_path)
    assert str(tmp_path / MODEL_FILE) in str(e.value)


def test_load_model_is_called_in_safe_mode(tmp_path, monkeypatch):
    make_cnn_run(tmp_path)
    calls = []
    real = keras.saving.load_model

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(keras.saving, "load_model", spy)
    load_run(tmp_path)
    assert len(calls) == 1 and calls[0]["safe_mode"] is True


# ----------------------------------------------------------------------------- predictions


def test_dataset_fast_path_matches_drawings(tmp_path):
    drawings = shape_drawings(per_class=4)
    dataset = make_dataset(tmp_path / "ds", drawings, with_strokes=False)
    run = load_run(make_cnn_run(tmp_path / "run"))
    rows = np.array([9, 0, 15, 3, 4])  # unsorted on purpose
    fast = run.predict_proba_dataset(dataset, rows, batch_size=2)
    slow = run.predict_proba([drawings[i] for i in rows])
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-7)
    done = []
    run.predict_proba_dataset(dataset, batch_size=7, progress=done.append)
    assert sum(done) == len(dataset) and len(done) == math.ceil(len(dataset) / 7)


def test_cnn_renders_strokes_like_the_dataset(tmp_path):
    pytest.importorskip("seqdoodle.strokes.raster")
    drawings = shape_drawings(per_class=3)
    run = load_run(make_cnn_run(tmp_path))
    strokes_only = [Drawing(d.word, strokes=d.strokes) for d in drawings]
    probs = run.predict_proba(strokes_only)
    truth = [SHAPE_CLASSES.index(d.word) for d in drawings]
    assert (probs.argmax(axis=1) == truth).mean() >= 0.9


def test_stroke_run_batches_by_length_but_keeps_order(tmp_path):
    needs_stroke_modules()
    drawings = shape_drawings(per_class=3)
    drawings[0].strokes = drawings[0].strokes * 3  # a long one first
    run = load_run(make_rnn_run(tmp_path))
    together = run.predict_proba(drawings, batch_size=4)
    one_by_one = np.concatenate([run.predict_proba([d]) for d in drawings])
    np.testing.assert_allclose(together, one_by_one, rtol=1e-5, atol=1e-6)
    assert np.ptp(together, axis=0).max() > 1e-4  # inputs differ, so do the outputs


def test_stroke_run_dataset_fast_path_and_bitmap_only_refusal(tmp_path):
    needs_stroke_modules()
    drawings = shape_drawings(per_class=3)
    run = load_run(make_rnn_run(tmp_path / "run"))
    dataset = make_dataset(tmp_path / "ds", drawings, with_strokes=True)
    rows = np.array([5, 1, 7])
    fast = run.predict_proba_dataset(dataset, rows)
    slow = run.predict_proba([drawings[i] for i in rows])
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-6)
    bitmaps_only = make_dataset(tmp_path / "ds2", drawings, with_strokes=False)
    with pytest.raises(DataFormatError, match="bitmaps only"):
        run.predict_proba_dataset(bitmaps_only, rows)
    with pytest.raises(DataFormatError, match="strokes"):
        run.predict_proba([Drawing("circle", bitmap=drawings[0].bitmap, source="x.png")])


def test_predict_dataset_keeps_the_order_of_rows_with_repeats(tmp_path):
    from seqdoodle.runs.inference import predict_dataset

    drawings = shape_drawings(per_class=3)
    dataset = make_dataset(tmp_path / "ds", drawings, with_strokes=False)
    run = load_run(make_cnn_run(tmp_path / "run"))
    everything = predict_dataset(run, dataset)
    assert everything.shape == (len(dataset), len(SHAPE_CLASSES))
    rows = np.array([7, 2, 7, 0])
    picked = predict_dataset(run, dataset, rows, batch_size=3)
    np.testing.assert_allclose(picked, everything[rows], rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(picked[0], picked[2])  # the same row twice
    assert predict_dataset(run, dataset, np.array([], np.int64)).shape == (0, len(SHAPE_CLASSES))
    with pytest.raises(DataFormatError, match="batch_size must be at least 1"):
        predict_dataset(run, dataset, rows, batch_size=0)


# ----------------------------------------------------------------------------- the run's records


def test_run_layout_names_every_file_of_the_folder(tmp_path):
    from seqdoodle.runs.layout import RunLayout

    layout = RunLayout(tmp_path / "run")
    assert layout.model == tmp_path / "run" / MODEL_FILE
    assert layout.config.name == CONFIG_FILE and layout.classes.name == CLASSES_FILE
    assert layout.state.parent == layout.last_checkpoint.parent == layout.checkpoint_dir
    assert layout.staged_checkpoint(3).name == "epoch-0003.keras"
    assert layout.staged_checkpoint(3).parent == layout.checkpoint_dir
    names = [p.name for p in layout.training_files]
    assert len(set(names)) == len(names) and layout.history_json.name in names
    files = [layout.model, layout.config, layout.classes, layout.history_json, layout.history_csv,
             layout.history_figure, layout.metrics, layout.test_predictions, layout.state,
             layout.last_checkpoint]  # fmt: skip
    assert len({p.name for p in files}) == len(files)  # no two records share a file
    layout.checkpoint_dir.mkdir(parents=True)
    for epoch in (2, 1):
        layout.staged_checkpoint(epoch).write_bytes(b"")
    assert layout.staged_checkpoints() == [layout.staged_checkpoint(1), layout.staged_checkpoint(2)]


def test_a_run_without_training_records_reads_them_as_none(tmp_path):
    run = load_run(make_cnn_run(tmp_path / "run"))
    assert run.history is None and run.metrics is None
    assert run.summary is None and run.test_predictions is None
    with pytest.warns(DeprecationWarning), pytest.raises(KeyError):
        _ = run["test_top1"]


def test_run_records_are_read_on_first_use_without_keras(tmp_path):
    """`Run(path, config)`: history, metrics, summary and predictions need neither Keras nor
    the model; a damaged record is one line naming its file."""
    import subprocess
    import sys

    from seqdoodle.evaluation.predictions import save_predictions
    from seqdoodle.runs.layout import RunLayout

    folder = make_cnn_run(tmp_path / "run")
    layout = RunLayout(folder)
    history = {"epoch": [1, 2], "loss": [1.5, 0.75], "val_accuracy": [0.5, None]}
    layout.write_history(history, ["epoch", "loss", "val_accuracy"])
    assert layout.history_csv.read_text().splitlines() == [
        "epoch,loss,val_accuracy", "1,1.5,0.5", "2,0.75,"
    ]  # fmt: skip
    assert layout.history_figure.read_bytes()[:4] == b"\x89PNG"
    layout.metrics.write_text(json.dumps({"top1": 0.25, "n": 4}))
    layout.checkpoint_dir.mkdir()
    layout.state.write_text(json.dumps({"epoch": 2, "summary": {"epochs_run": 2}}))
    save_predictions(layout.test_predictions, [0, 3], [[0.7, 0.1, 0.1, 0.1]] * 2, SHAPE_CLASSES,
                     ids=[5, 9])  # fmt: skip
    script = f"""
import sys, json
from seqdoodle.runs.folder import Run
run = Run({str(folder)!r}, json.loads(open({str(layout.config)!r}).read()))
out = [run.history, run.metrics, run.summary, run.test_predictions.ids.tolist()]
assert "keras" not in sys.modules and "tensorflow" not in sys.modules, "imported Keras"
print(json.dumps(out))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout)
    assert got == [history, {"top1": 0.25, "n": 4}, {"epochs_run": 2}, [5, 9]]

    layout.metrics.write_text("{")
    with pytest.raises(DataFormatError, match="not valid JSON") as info:
        _ = load_run(folder).metrics
    assert str(info.value).startswith(f"{layout.metrics}: ")
    layout.history_json.write_text(json.dumps({"loss": 1.0}))
    with pytest.raises(DataFormatError, match="per-epoch lists"):
        _ = load_run(folder).history
    run = load_run(folder)
    run.summary = {"test_top1": 0.5}  # what train sets on the run it returns
    with pytest.warns(DeprecationWarning, match="run.summary"):
        assert run["test_top1"] == 0.5

"""Tests of training: pipelines, run folders, resume, init_from, time limit and the CLI."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from typer.testing import CliRunner

from seqdoodle.cli import app
from seqdoodle.datasets.prepare import prepare
from seqdoodle.errors import DataFormatError, MissingFileError
from seqdoodle.kinds.batches import BitmapBatches, StrokeBatches
from seqdoodle.kinds.inputs import StrokeFeatures
from seqdoodle.models.cnn import build_bitmap_classifier
from seqdoodle.models.task import replace_head
from seqdoodle.runs.folder import load_run
from seqdoodle.training import cosine_lr, train

CLASSES = ["circle", "square", "star"]
OTHER_CLASSES = ["circle", "zigzag", "star", "sun"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FAST = {"batch_size": 32, "progress": False, "time_limit": None}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A tiny synthetic dataset with strokes: 3 classes x 40 drawings (32 train a class)."""
    root = tmp_path_factory.mktemp("data")
    return prepare("synthetic", root / "ds", classes=CLASSES, per_class=40, progress=False)


@pytest.fixture(scope="module")
def other_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("other")
    return prepare("synthetic", root / "ds", classes=OTHER_CLASSES, per_class=20, progress=False)


@pytest.fixture(scope="module")
def cnn_run(data, tmp_path_factory):
    """A baseline CNN trained for 2 epochs: (run folder, the `Run` train returned)."""
    out = tmp_path_factory.mktemp("runs") / "cnn"
    run = train("cnn", data.path, out, arch="baseline", epochs=2, seed=1, **FAST)
    return out, run


# ----------------------------------------------------------------------------- pipelines


def test_bitmap_batches_shuffle_per_epoch_with_a_seed(data):
    train_idx = data.indices("train")
    batches = BitmapBatches(data, train_idx, 16, seed=3, train=True)
    epoch0 = batches.batch_indices(0)
    assert len(epoch0) == batches.steps == int(np.ceil(len(train_idx) / 16))
    assert all(np.all(np.diff(rows) > 0) for rows in epoch0)  # sorted within a batch
    np.testing.assert_array_equal(np.sort(np.concatenate(epoch0)), train_idx)
    again = BitmapBatches(data, train_idx, 16, seed=3, train=True).batch_indices(0)
    assert all(np.array_equal(a, b) for a, b in zip(epoch0, again))
    epoch1 = batches.batch_indices(1)
    assert not all(np.array_equal(a, b) for a, b in zip(epoch0, epoch1))
    x, y = next(batches.epoch(0))
    assert x.shape == (16, 28, 28, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(x[..., 0], data.bitmaps[epoch0[0]])
    np.testing.assert_array_equal(y, data.labels[epoch0[0]])


def test_stroke_batches_are_bucketed_by_length(data):
    features = StrokeFeatures()
    train_idx = data.indices("train")
    batches = StrokeBatches(data, train_idx, 8, features, seed=0, train=True)
    lengths = np.diff(data.offsets)
    bucket_of = {int(i): b for b, rows in enumerate(batches.buckets) for i in rows}
    assert len(batches.buckets) > 1
    epoch = batches.batch_indices(0)
    assert len(epoch) == batches.steps
    np.testing.assert_array_equal(np.sort(np.concatenate(epoch)), train_idx)
    for rows in epoch:
        assert len({bucket_of[int(i)] for i in rows}) == 1  # one bucket per batch
    spans = [lengths[rows].max() - lengths[rows].min() for rows in epoch]
    assert np.mean(spans) < lengths[train_idx].max() - lengths[train_idx].min()
    (x, y), (x2, _) = next(batches.epoch(0)), next(batches.epoch(0))
    np.testing.assert_array_equal(x, x2)  # augmentation is seeded per epoch
    plain = StrokeBatches(data, train_idx, 8, features, train=False)
    first = plain.batch_indices(0)[0]
    assert plain.inputs(first)[:, :, 2].sum() > 0  # pen flags present
    assert x.shape[0] == len(y) and x.shape[2] == 3


def test_cosine_schedule_decays_to_two_percent():
    values = [cosine_lr(0.01, p) for p in np.linspace(0, 1, 11)]
    assert values[0] == pytest.approx(0.01) and values[-1] == pytest.approx(0.0002)
    assert all(a > b for a, b in zip(values, values[1:]))


# ----------------------------------------------------------------------------- run folders


@pytest.mark.slow
def test_train_cnn_writes_a_complete_run_folder(cnn_run, data):
    out, trained = cnn_run
    summary = trained.summary
    for name in ("model.keras", "config.json", "classes.txt", "history.csv", "history.json"):
        assert (out / name).is_file(), name
    assert (out / "training.png").read_bytes()[:8] == PNG_MAGIC
    history = json.loads((out / "history.json").read_text())
    assert history["epoch"] == [1, 2] and len(history["val_accuracy"]) == 2
    assert (out / "history.csv").read_text().splitlines()[0].startswith("epoch,loss,accuracy")
    metrics = json.loads((out / "metrics.json").read_text())
    test_idx = data.indices("test")
    assert metrics["n"] == len(test_idx) and 0.0 <= metrics["top1"] <= 1.0
    assert summary["test_top1"] == pytest.approx(metrics["top1"])
    assert summary["epochs_run"] == 2 and summary["samples_per_second"] > 0
    assert summary["best_val_accuracy"] == max(history["val_accuracy"])
    config = json.loads((out / "config.json").read_text())
    assert config["kind"] == "cnn" and config["input"] == {"type": "bitmap", "size": 28}
    assert config["train"]["epochs"] == 2 and config["classes"] == CLASSES
    with np.load(out / "test_predictions.npz") as saved:
        np.testing.assert_array_equal(saved["ids"], test_idx)
        assert saved["probs"].shape == (len(test_idx), len(CLASSES))
    run = load_run(out)  # the model reloads and predicts like the saved predictions
    probs = run.predict_proba_dataset(data, test_idx)
    with np.load(out / "test_predictions.npz") as saved:
        np.testing.assert_allclose(probs, saved["probs"], atol=1e-5)
    np.testing.assert_allclose(trained.predict_proba_dataset(data, test_idx), probs, atol=1e-6)


@pytest.mark.slow
def test_train_returns_the_run_with_its_records(cnn_run, data):
    out, trained = cnn_run
    assert trained.path == out and trained.kind == "cnn" and trained.arch == "baseline"
    assert trained.history == json.loads((out / "history.json").read_text())
    assert trained.metrics == json.loads((out / "metrics.json").read_text())
    assert trained.metrics["top1"] == pytest.approx(trained.summary["test_top1"])
    saved = trained.test_predictions
    np.testing.assert_array_equal(saved.ids, data.indices("test"))
    np.testing.assert_array_equal(saved.y_true, data.labels[data.indices("test")])
    assert saved.classes == CLASSES and saved.probs.shape == (len(saved.ids), len(CLASSES))
    assert trained.summary["run"] == str(out) and not trained.summary["already_finished"]
    reloaded = load_run(out)  # the same records, read from the folder
    assert reloaded.history == trained.history and reloaded.metrics == trained.metrics
    stored = reloaded.summary  # the summary train stored in its checkpoint state
    assert {k: stored[k] for k in ("epochs_run", "best_epoch", "test_top1")} == {
        k: trained.summary[k] for k in ("epochs_run", "best_epoch", "test_top1")
    }
    with pytest.warns(DeprecationWarning, match="run.summary"):
        assert trained["epochs_run"] == 2  # the dict access of earlier releases


@pytest.fixture(scope="module")
def rnn_run(data, tmp_path_factory):
    """A default stroke model trained for 1 epoch on the opened dataset: (run folder, summary)."""
    out = tmp_path_factory.mktemp("runs") / "rnn"
    return out, train("rnn", data, out, epochs=1, **FAST).summary


@pytest.mark.slow
def test_train_rnn_writes_a_run_with_its_stroke_encoding(rnn_run, data):
    out, summary = rnn_run
    assert summary["epochs_run"] == 1
    for name in ("model.keras", "config.json", "classes.txt", "history.csv", "metrics.json"):
        assert (out / name).is_file(), name
    assert (out / "training.png").read_bytes()[:8] == PNG_MAGIC
    run = load_run(out)
    assert run.config["dataset"]["path"] == str(data.path)  # `data` was a PreparedDataset
    assert run.config["train"]["epochs"] == 1 and run.config["train"]["patience"] == 5
    features = StrokeFeatures.from_config(run.input_config)
    assert features.scale != (1.0, 1.0)  # fitted on the training drawings
    assert json.loads((out / "metrics.json").read_text())["top1"] == summary["test_top1"]
    drawings = list(data.drawings(data.indices("test")[:5]))
    probs = run.predict_proba(drawings)
    assert probs.shape == (5, len(CLASSES))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_a_saved_stroke_model_takes_stroke3_as_it_is(rnn_run, data):
    from seqdoodle.datasets.records import Drawing
    from seqdoodle.models.layers import StrokeScale
    from seqdoodle.strokes.stroke3 import drawing_to_stroke3

    out, _ = rnn_run
    run = load_run(out)
    features = StrokeFeatures.from_config(run.input_config)
    assert features.scale_in_model  # the scale is a layer of the model, not a preprocessing step
    layer = run.model.get_layer("backbone").get_layer("stroke_scale")
    assert isinstance(layer, StrokeScale) and layer.scale == features.scale
    model = keras.saving.load_model(out / "model.keras", safe_mode=True)  # the file alone
    drawings = [Drawing("x", strokes=d.strokes) for d in data.drawings(data.indices("test")[:4])]
    for drawing, expected in zip(drawings, run.predict_proba(drawings)):
        x = drawing_to_stroke3(drawing.strokes, max_len=features.max_len, truncate="uniform")
        probs = model.predict_on_batch(x[None].astype("float32"))[0]
        np.testing.assert_allclose(probs, expected, atol=1e-5)
    spec = run.input_spec
    assert spec["shape"] == [None, None, 3] and "drawing_to_stroke3" in spec["how"]


# ----------------------------------------------------------------------------- resume


class _InterruptAfterFirstEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            raise KeyboardInterrupt


@pytest.mark.slow
def test_rerun_continues_after_an_interrupt(data, tmp_path):
    out = tmp_path / "resume"
    args = dict(arch="baseline", epochs=3, seed=2, **FAST)
    with pytest.raises(KeyboardInterrupt):
        train("cnn", data.path, out, callbacks=[_InterruptAfterFirstEpoch()], **args)
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["epoch"] == 1 and not state["finished"]
    assert (out / "checkpoint" / "last.keras").is_file() and not (out / "metrics.json").exists()
    first = {key: values[0] for key, values in state["history"].items()}

    summary = train("cnn", data.path, out, **args).summary
    assert summary["resumed_from_epoch"] == 1 and summary["epochs_run"] == 3
    history = json.loads((out / "history.json").read_text())
    assert history["epoch"] == [1, 2, 3]
    assert {key: values[0] for key, values in history.items()} == first  # not retrained
    steps = int(np.ceil(len(data.indices("train")) / FAST["batch_size"]))
    last = keras.saving.load_model(out / "checkpoint" / "last.keras")
    assert int(last.optimizer.iterations) == 3 * steps  # optimizer state carried over

    again = train("cnn", data.path, out, **args)
    assert again.summary["already_finished"] and again.summary["epochs_run"] == 3
    assert json.loads((out / "history.json").read_text()) == history == again.history
    assert again.model.output_shape[-1] == len(CLASSES)  # the run's best model, loaded

    more = train("cnn", data.path, out, **{**args, "epochs": 4})  # more epochs extend the run
    assert more.summary["resumed_from_epoch"] == 3 and more.summary["epochs_run"] == 4
    assert json.loads((out / "history.json").read_text())["epoch"] == [1, 2, 3, 4]
    assert more.history["epoch"] == [1, 2, 3, 4]


@pytest.mark.slow
def test_run_folder_of_another_kind_or_dataset_is_refused(cnn_run, data, other_data):
    out, _ = cnn_run
    with pytest.raises(DataFormatError, match="holds a cnn"):
        train("rnn", data.path, out, **FAST)
    with pytest.raises(DataFormatError, match="another dataset"):
        train("cnn", other_data.path, out, arch="baseline", **FAST)
    with pytest.raises(DataFormatError, match="holds a cnn \\(baseline\\)"):
        train("cnn", data.path, out, arch="default", **FAST)


@pytest.mark.slow
def test_time_limit_stops_after_the_first_epoch(data, tmp_path):
    summary = train(
        "cnn", data.path, tmp_path / "t", arch="baseline", epochs=5, batch_size=32,
        time_limit=0.001, progress=False,
    ).summary  # fmt: skip
    assert summary["epochs_run"] == 1 and summary["stop_reason"] == "time_limit"
    assert (tmp_path / "t" / "metrics.json").is_file()


# ----------------------------------------------------------------------------- stops and bad state


class _Kill(BaseException):
    """Stands for a SIGKILL: nothing in `train` catches it, nothing after it runs."""


def _weights_of(model) -> list[np.ndarray]:
    return [np.array(w) for w in model.get_weights()]


def _assert_same_weights(a, b):
    assert len(a) == len(b) > 0
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def _h5_groups(keras_file) -> set[str]:
    import io
    import zipfile

    import h5py

    with zipfile.ZipFile(keras_file) as archive:
        data = archive.read("model.weights.h5")
    with h5py.File(io.BytesIO(data), "r") as h5:
        return set(h5.keys())


# (where the kill lands, in which epoch, the epoch the rerun resumes after)
KILLS = [
    ("stage", 1, 0),  # after model.keras, before the first checkpoint: starts over
    ("stage", 2, 1),  # weights being staged: epoch 2 is redone
    ("commit", 1, 1),  # state written, stage not renamed, history not written
    ("commit", 2, 2),  # same, later: the best model may be behind the state
    ("history", 2, 2),  # everything but the history files
]


@pytest.mark.slow
@pytest.mark.parametrize("point, at_epoch, resumed", KILLS, ids=[f"{p}-{e}" for p, e, _ in KILLS])
def test_a_kill_anywhere_in_an_epochs_writes_resumes_consistently(
    data, tmp_path, monkeypatch, point, at_epoch, resumed
):
    import seqdoodle.training.trainer as training

    out, ckpt = tmp_path / "run", tmp_path / "run" / "checkpoint"
    args = dict(arch="baseline", epochs=2, seed=4, **FAST)
    committed = {}  # epoch -> the weights its commit wrote (a redone epoch overwrites)
    kill = {"armed": False}
    real = {
        "commit": training.Trainer._commit_epoch,
        "save_keras": training.save_keras,
        "write_json": training.write_json,
        "history": training.Trainer._write_history,
    }

    def commit(self, improved):
        committed[self.state["epoch"]] = _weights_of(self.model)
        kill["armed"] = kill.get("point") is not None and self.state["epoch"] == at_epoch
        real["commit"](self, improved)

    def save_keras(model, path):
        if kill["armed"] and kill["point"] == "stage":
            raise _Kill
        real["save_keras"](model, path)

    def write_json(path, obj):
        real["write_json"](path, obj)
        if kill["armed"] and kill["point"] == "commit" and path.name == "state.json":
            raise _Kill

    def write_history(self):
        if kill["armed"] and kill["point"] == "history":
            raise _Kill
        real["history"](self)

    monkeypatch.setattr(training.Trainer, "_commit_epoch", commit)
    monkeypatch.setattr(training, "save_keras", save_keras)
    monkeypatch.setattr(training, "write_json", write_json)
    monkeypatch.setattr(training.Trainer, "_write_history", write_history)
    kill["point"] = point
    with pytest.raises(_Kill):
        train("cnn", data.path, out, **args)
    if (ckpt / "state.json").exists():  # a committed epoch always has a loadable model.keras
        assert json.loads((ckpt / "state.json").read_text())["epoch"] == resumed
        assert load_run(out).classes == CLASSES
    else:
        assert resumed == 0 and (out / "model.keras").exists()
    kill.update(point=None, armed=False)

    summary = train("cnn", data.path, out, **args).summary
    assert summary["resumed_from_epoch"] == resumed and summary["epochs_run"] == 2
    state = json.loads((ckpt / "state.json").read_text())
    assert state["finished"] and state["history"]["epoch"] == [1, 2]
    assert json.loads((out / "history.json").read_text()) == state["history"]
    assert not list(ckpt.glob("epoch-*.keras")) and not list(out.rglob(".*.tmp-*"))
    last = keras.saving.load_model(ckpt / "last.keras", safe_mode=True)
    _assert_same_weights(_weights_of(last), committed[2])
    best = load_run(out)
    _assert_same_weights(_weights_of(best.model), committed[state["best_epoch"]])
    history = state["history"]
    assert state["best_val_accuracy"] == max(history["val_accuracy"])


@pytest.mark.slow
def test_run_model_has_no_optimizer_state_but_the_checkpoint_does(cnn_run, data):
    out, _ = cnn_run
    model_file, last_file = out / "model.keras", out / "checkpoint" / "last.keras"
    assert "optimizer" not in _h5_groups(model_file)
    assert "optimizer" in _h5_groups(last_file)
    assert model_file.stat().st_size < 0.5 * last_file.stat().st_size  # Adam: 2 slots a weight
    last = keras.saving.load_model(last_file, safe_mode=True)
    assert int(last.optimizer.iterations) > 0
    run = load_run(out)  # loads with compile=False; predictions: test_train_cnn_writes_...
    assert getattr(run.model, "optimizer", None) is None
    assert run.model.count_params() == last.count_params()


def _state_edits():
    def drop(*keys):
        def change(state):
            obj = state
            for key in keys[:-1]:
                obj = obj[key]
            del obj[keys[-1]]

        return change

    def put(value, *keys):
        def change(state):
            obj = state
            for key in keys[:-1]:
                obj = obj[key]
            obj[keys[-1]] = value

        return change

    def short_history(state):
        state["history"]["loss"].pop()

    return [
        ("no-config-kind", drop("config", "kind"), "config.kind missing"),
        ("no-epoch", drop("epoch"), "epoch missing"),
        ("no-dataset-sha", drop("config", "dataset", "manifest_sha256"), "manifest_sha256"),
        ("no-train-lr", drop("config", "train", "lr"), "config.train.lr missing"),
        ("epoch-a-string", put("2", "epoch"), "epoch is str"),
        ("epoch-a-bool", put(True, "epoch"), "epoch is bool"),
        ("config-a-list", put([], "config"), "config is list"),
        ("unknown-kind", put("svm", "config", "kind"), "config.kind 'svm'"),
        ("unknown-stop-reason", put("tired", "stop_reason"), "stop_reason 'tired'"),
        ("history-short", short_history, "history.loss is not a list of 2"),
        ("finished-without-summary", drop("summary"), "without a summary"),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("change, fragment", [e[1:] for e in _state_edits()],
                         ids=[e[0] for e in _state_edits()])  # fmt: skip
def test_edited_state_is_one_line_naming_the_file(cnn_run, data, tmp_path, change, fragment):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(cnn_run[0], out)
    path = out / "checkpoint" / "state.json"
    state = json.loads(path.read_text())
    change(state)
    path.write_text(json.dumps(state))
    with pytest.raises(DataFormatError) as info:
        train("cnn", data.path, out, arch="baseline", epochs=3, **FAST)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and fragment in message and "\n" not in message


@pytest.mark.slow
def test_state_that_is_not_an_object_or_json_is_refused(cnn_run, data, tmp_path):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(cnn_run[0], out)
    path = out / "checkpoint" / "state.json"
    for text, fragment in (("[1, 2]", "the state is not a JSON object"), ("{", "unreadable")):
        path.write_text(text)
        with pytest.raises(DataFormatError, match=fragment) as info:
            train("cnn", data.path, out, arch="baseline", **FAST)
        assert str(path) in str(info.value)


@pytest.mark.slow
def test_truncated_checkpoint_is_one_line_naming_it(cnn_run, data, tmp_path):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(cnn_run[0], out)
    last = out / "checkpoint" / "last.keras"
    last.write_bytes(last.read_bytes()[: last.stat().st_size // 3])
    with pytest.raises(DataFormatError, match="corrupt or truncated Keras file") as info:
        train("cnn", data.path, out, arch="baseline", epochs=3, **FAST)
    assert str(info.value).startswith(f"{last}: ")


def test_a_run_folder_not_written_by_train_is_still_refused(tmp_path, data):
    from tests.test_artifacts import make_cnn_run

    out = make_cnn_run(tmp_path / "run")  # save_run only: no checkpoint/
    before = (out / "model.keras").read_bytes()
    with pytest.raises(DataFormatError, match="without a checkpoint to resume"):
        train("cnn", data.path, out, arch="baseline", **FAST)
    assert (out / "model.keras").read_bytes() == before


def test_save_keras_needs_the_keras_suffix_and_leaves_no_temporary(tmp_path):
    from seqdoodle.fileio import save_keras

    model = build_bitmap_classifier(3, arch="baseline", seed=0)
    with pytest.raises(ValueError, match="must end with .keras"):
        save_keras(model, tmp_path / "model.h5")
    save_keras(model, tmp_path / "model.keras")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]
    reloaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    _assert_same_weights(_weights_of(reloaded), _weights_of(model))


# ----------------------------------------------------------------------------- init_from


def test_replace_head_keeps_backbone_and_shared_classes():
    model = build_bitmap_classifier(3, arch="baseline", seed=0)
    new = replace_head(model, ["a", "b", "c"], ["c", "d", "a", "e"])
    assert new.output_shape == (None, 4)
    assert new.get_layer("backbone") is model.get_layer("backbone")
    kernel, bias = model.layers[-1].get_weights()
    new_kernel, _ = new.layers[-1].get_weights()
    np.testing.assert_array_equal(new_kernel[:, 0], kernel[:, 2])  # "c"
    np.testing.assert_array_equal(new_kernel[:, 2], kernel[:, 0])  # "a"
    x = np.random.default_rng(0).integers(0, 256, (2, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(new.predict_on_batch(x).sum(axis=1), 1.0, atol=1e-5)


def _backbone_weights(run_path):
    return [w.copy() for w in load_run(run_path).model.get_layer("backbone").get_weights()]


@pytest.mark.slow
def test_init_from_with_other_classes_replaces_the_head_and_freezes(cnn_run, other_data, tmp_path):
    source, _ = cnn_run
    before = _backbone_weights(source)
    out = tmp_path / "tuned"
    summary = train(
        "cnn", other_data.path, out, arch="baseline", epochs=1, init_from=source,
        freeze_backbone=True, **FAST,
    ).summary  # fmt: skip
    assert summary["epochs_run"] == 1
    run = load_run(out)
    assert run.model.output_shape == (None, len(OTHER_CLASSES))
    assert run.classes == OTHER_CLASSES
    after = _backbone_weights(out)
    assert len(after) == len(before) > 0
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)  # frozen: unchanged by training
    assert run.config["train"]["init_from"] == str(source)


@pytest.mark.slow
def test_init_from_without_freezing_trains_the_backbone(cnn_run, other_data, tmp_path):
    source, _ = cnn_run
    before = _backbone_weights(source)
    out = tmp_path / "tuned"
    train("cnn", other_data.path, out, arch="baseline", epochs=1, init_from=source, **FAST)
    after = _backbone_weights(out)
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))


@pytest.mark.slow
def test_init_from_a_stroke_run_reuses_its_encoding(rnn_run, other_data, tmp_path):
    source, _ = rnn_run
    out = tmp_path / "tuned"
    train("rnn", other_data.path, out, epochs=1, init_from=source, **FAST)
    tuned, original = load_run(out), load_run(source)
    assert tuned.input_config == original.input_config  # not refitted on the new data
    assert tuned.model.output_shape == (None, len(OTHER_CLASSES))
    with pytest.raises(DataFormatError, match="holds a 'rnn' model"):
        train("cnn", other_data.path, tmp_path / "x", init_from=source, **FAST)


def test_unset_arguments_take_the_kinds_defaults():
    from seqdoodle.kinds import get_kind
    from seqdoodle.training.checks import check_request

    for name in ("cnn", "rnn"):
        kind, request = get_kind(name), check_request(name)
        assert request.kind is kind and request.arch == kind.archs[0] == "default"
        assert request.patience == kind.defaults.patience and request.epochs is None
        assert request.resolved_batch_size == kind.defaults.batch_size
        assert request.resolved_lr == kind.defaults.lr
    assert check_request("rnn", epochs=3, batch_size=8, lr=0.1, patience=2).patience == 2
    with pytest.raises(DataFormatError, match="time_limit must be at least 0"):
        check_request("cnn", time_limit=-1)


def test_bad_arguments_are_refused(data, tmp_path):
    with pytest.raises(DataFormatError, match="unknown rnn arch"):
        train("rnn", data.path, tmp_path / "r", arch="baseline")
    with pytest.raises(DataFormatError, match="unknown model kind"):
        train("svm", data.path, tmp_path / "r")
    with pytest.raises(DataFormatError, match="freeze_backbone needs init_from"):
        train("cnn", data.path, tmp_path / "r", freeze_backbone=True)
    with pytest.raises(MissingFileError, match="no such dataset folder"):
        train("cnn", tmp_path / "missing", tmp_path / "r")
    assert not (tmp_path / "r").exists()


# ----------------------------------------------------------------------------- CLI

runner = CliRunner()


def test_cli_missing_dataset_is_one_line(tmp_path):
    result = runner.invoke(
        app, ["train", "cnn", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert str(tmp_path / "nope") in lines[0]


def test_cli_usage_error_for_an_unknown_arch(data, tmp_path):
    result = runner.invoke(
        app, ["train", "rnn", "--data", str(data.path), "--out", str(tmp_path / "r"),
              "--arch", "baseline"],
    )  # fmt: skip
    assert result.exit_code == 2


@pytest.mark.slow
def test_cli_trains_a_run(data, tmp_path):
    out = tmp_path / "run"
    args = ["train", "cnn", "--data", str(data.path), "--out", str(out), "--arch", "baseline",
            "--epochs", "1", "--batch-size", "32", "--no-progress"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"{out}: 1 epochs" in result.stdout
    assert load_run(out).kind == "cnn"
    assert json.loads((out / "config.json").read_text())["train"]["batch_size"] == 32


def test_cnn_trains_on_bitmaps_of_another_size(tmp_path):
    data = prepare(
        "synthetic",
        tmp_path / "ds32",
        classes=["circle", "star"],
        per_class=12,
        size=32,
        progress=False,
    )
    train("cnn", data.path, tmp_path / "run32", arch="baseline", epochs=1, progress=False)
    run = load_run(tmp_path / "run32")
    assert run.model.input_shape == (None, 32, 32, 1)
    probs = run.predict_proba(list(data.drawings(data.indices("test"))))
    assert probs.shape == (len(data.indices("test")), 2)

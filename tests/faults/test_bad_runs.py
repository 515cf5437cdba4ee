"""Bad run folders: truncated or unsafe models, edited configs and class lists.

Each corruption is applied to a copy of a good bitmap run and opened by `load_run` and by every
command that loads runs (`predict`, `evaluate`, `compare --runs`, `train --init-from`).
"""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest

from seqdoodle.errors import DataFormatError, MissingFileError
from seqdoodle.runs.folder import load_run
from tests.faults.helpers import assert_one_error, corruption_params, invoke, write_bytes


def _edit_config(folder, change):
    config = json.loads((folder / "config.json").read_text())
    change(config)
    (folder / "config.json").write_text(json.dumps(config))


def _truncate_model(folder, keep: float):
    path = folder / "model.keras"
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _drop_from_zip(folder, member: str):
    path = folder / "model.keras"
    with zipfile.ZipFile(path) as src:
        items = [(i, src.read(i)) for i in src.infolist() if i.filename != member]
    with zipfile.ZipFile(path, "w") as dst:
        for info, data in items:
            dst.writestr(info, data)


def _flip_weights_byte(folder):
    path = folder / "model.keras"
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("model.weights.h5")
    data = bytearray(path.read_bytes())
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size // 2
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def _unknown_layer(folder):
    path = folder / "model.keras"
    with zipfile.ZipFile(path) as src:
        items = {i.filename: src.read(i) for i in src.infolist()}
    items["config.json"] = items["config.json"].replace(b'"Dense"', b'"NoSuchLayer"')
    with zipfile.ZipFile(path, "w") as dst:
        for name, data in items.items():
            dst.writestr(name, data)


def _classes_txt(folder, text):
    (folder / "classes.txt").write_text(text)


def _more_classes(folder):
    _edit_config(folder, lambda c: c.update(classes=[*c["classes"], "sun"]))
    _classes_txt(folder, "".join(f"{c}\n" for c in load_classes(folder)))


def load_classes(folder):
    return json.loads((folder / "config.json").read_text())["classes"]


# (case id, corruption, error class, fragment, file the message names)
CORRUPTIONS = [
    ("folder-missing", shutil.rmtree, MissingFileError, "no such run folder", ""),
    (
        "model-missing",
        lambda f: (f / "model.keras").unlink(),
        MissingFileError,
        "not a complete run folder",
        "model.keras",
    ),
    (
        "config-missing",
        lambda f: (f / "config.json").unlink(),
        MissingFileError,
        "not a complete run folder",
        "config.json",
    ),
    (
        "model-is-a-folder",
        lambda f: ((f / "model.keras").unlink(), (f / "model.keras").mkdir()),
        MissingFileError,
        "not a complete run folder",
        "model.keras",
    ),
    (
        "model-truncated-half",
        lambda f: _truncate_model(f, 0.5),
        DataFormatError,
        "corrupt or truncated Keras file",
        "model.keras",
    ),
    (
        "model-truncated-tail",
        lambda f: _truncate_model(f, 0.999),
        DataFormatError,
        "corrupt or truncated Keras file",
        "model.keras",
    ),
    (
        "model-empty",
        lambda f: _truncate_model(f, 0),
        DataFormatError,
        "corrupt or truncated Keras file",
        "model.keras",
    ),
    (
        "model-is-text",
        lambda f: (f / "model.keras").write_text("weights\n"),
        DataFormatError,
        "corrupt or truncated Keras file",
        "model.keras",
    ),
    (
        "model-without-weights",
        lambda f: _drop_from_zip(f, "model.weights.h5"),
        DataFormatError,
        "lacks model.weights.h5",
        "model.keras",
    ),
    (
        "model-weights-bit-flip",
        _flip_weights_byte,
        DataFormatError,
        "bad checksum",
        "model.keras",
    ),
    (
        "model-unknown-layer",
        _unknown_layer,
        DataFormatError,
        "cannot load the Keras model",
        "model.keras",
    ),
    (
        "config-not-json",
        lambda f: (f / "config.json").write_text('{"kind": "cnn", '),
        DataFormatError,
        "not valid JSON",
        "config.json",
    ),
    (
        "config-a-list",
        lambda f: (f / "config.json").write_text("[]"),
        DataFormatError,
        "not a JSON object",
        "config.json",
    ),
    (
        "config-unknown-kind",
        lambda f: _edit_config(f, lambda c: c.update(kind="svm")),
        DataFormatError,
        "kind 'svm'",
        "config.json",
    ),
    (
        "config-duplicate-classes",
        lambda f: _edit_config(f, lambda c: c.update(classes=["circle"] * 4)),
        DataFormatError,
        "not unique",
        "config.json",
    ),
    (
        "config-one-class",
        lambda f: _edit_config(f, lambda c: c.update(classes=["circle"])),
        DataFormatError,
        "at least 2",
        "config.json",
    ),
    (
        "config-input-not-an-object",
        lambda f: _edit_config(f, lambda c: c.update(input="bitmap")),
        DataFormatError,
        "'input' must be an object",
        "config.json",
    ),
    (
        "classes-txt-edited",
        lambda f: _classes_txt(f, "circle\nline\ntriangle\nstar\n"),
        DataFormatError,
        "differ from",
        "classes.txt",
    ),
    (
        "classes-txt-extra-class",
        lambda f: _classes_txt(f, "circle\nline\ntriangle\nzigzag\nsun\n"),
        DataFormatError,
        "differ from",
        "classes.txt",
    ),
    (
        "class-list-longer-than-model",
        _more_classes,
        DataFormatError,
        "outputs 4 scores but the run has 5 classes",
        "model.keras",
    ),
]
IDS = [c[0] for c in CORRUPTIONS]


@pytest.fixture
def broken(tmp_path, cnn_run, request):
    folder = tmp_path / "my run"
    shutil.copytree(cnn_run, folder)
    request.param(folder)
    return folder


def _cases(select=lambda case: True):
    return corruption_params(CORRUPTIONS, select)


@pytest.mark.parametrize("broken, error, fragment, name", _cases(), indirect=["broken"])
def test_load_run_refuses(broken, error, fragment, name):
    with pytest.raises(error) as info:
        load_run(broken)
    message = str(info.value)
    assert fragment in message and str(broken / name) in message and "\n" not in message


@pytest.mark.parametrize("broken, error, fragment, name", _cases(), indirect=["broken"])
def test_predict_with_broken_run_is_one_line(tmp_path, broken, error, fragment, name):
    inputs = write_bytes(tmp_path / "x.ndjson", b'{"word":"cat","drawing":[[[0,9],[0,9]]]}\n')
    assert_one_error(invoke("predict", broken, inputs), fragment, str(broken / name))


SOME = ("model-truncated-half", "config-unknown-kind", "class-list-longer-than-model")


@pytest.mark.parametrize(
    "broken, error, fragment, name", _cases(lambda c: c in SOME), indirect=["broken"]
)
def test_evaluate_with_broken_run_is_one_line(broken, shape_dataset, error, fragment, name):
    result = invoke("evaluate", broken, "--data", shape_dataset, "--no-progress")
    assert_one_error(result, fragment, str(broken / name))


@pytest.mark.parametrize(
    "broken, error, fragment, name", _cases(lambda c: c in SOME), indirect=["broken"]
)
def test_compare_with_broken_run_is_one_line(
    tmp_path, broken, rnn_run, shape_dataset, error, fragment, name
):
    pytest.importorskip("seqdoodle.comparison.job")
    out = tmp_path / "report"
    result = invoke(
        "compare", "--runs", broken, "--runs", rnn_run, "--data", shape_dataset, "--out", out
    )
    assert_one_error(result, fragment, str(broken / name))
    assert not (out / "report.json").exists()


@pytest.mark.parametrize(
    "broken, error, fragment, name", _cases(lambda c: c in SOME[:2]), indirect=["broken"]
)
def test_train_init_from_broken_run_is_one_line(
    tmp_path, broken, shape_dataset, error, fragment, name
):
    pytest.importorskip("seqdoodle.training")
    out = tmp_path / "new run"
    result = invoke(
        "train", "cnn", "--data", shape_dataset, "--out", out, "--init-from", broken,
        "--epochs", 1, "--no-progress",
    )  # fmt: skip
    assert_one_error(result, fragment, str(broken / name))
    assert not (out / "model.keras").exists()


def test_init_from_a_run_of_the_other_kind_is_one_line(tmp_path, rnn_run, shape_dataset):
    pytest.importorskip("seqdoodle.training")
    result = invoke(
        "train", "cnn", "--data", shape_dataset, "--out", tmp_path / "r", "--init-from", rnn_run,
        "--epochs", 1, "--no-progress",
    )  # fmt: skip
    assert_one_error(result, str(rnn_run), "'rnn'")


def test_compare_runs_with_different_classes_is_one_line(tmp_path, cnn_run, shape_dataset):
    pytest.importorskip("seqdoodle.comparison.job")
    from tests.test_artifacts import make_rnn_run

    other = make_rnn_run(tmp_path / "other", classes=["circle", "line", "sun"])
    result = invoke(
        "compare", "--runs", cnn_run, "--runs", other, "--data", shape_dataset,
        "--out", tmp_path / "report",
    )  # fmt: skip
    assert_one_error(result, str(other), "classes differ")
    assert not (tmp_path / "report" / "report.json").exists()


# ----------------------------------------------------------------------------- unsafe models


def _lambda_run(tmp_path, marker):
    """A bitmap run whose model holds a Lambda layer that touches `marker` when it runs."""
    import keras

    from seqdoodle.runs.folder import save_run

    code = f"lambda x: (__import__('pathlib').Path({str(marker)!r}).touch(), x)[1]"
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Lambda(eval(code))(inputs)  # noqa: S307 - the test's own code
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(4, activation="softmax")(x)
    run = save_run(
        tmp_path / "unsafe run", keras.Model(inputs, outputs), {"kind": "cnn"},
        ["circle", "line", "triangle", "zigzag"],
    )  # fmt: skip
    marker.unlink(missing_ok=True)  # building the model ran the lambda once
    return run


def test_lambda_model_is_refused_and_its_code_never_runs(tmp_path):
    marker = tmp_path / "code ran"
    run = _lambda_run(tmp_path, marker)
    with pytest.raises(DataFormatError, match="refused to load"):
        load_run(run)
    image = write_bytes(tmp_path / "x.npy", (b""))
    result = invoke("predict", run, image)
    assert_one_error(result, str(run / "model.keras"), "safe mode")
    assert not marker.exists()


# ----------------------------------------------------------------------------- trained runs


def test_trained_run_with_truncated_model_is_one_line(tmp_path, trained_run):
    run = tmp_path / "trained run"
    shutil.copytree(trained_run, run)
    _truncate_model(run, 0.9)
    image = write_bytes(tmp_path / "a.ndjson", b'{"word":"cat","drawing":[[[0,9],[0,9]]]}\n')
    assert_one_error(invoke("predict", run, image), str(run / "model.keras"), "truncated")
    data = json.loads((run / "config.json").read_text())["dataset"]["path"]
    result = invoke("evaluate", run, "--data", data, "--no-progress")
    assert_one_error(result, str(run / "model.keras"), "truncated")


def test_resume_from_truncated_checkpoint_names_the_problem(tmp_path, trained_run):
    run = tmp_path / "trained run"
    shutil.copytree(trained_run, run)
    last = run / "checkpoint" / "last.keras"
    last.write_bytes(last.read_bytes()[:5000])
    data = json.loads((run / "config.json").read_text())["dataset"]["path"]
    result = invoke(
        "train", "cnn", "--data", data, "--out", run, "--arch", "baseline", "--epochs", 2,
        "--no-progress",
    )  # fmt: skip
    assert_one_error(result, str(last), "corrupt or truncated")

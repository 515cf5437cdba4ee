"""Distillation (`train KIND --teacher`): the loss, the cached teacher targets, the run.

The decisive test trains a student from a teacher that is deliberately wrong: a CNN trained on
four synthetic classes whose softmax columns are permuted, so it answers circle -> square ->
star -> triangle -> circle. With alpha = 0 (soft targets only) the student must give the
teacher's wrong class; a student trained on the labels alone (the same call without `--teacher`,
which is the teacher before its head was permuted) almost never does. Measured with seed 0 on
a CPU (4 classes x 100 drawings, 40 test drawings): the student gives the teacher's class for
0.95 of the test drawings, the student without a teacher for 0.00; the bar is 0.7 against 0.2.
"""

from __future__ import annotations

import json
import shutil

import keras
import numpy as np
import pytest
from typer.testing import CliRunner

from seqdoodle.cli import app
from seqdoodle.errors import DataFormatError
from seqdoodle.fileio import sha256_file
from seqdoodle.runs.folder import load_run, save_run
from seqdoodle.training import distill, train

CLASSES = ["circle", "square", "star", "triangle"]
PERM = np.array([1, 2, 3, 0])  # the teacher calls class j class PERM[j]
ARGS = {"arch": "baseline", "epochs": 3, "batch_size": 32, "lr": 5e-3, "seed": 0,
        "progress": False, "time_limit": None}  # fmt: skip


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from seqdoodle import prepare

    folder = tmp_path_factory.mktemp("distill") / "ds"
    return prepare("synthetic", folder, classes=CLASSES, per_class=100, seed=0, progress=False)


def _fake_teacher(folder, classes):
    """A run folder that passes the pre-Keras checks: config.json, classes, a model file."""
    folder.mkdir(parents=True)
    (folder / "model.keras").write_bytes(b"not a model")
    (folder / "config.json").write_text(json.dumps({"kind": "cnn", "classes": classes}))
    return folder


# ----------------------------------------------------------------------------- fast: the parts


def test_confidence_temperature_matches_the_validation_confidence():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(500, 5))
    val = distill.temper(np.exp(logits) / np.exp(logits).sum(1, keepdims=True), 1.0)
    train_probs = distill.temper(val, 0.2)  # the same teacher, overconfident on its training set
    c = distill.fit_confidence_temperature(train_probs, val)
    assert c > 1
    assert distill.mean_top1(train_probs, c) == pytest.approx(distill.mean_top1(val), abs=1e-6)
    # No sharpening: a teacher no more confident on its training drawings is left as it is.
    assert distill.fit_confidence_temperature(val, train_probs) == 1.0
    assert distill.fit_confidence_temperature(train_probs, val[:0]) == 1.0


def test_loss_is_alpha_ce_plus_t2_kl_of_the_softened_distributions():
    loss_cls, accuracy_cls = distill.keras_objects()
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], np.float32)
    q = np.array([[0.2, 0.7, 0.1], [0.3, 0.3, 0.4]])
    labels = np.array([0, 2])
    t, alpha = 2.0, 0.3
    teacher_t, student_t = distill.temper(q, t), distill.temper(p, t)
    ce = -np.log(p[np.arange(2), labels])
    kl = (teacher_t * (np.log(teacher_t) - np.log(student_t))).sum(1)
    expected = np.mean(alpha * ce + (1 - alpha) * t * t * kl)
    y = np.concatenate([labels[:, None], teacher_t], axis=1).astype(np.float32)
    loss = loss_cls(temperature=t, alpha=alpha)
    assert float(loss(y, p)) == pytest.approx(expected, rel=1e-5)
    # Labels alone (validation) give the kind's cross-entropy; the loss survives a round trip.
    assert float(loss(labels, p)) == pytest.approx(ce.mean(), rel=1e-5)
    again = loss_cls.from_config(loss.get_config())
    assert float(again(y, p)) == pytest.approx(expected, rel=1e-5)
    accuracy = accuracy_cls()
    accuracy.update_state(y, p)
    accuracy.update_state(labels, p)
    assert accuracy.name == "accuracy" and float(accuracy.result()) == 1.0


def test_teacher_with_other_classes_is_one_line(dataset, tmp_path):
    swapped = _fake_teacher(tmp_path / "swapped", ["square", "circle", "star", "triangle"])
    with pytest.raises(DataFormatError, match="another order .position 0: 'square'"):
        train("cnn", dataset.path, tmp_path / "a", teacher=swapped, **ARGS)
    other = _fake_teacher(tmp_path / "other", ["circle", "square", "star", "sun"])
    with pytest.raises(DataFormatError, match="lacks 'triangle'; has extra 'sun'"):
        train("cnn", dataset.path, tmp_path / "b", teacher=other, **ARGS)
    assert not (tmp_path / "a").exists()  # refused before anything was written
    result = CliRunner().invoke(
        app, ["train", "cnn", "--data", str(dataset.path), "--out", str(tmp_path / "c"),
              "--teacher", str(other)],
    )  # fmt: skip
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "teacher's classes differ from the dataset's" in lines[0]
    with pytest.raises(DataFormatError, match="distill_alpha must be between 0 and 1"):
        train("cnn", dataset.path, tmp_path / "d", teacher=other, distill_alpha=2.0, **ARGS)


# ----------------------------------------------------------------------------- slow: real runs


@pytest.fixture(scope="module")
def base(dataset, tmp_path_factory):
    """The student without a teacher: a baseline CNN trained on the labels."""
    out = tmp_path_factory.mktemp("distill") / "base"
    train("cnn", dataset.path, out, **ARGS)
    return out


@pytest.fixture(scope="module")
def teacher(base, tmp_path_factory):
    """`base` with its softmax columns permuted: a confident teacher of the wrong classes."""
    run = load_run(base)
    head = run.model.layers[-1]
    kernel, bias = head.get_weights()
    new_kernel, new_bias = np.zeros_like(kernel), np.zeros_like(bias)
    new_kernel[:, PERM], new_bias[PERM] = kernel, bias
    head.set_weights([new_kernel, new_bias])
    out = tmp_path_factory.mktemp("distill") / "teacher"
    config = {key: value for key, value in run.config.items() if key != "classes"}
    return save_run(out, run.model, config, run.classes)


class _InterruptAfterFirstEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            raise KeyboardInterrupt


@pytest.fixture(scope="module")
def student(dataset, teacher, tmp_path_factory):
    """Distilled with alpha = 0, interrupted after its first epoch and resumed."""
    out = tmp_path_factory.mktemp("distill") / "student"
    args = {**ARGS, "teacher": teacher, "distill_alpha": 0.0}
    with pytest.raises(KeyboardInterrupt):
        train("cnn", dataset.path, out, callbacks=[_InterruptAfterFirstEpoch()], **args)
    # The resumed call keeps the run's teacher without being told (and reuses the cache).
    resumed = {key: value for key, value in args.items() if key not in ("teacher",)}
    resumed.pop("distill_alpha")
    return out, train("cnn", dataset.path, out, **resumed)


def _rates(path, dataset):
    """(share of test drawings given the teacher's class, share given the true class)."""
    rows = dataset.indices("test")
    predicted = load_run(path).predict_proba_dataset(dataset, rows).argmax(axis=1)
    y = dataset.labels[rows]
    return float(np.mean(predicted == PERM[y])), float(np.mean(predicted == y))


@pytest.mark.slow
def test_student_follows_the_teachers_soft_targets(student, base, teacher, dataset):
    out, run = student
    assert run.summary["resumed_from_epoch"] == 1 and run.summary["epochs_run"] == 3
    as_teacher, _ = _rates(teacher, dataset)
    as_student, _ = _rates(out, dataset)
    without, correct_without = _rates(base, dataset)
    assert as_teacher >= 0.8 and correct_without >= 0.8  # the teacher is confidently wrong
    assert as_student >= 0.7 and without <= 0.2, (as_student, without)


@pytest.mark.slow
def test_config_records_the_teacher_and_the_run_loads_like_any(student, teacher, dataset):
    out, _ = student
    config = json.loads((out / "config.json").read_text())
    d = config["distillation"]
    assert d["teacher"] == str(teacher) and d["teacher_type"] == "run"
    assert d["teacher_sha256"] == sha256_file(teacher / "model.keras")
    assert d["temperature"] == 2.0 and d["alpha"] == 0.0
    assert d["confidence_temperature"] >= 1.0
    info = json.loads((out / distill.CACHE_INFO).read_text())
    assert info["confidence_temperature"] == d["confidence_temperature"]
    run = load_run(out)  # no custom objects: the saved model has no compiled state
    drawings = list(dataset.drawings(dataset.indices("test")[:5]))
    assert run.predict_proba(drawings).shape == (5, len(CLASSES))
    # A resumed run keeps its teacher: another one is refused.
    with pytest.raises(DataFormatError, match="distilled from another teacher"):
        train("cnn", dataset.path, out, teacher=out, **{**ARGS, "epochs": 4})


@pytest.mark.slow
def test_teacher_probabilities_are_cached_and_keyed(student, teacher, base, dataset, tmp_path,
                                                    monkeypatch):  # fmt: skip
    out, _ = student
    folder = tmp_path / "copy"
    folder.mkdir()
    for name in (distill.CACHE_PROBS, distill.CACHE_INFO):
        shutil.copy(out / name, folder / name)
    manifest_sha = sha256_file(dataset.path / "manifest.json")
    import seqdoodle.runs.ensemble as ensemble

    def no_loading(path):
        raise AssertionError("the teacher was loaded again")

    lines = []
    with monkeypatch.context() as patch:
        patch.setattr(ensemble, "load_model", no_loading)
        cached = distill.teacher_targets(
            distill.teacher_identity(teacher), dataset, folder, manifest_sha, lines.append
        )
    assert cached.from_cache and "cached" in lines[-1]
    assert cached.probs.shape == (len(dataset.indices("train")), len(CLASSES))
    # Another teacher (another sha256) recomputes.
    other = distill.teacher_targets(
        distill.teacher_identity(base), dataset, folder, manifest_sha, lines.append
    )
    assert not other.from_cache
    assert np.mean(other.probs.argmax(1) == PERM[cached.probs.argmax(1)]) < 0.2


@pytest.mark.slow
def test_any_kind_distils_a_stroke_model_from_the_cnn(teacher, dataset, tmp_path):
    out = tmp_path / "rnn"
    run = train("rnn", dataset.path, out, teacher=teacher, epochs=1, batch_size=32, seed=0,
                progress=False, time_limit=None)  # fmt: skip
    assert run.config["distillation"]["teacher_sha256"] == sha256_file(teacher / "model.keras")
    assert run.summary["epochs_run"] == 1 and np.isfinite(run.history["loss"][0])


@pytest.mark.slow
def test_compare_reports_the_student_beside_its_teacher(student, teacher, dataset, tmp_path):
    from seqdoodle.comparison.job import compare

    out, _ = student
    report = compare(runs=[teacher, out], data=dataset.path, out=tmp_path / "cmp", progress=False)
    info = report["runs"]
    assert info[teacher.name]["teacher"] is None
    assert info[out.name]["teacher"]["compared_as"] == teacher.name
    text = (tmp_path / "cmp" / "report.md").read_text()
    assert f"{out.name} is a student distilled from `{teacher.name}` above" in text

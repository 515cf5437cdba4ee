"""Training learns: tiny runs on synthetic doodles score clearly above chance.

Four balanced synthetic classes (chance = 0.25), 200 drawings each prepared with seed 0, so the
test split holds 80 drawings. Measured with seed 0 on a CPU: the CNN reaches 0.99 test top-1
after 3 epochs, the stroke model 0.80 after 5 (0.84 and 0.90 with seeds 1 and 2), the stroke-order
CNN 0.99 after 3, the small stroke transformer 0.81 after 5; compare()
training both at its own batch sizes: 0.99 and 0.80. The bar,
0.6, is far above what a model without signal gets: uniform output predicts one class for every
drawing (top-1 = 0.25), and P(top-1 >= 0.6) for 80 guesses at chance is below 1e-11.
"""

from __future__ import annotations

import numpy as np
import pytest

CLASSES = ["circle", "square", "star", "triangle"]
CHANCE = 1 / len(CLASSES)
PER_CLASS = 200
SEED = 0
BAR = 0.6
TRAINING = {  # tiny settings: about 10 s per model on 2 busy cores
    "cnn": {"arch": "default", "epochs": 3, "batch_size": 32, "lr": 5e-3},
    "rnn": {"arch": "default", "epochs": 5, "batch_size": 32, "lr": 5e-3},
    "timecnn": {"arch": "default", "epochs": 3, "batch_size": 32, "lr": 5e-3},
    "transformer": {"arch": "small", "epochs": 5, "batch_size": 32, "lr": 3e-3},
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from seqdoodle import prepare

    folder = tmp_path_factory.mktemp("learning") / "synthetic"
    return prepare(
        "synthetic", folder, classes=CLASSES, per_class=PER_CLASS, seed=SEED, progress=False
    )


def _train(kind, dataset, tmp_path_factory):
    from seqdoodle import train

    out = tmp_path_factory.mktemp("learning") / kind
    run = train(kind, dataset.path, out, seed=SEED, progress=False, **TRAINING[kind])
    return out, run


@pytest.fixture(scope="module")
def cnn_run(dataset, tmp_path_factory):
    return _train("cnn", dataset, tmp_path_factory)


@pytest.fixture(scope="module")
def rnn_run(dataset, tmp_path_factory):
    return _train("rnn", dataset, tmp_path_factory)


@pytest.fixture(scope="module")
def timecnn_run(dataset, tmp_path_factory):
    return _train("timecnn", dataset, tmp_path_factory)


@pytest.fixture(scope="module")
def transformer_run(dataset, tmp_path_factory):
    return _train("transformer", dataset, tmp_path_factory)


def _test_split(dataset):
    rows = dataset.indices("test")
    drawings = list(dataset.drawings(rows))
    y = np.array([CLASSES.index(d.word) for d in drawings])
    return drawings, y


def test_test_split_is_balanced(dataset):
    _, y = _test_split(dataset)
    assert len(y) == 80
    assert np.bincount(y, minlength=len(CLASSES)).tolist() == [20] * len(CLASSES)


@pytest.mark.parametrize("kind", ["cnn", "rnn", "timecnn", "transformer"])
def test_training_beats_chance(kind, dataset, request):
    from seqdoodle import load_run

    out, trained = request.getfixturevalue(f"{kind}_run")
    summary = trained.summary
    assert summary["test_top1"] >= BAR, summary
    assert summary["best_val_accuracy"] >= BAR, summary
    # The saved run, given the raw test drawings, scores the same way.
    drawings, y = _test_split(dataset)
    probs = load_run(out).predict_proba(drawings)
    assert probs.shape == (len(y), len(CLASSES))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    top1 = float(np.mean(probs.argmax(axis=1) == y))
    assert top1 >= BAR
    assert top1 == pytest.approx(summary["test_top1"], abs=2 / len(y))
    np.testing.assert_allclose(trained.predict_proba(drawings), probs, atol=1e-5)  # train's Run
    # It does not just predict one class: every class is predicted at least once.
    assert set(probs.argmax(axis=1).tolist()) == set(range(len(CLASSES)))


def test_compare_scores_trained_runs_above_chance(dataset, cnn_run, rnn_run, tmp_path):
    from seqdoodle import compare

    report = compare(
        data=dataset.path, runs=[cnn_run[0], rnn_run[0]], out=tmp_path / "report", progress=False
    )
    models = report["models"]
    for name, (_, trained) in (("cnn", cnn_run), ("rnn", rnn_run)):
        assert models[name]["n"] == 80
        assert models[name]["top1"] == pytest.approx(trained.summary["test_top1"], abs=1e-6)
        assert models[name]["top1"] == pytest.approx(trained.metrics["top1"], abs=1e-6)
    for name in ("cnn", "rnn", "ensemble"):
        assert models[name]["top1"] >= BAR, (name, models[name]["top1"])
        assert models[name]["macro_f1"] > CHANCE + 0.25, (name, models[name]["macro_f1"])


def test_compare_trains_both_models_above_chance(dataset, tmp_path):
    """compare()'s own training path, at its default batch sizes (256 bitmaps, 128 strokes).

    The CNN is the baseline architecture: with batch norm (`default`) 10 epochs of 3 steps leave
    the moving statistics unsettled and the model at chance (measured 0.25), which says nothing
    about compare. Measured with seed 0: CNN 0.99, stroke model 0.80, ensemble 0.99.
    """
    from seqdoodle import compare

    report = compare(
        data=dataset.path,
        out=tmp_path / "report",
        epochs={"cnn": 10, "rnn": 10},
        cnn_arch="baseline",
        seed=SEED,
        progress=False,
    )
    for name in ("cnn", "rnn", "ensemble"):
        assert report["models"][name]["n"] == 80
        assert report["models"][name]["top1"] >= BAR, (name, report["models"][name]["top1"])


def test_stroke_batches_carry_each_drawings_label_and_input(dataset):
    """Every stroke batch's labels are the classes of its own drawings, and its inputs their
    documented raw model input (`kind.drawing_inputs`), checked row by row."""
    from seqdoodle.kinds import get_kind

    kind = get_kind("rnn")
    rows = dataset.indices("train")
    config = kind.fit_input_config(dataset, rows, SEED)
    for train in (True, False):
        batches = kind.batches(dataset, rows, 32, config, seed=SEED, train=train)
        seen = []
        for batch_rows, (x, y) in zip(batches.batch_indices(0), batches.epoch(0)):
            drawings = list(dataset.drawings(batch_rows))
            words = [CLASSES.index(d.word) for d in drawings]
            assert np.asarray(y).tolist() == words
            assert len(x) == len(batch_rows)
            if not train:  # augmented inputs differ by design; plain ones must match exactly
                for i, drawing in enumerate(drawings):
                    alone = kind.drawing_inputs([drawing], config)[0]
                    np.testing.assert_allclose(x[i, : len(alone)], alone, atol=1e-6)
                    assert not np.any(x[i, len(alone) :])
            seen.append(batch_rows)
        np.testing.assert_array_equal(np.sort(np.concatenate(seen)), rows)
        assert len(set(np.concatenate(seen).tolist())) == len(rows)

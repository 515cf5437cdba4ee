"""Fixtures of the fault tests: tiny runs built without training, a tiny prepared dataset."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def cnn_run(tmp_path_factory):
    """A bitmap run folder (template-matching model over 4 shape classes), no training."""
    from tests.test_artifacts import make_cnn_run

    return make_cnn_run(tmp_path_factory.mktemp("runs") / "cnn run")


@pytest.fixture(scope="session")
def rnn_run(tmp_path_factory):
    """A stroke run folder (pooled stroke model over 4 shape classes), no training."""
    from tests.test_artifacts import make_rnn_run

    return make_rnn_run(tmp_path_factory.mktemp("runs") / "rnn run")


@pytest.fixture(scope="session")
def shape_dataset(tmp_path_factory):
    """A prepared dataset of the 4 shape classes, with strokes (most rows in the test split)."""
    from tests.test_artifacts import make_dataset, shape_drawings

    folder = tmp_path_factory.mktemp("data") / "shapes"
    return make_dataset(folder, shape_drawings(per_class=4, seed=1), with_strokes=True).path


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """A run folder trained for 1 epoch by `train` (baseline CNN, 3 synthetic classes)."""
    pytest.importorskip("seqdoodle.training")
    from seqdoodle.datasets.prepare import prepare
    from seqdoodle.training import train

    root = tmp_path_factory.mktemp("trained")
    data = prepare(
        "synthetic", root / "ds", classes=["circle", "square", "star"], per_class=20, progress=False
    ).path
    train("cnn", data, root / "run", arch="baseline", epochs=1, batch_size=16, progress=False)
    return root / "run"

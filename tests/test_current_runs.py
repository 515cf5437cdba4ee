"""The trained runs of today's format (`tests/fixtures/runs_current`) still load and predict what
they predicted when `tests/fixtures/make_trained_runs.py` made them, well above chance."""

from __future__ import annotations

import numpy as np
import pytest

from seqdoodle.datasets.records import Drawing
from seqdoodle.kinds import kind_names
from seqdoodle.runs.folder import load_run
from seqdoodle.runs.layout import RunLayout
from tests.conftest import CURRENT_RUNS, current_expected

FORMATS = ("raw", "simplified")


def check_drawings(expected: dict, fmt: str) -> list[Drawing]:
    return [
        Drawing(r["word"], strokes=r["drawing"], key_id=r.get("key_id"), fmt=fmt)
        for r in expected["drawings"][fmt]
    ]


def test_every_registered_kind_has_a_small_trained_run():
    expected = current_expected()
    assert list(expected["runs"]) == list(kind_names())
    for name in kind_names():
        layout = RunLayout(CURRENT_RUNS / name)
        assert layout.model.is_file() and layout.config.is_file()
        assert not layout.checkpoint_dir.exists()  # optimizer state is not kept
        size = sum(p.stat().st_size for p in layout.path.rglob("*") if p.is_file())
        assert size < 1_200_000, f"{layout.path}: {size} bytes"


@pytest.mark.parametrize("kind", kind_names())
def test_a_current_run_predicts_what_it_predicted(kind):
    expected = current_expected()
    run = load_run(CURRENT_RUNS / kind)
    assert run.kind == kind and run.config["arch"] == expected["runs"][kind]
    assert run.classes == expected["dataset"]["classes"]
    for fmt in FORMATS:
        probs = run.predict_proba(check_drawings(expected, fmt))
        want = np.asarray(expected["probabilities"][kind][fmt], np.float32)
        assert probs.shape == want.shape and want.shape[0] >= 10
        np.testing.assert_allclose(probs, want, atol=1e-5, rtol=0)


@pytest.mark.parametrize("kind", kind_names())
def test_a_current_run_is_well_above_chance(kind):
    expected = current_expected()
    run = load_run(CURRENT_RUNS / kind)
    chance = 1 / len(run.classes)
    assert run.metrics["top1"] >= 2 * chance
    # The raw check drawings are in no split of the dataset: most get their true class.
    probs = np.asarray(expected["probabilities"][kind]["raw"])
    words = [d["word"] for d in expected["drawings"]["raw"]]
    hits = np.mean([run.classes[i] == w for i, w in zip(probs.argmax(1), words, strict=True)])
    assert hits >= 0.7, hits


@pytest.mark.slow
def test_the_remade_dataset_is_the_one_the_runs_were_tested_on(current_dataset, current_runs):
    from seqdoodle.datasets.prepared import PreparedDataset

    ds = PreparedDataset(current_dataset)
    rows = ds.indices("test")
    for path in current_runs.values():
        run = load_run(path)
        saved = run.test_predictions
        assert ds.classes == run.classes and list(saved.ids) == rows.tolist()
        np.testing.assert_array_equal(saved.y_true, ds.labels[rows])
        np.testing.assert_allclose(run.predict_proba_dataset(ds, rows), saved.probs, atol=1e-5)

"""The data-scale study's maths: nested subsets, the power-law fit and where two curves cross."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.learning_curves import (
    find_crossing,
    fit_log_linear,
    fit_power_law,
    nested_train_rows,
    power_law,
)

SIZES = np.array([150, 300, 600, 1372], dtype=float)


@pytest.mark.parametrize("a, b, c", [(0.3, 0.7, 0.1), (0.6, 0.4, 0.05), (0.2, 1.2, 0.15)])
def test_the_power_law_fit_recovers_known_curves(a, b, c):
    n = np.repeat(SIZES, 2)  # two seeds a size
    fit = fit_power_law(n, power_law(n, a, b, c))
    assert (fit["a"], fit["b"], fit["c"]) == pytest.approx((a, b, c), abs=0.02)
    assert fit["rmse"] < 1e-4


def test_the_power_law_fit_keeps_its_bounds_on_noisy_points():
    rng = np.random.default_rng(0)
    n = np.repeat(SIZES, 2)
    err = power_law(n, 0.3, 0.7, 0.1) + rng.normal(0, 0.01, n.size)
    fit = fit_power_law(n, err)
    assert fit["a"] >= 0 and 0.02 <= fit["b"] <= 3 and 0 <= fit["c"] <= 1
    assert fit["rmse"] < 0.02
    with pytest.raises(ValueError, match="3\\+ distinct sizes"):
        fit_power_law([100, 100, 200], [0.3, 0.3, 0.2])


def test_log_linear_fit_is_exact_on_a_line():
    fit = fit_log_linear(SIZES, 0.5 - 0.1 * np.log(SIZES / 100))
    assert (fit["alpha"], fit["beta"]) == pytest.approx((0.5, -0.1), abs=1e-9)


def test_crossing_of_two_power_laws_is_where_they_are_equal():
    def bitmap(n):
        return power_law(n, 0.2, 0.5, 0.10)

    def stroke(n):
        return power_law(n, 0.5, 0.8, 0.05)

    found = find_crossing(bitmap, stroke, 150.0)
    assert found["status"] == "crosses"
    n_star = found["n_star"]
    assert 150 < n_star < 1e6
    assert stroke(n_star) == pytest.approx(bitmap(n_star), abs=1e-9)
    assert stroke(n_star * 0.9) > bitmap(n_star * 0.9)  # behind before, ahead after
    assert find_crossing(bitmap, lambda n: bitmap(n) + 0.01, 150.0)["status"] == "none"
    assert find_crossing(bitmap, lambda n: bitmap(n) - 0.01, 150.0)["status"] == "stroke_ahead"


def test_subsets_are_nested_balanced_and_seeded():
    labels = np.repeat(np.arange(3), 50)
    splits = np.zeros(labels.size, np.uint8)
    splits[::10] = 1  # a few validation rows, never taken
    small = nested_train_rows(labels, splits, 10, seed=0)
    big = nested_train_rows(labels, splits, 30, seed=0)
    assert set(small) <= set(big)
    assert np.bincount(labels[small]).tolist() == [10, 10, 10]
    assert not np.any(splits[big])
    assert np.array_equal(small, nested_train_rows(labels, splits, 10, seed=0))
    assert not np.array_equal(small, nested_train_rows(labels, splits, 10, seed=1))
    every = nested_train_rows(labels, splits, None, seed=0)
    assert every.size == int(np.sum(splits == 0))


def test_only_a_run_trained_as_the_study_trains_is_reused(current_runs, tmp_path):
    import json
    import shutil

    from experiments.studies.data_scale import reusable_run
    from seqdoodle.errors import DataFormatError
    from seqdoodle.runs.layout import RunLayout

    folder = tmp_path / "runs"
    (folder / "cnn").mkdir(parents=True)
    shutil.copy(current_runs["cnn"] / "config.json", folder / "cnn")
    config = json.loads((folder / "cnn" / "config.json").read_text())
    sha, train = config["dataset"]["manifest_sha256"], config["train"]
    limit = train["time_limit"] and train["time_limit"] * 60
    with pytest.raises(DataFormatError, match="not finished"):
        reusable_run(folder, "cnn", sha, train["epochs"], limit)
    state = RunLayout(folder / "cnn").state
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"summary": {"stop_reason": "epochs"}}))
    assert reusable_run(folder, "cnn", sha, train["epochs"], limit) == folder / "cnn"
    with pytest.raises(DataFormatError, match="limit"):  # a time-limited run is not a full one
        reusable_run(folder, "cnn", sha, train["epochs"], 840 if limit is None else None)
    with pytest.raises(DataFormatError, match="epochs"):
        reusable_run(folder, "cnn", sha, train["epochs"] + 1, limit)
    with pytest.raises(DataFormatError, match="another dataset"):
        reusable_run(folder, "cnn", "0" * 64, train["epochs"], limit)
    assert reusable_run(tmp_path, "cnn", sha) is None

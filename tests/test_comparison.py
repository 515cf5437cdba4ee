"""Tests of the paired comparison: McNemar, bootstrap, per-class winners, ensemble, report files."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest
from scipy.stats import binomtest

from seqdoodle.comparison.scoring import compare_predictions
from seqdoodle.comparison.statistics import (
    bootstrap_accuracy_difference,
    mcnemar_exact,
    per_class_winners,
)
from seqdoodle.comparison.verdicts import PairedComparison
from seqdoodle.errors import DataFormatError
from seqdoodle.evaluation.ensembles import ensemble_probs, fit_ensemble_weight, pool_probs
from seqdoodle.evaluation.report import EvaluationReport, top_k_accuracy
from seqdoodle.plots.evaluation import plot_wrong_predictions
from seqdoodle.reports import write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def pair_with(b: int, c: int, both: int = 7, neither: int = 3, seed: int = 0):
    """Correctness vectors with `b` drawings only a gets right and `c` only b gets right."""
    a = np.r_[np.ones(b, bool), np.zeros(c, bool), np.ones(both, bool), np.zeros(neither, bool)]
    bb = np.r_[np.zeros(b, bool), np.ones(c, bool), np.ones(both, bool), np.zeros(neither, bool)]
    order = np.random.default_rng(seed).permutation(a.size)
    return a[order], bb[order]


# ----------------------------------------------------------------------------- McNemar


@pytest.mark.parametrize(
    "b, c",
    [(0, 1), (1, 0), (5, 5), (1, 10), (30, 12), (0, 7), (12, 13), (100, 140), (10, 200)],
)
def test_mcnemar_matches_scipy_binomtest(b, c):
    r = mcnemar_exact(*pair_with(b, c))
    assert (r["b"], r["c"], r["statistic"]) == (b, c, min(b, c))
    assert r["p_value"] == pytest.approx(binomtest(b, b + c, 0.5).pvalue, rel=1e-9)


@pytest.mark.parametrize("b, c", [(500100, 499900), (499000, 501000), (3, 300000)])
def test_mcnemar_stays_exact_for_a_million_discordant_pairs(b, c):
    r = mcnemar_exact(*pair_with(b, c, both=0, neither=0))
    assert r["p_value"] == pytest.approx(binomtest(b, b + c, 0.5).pvalue, rel=1e-7, abs=1e-300)


def test_mcnemar_without_discordant_pairs_gives_p_one():
    a = np.array([True, False, True])
    assert mcnemar_exact(a, a) == {"b": 0, "c": 0, "statistic": 0, "p_value": 1.0}


def test_mcnemar_rejects_bad_input():
    with pytest.raises(DataFormatError, match="equal length"):
        mcnemar_exact(np.ones(3, bool), np.ones(4, bool))
    with pytest.raises(DataFormatError, match="bool"):
        mcnemar_exact(np.ones(3), np.ones(3))


# ----------------------------------------------------------------------------- bootstrap


def test_bootstrap_contains_the_true_difference():
    a, b = pair_with(b=300, c=100, both=1200, neither=400)  # accuracies 0.75 and 0.65
    r = bootstrap_accuracy_difference(a, b)
    assert r["diff"] == pytest.approx(0.1)
    assert r["low"] < 0.1 < r["high"]
    assert 0.06 < r["low"] and r["high"] < 0.14
    assert r["n_boot"] == 2000 and r["ci"] == 0.95


def test_bootstrap_narrows_with_n():
    small = bootstrap_accuracy_difference(*pair_with(30, 10, 120, 40))
    large = bootstrap_accuracy_difference(*pair_with(3000, 1000, 12000, 4000))
    width_small = small["high"] - small["low"]
    width_large = large["high"] - large["low"]
    assert width_large < width_small / 5  # 100x the drawings: about 10x narrower


def test_bootstrap_seed_reproduces():
    a, b = pair_with(400, 250, 1000, 300)
    first = bootstrap_accuracy_difference(a, b, seed=3)
    assert bootstrap_accuracy_difference(a, b, seed=3) == first
    other = bootstrap_accuracy_difference(a, b, seed=4)
    assert (other["low"], other["high"]) != (first["low"], first["high"])
    assert other["diff"] == first["diff"]


def test_bootstrap_matches_resampling_indices():
    """The multinomial shortcut has the spread of a plain index-resampling bootstrap."""
    a, b = pair_with(60, 35, 150, 55, seed=1)
    rng = np.random.default_rng(11)
    idx = rng.integers(0, a.size, size=(4000, a.size))
    naive = a[idx].mean(axis=1) - b[idx].mean(axis=1)
    lo, hi = np.quantile(naive, [0.025, 0.975])
    r = bootstrap_accuracy_difference(a, b, n_boot=4000, seed=5)
    assert r["low"] == pytest.approx(lo, abs=0.012)
    assert r["high"] == pytest.approx(hi, abs=0.012)


# ----------------------------------------------------------------------------- per class


def test_per_class_winners_hand_case():
    y = np.array([0, 0, 1, 1, 1])
    pred_a = np.array([0, 0, 0, 1, 0])
    pred_b = np.array([0, 1, 1, 1, 1])
    rows = per_class_winners(y, pred_a, pred_b, ["cat", "dog", "owl"], names=("cnn", "rnn"))
    assert rows == [
        {"class": "cat", "n": 2, "acc_a": 1.0, "acc_b": 0.5, "winner": "cnn"},
        {"class": "dog", "n": 3, "acc_a": 1 / 3, "acc_b": 1.0, "winner": "rnn"},
        {"class": "owl", "n": 0, "acc_a": None, "acc_b": None, "winner": "-"},
    ]
    tie = per_class_winners([0], [0], [0], ["cat"])
    assert tie[0]["winner"] == "tie"


# ----------------------------------------------------------------------------- ensemble


def complementary_models(n_per_class=100, k=4, seed=0):
    """Model a is confident and right on classes 0-1 and unsure and wrong on 2-3; b the reverse."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(k), n_per_class)
    rng.shuffle(y)
    n = y.size
    wrong = (y + 1) % k

    def model(good_classes):
        probs = np.full((n, k), 0.05)
        good = np.isin(y, good_classes)
        probs[good, y[good]] = 0.85
        probs[~good, wrong[~good]] = 0.40
        probs[~good, y[~good]] = 0.30
        return probs / probs.sum(axis=1, keepdims=True)

    return y, model([0, 1]), model([2, 3])


def test_ensemble_probs_is_the_weighted_mean():
    pa = np.array([[0.8, 0.2], [0.1, 0.9]])
    pb = np.array([[0.2, 0.8], [0.5, 0.5]])
    np.testing.assert_allclose(ensemble_probs(pa, pb, 0.25), 0.25 * pa + 0.75 * pb)
    np.testing.assert_allclose(ensemble_probs(pa, pb, 1.0), pa)
    with pytest.raises(DataFormatError, match="weight"):
        ensemble_probs(pa, pb, 1.5)


@pytest.mark.parametrize("pool", ["log", "linear"])
def test_ensemble_of_complementary_models_beats_both(pool):
    y, pa, pb = complementary_models()
    acc_a, acc_b = top_k_accuracy(y, pa, 1), top_k_accuracy(y, pb, 1)
    assert acc_a == acc_b == 0.5
    weight = fit_ensemble_weight(y, pa, pb, pool=pool)
    assert weight == 0.5
    assert top_k_accuracy(y, pool_probs([pa, pb], [weight, 1 - weight], pool), 1) == 1.0


def test_fit_ensemble_weight_picks_the_better_model_by_log_loss():
    y, pa, _ = complementary_models(seed=1)
    uniform = np.full_like(pa, 1 / pa.shape[1])
    assert fit_ensemble_weight(y, pa, uniform) > 0.5
    assert fit_ensemble_weight(y, uniform, pa) < 0.5
    w = fit_ensemble_weight(y, pa, uniform, grid=[0.0, 0.3])
    assert w == 0.3


def test_ensemble_weight_comes_from_validation_never_test():
    assert list(inspect.signature(fit_ensemble_weight).parameters)[:3] == [
        "y_val",
        "pa_val",
        "pb_val",
    ]
    y_val, good_val, _ = complementary_models(seed=2)
    bad_val = np.roll(good_val, 1, axis=1)  # confidently wrong
    y_test, good_test, _ = complementary_models(seed=3)
    bad_test = np.roll(good_test, 1, axis=1)
    # On validation "cnn" is the good model, on test "rnn" is: the weight must follow validation.
    reports, paired = compare_predictions(
        y_test,
        {"cnn": bad_test, "rnn": good_test},
        ["a", "b", "c", "d"],
        val=(y_val, {"cnn": good_val, "rnn": bad_val}),
    )
    assert paired.ensemble_weight > 0.5
    assert "fitted on 400 validation drawings" in paired.ensemble_weight_source
    _, unfitted = compare_predictions(y_test, {"cnn": bad_test, "rnn": good_test}, list("abcd"))
    assert unfitted.ensemble_weight == 0.5 and "no validation" in unfitted.ensemble_weight_source


# ----------------------------------------------------------------------------- the comparison


def models_with_gap(n=2000, k=5, acc_a=0.70, acc_b=0.75, seed=0):
    """Two models with independent errors and the given accuracies."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)

    def model(acc):
        right = rng.uniform(size=n) < acc
        pred = np.where(right, y, (y + rng.integers(1, k, n)) % k)
        probs = np.full((n, k), 0.1 / (k - 1))
        probs[np.arange(n), pred] = 0.9
        return probs

    return y, model(acc_a), model(acc_b)


def test_compare_finds_the_better_model():
    y, pa, pb = models_with_gap(acc_a=0.65, acc_b=0.80)
    classes = ["cat", "dog", "owl", "fish", "tree"]
    reports, paired = compare_predictions(y, {"cnn": pa, "rnn": pb}, classes)
    assert list(reports) == ["cnn", "rnn", "ensemble"]
    assert reports["cnn"].kind == "cnn" and reports["ensemble"].kind == "ensemble"
    assert paired.mcnemar["p_value"] < 1e-6
    gap = 100 * (reports["rnn"].top1 - reports["cnn"].top1)
    assert paired.verdict.startswith(f"rnn is better than cnn by {gap:.1f} points top-1 (95% CI ")
    assert paired.bootstrap["diff"] == pytest.approx(reports["cnn"].top1 - reports["rnn"].top1)
    assert len(paired.per_class) == 5


def test_compare_reports_no_significant_difference():
    y, pa, pb = models_with_gap(n=300, acc_a=0.7, acc_b=0.7, seed=4)
    _, paired = compare_predictions(y, {"cnn": pa, "rnn": pb}, list("abcde"))
    assert paired.mcnemar["p_value"] >= 0.05
    assert paired.verdict.startswith("no significant difference between cnn and rnn")
    assert paired.bootstrap["low"] < 0 < paired.bootstrap["high"]


def test_compare_needs_at_least_two_models():
    y, pa, pb = models_with_gap(n=20)
    with pytest.raises(DataFormatError, match="at least two"):
        compare_predictions(y, {"cnn": pa}, list("abcde"))
    with pytest.raises(DataFormatError, match="differ"):
        compare_predictions(y, {"cnn": pa, "rnn": pb[:, :4]}, list("abcde"))


def test_paired_comparison_json_round_trip():
    y, pa, pb = models_with_gap(n=200)
    _, paired = compare_predictions(y, {"cnn": pa, "rnn": pb}, list("abcde"))
    obj = json.loads(json.dumps(paired.to_json()))
    assert PairedComparison.from_json(obj) == paired
    del obj["verdict"]
    with pytest.raises(DataFormatError, match="verdict"):
        PairedComparison.from_json(obj, source="report.json")


def test_write_report_writes_json_markdown_and_pngs(tmp_path):
    y, pa, pb = models_with_gap(n=400, acc_a=0.6, acc_b=0.8)
    classes = ["cat", "dog", "owl", "fish", "tree"]
    reports, paired = compare_predictions(y, {"cnn": pa, "rnn": pb}, classes)
    strokes = [[[[0, 50, 100], [0, 80, 10]]]] * len(y)
    wrong = plot_wrong_predictions(strokes, y, pb.argmax(1), classes, title="rnn")
    written = write_report(
        tmp_path / "out",
        reports,
        paired,
        extra={"dataset": {"name": "tiny"}},
        figures={"wrong_rnn.png": wrong},
    )
    out = tmp_path / "out"
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == [
        "confusion_cnn.png",
        "confusion_ensemble.png",
        "confusion_rnn.png",
        "per_class_accuracy.png",
        "wrong_rnn.png",
    ]
    for name in pngs:
        data = (out / name).read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 1000
    doc = json.loads((out / "report.json").read_text())
    assert set(doc) == {"models", "paired", "dataset"}
    assert set(doc["models"]) == {"cnn", "rnn", "ensemble"}
    assert doc["models"]["rnn"]["top1"] == pytest.approx(reports["rnn"].top1)
    assert EvaluationReport.from_json(doc["models"]["cnn"]) == reports["cnn"]
    assert doc["paired"]["verdict"] == paired.verdict
    md = (out / "report.md").read_text()
    assert paired.verdict in md
    assert "| rnn | " in md and "| cat | " in md
    for name in pngs:
        assert f"({name})" in md
    assert written["json"] == out / "report.json" and written["markdown"] == out / "report.md"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_write_report_rejects_reserved_extra_keys(tmp_path):
    y, pa, pb = models_with_gap(n=50)
    reports, paired = compare_predictions(y, {"cnn": pa, "rnn": pb}, list("abcde"))
    with pytest.raises(DataFormatError, match="models"):
        write_report(tmp_path, reports, paired, extra={"models": {}})

"""Comparing two or more models: Holm, N-way ensembles, best subset, N-run `compare` and reports."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from seqdoodle.cli import app
from seqdoodle.comparison.scoring import compare_models, compare_predictions
from seqdoodle.comparison.statistics import holm_adjust, mcnemar_exact, per_class_best
from seqdoodle.errors import DataFormatError
from seqdoodle.evaluation.ensembles import (
    ensemble_subsets,
    fit_ensemble_weights,
    log_loss,
    mix_probs,
    pool_probs,
)
from seqdoodle.evaluation.metrics import expected_calibration_error, top_k_accuracy
from seqdoodle.reports import Section, format_p, markdown_table, pct, summary_table

CLASSES = ["cat", "dog", "owl", "fish", "tree"]


def model(y, acc, k=5, seed=0, conf=0.9):
    """Probabilities of a model right on a fraction `acc` of the drawings."""
    rng = np.random.default_rng(seed)
    right = rng.uniform(size=len(y)) < acc
    pred = np.where(right, y, (y + rng.integers(1, k, len(y))) % k)
    probs = np.full((len(y), k), (1 - conf) / (k - 1))
    probs[np.arange(len(y)), pred] = conf
    return probs


# ----------------------------------------------------------------------------- statistics


def test_holm_matches_the_step_down_definition():
    p = [0.01, 0.04, 0.03, 0.5]
    m = len(p)
    order = np.argsort(p)
    expected = np.empty(m)
    running = 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[j]))
        expected[j] = running
    np.testing.assert_allclose(holm_adjust(p), expected)
    assert holm_adjust([0.2]) == [0.2]
    assert holm_adjust([1e-30, 1e-20])[0] == pytest.approx(2e-30)  # tiny values stay exact
    with pytest.raises(DataFormatError, match=r"\[0, 1\]"):
        holm_adjust([0.5, 1.5])


def test_per_class_best_names_the_winner_or_a_tie():
    rows = per_class_best(
        [0, 0, 1, 2], {"a": [0, 0, 0, 2], "b": [0, 1, 1, 2]}, ["x", "y", "z", "w"]
    )
    assert [r["winner"] for r in rows] == ["a", "b", "tie", "-"]
    assert rows[0]["acc"] == {"a": 1.0, "b": 0.5} and rows[3]["acc"] == {"a": None, "b": None}
    three = per_class_best([0, 1], {"a": [0, 0], "b": [1, 1], "c": [0, 1]}, ["x", "y"])
    assert [r["winner"] for r in three] == ["a = c", "b = c"]


def test_ece_takes_labels_first():
    y, probs = [0, 1], [[0.9, 0.1], [0.9, 0.1]]
    assert expected_calibration_error(y, probs, n_bins=10) == pytest.approx(0.4)
    with pytest.raises(DataFormatError, match="labels come first"):
        expected_calibration_error(probs, y)


# ----------------------------------------------------------------------------- ensembles


@pytest.mark.parametrize("pool", ["log", "linear"])
def test_fitted_weights_reach_the_validation_log_loss_optimum(pool):
    rng = np.random.default_rng(1)
    y = rng.integers(0, 5, 600)
    val = {n: model(y, acc, seed=s) for n, acc, s in (("a", 0.6, 1), ("b", 0.7, 2), ("c", 0.5, 3))}
    w = fit_ensemble_weights(y, val, pool=pool)
    assert sum(w.values()) == pytest.approx(1.0) and min(w.values()) >= 0
    best = log_loss(y, pool_probs(list(val.values()), list(w.values()), pool))
    grid = np.linspace(0, 1, 41)
    for wa, wb in itertools.product(grid, grid):  # no point of a fine simplex grid does better
        if wa + wb <= 1:
            mixed = pool_probs(list(val.values()), [wa, wb, max(0.0, 1 - wa - wb)], pool)
            assert log_loss(y, mixed) >= best - 1e-9
    two = fit_ensemble_weights(y, {"a": val["a"], "b": val["b"]}, pool=pool)  # the grid
    assert two["a"] in np.round(np.linspace(0, 1, 21), 10) and two["a"] + two["b"] == 1.0


def test_log_pool_is_the_renormalised_weighted_geometric_mean():
    pa = np.array([[0.7, 0.2, 0.1], [0.5, 0.5, 0.0]])
    pb = np.array([[0.1, 0.6, 0.3], [0.2, 0.3, 0.5]])
    got = pool_probs([pa, pb], [3, 1])  # weights normalised: 0.75 / 0.25
    want = np.clip(pa, 1e-12, None) ** 0.75 * np.clip(pb, 1e-12, None) ** 0.25
    np.testing.assert_allclose(got, want / want.sum(1, keepdims=True), rtol=1e-9)
    assert got[1, 2] < 1e-8  # a class one model rules out stays out, whatever the other says
    assert mix_probs([pa, pb], [3, 1])[1, 2] == pytest.approx(0.125)  # the linear pool keeps it
    np.testing.assert_allclose(pool_probs([pa, pb], [1, 0]), pa, atol=1e-9)
    np.testing.assert_allclose(pool_probs([pa, pb], [3, 1], "linear"), mix_probs([pa, pb], [3, 1]))
    with pytest.raises(DataFormatError, match="pool 'max': expected one of log, linear"):
        pool_probs([pa, pb], [1, 1], "max")
    with pytest.raises(DataFormatError, match="weights must be >= 0"):
        pool_probs([pa, pb], [1, -1])


def test_the_log_pool_wins_where_a_model_is_sure_what_it_is_not():
    # Each model is torn between the truth and a wrong class it alone believes in, and rules
    # out the other model's wrong class: the product keeps only the truth, the mean may not.
    n = 400
    y = np.zeros(n, np.int64)
    a = np.tile([0.45, 0.55, 0.0, 0.0], (n, 1))  # a: class 1 a bit ahead of the truth
    b = np.tile([0.45, 0.0, 0.55, 0.0], (n, 1))  # b: class 2 a bit ahead
    b[: n // 2] = [0.2, 0.0, 0.0, 0.8]  # half the time b is sure of class 3
    log = pool_probs([a, b], [0.5, 0.5])
    linear = mix_probs([a, b], [0.5, 0.5])
    assert top_k_accuracy(y, log, 1) == 1.0
    assert top_k_accuracy(y, linear, 1) == 0.5  # class 3 wins the mean where b is sure of it


def test_best_subset_is_chosen_on_validation_not_test():
    y_val = np.random.default_rng(2).integers(0, 5, 800)
    good, also_good = model(y_val, 0.8, seed=4), model(y_val, 0.8, seed=5)
    noise = np.full((len(y_val), 5), 0.2)
    noise[:, 0] += 1e-3  # always says class 0
    subsets = ensemble_subsets(
        y_val, {"a": good, "b": also_good, "junk": noise / noise.sum(1)[:, None]}
    )
    assert len(subsets) == 4  # ab, a-junk, b-junk, all
    assert [s["val_top1"] for s in subsets] == sorted(
        (s["val_top1"] for s in subsets), reverse=True
    )
    assert "junk" not in subsets[0]["members"] or subsets[0]["weights"]["junk"] < 0.05


def test_compare_models_three_runs():
    rng = np.random.default_rng(3)
    y, y_val = rng.integers(0, 5, 1500), rng.integers(0, 5, 900)
    test = {n: model(y, a, seed=s) for n, a, s in (("a", 0.6, 6), ("b", 0.75, 7), ("c", 0.62, 8))}
    val = {
        n: model(y_val, a, seed=s) for n, a, s in (("a", 0.6, 9), ("b", 0.75, 10), ("c", 0.62, 11))
    }
    found = compare_models(y, test, CLASSES, val=(y_val, val), n_boot=500)
    assert list(found.reports) == ["a", "b", "c", "ensemble"]
    assert [(p.name_a, p.name_b) for p in found.pairwise] == [("a", "b"), ("a", "c"), ("b", "c")]
    raw = [p.mcnemar["p_value"] for p in found.pairwise]
    assert [p.mcnemar["p_holm"] for p in found.pairwise] == pytest.approx(holm_adjust(raw))
    for pair in found.pairwise:
        correct_a = test[pair.name_a].argmax(1) == y
        correct_b = test[pair.name_b].argmax(1) == y
        assert pair.mcnemar["p_value"] == mcnemar_exact(correct_a, correct_b)["p_value"]
        assert "Holm p=" in pair.verdict
    assert found.pairwise[0].verdict.startswith("b is better than a")
    assert found.paired is found.pairwise[0] and found.paired.ensemble_weight is None
    assert found.weights["b"] == max(found.weights.values())
    ens = found.ensemble(test)
    w = [found.weights[n] for n in test]
    np.testing.assert_allclose(ens, pool_probs(list(test.values()), w, "log"), atol=1e-12)
    assert found.reports["ensemble"].top1 == pytest.approx(np.mean(ens.argmax(1) == y))
    doc = found.to_json()
    assert doc["ensembles"]["pool"] == "log" and "geometric" in doc["ensembles"]["pool_text"]
    pools = doc["ensembles"]["pools"]
    assert pools["log"]["weights"] == doc["ensembles"]["all"]["weights"]
    linear = compare_models(y, test, CLASSES, val=(y_val, val), n_boot=50, pool="linear")
    assert pools["linear"]["weights"] == linear.weights  # the other pool, fitted for itself
    np.testing.assert_allclose(linear.ensemble(test), mix_probs(list(test.values()),
                               [linear.weights[n] for n in test]), atol=1e-12)  # fmt: skip
    assert pools["linear"]["val_top1"] == linear.ensembles["all"]["val_top1"]
    assert linear.ensembles["pools"]["log"]["top1"] == pools["log"]["top1"]
    assert doc["ensembles"]["best"] == doc["ensembles"]["subsets"][0]
    assert {tuple(s["members"]) for s in doc["ensembles"]["subsets"]} == {
        ("a", "b"), ("a", "c"), ("b", "c"), ("a", "b", "c")
    }  # fmt: skip
    assert (
        doc["multiple_comparisons"]["method"] == "holm"
        and "Holm" in doc["multiple_comparisons"]["note"]
    )
    assert len(doc["per_class_winners"]) == 5
    json.dumps(doc)  # JSON-ready


def test_two_models_keep_the_pair_answer():
    y = np.random.default_rng(4).integers(0, 5, 300)
    pa, pb = model(y, 0.6, seed=1), model(y, 0.7, seed=2)
    reports, paired = compare_predictions(y, {"cnn": pa, "rnn": pb}, CLASSES)
    assert "p_holm" not in paired.mcnemar and paired.ensemble_weight == 0.5
    found = compare_models(y, {"cnn": pa, "rnn": pb}, CLASSES)
    assert found.ensembles["best"] is None and "no validation" in found.ensembles["note"]
    with pytest.raises(DataFormatError, match="reserved"):
        compare_models(y, {"cnn": pa, "ensemble": pb}, CLASSES)


# ----------------------------------------------------------------------------- formatters


def test_formatters_and_tables():
    assert (pct(0.9125), pct(None), format_p(0.2), format_p(1e-9)) == (
        "91.2%",
        "-",
        "0.200",
        "1.0e-09",
    )
    assert markdown_table(["a", "b"], [[1, 2]], "lr") == [
        "| a | b |",
        "| --- | ---: |",
        "| 1 | 2 |",
    ]
    report = {
        "models": {n: {"top1": 0.5, "top3": 1.0, "map3": 0.7, "macro_f1": 0.4} for n in "abc"},
        "paired": {"verdict": "v", "name_a": "a", "name_b": "b"},
        "pairwise": [{"verdict": f"pair {i}"} for i in range(3)],
        "ensembles": {"best": {"weights": {"a": 0.25, "b": 0.75}}},
    }
    lines = summary_table(report).splitlines()
    assert [line.split()[0] for line in lines[1:4]] == ["a", "b", "c"]
    assert lines[-4:] == [
        "pair 0", "pair 1", "pair 2", "best ensemble on validation: 0.25 x a + 0.75 x b"
    ]  # fmt: skip


# ----------------------------------------------------------------------------- compare on runs


def _dataset(folder):
    from seqdoodle.datasets.prepared import DatasetWriter, PreparedDataset
    from seqdoodle.strokes.points import strokes_to_points
    from tests.test_artifacts import SHAPE_CLASSES, shape_drawings

    drawings = shape_drawings(per_class=8, seed=3)
    writer = DatasetWriter(folder, SHAPE_CLASSES, has_strokes=True)
    for position, name in enumerate(SHAPE_CLASSES):
        own = [d for d in drawings if d.word == name]
        splits = np.array([0, 1, 1, 1, 2, 2, 2, 2], np.uint8)
        points = [strokes_to_points(d.strokes) for d in own]
        writer.write_part(position, np.stack([d.bitmap for d in own]), splits, np.arange(8), points)
    writer.finalize({"seed": 0})
    return PreparedDataset(folder)


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    from seqdoodle.evaluation.predictions import save_predictions
    from seqdoodle.fileio import sha256_file
    from tests.test_artifacts import SHAPE_CLASSES, make_cnn_run, make_rnn_run

    root = tmp_path_factory.mktemp("many")
    ds = _dataset(root / "ds")
    sha = sha256_file(ds.path / "manifest.json")
    a = make_cnn_run(root / "a", dataset_sha=sha)
    rows = ds.indices("test")
    fake = np.full((len(rows), 4), 0.1, np.float32)
    fake[:, 2] = 0.7  # nothing the template model would say: proves the file was reused
    save_predictions(a / "test_predictions.npz", ds.labels[rows], fake, SHAPE_CLASSES, ids=rows)
    b = make_rnn_run(root / "b")
    c = make_cnn_run(root / "c")
    return ds, [a, b, c], fake


def test_compare_three_runs_writes_one_entry_per_run(three_runs, tmp_path):
    from seqdoodle.comparison.job import compare

    ds, runs, fake = three_runs
    out = tmp_path / "r"
    report = compare(runs=runs, data=ds.path, out=out, progress=False)
    assert json.loads((out / "report.json").read_text()) == report
    assert list(report["models"]) == ["a", "b", "c", "ensemble"]  # kinds repeat: run names
    assert len(report["pairwise"]) == 3 and report["multiple_comparisons"]["pairs"] == 3
    assert (
        set(report["ensemble"]["weights"]) == {"a", "b", "c"} and "weight" not in report["ensemble"]
    )
    assert report["ensembles"]["best"]["members"]
    with np.load(out / "predictions_a.npz") as f:
        np.testing.assert_allclose(f["probs"], fake)  # training's saved test predictions
    assert report["runs"]["a"]["test_predictions"] == "reused from training"
    assert report["runs"]["c"]["test_predictions"] == "predicted"
    assert report["models"]["a"]["top1"] == pytest.approx(
        np.mean(ds.labels[ds.indices("test")] == 2)
    )
    probs = {}
    for name in ("a", "b", "c", "ensemble"):
        with np.load(out / f"predictions_{name}.npz") as f:
            probs[name] = f["probs"]
    weights = [report["ensemble"]["weights"][n] for n in "abc"]
    assert report["ensemble"]["pool"] == "log"
    np.testing.assert_allclose(
        probs["ensemble"], pool_probs([probs[n] for n in "abc"], weights, "log"), atol=1e-6
    )
    md = (out / "report.md").read_text()
    for part in ("# a vs b vs c", "## Every pair", "Holm", "## Ensembles", "## Per-class winners"):
        assert part in md, part
    assert "all runs, by pool: log validation top-1" in md and "; linear validation" in md
    assert md.count("## Runs") == 1 and md.count("## Data") == 1  # written once, not appended


def test_compare_sections_hook(three_runs, tmp_path):
    from matplotlib.figure import Figure

    from seqdoodle.comparison.job import compare

    ds, runs, _ = three_runs
    seen = {}

    def curves(ctx):
        seen.update(names=ctx.names, n=len(ctx.y_test), weights=ctx.weights)
        fig = Figure()
        fig.add_subplot().plot([0, 1], [0, 1])
        data = {"fractions": [0.5, 1.0], "models": {n: [0.1, 0.2] for n in ctx.names}}
        return Section("partial", data, "Early recognition", "curves", {"partial.png": fig})

    out = tmp_path / "s"
    report = compare(runs=runs[:2], data=ds.path, out=out, progress=False, sections=[curves])
    assert seen["names"] == ["cnn", "rnn"] and seen["n"] == 16  # kinds differ: keyed by kind
    assert report["partial"]["fractions"] == [0.5, 1.0]
    assert (out / "partial.png").read_bytes()[:4] == b"\x89PNG"
    md = (out / "report.md").read_text()
    assert "## Early recognition" in md and "(partial.png)" in md


def test_cli_compare_three_runs(three_runs, tmp_path):
    ds, runs, _ = three_runs
    args = ["compare", "--data", str(ds.path), "--out", str(tmp_path / "c"), "--no-progress"]
    for run in runs:
        args += ["--runs", str(run)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    names = [line.split()[0] for line in result.output.splitlines()[1:5]]
    assert names == ["a", "b", "c", "ensemble"]
    assert "best ensemble on validation" in result.output
    linear = CliRunner().invoke(
        app, [*args[:4], str(tmp_path / "l"), *args[5:], "--pool", "linear"]
    )
    assert linear.exit_code == 0, linear.output
    report = json.loads((tmp_path / "l" / "report.json").read_text())
    assert report["ensemble"]["pool"] == "linear" and "linear pool" in report["ensemble"]["source"]
    bad = CliRunner().invoke(app, [*args, "--pool", "max"])
    assert bad.exit_code == 2 and "--pool" in bad.output


def test_evaluate_run_library_call(three_runs, tmp_path):
    import seqdoodle

    ds, runs, _ = three_runs
    result = seqdoodle.evaluate(runs[2], data=ds.path, split="val", json_path=tmp_path / "e.json")
    assert result.report.n == 12 and result.split == "val"
    saved = json.loads((tmp_path / "e.json").read_text())
    assert saved["top1"] == pytest.approx(result.report.top1) and saved["split"] == "val"
    with pytest.raises(DataFormatError, match="exactly one of data"):
        seqdoodle.evaluate(runs[2])


def test_partial_curves_in_compare_and_evaluate(three_runs, tmp_path):
    from seqdoodle.comparison.job import compare

    ds, runs, _ = three_runs
    report = compare(runs=runs[:2], data=ds.path, out=tmp_path / "p", progress=False, partial=4)
    curves = report["partial"]
    assert curves["n_drawings"] == 4 and len(curves["fractions"]) == len(curves["models"]["cnn"])
    assert {"cnn", "rnn", "ensemble"} <= set(curves["models"])
    assert (tmp_path / "p" / "partial.png").is_file()
    args = ["evaluate", str(runs[1]), "--data", str(ds.path), "--partial", "3"]
    args += ["--json", str(tmp_path / "e.json"), "--plots", str(tmp_path / "plots")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "e.json").read_text())
    assert saved["partial"]["n_drawings"] == 3 and "top-1 on the first points" in result.output
    assert (tmp_path / "plots" / "partial.png").is_file()


def test_compare_opens_and_hashes_the_dataset_once(three_runs, tmp_path, monkeypatch):
    import seqdoodle.fileio as fileio
    from seqdoodle.comparison.job import compare
    from seqdoodle.datasets.prepared import PreparedDataset

    ds, runs, _ = three_runs
    opened, hashed = [], []
    init, sha = PreparedDataset.__init__, fileio.sha256_file

    def counting_init(self, *args, **kwargs):
        opened.append(args)
        init(self, *args, **kwargs)

    def counting_sha(path, *args, **kwargs):
        hashed.append(str(path))
        return sha(path, *args, **kwargs)

    monkeypatch.setattr(PreparedDataset, "__init__", counting_init)
    monkeypatch.setattr(fileio, "sha256_file", counting_sha)
    compare(runs=runs, data=ds.path, out=tmp_path / "once", progress=False)
    assert len(opened) == 1
    assert sum(p.endswith("manifest.json") for p in hashed) == 1

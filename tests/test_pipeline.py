"""`seqdoodle compare` (compare_runs.compare and the CLI command) on tiny synthetic data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from seqdoodle.cli import app
from seqdoodle.comparison.job import compare
from seqdoodle.errors import DataFormatError, MissingFileError, UnknownClassError
from seqdoodle.reports import summary_table

CLASSES = ["circle", "square", "star", "zigzag"]
PNGS = (
    "confusion_cnn.png",
    "confusion_rnn.png",
    "confusion_ensemble.png",
    "per_class_accuracy.png",
    "training_curves.png",
    "wrong_cnn.png",
    "wrong_rnn.png",
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny train-and-compare: 4 synthetic classes x 40 drawings, 2 epochs each."""
    out = tmp_path_factory.mktemp("compare") / "report"
    report = compare(
        classes=CLASSES,
        per_class=40,
        epochs=2,
        patience={"cnn": 2, "rnn": 5},
        out=out,
        progress=False,
    )
    return out, report


def _mtimes(run: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in run.iterdir() if p.is_file()}


# ----------------------------------------------------------------------------- independent metrics


def _top_k(y, probs, k):
    top = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    return float(np.mean([y[i] in top[i] for i in range(len(y))]))


def _map3(y, probs):
    top = np.argsort(-probs, axis=1, kind="stable")[:, :3]
    score = 0.0
    for i, row in enumerate(top):
        hits = np.flatnonzero(row == y[i])
        score += 1.0 / (hits[0] + 1) if hits.size else 0.0
    return score / len(y)


# ----------------------------------------------------------------------------- train mode


@pytest.mark.slow
def test_compare_writes_report_figures_and_predictions(trained):
    out, report = trained
    for name in ("report.md", "report.json", *PNGS):
        path = out / name
        assert path.is_file() and path.stat().st_size > 0, name
        if name.endswith(".png"):
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "report.json").read_text()) == report
    assert set(report["models"]) == {"cnn", "rnn", "ensemble"}
    for name in ("cnn", "rnn", "ensemble"):
        assert (out / f"predictions_{name}.npz").is_file()
        assert 0.0 <= report["models"][name]["top1"] <= report["models"][name]["top3"] <= 1.0
    paired = report["paired"]
    assert {"b", "c", "p_value"} <= set(paired["mcnemar"])
    assert {"diff", "low", "high"} <= set(paired["bootstrap"])
    assert paired["bootstrap"]["low"] <= paired["bootstrap"]["diff"] <= paired["bootstrap"]["high"]
    text = (out / "report.md").read_text()
    assert paired["verdict"] in text
    assert "## Runs" in text and "training_curves.png" in text


@pytest.mark.slow
def test_report_metrics_match_an_independent_recomputation(trained):
    out, report = trained
    for name in ("cnn", "rnn", "ensemble"):
        with np.load(out / f"predictions_{name}.npz", allow_pickle=False) as f:
            y, probs, classes = f["y_true"], f["probs"].astype(np.float64), list(f["classes"])
        assert classes == CLASSES
        m = report["models"][name]
        assert m["n"] == len(y) == report["data"]["counts"]["test"]
        assert m["top1"] == pytest.approx(float(np.mean(probs.argmax(axis=1) == y)), abs=1e-9)
        assert m["top3"] == pytest.approx(_top_k(y, probs, 3), abs=1e-9)
        assert m["map3"] == pytest.approx(_map3(y, probs), abs=1e-9)


@pytest.mark.slow
def test_ensemble_and_paired_test_agree_with_the_saved_predictions(trained):
    out, report = trained
    loaded = {}
    for name in ("cnn", "rnn", "ensemble"):
        with np.load(out / f"predictions_{name}.npz", allow_pickle=False) as f:
            loaded[name] = (f["y_true"], f["probs"].astype(np.float64))
    y = loaded["cnn"][0]
    w = report["paired"]["ensemble_weight"]
    assert 0.0 <= w <= 1.0 and "validation" in report["paired"]["ensemble_weight_source"]
    mixed = w * loaded["cnn"][1] + (1 - w) * loaded["rnn"][1]
    np.testing.assert_allclose(loaded["ensemble"][1], mixed, atol=1e-6)
    right_cnn = loaded["cnn"][1].argmax(axis=1) == y
    right_rnn = loaded["rnn"][1].argmax(axis=1) == y
    assert report["paired"]["mcnemar"]["b"] == int(np.sum(right_cnn & ~right_rnn))
    assert report["paired"]["mcnemar"]["c"] == int(np.sum(~right_cnn & right_rnn))
    assert report["paired"]["bootstrap"]["diff"] == pytest.approx(
        right_cnn.mean() - right_rnn.mean()
    )


@pytest.mark.slow
def test_report_holds_data_runs_latency_and_sizes(trained):
    out, report = trained
    data = report["data"]
    assert Path(data["path"]) == out / "dataset"
    assert data["classes"] == CLASSES
    assert sum(data["counts"].values()) == 40 * len(CLASSES)
    for name in ("cnn", "rnn"):
        run = report["runs"][name]
        assert Path(run["path"]) == out / "runs" / name
        assert run["kind"] == name
        assert run["saved_size_bytes"] == (out / "runs" / name / "model.keras").stat().st_size
        assert run["n_params"] == report["models"][name]["n_params"] > 0
        assert run["training"]["epochs_run"] == 2 and run["training"]["seconds"] > 0
        assert run["test_predictions"] == "reused from training"  # not predicted twice
        config = json.loads((out / "runs" / name / "config.json").read_text())
        assert config["train"]["patience"] == {"cnn": 2, "rnn": 5}[name]
        assert config["train"]["seed"] == report["seed"] == 0
        lat = report["models"][name]["latency_ms"]
        assert 0 < lat["batch1_p50"] <= lat["batch1_p95"]
        assert lat["batched_per_drawing"] > 0
    ens = report["models"]["ensemble"]
    assert ens["n_params"] == report["runs"]["cnn"]["n_params"] + report["runs"]["rnn"]["n_params"]
    assert report["timing_seconds"]["train_cnn"] > 0 and report["timing_seconds"]["total"] > 0


@pytest.mark.slow
def test_rerun_resumes_finished_runs_without_training(trained, tmp_path):
    out, first = trained
    before = {name: _mtimes(out / "runs" / name) for name in ("cnn", "rnn")}
    again = compare(classes=CLASSES, per_class=40, epochs=2, out=out, progress=False)
    for name in ("cnn", "rnn"):
        assert _mtimes(out / "runs" / name) == before[name]
        assert again["runs"][name]["training"]["already_finished"] is True
        assert again["models"][name]["top1"] == first["models"][name]["top1"]


# ----------------------------------------------------------------------------- evaluate-only mode


@pytest.mark.slow
def test_runs_on_a_folder_only_evaluate(trained, tmp_path):
    from seqdoodle.datasets.synthetic import write_synthetic

    out, _ = trained
    folder = tmp_path / "drawings"
    write_synthetic(folder, per_class=6, seed=5, classes=CLASSES[:3])
    runs = (out / "runs" / "rnn", out / "runs" / "cnn")  # order does not matter
    before = {r.name: _mtimes(r) for r in runs}
    report_dir = tmp_path / "eval"
    report = compare(runs=runs, source=folder, out=report_dir, progress=False)
    assert {r.name: _mtimes(r) for r in runs} == before
    assert not (report_dir / "runs").exists() and not (report_dir / "dataset").exists()
    assert report["mode"] == "evaluate" and report["data"]["kind"] == "folder"
    assert report["models"]["cnn"]["n"] == 18 == report["data"]["n_test"]
    assert report["paired"]["ensemble_weight"] == 0.5
    assert (report["paired"]["name_a"], report["paired"]["name_b"]) == ("cnn", "rnn")
    with np.load(report_dir / "predictions_rnn.npz") as f:
        assert np.bincount(f["y_true"], minlength=4).tolist() == [6, 6, 6, 0]
        assert all(str(i).startswith(("circle", "square", "star")) for i in f["ids"])


@pytest.mark.slow
def test_runs_without_data_use_their_dataset_and_reproduce_the_scores(trained, tmp_path):
    out, first = trained
    runs = (out / "runs" / "cnn", out / "runs" / "rnn")
    report = compare(runs=runs, out=tmp_path / "again", progress=False)
    assert Path(report["data"]["path"]) == out / "dataset"
    for name in ("cnn", "rnn", "ensemble"):
        assert report["models"][name]["top1"] == pytest.approx(first["models"][name]["top1"])
    assert report["paired"]["ensemble_weight"] == first["paired"]["ensemble_weight"]
    only = compare(runs=runs, classes=["star"], out=tmp_path / "star", progress=False)
    with np.load(tmp_path / "star" / "predictions_cnn.npz") as f:
        assert set(f["y_true"].tolist()) == {CLASSES.index("star")}
    assert only["models"]["cnn"]["n"] == first["data"]["counts_per_class"]["test"]["star"]


@pytest.mark.slow
def test_runs_with_different_classes_are_refused(trained, tmp_path):
    out, _ = trained
    other = tmp_path / "other_rnn"
    shutil.copytree(out / "runs" / "rnn", other)
    config = json.loads((other / "config.json").read_text())
    config["classes"][0] = "apple"
    (other / "config.json").write_text(json.dumps(config))
    (other / "classes.txt").write_text("".join(f"{c}\n" for c in config["classes"]))
    with pytest.raises(DataFormatError, match="classes differ"):
        compare(runs=(out / "runs" / "cnn", other), out=tmp_path / "r", progress=False)
    with pytest.raises(UnknownClassError, match="Did you mean"):
        compare(
            runs=(out / "runs" / "cnn", out / "runs" / "rnn"),
            classes=["stars"],
            out=tmp_path / "r2",
            progress=False,
        )


# ----------------------------------------------------------------------------- bad input


def test_missing_run_folder_raises(tmp_path):
    with pytest.raises(MissingFileError, match="no such run folder"):
        compare(runs=(tmp_path / "nope", tmp_path / "nope2"), out=tmp_path / "r", progress=False)


def test_bitmap_only_source_is_refused_before_training(tmp_path):
    folder = tmp_path / "bitmaps"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ("cat", "dog"):
        np.save(folder / f"{name}.npy", rng.integers(0, 256, (20, 784), dtype=np.uint8))
    with pytest.raises(DataFormatError, match="needs strokes"):
        compare(source=str(folder), per_class=20, out=tmp_path / "r", progress=False)
    assert not (tmp_path / "r" / "runs").exists()


def test_summary_table_lists_models_and_verdict():
    report = {
        "models": {
            "cnn": {"top1": 0.5, "top3": 0.75, "map3": 0.6, "macro_f1": 0.4},
            "rnn": {"top1": 0.625, "top3": 1.0, "map3": 0.8, "macro_f1": 0.55},
        },
        "paired": {"verdict": "no significant difference"},
    }
    lines = summary_table(report).splitlines()
    assert lines[1].split() == ["cnn", "50.0%", "75.0%", "0.6000", "0.4000"]
    assert lines[2].split() == ["rnn", "62.5%", "100.0%", "0.8000", "0.5500"]
    report["paired"].update(name_a="rnn", name_b="cnn")
    assert [line.split()[0] for line in summary_table(report).splitlines()[1:3]] == ["rnn", "cnn"]
    assert lines[-1] == "no significant difference"


# ----------------------------------------------------------------------------- CLI


runner = CliRunner()


def _one_error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_cli_missing_runs_folder_is_one_line(tmp_path):
    result = runner.invoke(
        app,
        [
            "compare",
            "--runs",
            str(tmp_path / "a"),
            "--runs",
            str(tmp_path / "b"),
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert result.exit_code == 1
    assert str(tmp_path / "a") in _one_error_line(result)


def test_cli_unknown_class_is_one_line(tmp_path):
    result = runner.invoke(app, ["compare", "--classes", "circel", "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "circle" in _one_error_line(result)  # the suggestion
    result = runner.invoke(app, ["compare", "--classes", "cat", "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "'cat'" in _one_error_line(result)  # a category, but no synthetic doodle of it


def test_cli_runs_needs_two_folders(tmp_path):
    result = runner.invoke(app, ["compare", "--runs", "only-one", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "two run folders" in result.output


@pytest.mark.slow
def test_cli_runs_comma_separated_prints_table(trained, tmp_path):
    out, first = trained
    runs = f"{out / 'runs' / 'cnn'},{out / 'runs' / 'rnn'}"
    result = runner.invoke(
        app, ["compare", "--runs", runs, "--out", str(tmp_path / "r"), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines() if line}
    for name in ("cnn", "rnn", "ensemble"):
        assert rows[name][1] == f"{100 * first['models'][name]['top1']:.1f}%"
    assert first["paired"]["verdict"] in result.output

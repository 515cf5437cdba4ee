"""Tests of `seqdoodle evaluate` and `seqdoodle predict` through the typer app."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from seqdoodle.cli import app
from seqdoodle.evaluation.report import evaluate_predictions, load_predictions
from seqdoodle.reports import per_class_table, predictions_table
from seqdoodle.runs.folder import MODEL_FILE, load_run
from tests.test_artifacts import (
    SHAPE_CLASSES,
    draw_image,
    make_cnn_run,
    make_dataset,
    make_rnn_run,
    shape_drawings,
    shape_strokes,
)
from tests.test_inference import write_ndjson

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return {"cnn": make_cnn_run(root / "cnn"), "rnn": make_rnn_run(root / "rnn")}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    drawings = shape_drawings(per_class=5, seed=1)
    return make_dataset(tmp_path_factory.mktemp("data") / "ds", drawings, with_strokes=True)


@pytest.fixture(scope="module")
def class_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("source")
    drawings = shape_drawings(per_class=4, seed=2)
    for name in SHAPE_CLASSES:
        write_ndjson(folder / f"{name}.ndjson", [d for d in drawings if d.word == name])
    return folder


# ----------------------------------------------------------------------------- evaluate


@pytest.mark.parametrize("kind", ["cnn", "rnn"])
def test_evaluate_data_writes_json_plot_and_predictions(tmp_path, runs, dataset, kind):
    out = tmp_path / "out"  # created by the command
    result = invoke(
        "evaluate", runs[kind], "--data", dataset.path, "--json", out / "r.json",
        "--plots", out / "plots", "--predictions", out / "p.npz", "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads((out / "r.json").read_text())
    assert {"top1", "top3", "map3", "per_class", "n"} <= set(report)
    rows = dataset.indices("test")
    assert report["n"] == len(rows) == 16
    run = load_run(runs[kind])
    expected = evaluate_predictions(
        dataset.labels[rows], run.predict_proba_dataset(dataset, rows), SHAPE_CLASSES
    )
    assert report["top1"] == pytest.approx(expected.top1)
    assert report["map3"] == pytest.approx(expected.map3)
    assert set(report["per_class"]) == set(SHAPE_CLASSES)
    assert f"top-1 {100 * expected.top1:.1f}%" in result.output
    assert (out / "plots" / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    saved = load_predictions(out / "p.npz")
    np.testing.assert_array_equal(saved.ids, rows)
    assert saved.classes == SHAPE_CLASSES


def test_evaluate_split_and_source(tmp_path, runs, dataset, class_folder):
    result = invoke("evaluate", runs["cnn"], "--data", dataset.path, "--split", "train")
    assert result.exit_code == 0, result.output
    assert "4 drawings" in result.output  # one training drawing per class

    result = invoke(
        "evaluate", runs["cnn"], "--source", class_folder, "--per-class", 3,
        "--json", tmp_path / "r.json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["n"] == 12 and report["top1"] >= 0.75
    assert report["data"] == str(class_folder)
    for name in SHAPE_CLASSES:  # the per-class table
        assert re.search(rf"{name} +\d+\.\d%", result.output), result.output

    result = invoke(
        "evaluate", runs["rnn"], "--source", class_folder, "--json", tmp_path / "s.json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "s.json").read_text())["n"] == 16


def test_evaluate_refusals_are_one_line(tmp_path, runs, dataset):
    bitmaps = tmp_path / "bitmaps"
    bitmaps.mkdir()
    np.save(bitmaps / "circle.npy", np.zeros((3, 784), np.uint8))
    line = one_error_line(invoke("evaluate", runs["rnn"], "--source", bitmaps))
    assert "only bitmaps" in line and "stroke model" in line

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    np.save(foreign / "cat.npy", np.zeros((3, 784), np.uint8))
    assert "none of its classes" in one_error_line(
        invoke("evaluate", runs["cnn"], "--source", foreign)
    )
    assert "unknown split" in one_error_line(
        invoke("evaluate", runs["cnn"], "--data", dataset.path, "--split", "dev")
    )
    neither = invoke("evaluate", runs["cnn"])
    assert neither.exit_code == 2 and "exactly one of --data" in neither.output
    both = invoke("evaluate", runs["cnn"], "--data", dataset.path, "--source", foreign)
    assert both.exit_code == 2 and "exactly one of --data" in both.output
    per_class = invoke("evaluate", runs["cnn"], "--data", dataset.path, "--per-class", 2)
    assert per_class.exit_code == 2 and "--per-class goes with --source" in per_class.output


def test_truncated_run_is_one_line(tmp_path, runs):
    broken = tmp_path / "run"
    broken.mkdir()
    for file in runs["cnn"].iterdir():
        (broken / file.name).write_bytes(file.read_bytes())
    data = (broken / MODEL_FILE).read_bytes()
    (broken / MODEL_FILE).write_bytes(data[: len(data) // 3])
    draw_image(shape_strokes("circle")).save(tmp_path / "a.png")
    line = one_error_line(invoke("predict", broken, tmp_path / "a.png"))
    assert "corrupt or truncated Keras file" in line


def test_per_class_table_fills_columns():
    table = per_class_table({f"class{i}": i / 10 for i in range(7)}, width=50)
    lines = table.splitlines()
    assert len(lines) == 3  # 7 cells of 15 characters, 3 to a line
    assert lines[0].split() == ["class0", "0.0%", "class3", "30.0%", "class6", "60.0%"]


# ----------------------------------------------------------------------------- predict


def test_predict_table_and_json(tmp_path, runs):
    strokes = shape_strokes("zigzag")
    draw_image(strokes).save(tmp_path / "dark.png")
    draw_image(strokes, dark_on_light=False).save(tmp_path / "light.png")
    result = invoke("predict", runs["cnn"], tmp_path / "dark.png", tmp_path / "light.png")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["source", "top-1", "top-2", "top-3"]
    assert [line.split()[:2] for line in lines[1:]] == [
        ["dark.png", "zigzag"],
        ["light.png", "zigzag"],
    ]

    result = invoke("predict", runs["cnn"], tmp_path, "--top-k", 2, "--json", "-")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert [r["source"] for r in out] == ["dark.png", "light.png"]
    assert all(len(r["top"]) == 2 and r["top"][0]["class"] == "zigzag" for r in out)
    assert 0 < out[0]["top"][1]["probability"] <= out[0]["top"][0]["probability"] <= 1


def test_predict_ndjson_shows_words_and_notes_skipped_lines(tmp_path, runs):
    path = write_ndjson(
        tmp_path / "d.ndjson", shape_drawings(per_class=1), extra_lines=["{not json"]
    )
    result = invoke("predict", runs["rnn"], path, "--top-k", 1)
    assert result.exit_code == 0, result.output
    assert "1 lines skipped" in result.stderr  # the note
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["source", "word", "top-1"]
    assert [line.split()[:2] for line in lines[1:]] == [
        [f"d.ndjson:{i + 1}", name] for i, name in enumerate(SHAPE_CLASSES)
    ]


def test_predict_bad_inputs_are_one_line(tmp_path, runs):
    fake = tmp_path / "cat.png"
    fake.write_text("not an image")
    line = one_error_line(invoke("predict", runs["cnn"], fake))
    assert line == f"Error: {fake}: not a readable PNG/JPEG image"

    draw_image(shape_strokes("circle")).save(tmp_path / "ok.png")
    line = one_error_line(invoke("predict", runs["rnn"], tmp_path / "ok.png"))
    assert "needs strokes" in line and "ok.png" in line

    line = one_error_line(invoke("predict", tmp_path / "no_run", tmp_path / "ok.png"))
    assert "no such run folder" in line


def test_predictions_table_alignment():
    text = predictions_table(
        [
            {"source": "a.png", "word": None, "top": [("cat", 0.5), ("dog", 0.25)]},
            {"source": "long_name.png", "word": None, "top": [("dog", 0.9), ("cat", 0.1)]},
        ]
    )
    lines = text.splitlines()
    assert lines[0].index("top-1") == lines[1].index("cat 50.0%") == lines[2].index("dog 90.0%")

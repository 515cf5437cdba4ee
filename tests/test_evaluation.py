"""Tests of the evaluation harness metrics, reports, saved predictions, latency and figures."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest
from sklearn import metrics as skm

from seqdoodle.datasets.records import Drawing
from seqdoodle.errors import DataFormatError, MissingFileError
from seqdoodle.evaluation.report import (
    EvaluationReport,
    confusion_matrix,
    evaluate_predictions,
    expected_calibration_error,
    load_predictions,
    macro_f1,
    map_at_3,
    per_class_accuracy,
    predicted_labels,
    report_from_predictions,
    save_predictions,
    top_k_accuracy,
    top_k_classes,
)
from seqdoodle.plots import save_figure
from seqdoodle.plots.evaluation import (
    plot_confusion_matrix,
    plot_per_class_accuracy,
    plot_wrong_predictions,
)
from seqdoodle.runs.evaluate import evaluate, measure_latency

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def random_case(n=400, k=7, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.0
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, probs


# ----------------------------------------------------------------------------- metrics


def test_top_k_accuracy_hand_case():
    probs = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3], [0.2, 0.5, 0.3]])
    y = np.array([0, 0, 2, 2])
    assert top_k_accuracy(y, probs, 1) == 0.25
    # top-2: rows 0 and 3 hit; row 2 misses, as its tie 0.3/0.3 ranks class 0 before class 2
    assert top_k_accuracy(y, probs, 2) == 0.5
    assert top_k_accuracy(y, probs, 3) == 1.0


def test_ties_break_to_lower_class_index():
    probs = np.array([[0.25, 0.25, 0.25, 0.25]] * 4)
    assert top_k_accuracy([0, 1, 2, 3], probs, 1) == 0.25
    assert top_k_accuracy([0, 1, 2, 3], probs, 3) == 0.75
    assert map_at_3([1], probs[:1]) == 0.5
    assert predicted_labels(probs).tolist() == [0, 0, 0, 0]


@pytest.mark.parametrize("k", [1, 3, 8, 9, 12])
def test_top_k_classes_equals_stable_argsort_with_many_ties(k):
    probs = np.random.default_rng(k).integers(0, 4, size=(9000, 12)).astype(np.float32)
    expected = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(top_k_classes(probs, k), expected)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_top_k_accuracy_matches_sklearn(k):
    y, probs = random_case()
    expected = skm.top_k_accuracy_score(y, probs, k=k, labels=np.arange(probs.shape[1]))
    assert top_k_accuracy(y, probs, k) == pytest.approx(expected)


def test_map_at_3_hand_case():
    probs = np.array([[0.1, 0.6, 0.3, 0.0]] * 4)  # ranking: 1, 2, 0, 3
    assert map_at_3([1, 2, 0, 3], probs) == pytest.approx((1 + 1 / 2 + 1 / 3 + 0) / 4)


def kaggle_apk(actual: int, predicted: list[int], k: int = 3) -> float:
    """Independent re-implementation: Kaggle's average precision at k for one true label."""
    score, hits = 0.0, 0
    for i, p in enumerate(predicted[:k]):
        if p == actual and p not in predicted[:i]:
            hits += 1
            score += hits / (i + 1.0)
    return score


def test_map_at_3_matches_an_independent_implementation():
    y, probs = random_case(n=300, k=10, seed=3)
    top3 = [sorted(range(10), key=lambda c, row=row: (-row[c], c))[:3] for row in probs]
    expected = np.mean([kaggle_apk(int(t), p) for t, p in zip(y, top3, strict=True)])
    assert map_at_3(y, probs) == pytest.approx(expected)
    assert top_k_accuracy(y, probs, 1) <= map_at_3(y, probs) <= top_k_accuracy(y, probs, 3)


def test_macro_f1_matches_sklearn_and_handles_absent_classes():
    y, probs = random_case(k=6, seed=1)
    assert macro_f1(y, probs) == pytest.approx(skm.f1_score(y, probs.argmax(1), average="macro"))
    # Class 2 never occurs and is never predicted: left out. Class 3 is predicted but absent: F1 0.
    probs = np.eye(4)[[0, 0, 1, 3]]
    y = np.array([0, 0, 1, 1])
    f1_class1 = 2 * 1.0 * 0.5 / 1.5
    assert macro_f1(y, probs) == pytest.approx((1.0 + f1_class1 + 0.0) / 3)


def test_per_class_accuracy_and_confusion_with_an_absent_class():
    classes = ["cat", "dog", "owl"]
    y = np.array([0, 0, 0, 1])
    probs = np.eye(3)[[0, 1, 0, 1]]
    assert per_class_accuracy(y, probs, classes) == {"cat": 2 / 3, "dog": 1.0, "owl": None}
    cm = confusion_matrix(y, probs)
    assert cm.tolist() == [[2, 1, 0], [0, 1, 0], [0, 0, 0]]
    y2, p2 = random_case(k=5, seed=4)
    np.testing.assert_array_equal(
        confusion_matrix(y2, p2), skm.confusion_matrix(y2, p2.argmax(1), labels=range(5))
    )


def test_ece_hand_case():
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.3, 0.7]])
    y = np.array([0, 1, 0, 1])
    # bins of width 0.1: conf 0.9 (2 drawings, acc 0.5), 0.6 (acc 1), 0.7 (acc 1)
    expected = (2 * abs(0.5 - 0.9) + abs(1 - 0.6) + abs(1 - 0.7)) / 4
    assert expected_calibration_error(y, probs, n_bins=10) == pytest.approx(expected)
    assert expected_calibration_error(y, probs, n_bins=1) == pytest.approx(abs(0.75 - 0.775))


def test_ece_calibrated_is_small_and_overconfident_is_large():
    rng = np.random.default_rng(0)
    n = 20000
    conf = rng.uniform(0.5, 1.0, n)
    correct = rng.uniform(size=n) < conf  # right with probability equal to the confidence
    y = np.where(correct, 0, 1)
    probs = np.column_stack([conf, 1 - conf])
    assert expected_calibration_error(y, probs) < 0.02
    over = np.column_stack([np.full(n, 0.99), np.full(n, 0.01)])
    y_half = (np.arange(n) % 2).astype(int)  # 50% right at 99% confidence
    assert expected_calibration_error(y_half, over) == pytest.approx(0.49, abs=1e-9)


@pytest.mark.parametrize(
    "y, probs, match",
    [
        ([0, 1], [0.5, 0.5], "2-D"),
        ([0, 1, 1], [[0.5, 0.5]] * 2, "3 rows"),
        ([0, 2], [[0.5, 0.5]] * 2, "label 2"),
        ([0.0, 1.0], [[0.5, 0.5]] * 2, "integer"),
        ([0, 1], [[np.nan, 0.5]] * 2, "NaN"),
    ],
)
def test_bad_inputs_raise_data_format_error(y, probs, match):
    with pytest.raises(DataFormatError, match=match):
        top_k_accuracy(y, probs, 1)


def test_k_out_of_range_raises():
    with pytest.raises(DataFormatError, match="k=4"):
        top_k_accuracy([0], [[0.2, 0.3, 0.5]], 4)


# ----------------------------------------------------------------------------- report


def test_evaluate_predictions_fills_every_metric():
    y, probs = random_case(k=5, seed=2)
    classes = [f"c{i}" for i in range(5)]
    r = evaluate_predictions(y, probs, classes, name="cnn", kind="cnn")
    assert r.n == len(y)
    assert r.top1 == pytest.approx(np.mean(probs.argmax(1) == y))
    assert r.top1 <= r.map3 <= r.top3
    assert np.sum(r.confusion) == len(y)
    assert list(r.per_class) == classes
    assert r.macro_f1 == pytest.approx(skm.f1_score(y, probs.argmax(1), average="macro"))


def test_wrong_number_of_class_names_raises():
    with pytest.raises(DataFormatError, match="2 class names for 3"):
        evaluate_predictions([0], [[0.2, 0.3, 0.5]], ["a", "b"])


def test_report_json_round_trip():
    y, probs = random_case(k=4, seed=5)
    r = evaluate_predictions(y, probs, ["a", "b", "c", "d"], name="rnn", kind="rnn")
    r.latency_ms = {"batch1_p50": 1.5, "batch1_p95": 2.5, "batched_per_drawing": 0.1}
    r.n_params = 1234
    r.saved_size_bytes = 5678
    obj = json.loads(json.dumps(r.to_json()))
    assert {"top1", "top3", "map3", "per_class", "n"} <= set(obj)
    assert EvaluationReport.from_json(obj) == r
    del obj["top3"]
    with pytest.raises(DataFormatError, match="top3"):
        EvaluationReport.from_json(obj, source="report.json")


def test_report_json_writes_nan_as_null_for_empty_input():
    r = evaluate_predictions(np.zeros(0, int), np.zeros((0, 2)), ["a", "b"])
    obj = r.to_json()
    assert obj["top1"] is None and obj["n"] == 0
    assert "NaN" not in json.dumps(obj)
    assert math.isnan(EvaluationReport.from_json(obj).top1)


def test_report_markdown_shows_numbers():
    r = evaluate_predictions([0, 1, 1], [[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]], ["cat", "dog"])
    r.latency_ms = {"batch1_p50": 3.25, "batch1_p95": 4.0, "batched_per_drawing": 0.125}
    md = r.to_markdown()
    assert "| top-1 | 66.7% |" in md
    assert "3.25 / 4.00 ms" in md
    assert "| cat | 100.0% |" in md and "| dog | 50.0% |" in md


# ----------------------------------------------------------------------------- saved predictions


def test_save_and_load_predictions_round_trip(tmp_path):
    y, probs = random_case(n=50, k=3, seed=6)
    path = tmp_path / "cnn_predictions.npz"
    save_predictions(path, y, probs, ["a", "b", "c"], ids=np.arange(100, 150))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cnn_predictions.npz"]
    pred = load_predictions(path)
    np.testing.assert_array_equal(pred.y_true, y)
    np.testing.assert_allclose(pred.probs, probs, rtol=1e-6)
    assert pred.probs.dtype == np.float32
    assert pred.classes == ["a", "b", "c"]
    np.testing.assert_array_equal(pred.ids, np.arange(100, 150))
    with np.load(path, allow_pickle=False) as data:
        assert set(data.files) == {"y_true", "probs", "classes", "ids"}

    report = report_from_predictions(path)
    direct = evaluate_predictions(y, probs.astype(np.float32), ["a", "b", "c"])
    assert report.name == "cnn_predictions"
    assert report.top1 == direct.top1 and report.confusion == direct.confusion
    assert report.predictions == {"path": str(path)}


def test_load_predictions_errors(tmp_path):
    with pytest.raises(MissingFileError, match="missing.npz"):
        load_predictions(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(DataFormatError, match="bad.npz"):
        load_predictions(bad)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    with pytest.raises(DataFormatError, match="not a predictions file"):
        load_predictions(other)


def test_save_predictions_rejects_mismatched_ids(tmp_path):
    with pytest.raises(DataFormatError, match="ids"):
        save_predictions(tmp_path / "p.npz", [0, 1], [[1, 0], [0, 1]], ["a", "b"], ids=[1])
    assert not list(tmp_path.iterdir())


# ----------------------------------------------------------------------------- latency


def test_measure_latency_times_single_and_batched_calls():
    calls = []

    def slow_predict(batch):
        calls.append(len(batch))
        time.sleep(0.004)  # a fixed cost per call, whatever the batch size
        return np.zeros((len(batch), 2))

    inputs = list(range(40))
    lat = measure_latency(slow_predict, inputs, batch_size=20, repeats=10, warmup=2)
    assert lat["batch1_p50"] >= 4.0
    assert lat["batch1_p95"] >= lat["batch1_p50"]
    assert lat["batched_per_drawing"] < lat["batch1_p50"] / 2  # 2 calls for 40 drawings
    assert calls == [1, 1, 20] + [1] * 10 + [20, 20]


def test_evaluate_uses_predict_proba_and_counts_params():
    class FakeRun:
        class model:  # noqa: N801 - mimics Run.model
            @staticmethod
            def count_params():
                return 42

        def predict_proba(self, drawings):
            return np.eye(3, dtype=np.float32)[[d["label"] for d in drawings]]

    drawings = [{"label": i % 3} for i in range(10)]
    y = np.array([i % 3 for i in range(10)])
    y[0] = 1
    r = evaluate(FakeRun(), drawings, y, ["a", "b", "c"], name="cnn", kind="cnn", batch_size=4)
    assert r.top1 == pytest.approx(0.9)
    assert r.n_params == 42 and r.saved_size_bytes is None
    assert set(r.latency_ms) == {"batch1_p50", "batch1_p95", "batched_per_drawing"}

    class SizedRun(FakeRun):
        n_params = 7
        saved_size_bytes = 1000

    r = evaluate(SizedRun(), drawings, y, ["a", "b", "c"], latency=False)
    assert (r.n_params, r.saved_size_bytes, r.latency_ms) == (7, 1000, None)


# ----------------------------------------------------------------------------- figures


def check_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 2000


def test_confusion_matrix_figure(tmp_path):
    classes = [f"class {i}" for i in range(12)]
    y, probs = random_case(n=600, k=12, seed=7)
    fig = plot_confusion_matrix(confusion_matrix(y, probs), classes, title="cnn")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == classes
    assert ax.get_title() == "cnn" and ax.get_ylabel() == "true class"
    assert len(fig.axes) == 2  # the matrix and its colour bar
    image = ax.get_images()[0].get_array()
    np.testing.assert_allclose(np.asarray(image).sum(axis=1), 1.0)  # rows normalised
    save_figure(fig, tmp_path / "confusion.png")
    check_png(tmp_path / "confusion.png")
    with pytest.raises(DataFormatError, match="does not match"):
        plot_confusion_matrix(np.zeros((3, 3)), ["a", "b"])


def test_confusion_matrix_figure_with_many_classes_thins_labels():
    classes = [f"c{i}" for i in range(150)]
    fig = plot_confusion_matrix(np.eye(150), classes)
    labels = fig.axes[0].get_xticklabels()
    assert 0 < len(labels) <= 60 and labels[1].get_text() == "c3"


def test_per_class_accuracy_figure(tmp_path):
    classes = ["cat", "dog", "owl"]
    fig = plot_per_class_accuracy(
        {"cnn": {"cat": 0.5, "dog": 1.0, "owl": None}, "rnn": {"cat": 0.75, "dog": 0.25}},
        classes,
    )
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights[:2] == [0.5, 1.0] and heights[3:5] == [0.75, 0.25]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["cnn (mean 75.0%)", "rnn (mean 50.0%)"]
    save_figure(fig, tmp_path / "per_class.png")
    check_png(tmp_path / "per_class.png")


def test_wrong_predictions_grid_draws_strokes_and_bitmaps(tmp_path):
    square = [[[10, 200, 200, 10, 10], [10, 10, 200, 200, 10]], [[100], [100]]]
    bitmap = np.zeros((28, 28), np.uint8)
    bitmap[5:20, 10] = 255
    drawings = [
        square,
        Drawing(word="cat", strokes=square),
        bitmap,
        Drawing(word="dog", bitmap=bitmap),
        square,
    ]
    y_true = np.array([0, 1, 0, 1, 0])
    y_pred = np.array([1, 1, 1, 0, 1])
    fig = plot_wrong_predictions(drawings, y_true, y_pred, ["cat", "dog"], title="cnn mistakes")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["cat → dog", "cat → dog", "dog → cat", "cat → dog"]
    stroke_ax, bitmap_ax = fig.axes[0], fig.axes[1]
    assert stroke_ax.get_ylim()[0] > stroke_ax.get_ylim()[1]  # y axis points down
    lines = stroke_ax.collections[0]
    colours = lines.get_array()
    assert len(colours) == 4 and np.all(np.diff(colours) > 0)  # coloured by point order
    assert len(bitmap_ax.get_images()) == 1
    save_figure(fig, tmp_path / "wrong.png")
    check_png(tmp_path / "wrong.png")


def test_wrong_predictions_with_nothing_wrong():
    fig = plot_wrong_predictions([[[[0, 1], [0, 1]]]], [0], [0], ["cat"])
    assert fig.axes[0].texts[0].get_text() == "no wrong predictions"


def test_wrong_predictions_on_real_drawings(shared_quickdraw, tmp_path):
    lines = (shared_quickdraw / "simplified" / "cat.ndjson").read_text().splitlines()[:6]
    drawings = [json.loads(line)["drawing"] for line in lines]
    fig = plot_wrong_predictions(drawings, np.zeros(6, int), np.ones(6, int), ["cat", "dog"])
    assert len(fig.axes) == 6
    save_figure(fig, tmp_path / "real.png")
    check_png(tmp_path / "real.png")


def test_save_figure_leaves_no_temporary_file(tmp_path):
    fig = plot_confusion_matrix([[1, 0], [0, 1]], ["a", "b"])
    save_figure(fig, tmp_path / "c.png")
    assert [p.name for p in tmp_path.iterdir()] == ["c.png"]

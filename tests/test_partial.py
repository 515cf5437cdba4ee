"""Early recognition: prefixes of drawings, their normalisation and the accuracy curves."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqdoodle.datasets.records import Drawing
from seqdoodle.errors import DataFormatError
from seqdoodle.evaluation.early import (
    evaluate_partial,
    normalize_drawing,
    partial_drawings,
    plot_partial,
    point_prefix,
    stroke_prefix,
)

THREE = [[[0, 10, 20, 30], [0, 0, 0, 0]], [[0, 0], [0, 40]], [[5, 6, 7, 8], [50, 60, 70, 80]]]


def test_normalize_simplified_prefix_aligns_and_scales_to_255():
    out = normalize_drawing([[[10, 20], [10, 15]], [[30], [12]]])
    assert out == [[[0, 128], [0, 64]], [[255], [26]]]
    xs = [x for s in out for x in s[0]]
    assert min(xs) == 0 and max(xs) == 255
    assert normalize_drawing([[[7, 7], [9, 9]]]) == [[[0, 0], [0, 0]]]  # one spot: no scale


def test_normalize_raw_goes_through_google_simplification():
    raw = [[[100.5, 150.0, 300.0], [200.0, 201.0, 250.0], [0, 10, 20]]]
    out = normalize_drawing(raw)
    assert out[0][0][0] == 0 and max(out[0][0]) == 255
    assert normalize_drawing(raw, "raw") == out
    with pytest.raises(DataFormatError, match="format"):
        normalize_drawing(raw, "svg")
    with pytest.raises(DataFormatError, match="no points"):
        normalize_drawing([[[], []]], "simplified")


def test_prefixes_follow_drawing_order():
    assert point_prefix(THREE, 0.1) == [[[0], [0]]]  # ceil(0.1 * 10) = 1 point
    assert point_prefix(THREE, 0.5) == [THREE[0], [[0], [0]]]  # 5 points
    assert point_prefix(THREE, 1.0) == THREE
    assert stroke_prefix(THREE, 2) == THREE[:2]
    assert stroke_prefix(THREE, 9) == THREE
    with pytest.raises(DataFormatError, match="fraction"):
        point_prefix(THREE, 0.0)
    with pytest.raises(DataFormatError, match="at least 1"):
        stroke_prefix(THREE, 0)


def test_partial_drawings_drop_the_bitmap_and_renormalise():
    d = Drawing("x", strokes=THREE, bitmap=np.zeros((28, 28), np.uint8), fmt="simplified")
    (half,) = partial_drawings([d], fraction=0.4)
    assert half.bitmap is None and half.fmt == "simplified"
    # re-simplified as the server does a raw drawing in progress: the collinear points go
    assert half.strokes == [[[0, 255], [0, 0]]]
    with pytest.raises(DataFormatError, match="exactly one"):
        partial_drawings([d])
    with pytest.raises(DataFormatError, match="no strokes"):
        partial_drawings([Drawing("x", bitmap=d.bitmap)], n_strokes=1)


class CountingRun:
    """Predicts class "many" once it sees `threshold` strokes or more, else "few"."""

    def __init__(self, threshold, classes=("few", "many")):
        self.threshold, self.classes = threshold, list(classes)

    def predict_proba(self, drawings):
        many = np.array([len(d.strokes) >= self.threshold for d in drawings], float)
        probs = np.stack([1 - many, many], axis=1)
        return probs if self.classes[0] == "few" else probs[:, ::-1]


def test_curves_per_model_and_ensemble():
    drawings = [Drawing("many", strokes=THREE)] * 3 + [Drawing("few", strokes=THREE[:1])]
    runs = {"early": CountingRun(2), "late": CountingRun(3, classes=("many", "few"))}
    result = evaluate_partial(runs, drawings, fractions=[0.1, 0.5, 1.0], max_strokes=3)
    assert result["fractions"] == [0.1, 0.5, 1.0]
    # 0.1: one stroke everywhere -> only the "few" drawing is right
    assert result["models"]["early"] == [0.25, 1.0, 1.0]
    assert result["models"]["late"] == [0.25, 0.25, 1.0]
    assert result["strokes"]["k"] == [1, 2, 3]
    assert result["strokes"]["models"]["late"] == [0.25, 0.25, 1.0]
    assert set(result["models"]) == {"early", "late", "ensemble"}
    assert all(v == 1.0 for v in result["top3"]["early"])  # 2 classes: top-3 always right
    weighted = evaluate_partial(runs, drawings, fractions=[0.5], max_strokes=0,
                                weights={"early": 1.0, "late": 0.0})  # fmt: skip
    assert weighted["models"]["ensemble"] == [1.0]
    assert result["pool"] == "log" and weighted["weights"] == {"early": 1.0, "late": 0.0}
    with pytest.raises(DataFormatError, match="pool 'vote'"):
        evaluate_partial(runs, drawings, pool="vote")
    json.dumps(result)  # JSON-ready for the report
    with pytest.raises(DataFormatError, match="no such run"):
        evaluate_partial(runs, drawings, weights={"other": 1.0})
    with pytest.raises(DataFormatError, match="not a class"):
        evaluate_partial(runs, drawings, labels=["cat"] * 4)


class FixedRun:
    """Says the same probabilities, row by row, whatever part of the drawings it sees."""

    classes = ["c0", "c1", "c2", "c3"]

    def __init__(self, rows):
        self.rows = np.array(rows, float)

    def predict_proba(self, drawings):
        return self.rows[: len(drawings)]


def test_partial_ensemble_pools_as_asked():
    drawings = [Drawing("c0", strokes=THREE)] * 4
    runs = {
        "a": FixedRun([[0.45, 0.55, 0, 0]] * 4),
        "b": FixedRun([[0.2, 0, 0, 0.8]] * 2 + [[0.45, 0, 0.55, 0]] * 2),
    }
    for pool, expected in (("log", 1.0), ("linear", 0.5)):  # a rules out b's class 3
        result = evaluate_partial(runs, drawings, fractions=[1.0], max_strokes=0, pool=pool)
        assert result["models"]["ensemble"] == [expected] and result["pool"] == pool
        assert result["models"]["a"] == [0.0] and result["models"]["b"] == [0.0]


def test_plot_partial_draws_the_curves_of_the_result():
    drawings = [Drawing("many", strokes=THREE)] * 3 + [Drawing("few", strokes=THREE[:1])]
    runs = {"early": CountingRun(2), "late": CountingRun(3, classes=("many", "few"))}
    result = evaluate_partial(runs, drawings, fractions=[0.1, 0.5, 1.0], max_strokes=3)
    fig = plot_partial(result, title="curves")
    points, strokes = fig.axes
    assert fig.get_suptitle() == "curves"
    # panel 1: per model, top-1 (solid) then top-3 (dashed), in % over the share of points
    lines = {line.get_label(): line for line in points.lines}
    assert set(lines) == {f"{m} top-{k}" for m in result["models"] for k in (1, 3)}
    for name, top1 in result["models"].items():
        for k, curve, style in ((1, top1, "-"), (3, result["top3"][name], "--")):
            line = lines[f"{name} top-{k}"]
            assert list(line.get_xdata()) == [10.0, 50.0, 100.0]
            assert list(line.get_ydata()) == pytest.approx([100 * v for v in curve])
            assert line.get_linestyle() == style
    assert list(lines["early top-1"].get_ydata()) == [25.0, 100.0, 100.0]  # the curves differ
    assert list(lines["late top-1"].get_ydata()) == [25.0, 25.0, 100.0]
    # panel 2: top-1 over the first k strokes, one line per model
    assert [line.get_label() for line in strokes.lines] == list(result["strokes"]["models"])
    for line, top1 in zip(strokes.lines, result["strokes"]["models"].values()):
        assert list(line.get_xdata()) == [1, 2, 3]
        assert list(line.get_ydata()) == pytest.approx([100 * v for v in top1])
    assert strokes.get_xlabel() == "first k strokes"
    # without stroke curves, one panel
    alone = plot_partial({**result, "strokes": {}})
    assert len(alone.axes) == 1 and len(alone.axes[0].lines) == len(lines)


def test_report_section_holds_the_curves_and_a_figure():
    from seqdoodle.evaluation.early import partial_section

    result = evaluate_partial({"a": CountingRun(2)}, [Drawing("many", strokes=THREE)],
                              fractions=[0.5, 1.0], max_strokes=1)  # fmt: skip
    section = partial_section(result)
    assert section.key == "partial" and section.data["fractions"] == [0.5, 1.0]
    assert "| a | 100.0% | 100.0% |" in section.markdown
    assert list(section.figures) == ["partial.png"]

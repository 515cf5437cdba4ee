"""Evaluation figures: confusion matrix, per-class accuracy bars, wrong-prediction grids.

Figures are built with `matplotlib.figure.Figure` (no pyplot state), so many can be made in a
loop; `save_figure` writes one as a PNG atomically.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from seqdoodle.errors import DataFormatError

TIME_CMAP = "viridis"


def _new_ax(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _label_size(k: int) -> float:
    return 10 if k <= 15 else 8 if k <= 30 else 7 if k <= 45 else 5


def plot_confusion_matrix(
    confusion,
    classes: Sequence[str],
    normalize: bool = True,
    title: str = "Confusion matrix",
    ax=None,
) -> Figure:
    """Draw a confusion matrix with class names on both axes and a colour bar.

    Args:
        confusion: array-like `(k, k)` of counts, rows true classes, columns predicted.
        classes: list of k str. Class names.
        normalize: bool. Show each row as fractions of that true class. Defaults to True.
        title: str. Axes title. Defaults to `"Confusion matrix"`.
        ax: matplotlib Axes or None. Where to draw; a new figure when None. Defaults to None.

    Returns:
        The matplotlib Figure. Cells carry their values when k <= 12; with more than 60 classes
        only every few class names are shown.

    Example:
    >>> fig = plot_confusion_matrix([[5, 1], [2, 4]], ["cat", "dog"])
    >>> fig.axes[0].get_title()
    'Confusion matrix'
    """
    cm = np.asarray(confusion, dtype=np.float64)
    k = len(classes)
    if cm.shape != (k, k):
        raise DataFormatError(f"confusion matrix shape {cm.shape} does not match {k} classes")
    if normalize:
        totals = cm.sum(axis=1, keepdims=True)
        cm = np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)
    side = min(16.0, max(5.0, 0.28 * k + 3.0))
    fig, ax = _new_ax(ax, (side + 1.2, side))
    vmax = 1.0 if normalize else max(1.0, cm.max())
    image = ax.imshow(cm, cmap="Blues", vmin=0.0, vmax=vmax, interpolation="nearest")
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label("fraction of the true class" if normalize else "drawings")
    step = max(1, math.ceil(k / 60))
    ticks = np.arange(0, k, step)
    size = _label_size(k)
    ax.set_xticks(ticks, [classes[i] for i in ticks], rotation=90, fontsize=size)
    ax.set_yticks(ticks, [classes[i] for i in ticks], fontsize=size)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    if k <= 12:
        for (i, j), value in np.ndenumerate(cm):
            text = f"{value:.2f}" if normalize else f"{int(value)}"
            colour = "white" if value > 0.6 * vmax else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color=colour)
    return fig


def plot_per_class_accuracy(
    per_class_by_model: Mapping[str, Mapping[str, float | None]],
    classes: Sequence[str],
    title: str = "Top-1 accuracy per class",
    ax=None,
) -> Figure:
    """Grouped bars: one group per class, one bar per model.

    Args:
        per_class_by_model: dict of model name to `{class: accuracy or None}` (as in
            `EvaluationReport.per_class`); None (class without drawings) leaves a gap.
        classes: list of str. Classes to show, in this order.
        title: str. Axes title. Defaults to `"Top-1 accuracy per class"`.
        ax: matplotlib Axes or None. Defaults to None.

    Returns:
        The matplotlib Figure; the legend gives each model's mean over the classes.

    Example:
    >>> fig = plot_per_class_accuracy({"m": {"a": 0.5, "b": 1.0}}, ["a", "b"])
    >>> len(fig.axes[0].patches)
    2
    """
    if not per_class_by_model:
        raise DataFormatError("plot_per_class_accuracy: no models given")
    k, m = len(classes), len(per_class_by_model)
    width_in = min(28.0, max(6.0, 0.22 * k * max(1, m) ** 0.5 + 2.0))
    fig, ax = _new_ax(ax, (width_in, 4.5))
    x = np.arange(k)
    bar_w = 0.8 / m
    for j, (name, acc) in enumerate(per_class_by_model.items()):
        values = np.array([_nan(acc.get(c)) for c in classes], dtype=np.float64)
        mean = np.nanmean(values) if np.isfinite(values).any() else math.nan
        ax.bar(x - 0.4 + bar_w * (j + 0.5), values, width=bar_w, label=f"{name} (mean {mean:.1%})")
    ax.set_xticks(x, list(classes), rotation=90, fontsize=_label_size(k))
    ax.set_xlim(-0.6, k - 0.4)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("top-1 accuracy")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8, framealpha=0.9)
    return fig


def _nan(x) -> float:
    return math.nan if x is None else float(x)


def plot_wrong_predictions(
    drawings,
    y_true,
    y_pred,
    classes: Sequence[str],
    title: str = "Wrong predictions",
    max_items: int = 16,
    ncols: int = 4,
    fig=None,
) -> Figure:
    """A grid of drawings the model got wrong, each titled "true → predicted".

    Strokes are drawn in order, coloured by the point's position in the drawing (purple first,
    yellow last) with the y axis pointing down as in images. Items without strokes are shown as
    bitmaps.

    Args:
        drawings: sequence of n items, each Google strokes `[[xs, ys], ...]` (a third `ts` row
            is ignored), a `Drawing` (its strokes, else its bitmap) or a bitmap `(28, 28)` /
            `(784,)` uint8.
        y_true: array-like `(n,)` of ints. True classes.
        y_pred: array-like `(n,)` of ints. Predicted classes.
        classes: list of str. Class names.
        title: str. Figure title. Defaults to `"Wrong predictions"`.
        max_items: int. Most drawings shown (the first wrong ones in order). Defaults to 16.
        ncols: int. Grid columns. Defaults to 4.
        fig: matplotlib Figure or None. Figure to draw into (it is cleared). Defaults to None.

    Returns:
        The matplotlib Figure (a note instead of a grid when nothing is wrong).

    Example:
    >>> fig = plot_wrong_predictions([[[[0, 10], [0, 10]]]], [0], [1], ["cat", "dog"])
    >>> fig.axes[0].get_title()
    'cat → dog'
    """
    y = np.asarray(y_true)
    pred = np.asarray(y_pred)
    if y.shape != pred.shape or y.ndim != 1 or len(drawings) != y.size:
        raise DataFormatError(
            f"plot_wrong_predictions: {len(drawings)} drawings, y_true {y.shape}, "
            f"y_pred {pred.shape} must all have length n"
        )
    wrong = np.flatnonzero(y != pred)[:max_items]
    cols = max(1, min(ncols, len(wrong)))
    rows = max(1, math.ceil(len(wrong) / cols))
    if fig is None:
        fig = Figure(figsize=(2.3 * cols, 2.5 * rows + 0.5), layout="constrained")
    else:
        fig.clear()
    if len(wrong) == 0:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no wrong predictions", ha="center", va="center")
        ax.set_axis_off()
        fig.suptitle(title)
        return fig
    any_strokes = False
    for slot, i in enumerate(wrong):
        ax = fig.add_subplot(rows, cols, slot + 1)
        any_strokes |= _draw_item(ax, drawings[i])
        ax.set_title(f"{classes[y[i]]} → {classes[pred[i]]}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    note = "true → predicted" + ("; colour = drawing order, purple first" if any_strokes else "")
    fig.suptitle(f"{title}\n({note})", fontsize=10)
    return fig


def _draw_item(ax, item) -> bool:
    """Draw one drawing; True when it was drawn from strokes."""
    if isinstance(item, np.ndarray):
        strokes, bitmap = None, item
    elif isinstance(item, (list, tuple)):
        strokes, bitmap = item, None
    else:
        strokes, bitmap = getattr(item, "strokes", None), getattr(item, "bitmap", None)
    if strokes:
        _draw_strokes(ax, strokes)
        return True
    if bitmap is not None:
        image = np.asarray(bitmap)
        if image.ndim == 1:
            side = math.isqrt(image.size)
            image = image.reshape(side, side)
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=255)
    else:
        ax.text(0.5, 0.5, "empty", ha="center", va="center", transform=ax.transAxes)
    return False


def _draw_strokes(ax, strokes) -> None:
    xy = [np.column_stack([np.asarray(s[0], float), np.asarray(s[1], float)]) for s in strokes]
    xy = [s for s in xy if len(s)]
    if not xy:
        ax.text(0.5, 0.5, "empty", ha="center", va="center", transform=ax.transAxes)
        return
    last = max(1, sum(len(s) for s in xy) - 1)
    segments, order, dots, dot_order = [], [], [], []
    start = 0
    for s in xy:
        if len(s) == 1:
            dots.append(s[0])
            dot_order.append(start)
        else:
            segments.extend(np.stack([s[:-1], s[1:]], axis=1))
            order.extend(range(start, start + len(s) - 1))
        start += len(s)
    if segments:
        lines = LineCollection(segments, linewidths=1.8, cmap=TIME_CMAP, capstyle="round")
        lines.set_array(np.asarray(order, dtype=float))
        lines.set_clim(0, last)
        ax.add_collection(lines)
    if dots:
        dots = np.asarray(dots)
        ax.scatter(dots[:, 0], dots[:, 1], c=dot_order, cmap=TIME_CMAP, vmin=0, vmax=last, s=8)
    points = np.concatenate(xy)
    centre = (points.min(axis=0) + points.max(axis=0)) / 2
    half = 0.53 * max(1.0, float(np.ptp(points, axis=0).max()))  # square panel, small margin
    ax.set_xlim(centre[0] - half, centre[0] + half)
    ax.set_ylim(centre[1] + half, centre[1] - half)  # y down, as in images
    ax.set_aspect("equal")

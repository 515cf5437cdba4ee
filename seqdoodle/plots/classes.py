"""Per-class figures: bars, box plots and drawing sizes, one row per class; the top counts.

Every function takes `ax=None` (or `fig=None`) and returns the Figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from seqdoodle.errors import DataFormatError
from seqdoodle.plots.layout import (
    BAR_COLOUR,
    check_classes,
    label_size,
    new_ax,
    new_fig,
    rows_height,
)


def plot_class_bars(
    values: Mapping[str, float],
    xlabel: str,
    title: str,
    errors: Mapping[str, float] | None = None,
    percent: bool = False,
    ax=None,
) -> Figure:
    """Horizontal bars, one per class (first class at the top), each labelled with its value.

    Args:
        values: dict of class name to a number (None leaves a gap).
        xlabel: str. Axis label, with units.
        title: str. Axes title.
        errors: dict of class name to a half-width (e.g. one standard deviation), or None.
            Defaults to None.
        percent: bool. Values are fractions 0..1, shown as percentages. Defaults to False.
        ax: matplotlib Axes or None. Where to draw; a new figure when None. Defaults to None.

    Returns:
        The matplotlib Figure.

    Example:
    >>> fig = plot_class_bars({"cat": 0.9, "dog": 0.8}, "recognized (%)", "Rec.", percent=True)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['cat', 'dog']
    """
    names = check_classes(values, "plot_class_bars")
    k = len(names)
    fig, ax = new_ax(ax, (8.0, rows_height(k)))
    scale = 100.0 if percent else 1.0
    v = np.array([math.nan if values[n] is None else values[n] * scale for n in names], float)
    err = None
    if errors is not None:
        err = np.array([scale * (errors.get(n) or 0.0) for n in names], float)
    y = np.arange(k)
    ax.barh(y, np.nan_to_num(v), xerr=err, color=BAR_COLOUR, height=0.7, capsize=2)
    ends = np.nan_to_num(v) + (err if err is not None else 0.0)
    top = max(float(ends.max()), 1e-9)
    for yi, vi, end in zip(y, v, ends):
        if np.isfinite(vi):
            text = f"{vi:.1f}%" if percent else f"{vi:.3g}"
            ax.text(end + 0.01 * top, yi, text, va="center", fontsize=label_size(k) - 1)
    ax.set_yticks(y, names, fontsize=label_size(k))
    ax.set_ylim(k - 0.5, -0.5)
    ax.set_xlim(0, top * 1.15)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return fig


def plot_class_boxes(
    values: Mapping[str, np.ndarray],
    xlabel: str,
    title: str,
    log: bool = False,
    ax=None,
) -> Figure:
    """Horizontal box plots, one per class (first class at the top), with the class's n.

    Boxes span the quartiles, whiskers 1.5 IQR, dots the drawings beyond; a white diamond marks
    the mean.

    Args:
        values: dict of class name to a 1-D array of per-drawing values.
        xlabel: str. Axis label, with units.
        title: str. Axes title.
        log: bool. Logarithmic x axis. Defaults to False.
        ax: matplotlib Axes or None. Where to draw; a new figure when None. Defaults to None.

    Returns:
        The matplotlib Figure.

    Example:
    >>> fig = plot_class_boxes({"cat": [1, 2, 3], "dog": [2, 5]}, "strokes", "Strokes")
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['cat (n=3)', 'dog (n=2)']
    """
    names = check_classes(values, "plot_class_boxes")
    k = len(names)
    fig, ax = new_ax(ax, (8.0, rows_height(k)))
    data = [np.asarray(values[n], dtype=np.float64) for n in names]
    kept = [i for i, d in enumerate(data) if d.size]
    if kept:
        ax.boxplot(
            [data[i] for i in kept],
            positions=kept,
            widths=0.6,
            showmeans=True,
            patch_artist=True,
            boxprops={"facecolor": "#c6d4e6", "edgecolor": BAR_COLOUR},
            medianprops={"color": "#d62728"},
            meanprops={
                "marker": "D",
                "markerfacecolor": "white",
                "markeredgecolor": "black",
                "markersize": 4,
            },
            flierprops={"marker": ".", "markersize": 3, "alpha": 0.5},
            **_horizontal(),
        )
    labels = [f"{n} (n={d.size})" for n, d in zip(names, data)]
    ax.set_yticks(np.arange(k), labels, fontsize=label_size(k))
    ax.set_ylim(k - 0.5, -0.5)
    if log:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3, which="both" if log else "major")
    return fig


def _horizontal() -> dict:
    if tuple(matplotlib.__version_info__[:2]) >= (3, 10):
        return {"orientation": "horizontal"}
    return {"vert": False}


def plot_drawing_sizes(
    n_strokes: Mapping[str, np.ndarray],
    n_points: Mapping[str, np.ndarray],
    title: str = "Drawing size per class",
    fig=None,
) -> Figure:
    """Two box-plot panels side by side: strokes per drawing and points per drawing (log axes).

    Args:
        n_strokes: dict of class name to `(n,)` int, strokes per drawing.
        n_points: dict of class name to `(n,)` int, points per drawing.
        title: str. Figure title. Defaults to `"Drawing size per class"`.
        fig: matplotlib Figure or None. Figure to draw into (it is cleared). Defaults to None.

    Returns:
        The matplotlib Figure.

    Example:
    >>> fig = plot_drawing_sizes({"cat": [3, 4]}, {"cat": [40, 52]})
    >>> [a.get_xlabel() for a in fig.axes]
    ['strokes per drawing (log scale)', 'points per drawing (log scale)']
    """
    names = check_classes(n_strokes, "plot_drawing_sizes")
    fig = new_fig(fig, (13.0, rows_height(len(names)) + 0.3))
    left, right = fig.subplots(1, 2, sharey=True)
    plot_class_boxes(n_strokes, "strokes per drawing (log scale)", "Strokes", log=True, ax=left)
    points = {n: n_points[n] for n in names}
    plot_class_boxes(points, "points per drawing (log scale)", "Points", log=True, ax=right)
    fig.suptitle(title, fontsize=12)
    return fig


def plot_top_counts(
    counts: Mapping[str, int],
    xlabel: str,
    title: str,
    top: int = 15,
    ax=None,
) -> Figure:
    """Horizontal bars of the `top` largest counts (largest at the top), e.g. drawings per country.

    Args:
        counts: dict of label to count.
        xlabel: str. Axis label, with units.
        title: str. Axes title.
        top: int. How many bars. Defaults to 15.
        ax: matplotlib Axes or None. Where to draw; a new figure when None. Defaults to None.

    Returns:
        The matplotlib Figure; each bar carries its count and share of the total.

    Example:
    >>> fig = plot_top_counts({"US": 5, "DE": 2, "FR": 1}, "drawings", "Countries", top=2)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['US', 'DE']
    """
    if not counts:
        raise DataFormatError("plot_top_counts: no counts given")
    total = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    k = len(ranked)
    fig, ax = new_ax(ax, (8.0, rows_height(k)))
    y = np.arange(k)
    values = [c for _, c in ranked]
    ax.barh(y, values, color=BAR_COLOUR, height=0.7)
    for yi, c in zip(y, values):
        ax.text(c + 0.01 * values[0], yi, f"{c} ({100 * c / total:.1f}%)", va="center", fontsize=9)
    ax.set_yticks(y, [label for label, _ in ranked])
    ax.set_ylim(k - 0.5, -0.5)
    ax.set_xlim(0, values[0] * 1.2)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return fig

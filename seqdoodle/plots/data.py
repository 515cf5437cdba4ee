"""Data figures: sample grids, mean images, pixel histograms, per-class bars and box plots.

Figures are built with `matplotlib.figure.Figure` (no pyplot state), sized so about 20 classes
(grids) or 50 classes (bars, box plots) stay legible. Every function takes `ax=None` or `fig=None`
and returns the Figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from seqdoodle.errors import DataFormatError

INK_COLOUR = "#1f3b73"
BAR_COLOUR = "#4c78a8"
HIST_BINS = np.append(np.arange(1, 256, 8), 256)  # 32 bins: 1..8, 9..16, ..., 249..255


def _new_ax(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _new_fig(fig, figsize):
    if fig is None:
        return Figure(figsize=figsize, layout="constrained")
    fig.clear()
    return fig


def _rows_height(k: int) -> float:
    """Figure height in inches for k class rows (bars, boxes)."""
    return max(2.6, 0.27 * k + 1.3)


def _label_size(k: int) -> float:
    return 10 if k <= 25 else 9 if k <= 40 else 8


def _check_classes(values: Mapping, what: str) -> list[str]:
    if not values:
        raise DataFormatError(f"{what}: no classes given")
    return list(values)


def plot_sample_grid(
    samples: Mapping[str, Sequence],
    title: str = "Sample drawings",
    fig=None,
) -> Figure:
    """One row per class, one drawing per cell: strokes as lines, bitmaps as images.

    Each drawing is centred in its cell and scaled so its longer side fills it. A row is one Axes,
    so a grid of 20 classes by 8 drawings draws quickly.

    Args:
        samples: dict of class name to a list of drawings, each Google strokes `[[xs, ys], ...]`
            (a third `ts` row is ignored; y points down) or a bitmap `(28, 28)` uint8
            (0 background, 255 ink).
        title: str. Figure title. Defaults to `"Sample drawings"`.
        fig: matplotlib Figure or None. Figure to draw into (it is cleared). Defaults to None.

    Returns:
        The matplotlib Figure, class names at the left of each row.

    Example:
    >>> fig = plot_sample_grid({"line": [[[[0, 9], [0, 9]]]], "dot": [np.eye(28, dtype=np.uint8)]})
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['line', 'dot']
    """
    names = _check_classes(samples, "plot_sample_grid")
    cols = max(1, max(len(v) for v in samples.values()))
    label_w = 0.1 * max(len(n) for n in names) + 0.4
    fig = _new_fig(fig, (label_w + 1.05 * cols, 1.05 * len(names) + 0.6))
    for row, name in enumerate(names):
        ax = fig.add_subplot(len(names), 1, row + 1)
        frames = [[(c, 0), (c + 1, 0), (c + 1, 1), (c, 1), (c, 0)] for c in range(cols)]
        ax.add_collection(LineCollection(frames, colors="#cccccc", linewidths=0.8))
        for col, item in enumerate(samples[name]):
            _draw_item(ax, item, col)
        ax.set_xlim(-0.01, cols + 0.01)
        ax.set_ylim(1.01, -0.01)  # y down, as on a screen
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=10)
    fig.suptitle(title, fontsize=12)
    return fig


def _draw_item(ax, item, col: int, margin: float = 0.06) -> None:
    """Draw one drawing into the unit cell `[col, col + 1] x [0, 1]` of `ax`."""
    if isinstance(item, np.ndarray):
        image = item.reshape(28, 28) if item.ndim == 1 else item
        extent = (col + margin, col + 1 - margin, 1 - margin, margin)
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=255, extent=extent, interpolation="nearest")
        return
    xy = [np.column_stack([np.asarray(s[0], float), np.asarray(s[1], float)]) for s in item]
    xy = [s for s in xy if len(s)]
    if not xy:
        return
    points = np.concatenate(xy)
    lo, hi = points.min(axis=0), points.max(axis=0)
    scale = (1 - 2 * margin) / max(1e-9, float((hi - lo).max()))
    offset = np.array([col + 0.5, 0.5]) - (lo + hi) / 2 * scale
    xy = [s * scale + offset for s in xy]
    lines = [s for s in xy if len(s) > 1]
    if lines:
        ax.add_collection(LineCollection(lines, colors=INK_COLOUR, linewidths=1.0))
    dots = np.array([s[0] for s in xy if len(s) == 1])
    if len(dots):
        ax.plot(dots[:, 0], dots[:, 1], ".", color=INK_COLOUR, markersize=2)


def plot_mean_images(
    means: Mapping[str, np.ndarray],
    title: str = "Mean image per class",
    ncols: int = 5,
    fig=None,
) -> Figure:
    """A grid of per-class mean bitmaps on one shared grey scale, with a colour bar.

    Args:
        means: dict of class name to a `(28, 28)` float array, the mean pixel value (0..255).
        title: str. Figure title. Defaults to `"Mean image per class"`.
        ncols: int. Grid columns. Defaults to 5.
        fig: matplotlib Figure or None. Figure to draw into (it is cleared). Defaults to None.

    Returns:
        The matplotlib Figure, each image titled with its class.

    Example:
    >>> fig = plot_mean_images({"cat": np.full((28, 28), 30.0)})
    >>> fig.axes[0].get_title()
    'cat'
    """
    names = _check_classes(means, "plot_mean_images")
    cols = max(1, min(ncols, len(names)))
    rows = math.ceil(len(names) / cols)
    fig = _new_fig(fig, (2.1 * cols + 1.0, 2.2 * rows + 0.6))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    vmax = max(1.0, max(float(np.max(m)) for m in means.values()))
    image = None
    for ax, name in zip(axes, names):
        image = ax.imshow(means[name], cmap="gray_r", vmin=0, vmax=vmax)
        ax.set_title(name, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[len(names) :]:
        ax.set_axis_off()
    bar = fig.colorbar(image, ax=axes.tolist(), shrink=0.6)
    bar.set_label("mean pixel value (0 = background, 255 = ink)")
    fig.suptitle(title, fontsize=12)
    return fig


def plot_pixel_histograms(
    counts: Mapping[str, np.ndarray],
    title: str = "Pixel values per class",
    ncols: int = 5,
    fig=None,
) -> Figure:
    """Small multiples: per class, the distribution of the non-zero (ink) pixel values.

    Background pixels (value 0) would dwarf the rest, so each panel shows the values 1..255 in
    bins of 8 as a share of the class's ink pixels, and its title gives the share of pixels that
    are ink at all.

    Args:
        counts: dict of class name to a `(256,)` int array, how many pixels have each value.
        title: str. Figure title. Defaults to `"Pixel values per class"`.
        ncols: int. Grid columns. Defaults to 5.
        fig: matplotlib Figure or None. Figure to draw into (it is cleared). Defaults to None.

    Returns:
        The matplotlib Figure (shared axes).

    Example:
    >>> fig = plot_pixel_histograms({"cat": np.bincount([0, 0, 255, 128], minlength=256)})
    >>> fig.axes[0].get_title().splitlines()
    ['cat', 'ink: 50.0% of pixels']
    """
    names = _check_classes(counts, "plot_pixel_histograms")
    cols = max(1, min(ncols, len(names)))
    rows = math.ceil(len(names) / cols)
    fig = _new_fig(fig, (2.6 * cols + 0.6, 2.3 * rows + 0.8))
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
    for ax, name in zip(axes.ravel(), names):
        c = np.asarray(counts[name], dtype=np.float64)
        if c.shape != (256,):
            raise DataFormatError(f"plot_pixel_histograms: {name!r} counts have shape {c.shape}")
        ink = c[1:].sum()
        binned = np.add.reduceat(c, HIST_BINS[:-1])
        share = 100 * binned / ink if ink else binned
        ax.stairs(share, HIST_BINS, fill=True, color=BAR_COLOUR)
        ax.set_title(f"{name}\nink: {100 * ink / max(1.0, c.sum()):.1f}% of pixels", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes.ravel()[len(names) :]:
        ax.set_axis_off()
    ax0 = axes[0, 0]
    ax0.set_xlim(0, 256)
    ax0.set_xticks([1, 64, 128, 192, 255])
    fig.supxlabel("pixel value (1..255 in bins of 8; 255 = full ink)", fontsize=10)
    fig.supylabel("share of the class's ink pixels (%)", fontsize=10)
    fig.suptitle(title, fontsize=12)
    return fig


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
    names = _check_classes(values, "plot_class_bars")
    k = len(names)
    fig, ax = _new_ax(ax, (8.0, _rows_height(k)))
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
            ax.text(end + 0.01 * top, yi, text, va="center", fontsize=_label_size(k) - 1)
    ax.set_yticks(y, names, fontsize=_label_size(k))
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
    names = _check_classes(values, "plot_class_boxes")
    k = len(names)
    fig, ax = _new_ax(ax, (8.0, _rows_height(k)))
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
    ax.set_yticks(np.arange(k), labels, fontsize=_label_size(k))
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
    names = _check_classes(n_strokes, "plot_drawing_sizes")
    fig = _new_fig(fig, (13.0, _rows_height(len(names)) + 0.3))
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
    fig, ax = _new_ax(ax, (8.0, _rows_height(k)))
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

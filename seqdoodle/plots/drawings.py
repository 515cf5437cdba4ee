"""Figures of the drawings themselves: sample grids, mean images and pixel-value histograms.

Every function takes `fig=None` and returns the Figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from seqdoodle.errors import DataFormatError
from seqdoodle.plots.layout import BAR_COLOUR, INK_COLOUR, check_classes, new_fig

HIST_BINS = np.append(np.arange(1, 256, 8), 256)  # 32 bins: 1..8, 9..16, ..., 249..255


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
    names = check_classes(samples, "plot_sample_grid")
    cols = max(1, max(len(v) for v in samples.values()))
    label_w = 0.1 * max(len(n) for n in names) + 0.4
    fig = new_fig(fig, (label_w + 1.05 * cols, 1.05 * len(names) + 0.6))
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
    names = check_classes(means, "plot_mean_images")
    cols = max(1, min(ncols, len(names)))
    rows = math.ceil(len(names) / cols)
    fig = new_fig(fig, (2.1 * cols + 1.0, 2.2 * rows + 0.6))
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
    names = check_classes(counts, "plot_pixel_histograms")
    cols = max(1, min(ncols, len(names)))
    rows = math.ceil(len(names) / cols)
    fig = new_fig(fig, (2.6 * cols + 0.6, 2.3 * rows + 0.8))
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

"""Learning curves: loss and accuracy per epoch, training versus validation."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from seqdoodle.errors import DataFormatError

_PANELS = (("loss", "loss"), ("accuracy", "accuracy"))


def plot_history(history: Mapping, ax=None) -> Figure:
    """Draw loss and accuracy per epoch, training (solid) versus validation (dashed).

    Args:
        history: dict. Lists of per-epoch values under `"loss"`, `"accuracy"`, `"val_loss"`,
            `"val_accuracy"` (any may be missing); `"epoch"` (1-based) is used for the x axis
            when present. Keras' `History.history` has this form.
        ax: matplotlib Axes, a pair of Axes, or None. With one Axes both metrics share it (loss
            on a second y axis); with two, loss goes left and accuracy right; None makes a new
            figure with two panels. Defaults to None.

    Returns:
        The matplotlib Figure.

    Example:
    >>> fig = plot_history({"loss": [1.2, 0.8], "val_loss": [1.3, 1.0],
    ...                     "accuracy": [0.5, 0.7], "val_accuracy": [0.45, 0.6]})
    >>> [a.get_title() for a in fig.axes]
    ['loss', 'accuracy']
    """
    if not isinstance(history, Mapping):
        raise DataFormatError(f"history must be a dict of lists, got {type(history).__name__}")
    n = max((len(v) for k, v in history.items() if k != "epoch"), default=0)
    epochs = np.asarray(history.get("epoch") or range(1, n + 1), dtype=float)
    shared = False  # one Axes given: loss and accuracy share it
    if ax is None:
        fig = Figure(figsize=(10, 4), layout="constrained")
        axes = list(fig.subplots(1, 2))
    elif isinstance(ax, (list, tuple, np.ndarray)):
        axes = list(ax)
        if len(axes) != 2:
            raise DataFormatError(f"plot_history: give one Axes or two, got {len(axes)}")
        fig = axes[0].figure
    else:
        fig = ax.figure
        axes = [ax, ax.twinx()]
        shared = True
        ax.set_title("loss (left) and accuracy (right)")
    for p, ((key, title), panel) in enumerate(zip(_PANELS, axes)):
        for c, (prefix, style, label) in enumerate((("", "-", "train"), ("val_", "--", "val"))):
            values = history.get(prefix + key)
            if values:
                y = np.asarray([np.nan if v is None else v for v in values], dtype=float)
                color = f"C{2 * p + c if shared else c}"
                name = f"{label} {key}" if shared else label
                panel.plot(epochs[: len(y)], y, style, color=color, marker="o", ms=3, label=name)
        if not shared:
            panel.set_title(title)
        panel.set_xlabel("epoch")
        panel.set_ylabel(title)
        if panel.lines:
            panel.legend(loc="best", fontsize=8)
        panel.grid(alpha=0.3)
    if 0 < n <= 20:
        for panel in axes:
            panel.set_xticks(epochs[:n])
    return fig


def plot_histories(histories: Mapping[str, Mapping]) -> Figure:
    """One row per model (`{name: history}`): loss and accuracy per epoch, as `plot_history`.

    Example:
    >>> fig = plot_histories({"a": {"loss": [1.0, 0.5]}, "b": {"loss": [2.0, 1.0]}})
    >>> [a.get_title() for a in fig.axes][:2]
    ['a: loss', 'a: accuracy']
    """
    if not histories:
        raise DataFormatError("plot_histories: no histories given")
    fig = Figure(figsize=(10, 3.6 * len(histories)), layout="constrained")
    axes = fig.subplots(len(histories), 2, squeeze=False)
    for row, (name, history) in zip(axes, histories.items()):
        plot_history(history, ax=list(row))
        for ax in row:
            ax.set_title(f"{name}: {ax.get_title()}")
    fig.suptitle("training (solid) and validation (dashed) per epoch")
    return fig

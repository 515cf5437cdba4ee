"""What the data figures share: new figures and axes, sizes that follow the class count, colours.

Figures are built with `matplotlib.figure.Figure` (no pyplot state), sized so about 20 classes
(grids) or 50 classes (bars, box plots) stay legible.
"""

from __future__ import annotations

from collections.abc import Mapping

from matplotlib.figure import Figure

from seqdoodle.errors import DataFormatError

INK_COLOUR = "#1f3b73"
BAR_COLOUR = "#4c78a8"


def new_ax(ax, figsize):
    """`(figure, ax)`: the given Axes and its figure, or a new figure of `figsize` with one."""
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def new_fig(fig, figsize):
    """The given figure, cleared, or a new one of `figsize` (inches)."""
    if fig is None:
        return Figure(figsize=figsize, layout="constrained")
    fig.clear()
    return fig


def rows_height(k: int) -> float:
    """Figure height in inches for k class rows (bars, boxes)."""
    return max(2.6, 0.27 * k + 1.3)


def label_size(k: int) -> float:
    """Font size of class labels when k classes share an axis."""
    return 10 if k <= 25 else 9 if k <= 40 else 8


def check_classes(values: Mapping, what: str) -> list[str]:
    """The class names of `values`; a DataFormatError naming `what` when there are none."""
    if not values:
        raise DataFormatError(f"{what}: no classes given")
    return list(values)

"""Saving a figure as a PNG file, atomically, and releasing it."""

from __future__ import annotations


def save_figure(fig, path, dpi: int = 110) -> None:
    """Save a figure as PNG atomically (temporary name, then rename) and release it.

    Args:
        fig: matplotlib Figure (a plain one, or one pyplot manages).
        path: str or Path. Target `.png` file.
        dpi: int. Resolution. Defaults to 110.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from seqdoodle.fileio import atomic_write

    managed = getattr(fig.canvas, "manager", None) is not None
    if not managed:
        FigureCanvasAgg(fig)  # attaches itself as fig.canvas
    try:
        with atomic_write(path, "wb") as f:
            fig.savefig(f, format="png", dpi=dpi)
    finally:
        if managed:
            import matplotlib.pyplot as plt

            plt.close(fig)
        fig.clear()

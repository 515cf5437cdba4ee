"""Every matplotlib figure. Functions take `ax=None` (or `fig=None`) and return the Figure.

`plots.data` draws data figures (sample grids, histograms, mean images), `plots.training` learning
curves, `plots.evaluation` confusion matrices, per-class bars and wrong-prediction grids.
"""

import matplotlib

matplotlib.use("Agg")


def save_figure(fig, path, dpi: int = 110) -> None:
    """Save a figure as PNG atomically (temporary name, then rename) and close it.

    Args:
        fig: matplotlib Figure (pyplot-managed or not).
        path: str or Path. Target `.png` file.
        dpi: int. Resolution. Defaults to 110.
    """
    import matplotlib.pyplot as plt

    from seqdoodle.fileio import atomic_write

    try:
        with atomic_write(path, "wb") as f:
            fig.savefig(f, format="png", dpi=dpi)
    finally:
        plt.close(fig)
        fig.clear()

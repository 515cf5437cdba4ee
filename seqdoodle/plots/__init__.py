"""Every matplotlib figure of the project, and saving one as a PNG.

`plots.drawings` draws the drawings (sample grids, mean images, pixel histograms), `plots.classes`
one bar or box per class, `plots.training` learning curves and `plots.evaluation` confusion
matrices, per-class accuracy and wrong predictions. Figures are plain `Figure` objects: importing
this package loads no matplotlib, selects no backend and leaves pyplot's state alone.
"""

from __future__ import annotations

from seqdoodle._compat import lazy_exports

_EXPORTS = {
    "plot_class_bars": "seqdoodle.plots.classes",
    "plot_class_boxes": "seqdoodle.plots.classes",
    "plot_confusion_matrix": "seqdoodle.plots.evaluation",
    "plot_drawing_sizes": "seqdoodle.plots.classes",
    "plot_histories": "seqdoodle.plots.training",
    "plot_history": "seqdoodle.plots.training",
    "plot_mean_images": "seqdoodle.plots.drawings",
    "plot_per_class_accuracy": "seqdoodle.plots.evaluation",
    "plot_pixel_histograms": "seqdoodle.plots.drawings",
    "plot_sample_grid": "seqdoodle.plots.drawings",
    "plot_top_counts": "seqdoodle.plots.classes",
    "plot_wrong_predictions": "seqdoodle.plots.evaluation",
    "save_figure": "seqdoodle.plots.save",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)

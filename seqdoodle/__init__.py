"""seqdoodle: classify Quick, Draw! doodles with a bitmap CNN and a stroke Conv1D+LSTM.

The public API is re-exported here lazily, so `import seqdoodle` stays fast and does not load
TensorFlow until a model is needed.
"""

from __future__ import annotations

from seqdoodle._compat import install_aliases, lazy_exports

__version__ = "0.1.0"

# name -> module holding it, or (module, name there; None: the module itself).
_EXPORTS = {
    "Drawing": "seqdoodle.datasets.records",
    "all_categories": "seqdoodle.datasets.categories",
    "check_class": "seqdoodle.datasets.categories",
    "strokes_to_points": "seqdoodle.strokes.points",
    "points_to_strokes": "seqdoodle.strokes.points",
    "render_bitmap": "seqdoodle.strokes.raster",
    "render_bitmaps": "seqdoodle.strokes.raster",
    "simplify_strokes": "seqdoodle.strokes.simplify",
    "drawing_to_stroke3": "seqdoodle.strokes.stroke3",
    "stroke3_to_drawing": "seqdoodle.strokes.stroke3",
    "read_drawings": "seqdoodle.datasets.readers",
    "read_bitmaps": "seqdoodle.datasets.readers",
    "download": "seqdoodle.datasets.sources",
    "synthetic_drawings": "seqdoodle.datasets.synthetic",
    "SYNTHETIC_CLASSES": "seqdoodle.datasets.synthetic",
    "write_synthetic": "seqdoodle.datasets.synthetic",
    "prepare": "seqdoodle.datasets.prepare",
    "PreparedDataset": "seqdoodle.datasets.prepared",
    "load_run": "seqdoodle.runs.folder",
    "load_model": "seqdoodle.runs.ensemble",
    "Run": "seqdoodle.runs.folder",
    "predict": "seqdoodle.runs.predict",
    "load_inputs": "seqdoodle.runs.inputs",
    "image_to_bitmap": "seqdoodle.datasets.images",
    "train": "seqdoodle.training",
    "evaluate": ("seqdoodle.runs.evaluate", "evaluate_run"),
    "evaluate_predictions": "seqdoodle.evaluation.report",
    "compare": "seqdoodle.comparison.job",
    "compare_predictions": "seqdoodle.comparison.scoring",
    "analyze": "seqdoodle.reports.analysis",
    "encoders": ("seqdoodle.sequences", None),
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
install_aliases()

__all__ = ["__version__", *_EXPORTS]

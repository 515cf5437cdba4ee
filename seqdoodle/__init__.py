"""seqdoodle: classify Quick, Draw! doodles with a bitmap CNN and a stroke Conv1D+LSTM.

The public API is re-exported here lazily, so `import seqdoodle` stays fast and does not load
TensorFlow until a model is needed.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# name -> module holding it, or (module, name in that module).
_EXPORTS = {
    "Drawing": "seqdoodle.datasets.records",
    "all_categories": "seqdoodle.categories",
    "check_class": "seqdoodle.categories",
    "strokes_to_points": "seqdoodle.strokes.points",
    "points_to_strokes": "seqdoodle.strokes.points",
    "render_bitmap": "seqdoodle.strokes.raster",
    "render_bitmaps": "seqdoodle.strokes.raster",
    "simplify_strokes": "seqdoodle.strokes.simplify",
    "drawing_to_stroke3": "seqdoodle.strokes.sequence",
    "stroke3_to_drawing": "seqdoodle.strokes.sequence",
    "read_drawings": "seqdoodle.datasets.readers",
    "read_bitmaps": "seqdoodle.datasets.readers",
    "download": "seqdoodle.datasets.sources",
    "synthetic_drawings": "seqdoodle.datasets.synthetic",
    "SYNTHETIC_CLASSES": "seqdoodle.datasets.synthetic",
    "write_synthetic": "seqdoodle.datasets.synthetic",
    "prepare": "seqdoodle.datasets.prepare",
    "PreparedDataset": "seqdoodle.datasets.prepared",
    "load_run": "seqdoodle.artifacts",
    "Run": "seqdoodle.artifacts",
    "predict": "seqdoodle.inference",
    "load_inputs": "seqdoodle.inference",
    "image_to_bitmap": "seqdoodle.images",
    "train": "seqdoodle.training",
    "evaluate": ("seqdoodle.evaluation", "evaluate_run"),
    "evaluate_predictions": "seqdoodle.evaluation",
    "compare": "seqdoodle.compare_runs",
    "compare_predictions": "seqdoodle.model_comparison",
    "analyze": "seqdoodle.analysis",
    "encoders": "seqdoodle.encoders",
}


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'seqdoodle' has no attribute {name!r}")
    target = _EXPORTS[name]
    module_name, attr = target if isinstance(target, tuple) else (target, name)
    module = importlib.import_module(module_name)
    value = getattr(module, attr, module)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS))


__all__ = ["__version__", *_EXPORTS]

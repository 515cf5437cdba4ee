"""Data in and out: the table of file formats (one module per format), the drawing record,
sources (download), prepare and the prepared folder, conversion, synthetic doodles, class names
and images.

Public names are imported lazily from the modules listed below; reader classes and format
internals are reached through their modules (e.g. `seqdoodle.datasets.formats.sketchrnn`).
"""

from __future__ import annotations

from seqdoodle._compat import lazy_exports

_EXPORTS = {
    # the record
    "Drawing": "seqdoodle.datasets.records",
    "needs_simplifying": "seqdoodle.datasets.records",
    "strokes_look_raw": "seqdoodle.datasets.records",
    # the table of formats and what every format shares
    "FORMATS": "seqdoodle.datasets.formats",
    "Format": "seqdoodle.datasets.formats.base",
    "ReadSummary": "seqdoodle.datasets.formats.base",
    "class_name_of": "seqdoodle.datasets.formats",
    "format_for": "seqdoodle.datasets.formats",
    "open_reader": "seqdoodle.datasets.formats",
    "validate_strokes": "seqdoodle.datasets.formats.base",
    "iter_drawings": "seqdoodle.datasets.readers",
    # one reader and writer per format
    "read_drawings": "seqdoodle.datasets.formats.ndjson",
    "write_ndjson": "seqdoodle.datasets.formats.ndjson",
    "read_bitmaps": "seqdoodle.datasets.formats.numpy_bitmap",
    "read_kaggle_csv": "seqdoodle.datasets.formats.kaggle_csv",
    "write_kaggle_csv": "seqdoodle.datasets.formats.kaggle_csv",
    "RefusedPickle": "seqdoodle.datasets.formats.sketchrnn",
    "read_sketchrnn": "seqdoodle.datasets.formats.sketchrnn",
    "write_sketchrnn": "seqdoodle.datasets.formats.sketchrnn",
    "read_binary": "seqdoodle.datasets.formats.binary",
    "write_binary": "seqdoodle.datasets.formats.binary",
    # sources, filters, the source plan
    "Filter": "seqdoodle.datasets.filters",
    "make_filter": "seqdoodle.datasets.filters",
    "class_files": "seqdoodle.datasets.plan",
    "source_plan": "seqdoodle.datasets.plan",
    "download": "seqdoodle.datasets.sources",
    "all_categories": "seqdoodle.datasets.categories",
    "check_class": "seqdoodle.datasets.categories",
    # jobs and the prepared folder
    "prepare": "seqdoodle.datasets.prepare",
    "PreparedDataset": "seqdoodle.datasets.prepared",
    "convert": "seqdoodle.datasets.convert",
    # synthetic doodles, images, Kaggle submissions
    "SYNTHETIC_CLASSES": "seqdoodle.datasets.synthetic",
    "iter_synthetic": "seqdoodle.datasets.synthetic",
    "synthetic_drawings": "seqdoodle.datasets.synthetic",
    "write_synthetic": "seqdoodle.datasets.synthetic",
    "image_to_bitmap": "seqdoodle.datasets.images",
    "is_image_path": "seqdoodle.datasets.images",
    "kaggle_classes": "seqdoodle.datasets.kaggle",
    "map_at_k": "seqdoodle.datasets.kaggle",
    "read_submission": "seqdoodle.datasets.kaggle",
    "write_submission": "seqdoodle.datasets.kaggle",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)

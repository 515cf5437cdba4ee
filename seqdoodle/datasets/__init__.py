"""Data in and out: formats, records, sources (download), prepare, the prepared folder, synthetic
doodles, class names and images.

Public names are imported lazily from the modules listed below.
"""

from __future__ import annotations

from seqdoodle._compat import lazy_exports

_EXPORTS = {
    "BinaryReader": "seqdoodle.datasets.binary",
    "BitmapDrawingReader": "seqdoodle.datasets.readers",
    "ClassSource": "seqdoodle.datasets.plan",
    "DatasetWriter": "seqdoodle.datasets.prepared",
    "Drawing": "seqdoodle.datasets.records",
    "DrawingReader": "seqdoodle.datasets.readers",
    "Filter": "seqdoodle.datasets.plan",
    "FilteredReader": "seqdoodle.datasets.plan",
    "KaggleCsvReader": "seqdoodle.datasets.kaggle",
    "PreparedDataset": "seqdoodle.datasets.prepared",
    "ReadSummary": "seqdoodle.datasets.readers",
    "RefusedPickle": "seqdoodle.datasets.sketchrnn",
    "SketchRnnReader": "seqdoodle.datasets.sketchrnn",
    "all_categories": "seqdoodle.datasets.categories",
    "bucket_url": "seqdoodle.datasets.sources",
    "check_class": "seqdoodle.datasets.categories",
    "class_files": "seqdoodle.datasets.plan",
    "class_name_of": "seqdoodle.datasets.plan",
    "convert": "seqdoodle.datasets.convert",
    "download": "seqdoodle.datasets.sources",
    "file_kind": "seqdoodle.datasets.plan",
    "image_to_bitmap": "seqdoodle.datasets.images",
    "ink_map": "seqdoodle.datasets.images",
    "ink_to_bitmap": "seqdoodle.datasets.images",
    "is_image_path": "seqdoodle.datasets.images",
    "iter_drawings": "seqdoodle.datasets.readers",
    "iter_synthetic": "seqdoodle.datasets.synthetic",
    "kaggle_classes": "seqdoodle.datasets.kaggle",
    "kaggle_row": "seqdoodle.datasets.kaggle",
    "kaggle_word": "seqdoodle.datasets.kaggle",
    "line_width": "seqdoodle.datasets.images",
    "make_filter": "seqdoodle.datasets.plan",
    "map_at_k": "seqdoodle.datasets.kaggle",
    "needs_simplifying": "seqdoodle.datasets.records",
    "open_reader": "seqdoodle.datasets.plan",
    "pack_drawing": "seqdoodle.datasets.binary",
    "parse_class_list": "seqdoodle.datasets.categories",
    "prepare": "seqdoodle.datasets.prepare",
    "read_binary": "seqdoodle.datasets.binary",
    "read_bitmaps": "seqdoodle.datasets.readers",
    "read_drawings": "seqdoodle.datasets.readers",
    "read_grayscale": "seqdoodle.datasets.images",
    "read_kaggle_csv": "seqdoodle.datasets.kaggle",
    "read_sketchrnn": "seqdoodle.datasets.sketchrnn",
    "read_submission": "seqdoodle.datasets.kaggle",
    "source_plan": "seqdoodle.datasets.plan",
    "split_assignment": "seqdoodle.datasets.prepared",
    "split_sizes": "seqdoodle.datasets.sketchrnn",
    "stroke3_to_strokes": "seqdoodle.datasets.sketchrnn",
    "strokes_look_raw": "seqdoodle.datasets.records",
    "strokes_to_stroke3": "seqdoodle.datasets.sketchrnn",
    "synthetic_drawings": "seqdoodle.datasets.synthetic",
    "write_binary": "seqdoodle.datasets.binary",
    "write_kaggle_csv": "seqdoodle.datasets.kaggle",
    "write_sketchrnn": "seqdoodle.datasets.sketchrnn",
    "write_submission": "seqdoodle.datasets.kaggle",
    "write_synthetic": "seqdoodle.datasets.synthetic",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)

"""Pure stroke geometry (numpy only): simplification, rendering, stroke-3, channel renderings,
augmentation.

Public names are imported lazily from the modules listed below.
"""

from __future__ import annotations

from seqdoodle._compat import lazy_exports

_EXPORTS = {
    "augment_points": "seqdoodle.strokes.augment",
    "augment_points_batch": "seqdoodle.strokes.augment",
    "augment_strokes": "seqdoodle.strokes.augment",
    "bucket_boundaries": "seqdoodle.strokes.sequence",
    "cairo_available": "seqdoodle.strokes.raster",
    "check_channels": "seqdoodle.strokes.timeraster",
    "check_point_batch": "seqdoodle.strokes.sequence",
    "drawing_to_stroke3": "seqdoodle.strokes.sequence",
    "gather_points": "seqdoodle.strokes.sequence",
    "pad_sequences": "seqdoodle.strokes.sequence",
    "points_to_stroke3": "seqdoodle.strokes.sequence",
    "points_to_stroke3_batch": "seqdoodle.strokes.sequence",
    "points_to_strokes": "seqdoodle.strokes.points",
    "render_bitmap": "seqdoodle.strokes.raster",
    "render_bitmaps": "seqdoodle.strokes.raster",
    "render_channels": "seqdoodle.strokes.timeraster",
    "render_channels_batch": "seqdoodle.strokes.timeraster",
    "render_points": "seqdoodle.strokes.raster",
    "render_points_batch": "seqdoodle.strokes.timeraster",
    "simplify_strokes": "seqdoodle.strokes.simplify",
    "stroke3_to_drawing": "seqdoodle.strokes.sequence",
    "strokes_to_points": "seqdoodle.strokes.points",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)

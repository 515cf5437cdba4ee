"""Pure stroke geometry (numpy only): simplification, rendering, stroke-3, channel renderings and
augmentation of drawings given as Google strokes or as compact points.

Nothing here knows of files or models; `seqdoodle.datasets` reads drawings and `seqdoodle.kinds`
turns them into model inputs with these functions.
"""

from __future__ import annotations

from seqdoodle._compat import lazy_exports

_EXPORTS = {
    "augment_points": "seqdoodle.strokes.augment",
    "augment_points_batch": "seqdoodle.strokes.augment",
    "augment_strokes": "seqdoodle.strokes.augment",
    "bucket_boundaries": "seqdoodle.strokes.padding",
    "drawing_to_stroke3": "seqdoodle.strokes.stroke3",
    "gather_points": "seqdoodle.strokes.stroke3_batch",
    "pad_sequences": "seqdoodle.strokes.padding",
    "points_to_stroke3": "seqdoodle.strokes.stroke3",
    "points_to_stroke3_batch": "seqdoodle.strokes.stroke3_batch",
    "points_to_strokes": "seqdoodle.strokes.points",
    "render_bitmap": "seqdoodle.strokes.raster",
    "render_bitmaps": "seqdoodle.strokes.raster",
    "render_channels": "seqdoodle.strokes.timeraster",
    "render_channels_batch": "seqdoodle.strokes.timeraster",
    "render_points": "seqdoodle.strokes.raster",
    "render_points_batch": "seqdoodle.strokes.timeraster",
    "simplify_strokes": "seqdoodle.strokes.simplify",
    "stroke3_to_drawing": "seqdoodle.strokes.stroke3",
    "strokes_to_points": "seqdoodle.strokes.points",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)

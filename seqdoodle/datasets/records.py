"""The one record type for every Quick, Draw! format."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(slots=True)
class Drawing:
    """One drawing from any Quick, Draw! format.

    Args:
        word: str. The class (the word the player was asked to draw).
        strokes: list or None. Google's `drawing` field: a list of strokes, each `[xs, ys]`
            (simplified, integers 0..255) or `[xs, ys, ts]` (raw, floats, t in ms). None for a
            numpy_bitmap row.
        key_id: str or None. Google's 16-digit id; None where the source has none.
        countrycode: str or None. Two-letter country code.
        recognized: bool or None. Whether Google's model recognised the drawing.
        timestamp: str or None. When it was drawn.
        bitmap: np.ndarray or None. `(28, 28) uint8` (0 background, 255 ink) for numpy_bitmap rows.
        source: str or None. Where it came from, e.g. `"cat.ndjson:17"` (file and 1-based line).
    """

    word: str
    strokes: list | None = None
    key_id: str | None = None
    countrycode: str | None = None
    recognized: bool | None = None
    timestamp: str | None = None
    bitmap: np.ndarray | None = field(default=None, repr=False)
    source: str | None = None

    def to_json(self) -> dict:
        """The record as a Google ndjson object (fields that are None are left out)."""
        out = {"word": self.word}
        for name in ("countrycode", "timestamp", "recognized", "key_id"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.strokes is not None:
            out["drawing"] = [[list(map(_plain, axis)) for axis in s] for s in self.strokes]
        return out


def _plain(v):
    return v.item() if hasattr(v, "item") else v

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
        fmt: str or None. The format its reader detected: "simplified" (integer strokes in
            Google's 0..255 frame), "raw" (strokes as drawn, with times), "bitmap" (a 28x28 row
            only), "sketchrnn" (normalised to the simplified frame, so taken as simplified).
            None where unknown (a drawing built by hand); `needs_simplifying` then looks at the
            strokes.
        split: str or None. The split the source itself assigns ("train", "val" or "test"; only
            sketch-rnn files have one).
    """

    word: str
    strokes: list | None = None
    key_id: str | None = None
    countrycode: str | None = None
    recognized: bool | None = None
    timestamp: str | None = None
    bitmap: np.ndarray | None = field(default=None, repr=False)
    source: str | None = None
    fmt: str | None = None
    split: str | None = None

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


FORMATS = ("simplified", "raw", "bitmap", "sketchrnn")
SIMPLIFIED_FORMATS = ("simplified", "sketchrnn")


def needs_simplifying(drawing: Drawing) -> bool:
    """Whether a drawing's strokes must go through `simplify_strokes` before rendering or encoding.

    The one place that decides raw vs simplified, for `prepare` and for prediction alike: a
    drawing whose reader recorded `fmt` is decided by it; one without (`fmt=None`) by its strokes
    (`strokes_look_raw`).

    Example:
    >>> needs_simplifying(Drawing("line", strokes=[[[0, 255], [0, 9]]], fmt="raw"))
    True
    >>> needs_simplifying(Drawing("line", strokes=[[[0, 255], [0, 9]]]))
    False
    """
    if not drawing.strokes:
        return False
    if drawing.fmt is not None:
        return drawing.fmt == "raw"
    return strokes_look_raw(drawing.strokes)


def strokes_look_raw(strokes) -> bool:
    """True for strokes in Google's raw format: times (3 arrays a stroke) or coordinates that are
    not integers within 0..255.

    Example:
    >>> strokes_look_raw([[[0.5, 3.0], [1.0, 2.0]]])
    True
    """
    for stroke in strokes:
        if len(stroke) >= 3:
            return True
        for axis in stroke[:2]:
            values = np.asarray(axis, dtype=np.float64)
            if values.size and (
                values.min() < 0 or values.max() > 255 or not np.all(values == np.round(values))
            ):
                return True
    return False


def _plain(v):
    return v.item() if hasattr(v, "item") else v

"""What `analyze` measures on the drawings of one class: counts, times, labels and pixels.

Ink fraction is the share of a drawing's 28x28 pixels that are non-zero; stroke drawings are
rendered first (raw ones after `simplify_strokes`, as Google made its bitmaps). Duration (raw
only) is the last point's time minus the first point's time, in seconds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

KINDS = ("bitmap", "simplified", "raw", "sketchrnn", "synthetic")
STROKE_KINDS = ("simplified", "raw", "sketchrnn", "synthetic")
N_SAMPLES = 8
RENDER_CHUNK = 1024


@dataclass
class ClassStats:
    """What `analyze` measured on one class of one source kind.

    Args:
        kind: str. "bitmap", "simplified", "raw" or "synthetic".
        n: int. Drawings read.
        files: list of str. Files read.
        skipped: int. Bad lines skipped.
        notes: list of str. Read summaries of files with skipped lines.
        n_strokes: `(n,)` int64 strokes per drawing, or None for bitmaps.
        n_points: `(n,)` int64 points per drawing, or None for bitmaps.
        durations: `(m,)` float64 seconds per drawing (raw only, else empty).
        recognized: `(n_true, n_known)` drawings recognised, drawings with the field.
        countries: Counter of country code to drawings.
        mean_image: `(28, 28)` float64 mean pixel value.
        pixel_counts: `(256,)` int64 pixels per value over all drawings.
        ink: `(n,)` float64 ink fraction per drawing.
        samples: list of strokes (stroke kinds) or `(28, 28)` uint8 bitmaps.
    """

    kind: str
    n: int = 0
    files: list = field(default_factory=list)
    skipped: int = 0
    notes: list = field(default_factory=list)
    n_strokes: np.ndarray | None = None
    n_points: np.ndarray | None = None
    durations: np.ndarray = field(default_factory=lambda: np.zeros(0))
    recognized: tuple[int, int] = (0, 0)
    countries: Counter = field(default_factory=Counter)
    mean_image: np.ndarray | None = None
    pixel_counts: np.ndarray | None = None
    ink: np.ndarray = field(default_factory=lambda: np.zeros(0))
    samples: list = field(default_factory=list)

    def to_json(self) -> dict:
        """The class's row of `summary.json` (None where a statistic does not apply)."""
        n_true, n_known = self.recognized
        return {
            "drawings": self.n,
            "skipped_lines": self.skipped,
            "files": self.files,
            "mean_strokes": _mean(self.n_strokes),
            "median_strokes": _median(self.n_strokes),
            "mean_points": _mean(self.n_points),
            "median_points": _median(self.n_points),
            "median_duration_s": _median(self.durations),
            "mean_duration_s": _mean(self.durations),
            "share_recognized": n_true / n_known if n_known else None,
            "ink_fraction": _mean(self.ink),
            "mean_pixel": float(self.mean_image.mean()) if self.n else None,
        }


def _mean(a) -> float | None:
    return None if a is None or len(a) == 0 else float(np.mean(a))


def _median(a) -> float | None:
    return None if a is None or len(a) == 0 else float(np.median(a))


def sample_index(n: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(n, size=min(N_SAMPLES, n), replace=False)) if n else np.zeros(0, int)


def bitmap_stats(bitmaps: np.ndarray, kind: str = "bitmap") -> ClassStats:
    """Pixel statistics of `(n, 28, 28) uint8` bitmaps (samples are left to the caller)."""
    n = len(bitmaps)
    stats = ClassStats(kind=kind, n=n)
    stats.mean_image = bitmaps.mean(axis=0, dtype=np.float64) if n else np.zeros((28, 28))
    stats.pixel_counts = np.bincount(bitmaps.ravel(), minlength=256).astype(np.int64)
    stats.ink = (bitmaps > 0).mean(axis=(1, 2), dtype=np.float64)
    return stats


def stroke_stats(kind: str, drawings: list, rng) -> ClassStats:
    """Stroke, time, label and (rendered) pixel statistics of `Drawing` records."""
    strokes = [d.strokes for d in drawings]
    stats = bitmap_stats(_render(strokes, raw=kind == "raw"), kind)
    stats.samples = [strokes[i] for i in sample_index(len(strokes), rng)]
    stats.n_strokes = np.array([len(s) for s in strokes], dtype=np.int64)
    stats.n_points = np.array([sum(len(x[0]) for x in s) for s in strokes], dtype=np.int64)
    if kind == "raw":
        stats.durations = np.array([(s[-1][2][-1] - s[0][2][0]) / 1000.0 for s in strokes])
    known = [d.recognized for d in drawings if d.recognized is not None]
    stats.recognized = (sum(known), len(known))
    stats.countries = Counter(d.countrycode for d in drawings if d.countrycode)
    return stats


def _render(strokes: list, raw: bool) -> np.ndarray:
    """`(n, 28, 28) uint8` bitmaps of simplified strokes (raw ones simplified first)."""
    from seqdoodle.strokes.raster import render_bitmaps

    if raw:
        from seqdoodle.strokes.simplify import simplify_strokes

        strokes = [simplify_strokes(s) for s in strokes]
    out = np.zeros((len(strokes), 28, 28), np.uint8)
    for start in range(0, len(strokes), RENDER_CHUNK):
        out[start : start + RENDER_CHUNK] = render_bitmaps(strokes[start : start + RENDER_CHUNK])
    return out


def pooled_row(stats: dict[str, ClassStats]) -> dict:
    """The kind's statistics over all its drawings (the 'all' row of the table)."""
    items = [s for s in stats.values() if s.n]
    kind = next(iter(stats.values())).kind
    joined = ClassStats(kind=kind, n=sum(s.n for s in stats.values()))
    joined.skipped = sum(s.skipped for s in stats.values())
    if kind in STROKE_KINDS:
        joined.n_strokes = np.concatenate([s.n_strokes for s in items] or [np.zeros(0)])
        joined.n_points = np.concatenate([s.n_points for s in items] or [np.zeros(0)])
    joined.durations = np.concatenate([s.durations for s in stats.values()])
    joined.recognized = tuple(np.sum([s.recognized for s in stats.values()], axis=0).tolist())
    joined.ink = np.concatenate([s.ink for s in stats.values()])
    weights = np.array([s.n for s in items], float)
    means = [s.mean_image for s in items]
    joined.mean_image = np.average(means, axis=0, weights=weights) if items else np.zeros((28, 28))
    row = joined.to_json()
    del row["files"]
    return row

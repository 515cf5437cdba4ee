"""Model inputs from drawings: the one preprocessing that training and inference share.

The bitmap CNN takes `(batch, size, size, 1)` float32 raw grey values (0..255); the model rescales
itself, so preprocessing only casts. The stroke model takes `(batch, time, features)` float32
stroke-3 rows (dx, dy, pen flag) zero-padded at the end; `StrokeFeatures` holds every option of that
encoding, including the dx/dy scale fitted on the training split, and is saved with the run under
`config.json["input"]`. Runs trained now divide by that scale inside the model
(`scale_in_model=True`); older runs (without the flag) get it applied here, as before.

Which of these a model kind uses is the kind's business (`seqdoodle.kinds`); `drawing_inputs` asks
the registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.strokes.points import strokes_to_points

BITMAP, STROKE3 = "bitmap", "stroke3"
FIT_MAX_DRAWINGS = 20000


# ----------------------------------------------------------------------------- bitmaps


def bitmap_config(size: int = 28) -> dict:
    """The input config of a bitmap model (stored under `config.json["input"]`).

    Example:
    >>> bitmap_config()
    {'type': 'bitmap', 'size': 28}
    """
    return {"type": BITMAP, "size": int(size)}


def bitmap_batch(bitmaps) -> np.ndarray:
    """Bitmaps as CNN input: `(n, s, s) uint8` -> `(n, s, s, 1) float32` raw values 0..255.

    Args:
        bitmaps: array-like `(n, s, s)` uint8 (0 background, 255 ink).

    Returns:
        `(n, s, s, 1) float32`, values unchanged.

    Example:
    >>> bitmap_batch(np.full((2, 28, 28), 255, np.uint8)).shape
    (2, 28, 28, 1)
    """
    array = np.asarray(bitmaps)
    if array.ndim != 3 or array.shape[1] != array.shape[2]:
        raise DataFormatError(f"bitmaps of shape {array.shape}; expected (n, size, size)")
    if array.dtype != np.uint8:
        raise DataFormatError(f"bitmaps of dtype {array.dtype}; expected uint8 (0..255)")
    return array.astype(np.float32)[..., None]


# ----------------------------------------------------------------------------- strokes


@dataclass(frozen=True)
class StrokeFeatures:
    """How drawings become stroke-3 sequences for the stroke model.

    Args:
        normalize: str. Coordinate normalisation of `points_to_stroke3`. Defaults to `"aspect"`.
        flag: str. Pen flag convention of `points_to_stroke3`. Defaults to `"end"`.
        max_len: int. Longest sequence; longer drawings are shortened by `points_to_stroke3` with
            `truncate`. Defaults to 200.
        truncate: str. How long drawings are shortened (`points_to_stroke3`'s `truncate`).
            Defaults to `"uniform"`: evenly spaced points, keeping the first and last point of
            every stroke.
        time: bool. A time channel; not supported yet (prepared datasets keep no times), so
            it must stay False. Defaults to False.
        scale: tuple of 2 floats. Divisors of dx and dy (their standard deviation over training
            drawings, see `fit_stroke_features`). Defaults to `(1.0, 1.0)`.
        scale_in_model: bool. The model divides by `scale` itself (a `StrokeScale` layer), so
            `stroke_batch` leaves dx and dy unscaled. False for runs saved before the layer
            existed. Defaults to False.

    Example:
    >>> f = StrokeFeatures(scale=(0.1, 0.08))
    >>> StrokeFeatures.from_config(f.to_config()) == f
    True
    """

    normalize: str = "aspect"
    flag: str = "end"
    max_len: int = 200
    truncate: str = "uniform"
    time: bool = False
    scale: tuple[float, float] = field(default=(1.0, 1.0))
    scale_in_model: bool = False

    def __post_init__(self):
        scale = tuple(float(s) for s in self.scale)
        if len(scale) != 2 or not all(np.isfinite(s) and s > 0 for s in scale):
            raise DataFormatError(f"stroke scale {self.scale}: need two positive numbers")
        if int(self.max_len) < 2:
            raise DataFormatError(f"stroke max_len {self.max_len}: must be at least 2")
        if self.time:
            raise DataFormatError(
                "stroke time features are not supported: prepared datasets keep no pen times"
            )
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "max_len", int(self.max_len))
        object.__setattr__(self, "time", bool(self.time))
        object.__setattr__(self, "scale_in_model", bool(self.scale_in_model))

    @property
    def n_features(self) -> int:
        """Features per step: 3 (dx, dy, pen flag), 4 with time."""
        return 4 if self.time else 3

    @property
    def external_scale(self) -> tuple[float, float]:
        """The dx/dy divisors applied before the model: `scale`, or (1, 1) when in the model."""
        return (1.0, 1.0) if self.scale_in_model else self.scale

    def to_config(self) -> dict:
        """JSON-ready dict, stored under `config.json["input"]`."""
        return {"type": STROKE3, **asdict(self), "scale": list(self.scale)}

    @classmethod
    def from_config(cls, config: dict, source: str = "input config") -> StrokeFeatures:
        """Rebuild from `to_config()` output; `source` is named in errors."""
        if not isinstance(config, dict) or config.get("type") != STROKE3:
            raise DataFormatError(f"{source}: not a stroke3 input config: {config!r}")
        names = set(cls.__dataclass_fields__)
        unknown = sorted(set(config) - names - {"type"})
        if unknown:
            raise DataFormatError(f"{source}: unknown stroke option(s) {', '.join(unknown)}")
        return cls(**{k: v for k, v in config.items() if k in names})


def _stroke3(points: np.ndarray, features: StrokeFeatures) -> np.ndarray:
    """One drawing's `(n, 3) int16` points as unscaled `(m, F) float32` stroke-3 rows."""
    from seqdoodle.strokes.stroke3 import points_to_stroke3

    return points_to_stroke3(
        points,
        normalize=features.normalize,
        flag=features.flag,
        max_len=features.max_len,
        truncate=features.truncate,
    )


def fit_stroke_features(
    dataset,
    train_indices,
    max_drawings: int = FIT_MAX_DRAWINGS,
    seed: int = 0,
    **options,
) -> StrokeFeatures:
    """Fit the dx/dy scale of the stroke encoding on training drawings only.

    Args:
        dataset: `PreparedDataset` with strokes.
        train_indices: array-like of int. Rows of the training split; no other row is read.
        max_drawings: int. At most this many drawings (a seeded sample) are used.
            Defaults to 20000.
        seed: int. Seed of the sample. Defaults to 0.
        **options: other `StrokeFeatures` fields (`normalize`, `flag`, `max_len`, ...).

    Returns:
        `StrokeFeatures` whose `scale` is the standard deviation of dx and dy over the sample.

    Example:
    >>> features = fit_stroke_features(ds, ds.indices("train"))  # doctest: +SKIP
    """
    if not dataset.has_strokes:
        raise DataFormatError(f"{dataset.path}: prepared from bitmaps only; no strokes to fit")
    indices = np.asarray(train_indices, dtype=np.int64)
    if indices.size == 0:
        raise DataFormatError(f"{dataset.path}: no training drawings to fit the stroke scale on")
    if indices.size > max_drawings:
        rng = np.random.default_rng([seed, 2])
        indices = np.sort(rng.choice(indices, max_drawings, replace=False))
    base = StrokeFeatures(**options)
    rows = np.concatenate([_stroke3(dataset.points_of(i), base)[:, :2] for i in indices])
    std = rows.std(axis=0) if len(rows) else np.ones(2)
    scale = tuple(float(s) if s > 1e-8 else 1.0 for s in std)
    return StrokeFeatures(**{**asdict(base), "scale": scale})


def stroke_batch(
    points_list: Sequence[np.ndarray],
    features: StrokeFeatures,
    rng: np.random.Generator | None = None,
    augment: bool = False,
) -> np.ndarray:
    """Encode drawings as one zero-padded batch for the stroke model.

    Args:
        points_list: list of `(n_i, 3)` int arrays (x, y, end-of-stroke flag), one a drawing.
        features: `StrokeFeatures`. The encoding (dx/dy divided by `features.external_scale`).
        rng: `np.random.Generator` or None. Randomness of the augmentation. Defaults to None.
        augment: bool. Apply `seqdoodle.strokes.augment.augment_points` first (training only);
            needs `rng`. Defaults to False.

    Returns:
        `(batch, T, F) float32`, T the longest sequence of the batch (at least 1); rows past a
        drawing's end are zero.

    Example:
    >>> pts = [np.array([[0, 0, 0], [10, 5, 1]], np.int16), np.array([[3, 4, 1]], np.int16)]
    >>> stroke_batch(pts, StrokeFeatures()).shape[0]
    2
    """
    if augment:
        if rng is None:
            raise DataFormatError("stroke_batch: augment=True needs an rng")
        from seqdoodle.strokes.augment import augment_points

        points_list = [augment_points(p, rng) for p in points_list]
    sequences = [_stroke3(np.asarray(p), features) for p in points_list]
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    width = features.n_features
    out = np.zeros((len(sequences), max(1, int(lengths.max(initial=0))), width), np.float32)
    if not sequences:
        return out
    flat = np.concatenate(sequences).astype(np.float32, copy=False)
    if flat.shape[1] != width:
        raise DataFormatError(f"stroke-3 rows have {flat.shape[1]} features, expected {width}")
    scale = features.external_scale
    if scale != (1.0, 1.0):
        flat[:, 0] /= scale[0]
        flat[:, 1] /= scale[1]
    rows = np.repeat(np.arange(len(sequences)), lengths)
    steps = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    out[rows, steps] = flat
    return out


# ----------------------------------------------------------------------------- drawings


def is_raw(strokes) -> bool:
    """True for Google's raw format: times per stroke, or coordinates that are not ints 0..255.

    Decides by the strokes alone (`datasets.records.strokes_look_raw`); for a `Drawing`, whose
    reader may have recorded its format, use `datasets.records.needs_simplifying`.
    """
    from seqdoodle.datasets.records import strokes_look_raw

    return strokes_look_raw(strokes)


def _simplified(drawing) -> list:
    from seqdoodle.datasets.records import needs_simplifying

    strokes = drawing.strokes
    if needs_simplifying(drawing):
        from seqdoodle.strokes.simplify import simplify_strokes

        strokes = simplify_strokes(strokes)
    return strokes


def _label(drawing, i: int) -> str:
    return drawing.source or (f"drawing {drawing.key_id}" if drawing.key_id else f"drawing {i}")


def drawing_inputs(drawings, kind, input_config: dict) -> np.ndarray:
    """Model inputs for a list of `Drawing` records, exactly as in training.

    Asks the kind (`seqdoodle.kinds.get_kind(kind).drawing_inputs`): the bitmap CNN takes
    `bitmap_inputs`, the stroke model `stroke_inputs`.

    Args:
        drawings: list of `seqdoodle.datasets.records.Drawing`.
        kind: str or `ModelKind`. A registered model kind (cnn, rnn, ...).
        input_config: dict. The run's `config.json["input"]`.

    Returns:
        `(n, ...)` float32 model input.

    Raises:
        DataFormatError: an unknown kind, or a drawing the kind cannot take.

    Example:
    >>> x = drawing_inputs(drawings, run.kind, run.input_config)  # doctest: +SKIP
    """
    from seqdoodle.kinds import get_kind

    return get_kind(kind).drawing_inputs(list(drawings), input_config)


def bitmap_inputs(drawings, input_config: dict) -> np.ndarray:
    """Bitmap-model inputs `(n, s, s, 1) float32` 0..255 for `Drawing` records.

    A drawing's `bitmap` is used as is; strokes are rendered (raw strokes are simplified first,
    as Google renders its bitmaps).

    Raises:
        DataFormatError: not a bitmap input config, a drawing with neither strokes nor a bitmap,
            or a bitmap of the wrong size.
    """
    if input_config.get("type") != BITMAP:
        raise DataFormatError(f"input config {input_config!r} is not a bitmap config")
    return bitmap_batch(_bitmaps(list(drawings), int(input_config.get("size", 28))))


def stroke_inputs(drawings, features: StrokeFeatures) -> np.ndarray:
    """Stroke-model inputs `(n, T, F) float32` zero-padded, for `Drawing` records.

    Strokes (simplified first when raw) -> points -> `stroke_batch` with the run's features.

    Raises:
        DataFormatError: a drawing without strokes (e.g. only a bitmap).

    Example:
    >>> from seqdoodle.datasets.records import Drawing
    >>> d = Drawing("line", strokes=[[[0, 255], [0, 255]]])
    >>> stroke_inputs([d], StrokeFeatures()).shape[-1]
    3
    """
    points_list = []
    for i, d in enumerate(drawings):
        if not d.strokes:
            what = "only a bitmap" if d.bitmap is not None else "no strokes"
            raise DataFormatError(f"stroke model needs strokes; {_label(d, i)} has {what}")
        points_list.append(strokes_to_points(_simplified(d)))
    return stroke_batch(points_list, features)


def _bitmaps(drawings, size: int) -> np.ndarray:
    out = np.zeros((len(drawings), size, size), np.uint8)
    to_render = []
    for i, d in enumerate(drawings):
        if d.bitmap is not None:
            bitmap = np.asarray(d.bitmap)
            if bitmap.size == size * size and bitmap.ndim in (1, 2):
                bitmap = bitmap.reshape(size, size)
            if bitmap.shape != (size, size) or bitmap.dtype != np.uint8:
                raise DataFormatError(
                    f"{_label(d, i)}: bitmap {bitmap.shape} {bitmap.dtype}; "
                    f"the model takes ({size}, {size}) uint8"
                )
            out[i] = bitmap
        elif d.strokes:
            to_render.append(i)
        else:
            raise DataFormatError(f"{_label(d, i)}: drawing has neither strokes nor a bitmap")
    if to_render:
        from seqdoodle.strokes.raster import render_bitmaps

        rendered = render_bitmaps([_simplified(drawings[i]) for i in to_render], size=size)
        out[to_render] = rendered
    return out

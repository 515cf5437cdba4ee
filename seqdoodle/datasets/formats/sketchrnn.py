"""sketch-rnn `.npz` files (magenta's format): read them safely as `Drawing`s, and write them.

A file holds `train`, `valid` and `test` object arrays whose elements are `(n, 3)` integer
stroke-3 rows `[dx, dy, pen_lifted]` (the first row relative to (0, 0); `pen_lifted = 1` ends a
stroke). NumPy stores object arrays as pickles, and `np.load(allow_pickle=True)` runs whatever a
pickle names. This reader never does: it opens the zip and the `.npy` headers itself and unpickles
with a restricted unpickler that resolves only NumPy's array reconstruction (`_reconstruct`,
`ndarray`, `dtype`, and `_codecs.encode` for bytes pickled by Python 3 at protocol 2). A pickle
naming anything else is refused with one line before anything in it is called. Python 2 pickles
(magenta's files) are read with `encoding="latin1"`, which is what fails in `np.load` on Python 3.

Decisions:
- Drawings are normalised as Google's simplified ones: aligned to the top-left, the longer side
  scaled to 255, rounded to integers; `fmt` is "sketchrnn" (a simplified frame, not simplified
  again).
- An element that is not an `(n, 3)` integer array (float dtype, wrong shape, empty) is a bad
  record: skipped and counted, or raised with `strict`. A file-level problem (not a zip, a
  truncated member, a refused pickle) raises `DataFormatError` always. Decoded strokes pass
  `base.validate_strokes`, as every reader's do.
- Each split is unpickled whole (a pickle cannot be streamed); drawings are then yielded one by one.
  `Drawing.split` is "train", "val" or "test" (sketch-rnn's "valid" is "val").
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from seqdoodle.datasets.formats.base import (
    Format,
    ReadSummary,
    check_limit,
    class_name_from,
    existing_file,
    read_npy_header,
    validate_strokes,
)
from seqdoodle.datasets.records import Drawing
from seqdoodle.errors import DataFormatError
from seqdoodle.fileio import atomic_write

SPLITS = {"train": "train", "valid": "val", "test": "test"}  # sketch-rnn name -> prepared name
SUFFIXES = (".npz",)
_RECONSTRUCT = np.empty(1).__reduce__()[0]
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): __import__("codecs").encode,
}


class RefusedPickle(DataFormatError):
    """A pickle names something other than NumPy's array reconstruction."""


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        raise RefusedPickle(f"{module}.{name}")

    def persistent_load(self, pid):
        raise RefusedPickle(f"persistent id {pid!r}")


def _read_member(zf: zipfile.ZipFile, member: str, path: Path) -> np.ndarray:
    """Unpickle one `.npy` member holding a 1-D object array, with the restricted unpickler."""
    where = f"{path}: {member}"
    try:
        with zf.open(member) as f:
            shape, dtype = _npy_header(f, where)
            if dtype.kind != "O" or len(shape) != 1:
                raise DataFormatError(
                    f"{where}: {dtype} array of shape {shape}, not an array of stroke-3 arrays"
                )
            payload = f.read()
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as e:
        raise DataFormatError(f"{where}: truncated or corrupt ({e})") from None
    try:
        array = _ArrayUnpickler(io.BytesIO(payload), encoding="latin1").load()
    except RefusedPickle as e:
        raise RefusedPickle(
            f"{where}: refused, the pickle names {e} (only arrays of integer arrays are read; "
            f"nothing in the file was run)"
        ) from None
    except Exception as e:  # truncated or malformed pickle: what pickle raises varies
        raise DataFormatError(f"{where}: corrupt pickle ({type(e).__name__}: {e})") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind != "O" or array.ndim != 1:
        raise DataFormatError(f"{where}: the pickle holds {type(array).__name__}, not an array")
    if len(array) != shape[0]:
        raise DataFormatError(f"{where}: header says {shape[0]} drawings, the data {len(array)}")
    return array


def _npy_header(f, where: str) -> tuple[tuple, np.dtype]:
    shape, _fortran, dtype, _offset = read_npy_header(f, where)
    return shape, dtype


def split_sizes(path: str | os.PathLike) -> dict[str, int]:
    """Drawings per split (`{"train": n, "val": n, "test": n}`) from the headers alone."""
    path = existing_file(path)
    sizes = {}
    with _open_zip(path) as zf:
        for name, split in SPLITS.items():
            member = f"{name}.npy"
            if member in zf.namelist():
                with zf.open(member) as f:
                    shape, _ = _npy_header(f, f"{path}: {member}")
                sizes[split] = int(shape[0]) if shape else 0
    return sizes


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise DataFormatError(f"{path}: not a sketch-rnn .npz (zip) file ({e})") from None


def stroke3_to_strokes(rows: np.ndarray) -> list:
    """Stroke-3 rows `[dx, dy, pen_lifted]` -> Google strokes in the simplified frame.

    Example:
    >>> stroke3_to_strokes(np.array([[10, 10, 0], [10, 0, 1], [0, 10, 1]]))
    [[[0, 255], [0, 0]], [[255], [255]]]
    """
    xy = np.cumsum(rows[:, :2].astype(np.float64), axis=0)
    xy -= xy.min(axis=0)
    span = float(xy.max())
    if span > 0:
        xy *= 255.0 / span
    xy = np.round(xy).astype(np.int64)
    ends = np.flatnonzero(rows[:, 2] != 0) + 1
    if ends.size == 0 or ends[-1] != len(rows):
        ends = np.append(ends, len(rows))
    strokes, start = [], 0
    for stop in ends:
        strokes.append([xy[start:stop, 0].tolist(), xy[start:stop, 1].tolist()])
        start = stop
    return strokes


def strokes_to_stroke3(strokes) -> np.ndarray:
    """Google strokes -> `(n, 3) int16` stroke-3 rows, the first row relative to (0, 0).

    Example:
    >>> strokes_to_stroke3([[[0, 255], [0, 0]], [[255], [255]]]).tolist()
    [[0, 0, 0], [255, 0, 1], [0, 255, 1]]
    """
    from seqdoodle.strokes.points import strokes_to_points

    points = strokes_to_points(strokes, dtype=np.int64)
    out = points.copy()
    out[1:, :2] = points[1:, :2] - points[:-1, :2]
    return out.astype(np.int16)


class SketchRnnReader:
    """Iterable of `Drawing` records from one sketch-rnn `.npz` (see `read_sketchrnn`)."""

    def __init__(self, path, limit, strict, word, quotas):
        self.path, self.limit, self.strict, self.word = path, limit, strict, word
        self.quotas = quotas
        self.summary = ReadSummary(path, fmt="sketchrnn", unit="record")

    def __iter__(self) -> Iterator[Drawing]:
        self.summary = summary = ReadSummary(self.path, fmt="sketchrnn", unit="record")
        if self.limit == 0:
            return
        number = 0
        with _open_zip(self.path) as zf:
            members = zf.namelist()
            for name, split in SPLITS.items():
                quota = None if self.quotas is None else self.quotas.get(split, 0)
                if f"{name}.npy" not in members or quota == 0:
                    continue
                taken = 0
                for i, rows in enumerate(_read_member(zf, f"{name}.npy", self.path)):
                    number += 1
                    try:
                        strokes = _strokes_of(rows)
                    except DataFormatError as e:
                        summary.skip(number, f"{name}[{i}]: {e}", self.strict)
                        continue
                    summary.n_read += 1
                    taken += 1
                    yield Drawing(
                        word=self.word,
                        strokes=strokes,
                        source=f"{self.path.name}:{name}[{i}]",
                        fmt="sketchrnn",
                        split=split,
                    )
                    if self.limit is not None and summary.n_read >= self.limit:
                        return
                    if quota is not None and taken >= quota:
                        break


def _strokes_of(rows) -> list:
    """One element's strokes in the simplified frame, or `DataFormatError` saying what it is."""
    if not isinstance(rows, np.ndarray):
        raise DataFormatError(f"a {type(rows).__name__}, not an integer array")
    if rows.dtype.kind not in "iu":
        raise DataFormatError(f"dtype {rows.dtype}, not integers")
    if rows.ndim != 2 or rows.shape[1] != 3 or rows.shape[0] == 0:
        raise DataFormatError(f"shape {rows.shape}, not (n, 3) stroke-3 rows")
    return validate_strokes(stroke3_to_strokes(rows), "simplified")


def read_sketchrnn(
    path: str | os.PathLike,
    limit: int | None = None,
    strict: bool = False,
    word: str | None = None,
    quotas: dict[str, int] | None = None,
) -> SketchRnnReader:
    """Read a sketch-rnn `.npz` without running its pickles (see the module docstring).

    Args:
        path: str or PathLike. A `.npz` with `train`, `valid`, `test` object arrays.
        limit: int or None. Drawings to read in all (train first, then valid, test).
        strict: bool. Raise at the first bad record instead of skipping it. Defaults to False.
        word: str or None. The class. Defaults to the class in the file name (`cat.npz`).
        quotas: dict or None. Most drawings per split (`{"train": 90, "val": 5, "test": 5}`).

    Returns:
        A `SketchRnnReader` yielding `Drawing(fmt="sketchrnn", split=...)`.

    Raises:
        DataFormatError: not a zip, a corrupt member, or (`RefusedPickle`) a pickle naming any
            object other than NumPy's array reconstruction.

    Example:
    >>> drawings = list(read_sketchrnn("sketchrnn/cat.npz", limit=5))  # doctest: +SKIP
    """
    path = existing_file(path)
    check_limit(limit)
    return SketchRnnReader(path, limit, strict, word or class_name_from(path, SUFFIXES), quotas)


def write_sketchrnn(splits: dict[str, list], out) -> dict[str, int]:
    """Write stroke-3 arrays per split (`{"train": [...], "valid": [...], "test": [...]}`) as a
    sketch-rnn `.npz` (atomically); return the drawings written per split."""
    arrays = {}
    for name in SPLITS:
        items = splits.get(name, [])
        array = np.empty(len(items), dtype=object)
        for i, rows in enumerate(items):
            array[i] = np.asarray(rows, dtype=np.int16)
        arrays[name] = array
    with atomic_write(out, "wb") as f:
        np.savez(f, **arrays)
    return {name: len(a) for name, a in arrays.items()}


# a drawing's split -> sketch-rnn's array name (drawings without a split go to `train`)
_ARRAY_OF_SPLIT = {"train": "train", "val": "valid", "test": "test", None: "train"}


def write_sketchrnn_drawings(drawings: Iterable[Drawing], out) -> int:
    """Write simplified drawings as a sketch-rnn `.npz`, each in the array of its `split`
    (`train` when it has none); return the drawings written.

    Example:
    >>> import tempfile, pathlib; p = pathlib.Path(tempfile.mkdtemp()) / "cat.npz"
    >>> write_sketchrnn_drawings([Drawing("cat", strokes=[[[0, 9], [0, 9]]])], p)
    1
    """
    splits: dict[str, list] = {"train": [], "valid": [], "test": []}
    for d in drawings:
        splits[_ARRAY_OF_SPLIT[d.split]].append(strokes_to_stroke3(d.strokes))
    return sum(write_sketchrnn(splits, out).values())


FORMAT = Format(
    name="sketchrnn",
    suffixes=SUFFIXES,
    kind="strokes",
    reader=lambda path, limit, strict, word: read_sketchrnn(path, limit, strict, word),
    writer=write_sketchrnn_drawings,
    metadata=False,
    simplified_only=True,
)

"""Google's numpy_bitmap files (`.npy`): one 28x28 uint8 drawing a row, no strokes, no word.

Files are memory-mapped, never loaded; the header is read by hand first, so a file of the wrong
dtype or shape, or shorter than its header says, is refused with one line before any row is read.
`.npy` files may hold `(n, 784)` or `(n, 28, 28)` uint8; both are returned as an `(n, 784)` view.
The class of the rows is the file's name (`cat.npy`, `full_numpy_bitmap_cat.npy` -> "cat").
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from seqdoodle.datasets.formats.base import (
    Format,
    ReadSummary,
    check_limit,
    class_name_from,
    existing_file,
    read_npy_header,
)
from seqdoodle.datasets.records import Drawing
from seqdoodle.errors import DataFormatError

BITMAP_SIDE = 28
BITMAP_WIDTH = BITMAP_SIDE * BITMAP_SIDE
SUFFIXES = (".npy",)


class BitmapDrawingReader:
    """Iterable of `Drawing` records, one per row of a numpy_bitmap `.npy` (see `iter_drawings`)."""

    def __init__(self, path: Path, limit: int | None, word: str):
        self.path = path
        self.rows = read_bitmaps(path, limit)
        self.word = word
        self.summary = ReadSummary(path, fmt="bitmap")

    def __iter__(self) -> Iterator[Drawing]:
        self.summary = ReadSummary(self.path, fmt="bitmap")
        for i in range(len(self.rows)):
            self.summary.n_read += 1
            yield Drawing(
                word=self.word,
                bitmap=self.rows[i].reshape(BITMAP_SIDE, BITMAP_SIDE),
                source=f"{self.path.name}[{i}]",
                fmt="bitmap",
            )


def read_bitmaps(path: str | os.PathLike, limit: int | None = None) -> np.ndarray:
    """Memory-map a numpy_bitmap `.npy` file and return its first `limit` rows, without a copy.

    Args:
        path: str or PathLike. An `.npy` file of uint8, shape `(n, 784)` or `(n, 28, 28)`.
        limit: int or None. Rows to return. Defaults to None (all).

    Returns:
        `(min(n, limit), 784) uint8` read-only memmap view (0 background, 255 ink).

    Raises:
        MissingFileError: the file does not exist.
        DataFormatError: not an `.npy` file, wrong dtype or shape, or shorter than its header says.

    Example:
    >>> rows = read_bitmaps("data/numpy_bitmap/cat.npy", limit=100)  # doctest: +SKIP
    >>> rows.shape, rows.dtype  # doctest: +SKIP
    ((100, 784), dtype('uint8'))
    """
    path = existing_file(path)
    check_limit(limit)
    with open(path, "rb") as f:
        shape, fortran, dtype, offset = read_npy_header(f, str(path))
    if dtype != np.uint8:
        raise DataFormatError(f"{path}: dtype {dtype} where numpy_bitmap rows are uint8")
    if not (len(shape) == 2 and shape[1] == BITMAP_WIDTH) and shape[1:] != (28, 28):
        raise DataFormatError(
            f"{path}: shape {shape} where numpy_bitmap files are (n, {BITMAP_WIDTH}) or (n, 28, 28)"
        )
    if fortran:
        raise DataFormatError(f"{path}: Fortran-ordered array; save it C-ordered")
    expected = offset + math.prod(shape)
    size = path.stat().st_size
    if size < expected:
        raise DataFormatError(
            f"{path}: truncated, header says {shape[0]} rows ({expected} bytes) but the file "
            f"has {size} bytes"
        )
    rows = np.load(path, mmap_mode="r", allow_pickle=False).reshape(shape[0], BITMAP_WIDTH)
    return rows if limit is None else rows[:limit]


def read_bitmap_drawings(
    path: str | os.PathLike, limit: int | None = None, word: str | None = None
) -> BitmapDrawingReader:
    """Stream the rows of a numpy_bitmap `.npy` as `Drawing(word, bitmap=(28, 28) uint8 view)`.

    Args:
        path: str or PathLike. The `.npy` file.
        limit: int or None. Rows to read. Defaults to None (all).
        word: str or None. The class of every row. Defaults to the class in the file name.

    Returns:
        A `BitmapDrawingReader` (`source="cat.npy[i]"`, `i` 0-based; `fmt="bitmap"`).
    """
    path = existing_file(path)
    check_limit(limit)
    return BitmapDrawingReader(path, limit, word or class_name_from(path, SUFFIXES))


FORMAT = Format(
    name="numpy-bitmap",
    suffixes=SUFFIXES,
    kind="bitmaps",
    reader=lambda path, limit, strict, word: read_bitmap_drawings(path, limit, word),
    metadata=False,
)

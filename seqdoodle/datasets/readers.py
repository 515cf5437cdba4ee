"""Read Quick, Draw! files: `iter_drawings` over a file of any format, the ndjson and numpy_bitmap
readers, and a folder's per-class files.

The readers themselves live in the table of formats (`seqdoodle.datasets.formats`, one module
per format); this module keeps the names that were read from here importable.
"""

from __future__ import annotations

import os

from seqdoodle.datasets.formats import class_name_of, open_reader
from seqdoodle.datasets.formats.base import (
    MAX_LINE_BYTES,
    MAX_PROBLEMS,
    MAX_RAW_VALUE,
    ReadSummary,
    validate_strokes,
)
from seqdoodle.datasets.formats.ndjson import DrawingReader, read_drawings
from seqdoodle.datasets.formats.numpy_bitmap import (
    BITMAP_SIDE,
    BITMAP_WIDTH,
    BitmapDrawingReader,
    read_bitmaps,
)
from seqdoodle.datasets.plan import class_files

__all__ = [
    "BITMAP_SIDE",
    "BITMAP_WIDTH",
    "MAX_LINE_BYTES",
    "MAX_PROBLEMS",
    "MAX_RAW_VALUE",
    "BitmapDrawingReader",
    "DrawingReader",
    "ReadSummary",
    "class_files",
    "class_name_of",
    "iter_drawings",
    "read_bitmaps",
    "read_drawings",
    "validate_strokes",
]


def iter_drawings(
    path: str | os.PathLike,
    limit: int | None = None,
    strict: bool = False,
    word: str | None = None,
):
    """One stream of `Drawing` records for a file of any format in the table.

    Args:
        path: str or PathLike. `.npy` (bitmaps), ndjson (`.ndjson`, `.ndjson.gz`), Kaggle `.csv`,
            sketch-rnn `.npz` or binary `.bin`.
        limit: int or None. Drawings to read. Defaults to None (all).
        strict: bool. Raise at the first bad line or record. Defaults to False.
        word: str or None. The class of records that carry no word (`.npy` rows, `.npz`,
            `.bin`). Defaults to the class in the file name (`cat.npy`,
            `full_numpy_bitmap_cat.npy` -> "cat"). ndjson and CSV records keep their own word.

    Returns:
        An iterable of `Drawing` with a `summary` (`ReadSummary`). `.npy` rows come as
        `Drawing(word, bitmap=(28, 28) uint8 view, source="cat.npy[i]")`, `i` 0-based.

    Example:
    >>> for d in iter_drawings("data/numpy_bitmap/cat.npy", limit=2):  # doctest: +SKIP
    ...     print(d.word, d.bitmap.shape)
    cat (28, 28)
    """
    return open_reader(path, limit=limit, strict=strict, word=word)

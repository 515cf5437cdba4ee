"""The table of file formats: the one place that maps a file's suffix to its reader and writer.

| name | suffixes | kind | module |
| --- | --- | --- | --- |
| ndjson | `.ndjson`, `.ndjson.gz` | strokes (simplified or raw) | `formats.ndjson` |
| numpy-bitmap | `.npy` | bitmaps (28x28 rows), read only | `formats.numpy_bitmap` |
| kaggle-csv | `.csv` | strokes (simplified or raw) | `formats.kaggle_csv` |
| sketchrnn | `.npz` | strokes (stroke-3, simplified frame) | `formats.sketchrnn` |
| binary | `.bin` | strokes (simplified) | `formats.binary` |

Each format module defines its `FORMAT` (a `base.Format`) and imports only `base`; this module
lists them, so there is no import circle. Adding a format: write its module with a reader, an
optional writer and `FORMAT`, and add it to `_MODULES` below.

```python
fmt = format_for("train_simplified/cat.csv")      # FORMATS["kaggle-csv"]
for drawing in open_reader("cat.csv", limit=10):  # any format, one interface
    ...
```
"""

from __future__ import annotations

import os
from pathlib import Path

from seqdoodle.datasets.filters import Filter, FilteredReader
from seqdoodle.datasets.formats import binary, kaggle_csv, ndjson, numpy_bitmap, sketchrnn
from seqdoodle.datasets.formats.base import Format, class_name_from
from seqdoodle.errors import DataFormatError

# Table order is the order of `convert --to` choices and of messages.
_MODULES = (ndjson, numpy_bitmap, kaggle_csv, sketchrnn, binary)
FORMATS: dict[str, Format] = {m.FORMAT.name: m.FORMAT for m in _MODULES}


def all_suffixes() -> tuple[str, ...]:
    """Every suffix of the table, in table order.

    Example:
    >>> all_suffixes()[:3]
    ('.ndjson', '.ndjson.gz', '.npy')
    """
    return tuple(s for fmt in FORMATS.values() for s in fmt.suffixes)


def format_for(path: str | os.PathLike) -> Format | None:
    """The format of a file, by its name's suffix (any case), or None.

    Example:
    >>> format_for("train_simplified/cat.csv").name, format_for("notes.txt")
    ('kaggle-csv', None)
    """
    return next((fmt for fmt in FORMATS.values() if fmt.matches(path)), None)


def writable_formats() -> tuple[str, ...]:
    """Names of the formats that have a writer, in table order.

    Example:
    >>> writable_formats()
    ('ndjson', 'kaggle-csv', 'sketchrnn', 'binary')
    """
    return tuple(name for name, fmt in FORMATS.items() if fmt.writer is not None)


def class_name_of(path: str | os.PathLike) -> str:
    """The class a file name stands for, in Google's layouts (not checked against the 345).

    Example:
    >>> class_name_of("full_simplified_The Eiffel Tower.ndjson")
    'The Eiffel Tower'
    """
    return class_name_from(path, all_suffixes())


def open_reader(
    path: str | os.PathLike,
    limit: int | None = None,
    strict: bool = False,
    word: str | None = None,
    where: Filter | None = None,
):
    """The streaming reader of any file in the table, chosen by its suffix.

    Args:
        path: str or PathLike. The file.
        limit: int or None. Drawings to yield (after the filter). Defaults to None (all).
        strict: bool. Raise at the first bad line or record instead of skipping it.
        word: str or None. The class of files whose records carry no word (`.npy`, `.npz`,
            `.bin`). Defaults to the class in the file name.
        where: Filter or None. Keep only the drawings it passes. Defaults to None (all).

    Returns:
        An iterable of `Drawing` (each with `fmt` set) with a `summary` (`ReadSummary`).

    Raises:
        MissingFileError: the file does not exist.
        DataFormatError: an unsupported suffix, or a filter on a format without metadata.

    Example:
    >>> reader = open_reader("data/numpy_bitmap/cat.npy", limit=2)  # doctest: +SKIP
    >>> [d.bitmap.shape for d in reader]  # doctest: +SKIP
    [(28, 28), (28, 28)]
    """
    path = Path(path)
    fmt = format_for(path)
    if fmt is None:
        raise DataFormatError(
            f"{path}: unsupported file; use {', '.join(all_suffixes())} (see docs/formats.md)"
        )
    active = where is not None and where.active
    if active and not fmt.metadata:
        raise DataFormatError(
            f"{path}: {fmt.name} files carry no recognized or countrycode field; cannot filter "
            f"by {where}"
        )
    reader = fmt.reader(path, None if active else limit, strict, word or class_name_of(path))
    return FilteredReader(reader, where, limit) if active else reader

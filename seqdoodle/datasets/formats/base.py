"""What every format module shares: the `Format` record, the read summary, the one drawing
validator and the helpers for streaming files.

A format module imports from here and nothing from the table (`seqdoodle.datasets.formats`),
so the table can import every format module without an import circle.

Decisions:
- One validator, `validate_strokes`, checks a drawing's strokes for every reader, for predict's
  inputs (through the readers) and for the server's requests. Its messages are one line without a
  file name: readers add the file and line, the server sends them as they are.
- Strokes are numbered from 1 in messages ("stroke 1" is the first), as lines and records are.
- Simplified coordinates must be integers (JSON integers, not `3.0`) in 0..255; raw values finite
  numbers within +-2**53 (beyond it float64 loses whole units, and the span of a drawing can
  overflow).
"""

from __future__ import annotations

import gzip
import os
import re
import tokenize
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqdoodle.errors import DataFormatError, MissingFileError

MAX_LINE_BYTES = 16 << 20  # a longer line is skipped without being held in memory
MAX_PROBLEMS = 1000  # problems kept in a summary; `n_skipped` counts them all
MAX_RAW_VALUE = float(2**53)  # larger raw coordinates or times are refused
STROKE_FORMATS = ("simplified", "raw")
KINDS = ("strokes", "bitmaps")
AXES = ("x", "y", "t")
_N_AXES = {"simplified": 2, "raw": 3}
# Google's bucket-style file names, e.g. full_numpy_bitmap_cat.npy, full_simplified_cat.ndjson.
_BUCKET_PREFIX = re.compile(r"^full_(numpy_bitmap|simplified|raw|binary)_")


@dataclass(frozen=True)
class Format:
    """One file format of the table: how its files are named, read and written.

    Args:
        name: str. The format's name, as `convert --to` takes it (e.g. "kaggle-csv").
        suffixes: tuple of str. Lower-case file name endings, e.g. `(".ndjson", ".ndjson.gz")`;
            the first is the one files are written with.
        kind: str. "strokes" or "bitmaps": what its drawings hold.
        reader: callable. `reader(path, limit, strict, word)` -> an iterable of `Drawing` with a
            `summary` (`ReadSummary`); `word` is the class of records that carry none.
        writer: callable or None. `writer(drawings, out)` -> drawings written, atomically. None:
            the format is read only.
        metadata: bool. Whether its drawings carry `recognized` and `countrycode` (a metadata
            filter refuses formats without them).
        simplified_only: bool. Whether it holds simplified strokes only (raw drawings are
            simplified before they are written).
    """

    name: str
    suffixes: tuple[str, ...]
    kind: str
    reader: Callable
    writer: Callable | None = None
    metadata: bool = True
    simplified_only: bool = False

    def matches(self, path: str | os.PathLike) -> bool:
        """Whether the file name ends with one of the format's suffixes (any case)."""
        return Path(path).name.lower().endswith(self.suffixes)


@dataclass
class ReadSummary:
    """What a read found: drawings read, lines skipped and why.

    Args:
        path: Path. The file read.
        n_read: int. Drawings yielded.
        n_skipped: int. Bad lines skipped.
        problems: list of `(line_no, reason)`. The first `MAX_PROBLEMS` bad lines (1-based).
        n_empty_strokes: int. Empty strokes dropped from drawings that were kept.
        fmt: str or None. "simplified" or "raw" once known; "bitmap" for `.npy` files,
            "sketchrnn" for sketch-rnn `.npz` files.
        unit: str. What `problems` numbers: "line" (text files) or "record" (binary files).
        n_filtered: int. Valid drawings left out by a metadata filter (see `filters.Filter`).
    """

    path: Path
    n_read: int = 0
    n_skipped: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)
    n_empty_strokes: int = 0
    fmt: str | None = None
    unit: str = "line"
    n_filtered: int = 0

    def skip(self, number: int, reason: str, strict: bool) -> None:
        """Count a bad line or record, or raise `DataFormatError` naming it when `strict`."""
        if strict:
            raise DataFormatError(f"{self.path} {self.unit} {number}: {reason}")
        self.n_skipped += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append((number, reason))

    def __str__(self) -> str:
        text = (
            f"{self.path.name}: {self.n_read} drawings read, {self.n_skipped} {self.unit}s skipped"
        )
        if self.n_filtered:
            text += f", {self.n_filtered} left out by the filter"
        if self.problems:
            shown = "; ".join(f"{self.unit} {n}: {reason}" for n, reason in self.problems[:5])
            more = self.n_skipped - min(5, len(self.problems))
            text += f" ({shown}{f'; {more} more' if more > 0 else ''})"
        if self.n_empty_strokes:
            text += f", empty strokes dropped: {self.n_empty_strokes}"
        return text


# ----------------------------------------------------------------------------- the validator


def validate_strokes(
    strokes,
    fmt: str | None = None,
    *,
    times_optional: bool = False,
    drop_empty: bool = True,
    max_points: int | None = None,
) -> list:
    """Check Google's `drawing` field (a list of strokes `[xs, ys]` or `[xs, ys, ts]`).

    Args:
        strokes: the decoded value.
        fmt: str or None. "simplified" (2 arrays a stroke, integers 0..255), "raw" (3 arrays,
            finite numbers within +-2**53) or None (the first stroke decides; the rest must
            match). Defaults to None.
        times_optional: bool. Any stroke may have 2 or 3 arrays whatever `fmt`; `fmt` then rules
            x and y, and times are checked as raw numbers. Defaults to False.
        drop_empty: bool. Drop strokes with no points (True) or refuse them. Defaults to True.
        max_points: int or None. Refuse drawings with more points. Defaults to None (no limit).

    Returns:
        The strokes without empty ones (the same lists, not copies).

    Raises:
        DataFormatError: one line naming the stroke (from 1) and what is wrong.

    Example:
    >>> validate_strokes([[[], []], [[0, 255], [3, 4]]], "simplified")
    [[[0, 255], [3, 4]]]
    """
    if fmt is not None and fmt not in STROKE_FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(STROKE_FORMATS)} or None, got {fmt!r}")
    if not isinstance(strokes, list):
        raise DataFormatError(
            f"'drawing' is missing or not a list of strokes (got {json_type(strokes)})"
        )
    kept, n_points = [], 0
    for s, stroke in enumerate(strokes, start=1):
        if stroke == [] and not drop_empty:
            raise DataFormatError(f"stroke {s} is empty; every stroke needs at least one point")
        if not isinstance(stroke, list) or len(stroke) not in (2, 3):
            what = f"{len(stroke)} lists" if isinstance(stroke, list) else json_type(stroke)
            raise DataFormatError(
                f"stroke {s} is not a list of 2 (x, y) or 3 (x, y, t) arrays (got {what})"
            )
        fmt = fmt or ("raw" if len(stroke) == 3 else "simplified")
        if not times_optional and len(stroke) != _N_AXES[fmt]:
            raise DataFormatError(
                f"stroke {s} has {len(stroke)} arrays; {fmt} strokes have {_N_AXES[fmt]}"
            )
        for axis, name in zip(stroke, AXES):
            if not isinstance(axis, list):
                raise DataFormatError(
                    f"stroke {s}: coordinates are not arrays ({name} is {json_type(axis)})"
                )
        n = len(stroke[0])
        if any(len(axis) != n for axis in stroke):
            lengths = "/".join(str(len(axis)) for axis in stroke)
            each = ", ".join(f"{name} has {len(axis)}" for axis, name in zip(stroke, AXES))
            raise DataFormatError(f"stroke {s}: arrays of unequal length {lengths} ({each} values)")
        if n == 0:
            if not drop_empty:
                raise DataFormatError(f"stroke {s} is empty; every stroke needs at least one point")
            continue
        n_points += n
        if max_points is not None and n_points > max_points:
            raise DataFormatError(
                f"'drawing' has more than {max_points} points; at most {max_points} are accepted"
            )
        for axis, name in zip(stroke, AXES):
            _check_values(axis, s, name, "raw" if name == "t" else fmt)
        kept.append(stroke)
    if not kept:
        raise DataFormatError("drawing has no strokes" if not strokes else "all strokes empty")
    return kept


def _check_values(values: list, stroke: int, axis: str, fmt: str) -> None:
    if fmt == "simplified":
        for v in values:
            if type(v) is not int or not 0 <= v <= 255:
                raise DataFormatError(
                    f"stroke {stroke}: {axis} value {shown(v)} is not an integer in 0..255 "
                    "(simplified format)"
                )
        return
    for v in values:
        # a chained comparison: False for NaN and inf, and exact (no overflow) for huge ints
        if type(v) not in (int, float) or not -MAX_RAW_VALUE <= v <= MAX_RAW_VALUE:
            raise DataFormatError(
                f"stroke {stroke}: {axis} value {shown(v)} is not a finite number within +-2**53"
            )


def shown(value) -> str:
    """A value as a message shows it: its `repr`, cut to about 24 characters."""
    text = repr(value)
    return text if len(text) <= 24 else f"{text[:20]}..."


def json_type(value) -> str:
    """What a decoded JSON value is, in words ("null", "a number", "a list", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


# ----------------------------------------------------------------------------- file helpers


def existing_file(path: str | os.PathLike) -> Path:
    """`path` as a Path, or `MissingFileError` when it is missing or a folder."""
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{path}: no such file")
    if path.is_dir():
        raise MissingFileError(f"{path}: is a folder, not a file")
    return path


def check_limit(limit: int | None) -> None:
    """Refuse a negative `limit` (None means no limit)."""
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0 or None, got {limit}")


def class_name_from(path: str | os.PathLike, suffixes) -> str:
    """The class a file name stands for: the name without its suffix and Google's bucket prefix.

    Example:
    >>> class_name_from("full_binary_hot dog.bin", (".bin",))
    'hot dog'
    """
    name = Path(path).name
    for suffix in suffixes:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return _BUCKET_PREFIX.sub("", name)


def numbered_lines(path: Path) -> Iterator[tuple[int, bytes | str, bool]]:
    """Yield (1-based line number, line bytes or a problem's reason, line ended with a newline).

    A gzipped file (detected by its content) is decompressed while it is read; a line longer than
    `MAX_LINE_BYTES` is skipped without being held in memory.
    """
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    with gzip.open(path, "rb") if gzipped else open(path, "rb") as f:
        line_no = 0
        try:
            while line := f.readline(MAX_LINE_BYTES):
                line_no += 1
                if len(line) == MAX_LINE_BYTES and not line.endswith(b"\n"):
                    while (rest := f.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                        pass
                    yield line_no, f"line longer than {MAX_LINE_BYTES} bytes", True
                else:
                    yield line_no, line, line.endswith(b"\n")
        except (EOFError, gzip.BadGzipFile, zlib.error) as e:
            yield line_no + 1, f"corrupt or truncated gzip stream ({e})", False


class NonFiniteError(ValueError):
    """NaN, Infinity or -Infinity in JSON (Python's json accepts them, Google's files never)."""


def reject_constant(name: str):
    """`parse_constant` for JSON decoders: refuse NaN and the infinities."""
    raise NonFiniteError(f"{name} is not a finite number")


def json_reason(e: Exception) -> str:
    """The first line of a JSON (or header) parse error, with its column where known."""
    if hasattr(e, "msg") and hasattr(e, "colno"):
        return f"{e.msg} at column {e.colno}"
    return str(e).split("\n")[0]


def read_npy_header(f, where: str) -> tuple[tuple, bool, np.dtype, int]:
    """(shape, fortran_order, dtype, data offset) of the `.npy` data an open binary file starts
    with; `DataFormatError` starting with `where` otherwise."""
    try:
        version = np.lib.format.read_magic(f)
    except (ValueError, EOFError):
        raise DataFormatError(f"{where}: not an .npy file (no NumPy magic bytes)") from None
    readers = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }
    if version not in readers:
        raise DataFormatError(f"{where}: unsupported .npy format version {version}")
    try:
        shape, fortran, dtype = readers[version](f)
    except (ValueError, SyntaxError, EOFError, tokenize.TokenError) as e:
        raise DataFormatError(f"{where}: corrupt .npy header ({json_reason(e)})") from None
    return tuple(shape), bool(fortran), dtype, f.tell()

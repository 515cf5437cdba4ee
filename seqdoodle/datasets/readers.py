"""Read Quick, Draw! files: ndjson strokes (simplified or raw) and numpy_bitmap `.npy` rows.

ndjson files are streamed one line at a time with the `ndjson` package, so memory does not grow
with the file and a `limit` stops reading early. A bad line is skipped and counted (or raises with
`strict=True`); `.npy` files are memory-mapped, never loaded.

Decisions:
- Format per file (`fmt="auto"`): the first valid drawing decides; strokes with 3 arrays make a
  raw file, 2 a simplified one. Later lines must match.
- Simplified coordinates must be JSON integers in 0..255; raw values finite numbers within
  +-2**53 (beyond it float64 loses whole units, and the span of a drawing can overflow).
- An empty stroke (`[[], []]`) is dropped and counted in `ReadSummary.n_empty_strokes`; a drawing
  left with no strokes is skipped as a bad line.
- `.npy` files may hold `(n, 784)` or `(n, 28, 28)` uint8; both are returned as an `(n, 784)` view.
"""

from __future__ import annotations

import gzip
import math
import os
import tokenize
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import ndjson
import numpy as np

from seqdoodle.datasets.plan import class_files, class_name_of  # noqa: F401 (re-exported)
from seqdoodle.datasets.records import Drawing
from seqdoodle.errors import DataFormatError, MissingFileError

BITMAP_SIDE = 28
BITMAP_WIDTH = BITMAP_SIDE * BITMAP_SIDE
MAX_LINE_BYTES = 16 << 20  # a longer line is skipped without being held in memory
MAX_PROBLEMS = 1000  # problems kept in a summary; `n_skipped` counts them all
MAX_RAW_VALUE = float(2**53)  # larger raw coordinates or times are refused
FORMATS = ("auto", "simplified", "raw")
_N_AXES = {"simplified": 2, "raw": 3}


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
        n_filtered: int. Valid drawings left out by a metadata filter (see `plan.Filter`).
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


class DrawingReader:
    """Iterable of `Drawing` records from one ndjson file (see `read_drawings`).

    Each iteration reads the file again from the start and resets `summary`.
    """

    def __init__(self, path: Path, limit: int | None, strict: bool, fmt: str):
        self.path = path
        self.limit = limit
        self.strict = strict
        self.fmt = fmt
        self.summary = ReadSummary(path, fmt=None if fmt == "auto" else fmt)

    def __iter__(self) -> Iterator[Drawing]:
        self.summary = summary = ReadSummary(
            self.path, fmt=None if self.fmt == "auto" else self.fmt
        )
        if self.limit == 0:
            return
        for line_no, line, ended in _numbered_lines(self.path):
            try:
                drawing, n_empty = self._parse(line, line_no, ended)
            except DataFormatError as e:
                if self.strict:
                    raise DataFormatError(f"{self.path} line {line_no}: {e}") from None
                summary.n_skipped += 1
                if len(summary.problems) < MAX_PROBLEMS:
                    summary.problems.append((line_no, str(e)))
                continue
            if drawing is None:  # a blank line
                continue
            summary.n_read += 1
            summary.n_empty_strokes += n_empty
            yield drawing
            if self.limit is not None and summary.n_read >= self.limit:
                return

    def _parse(self, line: bytes | str, line_no: int, ended: bool):
        if isinstance(line, str):  # a problem found while reading the line
            raise DataFormatError(line)
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise DataFormatError("not UTF-8 text") from None
        if not text.strip():
            return None, 0
        try:
            values = _DECODER.decode(text)  # a list: the ndjson codec parses lines
        except _NonFiniteError as e:
            raise DataFormatError(str(e)) from None
        except ValueError as e:
            what = "truncated (no newline at end)" if not ended else "invalid JSON"
            raise DataFormatError(f"{what}: {_json_reason(e)}") from None
        if len(values) != 1:
            raise DataFormatError("invalid JSON: more than one value on the line")
        obj = values[0]
        if not isinstance(obj, dict):
            raise DataFormatError(f"not a JSON object but {type(obj).__name__}")
        word = obj.get("word")
        if not isinstance(word, str) or not word:
            raise DataFormatError("'word' is missing or not a non-empty string")
        fmt = self.summary.fmt
        strokes, n_empty = _check_strokes(obj.get("drawing"), fmt)
        if fmt is None:  # the first valid drawing of an auto file decides
            self.summary.fmt = "raw" if len(strokes[0]) == 3 else "simplified"
        recognized = obj.get("recognized")
        return (
            Drawing(
                word=word,
                strokes=strokes,
                key_id=_str_or_none(obj.get("key_id")),
                countrycode=_str_or_none(obj.get("countrycode")),
                recognized=recognized if isinstance(recognized, bool) else None,
                timestamp=_str_or_none(obj.get("timestamp")),
                source=f"{self.path.name}:{line_no}",
                fmt=self.summary.fmt,
            ),
            n_empty,
        )


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


def read_drawings(
    path: str | os.PathLike,
    limit: int | None = None,
    strict: bool = False,
    fmt: str = "auto",
) -> DrawingReader:
    """Stream `Drawing` records from a simplified or raw ndjson file (optionally gzipped).

    Lines are parsed one at a time; reading stops after `limit` valid drawings. Bad lines are
    skipped and counted in `reader.summary` (a `ReadSummary`), unless `strict`.

    Args:
        path: str or PathLike. A `.ndjson` file, or a gzipped one (detected by its content).
        limit: int or None. Read only the first `limit` valid drawings. Defaults to None (all).
        strict: bool. Raise `DataFormatError` on the first bad line instead of skipping it.
            Defaults to False.
        fmt: str. "auto" (decided by the file's first valid drawing), "simplified" or "raw".
            Defaults to "auto".

    Returns:
        A `DrawingReader`: iterate it for `Drawing` records with `strokes` as lists
        (`[xs, ys]` or `[xs, ys, ts]`) and `source="<file name>:<line>"`.

    Raises:
        MissingFileError: the file does not exist.
        DataFormatError: with `strict=True`, at the first bad line, naming file and line.

    Example:
    >>> reader = read_drawings("data/simplified/cat.ndjson", limit=10)  # doctest: +SKIP
    >>> drawings = list(reader); print(reader.summary)  # doctest: +SKIP
    cat.ndjson: 10 drawings read, 0 lines skipped
    """
    path = _existing_file(path)
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0 or None, got {limit}")
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return DrawingReader(path, limit, strict, fmt)


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
    path = _existing_file(path)
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0 or None, got {limit}")
    shape, fortran, dtype, offset = _npy_header(path)
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


def iter_drawings(
    path: str | os.PathLike,
    limit: int | None = None,
    strict: bool = False,
    word: str | None = None,
) -> DrawingReader | BitmapDrawingReader:
    """One stream of `Drawing` records for an ndjson file or a numpy_bitmap `.npy` file.

    Args:
        path: str or PathLike. `.npy` (bitmaps) or ndjson (strokes, `.ndjson` or `.ndjson.gz`).
        limit: int or None. Drawings to read. Defaults to None (all).
        strict: bool. ndjson only: raise at the first bad line. Defaults to False.
        word: str or None. `.npy` only: the class of every row (rows carry no word). Defaults to
            the class in the file name (`cat.npy`, `full_numpy_bitmap_cat.npy` -> "cat"). ndjson
            records keep their own `word` field.

    Returns:
        An iterable of `Drawing` with a `summary` (`ReadSummary`). `.npy` rows come as
        `Drawing(word, bitmap=(28, 28) uint8 view, source="cat.npy[i]")`, `i` 0-based.

    Example:
    >>> for d in iter_drawings("data/numpy_bitmap/cat.npy", limit=2):  # doctest: +SKIP
    ...     print(d.word, d.bitmap.shape)
    cat (28, 28)
    """
    from seqdoodle.datasets.plan import open_reader

    return open_reader(path, limit=limit, strict=strict, word=word)


def _existing_file(path) -> Path:
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{path}: no such file")
    if path.is_dir():
        raise MissingFileError(f"{path}: is a folder, not a file")
    return path


def _numbered_lines(path: Path) -> Iterator[tuple[int, bytes | str, bool]]:
    """Yield (1-based line number, line bytes or a problem's reason, line ended with a newline)."""
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


def _check_strokes(strokes, fmt: str | None) -> tuple[list, int]:
    """Validate Google's `drawing` field; return it without empty strokes and their count."""
    if not isinstance(strokes, list):
        raise DataFormatError("'drawing' is missing or not a list of strokes")
    kept, n_empty = [], 0
    for i, stroke in enumerate(strokes):
        if not isinstance(stroke, list) or len(stroke) not in (2, 3):
            raise DataFormatError(f"stroke {i} is not a list of 2 (x, y) or 3 (x, y, t) arrays")
        stroke_fmt = fmt or ("raw" if len(stroke) == 3 else "simplified")
        if len(stroke) != _N_AXES[stroke_fmt]:
            raise DataFormatError(
                f"stroke {i} has {len(stroke)} arrays; {stroke_fmt} strokes have "
                f"{_N_AXES[stroke_fmt]}"
            )
        fmt = stroke_fmt
        if not all(isinstance(axis, list) for axis in stroke):
            raise DataFormatError(f"stroke {i}: coordinates are not arrays")
        n = len(stroke[0])
        if any(len(axis) != n for axis in stroke):
            lengths = "/".join(str(len(axis)) for axis in stroke)
            raise DataFormatError(f"stroke {i}: arrays of unequal length {lengths}")
        if n == 0:
            n_empty += 1
            continue
        for axis in stroke:
            _check_numbers(axis, i, fmt)
        kept.append(stroke)
    if not kept:
        raise DataFormatError("drawing has no strokes" if n_empty == 0 else "all strokes empty")
    return kept, n_empty


def _check_numbers(values: list, stroke: int, fmt: str) -> None:
    if fmt == "simplified":
        for v in values:
            if type(v) is not int or not 0 <= v <= 255:
                raise DataFormatError(
                    f"stroke {stroke}: {_shown(v)} is not an integer in 0..255 (simplified format)"
                )
        return
    for v in values:
        # a chained comparison: False for NaN and inf, and exact (no overflow) for huge ints
        if type(v) not in (int, float) or not -MAX_RAW_VALUE <= v <= MAX_RAW_VALUE:
            raise DataFormatError(
                f"stroke {stroke}: {_shown(v)} is not a finite number within +-2**53"
            )


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 24 else f"{text[:20]}..."


class _NonFiniteError(ValueError):
    """NaN, Infinity or -Infinity in a line (Python's json accepts them, Google's files never)."""


def _reject_constant(name: str):
    raise _NonFiniteError(f"{name} is not a finite number")


_DECODER = ndjson.Decoder(parse_constant=_reject_constant)


def _json_reason(e: ValueError) -> str:
    if hasattr(e, "msg") and hasattr(e, "colno"):
        return f"{e.msg} at column {e.colno}"
    return str(e).split("\n")[0]


def _str_or_none(value) -> str | None:
    return None if value is None else str(value)


def _npy_header(path: Path) -> tuple[tuple, bool, np.dtype, int]:
    """(shape, fortran_order, dtype, data offset) of an `.npy` file, or DataFormatError."""
    with open(path, "rb") as f:
        try:
            version = np.lib.format.read_magic(f)
        except ValueError:
            raise DataFormatError(f"{path}: not an .npy file (no NumPy magic bytes)") from None
        readers = {
            (1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0,
        }
        if version not in readers:
            raise DataFormatError(f"{path}: unsupported .npy format version {version}")
        try:
            shape, fortran, dtype = readers[version](f)
        except (ValueError, SyntaxError, EOFError, tokenize.TokenError) as e:
            raise DataFormatError(f"{path}: corrupt .npy header ({_json_reason(e)})") from None
        return tuple(shape), bool(fortran), dtype, f.tell()

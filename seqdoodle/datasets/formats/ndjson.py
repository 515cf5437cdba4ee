"""Google's ndjson files (`.ndjson`, `.ndjson.gz`): simplified or raw strokes, one drawing a line.

Files are streamed one line at a time with the `ndjson` package, so memory does not grow with the
file and a `limit` stops reading early. A bad line is skipped and counted (or raises with
`strict=True`).

Decisions:
- Format per file (`fmt="auto"`): the first valid drawing decides; strokes with 3 arrays make a
  raw file, 2 a simplified one. Later lines must match.
- Strokes are checked by `base.validate_strokes`. An empty stroke (`[[], []]`) is dropped and
  counted in `ReadSummary.n_empty_strokes`; a drawing left with no strokes is a bad line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import ndjson

from seqdoodle.datasets.formats.base import (
    Format,
    NonFiniteError,
    ReadSummary,
    check_limit,
    existing_file,
    json_reason,
    numbered_lines,
    reject_constant,
    validate_strokes,
)
from seqdoodle.datasets.records import Drawing
from seqdoodle.errors import DataFormatError
from seqdoodle.fileio import atomic_write

FMT_CHOICES = ("auto", "simplified", "raw")  # what `read_drawings(fmt=...)` takes
_DECODER = ndjson.Decoder(parse_constant=reject_constant)


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
        for line_no, line, ended in numbered_lines(self.path):
            try:
                drawing = self._parse(line, line_no, ended)
            except DataFormatError as e:
                summary.skip(line_no, str(e), self.strict)
                continue
            if drawing is None:  # a blank line
                continue
            summary.n_read += 1
            yield drawing
            if self.limit is not None and summary.n_read >= self.limit:
                return

    def _parse(self, line: bytes | str, line_no: int, ended: bool) -> Drawing | None:
        if isinstance(line, str):  # a problem found while reading the line
            raise DataFormatError(line)
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise DataFormatError("not UTF-8 text") from None
        if not text.strip():
            return None
        try:
            values = _DECODER.decode(text)  # a list: the ndjson codec parses lines
        except NonFiniteError as e:
            raise DataFormatError(str(e)) from None
        except ValueError as e:
            what = "truncated (no newline at end)" if not ended else "invalid JSON"
            raise DataFormatError(f"{what}: {json_reason(e)}") from None
        if len(values) != 1:
            raise DataFormatError("invalid JSON: more than one value on the line")
        obj = values[0]
        if not isinstance(obj, dict):
            raise DataFormatError(f"not a JSON object but {type(obj).__name__}")
        word = obj.get("word")
        if not isinstance(word, str) or not word:
            raise DataFormatError("'word' is missing or not a non-empty string")
        given = obj.get("drawing")
        strokes = validate_strokes(given, self.summary.fmt)
        if self.summary.fmt is None:  # the first valid drawing of an auto file decides
            self.summary.fmt = "raw" if len(strokes[0]) == 3 else "simplified"
        self.summary.n_empty_strokes += len(given) - len(strokes)
        recognized = obj.get("recognized")
        return Drawing(
            word=word,
            strokes=strokes,
            key_id=_str_or_none(obj.get("key_id")),
            countrycode=_str_or_none(obj.get("countrycode")),
            recognized=recognized if isinstance(recognized, bool) else None,
            timestamp=_str_or_none(obj.get("timestamp")),
            source=f"{self.path.name}:{line_no}",
            fmt=self.summary.fmt,
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
    path = existing_file(path)
    check_limit(limit)
    if fmt not in FMT_CHOICES:
        raise ValueError(f"fmt must be one of {', '.join(FMT_CHOICES)}, got {fmt!r}")
    return DrawingReader(path, limit, strict, fmt)


def write_ndjson(drawings: Iterable[Drawing], out) -> int:
    """Write drawings as Google's ndjson (atomically, streaming; raw stays raw); return how many.

    Example:
    >>> import tempfile, pathlib; p = pathlib.Path(tempfile.mkdtemp()) / "cat.ndjson"
    >>> write_ndjson([Drawing("cat", strokes=[[[0, 9], [0, 9]]])], p), p.read_text()
    (1, '{"word": "cat", "drawing": [[[0, 9], [0, 9]]]}\\n')
    """
    n = 0
    with atomic_write(out, "wb") as f:
        for d in drawings:
            f.write(json.dumps(d.to_json()).encode("utf-8") + b"\n")
            n += 1
    return n


def _str_or_none(value) -> str | None:
    return None if value is None else str(value)


FORMAT = Format(
    name="ndjson",
    suffixes=(".ndjson", ".ndjson.gz"),
    kind="strokes",
    reader=lambda path, limit, strict, word: read_drawings(path, limit, strict),
    writer=write_ndjson,
)

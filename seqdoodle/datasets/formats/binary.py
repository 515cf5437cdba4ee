"""Google's binary Quick, Draw! files (`full/binary/<class>.bin`): read them and write them.

Each record, little endian: key_id uint64, countrycode 2 bytes (ASCII), recognized int8,
timestamp uint32 (seconds since 1970, UTC), n_strokes uint16, then per stroke n_points uint16,
x uint8[n_points], y uint8[n_points]. The strokes are Google's simplified ones (0..255). There is
no word: the class is the file's name.

Records are streamed one at a time. A record whose fields make no sense (recognized not 0 or 1,
a country code that is not two ASCII letters or digits, no strokes) is skipped and counted, and
reading goes on with the next record (each record says its own length); a truncated record ends
the file (counted too). `strict=True` raises instead. Problems are numbered by 1-based record;
`Drawing.source` is `"cat.bin[i]"` with `i` 0-based, as for `.npy` rows.

Writing: the format has no room for missing fields, so a drawing without key_id is written with 0,
without country with "ZZ", without time with 0 (1970); times keep whole seconds only.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from seqdoodle.datasets.formats.base import (
    Format,
    ReadSummary,
    check_limit,
    class_name_from,
    existing_file,
    validate_strokes,
)
from seqdoodle.datasets.records import Drawing, needs_simplifying
from seqdoodle.errors import DataFormatError
from seqdoodle.fileio import atomic_write

SUFFIXES = (".bin",)
HEADER = struct.Struct("<Q2sbIH")  # key_id, countrycode, recognized, timestamp, n_strokes
_TIME = re.compile(r"^(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)(\.\d+)?( ?UTC| ?Z)?$")


class BinaryReader:
    """Iterable of `Drawing` records from one binary file (see `read_binary`)."""

    def __init__(self, path: Path, limit: int | None, strict: bool, word: str):
        self.path, self.limit, self.strict, self.word = path, limit, strict, word
        self.summary = ReadSummary(path, fmt="simplified", unit="record")

    def __iter__(self) -> Iterator[Drawing]:
        self.summary = summary = ReadSummary(self.path, fmt="simplified", unit="record")
        if self.limit == 0:
            return
        with open(self.path, "rb") as f:
            index = 0
            while head := f.read(HEADER.size):
                index += 1
                try:
                    drawing = self._record(f, head, index)
                except _Truncated as e:
                    summary.skip(index, f"truncated record ({e})", self.strict)
                    return
                except DataFormatError as e:
                    summary.skip(index, str(e), self.strict)
                    continue
                summary.n_read += 1
                yield drawing
                if self.limit is not None and summary.n_read >= self.limit:
                    return

    def _record(self, f, head: bytes, index: int) -> Drawing:
        if len(head) < HEADER.size:
            raise _Truncated(f"{len(head)} of {HEADER.size} header bytes")
        key_id, country, recognized, timestamp, n_strokes = HEADER.unpack(head)
        strokes = []
        for s in range(1, n_strokes + 1):
            raw = f.read(2)
            if len(raw) < 2:
                raise _Truncated(f"stroke {s} of {n_strokes}: no point count")
            (n,) = struct.unpack("<H", raw)
            xy = f.read(2 * n)
            if len(xy) < 2 * n:
                raise _Truncated(f"stroke {s} of {n_strokes}: {len(xy)} of {2 * n} bytes")
            strokes.append([list(xy[:n]), list(xy[n:])])
        if recognized not in (0, 1):
            raise DataFormatError(f"recognized byte is {recognized}, not 0 or 1")
        if not (country.isascii() and country.isalnum()):
            raise DataFormatError(f"country code bytes {country!r} are not two ASCII letters")
        kept = validate_strokes(strokes, "simplified")
        self.summary.n_empty_strokes += len(strokes) - len(kept)
        when = datetime.fromtimestamp(timestamp, timezone.utc)
        return Drawing(
            word=self.word,
            strokes=kept,
            key_id=str(key_id),
            countrycode=country.decode("ascii"),
            recognized=bool(recognized),
            timestamp=f"{when:%Y-%m-%d %H:%M:%S} UTC",
            source=f"{self.path.name}[{index - 1}]",
            fmt="simplified",
        )


class _Truncated(Exception):
    """The file ends inside a record."""


def read_binary(
    path: str | os.PathLike, limit: int | None = None, strict: bool = False, word=None
) -> BinaryReader:
    """Stream `Drawing` records from a binary file in Google's format.

    Args:
        path: str or PathLike. A `.bin` file.
        limit: int or None. Read only the first `limit` valid drawings. Defaults to None (all).
        strict: bool. Raise `DataFormatError` at the first bad record. Defaults to False.
        word: str or None. The class of every record. Defaults to the class in the file name.

    Returns:
        A `BinaryReader` (`fmt="simplified"` drawings, `reader.summary` counts records).

    Example:
    >>> drawings = list(read_binary("data/binary/cat.bin", limit=3))  # doctest: +SKIP
    """
    path = existing_file(path)
    check_limit(limit)
    return BinaryReader(path, limit, strict, word or class_name_from(path, SUFFIXES))


def pack_drawing(drawing: Drawing) -> bytes:
    """One record in Google's binary format (the strokes must be simplified: integers 0..255).

    Example:
    >>> len(pack_drawing(Drawing("cat", strokes=[[[0, 255], [3, 4]]], key_id="7")))
    23
    """
    where = drawing.source or f"drawing {drawing.key_id}"
    if not drawing.strokes:
        raise DataFormatError(f"{where}: no strokes to write in the binary format")
    if needs_simplifying(drawing):
        raise DataFormatError(f"{where}: raw strokes; the binary format holds simplified ones")
    country = (drawing.countrycode or "ZZ").encode("ascii", "replace")[:2].ljust(2, b"Z")
    key = int(drawing.key_id) if drawing.key_id and drawing.key_id.isdigit() else 0
    recognized = 1 if drawing.recognized else 0
    parts = [HEADER.pack(key, country, recognized, _seconds(drawing.timestamp), 0)]
    n_strokes = 0
    for stroke in drawing.strokes:
        xs, ys = (bytes(int(v) for v in axis) for axis in stroke[:2])
        if not xs:
            continue
        parts.append(struct.pack("<H", len(xs)) + xs + ys)
        n_strokes += 1
    parts[0] = HEADER.pack(key, country, recognized, _seconds(drawing.timestamp), n_strokes)
    return b"".join(parts)


def _seconds(timestamp) -> int:
    """Whole seconds since 1970 of Google's `2017-03-02 23:25:10.07453 UTC`; 0 if unreadable."""
    match = _TIME.match(str(timestamp or "").strip())
    if not match:
        return 0
    when = datetime.strptime(match.group(1).replace("T", " "), "%Y-%m-%d %H:%M:%S")
    return max(0, int(when.replace(tzinfo=timezone.utc).timestamp()))


def write_binary(drawings: Iterable[Drawing], out) -> int:
    """Write drawings as a binary file (atomically, streaming); return the records written."""
    n = 0
    with atomic_write(out, "wb") as f:
        for drawing in drawings:
            f.write(pack_drawing(drawing))
            n += 1
    return n


FORMAT = Format(
    name="binary",
    suffixes=SUFFIXES,
    kind="strokes",
    reader=read_binary,
    writer=write_binary,
    simplified_only=True,
)

"""Kaggle's Quick, Draw! CSV files (`.csv`): read them as `Drawing`s and write them.

The Doodle Recognition Challenge ships `train_simplified/<class>.csv` (and `train_raw/`) with the
columns `countrycode,drawing,key_id,recognized,timestamp,word`, where `drawing` is Google's stroke
list as a JSON string, and `test_simplified.csv` / `test_raw.csv` with `key_id,countrycode,drawing`
(no word). Files are streamed one line at a time, like the ndjson reader: memory does not grow
with the file, a bad line is skipped and counted (or raises with `strict=True`).

Decisions:
- Columns are found by the header's names, in any order; only `drawing` is required.
- Each physical line is one record (Kaggle's files never break a field across lines), so a line
  with bad quoting is one bad record and cannot swallow the rest of the file.
- Simplified or raw is decided by the first valid drawing (2 or 3 arrays a stroke), as in ndjson;
  strokes are checked by `base.validate_strokes`.
- `word` may use spaces or underscores (`The_Eiffel_Tower`); it is returned with spaces, the name
  of the 345 categories (no category contains an underscore). Test rows have `word=""`.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from seqdoodle.datasets.formats.base import (
    MAX_LINE_BYTES,
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

TRAIN_COLUMNS = ("countrycode", "drawing", "key_id", "recognized", "timestamp", "word")
TEST_COLUMNS = ("key_id", "countrycode", "drawing")
_JSON = json.JSONDecoder(parse_constant=reject_constant)
_BOOLS = {"true": True, "false": False, "1": True, "0": False}
csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))


class KaggleCsvReader:
    """Iterable of `Drawing` records from one Kaggle CSV file (see `read_kaggle_csv`)."""

    def __init__(self, path: Path, limit: int | None, strict: bool):
        self.path, self.limit, self.strict = path, limit, strict
        self.summary = ReadSummary(path)

    def __iter__(self) -> Iterator[Drawing]:
        self.summary = summary = ReadSummary(self.path)
        if self.limit == 0:
            return
        columns = None
        for line_no, line, ended in numbered_lines(self.path):
            if isinstance(line, str):  # a problem found while reading the line
                summary.skip(line_no, line, self.strict)
                continue
            if columns is None:
                columns = _header(self.path, line)
                continue
            try:
                drawing = self._parse(line, line_no, ended, columns)
            except DataFormatError as e:
                reason = str(e)
                if not ended and not reason.startswith("truncated"):
                    reason = f"truncated (no newline at end): {reason}"
                summary.skip(line_no, reason, self.strict)
                continue
            if drawing is None:
                continue
            summary.n_read += 1
            yield drawing
            if self.limit is not None and summary.n_read >= self.limit:
                return
        if columns is None:
            raise DataFormatError(f"{self.path}: empty file, no CSV header")

    def _parse(self, line: bytes, line_no: int, ended: bool, columns: dict) -> Drawing | None:
        try:
            text = line.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            raise DataFormatError("not UTF-8 text") from None
        if not text.strip():
            return None
        try:
            fields = next(csv.reader([text], strict=True))
        except csv.Error as e:
            what = "truncated (no newline at end)" if not ended else "bad CSV quoting"
            raise DataFormatError(f"{what}: {e}") from None
        if len(fields) != len(columns["names"]):
            raise DataFormatError(
                f"{len(fields)} fields where the header has {len(columns['names'])}"
            )
        get = {name: fields[i] for name, i in columns["index"].items()}
        try:
            given = _JSON.decode(get["drawing"])
        except NonFiniteError as e:
            raise DataFormatError(f"drawing field: {e}") from None
        except ValueError as e:
            raise DataFormatError(f"drawing field is not JSON: {json_reason(e)}") from None
        strokes = validate_strokes(given, self.summary.fmt)
        if self.summary.fmt is None:  # the first valid drawing decides
            self.summary.fmt = "raw" if len(strokes[0]) == 3 else "simplified"
        word = get.get("word", "").replace("_", " ").strip()
        if "word" in get and not word:
            raise DataFormatError("'word' is empty")
        self.summary.n_empty_strokes += len(given) - len(strokes)
        recognized = _BOOLS.get(get.get("recognized", "").strip().lower())
        return Drawing(
            word=word,
            strokes=strokes,
            key_id=get.get("key_id") or None,
            countrycode=get.get("countrycode") or None,
            recognized=recognized,
            timestamp=get.get("timestamp") or None,
            source=f"{self.path.name}:{line_no}",
            fmt=self.summary.fmt,
        )


def _header(path: Path, line: bytes) -> dict:
    try:
        names = next(csv.reader([line.decode("utf-8-sig").rstrip("\r\n")], strict=True))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        raise DataFormatError(f"{path}: line 1 is not a CSV header") from None
    names = [n.strip() for n in names]
    if "drawing" not in names:
        raise DataFormatError(
            f"{path}: no 'drawing' column in the header ({','.join(names)[:80]}); Kaggle files "
            f"have {','.join(TRAIN_COLUMNS)} or {','.join(TEST_COLUMNS)}"
        )
    return {"names": names, "index": {n: i for i, n in enumerate(names) if n in TRAIN_COLUMNS}}


def read_kaggle_csv(
    path: str | os.PathLike, limit: int | None = None, strict: bool = False
) -> KaggleCsvReader:
    """Stream `Drawing` records from a Kaggle CSV (train or test, simplified or raw).

    Args:
        path: str or PathLike. A `.csv` file (optionally gzipped, detected by content).
        limit: int or None. Read only the first `limit` valid drawings. Defaults to None (all).
        strict: bool. Raise `DataFormatError` on the first bad line. Defaults to False.

    Returns:
        A `KaggleCsvReader`: iterate it for `Drawing` records (`source="<file>:<line>"`, `fmt`
        "simplified" or "raw"); `reader.summary` counts what was read and skipped.

    Raises:
        MissingFileError: the file does not exist.
        DataFormatError: no header with a `drawing` column; with `strict`, the first bad line.

    Example:
    >>> reader = read_kaggle_csv("train_simplified/cat.csv", limit=10)  # doctest: +SKIP
    >>> [d.word for d in reader][:1]  # doctest: +SKIP
    ['cat']
    """
    path = existing_file(path)
    check_limit(limit)
    return KaggleCsvReader(path, limit, strict)


def kaggle_row(drawing: Drawing, test: bool = False) -> list[str]:
    """One CSV row in Kaggle's column order (`TRAIN_COLUMNS`, or `TEST_COLUMNS` with `test`)."""
    if drawing.strokes is None:
        raise DataFormatError(f"{drawing.source or 'drawing'}: no strokes to write as Kaggle CSV")
    values = {
        "countrycode": drawing.countrycode or "",
        "drawing": json.dumps(drawing.to_json()["drawing"]),
        "key_id": drawing.key_id or "",
        "recognized": "" if drawing.recognized is None else str(bool(drawing.recognized)),
        "timestamp": drawing.timestamp or "",
        "word": drawing.word,
    }
    return [values[c] for c in (TEST_COLUMNS if test else TRAIN_COLUMNS)]


def write_kaggle_csv(drawings: Iterable[Drawing], out, test: bool = False) -> int:
    """Write drawings as a Kaggle CSV (atomically, streaming); return the rows written.

    Example:
    >>> d = Drawing("cat", strokes=[[[0, 9], [0, 9]]], key_id="1", recognized=True)
    >>> import tempfile, pathlib; p = pathlib.Path(tempfile.mkdtemp()) / "cat.csv"
    >>> write_kaggle_csv([d], p), p.read_text().splitlines()[1]
    (1, ',"[[[0, 9], [0, 9]]]",1,True,,cat')
    """
    n = 0
    with atomic_write(out, "wb") as raw:
        f = io.TextIOWrapper(raw, "utf-8", newline="")
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(TEST_COLUMNS if test else TRAIN_COLUMNS)
        for drawing in drawings:
            writer.writerow(kaggle_row(drawing, test))
            n += 1
        f.flush()
        f.detach()  # leave `raw` open for atomic_write to fsync and rename
    return n


FORMAT = Format(
    name="kaggle-csv",
    suffixes=(".csv",),
    kind="strokes",
    reader=lambda path, limit, strict, word: read_kaggle_csv(path, limit, strict),
    writer=write_kaggle_csv,
)

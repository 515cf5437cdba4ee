"""Kaggle's Quick, Draw! CSV files: read them as `Drawing`s and write them.

The Doodle Recognition Challenge ships `train_simplified/<class>.csv` (and `train_raw/`) with the
columns `countrycode,drawing,key_id,recognized,timestamp,word`, where `drawing` is Google's stroke
list as a JSON string, and `test_simplified.csv` / `test_raw.csv` with `key_id,countrycode,drawing`
(no word). Files are streamed one line at a time, like the ndjson reader: memory does not grow
with the file, a bad line is skipped and counted (or raises with `strict=True`).

Decisions:
- Columns are found by the header's names, in any order; only `drawing` is required.
- Each physical line is one record (Kaggle's files never break a field across lines), so a line
  with bad quoting is one bad record and cannot swallow the rest of the file.
- Simplified or raw is decided by the first valid drawing (2 or 3 arrays a stroke), as in ndjson.
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

from seqdoodle.datasets.readers import (
    MAX_LINE_BYTES,
    ReadSummary,
    _check_strokes,
    _existing_file,
    _json_reason,
    _NonFiniteError,
    _numbered_lines,
    _reject_constant,
)
from seqdoodle.datasets.records import Drawing
from seqdoodle.errors import DataFormatError

TRAIN_COLUMNS = ("countrycode", "drawing", "key_id", "recognized", "timestamp", "word")
TEST_COLUMNS = ("key_id", "countrycode", "drawing")
_JSON = json.JSONDecoder(parse_constant=_reject_constant)
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
        for line_no, line, ended in _numbered_lines(self.path):
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
            strokes = _JSON.decode(get["drawing"])
        except _NonFiniteError as e:
            raise DataFormatError(f"drawing field: {e}") from None
        except ValueError as e:
            raise DataFormatError(f"drawing field is not JSON: {_json_reason(e)}") from None
        fmt = self.summary.fmt
        strokes, n_empty = _check_strokes(strokes, fmt)
        if fmt is None:
            self.summary.fmt = "raw" if len(strokes[0]) == 3 else "simplified"
        self.summary.n_empty_strokes += n_empty
        word = get.get("word", "").replace("_", " ").strip()
        if "word" in get and not word:
            raise DataFormatError("'word' is empty")
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
    path = _existing_file(path)
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0 or None, got {limit}")
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
    from seqdoodle.fileio import atomic_write

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


# ----------------------------------------------------------------------------- submissions


def kaggle_word(name: str) -> str:
    """A class name as Kaggle's submissions spell it: spaces become underscores.

    Example:
    >>> kaggle_word("The Eiffel Tower")
    'The_Eiffel_Tower'
    """
    return name.replace(" ", "_")


def write_submission(
    run,
    csv_path,
    out,
    top_k: int = 3,
    classes: list[str] | None = None,
    batch_size: int = 2048,
    progress: bool | None = None,
) -> int:
    """Predict every row of a Kaggle test CSV and write `submission.csv` (`key_id,word`).

    `word` holds the `top_k` most likely classes, most likely first, separated by spaces, with
    spaces inside class names replaced by underscores (`The_Eiffel_Tower`), as Kaggle scores it
    with MAP@3. Rows are streamed in batches of `batch_size`, so memory does not grow with the file;
    the output is written atomically. Every row must be valid (a submission must cover them all),
    so a bad row raises, naming its line.

    Args:
        run: a loaded run (`seqdoodle.load_run`): `classes` and `predict_proba(drawings)`.
        csv_path: path. Kaggle's `test_simplified.csv` (or any Kaggle CSV with `key_id`).
        out: path. The submission file to write.
        top_k: int. Classes per row. Defaults to 3.
        classes: list of str or None. Predict only among these classes (for example the 340 of
            the competition, `kaggle_classes(train_folder)`); None allows all of the run's.
        batch_size: int. Drawings per prediction call. Defaults to 2048.
        progress: bool or None. A progress bar over rows; None draws it on a terminal.

    Returns:
        int, the rows written.

    Raises:
        DataFormatError: a row without key_id, a bad row, or `classes` sharing none with the run.

    Example:
    >>> write_submission(load_run("runs/cnn"), "test_simplified.csv", "sub.csv")  # doctest: +SKIP
    112199
    """
    import numpy as np

    from seqdoodle.fileio import atomic_write
    from seqdoodle.progress import progress_bars

    words = [kaggle_word(c) for c in run.classes]
    mask = None
    if classes is not None:
        allowed = set(classes)
        mask = np.array([c not in allowed for c in run.classes])
        if mask.all():
            raise DataFormatError("--classes: none of them is a class of the run")
    reader = read_kaggle_csv(csv_path, strict=True)
    total = max(0, _count_lines(reader.path) - 1)
    n = 0
    with progress_bars(progress) as bars, atomic_write(out, "wb") as raw:
        task = bars.add_task("submission", total=total)
        f = io.TextIOWrapper(raw, "utf-8", newline="")
        f.write("key_id,word\n")

        def flush(batch):
            probs = np.asarray(run.predict_proba(batch), dtype=np.float64)
            if mask is not None:
                probs[:, mask] = -1.0
            top = np.argsort(-probs, axis=1, kind="stable")[:, :top_k]
            for drawing, row in zip(batch, top):
                f.write(f"{drawing.key_id}," + " ".join(words[i] for i in row) + "\n")
            bars.advance(task, len(batch))

        batch = []
        for drawing in reader:
            if not drawing.key_id:
                raise DataFormatError(f"{drawing.source}: no key_id; a submission needs one")
            batch.append(drawing)
            n += 1
            if len(batch) >= batch_size:
                flush(batch)
                batch = []
        if batch:
            flush(batch)
        f.flush()
        f.detach()
    return n


def _count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))


def read_submission(path) -> dict[str, list[str]]:
    """A submission file as `{key_id: [class names with spaces, most likely first]}`."""
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out[row["key_id"]] = [w.replace("_", " ") for w in row["word"].split()]
    return out


def map_at_k(truth: dict[str, str], predicted: dict[str, list[str]], k: int = 3) -> float:
    """Kaggle's mean average precision at k: 1/rank of the true class within the top k, else 0.

    Example:
    >>> map_at_k({"1": "cat", "2": "dog"}, {"1": ["dog", "cat"], "2": ["dog"]})
    0.75
    """
    if not truth:
        raise DataFormatError("MAP@k of no drawings")
    score = 0.0
    for key, word in truth.items():
        top = predicted.get(key, [])[:k]
        score += 1.0 / (top.index(word) + 1) if word in top else 0.0
    return score / len(truth)


def kaggle_classes(train_folder) -> list[str]:
    """The classes of a Kaggle `train_simplified/` folder (its `<class>.csv` file names; the
    competition has 340 of the 345)."""
    from seqdoodle.datasets.plan import class_files

    return [c for c, p in class_files(train_folder).items() if p.suffix == ".csv"]

"""Kaggle's Quick, Draw! Doodle Recognition Challenge: submissions, MAP@3 and its 340 classes.

A submission is `key_id,word` with the top 3 classes of each test row, spaces inside class names
written as underscores (`The_Eiffel_Tower`). The CSV files themselves are read and written by the
format module `seqdoodle.datasets.formats.kaggle_csv`, whose names stay importable from here.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from seqdoodle.datasets.formats import FORMATS
from seqdoodle.datasets.formats.kaggle_csv import (  # noqa: F401 (kept importable from here)
    TEST_COLUMNS,
    TRAIN_COLUMNS,
    KaggleCsvReader,
    kaggle_row,
    read_kaggle_csv,
    write_kaggle_csv,
)
from seqdoodle.datasets.plan import class_files
from seqdoodle.errors import DataFormatError


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
    return [c for c, p in class_files(train_folder).items() if FORMATS["kaggle-csv"].matches(p)]

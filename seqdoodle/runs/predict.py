"""Predict with a run on files (`predict`), a prepared split or a class folder.

`predict` reads inputs with `seqdoodle.runs.inputs`, batches them through `Run.predict_proba` and
returns each drawing's top classes; `dataset_predictions` and `folder_predictions` pair
predictions with true labels for `evaluate`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqdoodle.datasets.records import Drawing
from seqdoodle.errors import DataFormatError
from seqdoodle.runs.inputs import check_inputs_for, input_size, iter_inputs

# Stroke formats read by `datasets.plan.open_reader`; accepted as files, not picked up from folders
# (a folder's `.npz`/`.csv` may well be predictions or reports).
STREAM_BATCH = 1024  # drawings read and predicted at a time by `iter_predictions`


def top_classes(probs: np.ndarray, classes, top_k: int = 3) -> list[list[tuple[str, float]]]:
    """The `top_k` best classes of each row with their probabilities, best first.

    Args:
        probs: `(n, k)` float array.
        classes: list of k str.
        top_k: int. Classes per row; at most k are given. Defaults to 3.

    Returns:
        list of n lists of `(class, probability)`.

    Example:
    >>> top_classes(np.array([[0.1, 0.7, 0.2]]), ["a", "b", "c"], top_k=2)
    [[('b', 0.7), ('c', 0.2)]]
    """
    if top_k < 1:
        raise DataFormatError(f"top_k must be at least 1, got {top_k}")
    probs = np.asarray(probs)
    order = np.argsort(-probs, axis=1, kind="stable")[:, : min(top_k, probs.shape[1])]
    return [[(classes[j], float(probs[i, j])) for j in row] for i, row in enumerate(order)]


def iter_predictions(
    run, paths, top_k: int = 3, notes: list | None = None, batch_size: int = STREAM_BATCH
) -> Iterator[dict]:
    """`predict`, streaming: inputs are read and classified `batch_size` drawings at a time.

    Memory stays at one batch whatever the size of the inputs; results come in input order.
    Images are made into bitmaps at the run's own size (`input_size(run)`).

    Args: as `predict`, and
        batch_size: int. Drawings read and predicted at a time. Defaults to `STREAM_BATCH`.

    Yields:
        dict per drawing, as `predict` returns them.
    """
    if top_k < 1:
        raise DataFormatError(f"top_k must be at least 1, got {top_k}")
    if batch_size < 1:
        raise DataFormatError(f"batch_size must be at least 1, got {batch_size}")
    from seqdoodle.runs.ensemble import members_of

    members = members_of(run)  # a run, or an ensemble's runs: each must take the inputs
    for member in members:
        check_inputs_for(member, paths)
    batch: list[Drawing] = []
    for drawing in iter_inputs(paths, notes=notes, size=input_size(members[0])):
        batch.append(drawing)
        if len(batch) == batch_size:
            yield from _predict_batch(run, batch, top_k)
            batch = []
    if batch:
        yield from _predict_batch(run, batch, top_k)


def _predict_batch(run, drawings: list[Drawing], top_k: int) -> list[dict]:
    probs = run.predict_proba(drawings)
    tops = top_classes(probs, run.classes, top_k)
    return [
        {"source": d.source, "word": d.word or None, "top": top}
        for d, top in zip(drawings, tops, strict=True)
    ]


def predict(run, paths, top_k: int = 3, notes: list | None = None) -> list[dict]:
    """Classify every drawing in the given files with a run.

    Args:
        run: `Run` or `Ensemble` (see `seqdoodle.runs.ensemble.load_model`).
        paths: list of str or PathLike. `.npy`, `.ndjson`, PNG/JPEG files or folders of them.
        top_k: int. Classes to report per drawing. Defaults to 3.
        notes: list or None. Receives a line for each ndjson file with skipped lines.
            Defaults to None.

    Returns:
        list of dicts, one per drawing: `{"source": str, "word": str or None (the ndjson word
        field), "top": [(class, probability), ...]}`. (`iter_predictions` yields the same one
        batch at a time.)

    Raises:
        DataFormatError: a stroke run given images or `.npy` bitmaps, or unreadable inputs.

    Example:
    >>> from seqdoodle.runs.folder import load_run  # doctest: +SKIP
    >>> predict(load_run("runs/cnn"), ["cat.png"])[0]["top"][0]  # doctest: +SKIP
    ('cat', 0.93)
    """
    return list(iter_predictions(run, paths, top_k=top_k, notes=notes))


# ----------------------------------------------------------------------------- labelled data


@dataclass
class LabelledPredictions:
    """A run's probabilities on labelled drawings, ready for `evaluation.evaluate_predictions`.

    Args:
        y_true: `(n,) int64` true classes as indices into the run's classes.
        probs: `(n, len(run.classes)) float32` probabilities.
        ids: `(n,)` array: dataset rows (int64) or drawing sources (str).
        notes: list of str. What was skipped and why (one line each).
    """

    y_true: np.ndarray
    probs: np.ndarray
    ids: np.ndarray
    notes: list[str] = field(default_factory=list)


def _class_positions(run, classes, where: str, notes: list[str]) -> dict[str, int]:
    """Map the classes found in `where` to the run's class indices; note the ones it lacks."""
    known = {c: i for i, c in enumerate(run.classes)}
    unknown = [c for c in classes if c not in known]
    if len(unknown) == len(classes):
        raise DataFormatError(
            f"{where}: none of its classes ({_names(classes)}) is one of the run's "
            f"{len(run.classes)} classes ({_names(run.classes)})"
        )
    if unknown:
        notes.append(
            f"{where}: skipped {len(unknown)} classes the run does not know: {_names(unknown)}"
        )
    return {c: known[c] for c in classes if c in known}


def _names(names, shown: int = 8) -> str:
    names = list(names)
    more = f", ... ({len(names) - shown} more)" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def dataset_predictions(
    run, dataset, split: str = "test", batch_size: int = 256, progress: Callable | None = None
) -> LabelledPredictions:
    """Predict one split of a prepared dataset with a run.

    Classes of the dataset that the run does not know are skipped (and noted); labels are mapped
    to the run's class order by name. A note also says when the dataset is not the one the run
    was trained on (its manifest hash differs), since its test split may then hold training
    drawings.

    Args:
        run: `Run` or `Ensemble`.
        dataset: `PreparedDataset`.
        split: str. `"train"`, `"val"` or `"test"`. Defaults to `"test"`.
        batch_size: int. Drawings per model call. Defaults to 256.
        progress: callable or None. Called with the number of drawings done after each batch.
            Defaults to None.

    Returns:
        `LabelledPredictions` with dataset rows as `ids`.

    Raises:
        DataFormatError: the split is empty, no class is shared, or a stroke run on a
            bitmaps-only dataset.

    Example:
    >>> from seqdoodle.datasets.prepared import PreparedDataset  # doctest: +SKIP
    >>> lp = dataset_predictions(load_run("runs/cnn"), PreparedDataset("ds"))  # doctest: +SKIP
    """
    from seqdoodle.fileio import sha256_file

    notes: list[str] = []
    trained_on = (run.config.get("dataset") or {}).get("manifest_sha256")
    if trained_on and sha256_file(dataset.path / "manifest.json") != trained_on:
        notes.append(
            f"{dataset.path}: not the dataset {run.path} was trained on (manifest differs); "
            "its splits may overlap the run's training drawings"
        )
    positions = _class_positions(run, dataset.classes, str(dataset.path), notes)
    to_run = np.full(len(dataset.classes), -1, dtype=np.int64)
    for c, i in positions.items():
        to_run[dataset.classes.index(c)] = i
    rows = dataset.indices(split)
    rows = rows[to_run[dataset.labels[rows]] >= 0]
    if rows.size == 0:
        raise DataFormatError(
            f"{dataset.path}: the {split} split has no drawings of the run's classes"
        )
    probs = run.predict_proba_dataset(dataset, rows, batch_size=batch_size, progress=progress)
    return LabelledPredictions(to_run[dataset.labels[rows]], probs, rows, notes)


def folder_drawings(run, folder, per_class: int | None = None) -> tuple[list, np.ndarray, list]:
    """Read every drawing of every class file in a folder whose class the run knows.

    Args:
        run: `Run` or `Ensemble` (strokes are needed when any member needs them).
        folder: str or PathLike. Google's layout: `<class>.ndjson` and/or `<class>.npy` files.
        per_class: int or None. At most this many drawings per class (the first ones).
            Defaults to None (all).

    Returns:
        `(drawings, y_true, notes)`: list of `Drawing`, `(n,) int64` run class indices, and
        notes on skipped classes, files and lines.

    Raises:
        MissingFileError: no such folder, or no class files in it.
        DataFormatError: no class is shared with the run, or a stroke run on a bitmaps-only
            folder.
    """
    from seqdoodle.datasets.categories import all_categories
    from seqdoodle.datasets.readers import class_files, iter_drawings
    from seqdoodle.runs.ensemble import members_of

    folder = Path(folder)
    if per_class is not None and per_class < 1:
        raise DataFormatError(f"per_class must be at least 1, got {per_class}")
    files = class_files(folder, known=tuple(dict.fromkeys([*all_categories(), *run.classes])))
    notes: list[str] = []
    stroke_run = next((m for m in members_of(run) if m.model_kind.needs_strokes), None)
    if stroke_run is not None:
        title = stroke_run.model_kind.title
        bitmap_only = [c for c, p in files.items() if p.name.endswith(".npy")]
        if len(bitmap_only) == len(files):
            raise DataFormatError(
                f"{folder}: holds only bitmaps (.npy); the {title} {stroke_run.path} "
                "needs strokes (.ndjson files)"
            )
        if bitmap_only:
            notes.append(
                f"{folder}: skipped {len(bitmap_only)} bitmap-only classes (.npy) the "
                f"{title} cannot read: {_names(bitmap_only)}"
            )
            files = {c: p for c, p in files.items() if c not in bitmap_only}
    positions = _class_positions(run, list(files), str(folder), notes)
    drawings, labels = [], []
    for cls, index in positions.items():
        reader = iter_drawings(files[cls], limit=per_class, word=cls)
        found = list(reader)
        if reader.summary.n_skipped:
            notes.append(str(reader.summary))
        drawings.extend(found)
        labels.extend([index] * len(found))
    if not drawings:
        raise DataFormatError(f"{folder}: no valid drawings of the run's classes")
    return drawings, np.asarray(labels, dtype=np.int64), notes


def folder_predictions(
    run,
    folder,
    per_class: int | None = None,
    batch_size: int = 256,
    progress: Callable | None = None,
) -> LabelledPredictions:
    """Predict every drawing of a class folder (see `folder_drawings`) with a run.

    A bitmap run renders ndjson drawings and reads `.npy` rows as they are; a stroke run reads
    ndjson drawings only.

    Args:
        run: `Run`.
        folder: str or PathLike. Folder of `<class>.ndjson` / `<class>.npy` files.
        per_class: int or None. At most this many drawings per class. Defaults to None (all).
        batch_size: int. Drawings per model call. Defaults to 256.
        progress: callable or None. Called with the number of drawings done after each batch.
            Defaults to None.

    Returns:
        `LabelledPredictions` with drawing sources (`"cat.ndjson:12"`, `"cat.npy[3]"`) as `ids`.

    Example:
    >>> lp = folder_predictions(load_run("runs/cnn"), "data/simplified", 100)  # doctest: +SKIP
    """
    drawings, y_true, notes = folder_drawings(run, folder, per_class)
    probs = run.predict_proba(drawings, batch_size=batch_size, progress=progress)
    ids = np.asarray([d.source or "" for d in drawings], dtype=np.str_)
    return LabelledPredictions(y_true, probs, ids, notes)

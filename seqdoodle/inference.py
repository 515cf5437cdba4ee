"""Predict with a run on any input: `.npy` bitmap rows, stroke files, PNG/JPEG images.

Stroke files: `.ndjson` (Google), and given by name, Kaggle `.csv`, sketch-rnn `.npz` and Google's
binary `.bin` (read by `seqdoodle.datasets.plan.open_reader`).

Inputs become `Drawing` records (`load_inputs`), which `Run.predict_proba` preprocesses exactly as
in training: a bitmap model renders strokes and takes bitmaps and images as they are, a stroke model
needs strokes, so it refuses images and `.npy` files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqdoodle.datasets.records import Drawing
from seqdoodle.errors import DataFormatError, MissingFileError
from seqdoodle.images import IMAGE_SUFFIXES, image_to_bitmap, is_image_path

NDJSON_SUFFIXES = (".ndjson", ".ndjson.gz")
# Stroke formats read by `datasets.plan.open_reader`; accepted as files, not picked up from folders
# (a folder's `.npz`/`.csv` may well be predictions or reports).
STROKE_FILE_READERS = ("kaggle", "sketchrnn", "binary")
INPUT_SUFFIXES = (".npy", *NDJSON_SUFFIXES, *IMAGE_SUFFIXES)
STROKE_INPUTS = ("ndjson", "strokes")
STREAM_BATCH = 1024  # drawings read and predicted at a time by `iter_predictions`


def _input_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".npy"):
        return "npy"
    if name.endswith(NDJSON_SUFFIXES):
        return "ndjson"
    if is_image_path(path):
        return "image"
    from seqdoodle.datasets.plan import file_kind

    if file_kind(path) in STROKE_FILE_READERS:
        return "strokes"
    raise DataFormatError(
        f"{path}: unsupported input; give .npy bitmap rows, .ndjson drawings (or Kaggle .csv, "
        "sketch-rnn .npz, binary .bin) or a PNG/JPEG image"
    )


def expand_inputs(paths) -> list[Path]:
    """The input files named by `paths`; a folder stands for its supported files, sorted.

    Args:
        paths: list of str or PathLike. Files or folders.

    Returns:
        list of Path.

    Raises:
        MissingFileError: a path does not exist, or a folder holds no supported file.
        DataFormatError: a file of an unsupported type.
    """
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.is_file()
                and not p.name.startswith(".")
                and p.name.lower().endswith(INPUT_SUFFIXES)
            )
            if not found:
                raise MissingFileError(
                    f"{path}: no .npy, .ndjson, .png or .jpg files in the folder"
                )
            files.extend(found)
        elif not path.exists():
            raise MissingFileError(f"{path}: no such file")
        else:
            _input_kind(path)
            files.append(path)
    if not files:
        raise MissingFileError("no input files given")
    return files


def _npy_drawings(path: Path) -> Iterator[Drawing]:
    from seqdoodle.datasets.readers import read_bitmaps

    rows = read_bitmaps(path)  # checks dtype uint8 and shape (n, 784) or (n, 28, 28); a memmap
    for i in range(len(rows)):
        bitmap = np.asarray(rows[i]).reshape(28, 28)
        yield Drawing(word="", bitmap=bitmap, source=f"{path.name}[{i}]")


def _ndjson_drawings(path: Path, notes: list | None) -> Iterator[Drawing]:
    from seqdoodle.datasets.readers import read_drawings

    reader = read_drawings(path)
    n = 0
    for drawing in reader:
        n += 1
        yield drawing
    if notes is not None and reader.summary.n_skipped:
        notes.append(str(reader.summary))
    if not n:
        raise DataFormatError(f"{path}: no valid drawings ({reader.summary})")


def _stroke_file_drawings(path: Path, notes: list | None) -> Iterator[Drawing]:
    from seqdoodle.datasets.plan import open_reader

    reader = open_reader(path)
    n = 0
    for i, d in enumerate(reader):
        d.source = d.source or f"{path.name}[{i}]"
        n += 1
        yield d
    summary = getattr(reader, "summary", None)
    if notes is not None and summary is not None and summary.n_skipped:
        notes.append(str(summary))
    if not n:
        raise DataFormatError(f"{path}: no valid drawings ({summary})")


def iter_inputs(paths, notes: list | None = None, size: int = 28) -> Iterator[Drawing]:
    """`load_inputs`, one drawing at a time: files are opened in turn and read as they are used.

    Args: as `load_inputs`.

    Yields:
        `Drawing`, in the order of `paths` (and of rows/lines within a file).
    """
    for path in expand_inputs(paths):
        kind = _input_kind(path)
        if kind == "npy":
            yield from _npy_drawings(path)
        elif kind == "ndjson":
            yield from _ndjson_drawings(path, notes)
        elif kind == "strokes":
            yield from _stroke_file_drawings(path, notes)
        else:
            bitmap = image_to_bitmap(path, size=size)
            yield Drawing(word="", bitmap=bitmap, source=path.name)


def load_inputs(paths, notes: list | None = None, size: int = 28) -> list[Drawing]:
    """Read prediction inputs of any supported type as `Drawing` records.

    - `.npy`: each row is a drawing, `(n, 784)` or `(n, 28, 28)` uint8 (0 background, 255 ink);
      `source` is `"file.npy[i]"`.
    - `.ndjson` / `.ndjson.gz`: simplified or raw drawings; bad lines are skipped and counted
      (see `notes`); `source` is `"file.ndjson:line"` and `word` the file's word field.
    - `.png` / `.jpg` / `.jpeg`: one drawing made to look like a Quick, Draw! bitmap of `size`
      pixels (`images.image_to_bitmap`); `source` is the file name.
    - `.csv` (Kaggle), `.npz` (sketch-rnn), `.bin` (Google's binary), named as files: their
      drawings with the format their reader records; `source` is the reader's or `"file[i]"`.

    Args:
        paths: list of str or PathLike. Files, or folders of such files.
        notes: list or None. When a list, one line is appended for each ndjson file with skipped
            lines. Defaults to None.
        size: int. Side of the bitmaps made from images (a run's own size: `input_size(run)`).
            Defaults to 28.

    Returns:
        list of `Drawing`, in the order of `paths` (and of rows/lines within a file). `word` is
        `""` where the input does not say.

    Raises:
        MissingFileError: a path does not exist.
        DataFormatError: an unsupported file type, an unreadable image, an `.npy` of the wrong
            dtype or shape, or an ndjson file with no valid drawing.

    Example:
    >>> drawings = load_inputs(["cat.png", "dogs.ndjson"])  # doctest: +SKIP
    >>> drawings[0].source, drawings[0].bitmap.shape  # doctest: +SKIP
    ('cat.png', (28, 28))
    """
    return list(iter_inputs(paths, notes=notes, size=size))


def input_size(run) -> int:
    """The bitmap side a run takes (28 unless it was trained on another `--size`)."""
    size = (run.input_config or {}).get("size")
    return int(size) if size else 28


def check_inputs_for(run, paths) -> None:
    """Refuse, with one line, inputs that a stroke run cannot take (images, `.npy` bitmaps).

    Args:
        run: `Run`.
        paths: list of str or PathLike. Files or folders.

    Raises:
        DataFormatError: a stroke run given an image or bitmap file.
    """
    if not run.model_kind.needs_strokes:
        return
    from seqdoodle.kinds import all_kinds, choices_text

    bitmap_kinds = choices_text([k.name for k in all_kinds() if not k.needs_strokes])
    for path in expand_inputs(paths):
        if _input_kind(path) not in STROKE_INPUTS:
            raise DataFormatError(
                f"{path}: the {run.model_kind.title} {run.path} needs strokes (.ndjson drawings); "
                f"images and .npy bitmaps work only with a bitmap ({bitmap_kinds}) run"
            )


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
    check_inputs_for(run, paths)
    batch: list[Drawing] = []
    for drawing in iter_inputs(paths, notes=notes, size=input_size(run)):
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
        run: `Run` (see `artifacts.load_run`).
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
    >>> from seqdoodle.artifacts import load_run  # doctest: +SKIP
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
        run: `Run`.
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
    from seqdoodle.batches import predict_dataset

    probs = predict_dataset(run, dataset, rows, batch_size=batch_size, progress=progress)
    return LabelledPredictions(to_run[dataset.labels[rows]], probs, rows, notes)


def folder_drawings(run, folder, per_class: int | None = None) -> tuple[list, np.ndarray, list]:
    """Read every drawing of every class file in a folder whose class the run knows.

    Args:
        run: `Run`.
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
    from seqdoodle.categories import all_categories
    from seqdoodle.datasets.readers import class_files, iter_drawings

    folder = Path(folder)
    if per_class is not None and per_class < 1:
        raise DataFormatError(f"per_class must be at least 1, got {per_class}")
    files = class_files(folder, known=tuple(dict.fromkeys([*all_categories(), *run.classes])))
    notes: list[str] = []
    if run.model_kind.needs_strokes:
        bitmap_only = [c for c, p in files.items() if p.name.endswith(".npy")]
        if len(bitmap_only) == len(files):
            raise DataFormatError(
                f"{folder}: holds only bitmaps (.npy); the {run.model_kind.title} {run.path} "
                "needs strokes (.ndjson files)"
            )
        if bitmap_only:
            notes.append(
                f"{folder}: skipped {len(bitmap_only)} bitmap-only classes (.npy) the "
                f"{run.model_kind.title} cannot read: {_names(bitmap_only)}"
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

"""A run's inputs from files: `.npy` bitmap rows, stroke files, PNG/JPEG images.

Stroke and bitmap files are read by the table of formats (`seqdoodle.datasets.formats`), whose
readers check every drawing with the one validator (`validate_strokes`): `.ndjson`, `.npy` and,
given by name, Kaggle `.csv`, sketch-rnn `.npz` and Google's binary `.bin`.

Inputs become `Drawing` records (`load_inputs`), which `Run.predict_proba` preprocesses exactly as
in training: a bitmap model renders strokes and takes bitmaps and images as they are, a stroke model
needs strokes, so it refuses images and `.npy` files.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from seqdoodle.datasets.formats import FORMATS, format_for, open_reader
from seqdoodle.datasets.images import IMAGE_SUFFIXES, image_to_bitmap, is_image_path
from seqdoodle.datasets.records import Drawing
from seqdoodle.errors import DataFormatError, MissingFileError

# Formats a folder stands for; the others are accepted as files, not picked up from folders
# (a folder's `.npz`/`.csv` may well be predictions or reports).
FOLDER_FORMATS = ("ndjson", "numpy-bitmap")
STROKE_FILE_READERS = tuple(name for name in FORMATS if name not in FOLDER_FORMATS)
NDJSON_SUFFIXES = FORMATS["ndjson"].suffixes
INPUT_SUFFIXES = (*(s for f in FOLDER_FORMATS for s in FORMATS[f].suffixes), *IMAGE_SUFFIXES)
STROKE_INPUTS = ("strokes",)  # input kinds a stroke run takes


def _input_kind(path: Path) -> str:
    """The input's kind: its format's ("strokes" or "bitmaps"), or "image"."""
    fmt = format_for(path)
    if fmt is not None:
        return fmt.kind
    if is_image_path(path):
        return "image"
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
    from seqdoodle.datasets.formats.numpy_bitmap import read_bitmaps

    rows = read_bitmaps(path)  # checks dtype uint8 and shape (n, 784) or (n, 28, 28); a memmap
    if not len(rows):  # as `prepare` and an empty .ndjson: a file of nothing is a mistake
        raise DataFormatError(f"{path}: no valid drawings (0 bitmap rows)")
    for i in range(len(rows)):
        bitmap = np.asarray(rows[i]).reshape(28, 28)
        yield Drawing(word="", bitmap=bitmap, source=f"{path.name}[{i}]")


def _stroke_file_drawings(path: Path, notes: list | None) -> Iterator[Drawing]:
    reader = open_reader(path)
    n = 0
    for drawing in reader:
        n += 1
        yield drawing
    if notes is not None and reader.summary.n_skipped:
        notes.append(str(reader.summary))
    if not n:
        raise DataFormatError(f"{path}: no valid drawings ({reader.summary})")


def iter_inputs(paths, notes: list | None = None, size: int = 28) -> Iterator[Drawing]:
    """`load_inputs`, one drawing at a time: files are opened in turn and read as they are used.

    Args: as `load_inputs`.

    Yields:
        `Drawing`, in the order of `paths` (and of rows/lines within a file).
    """
    for path in expand_inputs(paths):
        kind = _input_kind(path)
        if kind == "bitmaps":
            yield from _npy_drawings(path)
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
    """The bitmap side images become for a run: its kind's `input_size` (28 unless it says)."""
    return run.model_kind.input_size(run.input_config)


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


# ----------------------------------------------------------------------------- labelled data

"""Where drawings come from: the per-class files of source folders and the one source plan that
`prepare`, `convert` and `analyze` all follow.

Decisions:
- A file's format is its suffix, looked up in the table (`seqdoodle.datasets.formats`). Any
  `--source` folder may hold files of any format.
- The class of a per-class file is its name (`cat.csv`, `full_binary_cat.bin` -> "cat").
- A metadata filter (`filters.Filter`) keeps drawings by `recognized` and `countrycode`; formats
  without those fields (numpy_bitmap rows, sketch-rnn) are refused with a filter rather than
  emptied.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from seqdoodle.datasets.categories import all_categories, check_class

# Their home before the table of formats; kept importable from here.
from seqdoodle.datasets.filters import Filter, FilteredReader, make_filter  # noqa: F401
from seqdoodle.datasets.formats import class_name_of, format_for, open_reader  # noqa: F401
from seqdoodle.errors import DataFormatError, MissingFileError, UnknownClassError

SYNTHETIC = "synthetic"


def class_files(folder: str | os.PathLike, known=None) -> dict[str, Path]:
    """The per-class data files in a folder laid out as Google's: class name -> path.

    Recognised names: `<class>` with any suffix of the table of formats (`.npy`, `.ndjson`,
    `.ndjson.gz`, `.csv`, `.npz`, `.bin`) and the bucket-style `full_numpy_bitmap_<class>.npy`,
    `full_simplified_<class>.ndjson`, `full_raw_<class>.ndjson`, `full_binary_<class>.bin`.
    Hidden files, `.part` downloads and other files are ignored.

    Args:
        folder: str or PathLike. The folder (not searched recursively).
        known: list of str or None. Allowed class names. Defaults to the 345 categories.

    Returns:
        dict from class name to Path, sorted by class name.

    Raises:
        MissingFileError: the folder does not exist or holds no class files.
        UnknownClassError: a file names an unknown class (with close-match suggestions).
        DataFormatError: two files for one class.

    Example:
    >>> sorted(class_files("data/simplified"))[:2]  # doctest: +SKIP
    ['The Eiffel Tower', 'cat']
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingFileError(f"{folder}: no such folder")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or format_for(path) is None or not path.is_file():
            continue
        name = class_name_of(path)
        try:
            check_class(name, known)
        except UnknownClassError as e:
            raise type(e)(f"{path}: {e}") from None
        if name in found:
            raise DataFormatError(
                f"{folder}: two files for class {name!r}: {found[name].name}, {path.name}"
            )
        found[name] = path
    if not found:
        subfolders = sorted(p.name for p in folder.iterdir() if p.is_dir())
        hint = f" (subfolders: {', '.join(subfolders)})" if subfolders else ""
        raise MissingFileError(
            f"{folder}: no class files (<class>.npy, <class>.ndjson, .csv, .npz, .bin) in this "
            f"folder{hint}"
        )
    return dict(sorted(found.items()))


# ----------------------------------------------------------------------------- the source plan


@dataclass
class ClassSource:
    """Where one class's drawings come from.

    Args:
        kind: str. "synthetic", "bitmap" (only `.npy` files), "strokes" (only stroke files) or
            "mixed" (both; `analyze` reads them, `prepare` refuses them).
        files: list of Path. The class's files in the order the folders were given.
    """

    kind: str
    files: list[Path] = field(default_factory=list)


def source_plan(source, classes=None, where: Filter | None = None) -> dict[str, ClassSource]:
    """Map each class (in Google's order, or the order of `classes`) to its files.

    Args:
        source: str, path or list of them. A folder of per-class files, several folders, or
            `"synthetic"`.
        classes: list of str or None. Classes to take; None takes every class found.
        where: Filter or None. Checked here: formats without metadata cannot be filtered.

    Returns:
        dict from class name to `ClassSource`.

    Raises:
        MissingFileError: a folder is missing, holds no class files or lacks a requested class.
        UnknownClassError: a requested class is not a Quick, Draw! (or synthetic) class.
        DataFormatError: `"synthetic"` mixed with folders, or a filter on bitmap/sketch-rnn files.
    """
    if isinstance(source, (str, os.PathLike)) and str(source) == SYNTHETIC:
        from seqdoodle.datasets.synthetic import SYNTHETIC_CLASSES

        names = SYNTHETIC_CLASSES if classes is None else classes
        return {check_class(c, SYNTHETIC_CLASSES): ClassSource(SYNTHETIC) for c in names}
    folders = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    if not folders:
        raise MissingFileError("no source folder given")
    if any(str(f) == SYNTHETIC for f in folders):
        raise DataFormatError("'synthetic' cannot be combined with source folders")
    found: dict[str, list[Path]] = {}
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise MissingFileError(f"{folder}: no such source folder")
        for name, path in class_files(folder).items():
            found.setdefault(name, []).append(Path(path))
    if classes is None:
        order = {c: i for i, c in enumerate(all_categories())}
        names = sorted(found, key=lambda c: order.get(c, len(order)))
    else:
        names = []
        for c in classes:
            check_class(c)
            if c not in found:
                where_ = ", ".join(str(f) for f in folders)
                raise MissingFileError(
                    f"class {c!r}: no <class>.npy or <class>.ndjson file (nor .csv, .npz, .bin) "
                    f"in {where_}"
                )
            names.append(c)
    plan = {}
    for name in names:
        formats = [format_for(p) for p in found[name]]
        if where is not None and where.active:
            for path, fmt in zip(found[name], formats):
                if not fmt.metadata:
                    raise DataFormatError(
                        f"{path}: {fmt.name} files carry no recognized or countrycode field; "
                        f"cannot filter by {where}"
                    )
        kinds = {fmt.kind for fmt in formats}
        kind = "bitmap" if kinds == {"bitmaps"} else "mixed" if "bitmaps" in kinds else "strokes"
        plan[name] = ClassSource(kind, found[name])
    return plan

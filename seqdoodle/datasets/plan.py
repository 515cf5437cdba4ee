"""Where drawings come from: file formats by extension, per-class files, metadata filters and the
one source plan that `prepare` and `analyze` both follow.

Decisions:
- A file's format is its extension: `.ndjson` / `.ndjson.gz` (Google's simplified or raw
  strokes), `.npy` (numpy_bitmap rows), `.csv` (Kaggle's train or test CSV), `.npz` (sketch-rnn)
  and `.bin` (Google's binary format). Any `--source` folder may hold any of them.
- The class of a per-class file is its name (`cat.csv`, `full_binary_cat.bin` -> "cat").
- A metadata filter (`Filter`) keeps drawings by `recognized` and `countrycode`; formats without
  those fields (numpy_bitmap rows, sketch-rnn) are refused with a filter rather than emptied.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from seqdoodle.datasets.categories import all_categories, check_class
from seqdoodle.errors import DataFormatError, MissingFileError, UnknownClassError

SYNTHETIC = "synthetic"
# file suffix -> reader ("bitmap" files hold no strokes)
SUFFIXES = {
    ".ndjson.gz": "ndjson",
    ".ndjson": "ndjson",
    ".npy": "bitmap",
    ".csv": "kaggle",
    ".npz": "sketchrnn",
    ".bin": "binary",
}
NO_METADATA = ("bitmap", "sketchrnn")  # readers whose drawings have no recognized/countrycode
# Google's bucket-style file names, e.g. full_numpy_bitmap_cat.npy, full_simplified_cat.ndjson.
_BUCKET_PREFIX = re.compile(r"^full_(numpy_bitmap|simplified|raw|binary)_")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def file_kind(path: str | os.PathLike) -> str | None:
    """The reader for a file name ("ndjson", "bitmap", "kaggle", "sketchrnn", "binary"), or None.

    Example:
    >>> file_kind("train_simplified/cat.csv"), file_kind("notes.txt")
    ('kaggle', None)
    """
    name = Path(path).name.lower()
    return next((kind for suffix, kind in SUFFIXES.items() if name.endswith(suffix)), None)


def class_name_of(path: str | os.PathLike) -> str:
    """The class a file name stands for, in Google's layouts (not checked against the 345).

    Example:
    >>> class_name_of("full_simplified_The Eiffel Tower.ndjson")
    'The Eiffel Tower'
    """
    name = Path(path).name
    for suffix in SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return _BUCKET_PREFIX.sub("", name)


def class_files(folder: str | os.PathLike, known=None) -> dict[str, Path]:
    """The per-class data files in a folder laid out as Google's: class name -> path.

    Recognised names: `<class>` with any suffix of `SUFFIXES` (`.npy`, `.ndjson`, `.ndjson.gz`,
    `.csv`, `.npz`, `.bin`) and the bucket-style `full_numpy_bitmap_<class>.npy`,
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
        if path.name.startswith(".") or file_kind(path) is None or not path.is_file():
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


# ----------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class Filter:
    """Keep drawings by their metadata.

    Args:
        recognized_only: bool. Keep only drawings Google's model recognised (`recognized` True).
        countries: tuple of str or None. Keep only these two-letter country codes.

    Example:
    >>> from seqdoodle.datasets.records import Drawing
    >>> Filter(countries=("US",)).keep(Drawing("cat", countrycode="US", recognized=False))
    True
    """

    recognized_only: bool = False
    countries: tuple[str, ...] | None = None

    @property
    def active(self) -> bool:
        """True when the filter leaves anything out."""
        return self.recognized_only or self.countries is not None

    def keep(self, drawing) -> bool:
        """Whether `drawing` passes (unknown `recognized` or country do not pass)."""
        if self.recognized_only and drawing.recognized is not True:
            return False
        return self.countries is None or drawing.countrycode in self.countries

    def to_json(self) -> dict:
        """The filter as recorded in a dataset's manifest."""
        return {"recognized_only": self.recognized_only, "countries": self.countries}

    def __str__(self) -> str:
        parts = ["recognized only"] if self.recognized_only else []
        if self.countries is not None:
            parts.append(f"countries {','.join(self.countries)}")
        return " and ".join(parts) or "no filter"


def make_filter(recognized_only: bool = False, countries=None) -> Filter:
    """A `Filter` from CLI-style options; `countries` may be `"US,GB"` or a list.

    Raises:
        DataFormatError: a country is not a two-letter upper-case code.

    Example:
    >>> make_filter(countries="us, GB").countries
    ('US', 'GB')
    """
    if countries is None:
        return Filter(bool(recognized_only), None)
    items = countries.split(",") if isinstance(countries, str) else list(countries)
    codes = []
    for item in items:
        code = str(item).strip().upper()
        if not code:
            continue
        if not _COUNTRY.match(code):
            raise DataFormatError(f"country {item!r}: not a two-letter country code such as US")
        if code not in codes:
            codes.append(code)
    if not codes:
        raise DataFormatError("--countries: no country code given")
    return Filter(bool(recognized_only), tuple(codes))


class FilteredReader:
    """A reader that passes on only the drawings a `Filter` keeps, up to `limit` of them."""

    def __init__(self, reader, where: Filter, limit: int | None):
        self.reader, self.where, self.limit = reader, where, limit

    @property
    def summary(self):
        return self.reader.summary

    def __iter__(self) -> Iterator:
        kept = filtered = 0
        if self.limit == 0:
            return
        for drawing in self.reader:
            if not self.where.keep(drawing):
                filtered += 1
                self.reader.summary.n_filtered = filtered
                continue
            kept += 1
            yield drawing
            if self.limit is not None and kept >= self.limit:
                return


def open_reader(
    path: str | os.PathLike,
    limit: int | None = None,
    strict: bool = False,
    word: str | None = None,
    where: Filter | None = None,
):
    """The streaming reader of any supported file, chosen by its extension (see `SUFFIXES`).

    Args:
        path: str or PathLike. The file.
        limit: int or None. Drawings to yield (after the filter). Defaults to None (all).
        strict: bool. Raise at the first bad line or record instead of skipping it.
        word: str or None. The class of files whose records carry no word (`.npy`, `.npz`,
            `.bin`). Defaults to the class in the file name.
        where: Filter or None. Keep only the drawings it passes. Defaults to None (all).

    Returns:
        An iterable of `Drawing` (each with `fmt` set) with a `summary` (`ReadSummary`).

    Raises:
        DataFormatError: an unsupported extension, or a filter on a format without metadata.
    """
    path = Path(path)
    kind = file_kind(path)
    if kind is None:
        raise DataFormatError(
            f"{path}: unsupported file; use {', '.join(SUFFIXES)} (see docs/formats.md)"
        )
    active = where is not None and where.active
    if active and kind in NO_METADATA:
        raise DataFormatError(
            f"{path}: {kind} files carry no recognized or countrycode field; cannot filter by "
            f"{where}"
        )
    inner_limit = None if active else limit
    word = word or class_name_of(path)
    if kind == "bitmap":
        from seqdoodle.datasets.readers import BitmapDrawingReader

        reader = BitmapDrawingReader(path, inner_limit, word)
    elif kind == "ndjson":
        from seqdoodle.datasets.readers import read_drawings

        reader = read_drawings(path, limit=inner_limit, strict=strict)
    elif kind == "kaggle":
        from seqdoodle.datasets.kaggle import read_kaggle_csv

        reader = read_kaggle_csv(path, limit=inner_limit, strict=strict)
    elif kind == "sketchrnn":
        from seqdoodle.datasets.sketchrnn import read_sketchrnn

        reader = read_sketchrnn(path, limit=inner_limit, strict=strict, word=word)
    else:
        from seqdoodle.datasets.binary import read_binary

        reader = read_binary(path, limit=inner_limit, strict=strict, word=word)
    return FilteredReader(reader, where, limit) if active else reader


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
        kinds = {file_kind(p) for p in found[name]}
        if where is not None and where.active and kinds & set(NO_METADATA):
            bad = next(p for p in found[name] if file_kind(p) in NO_METADATA)
            raise DataFormatError(
                f"{bad}: {file_kind(bad)} files carry no recognized or countrycode field; "
                f"cannot filter by {where}"
            )
        kind = "bitmap" if kinds == {"bitmap"} else "mixed" if "bitmap" in kinds else "strokes"
        plan[name] = ClassSource(kind, found[name])
    return plan

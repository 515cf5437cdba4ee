"""The prepared dataset folder that both models read (layout: docs/architecture.md).

`DatasetWriter` writes it one class at a time (resumable parts, then one assembly pass that streams
the parts into the final `.npy` files), so memory holds at most one class.
`PreparedDataset` opens it with memory-mapped arrays and checks it against its manifest.
"""

from __future__ import annotations

import json
import shutil
import tokenize
from pathlib import Path

import numpy as np

from seqdoodle.errors import DataFormatError, IntegrityError, MissingFileError
from seqdoodle.fileio import atomic_write, sha256_file, write_json
from seqdoodle.strokes.points import points_to_strokes

FORMAT = "seqdoodle-dataset"
VERSION = 1
SPLITS = ("train", "val", "test")
PARTS = ".parts"


def split_assignment(n: int, val: float, test: float, seed: int, class_position: int) -> np.ndarray:
    """Stratified, seeded split of one class's `n` rows: `(n,) uint8`, 0 train, 1 val, 2 test.

    The class's rows are permuted with `np.random.default_rng([seed, class_position])`; the first
    `round(n * test)` go to test, the next `round(n * val)` to val.

    Example:
    >>> split_assignment(10, 0.2, 0.2, seed=0, class_position=0).tolist().count(2)
    2
    """
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise DataFormatError(f"val={val} and test={test} must be fractions with val + test < 1")
    perm = np.random.default_rng([seed, class_position]).permutation(n)
    n_test, n_val = round(n * test), round(n * val)
    out = np.zeros(n, dtype=np.uint8)
    out[perm[:n_test]] = 2
    out[perm[n_test : n_test + n_val]] = 1
    return out


def _read_json_or_none(path: Path):
    try:
        return json.loads(path.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


class DatasetWriter:
    """Write a prepared dataset class by class, resumably.

    Args:
        out: path. The dataset folder.
        classes: list of str. The classes in label order.
        has_strokes: bool. Whether stroke points are stored (sources with strokes).
        size: int. Bitmap side. Defaults to 28.
        args: dict. The preparation arguments; parts written with other arguments are discarded.
    """

    def __init__(self, out, classes, has_strokes: bool, size: int = 28, args: dict | None = None):
        self.out = Path(out)
        self.classes = list(classes)
        self.has_strokes = has_strokes
        self.size = size
        self.parts = self.out / PARTS
        self.parts.mkdir(parents=True, exist_ok=True)
        args_path = self.parts / "args.json"
        key = {"classes": self.classes, "has_strokes": has_strokes, "size": size, **(args or {})}
        if args_path.exists() and _read_json_or_none(args_path) != json.loads(
            json.dumps(key, sort_keys=True, default=str)
        ):  # parts of other arguments (or of unreadable ones) are discarded
            shutil.rmtree(self.parts)
            self.parts.mkdir(parents=True)
        write_json(args_path, key)

    def _part(self, position: int) -> tuple[Path, Path]:
        return self.parts / f"{position:04d}.npz", self.parts / f"{position:04d}.json"

    def has_part(self, position: int) -> bool:
        """True when class `position` was written completely by an earlier (interrupted) run."""
        data, info = self._part(position)
        return data.exists() and info.exists()

    def write_part(
        self,
        position: int,
        bitmaps: np.ndarray,
        splits: np.ndarray,
        source_index: np.ndarray,
        points: list[np.ndarray] | None = None,
        info: dict | None = None,
    ) -> None:
        """Store one class: `bitmaps (n, size, size) uint8`, `splits (n,) uint8`,
        `source_index (n,) int64`, and for stroke data `points`: n arrays `(n_i, 3) int16`."""
        n = len(bitmaps)
        if bitmaps.shape[1:] != (self.size, self.size) or bitmaps.dtype != np.uint8:
            raise DataFormatError(
                f"bitmaps of shape {bitmaps.shape} {bitmaps.dtype} for size {self.size}"
            )
        arrays = {
            "bitmaps": bitmaps,
            "splits": splits.astype(np.uint8),
            "source_index": source_index.astype(np.int64),
        }
        n_points = 0
        if self.has_strokes:
            if points is None or len(points) != n:
                raise DataFormatError(
                    f"class {self.classes[position]!r}: points missing for strokes"
                )
            lengths = np.array([len(p) for p in points], dtype=np.int64)
            arrays["lengths"] = lengths
            arrays["points"] = (
                np.concatenate(points).astype(np.int16) if n else np.zeros((0, 3), np.int16)
            )
            n_points = int(lengths.sum())
        data_path, info_path = self._part(position)
        with atomic_write(data_path) as f:
            np.savez(f, **arrays)
        write_json(info_path, {"n": n, "n_points": n_points, **(info or {})})

    def part_info(self, position: int) -> dict:
        return json.loads(self._part(position)[1].read_text())

    def finalize(self, manifest: dict) -> Path:
        """Stream all parts into the final arrays, hash them, write manifest.json last."""
        infos = [self.part_info(i) for i in range(len(self.classes))]
        n_total = sum(i["n"] for i in infos)
        p_total = sum(i["n_points"] for i in infos)
        specs = {
            "bitmaps.npy": (np.uint8, (n_total, self.size, self.size)),
            "labels.npy": (np.int32, (n_total,)),
            "splits.npy": (np.uint8, (n_total,)),
            "source_index.npy": (np.int64, (n_total,)),
        }
        if self.has_strokes:
            specs["points.npy"] = (np.int16, (p_total, 3))
            specs["offsets.npy"] = (np.int64, (n_total + 1,))
        streams = {name: _NpyStream(self.out / name, *spec) for name, spec in specs.items()}
        try:
            offset = 0
            if self.has_strokes:
                streams["offsets.npy"].write(np.zeros(1, np.int64))
            for position in range(len(self.classes)):
                with np.load(self._part(position)[0], allow_pickle=False) as part:
                    n = len(part["splits"])
                    streams["bitmaps.npy"].write(part["bitmaps"])
                    streams["labels.npy"].write(np.full(n, position, np.int32))
                    streams["splits.npy"].write(part["splits"])
                    streams["source_index.npy"].write(part["source_index"])
                    if self.has_strokes:
                        streams["points.npy"].write(part["points"])
                        streams["offsets.npy"].write(offset + np.cumsum(part["lengths"]))
                        offset += int(part["lengths"].sum())
            for stream in streams.values():
                stream.close()
        except BaseException:
            for stream in streams.values():
                stream.abort()
            raise
        for name in sorted(streams):
            streams[name].commit()
        manifest = dict(manifest)
        manifest.update(
            format=FORMAT,
            version=VERSION,
            classes=self.classes,
            size=self.size,
            has_strokes=self.has_strokes,
            n=n_total,
            n_points=p_total,
            files={name: sha256_file(self.out / name) for name in sorted(streams)},
        )
        write_json(self.out / "manifest.json", manifest)
        shutil.rmtree(self.parts, ignore_errors=True)
        return self.out


class _NpyStream:
    """Write an `.npy` of known shape by appending chunks, under a temporary name."""

    def __init__(self, path: Path, dtype, shape):
        self.path, self.dtype, self.shape = path, np.dtype(dtype), shape
        self.tmp = path.with_name(f".{path.name}.assembling")
        self.file = open(self.tmp, "wb")  # noqa: SIM115 - closed in close()/abort()
        header = {
            "descr": np.lib.format.dtype_to_descr(self.dtype),
            "fortran_order": False,
            "shape": shape,
        }
        np.lib.format.write_array_header_1_0(self.file, header)
        self.rows = 0

    def write(self, chunk: np.ndarray) -> None:
        chunk = np.ascontiguousarray(chunk, dtype=self.dtype)
        self.file.write(chunk.tobytes())
        self.rows += len(chunk)

    def close(self) -> None:
        if self.rows != self.shape[0]:
            raise DataFormatError(f"{self.path}: wrote {self.rows} rows, expected {self.shape[0]}")
        self.file.flush()
        self.file.close()

    def abort(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)

    def commit(self) -> None:
        self.tmp.replace(self.path)


def _check_manifest(manifest: dict, path: Path) -> None:
    """Raise DataFormatError, naming `path`, unless the manifest's fields have their types."""
    checks = {
        "classes": lambda v: isinstance(v, list) and all(isinstance(c, str) and c for c in v),
        "files": lambda v: (
            isinstance(v, dict)
            and all(Path(k).name == k and not k.startswith(".") for k in v)  # names in the folder
            and all(isinstance(h, str) for h in v.values())
        ),
        "n": _is_count,
        "size": _is_count,
        "has_strokes": lambda v: isinstance(v, bool),
    }
    for key, valid in checks.items():
        if key not in manifest:
            raise DataFormatError(f"{path}: field {key!r} missing")
        if not valid(manifest[key]):
            raise DataFormatError(f"{path}: field {key!r} has a wrong value {manifest[key]!r:.60}")
    if manifest["has_strokes"] and not _is_count(manifest.get("n_points")):
        raise DataFormatError(f"{path}: field 'n_points' missing or not a count")


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class PreparedDataset:
    """A prepared dataset folder, opened with memory-mapped arrays.

    Args:
        path: path. The folder written by `seqdoodle prepare`.
        verify: bool. Check every array file against the sha256 in the manifest. Defaults to True.

    Attributes:
        classes: list of str. Class names in label order.
        labels: `(N,) int32`. splits: `(N,) uint8` (0 train, 1 val, 2 test).
        bitmaps: `(N, size, size) uint8` memmap.
        has_strokes: bool. Whether `points_of`/`strokes_of` work.

    Example:
    >>> ds = PreparedDataset("DATASET")  # doctest: +SKIP
    >>> x = ds.bitmaps[ds.indices("train")[:32]]  # doctest: +SKIP
    """

    def __init__(self, path, verify: bool = True):
        self.path = Path(path)
        manifest_path = self.path / "manifest.json"
        if not self.path.is_dir():
            raise MissingFileError(f"{self.path}: no such dataset folder (run `seqdoodle prepare`)")
        if not manifest_path.exists():
            raise MissingFileError(
                f"{manifest_path}: missing; not a complete prepared dataset "
                "(rerun `seqdoodle prepare`)"
            )
        try:
            self.manifest = json.loads(manifest_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise DataFormatError(f"{manifest_path}: not valid JSON") from None
        if not isinstance(self.manifest, dict) or self.manifest.get("format") != FORMAT:
            raise DataFormatError(f"{manifest_path}: not a seqdoodle dataset manifest")
        _check_manifest(self.manifest, manifest_path)
        self.classes: list[str] = list(self.manifest["classes"])
        self.size = int(self.manifest["size"])
        self.has_strokes = bool(self.manifest["has_strokes"])
        files = self.manifest["files"]
        if verify:
            for name, digest in files.items():
                file = self.path / name
                if not file.exists():
                    raise MissingFileError(f"{file}: missing from the prepared dataset")
                if sha256_file(file) != digest:
                    raise IntegrityError(
                        f"{file}: sha256 differs from manifest.json (file changed)"
                    )
        n = int(self.manifest["n"])
        self.bitmaps = self._load("bitmaps.npy", (n, self.size, self.size), np.uint8, mmap=True)
        self.labels = self._load("labels.npy", (n,), np.int32)
        self.splits = self._load("splits.npy", (n,), np.uint8)
        self.source_index = self._load("source_index.npy", (n,), np.int64)
        if self.labels.size and (self.labels.min() < 0 or self.labels.max() >= len(self.classes)):
            raise DataFormatError(f"{self.path / 'labels.npy'}: labels outside the class list")
        if self.has_strokes:
            p = int(self.manifest["n_points"])
            self.points = self._load("points.npy", (p, 3), np.int16, mmap=True)
            self.offsets = self._load("offsets.npy", (n + 1,), np.int64)

    def _load(self, name: str, shape, dtype, mmap: bool = False) -> np.ndarray:
        file = self.path / name
        if not file.exists():
            raise MissingFileError(f"{file}: missing from the prepared dataset")
        try:
            array = np.load(file, mmap_mode="r" if mmap else None, allow_pickle=False)
        except (ValueError, OSError, EOFError, SyntaxError, tokenize.TokenError) as e:
            raise DataFormatError(f"{file}: unreadable or truncated npy ({e})") from None
        if array.shape != tuple(shape) or array.dtype != np.dtype(dtype):
            raise DataFormatError(
                f"{file}: shape {array.shape} {array.dtype}, "
                f"expected {tuple(shape)} {np.dtype(dtype)}"
            )
        return array

    def __len__(self) -> int:
        return len(self.labels)

    def split_code(self, split: str) -> int:
        if split not in SPLITS:
            raise DataFormatError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
        return SPLITS.index(split)

    def indices(self, split: str) -> np.ndarray:
        """Row indices of a split ('train', 'val' or 'test'), `(n,) int64`, in dataset order."""
        return np.flatnonzero(self.splits == self.split_code(split))

    def counts(self) -> dict[str, int]:
        """Number of drawings per split."""
        return {s: int((self.splits == i).sum()) for i, s in enumerate(SPLITS)}

    def points_of(self, i: int) -> np.ndarray:
        """Drawing `i` in point form: `(n_points, 3) int16` (x, y, end-of-stroke flag)."""
        if not self.has_strokes:
            raise DataFormatError(f"{self.path}: prepared from bitmaps only; no strokes stored")
        return np.asarray(self.points[self.offsets[i] : self.offsets[i + 1]])

    def strokes_of(self, i: int) -> list:
        """Drawing `i` as Google strokes `[[xs, ys], ...]`."""
        return points_to_strokes(self.points_of(i))

    def drawings(self, indices):
        """`Drawing` records for the given rows (with bitmap, and strokes when stored)."""
        from seqdoodle.datasets.records import Drawing

        for i in indices:
            i = int(i)
            yield Drawing(
                word=self.classes[self.labels[i]],
                strokes=self.strokes_of(i) if self.has_strokes else None,
                bitmap=np.asarray(self.bitmaps[i]),
                source=f"{self.path.name}:{i}",
                fmt="simplified" if self.has_strokes else "bitmap",
            )

"""Safe file writing: temporary name + rename, hashes, folder locks, the data home."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

import numpy as np

from seqdoodle.errors import LockedError

TMP_MARK = ".tmp-"


def temporary_path(path: str | os.PathLike) -> Path:
    """The temporary name a file is written under before it is renamed to `path`."""
    path = Path(path)
    return path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb"):
    """Open a temporary file beside `path`; on success fsync and rename it to `path`.

    On any exception the temporary file is removed and `path` is left as it was.

    Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_write(p, "w") as f:
    ...     _ = f.write("hi")
    >>> p.read_text()
    'hi'
    """
    path = Path(path)
    tmp = temporary_path(path)
    with _replace_when_done(tmp, path):
        with open(tmp, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())


@contextlib.contextmanager
def _replace_when_done(tmp: Path, path: Path):
    """Rename `tmp` to `path` if the block succeeds; remove `tmp` if it fails."""
    try:
        yield
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write text atomically."""
    with atomic_write(path, "w") as f:
        f.write(text)


def write_json(path: str | os.PathLike, obj) -> None:
    """Write JSON atomically (sorted keys, indent 2, so equal content gives equal bytes)."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def save_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    """Save one array as .npy atomically."""
    with atomic_write(path, "wb") as f:
        np.save(f, array, allow_pickle=False)


def save_keras(model, path: str | os.PathLike) -> None:
    """Save a Keras model as a `.keras` file atomically: temporary name, fsync, rename.

    Keras picks the format by the file suffix, so the temporary name beside `path` ends with
    `.keras` too. The model is saved as it is: a compiled model keeps its optimizer state.

    Args:
        model: keras.Model. The model to save.
        path: str or PathLike. Target file; must end with `.keras`.

    Raises:
        ValueError: `path` does not end with `.keras`.

    Example:
    >>> save_keras(model, "runs/demo/model.keras")  # doctest: +SKIP
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"{path}: a Keras model file must end with .keras")
    tmp = path.with_name(f"{temporary_path(path).name}.keras")
    with _replace_when_done(tmp, path):
        model.save(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike, what: str = "seqdoodle"):
    """Hold an exclusive lock on `folder` (a `.lock` file inside it) or fail at once.

    Raises:
        LockedError: another process holds the lock.
    """
    import fcntl

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lock_path = folder / ".lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(
                f"{folder}: another {what} process is writing here (lock {lock_path}); "
                "wait for it to finish or use another folder"
            ) from None
        yield lock_path
    finally:
        os.close(fd)


def data_home(path: str | os.PathLike | None = None) -> Path:
    """The data folder: `path` if given, else `$SEQDOODLE_DATA`, else `./data`."""
    if path is not None:
        return Path(path)
    return Path(os.environ.get("SEQDOODLE_DATA", "data"))

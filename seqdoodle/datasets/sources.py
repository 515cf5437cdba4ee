"""Download Quick, Draw! per-class files from Google's bucket or a mirror, with resume and retries.

Files land in `dest/<folder>/<class><ext>`: `numpy_bitmap/<class>.npy`, `simplified/<class>.ndjson`,
`raw/<class>.ndjson`, `binary/<class>.bin` and `sketchrnn/<class>.npz` (Google's folder names;
in the bucket `sketchrnn/` sits beside `full/`, not inside it). A download is written to
`<final>.part` and renamed to the final name only when complete, so a file under a final name is
always complete and is skipped on the next run; an unfinished `.part` is resumed with an HTTP
Range request.
"""

from __future__ import annotations

import http.client
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TransferSpeedColumn,
)

from seqdoodle import fileio
from seqdoodle.datasets.categories import parse_class_list
from seqdoodle.errors import DownloadError

GOOGLE_BASE_URL = "https://storage.googleapis.com/quickdraw_dataset/full"
BASE_URL_ENV = "SEQDOODLE_BASE_URL"
# fmt -> (folder in the bucket and under dest, file extension)
FORMATS = {
    "bitmap": ("numpy_bitmap", ".npy"),
    "simplified": ("simplified", ".ndjson"),
    "raw": ("raw", ".ndjson"),
    "binary": ("binary", ".bin"),
    "sketchrnn": ("sketchrnn", ".npz"),
}
# Formats kept beside the `full/` folder in Google's bucket (quickdraw_dataset/sketchrnn/).
_BESIDE_FULL = ("sketchrnn",)
# Local mirrors may name the bitmap folder `bitmap/` instead of Google's `numpy_bitmap/`.
_LOCAL_ALIASES = {"numpy_bitmap": ("numpy_bitmap", "bitmap")}
CHUNK = 1 << 16
_TRANSIENT = (
    urllib.error.URLError,  # also covers refused connections and DNS failures
    http.client.HTTPException,  # IncompleteRead, RemoteDisconnected, BadStatusLine
    ConnectionError,
    TimeoutError,
)


class _TransientError(Exception):
    """A failure worth retrying (connection dropped, 5xx, short body)."""


def bucket_url(base_url: str, fmt: str, cls: str) -> str:
    """The URL (or local path) of one class's file under a base URL in Google's layout.

    Args:
        base_url: str. `http(s)://` or `file://` URL, or a local folder.
        fmt: str. "bitmap", "simplified", "raw", "binary" or "sketchrnn" (a base ending in
            `/full` puts sketch-rnn files in the `sketchrnn/` folder beside it, as Google does).
        cls: str. The class name, spaces allowed (quoted in URLs).

    Returns:
        str, e.g. `".../numpy_bitmap/The%20Eiffel%20Tower.npy"`; for a plain folder, a path.

    Example:
    >>> bucket_url(GOOGLE_BASE_URL, "bitmap", "The Eiffel Tower")
    'https://storage.googleapis.com/quickdraw_dataset/full/numpy_bitmap/The%20Eiffel%20Tower.npy'
    """
    folder, ext = _format(fmt)
    base = base_url.rstrip("/")
    if fmt in _BESIDE_FULL and base.endswith("/full"):
        base = base[: -len("/full")]
    if _is_url(base_url):
        return f"{base}/{folder}/{urllib.parse.quote(cls + ext)}"
    return str(Path(base) / folder / f"{cls}{ext}")


def download(
    classes: str | list[str],
    fmt: str,
    dest: str | os.PathLike,
    base_url: str | None = None,
    retries: int = 4,
    backoff: float = 0.5,
    progress: bool = True,
    timeout: float = 30,
) -> list[Path]:
    """Download per-class files into `dest/<numpy_bitmap|simplified|raw|binary|sketchrnn>/`.

    Partial downloads are resumed.

    Holds `fileio.folder_lock(dest)` throughout. Files already under their final name are
    skipped without a request. HTTP downloads resume `<final>.part` with `Range: bytes=N-`
    (restarting if the server answers 200), retry connection failures, timeouts and 5xx with
    exponential backoff, and check the size against Content-Length / Content-Range.

    Args:
        classes: str or list of str. Class names, or one comma-separated string.
        fmt: str. "bitmap" (numpy_bitmap `.npy`), "simplified" or "raw" (`.ndjson`), "binary"
            (`.bin`) or "sketchrnn" (`.npz`).
        dest: str or PathLike. The data folder.
        base_url: str or None. `http(s)://` or `file://` URL, or a local folder, laid out as
            Google's bucket (a local `bitmap/` folder is accepted for `numpy_bitmap/`). Defaults
            to `$SEQDOODLE_BASE_URL`, then Google's bucket.
        retries: int. Retries per file after the first try. Defaults to 4.
        backoff: float. Seconds before the first retry, doubled each time. Defaults to 0.5.
        progress: bool. Draw rich progress bars on stderr. Defaults to True.
        timeout: float. Seconds to wait for a connection or data. Defaults to 30.

    Returns:
        list of Path, the final files in the order of `classes`.

    Raises:
        UnknownClassError: a class name is not one of the 345.
        LockedError: another process is writing into `dest`.
        DownloadError: a file could not be fetched (one line naming the URL and the cause).

    Example:
    >>> download("cat,dog", "bitmap", "data", progress=False)  # doctest: +SKIP
    [PosixPath('data/numpy_bitmap/cat.npy'), PosixPath('data/numpy_bitmap/dog.npy')]
    """
    names = parse_class_list(classes)
    folder, ext = _format(fmt)
    base = base_url or os.environ.get(BASE_URL_ENV) or GOOGLE_BASE_URL
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", base) and not _is_url(base):
        raise DownloadError(f"{base}: unsupported URL scheme (use http://, https://, file://)")
    dest = Path(dest)
    paths = []
    with fileio.folder_lock(dest, "download"), _Bars(progress, len(names)) as bars:
        (dest / folder).mkdir(parents=True, exist_ok=True)
        for cls in names:
            final = dest / folder / f"{cls}{ext}"
            if not final.exists():
                if base.startswith(("http://", "https://")):
                    _fetch_http(bucket_url(base, fmt, cls), final, retries, backoff, timeout, bars)
                else:
                    _copy_local(_local_source(base, fmt, cls), final, bars)
            bars.file_done()
            paths.append(final)
    return paths


def _format(fmt: str) -> tuple[str, str]:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return FORMATS[fmt]


def _is_url(base: str) -> bool:
    return base.startswith(("http://", "https://", "file://"))


def _local_source(base: str, fmt: str, cls: str) -> Path:
    """The local file for a `file://` URL or plain folder base, trying folder aliases."""
    if base.startswith("file://"):
        root = Path(urllib.request.url2pathname(urllib.parse.urlparse(base).path))
    else:
        root = Path(base)
    folder, ext = FORMATS[fmt]
    roots = [root, root.parent] if fmt in _BESIDE_FULL else [root]
    candidates = [
        r / alias / f"{cls}{ext}" for r in roots for alias in _LOCAL_ALIASES.get(folder, (folder,))
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise DownloadError(f"cannot read {candidates[0]}: no such file")


def _copy_local(source: Path, final: Path, bars: _Bars) -> None:
    total, copied = source.stat().st_size, 0
    bars.start_file(final.name, total, 0)
    with open(source, "rb") as src, fileio.atomic_write(final, "wb") as out:
        while block := src.read(CHUNK * 16):
            out.write(block)
            copied += len(block)
            bars.advance(len(block))
        if copied != total:  # the source changed while it was copied
            raise DownloadError(f"{source}: copied {copied} bytes, expected {total}")


def _fetch_http(
    url: str, final: Path, retries: int, backoff: float, timeout: float, bars: _Bars
) -> None:
    """Download `url` into `final` through `<final>.part`, resuming and retrying."""
    part = final.with_name(final.name + ".part")
    failures = 0
    while True:
        try:
            _fetch_once(url, part, timeout, bars)
            os.replace(part, final)
            return
        except _TransientError as e:  # the server answered, but badly
            what, cause = "cannot download", str(e)
        except urllib.error.HTTPError as e:  # not transient: 4xx
            e.close()
            raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from None
        except _TRANSIENT as e:  # no connection, or it broke
            what, cause = "cannot reach", _reason(e)
        failures += 1
        if failures > retries:
            tries = f"{failures} tries" if failures > 1 else "1 try"
            raise DownloadError(f"{what} {url}: {cause} ({tries})") from None
        time.sleep(backoff * 2 ** (failures - 1))


def _fetch_once(url: str, part: Path, timeout: float, bars: _Bars) -> None:
    """One request: append to `part` from its current size; raise _TransientError if short."""
    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "seqdoodle", "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        e.close()
        if e.code == 416 and offset:  # asked past the end: complete already, or a stale part
            total = _content_range(e.headers.get("Content-Range", ""))[1]
            if total == offset:
                return
            part.unlink()
            raise _TransientError(f"HTTP 416 for bytes {offset}-, restarting") from None
        if e.code >= 500 or e.code == 429:
            raise _TransientError(f"HTTP {e.code} {e.reason}") from None
        raise
    with response:
        if response.status == 206:
            start, total = _content_range(response.headers.get("Content-Range", ""))
            if start != offset:
                part.unlink()
                raise _TransientError(f"server resumed at byte {start}, not {offset}")
            mode = "ab"
        else:  # 200: the whole file (a server that ignores Range restarts it)
            offset, mode = 0, "wb"
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        bars.start_file(part.name[: -len(".part")], total, offset)
        with open(part, mode) as out:
            while block := response.read(CHUNK):
                out.write(block)
                bars.advance(len(block))
            out.flush()
            os.fsync(out.fileno())
    size = part.stat().st_size
    if total is not None and size < total:
        raise _TransientError(f"connection closed at byte {size} of {total}")
    if total is not None and size > total:
        part.unlink()
        raise DownloadError(f"{url}: received {size} bytes, the server announced {total}")


def _content_range(value: str) -> tuple[int | None, int | None]:
    """(start, total) from `bytes START-END/TOTAL` or `bytes */TOTAL`; None where absent."""
    match = re.match(r"bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)", value.strip())
    if not match:
        return None, None
    start, total = match.groups()
    return (int(start) if start else None), (int(total) if total != "*" else None)


def _reason(e: BaseException) -> str:
    reason = getattr(e, "reason", None)
    text = str(reason if isinstance(reason, BaseException) else e) or type(e).__name__
    return " ".join(text.split())


class _ByKindColumn(ProgressColumn):
    """One column for file bars (bytes) and another for the overall bar (files), or blank."""

    def __init__(self, for_file: ProgressColumn, for_overall: ProgressColumn | None):
        super().__init__()
        self.for_file, self.for_overall = for_file, for_overall

    def render(self, task):
        if task.fields.get("bytes"):
            return self.for_file.render(task)
        return self.for_overall.render(task) if self.for_overall else ""


class _Bars:
    """Rich progress bars on stderr (one overall, one for the current file), or nothing."""

    def __init__(self, enabled: bool, n_files: int):
        self.enabled, self.n_files = enabled, n_files
        self.progress = self.overall = self.task = None

    def __enter__(self) -> _Bars:
        if self.enabled:
            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                _ByKindColumn(DownloadColumn(), MofNCompleteColumn()),
                _ByKindColumn(TransferSpeedColumn(), None),
                console=Console(stderr=True),
            )
            self.progress.start()
            self.overall = self.progress.add_task("files", total=self.n_files, bytes=False)
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()

    def start_file(self, name: str, total: int | None, done: int) -> None:
        if self.progress is None:
            return
        if self.task is not None:
            self.progress.remove_task(self.task)
        self.task = self.progress.add_task(name, total=total, completed=done, bytes=True)

    def advance(self, n: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, n)

    def file_done(self) -> None:
        if self.progress is None:
            return
        if self.task is not None:
            self.progress.remove_task(self.task)
            self.task = None
        self.progress.advance(self.overall)

"""`convert`: drawings from any source (folders of any format, a prepared dataset, `synthetic`)
written out in another format, one class at a time and streaming.

Outputs, one file per class under `out/`, written by the table of formats
(`seqdoodle.datasets.formats`: every format with a writer), plus `png`:
- `ndjson`: `<class>.ndjson`, Google's format (raw drawings stay raw).
- `kaggle-csv`: `<class>.csv` in Kaggle's `train_simplified` layout (raw stays raw, as `train_raw`).
- `sketchrnn`: `<class>.npz` with `train`/`valid`/`test` stroke-3 arrays (simplified first); the
  split is the prepared dataset's, or the source's own (sketch-rnn), else every drawing is `train`.
- `binary`: `<class>.bin`, Google's binary format (raw drawings are simplified first).
- `png`: `<class>/<i>.png`, the 28x28 bitmap (or the dataset's size) as black ink on white.

Decisions: a prepared dataset keeps no key_id, country or time, so its drawings are written without
them; bitmap-only sources convert to `png` alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from seqdoodle.datasets.filters import Filter
from seqdoodle.datasets.formats import FORMATS, open_reader, writable_formats
from seqdoodle.datasets.plan import SYNTHETIC, source_plan
from seqdoodle.datasets.records import Drawing, needs_simplifying
from seqdoodle.errors import DataFormatError
from seqdoodle.fileio import atomic_write
from seqdoodle.progress import progress_bars

TARGETS = (*writable_formats(), "png")  # `png`: a folder of images per class, not a format


def convert(
    source,
    to: str,
    out,
    classes: list[str] | None = None,
    per_class: int | None = None,
    where: Filter | None = None,
    progress: bool | None = None,
) -> dict[str, int]:
    """Write the drawings of `source` in format `to` under `out`, one class at a time.

    Args:
        source: str, path or list. Source folder(s) of any supported format, `"synthetic"`, or a
            prepared dataset folder (one holding a seqdoodle `manifest.json`).
        to: str. One of `TARGETS`: "ndjson", "kaggle-csv", "sketchrnn", "binary", "png".
        out: path. The folder to write (created if needed).
        classes: list of str or None. Classes to convert; None converts every class.
        per_class: int or None. At most this many drawings per class (the first ones).
        where: Filter or None. Metadata filter (source folders only).
        progress: bool or None. Progress bars; None draws them on a terminal.

    Returns:
        dict from class name to drawings written.

    Raises:
        DataFormatError: an unknown target, or a target that needs strokes from a bitmap source.

    Example:
    >>> convert("synthetic", "kaggle-csv", "/tmp/csv", ["circle"], per_class=5)  # doctest: +SKIP
    {'circle': 5}
    """
    if to not in TARGETS:
        raise DataFormatError(f"unknown target format {to!r}; choose {', '.join(TARGETS)}")
    if per_class is not None and per_class < 1:
        raise DataFormatError(f"per_class must be at least 1, got {per_class}")
    streams = _class_streams(source, classes, per_class, where)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    with progress_bars(progress) as bars:
        task = bars.add_task(f"convert to {to}", total=len(streams))
        for name, (has_strokes, drawings) in streams.items():
            if to != "png" and not has_strokes:
                raise DataFormatError(
                    f"class {name!r}: bitmaps only; they convert to png, not {to}"
                )
            written[name] = _write(to, drawings(), out, name)
            bars.advance(task)
    return written


def _class_streams(source, classes, per_class, where) -> dict:
    """Class -> (has strokes, a function giving its drawings as an iterator)."""
    if _is_prepared(source):
        from seqdoodle.datasets.prepared import PreparedDataset

        ds = PreparedDataset(source)
        names = ds.classes if classes is None else classes
        missing = [c for c in names if c not in ds.classes]
        if missing:
            raise DataFormatError(f"{source}: no class {missing[0]!r} in the prepared dataset")

        def rows(c):
            index = np.flatnonzero(ds.labels == ds.classes.index(c))
            return lambda: _with_splits(ds, index[:per_class])

        return {c: (ds.has_strokes, rows(c)) for c in names}
    plan = source_plan(source, classes, where)

    def stream(name, entry):
        def drawings() -> Iterator[Drawing]:
            if entry.kind == SYNTHETIC:
                from seqdoodle.datasets.synthetic import iter_synthetic

                it = (d for d in iter_synthetic([name], per_class or 1000) if where_keep(d))
                yield from it
                return
            left = per_class
            for path in entry.files:
                reader = open_reader(path, limit=left, where=where, word=name)
                for d in reader:
                    yield d
                    left = None if left is None else left - 1
                if left == 0:
                    return

        return drawings

    def where_keep(d):
        return where is None or where.keep(d)

    return {n: (e.kind != "bitmap", stream(n, e)) for n, e in plan.items()}


def _with_splits(ds, index) -> Iterator[Drawing]:
    from seqdoodle.datasets.prepared import SPLITS

    for i, drawing in zip(index, ds.drawings(index)):
        drawing.split = SPLITS[int(ds.splits[i])]
        yield drawing


def _is_prepared(source) -> bool:
    if isinstance(source, (list, tuple)) or str(source) == SYNTHETIC:
        return False
    manifest = Path(source) / "manifest.json"
    if not manifest.is_file():
        return False
    try:
        return json.loads(manifest.read_text("utf-8")).get("format") == "seqdoodle-dataset"
    except (ValueError, UnicodeDecodeError, AttributeError):
        return False


def _simplified(drawing: Drawing) -> Drawing:
    if needs_simplifying(drawing):
        from seqdoodle.strokes.simplify import simplify_strokes

        drawing.strokes, drawing.fmt = simplify_strokes(drawing.strokes), "simplified"
    return drawing


def _write(to: str, drawings: Iterator[Drawing], out: Path, name: str) -> int:
    if to == "png":
        return _write_pngs(drawings, out / name)
    fmt = FORMATS[to]
    if fmt.simplified_only:
        drawings = (_simplified(d) for d in drawings)
    return fmt.writer(drawings, out / f"{name}{fmt.suffixes[0]}")


def _write_pngs(drawings: Iterator[Drawing], folder: Path) -> int:
    import io

    from PIL import Image

    from seqdoodle.strokes.raster import render_bitmap

    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for n, d in enumerate(drawings, start=1):
        bitmap = d.bitmap if d.bitmap is not None else render_bitmap(_simplified(d).strokes)
        buffer = io.BytesIO()
        Image.fromarray(255 - np.asarray(bitmap, np.uint8)).save(buffer, format="PNG")
        with atomic_write(folder / f"{n - 1}.png", "wb") as f:
            f.write(buffer.getvalue())
    return n

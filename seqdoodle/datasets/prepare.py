"""`prepare`: the first N drawings per class (folders or synthetic doodles) -> a dataset folder.

One class is in memory at a time; each finished class is kept as a part so an interrupted run
resumes where it stopped, and the same arguments give byte-identical output.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from seqdoodle.categories import all_categories, check_class
from seqdoodle.datasets.prepared import DatasetWriter, PreparedDataset, split_assignment
from seqdoodle.errors import DataFormatError, MissingFileError
from seqdoodle.fileio import folder_lock, sha256_file
from seqdoodle.progress import progress_bars
from seqdoodle.strokes.points import strokes_to_points

SYNTHETIC = "synthetic"
RENDER_CHUNK = 2048


def prepare(
    source,
    out,
    classes: list[str] | None = None,
    per_class: int = 10000,
    val: float = 0.1,
    test: float = 0.1,
    seed: int = 0,
    size: int = 28,
    progress: bool | None = None,
) -> PreparedDataset:
    """Prepare a dataset folder that both models train and are evaluated on.

    Args:
        source: str, path or list of them. A folder of per-class files in Google's layout
            (`<class>.npy` or `<class>.ndjson`), several folders (a class's files are read in the
            order given), or `"synthetic"` for the built-in procedural doodles.
        out: path. The dataset folder to write.
        classes: list of str or None. Classes to take; None takes every class the source has.
        per_class: int. The first `per_class` drawings of each class are taken. Defaults to 10000.
        val: float. Fraction of each class for validation. Defaults to 0.1.
        test: float. Fraction of each class for test. Defaults to 0.1.
        seed: int. Seed of the split (and of the synthetic doodles). Defaults to 0.
        size: int. Bitmap side for drawings rendered from strokes. Defaults to 28.
        progress: bool or None. Draw progress bars; None draws them on a terminal.

    Returns:
        The `PreparedDataset`.

    Example:
    >>> ds = prepare("synthetic", "/tmp/syn", per_class=20)  # doctest: +SKIP
    >>> ds.counts()  # doctest: +SKIP
    """
    if per_class < 1:
        raise DataFormatError(f"per_class must be at least 1, got {per_class}")
    out = Path(out)
    plan = _plan(source, classes)
    has_strokes = all(kind != "npy" for kind, _ in plan.values())
    if any(kind == "npy" for kind, _ in plan.values()) and not all(
        kind == "npy" for kind, _ in plan.values()
    ):
        raise DataFormatError("mixed sources: some classes have only .npy bitmaps, others strokes")
    if not has_strokes and size != 28:
        raise DataFormatError(f"numpy_bitmap sources are 28x28; size={size} needs stroke sources")
    names = list(plan)
    args = {
        "source": _source_label(source),
        "classes": names,
        "per_class": per_class,
        "val": val,
        "test": test,
        "seed": seed,
        "size": size,
    }
    with folder_lock(out, "prepare"):
        existing = out / "manifest.json"
        if existing.exists():
            try:
                old = json.loads(existing.read_text("utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise DataFormatError(
                    f"{existing}: not valid JSON; remove {out} or use another --out"
                ) from None
            if isinstance(old, dict) and old.get("args") == json.loads(json.dumps(args)):
                return PreparedDataset(out)
            raise DataFormatError(
                f"{out}: already holds a dataset prepared with other arguments; use another --out"
            )
        writer = DatasetWriter(out, names, has_strokes, size, args)
        with progress_bars(progress) as bars:
            task = bars.add_task("prepare", total=len(names))
            for position, name in enumerate(names):
                if not writer.has_part(position):
                    kind, files = plan[name]
                    _prepare_class(
                        writer, position, name, kind, files, per_class, val, test, seed, size
                    )
                bars.advance(task)
        infos = [writer.part_info(i) for i in range(len(names))]
        manifest = {
            "args": args,
            "counts": {
                split: {name: info["counts"][split] for name, info in zip(names, infos)}
                for split in ("train", "val", "test")
            },
            "skipped": {
                name: info["skipped"] for name, info in zip(names, infos) if info["skipped"]
            },
            "sources": {name: info["files"] for name, info in zip(names, infos)},
        }
        writer.finalize(manifest)
    return PreparedDataset(out)


def _source_label(source) -> str | list[str]:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return [str(s) for s in source]


def _plan(source, classes) -> dict[str, tuple[str, list]]:
    """Map each class (in Google's order) to (kind, files); kind: npy, ndjson or synthetic."""
    if isinstance(source, (str, os.PathLike)) and str(source) == SYNTHETIC:
        from seqdoodle.datasets.synthetic import SYNTHETIC_CLASSES

        names = (
            list(SYNTHETIC_CLASSES)
            if classes is None
            else [check_class(c, SYNTHETIC_CLASSES) for c in classes]
        )
        return {name: ("synthetic", []) for name in names}
    from seqdoodle.datasets.readers import class_files

    folders = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    if not folders:
        raise MissingFileError("no source folder given")
    found: dict[str, list[Path]] = {}
    for folder in folders:
        folder = Path(folder)
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
                where = ", ".join(str(f) for f in folders)
                raise MissingFileError(f"class {c!r}: no <class>.npy or .ndjson file in {where}")
            names.append(c)
    plan = {}
    for name in names:
        kinds = {"npy" if p.suffix == ".npy" else "ndjson" for p in found[name]}
        if len(kinds) > 1:
            raise DataFormatError(f"class {name!r} has both .npy and .ndjson files; use one format")
        plan[name] = (kinds.pop(), found[name])
    return plan


def _prepare_class(writer, position, name, kind, files, per_class, val, test, seed, size):
    skipped, problems = 0, []
    if kind == "npy":
        from seqdoodle.datasets.readers import read_bitmaps

        chunks, left = [], per_class
        for path in files:
            rows = read_bitmaps(path, limit=left)
            chunks.append(np.asarray(rows).reshape(-1, 28, 28))
            left -= len(rows)
            del rows
            if left <= 0:
                break
        bitmaps = np.concatenate(chunks) if chunks else np.zeros((0, 28, 28), np.uint8)
        points = None
    else:
        strokes_list, skipped, problems = _collect_strokes(kind, name, files, per_class, seed)
        bitmaps = _render_all(strokes_list, size)
        points = [strokes_to_points(s) for s in strokes_list]
    n = len(bitmaps)
    if n == 0:
        raise DataFormatError(f"class {name!r}: no valid drawings in {', '.join(map(str, files))}")
    splits = split_assignment(n, val, test, seed, position)
    counts = {s: int((splits == i).sum()) for i, s in enumerate(("train", "val", "test"))}
    info = {
        "counts": counts,
        "skipped": skipped,
        "problems": problems[:5],
        "files": [
            {"path": str(p), "bytes": p.stat().st_size, "sha256": sha256_file(p)} for p in files
        ],
    }
    writer.write_part(position, bitmaps, splits, np.arange(n, dtype=np.int64), points, info)


def _collect_strokes(kind, name, files, per_class, seed):
    """The first `per_class` valid drawings of a class as simplified strokes."""
    if kind == "synthetic":
        from seqdoodle.datasets.synthetic import synthetic_drawings

        return [d.strokes for d in synthetic_drawings(name, per_class, seed=seed)], 0, []
    from seqdoodle.datasets.readers import read_drawings
    from seqdoodle.strokes.simplify import simplify_strokes

    strokes_list, skipped, problems = [], 0, []
    for path in files:
        reader = read_drawings(path, limit=per_class - len(strokes_list))
        for drawing in reader:
            strokes = drawing.strokes
            if _is_raw(strokes):
                strokes = simplify_strokes(strokes)
            strokes_list.append(strokes)
        summary = reader.summary
        skipped += summary.n_skipped
        problems += [f"{Path(path).name} line {ln}: {why}" for ln, why in summary.problems]
        if len(strokes_list) >= per_class:
            break
    return strokes_list, skipped, problems


def _is_raw(strokes) -> bool:
    """Raw drawings carry times (3 arrays a stroke) or non-integer coordinates."""
    first = strokes[0]
    if len(first) == 3:
        return True
    return any(isinstance(v, float) and not v.is_integer() for v in first[0][:8])


def _render_all(strokes_list, size) -> np.ndarray:
    from seqdoodle.strokes.raster import render_bitmaps

    out = np.zeros((len(strokes_list), size, size), np.uint8)
    for start in range(0, len(strokes_list), RENDER_CHUNK):
        out[start : start + RENDER_CHUNK] = render_bitmaps(
            strokes_list[start : start + RENDER_CHUNK], size=size
        )
    return out

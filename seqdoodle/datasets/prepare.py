"""`prepare`: the first N drawings per class (folders or synthetic doodles) -> a dataset folder.

One class is in memory at a time; each finished class is kept as a part so an interrupted run
resumes where it stopped, and the same arguments give byte-identical output.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from seqdoodle.datasets.filters import Filter
from seqdoodle.datasets.formats import format_for, open_reader
from seqdoodle.datasets.plan import SYNTHETIC, source_plan
from seqdoodle.datasets.prepared import SPLITS, DatasetWriter, PreparedDataset, split_assignment
from seqdoodle.datasets.records import needs_simplifying
from seqdoodle.errors import DataFormatError
from seqdoodle.fileio import folder_lock, sha256_file
from seqdoodle.progress import hold_point, progress_bars
from seqdoodle.strokes.points import strokes_to_points

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
    where: Filter | None = None,
    split_from_source: bool = False,
) -> PreparedDataset:
    """Prepare a dataset folder that both models train and are evaluated on.

    Args:
        source: str, path or list of them. A folder of per-class files in Google's layout
            (`<class>.npy`, `.ndjson`, Kaggle `.csv`, sketch-rnn `.npz` or binary `.bin`: any
            format of `seqdoodle.datasets.formats`), several folders (a class's files are read in
            the order given), or `"synthetic"` for the built-in procedural doodles.
        out: path. The dataset folder to write.
        classes: list of str or None. Classes to take; None takes every class the source has.
        per_class: int. The first `per_class` drawings of each class are taken. Defaults to 10000.
        val: float. Fraction of each class for validation. Defaults to 0.1.
        test: float. Fraction of each class for test. Defaults to 0.1.
        seed: int. Seed of the split (and of the synthetic doodles). Defaults to 0.
        size: int. Bitmap side for drawings rendered from strokes. Defaults to 28.
        progress: bool or None. Draw progress bars; None draws them on a terminal.
        where: Filter or None. Keep only drawings it passes (`plan.make_filter`, e.g.
            recognized ones from some countries); the first `per_class` kept drawings are taken.
        split_from_source: bool. Keep the source's own split (sketch-rnn's train/valid/test)
            instead of drawing one: `per_class` is shared between the splits in proportion to
            their sizes in the files. Only for sources whose files all carry a split.

    Returns:
        The `PreparedDataset`.

    Example:
    >>> ds = prepare("synthetic", "/tmp/syn", per_class=20)  # doctest: +SKIP
    >>> ds.counts()  # doctest: +SKIP
    """
    if per_class < 1:
        raise DataFormatError(f"per_class must be at least 1, got {per_class}")
    out = Path(out)
    plan = source_plan(source, classes, where)
    kinds = {entry.kind for entry in plan.values()}
    if "mixed" in kinds:
        name = next(n for n, e in plan.items() if e.kind == "mixed")
        raise DataFormatError(f"class {name!r} has both .npy and stroke files; use one format")
    if "bitmap" in kinds and len(kinds) > 1:
        raise DataFormatError("mixed sources: some classes have only .npy bitmaps, others strokes")
    has_strokes = "bitmap" not in kinds
    if not has_strokes and size != 28:
        raise DataFormatError(f"numpy_bitmap sources are 28x28; size={size} needs stroke sources")
    if split_from_source:
        bad = [p for e in plan.values() for p in e.files if format_for(p).name != "sketchrnn"]
        if bad or SYNTHETIC in kinds:
            what = bad[0] if bad else "synthetic"
            raise DataFormatError(
                f"--split-from-source: {what} has no split of its own (only sketch-rnn .npz)"
            )
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
    if where is not None and where.active:
        args["filter"] = where.to_json()
    if split_from_source:
        args["split_from_source"] = True
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
                    entry = plan[name]
                    _prepare_class(
                        writer,
                        position,
                        name,
                        entry,
                        per_class,
                        (val, test, seed),
                        size,
                        where,
                        split_from_source,
                    )
                bars.advance(task)
                hold_point("prepare", position + 1)  # for tests: SEQDOODLE_TEST_HOLD
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
        if where is not None and where.active:  # drawings the filter left out, per class
            manifest["filtered"] = {n: info.get("filtered", 0) for n, info in zip(names, infos)}
        writer.finalize(manifest)
    return PreparedDataset(out)


def _source_label(source) -> str | list[str]:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return [str(s) for s in source]


def _prepare_class(
    writer, position, name, entry, per_class, split_args, size, where, split_from_source
):
    skipped, problems, filtered, files = 0, [], 0, entry.files
    if entry.kind == "bitmap":
        from seqdoodle.datasets.formats.numpy_bitmap import read_bitmaps

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
        drawings, skipped, problems, filtered = _collect(
            entry, name, per_class, split_args[2], where, split_from_source
        )
        strokes_list = [_simplified(d) for d in drawings]
        bitmaps = _render_all(strokes_list, size)
        points = [strokes_to_points(s) for s in strokes_list]
    n = len(bitmaps)
    if n == 0:
        where_ = ", ".join(map(str, files)) or "synthetic"
        raise DataFormatError(f"class {name!r}: no valid drawings in {where_}")
    if split_from_source:
        splits = np.array([SPLITS.index(d.split) for d in drawings], dtype=np.uint8)
    else:
        splits = split_assignment(n, *split_args, position)
    counts = {s: int((splits == i).sum()) for i, s in enumerate(SPLITS)}
    info = {
        "counts": counts,
        "skipped": skipped,
        "problems": problems[:5],
        **({"filtered": filtered} if filtered else {}),
        "files": [
            {"path": str(p), "bytes": p.stat().st_size, "sha256": sha256_file(p)} for p in files
        ],
    }
    writer.write_part(position, bitmaps, splits, np.arange(n, dtype=np.int64), points, info)


def _simplified(drawing) -> list:
    if needs_simplifying(drawing):
        from seqdoodle.strokes.simplify import simplify_strokes

        return simplify_strokes(drawing.strokes)
    return drawing.strokes


def _collect(entry, name, per_class, seed, where, split_from_source):
    """The first `per_class` valid drawings a filter keeps: (drawings, skipped, problems,
    drawings the filter left out)."""
    if entry.kind == SYNTHETIC:
        from seqdoodle.datasets.synthetic import synthetic_drawings

        if where is None or not where.active:
            return synthetic_drawings(name, per_class, seed=seed), 0, [], 0
        kept, start, filtered = [], 0, 0
        while len(kept) < per_class and start < 100 * per_class:  # filters keep some at least
            chunk = synthetic_drawings(name, per_class, seed=seed, start=start)
            passed = [d for d in chunk if where.keep(d)]
            filtered += len(chunk) - len(passed)
            kept += passed
            start += per_class
        return kept[:per_class], 0, [], filtered
    quotas = _split_quotas(entry.files, per_class) if split_from_source else None
    drawings, skipped, problems, filtered = [], 0, [], 0
    for path in entry.files:
        if quotas is not None:
            from seqdoodle.datasets.formats.sketchrnn import read_sketchrnn

            left = {s: q - sum(d.split == s for d in drawings) for s, q in quotas.items()}
            reader = read_sketchrnn(path, quotas=left)
        else:
            reader = open_reader(path, limit=per_class - len(drawings), where=where, word=name)
        drawings.extend(reader)
        summary = reader.summary
        skipped += summary.n_skipped
        filtered += summary.n_filtered
        problems += [f"{path.name} {summary.unit} {n}: {why}" for n, why in summary.problems]
        if len(drawings) >= per_class:
            break
    return drawings, skipped, problems, filtered


def _split_quotas(files, per_class) -> dict[str, int]:
    """`per_class` shared between the source's splits in proportion to their sizes."""
    from seqdoodle.datasets.formats.sketchrnn import split_sizes

    sizes = {s: 0 for s in SPLITS}
    for path in files:
        for split, n in split_sizes(path).items():
            sizes[split] += n
    total = sum(sizes.values())
    if total <= per_class:
        return sizes
    quotas = {s: int(per_class * n // total) for s, n in sizes.items()}
    for s in sorted(sizes, key=lambda s: -sizes[s]):  # hand out what rounding left
        if sum(quotas.values()) >= per_class:
            break
        if quotas[s] < sizes[s]:
            quotas[s] += 1
    return quotas


def _render_all(strokes_list, size) -> np.ndarray:
    from seqdoodle.strokes.raster import render_bitmaps

    out = np.zeros((len(strokes_list), size, size), np.uint8)
    for start in range(0, len(strokes_list), RENDER_CHUNK):
        out[start : start + RENDER_CHUNK] = render_bitmaps(
            strokes_list[start : start + RENDER_CHUNK], size=size
        )
    return out

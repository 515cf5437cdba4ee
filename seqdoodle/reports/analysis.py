"""`analyze`: exploratory statistics and figures of a data folder (or the synthetic doodles).

At most `per_class` drawings of each class and source kind are read (ndjson streams stop early,
`.npy` files are memory-mapped), one class at a time. Each source kind gets its own figures and
table: `bitmap` (numpy_bitmap `.npy`), `simplified` and `raw` (ndjson strokes) and `synthetic`.

Decisions:
- Ink fraction is the share of a drawing's 28x28 pixels that are non-zero; stroke drawings are
  rendered first (raw ones after `simplify_strokes`, as Google made its bitmaps).
- Duration (raw only) is the last point's time minus the first point's time, in seconds.
- Classes with the same kind in several folders are read in the order the folders are given, up
  to `per_class` in all; a class may have one kind in one folder and another kind in the next.
- Per-class figures come in pages: 20 classes for grids, 50 for bars and box plots.

What is measured on a class is in `analysis_stats`, the figures in `analysis_figures`.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import numpy as np

from seqdoodle.datasets.filters import Filter
from seqdoodle.datasets.formats import format_for, open_reader
from seqdoodle.datasets.plan import SYNTHETIC, source_plan
from seqdoodle.errors import DataFormatError
from seqdoodle.fileio import write_json, write_text
from seqdoodle.progress import progress_bars
from seqdoodle.reports.analysis_figures import draw_figures
from seqdoodle.reports.analysis_stats import (
    KINDS,
    ClassStats,
    bitmap_stats,
    pooled_row,
    sample_index,
    stroke_stats,
)
from seqdoodle.reports.format import fmt


def analyze(
    source,
    out,
    classes: list[str] | None = None,
    per_class: int = 500,
    seed: int = 0,
    progress: bool | None = None,
    where: Filter | None = None,
) -> dict:
    """Explore a data folder: per-class statistics, figures (PNG), summary.md and summary.json.

    Figures per source kind: a sample grid, the mean image and pixel-value histograms per class
    and the ink fraction per class; for stroke data also strokes and points per drawing, share
    recognised and drawings per country (top 15); for raw data the drawing duration.

    Args:
        source: str, path or list of them. A folder of per-class files in Google's layout
            (`<class>.npy`, `<class>.ndjson`), several folders, or `"synthetic"`.
        out: path. Folder for the PNGs, `summary.md` and `summary.json` (created if needed).
        classes: list of str or None. Classes to analyse; None takes every class found.
            Defaults to None.
        per_class: int. Most drawings read per class and kind (the first ones). Defaults to 500.
        seed: int. Chooses the drawings shown in the sample grids (and the synthetic doodles).
            Defaults to 0.
        progress: bool or None. Draw a progress bar over classes; None draws it on a terminal.
            Defaults to None.
        where: Filter or None. Metadata filter (`seqdoodle.datasets.filters.make_filter`), the
            same as `prepare`'s. Defaults to None (every drawing).

    Returns:
        The summary dict written to `summary.json`: `{"source", "per_class", "seed", "kinds":
        {kind: {"classes": {class: stats}, "countries", "drawings", "skipped_lines",
        "figures": {name: [png, ...]}}}, "notes"}`.

    Raises:
        MissingFileError: a folder is missing, holds no class files, or lacks a requested class.
        UnknownClassError: a requested class is not a Quick, Draw! (or synthetic) class.
        DataFormatError: no file holds a valid drawing.

    Example:
    >>> summary = analyze("synthetic", "eda", ["sun", "wheel"], per_class=20)  # doctest: +SKIP
    >>> summary["kinds"]["synthetic"]["classes"]["sun"]["drawings"]  # doctest: +SKIP
    20
    """
    if isinstance(per_class, bool) or not isinstance(per_class, int) or per_class < 1:
        raise DataFormatError(f"per_class must be an integer >= 1, got {per_class!r}")
    plan = _plan(source, classes, where)
    if not plan:
        raise DataFormatError("no classes to analyze")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    groups: dict[str, dict[str, ClassStats]] = {}
    notes: list[str] = []
    summary = {
        "source": _source_label(source),
        "per_class": per_class,
        "seed": seed,
        "kinds": {},
        "notes": notes,
    }
    with progress_bars(progress) as bars:
        task = bars.add_task("analyze", total=len(plan))
        for position, (name, files) in enumerate(plan.items()):
            bars.update(task, description=f"analyze {name}")
            found = _read_class(name, files, per_class, seed, position, notes, where)
            for kind, stats in found.items():
                groups.setdefault(kind, {})[name] = stats
            bars.advance(task)
        if not groups:
            raise DataFormatError(f"no valid drawings to analyze ({'; '.join(notes[:3])})")
        kinds = [kind for kind in KINDS if kind in groups]
        task = bars.add_task("figures", total=len(kinds))
        for kind in kinds:
            bars.update(task, description=f"figures {kind}")
            summary["kinds"][kind] = _summarize_kind(kind, groups[kind], out)
            bars.advance(task)
    write_json(out / "summary.json", summary)
    write_text(out / "summary.md", summary_markdown(summary))
    return summary


def _source_label(source) -> str | list[str]:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return [str(s) for s in source]


def _plan(source, classes, where=None) -> dict[str, list[Path] | None]:
    """Class -> its files across the folders (None for synthetic): `datasets.plan.source_plan`."""
    plan = source_plan(source, classes, where)
    return {c: (None if e.kind == SYNTHETIC else e.files) for c, e in plan.items()}


def _read_class(name, files, per_class, seed, position, notes, where=None) -> dict:
    """Read one class (up to `per_class` drawings per kind) and measure it, kind by kind."""
    rng = np.random.default_rng([seed, position])
    if files is None:
        from seqdoodle.datasets.synthetic import synthetic_drawings

        drawings = synthetic_drawings(name, per_class, seed=seed)
        drawings = [d for d in drawings if where is None or where.keep(d)]
        return {SYNTHETIC: stroke_stats(SYNTHETIC, drawings, rng)}
    from seqdoodle.datasets.formats.numpy_bitmap import read_bitmaps

    bitmaps, drawings, read = [], {}, {}
    for path in files:
        if format_for(path).kind == "bitmaps":
            have = sum(len(b) for b in bitmaps)
            if have < per_class:
                bitmaps.append(np.asarray(read_bitmaps(path, limit=per_class - have)))
                read.setdefault("bitmap", []).append((path, 0, None))
            continue
        reader = open_reader(path, limit=per_class, where=where, word=name)
        for drawing in reader:
            bucket = drawings.setdefault(reader.summary.fmt, [])
            if len(bucket) >= per_class:
                break
            bucket.append(drawing)
        summary = reader.summary
        note = str(summary) if summary.n_skipped else None
        if summary.fmt is None:
            notes.append(f"{path}: no valid drawing ({summary})")
            continue
        read.setdefault(summary.fmt, []).append((path, summary.n_skipped, note))
    out = {}
    if bitmaps:
        rows = np.concatenate(bitmaps).reshape(-1, 28, 28)
        out["bitmap"] = bitmap_stats(rows)
        out["bitmap"].samples = [rows[i] for i in sample_index(len(rows), rng)]
    for kind, items in drawings.items():
        out[kind] = stroke_stats(kind, items, rng)
    for kind, entries in read.items():
        if kind in out:
            stats = out[kind]
            stats.files = [str(p) for p, _, _ in entries]
            stats.skipped = sum(s for _, s, _ in entries)
            stats.notes = [n for _, _, n in entries if n]
            notes.extend(f"{kind}: {n}" for n in stats.notes)
    return out


def _summarize_kind(kind: str, stats: dict[str, ClassStats], out: Path) -> dict:
    """Draw the kind's figures into `out` and return its part of the summary."""
    countries = Counter()
    for s in stats.values():
        countries.update(s.countries)
    figures = draw_figures(kind, stats, countries, out)
    pooled = pooled_row(stats)
    return {
        "classes": {name: s.to_json() for name, s in stats.items()},
        "all": pooled,
        "drawings": pooled["drawings"],
        "skipped_lines": pooled["skipped_lines"],
        "countries": dict(sorted(countries.items(), key=lambda kv: (-kv[1], kv[0]))),
        "figures": figures,
    }


_TITLES = {
    "bitmap": "numpy_bitmap (.npy, 28x28)",
    "simplified": "simplified strokes (.ndjson)",
    "raw": "raw strokes (.ndjson, with times)",
    "synthetic": "synthetic doodles (simplified strokes)",
}
# (header, summary key, format spec, scale, suffix); columns a kind lacks are left out.
_COLUMNS = (
    ("class", None),
    ("drawings read", "drawings", "d"),
    ("mean strokes", "mean_strokes", ".2f"),
    ("mean points", "mean_points", ".1f"),
    ("median duration (s)", "median_duration_s", ".2f"),
    ("share recognized", "share_recognized", ".1f", 100, "%"),
    ("ink fraction", "ink_fraction", ".1f", 100, "%"),
)
_FIGURE_NAMES = {
    "samples": "Sample drawings",
    "mean_images": "Mean image per class",
    "pixel_histograms": "Pixel-value histograms",
    "ink_fraction": "Ink fraction",
    "drawing_sizes": "Strokes and points per drawing",
    "durations": "Drawing duration",
    "recognized": "Share recognized",
    "countries": "Drawings per country",
}


def _cell(value, spec: str, scale: float = 1, suffix: str = "") -> str:
    return fmt(value, spec, scale, suffix, missing="–")


def summary_markdown(summary: dict) -> str:
    """Render an `analyze` summary as Markdown: one table per source kind, figure links, notes.

    Args:
        summary: dict. As returned by `analyze` (or read from `summary.json`).

    Returns:
        str. The text of `summary.md`.

    Example:
    >>> text = summary_markdown({"source": "x", "per_class": 5, "seed": 0, "kinds": {},
    ...                          "notes": []})
    >>> text.splitlines()[0]
    '# Data analysis'
    """
    source = summary["source"]
    source = ", ".join(source) if isinstance(source, list) else source
    lines = [
        "# Data analysis",
        "",
        f"Source: `{source}`. At most {summary['per_class']} drawings read per class and kind "
        f"(the first ones); sample grids drawn with seed {summary['seed']}.",
        "Ink fraction: share of the 28x28 pixels that are non-zero (stroke drawings rendered). "
        "Duration: last point's time minus the first's (raw files only).",
        "",
    ]
    for kind, part in summary["kinds"].items():
        rows = list(part["classes"].items()) + [("**all**", part["all"])]
        columns = [c for c in _COLUMNS if c[1] is None or part["all"][c[1]] is not None]
        lines += [f"## {_TITLES.get(kind, kind)}", ""]
        lines.append("| " + " | ".join(c[0] for c in columns) + " |")
        lines.append("|---|" + "---:|" * (len(columns) - 1))
        for name, row in rows:
            cells = [name] + [_cell(row[key], *spec) for _, key, *spec in columns[1:]]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        if part["skipped_lines"]:
            lines += [f"Bad lines skipped: {part['skipped_lines']} (see Notes).", ""]
        for what, files in part["figures"].items():
            links = ", ".join(f"[{f}]({f})" for f in files)
            lines.append(f"- {_FIGURE_NAMES.get(what, what)}: {links}")
        lines.append("")
        for what, files in part["figures"].items():
            lines += [f"![{kind}: {_FIGURE_NAMES.get(what, what)}]({files[0]})", ""]
    lines += ["## Notes", ""]
    lines += [f"- {n}" for n in summary["notes"]] or ["- No bad lines were skipped."]
    return "\n".join(lines) + "\n"

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
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqdoodle.datasets.plan import SYNTHETIC, Filter, open_reader, source_plan
from seqdoodle.errors import DataFormatError
from seqdoodle.fileio import write_json, write_text
from seqdoodle.plots import save_figure
from seqdoodle.progress import progress_bars
from seqdoodle.reports import fmt

KINDS = ("bitmap", "simplified", "raw", "sketchrnn", "synthetic")
STROKE_KINDS = ("simplified", "raw", "sketchrnn", "synthetic")
N_SAMPLES = 8
GRID_PAGE = 20
ROWS_PAGE = 50
TOP_COUNTRIES = 15
RENDER_CHUNK = 1024


@dataclass
class ClassStats:
    """What `analyze` measured on one class of one source kind.

    Args:
        kind: str. "bitmap", "simplified", "raw" or "synthetic".
        n: int. Drawings read.
        files: list of str. Files read.
        skipped: int. Bad lines skipped.
        notes: list of str. Read summaries of files with skipped lines.
        n_strokes: `(n,)` int64 strokes per drawing, or None for bitmaps.
        n_points: `(n,)` int64 points per drawing, or None for bitmaps.
        durations: `(m,)` float64 seconds per drawing (raw only, else empty).
        recognized: `(n_true, n_known)` drawings recognised, drawings with the field.
        countries: Counter of country code to drawings.
        mean_image: `(28, 28)` float64 mean pixel value.
        pixel_counts: `(256,)` int64 pixels per value over all drawings.
        ink: `(n,)` float64 ink fraction per drawing.
        samples: list of strokes (stroke kinds) or `(28, 28)` uint8 bitmaps.
    """

    kind: str
    n: int = 0
    files: list = field(default_factory=list)
    skipped: int = 0
    notes: list = field(default_factory=list)
    n_strokes: np.ndarray | None = None
    n_points: np.ndarray | None = None
    durations: np.ndarray = field(default_factory=lambda: np.zeros(0))
    recognized: tuple[int, int] = (0, 0)
    countries: Counter = field(default_factory=Counter)
    mean_image: np.ndarray | None = None
    pixel_counts: np.ndarray | None = None
    ink: np.ndarray = field(default_factory=lambda: np.zeros(0))
    samples: list = field(default_factory=list)

    def to_json(self) -> dict:
        """The class's row of `summary.json` (None where a statistic does not apply)."""
        n_true, n_known = self.recognized
        return {
            "drawings": self.n,
            "skipped_lines": self.skipped,
            "files": self.files,
            "mean_strokes": _mean(self.n_strokes),
            "median_strokes": _median(self.n_strokes),
            "mean_points": _mean(self.n_points),
            "median_points": _median(self.n_points),
            "median_duration_s": _median(self.durations),
            "mean_duration_s": _mean(self.durations),
            "share_recognized": n_true / n_known if n_known else None,
            "ink_fraction": _mean(self.ink),
            "mean_pixel": float(self.mean_image.mean()) if self.n else None,
        }


def _mean(a) -> float | None:
    return None if a is None or len(a) == 0 else float(np.mean(a))


def _median(a) -> float | None:
    return None if a is None or len(a) == 0 else float(np.median(a))


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
        where: Filter or None. Metadata filter (`seqdoodle.datasets.plan.make_filter`), the
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
        return {SYNTHETIC: _stroke_stats(SYNTHETIC, drawings, rng)}
    from seqdoodle.datasets.readers import read_bitmaps

    bitmaps, drawings, read = [], {}, {}
    for path in files:
        if path.suffix == ".npy":
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
        out["bitmap"] = _bitmap_stats(rows)
        out["bitmap"].samples = [rows[i] for i in _sample_index(len(rows), rng)]
    for kind, items in drawings.items():
        out[kind] = _stroke_stats(kind, items, rng)
    for kind, entries in read.items():
        if kind in out:
            stats = out[kind]
            stats.files = [str(p) for p, _, _ in entries]
            stats.skipped = sum(s for _, s, _ in entries)
            stats.notes = [n for _, _, n in entries if n]
            notes.extend(f"{kind}: {n}" for n in stats.notes)
    return out


def _sample_index(n: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(n, size=min(N_SAMPLES, n), replace=False)) if n else np.zeros(0, int)


def _bitmap_stats(bitmaps: np.ndarray, kind: str = "bitmap") -> ClassStats:
    """Pixel statistics of `(n, 28, 28) uint8` bitmaps (samples are left to the caller)."""
    n = len(bitmaps)
    stats = ClassStats(kind=kind, n=n)
    stats.mean_image = bitmaps.mean(axis=0, dtype=np.float64) if n else np.zeros((28, 28))
    stats.pixel_counts = np.bincount(bitmaps.ravel(), minlength=256).astype(np.int64)
    stats.ink = (bitmaps > 0).mean(axis=(1, 2), dtype=np.float64)
    return stats


def _stroke_stats(kind: str, drawings: list, rng) -> ClassStats:
    """Stroke, time, label and (rendered) pixel statistics of `Drawing` records."""
    strokes = [d.strokes for d in drawings]
    stats = _bitmap_stats(_render(strokes, raw=kind == "raw"), kind)
    stats.samples = [strokes[i] for i in _sample_index(len(strokes), rng)]
    stats.n_strokes = np.array([len(s) for s in strokes], dtype=np.int64)
    stats.n_points = np.array([sum(len(x[0]) for x in s) for s in strokes], dtype=np.int64)
    if kind == "raw":
        stats.durations = np.array([(s[-1][2][-1] - s[0][2][0]) / 1000.0 for s in strokes])
    known = [d.recognized for d in drawings if d.recognized is not None]
    stats.recognized = (sum(known), len(known))
    stats.countries = Counter(d.countrycode for d in drawings if d.countrycode)
    return stats


def _render(strokes: list, raw: bool) -> np.ndarray:
    """`(n, 28, 28) uint8` bitmaps of simplified strokes (raw ones simplified first)."""
    from seqdoodle.strokes.raster import render_bitmaps

    if raw:
        from seqdoodle.strokes.simplify import simplify_strokes

        strokes = [simplify_strokes(s) for s in strokes]
    out = np.zeros((len(strokes), 28, 28), np.uint8)
    for start in range(0, len(strokes), RENDER_CHUNK):
        out[start : start + RENDER_CHUNK] = render_bitmaps(strokes[start : start + RENDER_CHUNK])
    return out


def _pages(names: list[str], size: int) -> list[list[str]]:
    return [names[i : i + size] for i in range(0, len(names), size)] or [[]]


def _summarize_kind(kind: str, stats: dict[str, ClassStats], out: Path) -> dict:
    """Draw the kind's figures into `out` and return its part of the summary."""
    countries = Counter()
    for s in stats.values():
        countries.update(s.countries)
    figures = _draw_figures(kind, stats, countries, out)
    pooled = _pooled(stats)
    return {
        "classes": {name: s.to_json() for name, s in stats.items()},
        "all": pooled,
        "drawings": pooled["drawings"],
        "skipped_lines": pooled["skipped_lines"],
        "countries": dict(sorted(countries.items(), key=lambda kv: (-kv[1], kv[0]))),
        "figures": figures,
    }


def _pooled(stats: dict[str, ClassStats]) -> dict:
    """The kind's statistics over all its drawings (the 'all' row of the table)."""
    items = [s for s in stats.values() if s.n]
    kind = next(iter(stats.values())).kind
    joined = ClassStats(kind=kind, n=sum(s.n for s in stats.values()))
    joined.skipped = sum(s.skipped for s in stats.values())
    if kind in STROKE_KINDS:
        joined.n_strokes = np.concatenate([s.n_strokes for s in items] or [np.zeros(0)])
        joined.n_points = np.concatenate([s.n_points for s in items] or [np.zeros(0)])
    joined.durations = np.concatenate([s.durations for s in stats.values()])
    joined.recognized = tuple(np.sum([s.recognized for s in stats.values()], axis=0).tolist())
    joined.ink = np.concatenate([s.ink for s in stats.values()])
    weights = np.array([s.n for s in items], float)
    means = [s.mean_image for s in items]
    joined.mean_image = np.average(means, axis=0, weights=weights) if items else np.zeros((28, 28))
    row = joined.to_json()
    del row["files"]
    return row


def _draw_figures(kind, stats, countries, out: Path) -> dict[str, list[str]]:
    from seqdoodle.plots import data as plots

    names = [n for n, s in stats.items() if s.n]
    figures: dict[str, list[str]] = {}

    def save(what, fig, page, n_pages):
        file = f"{kind}_{what}{'' if n_pages == 1 else f'_{page + 1}'}.png"
        save_figure(fig, out / file)
        figures.setdefault(what, []).append(file)

    def label(page, pages):
        return f"{kind}" + ("" if len(pages) == 1 else f", page {page + 1} of {len(pages)}")

    if not names:
        return figures
    pages = _pages(names, GRID_PAGE)
    for i, page in enumerate(pages):
        where = label(i, pages)
        fig = plots.plot_sample_grid(
            {n: stats[n].samples for n in page},
            title=f"Sample drawings ({where}; {N_SAMPLES} random drawings per class)",
        )
        save("samples", fig, i, len(pages))
        fig = plots.plot_mean_images(
            {n: stats[n].mean_image for n in page}, title=f"Mean 28x28 image per class ({where})"
        )
        save("mean_images", fig, i, len(pages))
        fig = plots.plot_pixel_histograms(
            {n: stats[n].pixel_counts for n in page},
            title=f"Ink pixel values per class ({where}; 28x28 bitmaps)",
        )
        save("pixel_histograms", fig, i, len(pages))
    pages = _pages(names, ROWS_PAGE)
    for i, page in enumerate(pages):
        where = label(i, pages)
        fig = plots.plot_class_bars(
            {n: float(stats[n].ink.mean()) for n in page},
            "ink fraction (% of the 784 pixels that are non-zero; bar = mean, line = 1 s.d.)",
            f"Ink fraction per class ({where})",
            errors={n: float(stats[n].ink.std()) for n in page},
            percent=True,
        )
        save("ink_fraction", fig, i, len(pages))
        if kind not in STROKE_KINDS:
            continue
        fig = plots.plot_drawing_sizes(
            {n: stats[n].n_strokes for n in page},
            {n: stats[n].n_points for n in page},
            title=f"Strokes and points per drawing ({where}"
            + ("; raw points as recorded, before simplification)" if kind == "raw" else ")"),
        )
        save("drawing_sizes", fig, i, len(pages))
        if any(len(stats[n].durations) for n in page):
            fig = plots.plot_class_boxes(
                {n: stats[n].durations for n in page},
                "drawing duration (s, last point's time minus first point's time)",
                f"Drawing duration per class ({where})",
            )
            save("durations", fig, i, len(pages))
        shares = {n: _share(stats[n].recognized) for n in page}
        if any(v is not None for v in shares.values()):
            fig = plots.plot_class_bars(
                shares,
                "recognized by Google's model (% of drawings)",
                f"Share recognized per class ({where})",
                percent=True,
            )
            save("recognized", fig, i, len(pages))
    if countries:
        fig = plots.plot_top_counts(
            countries,
            "drawings (share of all drawings read)",
            f"Drawings per country ({kind}, all {len(names)} classes; top {TOP_COUNTRIES} "
            f"of {len(countries)} countries)",
            top=TOP_COUNTRIES,
        )
        save("countries", fig, 0, 1)
    return figures


def _share(recognized: tuple[int, int]) -> float | None:
    n_true, n_known = recognized
    return n_true / n_known if n_known else None


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

"""The figures of `analyze`, one set per source kind, in pages of classes.

A sample grid, the mean images and pixel-value histograms (20 classes a page) and the ink
fraction (50 a page) for every kind; strokes and points per drawing, durations (raw only), the
share recognised (50 a page) and drawings per country for stroke kinds.
"""

from __future__ import annotations

from pathlib import Path

from seqdoodle.plots import save_figure
from seqdoodle.reports.analysis_stats import N_SAMPLES, STROKE_KINDS

GRID_PAGE = 20
ROWS_PAGE = 50
TOP_COUNTRIES = 15


def _pages(names: list[str], size: int) -> list[list[str]]:
    return [names[i : i + size] for i in range(0, len(names), size)] or [[]]


def draw_figures(kind, stats, countries, out: Path) -> dict[str, list[str]]:
    """Draw one source kind's figures into `out`.

    Args:
        kind: str. The source kind ("bitmap", "simplified", "raw", ...).
        stats: dict of class name to `ClassStats`.
        countries: Counter of country code to drawings, over all classes.
        out: Path. The folder the PNGs go to.

    Returns:
        dict of figure name (`"samples"`, `"ink_fraction"`, ...) to its PNG files, one a page.
    """
    from seqdoodle.plots import classes as class_plots
    from seqdoodle.plots import drawings as drawing_plots

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
        fig = drawing_plots.plot_sample_grid(
            {n: stats[n].samples for n in page},
            title=f"Sample drawings ({where}; {N_SAMPLES} random drawings per class)",
        )
        save("samples", fig, i, len(pages))
        fig = drawing_plots.plot_mean_images(
            {n: stats[n].mean_image for n in page}, title=f"Mean 28x28 image per class ({where})"
        )
        save("mean_images", fig, i, len(pages))
        fig = drawing_plots.plot_pixel_histograms(
            {n: stats[n].pixel_counts for n in page},
            title=f"Ink pixel values per class ({where}; 28x28 bitmaps)",
        )
        save("pixel_histograms", fig, i, len(pages))
    pages = _pages(names, ROWS_PAGE)
    for i, page in enumerate(pages):
        where = label(i, pages)
        fig = class_plots.plot_class_bars(
            {n: float(stats[n].ink.mean()) for n in page},
            "ink fraction (% of the 784 pixels that are non-zero; bar = mean, line = 1 s.d.)",
            f"Ink fraction per class ({where})",
            errors={n: float(stats[n].ink.std()) for n in page},
            percent=True,
        )
        save("ink_fraction", fig, i, len(pages))
        if kind not in STROKE_KINDS:
            continue
        fig = class_plots.plot_drawing_sizes(
            {n: stats[n].n_strokes for n in page},
            {n: stats[n].n_points for n in page},
            title=f"Strokes and points per drawing ({where}"
            + ("; raw points as recorded, before simplification)" if kind == "raw" else ")"),
        )
        save("drawing_sizes", fig, i, len(pages))
        if any(len(stats[n].durations) for n in page):
            fig = class_plots.plot_class_boxes(
                {n: stats[n].durations for n in page},
                "drawing duration (s, last point's time minus first point's time)",
                f"Drawing duration per class ({where})",
            )
            save("durations", fig, i, len(pages))
        shares = {n: _share(stats[n].recognized) for n in page}
        if any(v is not None for v in shares.values()):
            fig = class_plots.plot_class_bars(
                shares,
                "recognized by Google's model (% of drawings)",
                f"Share recognized per class ({where})",
                percent=True,
            )
            save("recognized", fig, i, len(pages))
    if countries:
        fig = class_plots.plot_top_counts(
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

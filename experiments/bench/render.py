"""
Title: Rendering and stroke-3 encoding speed
Description: Drawings per second for render_bitmaps and the stroke-3 encoders on real drawings.

Preparing a dataset renders every drawing to 28x28 and encodes it as stroke-3, so both must be
fast. This module takes the real simplified drawings in `../shared/quickdraw/simplified` (all
classes, one pass over every file), and measures:

- `render_bitmaps` (cairo, one reused surface) in one process, and with `workers=2`;
- the pure-numpy fallback renderer on a sample, with its error against cairo;
- `drawing_to_stroke3` on Google strokes and `points_to_stroke3` on the point form.

Timings are the best of `--repeat` runs (the machine is shared). Run:
`python -m experiments.bench.render [--data ../shared/quickdraw]`; it prints the figures and
writes `experiments/results/bench_render.json`.
"""

import json
import os
import time
from pathlib import Path

import numpy as np

from experiments.common import (
    RESULTS,
    SHARED,
    argument_parser,
    command_line,
    settings_of,
    write_result,
)
from seqdoodle.strokes.points import strokes_to_points
from seqdoodle.strokes.raster import cairo_available, render_bitmaps
from seqdoodle.strokes.stroke3 import drawing_to_stroke3, points_to_stroke3


def load_drawings(data: Path, limit: int) -> list:
    """The first `limit` simplified drawings (strokes) of `data/simplified`, files by name."""
    drawings = []
    for path in sorted((data / "simplified").glob("*.ndjson")):
        with open(path, encoding="utf-8") as f:
            drawings += [json.loads(line)["drawing"] for line in f if line.strip()]
    return drawings[:limit]


def best_rate(func, items, repeat: int) -> float:
    """Items per second of func(items), best of `repeat` runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func(items)
        best = min(best, time.perf_counter() - start)
    return len(items) / best


"""
## Measure
"""


def main(argv: list[str] | None = None) -> dict:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("--data", type=Path, default=SHARED)
    parser.add_argument("--limit", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS / "bench_render.json")
    args = parser.parse_args(argv)

    drawings = load_drawings(args.data, args.limit)
    points = [strokes_to_points(d) for d in drawings]
    sample = drawings[::20][:300]
    cairo_images = render_bitmaps(sample, backend="cairo")
    numpy_images = render_bitmaps(sample, backend="numpy")
    error = np.abs(numpy_images.astype(np.int16) - cairo_images)

    report = {
        "drawings": len(drawings),
        "points_per_drawing": float(np.mean([len(p) for p in points])),
        "cpu_count": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],
        "cairo_available": cairo_available(),
        "render_per_s": best_rate(render_bitmaps, drawings, args.repeat),
        "render_2_workers_per_s": best_rate(
            lambda d: render_bitmaps(d, workers=2), drawings, args.repeat
        ),
        "render_numpy_per_s": best_rate(lambda d: render_bitmaps(d, backend="numpy"), sample, 1),
        "numpy_vs_cairo_mae": float(error.mean()),
        "numpy_vs_cairo_p99_abs_error": float(np.percentile(error, 99)),
        "numpy_vs_cairo_sample": len(sample),
        "drawing_to_stroke3_per_s": best_rate(
            lambda d: [drawing_to_stroke3(s) for s in d], drawings, args.repeat
        ),
        "points_to_stroke3_per_s": best_rate(
            lambda p: [points_to_stroke3(x) for x in p], points, args.repeat
        ),
    }
    write_result(args.out, report, command_line(__file__, argv), settings_of(args))
    for name, value in report.items():
        print(f"{name:32s} {value:,.2f}" if isinstance(value, float) else f"{name:32s} {value}")
    print(f"wrote {args.out}")
    return report


if __name__ == "__main__":
    main()

"""
Title: How close is our simplification to Google's?
Description: Simplify Google's raw drawings and compare with Google's own simplified files.

Quick, Draw! ships every drawing in a "raw" format (canvas coordinates, times) and a
"simplified" one (aligned, scaled to 0..255, resampled, Ramer-Douglas-Peucker with epsilon 2).
The real-data subset in `../shared/quickdraw` holds about 8,000 drawings in both formats (same
`key_id`). For each of them we run `simplify_strokes` on the raw strokes and measure:

- the share of drawings whose simplified strokes equal Google's exactly, point for point;
- the mean absolute error between the 28x28 renderings of ours and Google's, in grey levels
  (0..255) per pixel, averaged over drawings (acceptance: at most 1.0).

Run: `python -m experiments.studies.simplify_report [--data ../shared/quickdraw]`; it prints the
figures and writes `experiments/results/simplify_report.json`.
"""

import json
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
from seqdoodle.strokes.raster import render_bitmaps
from seqdoodle.strokes.simplify import simplify_strokes

"""
## Pair the two formats by key_id

Google's two files of a class hold the same drawings; the `key_id` ties a raw drawing to its
simplified twin. Only drawings present in both are compared.
"""


def read_by_key(path: Path) -> dict:
    """key_id -> Google record, one JSON object a line."""
    records = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                record = json.loads(line)
                records[record["key_id"]] = record
    return records


def shared_pairs(data: Path) -> list[tuple[str, str, list, list]]:
    """(class, key_id, raw strokes, Google's simplified strokes) for every shared key_id."""
    pairs = []
    for raw_path in sorted((data / "raw").glob("*.ndjson")):
        simplified_path = data / "simplified" / raw_path.name
        if not simplified_path.exists():
            continue
        raw = read_by_key(raw_path)
        simplified = read_by_key(simplified_path)
        for key in sorted(raw.keys() & simplified.keys()):
            pairs.append((raw_path.stem, key, raw[key]["drawing"], simplified[key]["drawing"]))
    return pairs


"""
## Simplify, compare, render

Exact equality is the strict test (every point of every stroke); the rendering error is what a
model would see, since the CNN reads 28x28 bitmaps. The simplifier's speed is measured on the
same drawings.
"""


def main(argv: list[str] | None = None) -> dict:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("--data", type=Path, default=SHARED, help="real data folder")
    parser.add_argument("--out", type=Path, default=RESULTS / "simplify_report.json")
    args = parser.parse_args(argv)

    pairs = shared_pairs(args.data)
    if not pairs:
        raise SystemExit(f"{args.data}: no drawings in both raw/ and simplified/")
    start = time.perf_counter()
    ours = [simplify_strokes(raw) for _, _, raw, _ in pairs]
    seconds = time.perf_counter() - start
    google = [simplified for *_, simplified in pairs]

    exact = np.array([a == b for a, b in zip(ours, google)])
    same_points = np.array(
        [[len(s[0]) for s in a] == [len(s[0]) for s in b] for a, b in zip(ours, google)]
    )
    error = np.abs(render_bitmaps(ours).astype(np.int16) - render_bitmaps(google))
    mae = error.reshape(len(pairs), -1).mean(axis=1)

    report = {
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "drawings": len(pairs),
        "classes": len({cls for cls, *_ in pairs}),
        "exact_share": float(exact.mean()),
        "exact_count": int(exact.sum()),
        "same_point_counts_share": float(same_points.mean()),
        "render_mae_mean": float(mae.mean()),
        "render_mae_max": float(mae.max()),
        "identical_render_share": float((mae == 0).mean()),
        "not_exact": [f"{cls}:{key}" for (cls, key, *_), ok in zip(pairs, exact) if not ok],
        "simplify_drawings_per_s": len(pairs) / seconds,
    }
    write_result(args.out, report, command_line(__file__, argv), settings_of(args))
    print(f"drawings in both formats: {report['drawings']} ({report['classes']} classes)")
    print(f"exactly equal to Google's simplified strokes: {report['exact_share']:.4%}")
    print(f"28x28 rendering, mean abs error per pixel: {report['render_mae_mean']:.4f} grey levels")
    print(f"identical renderings: {report['identical_render_share']:.4%}")
    print(f"simplify speed: {report['simplify_drawings_per_s']:.0f} drawings/s")
    print(f"wrote {args.out}")
    return report


if __name__ == "__main__":
    main()

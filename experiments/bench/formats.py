"""
Title: Kaggle CSV files stream in bounded memory (100k rows cost what 10k rows cost)
Description: Peak memory and rows/s of reading Kaggle CSV files and writing a submission, and the
round trip of every other format through `convert` and `prepare`.

Writes a Kaggle `train_simplified`-style CSV and a `test_simplified`-style CSV of `--rows` rows
(repeating real drawings from ../shared/quickdraw with fresh key_ids) plus a file a tenth that size,
then, each in a fresh Python process, streams every row through `read_kaggle_csv` and through
`write_submission` (with a stand-in run whose `predict_proba` is a cheap function of the drawing,
so the figure is the format code's, not a model's). Reported: the growth of the peak resident
memory (`VmHWM`, reset just before the work) and rows per second.

Then the round trip: the first `--per-class` simplified drawings of `--classes` real classes are
converted (`seqdoodle.datasets.convert`) to Kaggle CSV, binary and sketch-rnn, each folder is
prepared, and its labels, bitmaps and strokes are compared with the dataset prepared from ndjson.

Run:
    python -m experiments.bench.formats [--rows 100000] [--classes 345] [--per-class 25]

Writes experiments/results/bench_formats.json (atomically) and prints a table.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from experiments.common import (
    REPO,
    SHARED,
    argument_parser,
    command_line,
    settings_of,
    write_result,
)

# Runs in a fresh process (in the checkout, so `experiments` imports); the peak memory is reset
# after the imports so they do not hide the work.
_CHILD = """
import json, sys, time
import numpy as np
from experiments.common import peak_rss_kib, reset_peak_rss
from seqdoodle.datasets.kaggle import read_kaggle_csv, write_submission

class Run:
    classes = [f"class {i}" for i in range(340)]
    def predict_proba(self, drawings):
        out = np.zeros((len(drawings), 340), np.float32)
        for i, d in enumerate(drawings):
            out[i, (len(d.strokes) * 7 + i) % 340] = 1.0
        return out

path, task, out = sys.argv[1], sys.argv[2], sys.argv[3]
reset_peak_rss()
before = peak_rss_kib()
start = time.perf_counter()
if task == "read":
    reader = read_kaggle_csv(path)
    n = sum(1 for _ in reader)
    assert reader.summary.n_skipped == 0, str(reader.summary)
else:
    n = write_submission(Run(), path, out, progress=False)
seconds = time.perf_counter() - start
growth_mib = (peak_rss_kib() - before) / 1024
print(json.dumps({"rows": n, "seconds": seconds, "peak_growth_mib": growth_mib}))
"""


def _source_records(limit: int = 2000) -> list[dict]:
    records = []
    for path in sorted((SHARED / "simplified").glob("*.ndjson"))[:40]:
        with open(path, encoding="utf-8") as f:
            for line in f:
                records.append(json.loads(line))
                if len(records) >= limit:
                    return records
    if not records:
        raise SystemExit(f"no real drawings in {SHARED / 'simplified'}")
    return records


def _write_csv(path: Path, records: list[dict], rows: int, test: bool) -> None:
    """Kaggle's layout, one line per row (drawing as a quoted JSON string)."""
    import csv

    columns = ["key_id", "countrycode", "drawing"] if test else [
        "countrycode", "drawing", "key_id", "recognized", "timestamp", "word"
    ]  # fmt: skip
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        for i in range(rows):
            r = records[i % len(records)]
            values = {
                "countrycode": r.get("countrycode", ""),
                "drawing": json.dumps(r["drawing"]),
                "key_id": str(9_000_000_000_000_000 + i),
                "recognized": str(r.get("recognized", True)),
                "timestamp": r.get("timestamp", ""),
                "word": r["word"],
            }
            writer.writerow([values[c] for c in columns])


def _child(path: Path, task: str, out: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), task, str(out)],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def _roundtrip(n_classes: int, per_class: int) -> dict:
    import shutil
    import time

    import numpy as np

    from seqdoodle.datasets.convert import convert
    from seqdoodle.datasets.prepare import prepare

    files = sorted((SHARED / "simplified").glob("*.ndjson"))[:n_classes]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "ndjson").mkdir()
        for f in files:
            shutil.copy(f, tmp / "ndjson" / f.name)
        base = prepare(tmp / "ndjson", tmp / "p_ndjson", per_class=per_class, progress=False)
        for fmt in ("kaggle-csv", "binary", "sketchrnn"):
            start = time.perf_counter()
            convert(tmp / "ndjson", fmt, tmp / fmt, per_class=per_class, progress=False)
            converted = time.perf_counter() - start
            ds = prepare(tmp / fmt, tmp / f"p_{fmt}", per_class=per_class, progress=False)
            diff = np.abs(np.asarray(ds.bitmaps, float) - np.asarray(base.bitmaps, float))
            per_drawing = diff.mean(axis=(1, 2))
            out[fmt] = {
                "classes": len(ds.classes),
                "drawings": len(ds),
                "labels_equal": bool(np.array_equal(ds.labels, base.labels)),
                "bitmaps_equal": bool(np.array_equal(ds.bitmaps, base.bitmaps)),
                "strokes_equal": all(
                    np.array_equal(ds.points_of(i), base.points_of(i)) for i in range(len(ds))
                ),
                "bitmap_mae_grey_levels": round(float(diff.mean()), 3),
                "per_drawing_mae_p99": round(float(np.percentile(per_drawing, 99)), 3),
                "convert_s": round(converted, 2),
            }
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--classes", type=int, default=345)
    parser.add_argument("--per-class", type=int, default=25)
    args = parser.parse_args(argv)
    records = _source_records()
    rows_small = max(1, args.rows // 10)
    results = {"rows": args.rows, "source_drawings": len(records)}
    results["runs"] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for test in (False, True):
            for rows in (rows_small, args.rows):
                path = tmp / f"{'test' if test else 'train'}_{rows}.csv"
                _write_csv(path, records, rows, test)
                size_mb = path.stat().st_size / 2**20
                tasks = ("read", "submission") if test else ("read",)
                for task in tasks:
                    got = _child(path, task, tmp / "submission.csv")
                    assert got["rows"] == rows, got
                    results["runs"].append({
                        "file": "test" if test else "train", "task": task, "rows": rows,
                        "file_mib": round(size_mb, 1),
                        "rows_per_s": round(rows / got["seconds"]),
                        "peak_growth_mib": round(got["peak_growth_mib"], 1),
                    })  # fmt: skip
    print(f"{'file':<6} {'task':<11} {'rows':>8} {'MiB':>7} {'rows/s':>8} {'peak +MiB':>10}")
    for r in results["runs"]:
        print(
            f"{r['file']:<6} {r['task']:<11} {r['rows']:>8} {r['file_mib']:>7} "
            f"{r['rows_per_s']:>8} {r['peak_growth_mib']:>10}"
        )
    results["roundtrip"] = _roundtrip(args.classes, args.per_class)
    for fmt, r in results["roundtrip"].items():
        print(f"round trip {fmt}: {r}")
    path = write_result("bench_formats", results, command_line(__file__, argv), settings_of(args))
    print(f"saved {path.relative_to(REPO)}")
    return results


if __name__ == "__main__":
    main()

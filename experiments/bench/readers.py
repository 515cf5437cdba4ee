"""
Title: Reading the first drawings of a large file costs the same memory as of a small one
Description: Peak memory and parsing rate of `read_drawings` (ndjson) and `read_bitmaps` (npy) on
a small and a large file, each read in a fresh process.

`read_drawings` streams ndjson line by line and `read_bitmaps` memory-maps `.npy` files, so reading
the first 10,000 drawings should need the same memory whether the file holds 10,000 or 1,000,000
drawings. This script writes a small and a large file of each format into a temporary folder
(repeating real Quick, Draw! lines from `../shared/quickdraw` when present, else the test
fixtures), reads the first `--n` drawings of each in a fresh Python process, and reports the
growth of the peak resident memory (`VmHWM`, reset just before the read) and the parsing rate.

Run:
    python -m experiments.bench.readers [--ndjson-mb 250] [--npy-mb 100] [--n 10000]

Writes experiments/results/bench_readers.json (atomically) and prints a table.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from experiments.common import (
    REPO,
    SHARED,
    argument_parser,
    command_line,
    settings_of,
    write_result,
)
from seqdoodle import fileio
from seqdoodle.datasets.readers import read_drawings

# Runs in a fresh process (in the checkout, so `experiments` imports): peak RSS before and after
# reading the first n drawings; the peak is reset after the imports so they do not hide the read.
_CHILD = """
import json, sys, time
from experiments.common import peak_rss_kib, reset_peak_rss
from seqdoodle.datasets.readers import read_bitmaps, read_drawings

path, n = sys.argv[1], int(sys.argv[2])
reset_peak_rss()
before = peak_rss_kib()
start = time.perf_counter()
if path.endswith(".npy"):
    rows = read_bitmaps(path, limit=n)
    count, checksum = len(rows), int(rows.sum(dtype="uint64"))  # touches every page read
else:
    reader = read_drawings(path, limit=n)
    count = checksum = 0
    for d in reader:
        count += 1
        checksum += len(d.strokes)
seconds = time.perf_counter() - start
after = peak_rss_kib()
print(json.dumps({"count": count, "seconds": seconds, "rss_growth_kib": after - before,
                  "peak_rss_kib": after, "checksum": checksum}))
"""


def real_lines() -> list[bytes]:
    """Simplified ndjson lines to repeat: real drawings when present, else the test fixture's."""
    path = SHARED / "simplified" / "monkey.ndjson"
    if not path.is_file():
        path = REPO / "tests" / "datasets" / "fixtures" / "mixed_simplified.ndjson"
    valid = {int(d.source.rsplit(":", 1)[1]) for d in read_drawings(path)}
    lines = path.read_bytes().splitlines()
    return [line + b"\n" for i, line in enumerate(lines, 1) if i in valid]


def real_rows() -> np.ndarray:
    """numpy_bitmap rows to repeat: real ones when present, else random uint8."""
    path = SHARED / "bitmap" / "cat.npy"
    if path.is_file():
        return np.load(path)
    return np.random.default_rng(0).integers(0, 256, (1000, 784), dtype=np.uint8)


def write_ndjson(path: Path, lines: list[bytes], target_bytes: int) -> int:
    """Repeat `lines` until the file reaches `target_bytes`; return the number of lines."""
    block = b"".join(lines)
    repeats = max(1, -(-target_bytes // len(block)))
    with fileio.atomic_write(path, "wb") as f:
        for _ in range(repeats):
            f.write(block)
    return repeats * len(lines)


def write_npy(path: Path, rows: np.ndarray, n_rows: int) -> None:
    """Write an `(n_rows, 784) uint8` .npy by repeating `rows`, chunk by chunk."""
    header = {"descr": "|u1", "fortran_order": False, "shape": (n_rows, 784)}
    with fileio.atomic_write(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
        left = n_rows
        while left:
            chunk = rows[: min(left, len(rows))]
            f.write(chunk.tobytes())
            left -= len(chunk)


def measure(path: Path, n: int, runs: int = 3) -> dict:
    """Best-of-`runs` time and largest RSS growth of reading the first `n` drawings of `path`."""
    results = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path), str(n)],
            check=True,
            capture_output=True,
            text=True,
            cwd=REPO,
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    best = min(results, key=lambda r: r["seconds"])
    return {
        "file": path.name,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "drawings_read": best["count"],
        "seconds": round(best["seconds"], 3),
        "drawings_per_s": round(best["count"] / best["seconds"]),
        "rss_growth_mib": round(max(r["rss_growth_kib"] for r in results) / 1024, 1),
        "peak_rss_mib": round(max(r["peak_rss_kib"] for r in results) / 1024, 1),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("--ndjson-mb", type=float, default=250, help="large ndjson size, MB")
    parser.add_argument("--npy-mb", type=float, default=100, help="large npy size, MB")
    parser.add_argument("--n", type=int, default=10_000, help="drawings to read")
    args = parser.parse_args(argv)

    lines, rows = real_lines(), real_rows()
    mean_line_bytes = sum(map(len, lines)) / len(lines)
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        small_ndjson = int(args.n * mean_line_bytes * 1.05)
        write_ndjson(tmp / "small.ndjson", lines, small_ndjson)
        write_ndjson(tmp / "large.ndjson", lines, int(args.ndjson_mb * 1e6))
        write_npy(tmp / "small.npy", rows, args.n)
        write_npy(tmp / "large.npy", rows, int(args.npy_mb * 1e6 / 784))
        write_seconds = time.perf_counter() - started
        for name in ("small.ndjson", "large.ndjson", "small.npy", "large.npy"):
            table.append(measure(tmp / name, args.n))

    print(
        f"{'file':<14}{'MB':>9}{'read':>8}{'seconds':>9}{'drawings/s':>12}"
        f"{'RSS growth MiB':>16}{'peak RSS MiB':>14}"
    )
    for r in table:
        print(
            f"{r['file']:<14}{r['file_mb']:>9}{r['drawings_read']:>8}{r['seconds']:>9}"
            f"{r['drawings_per_s']:>12}{r['rss_growth_mib']:>16}{r['peak_rss_mib']:>14}"
        )
    by_name = {r["file"]: r for r in table}
    summary = {
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "n": args.n,
        "source": "real" if (SHARED / "simplified").is_dir() else "fixtures",
        "write_seconds": round(write_seconds, 1),
        "ndjson_rss_growth_large_minus_small_mib": round(
            by_name["large.ndjson"]["rss_growth_mib"] - by_name["small.ndjson"]["rss_growth_mib"], 1
        ),
        "npy_rss_growth_large_minus_small_mib": round(
            by_name["large.npy"]["rss_growth_mib"] - by_name["small.npy"]["rss_growth_mib"], 1
        ),
        "runs": table,
    }
    print(
        "RSS growth, large minus small: ndjson "
        f"{summary['ndjson_rss_growth_large_minus_small_mib']} MiB, npy "
        f"{summary['npy_rss_growth_large_minus_small_mib']} MiB"
    )
    path = write_result("bench_readers", summary, command_line(__file__, argv), settings_of(args))
    print(f"saved {path.relative_to(REPO)}")
    return summary


if __name__ == "__main__":
    main()

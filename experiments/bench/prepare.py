"""
Title: `prepare` alone: its time and peak memory, in a fresh process
Description: Run `prepare` once in this process and print its time and peak memory as one JSON
line.

`python -m experiments.bench.benchmark` starts this module in a fresh Python process, so the peak
resident memory it reports belongs to `prepare` alone (plus the interpreter and numpy), not to the
benchmark that already holds TensorFlow.

Run:
    python -m experiments.bench.prepare SOURCE OUT [--classes '["cat", "dog"]'] [--per-class N]

Prints, as the last line of stdout, a JSON object: `drawings`, `seconds`, `drawings_per_s`,
`peak_rss_mb` (the process's peak resident memory, MB = 2**20 bytes), `rss_before_mb` (after the
imports, before `prepare`), and `tensorflow_loaded` (whether `prepare` pulled in TensorFlow).
"""

from __future__ import annotations

import json
import sys
import time

from experiments.common import argument_parser, peak_rss_kib


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (2**20 bytes)."""
    return peak_rss_kib() / 1024


def main(argv: list[str] | None = None) -> dict:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("source", nargs="+", help="source folder(s), or 'synthetic'")
    parser.add_argument("out", help="dataset folder to write")
    parser.add_argument("--classes", default=None, help="JSON list of classes (default: all)")
    parser.add_argument("--per-class", type=int, default=10000)
    args = parser.parse_args(argv)

    from seqdoodle.datasets.prepare import prepare

    classes = json.loads(args.classes) if args.classes else None
    source = args.source[0] if len(args.source) == 1 else args.source
    before = peak_rss_mb()
    start = time.perf_counter()
    ds = prepare(source, args.out, classes=classes, per_class=args.per_class, progress=False)
    seconds = time.perf_counter() - start
    result = {
        "drawings": len(ds),
        "classes": len(ds.classes),
        "seconds": seconds,
        "drawings_per_s": len(ds) / seconds,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": before,
        "tensorflow_loaded": "tensorflow" in sys.modules,
    }
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()

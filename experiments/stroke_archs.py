"""Stroke models side by side: TensorFlow's tutorial architecture against seqdoodle's default.

Both are trained in one run, on the same prepared drawings, with the same trainer settings
(epochs, batch size, learning rate, early stopping, time limit). The script reports training
drawings per second and test accuracy for each, and the speed ratio.

Default data: the 8 real classes with 500+ stroke drawings (`simplified/monkey.ndjson` and
`simplified_nokeyid/*`) from `../shared/quickdraw`.

    python experiments/stroke_archs.py [--shared ../shared/quickdraw] [--out DIR] [--time-limit 14]

Writes `experiments/results/stroke_archs.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import seqdoodle
from seqdoodle.fileio import write_json

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_data import SHARED, STROKE_CLASSES, stroke_sources  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--out", type=Path, default=REPO / "experiments" / "results" / "archs")
    parser.add_argument("--time-limit", type=float, default=14.0, help="minutes per model")
    parser.add_argument("--epochs", type=int, default=None, help="default: the trainer's")
    args = parser.parse_args()

    # ## Data: one prepared folder, so both models see identical drawings and splits.
    data = args.out / "st8"
    sources = stroke_sources(args.shared)
    seqdoodle.prepare(sources, data, classes=STROKE_CLASSES, progress=False)

    # ## Train both architectures with the same settings.
    results = {}
    for arch in ("default", "tutorial"):
        started = time.monotonic()
        summary = seqdoodle.train(
            "rnn",
            data,
            args.out / f"rnn_{arch}",
            arch=arch,
            epochs=args.epochs,
            time_limit=args.time_limit,
            progress=False,
        )
        metrics = json.loads((args.out / f"rnn_{arch}" / "metrics.json").read_text())
        results[arch] = {
            "train_drawings_per_s": round(summary["samples_per_second"], 1),
            "epochs_run": summary["epochs_run"],
            "stop_reason": summary["stop_reason"],
            "best_val_accuracy": summary["best_val_accuracy"],
            "test_top1": metrics["top1"],
            "test_top3": metrics["top3"],
            "wall_seconds": round(time.monotonic() - started, 1),
        }
        print(f"{arch:9s} {results[arch]}", flush=True)

    # ## The comparison: speed ratio and accuracy difference.
    ratio = results["default"]["train_drawings_per_s"] / results["tutorial"]["train_drawings_per_s"]
    report = {
        "data": {"classes": STROKE_CLASSES, "sources": [str(s) for s in sources]},
        "models": results,
        "speed_ratio_default_over_tutorial": round(ratio, 2),
        "top1_default_minus_tutorial": round(
            results["default"]["test_top1"] - results["tutorial"]["test_top1"], 4
        ),
    }
    out = REPO / "experiments" / "results" / "stroke_archs.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, report)
    print(
        f"default is {ratio:.1f}x faster than tutorial; test top-1 "
        f"{results['default']['test_top1']:.1%} vs {results['tutorial']['test_top1']:.1%}"
    )


if __name__ == "__main__":
    main()

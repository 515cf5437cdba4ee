"""
Title: Stroke models side by side: TensorFlow's tutorial architecture against seqdoodle's default
Description: Both trained on the same prepared drawings with the same trainer settings; training
drawings per second, test accuracy and the speed ratio.

## Introduction

TensorFlow's Quick, Draw! tutorial reads strokes with three Conv1D layers and three bidirectional
LSTM layers of 128 units; seqdoodle's default stroke model is smaller and faster. Both are trained
in one run, on the same prepared drawings, with the same trainer settings (epochs, batch size,
learning rate, early stopping, time limit), so the speed ratio and the accuracy difference
compare like with like.

Default data: the 8 real classes with 500+ stroke drawings (`simplified/monkey.ndjson` and
`simplified_nokeyid/*`) from `../shared/quickdraw`.

Run:

    python -m experiments.studies.stroke_archs [--shared ../shared/quickdraw] [--time-limit 14]

The dataset and runs go to `--out` (default `experiments/work/stroke_archs`); writes
`experiments/results/stroke_archs.json`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import seqdoodle
from experiments.common import (
    SHARED,
    STROKE_CLASSES,
    WORK,
    argument_parser,
    command_line,
    portable,
    prepare_stroke_set,
    settings_of,
    split_settings,
    stroke_sources,
    write_result,
)


def main(argv: list[str] | None = None) -> dict:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("--shared", type=Path, default=SHARED, help="real data folder")
    parser.add_argument("--out", type=Path, default=WORK / "stroke_archs", help="work folder")
    parser.add_argument("--time-limit", type=float, default=14.0, help="minutes per model")
    parser.add_argument("--epochs", type=int, default=None, help="default: the trainer's")
    args = parser.parse_args(argv)

    """
    ## Data

    One prepared folder (`prepare`'s defaults: up to 10,000 drawings a class, 80/10/10, seed 0),
    so both models see identical drawings and splits.
    """
    data = args.out / "st8"
    sources = stroke_sources(args.shared)
    ds = prepare_stroke_set(data, STROKE_CLASSES, args.shared)

    """
    ## Train both architectures with the same settings

    `seqdoodle.train("rnn", arch=...)`: the trainer's speed figure counts training drawings per
    second of training (validation excluded); test top-1 and top-3 come from the run's metrics.
    """
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
        ).summary
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

    """
    ## The comparison: speed ratio and accuracy difference
    """
    ratio = results["default"]["train_drawings_per_s"] / results["tutorial"]["train_drawings_per_s"]
    report = {
        "data": {
            "classes": STROKE_CLASSES,
            "sources": [portable(s.absolute()) for s in sources],
            "split": split_settings(ds),
        },
        "models": results,
        "speed_ratio_default_over_tutorial": round(ratio, 2),
        "top1_default_minus_tutorial": round(
            results["default"]["test_top1"] - results["tutorial"]["test_top1"], 4
        ),
    }
    write_result("stroke_archs", report, command_line(__file__, argv), settings_of(args))
    print(
        f"default is {ratio:.1f}x faster than tutorial; test top-1 "
        f"{results['default']['test_top1']:.1%} vs {results['tutorial']['test_top1']:.1%}"
    )
    return report


if __name__ == "__main__":
    main()

"""
Title: Training speed of the seqdoodle models on a CPU
Description: samples/s of the bitmap CNNs (baseline, default) and the stroke models (tutorial,
default) on synthetic inputs of realistic shape.

The bitmap models train at batch 256 on `(28, 28, 1)` raw pixels; the stroke models at batch 128 on
stroke-like sequences of 40 to 90 steps, zero-padded to 90. Speed does not depend on what the
inputs show, so random inputs are enough; accuracy is measured by the trainer on real data.

Run:
    python -m experiments.bench.models            # about 3-4 minutes on 2 cores
    python -m experiments.bench.models --quick    # a rough figure in under a minute

Writes experiments/results/bench_models.json.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from experiments.common import (  # noqa: E402
    RESULTS,
    argument_parser,
    command_line,
    load_average,
    settings_of,
    write_result,
)
from seqdoodle.models.cnn import build_bitmap_classifier  # noqa: E402
from seqdoodle.models.rnn import build_stroke_classifier  # noqa: E402

NUM_CLASSES = 35

# ## Synthetic inputs
#
# Bitmaps: a few random bars on a black background, 0..255 floats as the pipeline gives them.
# Strokes: smooth random walks (dx, dy) with a pen-lift flag every few points, 40-90 steps.


def fake_bitmaps(n: int, rng: np.random.Generator) -> np.ndarray:
    x = np.zeros((n, 28, 28, 1), "float32")
    for i in range(n):
        for _ in range(3):
            r, c = rng.integers(2, 24, 2)
            if rng.random() < 0.5:
                x[i, r : r + 2, c : c + 6] = 255.0
            else:
                x[i, r : r + 6, c : c + 2] = 255.0
    return x


def fake_strokes(n: int, rng: np.random.Generator, pad_to: int = 90) -> np.ndarray:
    x = np.zeros((n, pad_to, 3), "float32")
    lengths = rng.integers(40, pad_to + 1, n)
    for i, length in enumerate(lengths):
        heading = np.cumsum(rng.normal(0, 0.4, length))
        step = rng.uniform(2, 8, length)
        x[i, :length, 0] = step * np.cos(heading) + 1e-3
        x[i, :length, 1] = step * np.sin(heading)
        x[i, :length, 2] = rng.random(length) < 0.15
        x[i, length - 1, 2] = 1.0
    return x


# ## Timing
#
# Each model is compiled as a trainer would (Adam, sparse categorical cross-entropy), warmed up for
# a few steps so that tracing is not timed, then trained for `steps` batches. We keep the best of
# `repeats` runs (the machine is shared) and also report samples per CPU-second, which is less
# sensitive to other processes.


def time_training(model: keras.Model, x: np.ndarray, y: np.ndarray, batch: int) -> dict:
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    model.fit(x[: 3 * batch], y[: 3 * batch], batch_size=batch, epochs=1, verbose=0)
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"samples_per_s": len(x) / wall, "samples_per_cpu_s": len(x) / cpu, "wall_s": wall}


def time_inference(model: keras.Model, x: np.ndarray, batch: int) -> float:
    model.predict(x[:batch], batch_size=batch, verbose=0)
    start = time.perf_counter()
    model.predict(x, batch_size=batch, verbose=0)
    return len(x) / (time.perf_counter() - start)


def bench(name, build, make_inputs, batch, steps, repeats, rng) -> dict:
    x = make_inputs(batch * steps, rng)
    y = rng.integers(0, NUM_CLASSES, len(x))
    runs = []
    for _ in range(repeats):
        keras.utils.set_random_seed(0)
        model = build()
        runs.append(time_training(model, x, y, batch))
    best = max(runs, key=lambda r: r["samples_per_s"])
    result = {
        "batch": batch,
        "steps": steps,
        "params": int(model.count_params()),
        "train_samples_per_s": round(best["samples_per_s"], 1),
        "train_samples_per_cpu_s": round(max(r["samples_per_cpu_s"] for r in runs), 1),
        "all_runs_samples_per_s": [round(r["samples_per_s"], 1) for r in runs],
        "predict_samples_per_s": round(time_inference(model, x, batch), 1),
    }
    print(
        f"{name:18s} {result['params']:>9,d} params  train {result['train_samples_per_s']:8.1f}"
        f" samples/s  ({result['train_samples_per_cpu_s']:.1f} per CPU-s)"
        f"  predict {result['predict_samples_per_s']:8.1f}/s",
        flush=True,
    )
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("--quick", action="store_true", help="fewer steps, one repeat")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS / "bench_models.json")
    args = parser.parse_args(argv)
    # (steps for bitmap models, fast stroke model, tutorial stroke model)
    steps = (8, 8, 3) if args.quick else (60, 60, 12)
    repeats = 1 if args.quick else args.repeats
    rng = np.random.default_rng(0)

    # ## The four models
    results = {
        "bitmap_baseline": bench(
            "bitmap baseline",
            lambda: build_bitmap_classifier(NUM_CLASSES, arch="baseline", seed=0),
            fake_bitmaps,
            256,
            steps[0],
            repeats,
            rng,
        ),
        "bitmap_default": bench(
            "bitmap default",
            lambda: build_bitmap_classifier(NUM_CLASSES, arch="default", seed=0),
            fake_bitmaps,
            256,
            steps[0],
            repeats,
            rng,
        ),
        "stroke_tutorial": bench(
            "stroke tutorial",
            lambda: build_stroke_classifier(NUM_CLASSES, arch="tutorial"),
            fake_strokes,
            128,
            steps[2],
            repeats,
            rng,
        ),
        "stroke_default": bench(
            "stroke default",
            lambda: build_stroke_classifier(NUM_CLASSES, arch="default"),
            fake_strokes,
            128,
            steps[1],
            repeats,
            rng,
        ),
    }

    # ## Ratios and the record
    stroke_ratio = (
        results["stroke_default"]["train_samples_per_s"]
        / results["stroke_tutorial"]["train_samples_per_s"]
    )
    stroke_cpu_ratio = (
        results["stroke_default"]["train_samples_per_cpu_s"]
        / results["stroke_tutorial"]["train_samples_per_cpu_s"]
    )
    print(
        f"stroke default / tutorial training speed: {stroke_ratio:.1f}x "
        f"({stroke_cpu_ratio:.1f}x per CPU-second)"
    )
    print(
        f"bitmap default: {results['bitmap_default']['train_samples_per_s']:.0f} samples/s "
        "(target >= 1500)"
    )
    record = {
        "models": results,
        "stroke_default_over_tutorial": round(stroke_ratio, 2),
        "stroke_default_over_tutorial_per_cpu_s": round(stroke_cpu_ratio, 2),
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "load_average_after": load_average(),
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
        },
        "inputs": {
            "bitmap": "(28, 28, 1) float32 0..255, batch 256",
            "stroke": "(90, 3) float32, 40-90 real steps zero-padded to 90, batch 128",
        },
        "quick": args.quick,
    }
    write_result(args.out, record, command_line(__file__, argv), settings_of(args))
    print(f"wrote {args.out}")
    return record


if __name__ == "__main__":
    main()

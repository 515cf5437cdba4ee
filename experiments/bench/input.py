"""
Title: The input pipeline alone: bitmaps and augmented stroke drawings per second
Description: Training batches of the real 8-class stroke set through the pipeline `train` uses
(`Kind.batches` -> `seqdoodle.kinds.pipeline.batch_dataset`), no model.

Measures, in this one process, drawings per second read from the `tf.data.Dataset` that feeds
`Model.fit`: CNN bitmaps (shuffled, gathered from the memory map, float32) and stroke drawings
(shuffled, length-bucketed, augmented, encoded to stroke-3), both at the kinds' default batch sizes,
best of `repeat` passes of `epochs` epochs each after a warm-up. `python -m
experiments.bench.benchmark --only input_pipeline` runs it and merges `{"bitmaps_per_s": ...,
"strokes_per_s": ...}` into `experiments/results/benchmarks.json`.

Run alone (prints the figures, writes nothing):
    python -m experiments.bench.input DATASET_FOLDER
"""

from __future__ import annotations

import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from experiments.common import argument_parser, load_average  # noqa: E402

TARGETS = {"bitmaps_per_s": 50_000, "strokes_per_s": 20_000}  # one process, 2 cores


def pipeline_rate(batches, epochs: int = 2, repeat: int = 3, parallel: int | None = None) -> dict:
    """Best drawings/s over `repeat` passes of `epochs` epochs of `batches` through tf.data."""
    from seqdoodle.kinds.pipeline import batch_dataset

    steps = batches.steps * epochs
    best = 0.0
    for r in range(repeat):
        data = batch_dataset(batches, start_epoch=r * epochs, repeat=True, parallel=parallel)
        iterator = iter(data)
        next(iterator)  # builds the pipeline and its threads
        started, drawings = time.perf_counter(), 0
        for _ in range(steps):
            drawings += int(next(iterator)[1].shape[0])
        best = max(best, drawings / (time.perf_counter() - started))
    return {"per_s": round(best), "batch_size": batches.batch_size, "drawings": len(batches)}


def numpy_rate(batches, repeat: int = 3) -> float:
    """Best drawings/s of the batch function alone, one thread, no tf.data."""
    make = getattr(batches, "batch", None)
    best = 0.0
    for e in range(repeat):
        started, drawings = time.perf_counter(), 0
        for i, rows in enumerate(batches.batch_indices(e)):
            if make is not None:
                _, y = make(e, i, rows)
            else:
                _, y = batches.inputs(rows), batches.ds.labels[rows]
            drawings += len(y)
        best = max(best, drawings / (time.perf_counter() - started))
    return round(best)


def measure(ds, epochs: int = 2, repeat: int = 3) -> dict:
    """The `input_pipeline` section: `bitmaps_per_s`, `strokes_per_s` and the details."""
    from seqdoodle.kinds import get_kind

    rows = ds.indices("train")
    cnn, rnn = get_kind("cnn"), get_kind("rnn")
    bitmaps = cnn.batches(
        ds, rows, cnn.defaults.batch_size, cnn.fit_input_config(ds, rows), seed=0, train=True
    )
    strokes = rnn.batches(
        ds, rows, rnn.defaults.batch_size, rnn.fit_input_config(ds, rows), seed=0, train=True
    )
    bitmap = pipeline_rate(bitmaps, epochs, repeat)
    stroke = pipeline_rate(strokes, epochs, repeat)
    return {
        "bitmaps_per_s": bitmap["per_s"],
        "strokes_per_s": stroke["per_s"],
        "targets_met": {
            f"bitmaps_per_s >= {TARGETS['bitmaps_per_s']}": bitmap["per_s"]
            >= TARGETS["bitmaps_per_s"],
            f"strokes_per_s >= {TARGETS['strokes_per_s']}": stroke["per_s"]
            >= TARGETS["strokes_per_s"],
        },
        "detail": {
            "what": "training batches (shuffled; strokes augmented and encoded) read from "
            "the tf.data pipeline of train, no model, one process",
            "dataset": f"{len(ds)} real drawings, {len(ds.classes)} classes; train split",
            "bitmap_batch_size": bitmap["batch_size"],
            "stroke_batch_size": stroke["batch_size"],
            "bitmaps_numpy_one_thread_per_s": numpy_rate(bitmaps, repeat),
            "strokes_numpy_one_thread_per_s": numpy_rate(strokes, repeat),
            "cpus": os.cpu_count(),
            "load_average": load_average(),
        },
    }


def main(argv=None) -> dict:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("dataset", help="a prepared dataset folder with strokes")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per timed pass")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes (best is kept)")
    args = parser.parse_args(argv)
    from seqdoodle.datasets.prepared import PreparedDataset

    result = measure(PreparedDataset(args.dataset, verify=False), args.epochs, args.repeat)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()

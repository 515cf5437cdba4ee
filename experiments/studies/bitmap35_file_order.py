"""
Title: The default CNN on the 35 real bitmap classes, split by position in each file
Description: Train the default CNN on the first 80% of every `bitmap/<class>.npy` and score it on
the last 20%.

## Introduction

Held-out rows of a class are its file's last rows, so what generalises matters, not what fits a
random split. This study mirrors that: the first 80% of every `bitmap/<class>.npy` of
`../shared/quickdraw` train the default CNN, the last 20% validate it (every 10th of those is the
test split). It prints and saves `experiments/results/bitmap35_file_order.json`.

Run:

    python -m experiments.studies.bitmap35_file_order [--shared ../shared/quickdraw] [--work DIR]

The dataset and the run go to `--work` (default `experiments/work/bitmap35`).

Note: the figure is the best validation accuracy over the epochs, so the last 20% also picks the
epoch (cosine schedule; with `--time-limit 14` the 20 default epochs are re-planned to the 10
that fit, and the best was the last one in the run reported in the README).
"""

import json
import resource
from pathlib import Path

import numpy as np

import seqdoodle
from experiments.common import (
    SHARED,
    WORK,
    argument_parser,
    command_line,
    settings_of,
    write_result,
)
from seqdoodle.datasets.prepared import DatasetWriter, PreparedDataset

"""
## The dataset: file order, not a random split

Every `.npy` file is one class; its rows keep the order they have in the file. The first 80% of
the rows are the training split, the rest the validation split, and every 10th row of the rest
the test split, so no held-out drawing sits between training drawings.
"""


def make_dataset(shared: Path, out: Path) -> PreparedDataset:
    """The 35 bitmap classes of `shared/bitmap`, split by row position, written to `out`."""
    files = sorted((shared / "bitmap").glob("*.npy"))
    classes = [f.stem for f in files]
    writer = DatasetWriter(out, classes, has_strokes=False, size=28, args={"split": "file order"})
    counts = {s: {} for s in ("train", "val", "test")}
    for position, path in enumerate(files):
        bitmaps = np.load(path).reshape(-1, 28, 28)
        n = len(bitmaps)
        cut = int(round(n * 0.8))
        splits = np.zeros(n, np.uint8)
        splits[cut:] = 1
        splits[cut::10] = 2
        for code, split in enumerate(counts):
            counts[split][classes[position]] = int((splits == code).sum())
        writer.write_part(position, bitmaps, splits, np.arange(n))
    writer.finalize(
        {"args": {"split": "file order: first 80% train, last 20% val"}, "counts": counts}
    )
    return PreparedDataset(out)


"""
## Train the default CNN and record its best validation accuracy

`seqdoodle.train` with the CNN's defaults and seed 0; `--time-limit` caps the minutes (the
schedule is re-planned to the epochs that fit).
"""


def main(argv: list[str] | None = None) -> dict:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("--shared", type=Path, default=SHARED, help="real data folder")
    parser.add_argument("--work", type=Path, default=WORK / "bitmap35", help="work folder")
    parser.add_argument("--time-limit", type=float, default=24.0, help="minutes of training")
    args = parser.parse_args(argv)
    ds = make_dataset(args.shared, args.work / "dataset")
    summary = seqdoodle.train(
        "cnn", ds, args.work / "run", seed=0, time_limit=args.time_limit, progress=False
    ).summary
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "counts": ds.counts(),
        "epochs_run": summary["epochs_run"],
        "best_val_accuracy_last_20_percent": summary["best_val_accuracy"],
        "seconds": summary["seconds"],
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "stop_reason": summary["stop_reason"],
    }
    print(json.dumps(result, indent=2))
    write_result("bitmap35_file_order", result, command_line(__file__, argv), settings_of(args))
    return result


if __name__ == "__main__":
    main()

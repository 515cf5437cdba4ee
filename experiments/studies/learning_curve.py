"""
Title: Learning curves of the bitmap CNN and the stroke model
Description: Test accuracy of both models against the number of training drawings per class, on
the same fixed test drawings. Is 10,000 drawings per class not enough?

## Introduction

The hobby pipeline trains on the first 10,000 drawings of each class. Whether more would help is
a question of the learning curve: if accuracy still climbs steeply between 1,000 and all
drawings, more data pays; if it has flattened, it does not. This study prepares one dataset from
a source, then builds nested training subsets (100, 300, 1000, ... drawings per class; each a
prefix of one seeded permutation of the class's training drawings) that share the full dataset's
validation and test drawings, trains both models on each with `seqdoodle.compare`, and plots
test accuracy against training drawings per class.

The default source is the real stroke data beside the checkout: `monkey` from
`simplified/` and the seven `simplified_nokeyid/` classes (about 800 to 3,100 drawings each).

Run:

    python -m experiments.studies.learning_curve                               # 100,300,1000,all
    python -m experiments.studies.learning_curve --sizes 100,300,all --time-limit 2.5  # reduced
    python -m experiments.studies.learning_curve --data-root ../shared/quickdraw

The datasets and runs go to `--work` (default `experiments/work/learning_curve`). Writes
experiments/results/learning_curve.json and learning_curve.png.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import seqdoodle  # noqa: E402
from experiments.common import (  # noqa: E402
    RESULTS,
    SHARED,
    STROKE_CLASSES,
    WORK,
    argument_parser,
    command_line,
    portable,
    settings_of,
    stroke_sources,
    write_result,
)
from seqdoodle.datasets.categories import parse_class_list  # noqa: E402
from seqdoodle.datasets.prepare import prepare  # noqa: E402
from seqdoodle.datasets.prepared import DatasetWriter, PreparedDataset  # noqa: E402
from seqdoodle.kinds import get_kind  # noqa: E402
from seqdoodle.plots import save_figure  # noqa: E402

REAL_CLASSES = ",".join(STROKE_CLASSES)

"""
## Settings

`--data-root` is the Quick, Draw! folder (default `../shared/quickdraw` beside the repository);
its `simplified/` and `simplified_nokeyid/` folders are read, nothing else. `--source synthetic`
uses the built-in doodles instead.
"""

parser = argument_parser(__file__, __doc__)
parser.add_argument("--data-root", type=Path, default=SHARED)
parser.add_argument("--source", default=None, help="'synthetic' instead of --data-root")
parser.add_argument("--classes", default=None, help=f"default: {REAL_CLASSES}")
parser.add_argument("--per-class", type=int, default=100000, help="drawings per class to prepare")
parser.add_argument("--sizes", default="100,300,1000,all", help="training drawings per class")
parser.add_argument("--epochs", type=int, default=12, help="least epochs of each model")
parser.add_argument(
    "--min-steps", type=int, default=300, help="least training steps (small sizes get more epochs)"
)
parser.add_argument("--time-limit", type=float, default=None, help="minutes per model and size")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--work", type=Path, default=WORK / "learning_curve")
parser.add_argument("--name", default="learning_curve", help="name of the result files")
args = parser.parse_args()

if args.source == "synthetic":
    source = "synthetic"
    classes = parse_class_list(args.classes) if args.classes else None
else:
    source = stroke_sources(args.data_root)
    classes = parse_class_list(args.classes or REAL_CLASSES)
sizes = [None if s.strip() == "all" else int(s) for s in args.sizes.split(",")]

"""
## One dataset, nested training subsets

`prepare` takes (up to) `--per-class` drawings of each class and splits them 80/10/10, stratified
and seeded. Every subset keeps all validation and test drawings, so every point of the curve is
scored on the very same test drawings.
"""

full = prepare(source, args.work / "full", classes=classes, per_class=args.per_class)
print(f"{full.path}: {len(full)} drawings of {len(full.classes)} classes, {full.counts()}")


def subset(full: PreparedDataset, n_train: int | None, out: Path, seed: int) -> PreparedDataset:
    """A dataset with at most `n_train` training drawings per class and all val/test drawings."""
    if (out / "manifest.json").exists():
        return PreparedDataset(out)
    writer = DatasetWriter(out, full.classes, full.has_strokes, full.size)
    counts = {s: {} for s in ("train", "val", "test")}
    for position, name in enumerate(full.classes):
        rows = np.flatnonzero(full.labels == position)
        train = rows[full.splits[rows] == 0]
        order = np.random.default_rng([seed, position]).permutation(train)
        keep = np.sort(np.concatenate([order[:n_train], rows[full.splits[rows] != 0]]))
        splits = np.asarray(full.splits[keep])
        for code, split in enumerate(counts):
            counts[split][name] = int((splits == code).sum())
        writer.write_part(
            position,
            np.asarray(full.bitmaps[keep]),
            splits,
            np.asarray(full.source_index[keep]),
            [full.points_of(int(i)) for i in keep] if full.has_strokes else None,
        )
    args_ = {"source": f"subset of {full.path}", "per_class_train": n_train, "seed": seed}
    writer.finalize({"args": args_, "counts": counts})
    return PreparedDataset(out)


"""
## Train and score both models on each subset

`seqdoodle.compare(data=...)` trains both models on the subset (resuming if interrupted) and
scores them and their ensemble on the shared test split. A small subset makes short epochs, so
each model gets at least `--min-steps` gradient steps (more epochs, at most `MAX_EPOCHS`; early
stopping on validation accuracy, with a patience of about a quarter of that, ends it sooner):
every point is trained to about the same budget, and the curve shows the effect of data, not of
training length.
"""

MAX_EPOCHS = 60


def epochs_for(n_train: int) -> tuple[dict[str, int], dict[str, int]]:
    """Epochs and early-stopping patience per model for `n_train` training drawings.

    Patience is counted in epochs, so with short epochs it is raised to about `--min-steps / 4`
    steps: the CNN's batch-norm statistics need some hundred steps before its validation
    accuracy means anything, and a 3-epoch patience of 4-step epochs would stop it at random.
    """
    epochs, patience = {}, {}
    for kind in ("cnn", "rnn"):
        steps_per_epoch = math.ceil(n_train / get_kind(kind).defaults.batch_size)
        need = math.ceil(args.min_steps / steps_per_epoch)
        epochs[kind] = min(MAX_EPOCHS, max(args.epochs, need))
        patience[kind] = max(3, math.ceil(args.min_steps / 4 / steps_per_epoch))
    return epochs, patience


points = []
for n_train in sizes:
    label = "all" if n_train is None else str(n_train)
    ds = full if n_train is None else subset(full, n_train, args.work / f"train_{label}", args.seed)
    per_class_train = ds.counts()["train"] / len(ds.classes)
    started = time.monotonic()
    epochs, patience = epochs_for(ds.counts()["train"])
    report = seqdoodle.compare(
        data=ds.path,
        out=args.work / f"compare_{label}",
        epochs=epochs,
        patience=patience,
        seed=args.seed,
        time_limit=args.time_limit,
        progress=False,
    )
    point = {
        "size": label,
        "train_drawings": ds.counts()["train"],
        "train_per_class_mean": per_class_train,
        "test_drawings": report["data"]["n_test"],
        "seconds": time.monotonic() - started,
        "verdict": report["paired"]["verdict"],
        "bootstrap": report["paired"]["bootstrap"],
        "mcnemar_p": report["paired"]["mcnemar"]["p_value"],
    }
    for name, m in report["models"].items():
        point[name] = {k: m[k] for k in ("top1", "top3", "map3", "macro_f1")}
    for name, run in report["runs"].items():
        point[name]["epochs_run"] = run["training"]["epochs_run"]
        point[name]["epochs_planned"] = epochs[name]
        point[name]["patience"] = patience[name]
        point[name]["train_seconds"] = run["training"]["seconds"]
    points.append(point)
    print(
        f"{label:>5} per class ({point['train_drawings']} training drawings): "
        + "  ".join(f"{n} {100 * point[n]['top1']:.1f}%" for n in ("cnn", "rnn", "ensemble"))
        + f"  ({point['seconds']:.0f} s)"
    )

"""
## The curves

Top-1 and MAP@3 against the mean number of training drawings per class, log scale.
"""

fig = Figure(figsize=(10, 4), layout="constrained")
axes = fig.subplots(1, 2)
x = [p["train_per_class_mean"] for p in points]
for ax, metric, title in zip(axes, ("top1", "map3"), ("test top-1 accuracy", "test MAP@3")):
    for name in ("cnn", "rnn", "ensemble"):
        ax.plot(x, [p[name][metric] for p in points], marker="o", label=name)
    ax.set_xscale("log")
    ax.set_xlabel("training drawings per class (mean)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
fig.suptitle(
    f"{len(full.classes)} classes, {points[0]['test_drawings']} fixed test drawings"
    if points
    else "no points"
)
RESULTS.mkdir(parents=True, exist_ok=True)
save_figure(fig, RESULTS / f"{args.name}.png")
write_result(
    args.name,
    {
        "dataset": portable(Path(full.path).absolute()),
        "classes": full.classes,
        "counts": full.counts(),
        "points": points,
    },
    command_line(__file__),
    settings_of(args),
)
print(f"results: {RESULTS / (args.name + '.json')}, {RESULTS / (args.name + '.png')}")

"""
## Reading the curves

Where a model's curve is still rising at the largest size, more drawings per class would raise
its accuracy; the gap between the last two points, per doubling of the data, estimates by how
much. Compare the curves' slopes, not only their heights: the stroke model and the CNN may need
different amounts of data to reach their plateau.
"""

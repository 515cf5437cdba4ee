"""
Title: Bitmap CNN versus stroke model on the same drawings
Description: Prepare any source, train both models on identical drawings, compare them with a
paired test and score their ensemble.

## Introduction

A Quick, Draw! doodle can be read two ways: as the 28x28 picture Google renders from it, or as
the pen strokes in the order they were drawn. `seqdoodle.compare` trains a bitmap CNN on the
first and a Conv1D + recurrent stroke model on the second, on the same prepared dataset (same
drawings, same split), and scores both and their ensemble on the same test drawings. Because the
test drawings are shared, the comparison is paired: an exact McNemar test on the drawings only
one model gets right, and a paired bootstrap interval of the accuracy difference.

Run:

    python -m experiments.studies.compare_models                  # synthetic doodles, ~3 min
    python -m experiments.studies.compare_models --source ../shared/quickdraw/simplified \\
        --source ../shared/quickdraw/simplified_nokeyid \\
        --classes "monkey,cake,necklace,piano,power outlet,smiley face,snowman,teapot"

Writes the full report (report.md, report.json, figures, predictions) into `--work` (default
`experiments/work/compare_models`), and a summary into experiments/results/compare_models.json
and .png.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import seqdoodle  # noqa: E402
from experiments.common import (  # noqa: E402
    RESULTS,
    WORK,
    argument_parser,
    command_line,
    portable,
    settings_of,
    write_result,
)
from seqdoodle.datasets.categories import parse_class_list  # noqa: E402
from seqdoodle.plots import save_figure  # noqa: E402
from seqdoodle.reports import summary_table  # noqa: E402

"""
## Settings

Any source `seqdoodle prepare` reads: `synthetic`, or folders of Google's per-class `.ndjson`
files (repeat `--source`; a class's files are read in the order given). Without `--per-class`
and `--epochs` the synthetic source uses the few-minute settings of `seqdoodle compare`.
"""

parser = argument_parser(__file__, __doc__)
parser.add_argument("--source", action="append", help="'synthetic' or a class folder (repeat)")
parser.add_argument("--classes", help="comma-separated class names (default: all of the source)")
parser.add_argument("--per-class", type=int, help="drawings per class to prepare")
parser.add_argument("--epochs", type=int, help="epochs of each model")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument(
    "--work", type=Path, default=WORK / "compare_models", help="report and work folder"
)
parser.add_argument("--name", default="compare_models", help="name of the summary files")
args = parser.parse_args()

sources = args.source or ["synthetic"]
source = sources[0] if len(sources) == 1 else sources
classes = parse_class_list(args.classes) if args.classes else None

"""
## Train both models and compare them

One call prepares the dataset into `WORK/dataset`, trains the CNN into `WORK/runs/cnn` and the
stroke model into `WORK/runs/rnn` (a rerun resumes), predicts the validation and test splits,
fits the ensemble weight on validation, and writes the report.
"""

report = seqdoodle.compare(
    source=source,
    classes=classes,
    per_class=args.per_class,
    epochs=args.epochs,
    seed=args.seed,
    out=args.work,
)
print(summary_table(report))

"""
## Where each model wins

The per-class table of the paired comparison: top-1 accuracy of both models per class.
"""

paired = report["paired"]
print(f"\n{'class':<16} {'n':>5} {'cnn':>7} {'rnn':>7}  winner")
for row in paired["per_class"]:
    acc = [row["acc_a"], row["acc_b"]]
    cells = [f"{100 * a:6.1f}%" if a is not None else "      -" for a in acc]
    print(f"{row['class']:<16} {row['n']:>5} {cells[0]} {cells[1]}  {row['winner']}")

"""
## Cost

Latency (preprocessing included, real test drawings), weights and saved size of each model.
"""

for name, run in report["runs"].items():
    lat = run["latency_ms"]
    print(
        f"{name}: {run['n_params']:,} weights, {run['saved_size_bytes'] / 2**20:.2f} MiB, "
        f"batch-1 p50 {lat['batch1_p50']:.1f} ms, batched {lat['batched_per_drawing']:.2f} "
        f"ms/drawing, trained {run['training']['seconds']:.0f} s "
        f"({run['training']['epochs_run']} epochs)"
    )

"""
## Summary figure

Top-1, top-3 and MAP@3 of the three models, and the paired difference with its interval.
"""

names = [paired["name_a"], paired["name_b"], "ensemble"]
metrics = ("top1", "top3", "map3")
fig = Figure(figsize=(10, 4), layout="constrained")
ax_scores, ax_diff = fig.subplots(1, 2, width_ratios=[2, 1])
x = np.arange(len(metrics))
for j, name in enumerate(names):
    values = [report["models"][name][m] for m in metrics]
    ax_scores.bar(x - 0.3 + 0.3 * j, values, width=0.28, label=name)
ax_scores.set_xticks(x, ["top-1", "top-3", "MAP@3"])
lowest = min(report["models"][n][m] for n in names for m in metrics)
ax_scores.set_ylim(max(0.0, np.floor(10 * lowest - 1) / 10), 1.0)
ax_scores.set_title(
    f"{report['data']['n_test']} test drawings, {len(report['data']['classes'])} classes"
)
ax_scores.legend(loc="lower right")
boot = paired["bootstrap"]
ax_diff.errorbar(
    [0],
    [100 * boot["diff"]],
    yerr=[[100 * (boot["diff"] - boot["low"])], [100 * (boot["high"] - boot["diff"])]],
    fmt="o",
    capsize=6,
)
ax_diff.axhline(0, color="grey", lw=0.8)
ax_diff.set_xticks([0], [f"{paired['name_a']} - {paired['name_b']}"])
ax_diff.set_ylabel("top-1 difference, points (95% CI)")
ax_diff.set_title(f"McNemar p = {paired['mcnemar']['p_value']:.2g}")
RESULTS.mkdir(parents=True, exist_ok=True)
save_figure(fig, RESULTS / f"{args.name}.png")

summary = {
    "report": portable((args.work / "report.json").absolute()),
    "models": {
        n: {k: report["models"][n][k] for k in ("top1", "top3", "map3", "macro_f1", "latency_ms")}
        for n in names
    },
    "verdict": paired["verdict"],
    "mcnemar": paired["mcnemar"],
    "bootstrap": paired["bootstrap"],
    "ensemble_weight": paired["ensemble_weight"],
    "data": {
        "path": portable(Path(report["data"]["path"]).absolute()),
        "classes": report["data"]["classes"],
        "counts": report["data"]["counts"],
    },
    "training": {n: r["training"] for n, r in report["runs"].items()},
    "timing_seconds": report["timing_seconds"],
}
write_result(f"{args.name}", summary, command_line(__file__), settings_of(args))
print(f"\nsummary: {RESULTS / (args.name + '.json')}, {RESULTS / (args.name + '.png')}")
print(f"report: {args.work / 'report.md'}")

"""
## Conclusions

The verdict line above is decided by the exact McNemar test at alpha = 0.05; the interval is the
95% paired bootstrap interval of the top-1 difference. The ensemble weight was fitted on the
validation split by log-loss, never on the test split.
"""

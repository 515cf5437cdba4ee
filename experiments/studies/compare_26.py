"""
Title: Three model kinds on the 26 real stroke classes
Description: The bitmap CNN, the stroke Conv1D+LSTM and the stroke-order CNN trained with their
default settings on the same drawings of the 26 classes with 500+ real stroke drawings; their
ensembles, how early each recognises a drawing, and a learning curve.

## Introduction

The project's question is whether a model that sees the strokes beats a CNN that sees only the
finished bitmap. Three model kinds answer it from three sides:

- `cnn`: Google's 28x28 bitmap through a batch-normalised CNN;
- `rnn`: the stroke-3 sequence (dx, dy, end of stroke) through Conv1D layers and an LSTM;
- `timecnn`: the same CNN over a 3-channel rendering of the strokes (Google's bitmap, the stroke
  order, the position of each point along the drawing), the way top Kaggle solutions encoded time.

Every model is trained with its kind's defaults (`seqdoodle.kinds.get_kind(kind).defaults`), each
sized to train in under 15 minutes on 2 CPU cores. They are scored on the same test drawings,
with the ensembles of all three and of the best subset (weights fitted on the validation split),
then on prefixes of the test drawings (early recognition), and finally trained again on fewer
drawings (learning curve).

Run (the full version trains 3 models plus 3 per learning-curve size: hours on 2 cores):

    python -m experiments.studies.compare_26
    python -m experiments.studies.compare_26 --partial 1000 --curve '' --name compare_26_defaults
    python -m experiments.studies.compare_26 --kinds cnn,rnn,timecnn,transformer \\
        --partial 1000 --curve '' --name compare_26_four_kinds     # with the stroke transformer
    python -m experiments.studies.compare_26 --max-train 6000 --epochs 4 \\
        --partial 600 --curve 1000,3000 --name compare_26_reduced     # a reduced run

Without `--data` the 26 classes are prepared from `simplified/` and `simplified_nokeyid/` under
`--data-root` (80% train, 15% validation, 5% test, seed 0); `--data` reuses a dataset prepared
before (`seqdoodle prepare`, any split: the result records the split it has). The dataset and the
runs go to `--work` (default `experiments/work/<name>`). Writes `experiments/results/<name>.json`
and `<name>_partial.png`, `<name>_curve.png`.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import seqdoodle  # noqa: E402
from experiments.common import (  # noqa: E402
    MIN_STROKE_DRAWINGS,
    RESULTS,
    SHARED,
    SPLIT_26,
    WORK,
    argument_parser,
    command_line,
    portable,
    prepare_stroke_set,
    settings_of,
    split_settings,
    stroke_classes,
    write_result,
)
from seqdoodle.comparison.scoring import compare_models  # noqa: E402
from seqdoodle.evaluation.early import dataset_drawings, evaluate_partial, plot_partial  # noqa: E402
from seqdoodle.kinds import get_kind  # noqa: E402
from seqdoodle.plots import save_figure  # noqa: E402
from seqdoodle.runs.inference import predict_dataset  # noqa: E402

KINDS = ("cnn", "rnn", "timecnn")

"""
## Settings

Every flag that shortens the run says so in the result file (`settings`, `reduced`), so a reduced
run is never mistaken for the full one. The split settings recorded are those of the dataset
actually used.
"""

parser = argument_parser(__file__, __doc__)
parser.add_argument("--data-root", type=Path, default=SHARED, help="real data folder")
parser.add_argument("--data", type=Path, default=None, help="an already prepared dataset")
parser.add_argument("--val", type=float, default=SPLIT_26["val"], help="validation fraction")
parser.add_argument("--test", type=float, default=SPLIT_26["test"], help="test fraction")
parser.add_argument("--seed", type=int, default=SPLIT_26["seed"], help="split and training seed")
parser.add_argument("--kinds", default=",".join(KINDS))
parser.add_argument("--epochs", type=int, default=None, help="default: each kind's default")
parser.add_argument("--max-train", type=int, default=None, help="training drawings (sample)")
parser.add_argument("--time-limit", type=float, default=14.0, help="minutes per model")
parser.add_argument("--partial", type=int, default=2000, help="test drawings for early recognition")
parser.add_argument("--curve", default="1000,3000,10000", help="training sizes, '' for none")
parser.add_argument(
    "--reuse", action="store_true", help="score the runs under WORK/runs as they are, no training"
)
parser.add_argument("--work", type=Path, default=None, help="default: experiments/work/<name>")
parser.add_argument("--name", default="compare_26")
parser.add_argument("--results", type=Path, default=RESULTS, help="folder of the result files")
parser.add_argument("--pool", default="log", help="ensemble pool: log or linear")
args = parser.parse_args()
RESULTS = args.results
work = args.work or WORK / args.name
kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
for kind in kinds:
    get_kind(kind)  # an unknown kind stops here, before any work
curve_sizes = [int(s) for s in args.curve.split(",") if s.strip()]
started = time.monotonic()

"""
## The 26 classes

A class is in when its `simplified/` and `simplified_nokeyid/` files hold 500 drawings or more
together (counted as lines). Both folders are read in that order, so a class gets the drawings of
both. Every drawing is taken and split per class, seeded: by default 80% train, 15% validation
(the ensembles' weights and the timecnn sweep are chosen on it) and 5% test.
"""


if args.data is not None:
    ds = seqdoodle.PreparedDataset(args.data)
else:
    ds = prepare_stroke_set(
        work / "data",
        stroke_classes(args.data_root, MIN_STROKE_DRAWINGS),
        args.data_root,
        per_class=SPLIT_26["per_class"],
        val=args.val,
        test=args.test,
        seed=args.seed,
    )
split = split_settings(ds)
print(f"{ds.path}: {len(ds)} drawings, {len(ds.classes)} classes, {ds.counts()}, split {split}")
val_rows, test_rows = ds.indices("val"), ds.indices("test")
y_val, y_test = np.asarray(ds.labels[val_rows]), np.asarray(ds.labels[test_rows])

"""
## Train the models

`seqdoodle.train` with the kind's defaults (rerunning this script resumes unfinished runs and
skips finished ones). `--max-train` and `--epochs` shorten training for a reduced run; `--reuse`
scores runs already under `WORK/runs/<kind>` (trained before, for example all three at once).
Without `--reuse` (the default) each kind is trained from scratch into `WORK/runs/<kind>`.
"""


def train_kind(kind: str, out: Path, max_train=None) -> dict:
    summary = seqdoodle.train(
        kind,
        ds.path,
        out,
        epochs=args.epochs,
        max_train=max_train,
        seed=args.seed,
        time_limit=args.time_limit,
        progress=False,
    ).summary
    summary["requested"] = {
        "epochs": args.epochs or get_kind(kind).defaults.epochs,
        "max_train": max_train,
        "time_limit": args.time_limit,
    }
    print(
        f"  {kind:8s} {summary['epochs_run']} epochs, best val {summary['best_val_accuracy']:.4f}, "
        f"{summary['seconds']:.0f} s ({summary['stop_reason']})"
    )
    return summary


def stored_training(out: Path) -> dict:
    """What a finished run's history and config say, for `--reuse` (runs trained earlier)."""
    history = json.loads((out / "history.json").read_text())
    config = json.loads((out / "config.json").read_text())["train"]
    return {
        "requested": {k: config.get(k) for k in ("epochs", "max_train", "lr", "time_limit")},
        "epochs_run": len(history["epoch"]),
        "best_val_accuracy": max(history["val_accuracy"]),
        "seconds": sum(history["seconds"]),
        "stop_reason": "reused",
    }


training, runs = {}, {}
for kind in kinds:
    out = work / "runs" / kind
    training[kind] = stored_training(out) if args.reuse else train_kind(kind, out, args.max_train)
    runs[kind] = seqdoodle.load_run(out)

"""
## Score them, and their ensembles, on the same test drawings

`compare_models` gives each model's report, the paired tests of every pair (Holm-adjusted), the
ensemble of all models with weights fitted on the validation split by log-loss, and the best
subset chosen on validation. The ensembles pool the probabilities by their weighted geometric
mean (`--pool log`, the default; `experiments.studies.ensemble_pools` measures both pools), and the
report scores the ensemble of all models under the other pool too.
"""

test_probs = {k: predict_dataset(run, ds, test_rows) for k, run in runs.items()}
val_probs = {k: predict_dataset(run, ds, val_rows) for k, run in runs.items()}
comparison = compare_models(
    y_test, test_probs, ds.classes, val=(y_val, val_probs), seed=args.seed, pool=args.pool
)
models = {
    name: {m: round(float(getattr(r, m)), 6) for m in ("top1", "top3", "map3", "macro_f1")}
    for name, r in comparison.reports.items()
}
for name, m in models.items():
    print(f"  {name:9s} top-1 {100 * m['top1']:.2f}%  top-3 {100 * m['top3']:.2f}%")
best = comparison.ensembles.get("best") or {}
print(f"  ensemble weights {comparison.weights}; best subset {best.get('members')}")

"""
## Early recognition

Every test drawing (a seeded sample of `--partial`) is cut to its first 10%, ..., 100% of points
and to its first 1 ... 5 strokes; each prefix is re-normalised the way the server normalises a
drawing in progress (`seqdoodle.evaluation.early.normalize_drawing`) and predicted by each model
and by
the fitted ensemble. A bitmap model sees the prefix rendered; the stroke model its sequence.
"""

partial = evaluate_partial(
    runs,
    dataset_drawings(ds, test_rows, limit=args.partial, seed=args.seed),
    weights=comparison.weights,
    pool=comparison.pool,
    progress=lambda text: print(f"  early recognition: {text}"),
)
RESULTS.mkdir(parents=True, exist_ok=True)
save_figure(
    plot_partial(partial, title=f"early recognition, {len(ds.classes)} classes"),
    RESULTS / f"{args.name}_partial.png",
)

"""
## Learning curve

The same defaults on a seeded sample of `n` training drawings (the whole validation and test
splits kept), for each size in `--curve`, plus the full runs above.
"""

curve = {kind: [] for kind in kinds}
for n in curve_sizes:
    for kind in kinds:
        out = work / "curve" / f"{kind}-{n}"
        summary = train_kind(kind, out, max_train=n)
        probs = predict_dataset(seqdoodle.load_run(out), ds, test_rows)
        top1 = float((probs.argmax(axis=1) == y_test).mean())
        curve[kind].append({"n_train": min(n, len(ds.indices("train"))), "top1": round(top1, 6),
                            "seconds": round(summary["seconds"], 1)})  # fmt: skip
full_n = args.max_train or len(ds.indices("train"))
for kind in kinds:
    curve[kind].append({"n_train": min(full_n, len(ds.indices("train"))),
                        "top1": models[kind]["top1"],
                        "seconds": round(training[kind]["seconds"], 1)})  # fmt: skip

fig = Figure(figsize=(6, 4))
ax = fig.subplots()
for kind in kinds:
    points = sorted(curve[kind], key=lambda p: p["n_train"])
    ax.plot([p["n_train"] for p in points], [100 * p["top1"] for p in points], "o-", label=kind)
ax.set(xscale="log", xlabel="training drawings", ylabel="test top-1 (%)",
       title=f"learning curve, {len(ds.classes)} classes")  # fmt: skip
ax.grid(alpha=0.3)
ax.legend()
save_figure(fig, RESULTS / f"{args.name}_curve.png")

"""
## Results

One JSON with the settings (so a reduced run says it is one), the test scores, the ensembles,
the paired tests, the early-recognition curves and the learning curve.
"""

result = {
    "reduced": any(
        getattr(args, k) != parser.get_default(k)
        for k in ("kinds", "epochs", "max_train", "time_limit", "partial", "curve")
    ),
    "data": {
        "path": portable(Path(ds.path).absolute()),
        "classes": ds.classes,
        "counts": ds.counts(),
    },
    "training": {
        k: {
            f: s.get(f)
            for f in ("epochs_run", "best_val_accuracy", "seconds", "stop_reason", "requested")
        }
        for k, s in training.items()
    },
    "models": models,
    "weights": comparison.weights,
    "comparison": comparison.to_json(),
    "partial": partial,
    "learning_curve": curve,
    "seconds": round(time.monotonic() - started, 1),
}
settings = settings_of(args, work=work, **split)  # the split of the dataset actually used
write_result(RESULTS / f"{args.name}.json", result, command_line(__file__), settings)
print("| model | top-1 | top-3 | MAP@3 |")
print("| --- | ---: | ---: | ---: |")
for name, m in models.items():
    print(f"| {name} | {100 * m['top1']:.1f}% | {100 * m['top3']:.1f}% | {m['map3']:.3f} |")
print(f"wrote {RESULTS / (args.name + '.json')} in {result['seconds']:.0f} s")

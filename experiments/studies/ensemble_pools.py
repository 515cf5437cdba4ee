"""
Title: How to pool an ensemble: weighted mean or weighted geometric mean
Description: Several trained runs' probabilities pooled linearly and logarithmically, weights
fitted on the validation split, scored by cross-validation on that split and on the test split.

## Introduction

An ensemble turns each model's probabilities into one answer. `seqdoodle.evaluation.ensembles`
knows two
pools: the weighted mean (`linear`) and the weighted geometric mean, renormalised (`log`). Both
fit their weights on the validation split by log-loss. They differ most where the models
disagree: under the mean a class one model is sure of can win although another model rules it
out; under the geometric mean a class wins only if no model rules it out.

This study measures which pool recognises more drawings, without reading the test split to
decide: 5-fold cross-validation on the validation split (weights fitted on four folds, scored on
the fifth) is the figure that chooses; the test split is scored once, with weights fitted on the
whole validation split. Every subset of the runs is scored too.

Run (about a minute on 2 cores for three runs of the 26-class comparison):

    python -m experiments.studies.ensemble_pools      # the three runs of the 26-class comparison
    python -m experiments.studies.ensemble_pools --data DATASET --runs RUN_A --runs RUN_B

Without `--data` and `--runs` it pools the runs that `python -m experiments.studies.compare_26
--partial 1000 --curve '' --name compare_26_defaults` trained (under
`experiments/work/compare_26_defaults`), so run that first. Writes
`experiments/results/<name>.json` and `<name>.png`.
"""

from __future__ import annotations

import itertools
import os
import time
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
from seqdoodle.evaluation.ensembles import POOLS, fit_ensemble_weights, pool_probs  # noqa: E402
from seqdoodle.evaluation.metrics import top_k_accuracy  # noqa: E402
from seqdoodle.plots import save_figure  # noqa: E402
from seqdoodle.runs.inference import predict_dataset

# The 26-class comparison whose runs are pooled by default, and the command that trains them.
COMPARISON = WORK / "compare_26_defaults"
COMPARISON_COMMAND = (
    "python -m experiments.studies.compare_26 --partial 1000 --curve '' --name compare_26_defaults"
)

"""
## Settings
"""

parser = argument_parser(__file__, __doc__)
parser.add_argument(
    "--data", type=Path, default=None, help="the runs' prepared dataset (default: the comparison's)"
)
parser.add_argument(
    "--runs", type=Path, action="append", default=None, help="two or more (default: its three)"
)
parser.add_argument("--folds", type=int, default=5)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--name", default="ensemble_pools")
parser.add_argument("--results", type=Path, default=RESULTS)
args = parser.parse_args()
pooled_comparison = args.data is None and args.runs is None
if args.data is None:
    args.data = COMPARISON / "data"
if args.runs is None:
    args.runs = [COMPARISON / "runs" / kind for kind in ("cnn", "rnn", "timecnn")]
if len(args.runs) < 2:
    parser.error("give two or more --runs")
started = time.monotonic()

"""
## Predict the validation and test splits with every run
"""

ds = seqdoodle.PreparedDataset(args.data)
runs = {}
for path in args.runs:
    run = seqdoodle.load_run(path)
    runs[run.kind if run.kind not in runs else path.name] = run
val_rows, test_rows = ds.indices("val"), ds.indices("test")
y_val, y_test = np.asarray(ds.labels[val_rows]), np.asarray(ds.labels[test_rows])
val = {n: predict_dataset(r, ds, val_rows) for n, r in runs.items()}
test = {n: predict_dataset(r, ds, test_rows) for n, r in runs.items()}


def top1(probs, y) -> float:
    return top_k_accuracy(y, probs, 1)


singles = {n: {"val_top1": top1(val[n], y_val), "top1": top1(test[n], y_test)} for n in runs}
for name, s in singles.items():
    print(f"  {name:10s} validation {100 * s['val_top1']:.2f}%  test {100 * s['top1']:.2f}%")

"""
## Pool every subset both ways

For a subset and a pool: the mean top-1 over the validation folds (weights fitted on the other
folds), then the weights fitted on the whole validation split and the test top-1 they give.
"""

folds = np.random.default_rng(args.seed).permutation(len(y_val)) % args.folds


def cross_validated(members, pool) -> float:
    hits = 0
    for f in range(args.folds):
        fit, score = folds != f, folds == f
        w = fit_ensemble_weights(y_val[fit], {m: val[m][fit] for m in members}, pool=pool)
        mixed = pool_probs([val[m][score] for m in members], [w[m] for m in members], pool)
        hits += int(np.sum(np.argmax(mixed, axis=1) == y_val[score]))
    return hits / len(y_val)


subsets = []
for size in range(2, len(runs) + 1):
    for members in itertools.combinations(runs, size):
        entry = {"members": list(members)}
        for pool in POOLS:
            w = fit_ensemble_weights(y_val, {m: val[m] for m in members}, pool=pool)
            pooled = pool_probs([test[m] for m in members], [w[m] for m in members], pool)
            entry[pool] = {
                "weights": {m: round(w[m], 4) for m in members},
                "val_top1_cv": round(cross_validated(members, pool), 6),
                "top1": round(top1(pooled, y_test), 6),
            }
        subsets.append(entry)
        print(
            f"  {' + '.join(members):24s} "
            + "  ".join(
                f"{p}: cv {100 * entry[p]['val_top1_cv']:.2f}% test {100 * entry[p]['top1']:.2f}%"
                for p in POOLS
            )
        )

"""
## Results

The JSON holds every single run's scores and every subset under both pools; the figure shows the
ensemble of all runs next to the best single run.
"""

every = subsets[-1]
best_single = max(singles, key=lambda n: singles[n]["val_top1"])
fig = Figure(figsize=(7, 4))
ax = fig.subplots()
labels = [f"{best_single} (best alone)", *(f"all, {p} pool" for p in POOLS)]
cv = [singles[best_single]["val_top1"], *(every[p]["val_top1_cv"] for p in POOLS)]
tests = [singles[best_single]["top1"], *(every[p]["top1"] for p in POOLS)]
x = np.arange(len(labels))
ax.bar(x - 0.2, [100 * v for v in cv], 0.4, label="validation (pools: 5-fold)")
ax.bar(x + 0.2, [100 * v for v in tests], 0.4, label="test")
ax.set_xticks(x, labels)
ax.set_ylim(100 * min(cv + tests) - 3, 100 * max(cv + tests) + 2)
ax.set(ylabel="top-1 (%)", title=f"ensemble pools, {len(ds.classes)} classes, {len(runs)} runs")
ax.grid(axis="y", alpha=0.3)
ax.legend(loc="upper center", ncols=2, fontsize=8)
args.results.mkdir(parents=True, exist_ok=True)
save_figure(fig, args.results / f"{args.name}.png")
result = {
    "data": {"path": portable(Path(ds.path).absolute()), "classes": len(ds.classes)},
    "drawings": {"val": len(y_val), "test": len(y_test)},
    "runs": {n: portable(Path(r.path).absolute()) for n, r in runs.items()},
    "folds": args.folds,
    "singles": singles,
    "subsets": subsets,
    "seconds": round(time.monotonic() - started, 1),
}
write_result(
    args.results / f"{args.name}.json",
    result,
    command_line(__file__),
    settings_of(args),
    requires=[COMPARISON_COMMAND] if pooled_comparison else None,
)
print(f"wrote {args.results / (args.name + '.json')} in {result['seconds']:.0f} s")

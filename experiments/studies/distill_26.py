"""
Title: Distillation on the 26 classes: one model taught by the ensemble of three
Description: A single model trained on the soft targets of the ensemble of the CNN, the stroke
model and the stroke-order CNN, scored on the same test drawings as its teacher and as every
model trained without a teacher, with paired tests.

## Introduction

The ensemble of the three kinds is about two points above the best single model, but it costs
three models at every guess. Distillation (`seqdoodle train KIND --teacher ENS`) trains one model
on the ensemble's probabilities as well as on the labels, at one model's inference cost. This
study fits the teacher on the validation split from runs trained with their defaults, trains
each student kind with its defaults and the same time limit as its teacher's members (the
teacher's predictions of the training split are made first, timed apart, and cached in the
student's folder; `--teacher-in-budget` counts them in the limit instead), and asks
two questions on the test split, with exact McNemar tests and paired bootstrap intervals:

- is the student above the same kind trained without a teacher, and above the best single
  model (chosen on the validation split)?
- how far is it below its teacher?

Run (after `compare_26` trained the runs, for example `--name compare_26_four_kinds`):

    python -m experiments.studies.distill_26
    python -m experiments.studies.distill_26 --students best,rnn --time-limit 14

`--runs` holds one finished run folder per kind (`<kind>/`) on `--data`; `--students best` (the
default) teaches the kind of the best single run on the validation split. The teacher and the
students go to `--work` (default `experiments/work/<name>`); rerunning resumes an unfinished
student and reuses finished ones. Writes `experiments/results/<name>.json` and `<name>.png`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from experiments.common import (  # noqa: E402
    RESULTS,
    WORK,
    argument_parser,
    command_line,
    settings_of,
    write_result,
)

SOURCE = WORK / "compare_26_four_kinds"

parser = argument_parser(__file__, __doc__)
parser.add_argument("--runs", type=Path, default=SOURCE / "runs", help="one run folder a kind")
parser.add_argument("--data", type=Path, default=SOURCE / "data", help="the runs' dataset")
parser.add_argument("--teacher-kinds", default="cnn,rnn,timecnn", help="the ensemble's members")
parser.add_argument(
    "--students", default="best", help="kinds trained with the teacher; best: the best single run's"
)
parser.add_argument("--time-limit", type=float, default=14.0, help="minutes per student")
parser.add_argument("--alpha", type=float, default=None, help="weight of the labels' loss")
parser.add_argument("--temperature", type=float, default=None, help="distillation temperature")
parser.add_argument("--seed", type=int, default=0, help="training seed of the students")
parser.add_argument(
    "--teacher-in-budget", action="store_true",
    help="count the teacher's predictions of the training split in the student's time limit",
)  # fmt: skip
parser.add_argument("--work", type=Path, default=None, help="default: experiments/work/<name>")
parser.add_argument("--name", default="distill_26")
parser.add_argument("--results", type=Path, default=RESULTS, help="folder of the result files")


"""
## Teacher, students, and the same test drawings for all

The teacher is `fit_ensemble` of the member runs (log pool, weights fitted on the validation
split, as `seqdoodle ensemble` writes it). Each student is `seqdoodle.train(kind, teacher=...)`
with the kind's defaults, so its only difference from `--runs/<kind>` is the teacher. The best
single model without a teacher is the run with the highest validation top-1 among `--runs`; the
test split decides nothing.
"""


def scores(y: np.ndarray, probs: np.ndarray) -> dict:
    from seqdoodle.evaluation.metrics import map_at_3, top_k_accuracy

    return {
        "top1": round(top_k_accuracy(y, probs, 1), 6),
        "top3": round(top_k_accuracy(y, probs, 3), 6),
        "map3": round(map_at_3(y, probs), 6),
    }


def paired(y: np.ndarray, probs_a: np.ndarray, probs_b: np.ndarray, seed: int) -> dict:
    """top-1 of a minus b on the same drawings: the difference, its interval, McNemar's p."""
    from seqdoodle.comparison.statistics import bootstrap_accuracy_difference, mcnemar_exact

    a, b = probs_a.argmax(1) == y, probs_b.argmax(1) == y
    boot = bootstrap_accuracy_difference(a, b, seed=seed)
    return {
        "diff": round(float(a.mean() - b.mean()), 6),
        "ci95": [round(float(v), 6) for v in (boot["low"], boot["high"])],
        "p_mcnemar": float(mcnemar_exact(a, b)["p_value"]),
    }


def cache_teacher(out: Path, teacher: Path, ds) -> float:
    """Predict the teacher's training-split targets into the student's folder; the seconds."""
    from seqdoodle.fileio import sha256_file
    from seqdoodle.training.checks import teacher_identity
    from seqdoodle.training.distill import teacher_targets

    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    manifest_sha = sha256_file(ds.path / "manifest.json")
    teacher_targets(teacher_identity(teacher), ds, out, manifest_sha, say=print)
    return time.monotonic() - started


def train_student(kind: str, out: Path, teacher: Path, args, ds) -> dict:
    import seqdoodle

    teacher_seconds = None
    if not args.teacher_in_budget and not (out / "config.json").is_file():
        teacher_seconds = round(cache_teacher(out, teacher, ds), 1)
    summary = seqdoodle.train(
        kind, args.data, out, seed=args.seed, time_limit=args.time_limit, teacher=teacher,
        distill_alpha=args.alpha, distill_temperature=args.temperature, progress=False,
    ).summary  # fmt: skip
    print(
        f"  student {kind}: {summary['epochs_run']} epochs, best val "
        f"{summary['best_val_accuracy']:.4f}, {summary['seconds']:.0f} s ({summary['stop_reason']})"
    )
    record = {k: summary[k] for k in ("epochs_run", "best_val_accuracy", "seconds", "stop_reason")}
    return record | {"teacher_seconds_outside_limit": teacher_seconds}


def plot(result: dict, path: Path) -> None:
    from seqdoodle.plots import save_figure

    names = [*result["singles"], *(f"{k} student" for k in result["students"]), "teacher"]
    rows = [*result["singles"].values(), *result["students"].values(), result["teacher"]]
    top1 = [100 * r["test"]["top1"] for r in rows]
    colours = ["#8c8c8c"] * len(result["singles"]) + ["#1f77b4"] * len(result["students"])
    fig = Figure(figsize=(7, 3.6))
    ax = fig.subplots()
    ax.barh(names, top1, color=[*colours, "#2ca02c"])
    for i, v in enumerate(top1):
        ax.text(v + 0.1, i, f"{v:.1f}%", va="center", fontsize=8)
    ax.set_xlim(min(top1) - 5, max(top1) + 2)
    ax.invert_yaxis()
    ax.set_xlabel("test top-1 (%)")
    ax.set_title("Students of the ensemble beside the models trained without a teacher")
    fig.tight_layout()
    save_figure(fig, path)


def main(argv=None) -> dict:
    args = parser.parse_args(argv)
    args.work = args.work or WORK / args.name
    from seqdoodle.datasets.prepared import PreparedDataset
    from seqdoodle.runs.ensemble import fit_ensemble, load_model
    from seqdoodle.runs.folder import load_run

    ds = PreparedDataset(args.data)
    val_rows, test_rows = ds.indices("val"), ds.indices("test")
    y_val, y_test = np.asarray(ds.labels[val_rows]), np.asarray(ds.labels[test_rows])
    splits = {"val": val_rows, "test": test_rows}
    kinds = sorted(p.name for p in args.runs.iterdir() if (p / "config.json").is_file())
    members = [k.strip() for k in args.teacher_kinds.split(",") if k.strip()]
    students = [k.strip() for k in args.students.split(",") if k.strip() and k.strip() != "best"]
    missing = sorted(set(members + students) - set(kinds))
    if missing:
        raise SystemExit(f"{args.runs}: no finished run of {', '.join(missing)}")

    teacher_dir = args.work / "teacher"
    if (teacher_dir / "ensemble.json").is_file():
        teacher = load_model(teacher_dir)
    else:
        teacher = fit_ensemble([args.runs / k for k in members], ds, teacher_dir, progress=False)
    print(f"teacher {teacher_dir}: weights {teacher.weights}")

    def scored(model) -> tuple[dict, np.ndarray]:
        probs = {s: model.predict_proba_dataset(ds, rows) for s, rows in splits.items()}
        record = {"val": scores(y_val, probs["val"]), "test": scores(y_test, probs["test"])}
        return record | {"n_params": int(model.n_params)}, probs["test"]

    singles, single_probs = {}, {}
    for kind in kinds:
        singles[kind], single_probs[kind] = scored(load_run(args.runs / kind))
    teacher_record, teacher_probs = scored(teacher)
    best = max(kinds, key=lambda k: singles[k]["val"]["top1"])
    print(f"best single model on validation: {best} ({singles[best]['test']['top1']:.4f} test)")

    if "best" in args.students.split(",") and best not in students:
        students.append(best)
    result = {"singles": singles, "teacher": teacher_record, "students": {}, "best_single": best}
    for kind in students:
        out = args.work / "students" / kind
        training = train_student(kind, out, teacher_dir, args, ds)
        record, probs = scored(load_run(out))
        record |= {
            "training": training,
            "vs_same_kind_without_teacher": paired(y_test, probs, single_probs[kind], args.seed),
            "vs_best_single": paired(y_test, probs, single_probs[best], args.seed),
            "vs_teacher": paired(y_test, probs, teacher_probs, args.seed),
        }
        result["students"][kind] = record
        gain, gap = record["vs_best_single"]["diff"], -record["vs_teacher"]["diff"]
        top1 = record["test"]["top1"]
        print(f"  {kind} student: test top-1 {top1:.4f}, {gain:+.4f} over {best}, {gap:.4f} below")

    result["teacher"] |= {"members": list(teacher.weights), "weights": dict(teacher.weights)}
    result["targets"] = {"student_minus_best_single": 0.01, "goal_teacher_minus_student": 0.005}
    result["met"] = {
        kind: {
            "student_minus_best_single": r["vs_best_single"]["diff"] >= 0.01,
            "goal_teacher_minus_student": -r["vs_teacher"]["diff"] <= 0.005,
        }
        for kind, r in result["students"].items()
    }
    args.results.mkdir(parents=True, exist_ok=True)
    plot(result, args.results / f"{args.name}.png")
    write_result(
        args.results / f"{args.name}.json", result, command_line(__file__, argv),
        settings_of(args), requires=[
            "python -m experiments.studies.compare_26 --kinds cnn,rnn,timecnn,transformer "
            "--partial 1000 --curve '' --name compare_26_four_kinds"
        ],
    )  # fmt: skip
    return result


if __name__ == "__main__":
    main()

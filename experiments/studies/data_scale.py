"""
Title: Data scale: does the stroke model catch up with the CNN as training data grows?
Description: Each model kind trained with its defaults on 150, 300, 600 and all training drawings
per class of the 26 real stroke classes, two seeds each, scored on the same test drawings; a
saturating power law fitted to each kind's error, and where the stroke model's curve crosses
the CNN's, with bootstrap intervals.

## Introduction

On the 26 classes the bitmap CNN leads the stroke model by about 20 points at ~115 training
drawings per class and by 3 points at all ~1,370: the gap closes as data grows. Whether it
closes to zero, and where, is a question of the two learning curves. This study measures them
at four sizes with two seeds, fits each, and says where (or whether) they cross.

Run (16 trainings, one of them reusable from compare_26: about an hour on 2 quiet cores):

    python -m experiments.studies.data_scale \\
        --reuse-full experiments/work/compare_26_defaults/runs
    python -m experiments.studies.data_scale --kinds cnn,transformer --stroke transformer
    python -m experiments.studies.data_scale --sizes 20,40,80 --seeds 0,1 --epochs 1  # reduced

`--data` is a prepared dataset (default: the compare_26 work folder's 26-class dataset, 80/15/5
split, seed 0). Subsets, runs and per-run scores go to `--work` (default
`experiments/work/data_scale`, or `data_scale_reduced` for a reduced run); rerunning skips every
finished (kind, size, seed). Writes `experiments/results/<name>.json` and `<name>.png`.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from experiments.common import (  # noqa: E402
    RESULTS,
    WORK,
    argument_parser,
    command_line,
    load_average,
    portable,
    settings_of,
    split_settings,
    write_result,
)
from experiments.learning_curves import (  # noqa: E402
    N_MAX,
    bootstrap,
    curve,
    describe_crossing,
    find_crossing,
    fit_log_linear,
    fit_power_law,
    line,
    nested_train_rows,
    plot_curves,
    subset_dataset,
)

C26 = "compare_26_defaults.json"
DEFAULT_DATA = WORK / "compare_26_defaults" / "data"
DEFAULTS = {"sizes": "150,300,600,all", "seeds": "0,1", "epochs": None, "max_seconds": None}

"""
## Nested training subsets

For seed `s`, every class's training drawings are put in one seeded order (`[s, class]`) and a
size takes the first `n` of it, so the 150 drawings are among the 300, and those among the 600.
A class with fewer than `n` training drawings keeps all of them (the smallest has 431), so the
x value of a size is its mean per class. Every subset keeps all validation and test drawings:
every point of every curve is scored on the very same test drawings. The seed picks the
subsample as well as the weights, so the spread between seeds includes which drawings were drawn.
"""


"""
## The learning curve, the crossing, the intervals (`experiments.learning_curves`)

Test error against training drawings per class n is fitted by the saturating power law

    err(n) = a * (n / 100)^(-b) + c,    a >= 0, 0.02 <= b <= 3, 0 <= c <= 1,

the form learning curves of neural networks follow over a wide range of n (Hestness et al.,
2017): error falls as a power of the data towards a floor c that more data of the same kind
does not remove (label noise, ambiguous doodles, the model's own limit). Whether the stroke
model ever gets ahead depends on its floor and exponent against the CNN's. The fit is least
squares on every seed's point (for each b on a grid the best (a, c) within the bounds is exact;
scipy's `curve_fit` polishes it when scipy is installed). Four distinct sizes for three
parameters leave one degree of freedom for the shape: b and c trade off, so the floor and any
crossing beyond the largest size are extrapolations. The check err = alpha + beta * ln(n / 100)
has no floor; its lines cross unless parallel, often far outside the data.

The crossing n* is the first n, from the smallest size up to a million per class, where the
stroke model's fitted error falls to the CNN's. Its interval comes from a bootstrap: each
replicate resamples the test drawings (the same draw for every run, so the runs stay paired)
and, per (kind, size), the seeds, refits, and finds n* again; a replicate without a crossing
counts as beyond a million.
"""

"""
## Settings

Every flag that shortens the run (`--sizes`, `--seeds`, `--epochs`, `--max-seconds`) makes the
result say `reduced`, and a reduced run gets its own work folder by default, so its runs are
never taken for those of the full study. Without `--max-seconds` a run trains to its kind's
epochs or early stopping, with no time limit: on a busy machine a limit would cut big sizes
short and bend the curve.
"""


def parse_args(argv=None):
    from seqdoodle.kinds import get_kind

    parser = argument_parser(__file__, __doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="a prepared dataset")
    parser.add_argument("--kinds", default="cnn,rnn", help="the model kinds to train")
    parser.add_argument("--bitmap", default="cnn", help="the bitmap model of the crossing")
    parser.add_argument("--stroke", default="rnn", help="the stroke model of the crossing")
    parser.add_argument("--sizes", default=DEFAULTS["sizes"], help="training drawings per class")
    parser.add_argument("--seeds", default=DEFAULTS["seeds"], help="subsample and weight seeds")
    parser.add_argument("--epochs", type=int, default=None, help="default: each kind's default")
    parser.add_argument("--max-seconds", type=float, default=None, help="training limit per run")
    parser.add_argument(
        "--reuse-full", type=Path, default=None,
        help="a folder of finished runs on --data (<kind>/), taken as seed 0 of the size 'all'",
    )  # fmt: skip
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap replicates")
    parser.add_argument("--work", type=Path, default=None, help="subsets, runs and scores")
    parser.add_argument("--name", default="data_scale", help="name of the result files")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of the results")
    parser.add_argument("--machine-note", default="", help="what else ran on the machine")
    args = parser.parse_args(argv)
    args.kind_list = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if args.bitmap not in args.kind_list or args.stroke not in args.kind_list:
        parser.error(f"--bitmap {args.bitmap} and --stroke {args.stroke} must be in --kinds")
    for kind in args.kind_list:
        get_kind(kind)  # an unknown kind stops here, before any work
    try:
        sizes = [None if s.strip() == "all" else int(s) for s in args.sizes.split(",")]
        args.seed_list = sorted({int(s) for s in args.seeds.split(",")})
    except ValueError as e:
        parser.error(f"--sizes and --seeds are comma-separated numbers ('all' a size): {e}")
    if any(s is not None and s < 1 for s in sizes) or len(set(sizes)) < 2:
        parser.error(f"--sizes {args.sizes}: two or more distinct positive sizes")
    args.size_list = sorted(sizes, key=lambda s: math.inf if s is None else s)
    args.reduced = [k for k, v in DEFAULTS.items() if getattr(args, k) != v]
    return args


"""
## Train and score every (kind, size, seed)

`seqdoodle.train` with the kind's defaults on the subset; the best model then predicts the
test drawings of the full dataset. A finished job leaves its score (and which test drawings it
got right) in `WORK/scores/`, and a rerun skips it. `--reuse-full` takes a finished run of the
full dataset (compare_26's, trained with seed 0) instead of training that one again.
"""


def training_record(out: Path) -> dict:
    """Epochs, best validation accuracy, training seconds and stop reason of a finished run."""
    from seqdoodle.runs.layout import RunLayout

    layout = RunLayout(out)
    history, summary = layout.read_history() or {}, layout.read_summary() or {}
    return {
        "epochs_run": len(history.get("epoch", [])),
        "best_val_accuracy": max(history.get("val_accuracy") or [math.nan]),
        "train_seconds": round(sum(history.get("seconds", [])), 1),
        "stop_reason": summary.get("stop_reason"),
    }


def reusable_run(folder: Path, kind: str, data_sha: str, epochs=None, max_seconds=None):
    """`folder/kind` when it is a finished seed-0 run of the whole dataset trained as this study
    trains (`epochs`, None for the kind's default; `max_seconds`, None for no limit); None when
    there is no run there."""
    from seqdoodle.errors import DataFormatError
    from seqdoodle.kinds import get_kind
    from seqdoodle.runs.layout import RunLayout

    out = Path(folder) / kind
    if not (out / "config.json").is_file():
        print(f"  {out}: no run there; {kind} seed 0 on all drawings is trained here")
        return None
    config = json.loads((out / "config.json").read_text())
    if config["dataset"]["manifest_sha256"] != data_sha:
        raise DataFormatError(f"{out}: trained on another dataset than --data")
    train = config["train"]
    if train["seed"] != 0 or train.get("max_train"):
        raise DataFormatError(f"{out}: not a seed-0 run on every training drawing")
    limit = None if max_seconds is None else max_seconds / 60
    wanted = get_kind(kind).defaults.epochs if epochs is None else epochs
    if train.get("time_limit") != limit or train["epochs"] != wanted:
        raise DataFormatError(
            f"{out}: trained for {train['epochs']} epochs, limit {train.get('time_limit')} min; "
            f"this study trains {wanted} epochs, limit {limit} min"
        )
    if RunLayout(out).read_summary() is None:
        raise DataFormatError(f"{out}: its training has not finished; wait, or drop --reuse-full")
    return out


def run_job(args, full, work, kind, size, seed, x, data_sha) -> dict:
    """Train (or reuse) and score one (kind, size, seed); the record, with `correct` (0/1 text)."""
    import seqdoodle
    from seqdoodle.errors import DataFormatError
    from seqdoodle.fileio import write_json
    from seqdoodle.runs.inference import predict_dataset

    label = "all" if size is None else str(size)
    key = f"{kind}-{label}-s{seed}"
    score_file = work / "scores" / f"{key}.json"
    score_file.parent.mkdir(parents=True, exist_ok=True)
    recipe = {"epochs": args.epochs, "max_seconds": args.max_seconds, "data": data_sha}
    if score_file.is_file():
        saved = json.loads(score_file.read_text())
        if saved["recipe"] != recipe:
            raise DataFormatError(f"{score_file}: made with {saved['recipe']}; use another --work")
        return saved
    out = None
    if size is None and seed == 0 and args.reuse_full is not None:
        out = reusable_run(args.reuse_full, kind, data_sha, args.epochs, args.max_seconds)
    reused = out is not None
    if not reused:
        ds = full
        if size is not None:
            ds = subset_dataset(full, size, seed, work / "data" / f"n{size}-s{seed}")
        out = work / "runs" / key
        limit = None if args.max_seconds is None else args.max_seconds / 60
        seqdoodle.train(
            kind, ds, out, epochs=args.epochs, seed=seed, time_limit=limit, progress=False
        )
    test_rows = full.indices("test")
    probs = predict_dataset(seqdoodle.load_run(out), full, test_rows)
    hits = probs.argmax(axis=1) == np.asarray(full.labels[test_rows])
    record = {
        "kind": kind,
        "size": label,
        "seed": seed,
        "per_class": x[label],
        "top1": round(float(hits.mean()), 6),
        "error": round(float(1 - hits.mean()), 6),
        **training_record(out),
        "run": portable(Path(out).absolute()),
        "reused": reused,
        "recipe": recipe,
        "correct": "".join("01"[int(h)] for h in hits),
    }
    write_json(score_file, record)
    return record


"""
## The answer, in words

From the crossing of the power laws, its bootstrap interval, the fitted floors and the measured
gap at the largest size; the log-linear check is quoted beside it.
"""


"""
## Run it all, fit, write
"""


def measure(args, full, work, x) -> tuple[list, dict]:
    """Every job's record (in size, seed, kind order) and its right/wrong test drawings."""
    from seqdoodle.fileio import sha256_file

    data_sha = sha256_file(Path(full.path) / "manifest.json")
    jobs = [(k, s, seed) for s in args.size_list for seed in args.seed_list for k in args.kind_list]
    records, correct = [], {}
    for i, (kind, size, seed) in enumerate(jobs, 1):
        print(f"[{i}/{len(jobs)}] {kind}, {size or 'all'} per class, seed {seed} ...", flush=True)
        record = run_job(args, full, work, kind, size, seed, x, data_sha)
        hits = np.frombuffer(record.pop("correct").encode(), np.uint8) == ord("1")
        correct.setdefault((kind, record["size"]), []).append(hits)
        record.pop("recipe")
        records.append(record)
        done = "reused" if record["reused"] else f"{record['train_seconds'] / 60:.1f} min"
        print(
            f"  top-1 {100 * record['top1']:.1f}%, {record['epochs_run']} epochs "
            f"({record['stop_reason']}), {done}",
            flush=True,
        )
    return records, {k: np.stack(v) for k, v in correct.items()}


def analyse(args, records, correct, x) -> tuple[dict, dict]:
    """The fits of every kind and the crossing of the pair (with its bootstrap)."""

    def rounded(fit):
        return fit and {k: round(v, 5) if isinstance(v, float) else v for k, v in fit.items()}

    fits = {}
    for kind in args.kind_list:
        n = [r["per_class"] for r in records if r["kind"] == kind]
        err = [r["error"] for r in records if r["kind"] == kind]
        fits[kind] = {
            "power_law": rounded(fit_power_law(n, err)) if len(x) >= 3 else None,
            "log_linear": rounded(fit_log_linear(n, err)),
        }
    b, s, n_lo, n_hi = args.bitmap, args.stroke, min(x.values()), max(x.values())
    ll = find_crossing(line(fits[b]["log_linear"]), line(fits[s]["log_linear"]), n_lo)
    crossing = {"bitmap": b, "stroke": s, "searched": [n_lo, N_MAX], "log_linear": ll}
    if len(x) >= 3:
        pl = find_crossing(curve(fits[b]["power_law"]), curve(fits[s]["power_law"]), n_lo)
        print(f"bootstrap: {args.bootstrap} replicates ...", flush=True)
        boot = bootstrap(correct, x, args.kind_list, (b, s), args.bootstrap, seed=0)
    else:
        pl = {"status": "not fitted (fewer than 3 sizes)", "n_star": None}
        boot = {"n_star_95": [None, None], "share_crossing": 0.0, "replicates": 0}
    for c in (pl, ll):
        c["n_star"] = c["n_star"] and round(c["n_star"], 1)
        c["within_measured"] = bool(c["n_star"] and c["n_star"] <= n_hi)
    crossing.update(power_law=pl, bootstrap=boot)
    return fits, crossing


def main(argv=None) -> None:
    import seqdoodle
    from seqdoodle.plots import save_figure

    args = parse_args(argv)
    started, load_start = time.monotonic(), load_average()
    full = seqdoodle.PreparedDataset(args.data)
    work = args.work or WORK / ("data_scale_reduced" if args.reduced else "data_scale")
    n_classes, n_test = len(full.classes), len(full.indices("test"))
    sizes, x = [], {}
    for size in args.size_list:  # the per-class counts do not depend on the seed
        n_train, label = (
            nested_train_rows(full.labels, full.splits, size, 0).size,
            str(size or "all"),
        )
        x[label] = round(n_train / n_classes, 1)
        sizes.append({"size": label, "per_class_requested": size, "train_drawings": n_train,
                      "per_class_mean": x[label]})  # fmt: skip
    print(f"{full.path}: {n_classes} classes, {full.counts()}; per class {x}; work {work}")
    records, correct = measure(args, full, work, x)
    fits, crossing = analyse(args, records, correct, x)
    largest = max(x, key=x.get)
    err = {k: np.mean([r["error"] for r in records if r["kind"] == k and r["size"] == largest])
           for k in (args.bitmap, args.stroke)}  # fmt: skip
    answer = describe_crossing(fits, crossing, err[args.stroke] - err[args.bitmap], x[largest])
    if args.reduced:
        answer = (
            f"Reduced run ({', '.join(args.reduced)}): says nothing about the question. {answer}"
        )
    print(answer)

    args.results.mkdir(parents=True, exist_ok=True)
    figure = plot_curves(records, fits, crossing, args.kind_list,
                         f"{n_classes} classes, {n_test:,} test drawings")  # fmt: skip
    save_figure(figure, args.results / f"{args.name}.png")
    result = {
        "reduced": bool(args.reduced),
        "reduced_by": args.reduced,
        "question": f"Does the {args.stroke} model catch up with the {args.bitmap} as "
        "training data grows?",
        "answer": answer,
        "data": {
            "path": portable(Path(full.path).absolute()),
            "classes": full.classes,
            "counts": full.counts(),
            "split": split_settings(full),
        },
        "sizes": sizes,
        "runs": records,
        "fits": fits,
        "fit_form": "power law err(n) = a*(n/100)^(-b) + c, a>=0, 0.02<=b<=3, 0<=c<=1, least "
        "squares on every seed's point; log-linear err = alpha + beta*ln(n/100) as a check",
        "fit_weak": f"{len(x)} sizes for 3 parameters: b and c trade off, so the floor c and "
        "any crossing beyond the largest size are extrapolations with wide intervals",
        "crossing": crossing,
        "seconds": round(time.monotonic() - started, 1),
        "machine": {
            "load_average_start": load_start,
            "load_average_end": load_average(),
            "note": args.machine_note,
        },
    }
    settings = settings_of(args, work=work)
    for k in ("kind_list", "size_list", "seed_list"):
        settings.pop(k)
    requires = []
    if Path(args.data).resolve() == DEFAULT_DATA.resolve() and (RESULTS / C26).is_file():
        requires = [json.loads((RESULTS / C26).read_text())["command"]]
    path = args.results / f"{args.name}.json"
    write_result(path, result, command_line(__file__, argv), settings, requires=requires)
    print(f"wrote {path} and {args.name}.png in {result['seconds']:.0f} s")


if __name__ == "__main__":
    main()

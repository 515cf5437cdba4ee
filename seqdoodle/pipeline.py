"""`compare`, the main job: both models on the same drawings, a paired test, the ensemble.

Two modes:

- Train and compare (the default): prepare the source into `OUT/dataset` (or take a prepared
  `data` folder), train the bitmap CNN into `OUT/runs/cnn` and the stroke model into
  `OUT/runs/rnn` on the same training drawings, then score both and their ensemble on the test
  split. Every step resumes: rerunning the same call continues an interrupted training and then
  only re-evaluates.
- Evaluate only (`runs=(RUN_A, RUN_B)`): score two existing runs and their ensemble on a prepared
  dataset's test split (`data`), on every drawing of a class folder (`source`), or, when neither
  is given, on the test split of the dataset both runs were trained on. Nothing is trained.

The ensemble weight is fitted on the validation split by log-loss when there is one (datasets);
on a class folder there is no validation split and the weight is 0.5.

Decision: `seqdoodle compare` with no arguments is a few-minute demonstration on 2 CPU cores:
the synthetic doodles with `QUICK["per_class"]` drawings per class and the epochs and time limits
of `QUICK`. Any explicit `per_class`, `epochs` or non-synthetic source uses the full defaults
of `prepare` and `train` instead.

```
OUT/
  dataset/                      prepared dataset (train mode without `data`)
  runs/cnn/, runs/rnn/          the two run folders (train mode)
  report.md, report.json        results, paired test, data and run info
  predictions_<model>.npz       test labels + probabilities per model (and the ensemble)
  predictions_val_<model>.npz   validation predictions the ensemble weight was fitted on
  confusion_<model>.png, per_class_accuracy.png, training_curves.png, wrong_<model>.png
```
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqdoodle.errors import DataFormatError, MissingFileError, UnknownClassError
from seqdoodle.progress import Reporter

SYNTHETIC = "synthetic"
MODEL_NAMES = ("cnn", "rnn")
# The no-argument demonstration: sized to finish in about 3 minutes on 2 CPU cores.
# Unloaded, both models finish their epochs well inside the time limits; the limits only bind
# when the CPU is shared, and keep the whole job under 5 minutes.
QUICK = {
    "per_class": 1000,
    "epochs": {"cnn": 8, "rnn": 15},
    "time_limit": {"cnn": 1.6, "rnn": 1.3},  # minutes of training per model
}
LATENCY_DRAWINGS = 256  # test drawings timed per model
LATENCY_REPEATS = 30
WRONG_SHOWN = 16  # drawings per wrong-prediction grid


def compare(
    data=None,
    source=SYNTHETIC,
    classes: Sequence[str] | None = None,
    per_class: int | None = None,
    runs: Sequence | None = None,
    out="compare-report",
    epochs: int | Mapping[str, int] | None = None,
    seed: int = 0,
    progress: bool | None = None,
    cnn_arch: str = "default",
    rnn_arch: str = "default",
    time_limit: float | Mapping[str, float] | None = None,
    patience: int | Mapping[str, int] | None = None,
) -> dict:
    """Train (or take) a bitmap CNN and a stroke model, compare them on the same test drawings.

    Args:
        data: path or None. A prepared dataset folder to train on (train mode) or to evaluate
            `runs` on (its test split). Defaults to None.
        source: str, path or list of them. Where drawings come from when `data` is None:
            `"synthetic"`, a folder of `<class>.ndjson` files, or several folders. In train mode
            it is prepared into `out/dataset`; with `runs` every drawing of a folder is scored.
            Defaults to `"synthetic"`.
        classes: list of str or None. Train mode: the classes to prepare (None: all the source
            has). With `runs`: only test drawings of these classes are scored. Defaults to None.
        per_class: int or None. Train mode: drawings per class to prepare; None takes
            `QUICK["per_class"]` for the synthetic doodles and 10000 otherwise. With `runs` and a
            folder: at most this many drawings per class. Defaults to None.
        runs: pair of paths or None. Two run folders to evaluate instead of training.
            Defaults to None.
        out: path. The report folder. Defaults to `"compare-report"`.
        epochs: int, dict (`{"cnn": 8, "rnn": 12}`) or None. Epochs per model; None takes
            `QUICK["epochs"]` in the no-argument case and the `train` defaults otherwise.
            Defaults to None.
        seed: int. Seed of the split, the weights, the bootstrap and the figures' samples.
            Defaults to 0.
        progress: bool or None. False prints nothing; otherwise one line per step on stderr and
            training progress as `train` draws it. Defaults to None.
        cnn_arch: str. CNN architecture, `"default"` or `"baseline"`. Defaults to `"default"`.
        rnn_arch: str. Stroke model architecture, `"default"` or `"tutorial"`.
            Defaults to `"default"`.
        time_limit: float, dict or None. Minutes of training per model; None takes
            `QUICK["time_limit"]` in the no-argument case and `train`'s default otherwise.
            Defaults to None.
        patience: int, dict or None. Early-stopping patience in epochs per model; None takes
            `train`'s default (3). Defaults to None.

    Returns:
        dict: the contents of `out/report.json`: `models` (`cnn`, `rnn`, `ensemble`: top1, top3,
        map3, macro_f1, per_class, confusion, ece, latency_ms, n_params, saved_size_bytes),
        `paired` (McNemar, bootstrap, per-class winners, verdict), `data`, `runs`, `timing_seconds`,
        `predictions`, `notes`.

    Raises:
        MissingFileError: `data`, a source folder or a run folder does not exist.
        UnknownClassError: a class that the source or the runs do not have.
        DataFormatError: runs with different classes, a bitmap-only source (the stroke model
            needs strokes), or other bad arguments.

    Example:
    >>> report = compare(out="/tmp/cmp")  # doctest: +SKIP
    >>> report["models"]["ensemble"]["top1"] >= report["models"]["cnn"]["top1"]  # doctest: +SKIP
    """
    from seqdoodle.fileio import folder_lock

    started = time.monotonic()
    say = Reporter(progress)
    out = Path(out)
    if data is not None and source not in (None, SYNTHETIC):
        raise DataFormatError("give a prepared dataset (data) or a source, not both")
    if per_class is not None and int(per_class) < 1:
        raise DataFormatError(f"per_class must be at least 1, got {per_class}")
    with folder_lock(out, "compare"):
        if runs is not None:
            job = _evaluation_job(runs, data, source, classes, per_class, say)
        else:
            job = _training_job(
                data,
                source,
                classes,
                per_class,
                out,
                epochs,
                seed,
                progress,
                {"cnn": cnn_arch, "rnn": rnn_arch},
                time_limit,
                patience,
                say,
            )
        return _report(job, out, seed, say, started)


# ----------------------------------------------------------------------------- the two modes


@dataclass
class _Job:
    """Everything the report needs: test (and val) predictions of both models and their inputs."""

    mode: str
    classes: list[str]
    runs: dict  # name -> Run
    y_test: np.ndarray
    probs_test: dict  # name -> (n, k) float32
    ids_test: np.ndarray
    drawings_of: Callable  # positions in the test arrays -> list of Drawing
    data_info: dict
    y_val: np.ndarray | None = None
    probs_val: dict | None = None
    training: dict = field(default_factory=dict)  # name -> train() summary
    timing: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)


def _per_model(value, name: str, what: str):
    if isinstance(value, Mapping):
        unknown = set(value) - set(MODEL_NAMES)
        if unknown:
            raise DataFormatError(f"{what}: unknown model(s) {sorted(unknown)}; use cnn and rnn")
        return value.get(name)
    return value


def _training_job(
    data, source, classes, per_class, out, epochs, seed, progress, archs, time_limit, patience, say
) -> _Job:
    from seqdoodle.artifacts import load_run
    from seqdoodle.datasets.prepared import PreparedDataset
    from seqdoodle.training import train

    quick = data is None and _is_synthetic(source) and per_class is None and epochs is None
    timing, notes = {}, []
    if data is not None:
        ds = PreparedDataset(data)
        ignored = [n for n, v in (("classes", classes), ("per_class", per_class)) if v is not None]
        if ignored:
            notes.append(f"{ds.path}: already prepared; {' and '.join(ignored)} ignored")
    else:
        from seqdoodle.datasets.prepare import prepare

        if per_class is None:
            per_class = QUICK["per_class"] if _is_synthetic(source) else 10000
        t0 = time.monotonic()
        ds = prepare(
            SYNTHETIC if _is_synthetic(source) else source,
            out / "dataset",
            classes=list(classes) if classes is not None else None,
            per_class=int(per_class),
            seed=seed,
            progress=progress,
        )
        timing["prepare"] = time.monotonic() - t0
        say(
            f"prepared {_source_text(source)} ({per_class} per class) into {ds.path}: "
            f"{len(ds)} drawings of {len(ds.classes)} classes in {timing['prepare']:.0f} s"
        )
    if not ds.has_strokes:
        raise DataFormatError(
            f"{ds.path}: prepared from bitmaps only; the stroke model needs strokes "
            "(a folder of .ndjson files or the synthetic doodles)"
        )
    counts = ds.counts()
    if counts["test"] == 0:
        raise DataFormatError(f"{ds.path}: the test split is empty; nothing to compare on")
    training, found = {}, {}
    for name in MODEL_NAMES:
        n_epochs = _per_model(epochs, name, "epochs")
        limit = _per_model(time_limit, name, "time_limit")
        if quick:
            n_epochs = n_epochs or QUICK["epochs"][name]
            limit = limit if limit is not None else QUICK["time_limit"][name]
        options = {} if limit is None else {"time_limit": limit}
        wait = _per_model(patience, name, "patience")
        if wait is not None:
            options["patience"] = int(wait)
        run_dir = out / "runs" / name
        say(f"training {name} ({archs[name]}) on {counts['train']} drawings into {run_dir}")
        summary = train(
            name,
            ds.path,
            run_dir,
            arch=archs[name],
            epochs=n_epochs,
            seed=seed,
            progress=progress,
            **options,
        )
        training[name] = summary
        timing[f"train_{name}"] = summary["seconds"]
        found[name] = load_run(run_dir)
    say("predicting the validation and test splits with both models")
    t0 = time.monotonic()
    test_idx, val_idx = ds.indices("test"), ds.indices("val")
    probs_test = {n: r.predict_proba_dataset(ds, test_idx) for n, r in found.items()}
    probs_val = {n: r.predict_proba_dataset(ds, val_idx) for n, r in found.items()}
    timing["predict"] = time.monotonic() - t0
    return _Job(
        mode="train",
        classes=list(ds.classes),
        runs=found,
        y_test=ds.labels[test_idx].astype(np.int64),
        probs_test=probs_test,
        ids_test=test_idx,
        drawings_of=lambda pos: list(ds.drawings(test_idx[pos])),
        data_info=_dataset_info(ds, "test"),
        y_val=ds.labels[val_idx].astype(np.int64) if len(val_idx) else None,
        probs_val=probs_val if len(val_idx) else None,
        training=training,
        timing=timing,
        notes=notes,
    )


def _evaluation_job(runs, data, source, classes, per_class, say) -> _Job:
    from seqdoodle.artifacts import load_run

    runs = [Path(r) for r in runs]
    if len(runs) != 2:
        raise DataFormatError(f"runs: give exactly two run folders, got {len(runs)}")
    loaded = [load_run(r) for r in runs]
    names = _run_names(loaded)
    a, b = loaded
    if set(a.classes) != set(b.classes):
        raise DataFormatError(
            f"{b.path}: its {len(b.classes)} classes differ from the {len(a.classes)} of "
            f"{a.path}; compare needs runs trained on the same classes"
        )
    column_of_b = np.array([b.classes.index(c) for c in a.classes])
    found = dict(zip(names, loaded))
    keep = None
    if classes is not None:
        keep = [_check_run_class(c, a) for c in classes]
    timing = {}
    t0 = time.monotonic()
    if data is None and _is_synthetic(source):
        data = _shared_dataset(a, b)
    if data is not None:
        job = _evaluate_on_dataset(found, data, column_of_b, say)
    else:
        job = _evaluate_on_folder(found, source, per_class, column_of_b, say)
    timing["predict"] = time.monotonic() - t0
    job.timing.update(timing)
    if keep is not None:
        _keep_classes(job, [a.classes.index(c) for c in keep])
    return job


def _evaluate_on_dataset(found, data, column_of_b, say) -> _Job:
    from seqdoodle.datasets.prepared import PreparedDataset
    from seqdoodle.inference import dataset_predictions

    ds = PreparedDataset(data)
    (name_a, run_a), (name_b, run_b) = found.items()
    say(f"predicting {ds.path} (test and validation splits) with {run_a.path} and {run_b.path}")
    notes: list[str] = []
    results = {}
    for split in ("test", "val"):
        if split == "val" and len(ds.indices("val")) == 0:
            break
        pa = dataset_predictions(run_a, ds, split)
        pb = dataset_predictions(run_b, ds, split)
        if not np.array_equal(pa.ids, pb.ids):
            raise DataFormatError(f"{ds.path}: the two runs were scored on different drawings")
        notes += [n for n in pa.notes + pb.notes if n not in notes]
        results[split] = (pa, {name_a: pa.probs, name_b: pb.probs[:, column_of_b]})
    test, test_probs = results["test"]
    val = results.get("val")
    rows = test.ids.astype(np.int64)
    return _Job(
        mode="evaluate",
        classes=list(run_a.classes),
        runs=found,
        y_test=test.y_true.astype(np.int64),
        probs_test=test_probs,
        ids_test=rows,
        drawings_of=lambda pos: list(ds.drawings(rows[pos])),
        data_info=_dataset_info(ds, "test"),
        y_val=None if val is None else val[0].y_true.astype(np.int64),
        probs_val=None if val is None else val[1],
        notes=notes,
    )


def _evaluate_on_folder(found, source, per_class, column_of_b, say) -> _Job:
    from seqdoodle.inference import folder_drawings

    folders = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    if len(folders) != 1:
        raise DataFormatError("with runs, give one class folder as the source")
    folder = Path(folders[0])
    (name_a, run_a), (name_b, run_b) = found.items()
    say(f"reading {folder} and predicting it with {run_a.path} and {run_b.path}")
    drawings_a, y_a, notes = folder_drawings(run_a, folder, per_class)
    drawings_b, _, notes_b = folder_drawings(run_b, folder, per_class)
    notes += [n for n in notes_b if n not in notes]
    shared = {d.source for d in drawings_b}
    both = [i for i, d in enumerate(drawings_a) if d.source in shared]
    if not both:
        raise DataFormatError(f"{folder}: no drawing that both runs can read")
    if len(both) < len(drawings_a):
        notes.append(f"{folder}: {len(drawings_a) - len(both)} drawings only one run can read")
    drawings = [drawings_a[i] for i in both]
    y = y_a[both].astype(np.int64)
    probs = {
        name_a: run_a.predict_proba(drawings),
        name_b: run_b.predict_proba(drawings)[:, column_of_b],
    }
    counts = np.bincount(y, minlength=len(run_a.classes))
    return _Job(
        mode="evaluate",
        classes=list(run_a.classes),
        runs=found,
        y_test=y,
        probs_test=probs,
        ids_test=np.asarray([d.source or "" for d in drawings], dtype=np.str_),
        drawings_of=lambda pos: [drawings[int(i)] for i in pos],
        data_info={
            "kind": "folder",
            "path": str(folder),
            "split": "all drawings of the folder",
            "per_class": per_class,
            "classes": list(run_a.classes),
            "counts": {"test": int(len(y))},
            "counts_per_class": {
                "test": {c: int(n) for c, n in zip(run_a.classes, counts)},
            },
        },
        notes=notes,
    )


def _keep_classes(job: _Job, keep: list[int]) -> None:
    """Score only test (and val) drawings whose true class is in `keep` (class indices)."""
    mask = np.isin(job.y_test, keep)
    if not mask.any():
        raise DataFormatError("no test drawing of the chosen classes")
    positions = np.flatnonzero(mask)
    job.y_test = job.y_test[positions]
    job.ids_test = job.ids_test[positions]
    job.probs_test = {n: p[positions] for n, p in job.probs_test.items()}
    inner = job.drawings_of
    job.drawings_of = lambda pos: inner(positions[np.asarray(pos, dtype=np.int64)])
    if job.y_val is not None:
        val_mask = np.isin(job.y_val, keep)
        job.y_val = job.y_val[val_mask]
        job.probs_val = {n: p[val_mask] for n, p in job.probs_val.items()}
        if not val_mask.any():
            job.y_val = job.probs_val = None
    job.data_info["only_classes"] = [job.classes[i] for i in keep]
    job.data_info["counts"] = {**job.data_info.get("counts", {}), "test": int(mask.sum())}


def _run_names(loaded) -> list[str]:
    """cnn/rnn when the kinds differ (cnn first), else the folder names."""
    a, b = loaded
    if a.kind != b.kind:
        if a.kind == "rnn":
            loaded.reverse()
        return ["cnn", "rnn"]
    names = [a.path.resolve().name or "a", b.path.resolve().name or "b"]
    if names[0] == names[1]:
        names = [f"{names[0]}_a", f"{names[1]}_b"]
    return ["run_" + n if n == "ensemble" else n for n in names]


def _check_run_class(name: str, run) -> str:
    from seqdoodle.categories import check_class

    try:
        return check_class(name, run.classes)
    except UnknownClassError as e:
        raise UnknownClassError(f"{run.path}: {e}") from None


def _shared_dataset(a, b) -> Path:
    """The dataset both runs were trained on, from their config.json."""
    paths = [(r.config.get("dataset") or {}).get("path") for r in (a, b)]
    if not paths[0] or paths[0] != paths[1]:
        raise MissingFileError(
            f"{a.path}, {b.path}: not trained on one recorded dataset; give the data to "
            "evaluate on (a prepared dataset or a class folder)"
        )
    if not Path(paths[0]).is_dir():
        raise MissingFileError(
            f"{paths[0]}: the runs' dataset is gone; give the data to evaluate on"
        )
    return Path(paths[0])


def _is_synthetic(source) -> bool:
    return source is None or (isinstance(source, str) and source == SYNTHETIC)


def _source_text(source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return ", ".join(str(s) for s in source)


def _dataset_info(ds, split: str) -> dict:
    args = ds.manifest.get("args", {})
    return {
        "kind": "dataset",
        "path": str(ds.path),
        "split": split,
        "source": args.get("source"),
        "per_class": args.get("per_class"),
        "seed": args.get("seed"),
        "classes": list(ds.classes),
        "counts": ds.counts(),
        "counts_per_class": ds.manifest.get("counts"),
    }


# ----------------------------------------------------------------------------- the report


def _report(job: _Job, out: Path, seed: int, say, started: float) -> dict:
    from seqdoodle.comparison import compare_predictions, ensemble_probs, write_report
    from seqdoodle.evaluation import measure_latency, save_predictions

    t0 = time.monotonic()
    val = None if job.y_val is None else (job.y_val, job.probs_val)
    kinds = {name: run.kind for name, run in job.runs.items()}
    reports, paired = compare_predictions(
        job.y_test, job.probs_test, job.classes, val=val, seed=seed, kinds=kinds
    )
    weight = paired.ensemble_weight
    (name_a, run_a), (name_b, run_b) = job.runs.items()
    probs = {**job.probs_test, "ensemble": ensemble_probs(*job.probs_test.values(), weight)}
    predictions = {}
    for name, p in probs.items():
        fname = f"predictions_{name}.npz"
        save_predictions(out / fname, job.y_test, p, job.classes, ids=job.ids_test)
        reports[name].predictions = {"path": fname}
        predictions[name] = fname
    if val is not None:
        val_probs = {**job.probs_val, "ensemble": ensemble_probs(*job.probs_val.values(), weight)}
        for name, p in val_probs.items():
            save_predictions(out / f"predictions_val_{name}.npz", job.y_val, p, job.classes)
            predictions[f"val_{name}"] = f"predictions_val_{name}.npz"

    say("timing both models on test drawings")
    rng = np.random.default_rng([seed, 7])
    n_time = min(LATENCY_DRAWINGS, len(job.y_test))
    sample = np.sort(rng.choice(len(job.y_test), n_time, replace=False))
    inputs = job.drawings_of(sample)

    def ensemble_predict(x):
        return weight * run_a.predict_proba(x) + (1 - weight) * run_b.predict_proba(x)

    t_latency = time.monotonic()
    for name, fn in ((name_a, run_a.predict_proba), (name_b, run_b.predict_proba)):
        reports[name].latency_ms = measure_latency(fn, inputs, repeats=LATENCY_REPEATS)
        reports[name].n_params = job.runs[name].n_params
        reports[name].saved_size_bytes = job.runs[name].saved_size_bytes
    reports["ensemble"].latency_ms = measure_latency(
        ensemble_predict, inputs, repeats=LATENCY_REPEATS
    )
    reports["ensemble"].n_params = reports[name_a].n_params + reports[name_b].n_params
    reports["ensemble"].saved_size_bytes = (
        reports[name_a].saved_size_bytes + reports[name_b].saved_size_bytes
    )
    job.timing["latency"] = time.monotonic() - t_latency

    figures = _figures(job, reports, seed)
    runs_info = {
        name: {
            "path": str(run.path),
            "kind": run.kind,
            "arch": run.arch,
            "n_params": run.n_params,
            "saved_size_bytes": run.saved_size_bytes,
            "latency_ms": reports[name].latency_ms,
            "training": job.training.get(name) or _stored_training(run),
        }
        for name, run in job.runs.items()
    }
    job.timing["evaluate"] = time.monotonic() - t0
    job.timing["total"] = time.monotonic() - started
    from seqdoodle import __version__

    extra = {
        "mode": job.mode,
        "data": {**job.data_info, "n_test": int(len(job.y_test))},
        "runs": runs_info,
        "ensemble": {"weight": weight, "of": name_a, "source": paired.ensemble_weight_source},
        "latency": {
            "drawings": int(n_time),
            "repeats": LATENCY_REPEATS,
            "note": "ms per call of one drawing (p50/p95) and per drawing in batches of 256, "
            "preprocessing included",
        },
        "predictions": predictions,
        "timing_seconds": {k: round(v, 2) for k, v in job.timing.items()},
        "notes": job.notes,
        "seed": seed,
        "seqdoodle_version": __version__,
    }
    written = write_report(out, reports, paired, extra=extra, figures=figures)
    _append_markdown(written["markdown"], extra)
    doc = json.loads(written["json"].read_text("utf-8"))
    return doc


def _stored_training(run) -> dict | None:
    """The training summary a run folder keeps (checkpoint state), or None."""
    state = run.path / "checkpoint" / "state.json"
    try:
        return json.loads(state.read_text("utf-8")).get("summary")
    except (OSError, ValueError, AttributeError):
        return None


def _figures(job: _Job, reports, seed: int) -> dict:
    """Training curves of both runs and a grid of wrong test drawings per model."""
    from seqdoodle.plots.evaluation import plot_wrong_predictions

    figures = {}
    curves = _training_curves(job.runs)
    if curves is not None:
        figures["training_curves.png"] = curves
    for name in job.runs:
        pred = np.argmax(job.probs_test[name], axis=1)
        wrong = np.flatnonzero(pred != job.y_test)
        rng = np.random.default_rng([seed, 11])
        shown = np.sort(rng.choice(wrong, min(WRONG_SHOWN, len(wrong)), replace=False))
        fig = plot_wrong_predictions(
            job.drawings_of(shown),
            job.y_test[shown],
            pred[shown],
            job.classes,
            title=f"{name}: {len(shown)} of its {len(wrong)} wrong test drawings "
            f"(top-1 {100 * reports[name].top1:.1f}%)",
            max_items=WRONG_SHOWN,
        )
        figures[f"wrong_{name}.png"] = fig
    return figures


def _training_curves(runs: dict):
    """One figure, a row per run: loss and accuracy per epoch (None when no run has a history)."""
    from matplotlib.figure import Figure

    from seqdoodle.plots.training import plot_history

    histories = {}
    for name, run in runs.items():
        path = run.path / "history.json"
        try:
            histories[name] = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
    if not histories:
        return None
    fig = Figure(figsize=(10, 3.6 * len(histories)), layout="constrained")
    axes = fig.subplots(len(histories), 2, squeeze=False)
    for row, (name, history) in zip(axes, histories.items()):
        plot_history(history, ax=list(row))
        for ax in row:
            ax.set_title(f"{name}: {ax.get_title()}")
    fig.suptitle("training (solid) and validation (dashed) per epoch")
    return fig


def _append_markdown(path: Path, extra: dict) -> None:
    """Add the data, runs and timing sections to report.md."""
    from seqdoodle.fileio import write_text

    data, timing = extra["data"], extra["timing_seconds"]
    lines = ["", "## Data", ""]
    lines.append(f"- {data['kind']}: `{data['path']}`, scored on: {data['split']}")
    lines.append(f"- {len(data['classes'])} classes: {', '.join(data['classes'])}")
    counts = ", ".join(f"{k} {v}" for k, v in data.get("counts", {}).items())
    lines.append(f"- drawings: {counts}")
    if data.get("only_classes"):
        lines.append(f"- only these classes scored: {', '.join(data['only_classes'])}")
    lines += [
        "",
        "## Runs",
        "",
        "| model | run | arch | epochs | stopped by | training | params | saved | "
        "batch-1 p50 | batched |",
        "| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, info in extra["runs"].items():
        t = info.get("training") or {}
        lat = info.get("latency_ms") or {}
        seconds = t.get("seconds")
        lines.append(
            f"| {name} | `{info['path']}` | {info.get('arch') or '-'} | "
            f"{t.get('epochs_run', '-')} | {str(t.get('stop_reason', '-')).replace('_', ' ')} | "
            f"{'-' if seconds is None else f'{seconds:.0f} s'} | {info['n_params']:,} | "
            f"{info['saved_size_bytes'] / 2**20:.2f} MiB | "
            f"{lat.get('batch1_p50', float('nan')):.2f} ms | "
            f"{lat.get('batched_per_drawing', float('nan')):.3f} ms/drawing |"
        )
    lines += [
        "",
        "Latency: " + extra["latency"]["note"] + f", over {extra['latency']['drawings']} "
        "test drawings.",
        "",
        "## Timing",
        "",
        ", ".join(f"{k} {v:.1f} s" for k, v in timing.items()),
    ]
    if extra["notes"]:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in extra["notes"]]
    lines += [
        "",
        "Predictions behind every number and figure: "
        + ", ".join(f"`{f}`" for f in extra["predictions"].values())
        + " (`seqdoodle.evaluation.load_predictions`).",
    ]
    write_text(path, path.read_text("utf-8") + "\n".join(lines) + "\n")


def summary_table(report: Mapping) -> str:
    """The results of a report as a short text table plus the verdict line.

    Args:
        report: dict. As returned by `compare` (the contents of report.json).

    Returns:
        str: one header line, one line per model (top-1, top-3, MAP@3, macro-F1; the two
        compared models first, then the ensemble), the verdict line.

    Example:
    >>> r = {"models": {"cnn": {"top1": .9, "top3": .99, "map3": .94, "macro_f1": .9}},
    ...      "paired": {"verdict": "cnn wins"}}
    >>> print(summary_table(r))
    model       top-1   top-3   MAP@3  macro-F1
    cnn         90.0%   99.0%  0.9400    0.9000
    cnn wins
    """
    models, paired = report["models"], report["paired"]
    order = [paired.get("name_a"), paired.get("name_b"), "ensemble"]
    names = [n for n in order if n in models] + [n for n in models if n not in order]
    width = max([10, *map(len, names)])
    lines = [f"{'model':<{width}} {'top-1':>6} {'top-3':>7} {'MAP@3':>7} {'macro-F1':>9}"]
    for name in names:
        m = models[name]
        lines.append(
            f"{name:<{width}} {_pct(m.get('top1')):>6} {_pct(m.get('top3')):>7} "
            f"{_num(m.get('map3')):>7} {_num(m.get('macro_f1')):>9}"
        )
    lines.append(paired["verdict"])
    return "\n".join(lines)


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _num(x) -> str:
    return "-" if x is None else f"{x:.4f}"

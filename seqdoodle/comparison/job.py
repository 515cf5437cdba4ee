"""`compare`, the main job: models on the same drawings, paired tests, their ensembles.

Two modes:

- Train and compare (the default): prepare the source into `OUT/dataset` (or take a prepared
  `data` folder), train one run per model kind (the kinds `compared_by_default`, the bitmap CNN
  and the stroke model, unless `kinds` says otherwise) into `OUT/runs/<kind>` on the same
  training drawings, then score them and their ensemble on the test split. Every step resumes:
  rerunning the same call continues an interrupted training and then only re-evaluates.
- Evaluate only (`runs=(RUN_A, RUN_B, ...)`, two or more): score existing runs and their
  ensembles on a prepared dataset's test split (`data`), on every drawing of a class folder
  (`source`), or, when neither is given, on the test split of the dataset the runs were trained
  on. Nothing is trained. An ensemble folder (`seqdoodle.runs.ensemble`) given as a run is
  scored as one model.

The dataset is opened (and its files checked against their hashes) once; the test predictions
each run saved at the end of training are reused when they are of the same rows of the same
dataset. The ensemble pools the models' probabilities (`pool`: weighted geometric mean by default,
`seqdoodle.evaluation.ensembles`) with weights fitted on the validation split by log-loss when
there is one;
on a class folder there is none and the weights are equal.

With no arguments it is a few-minute demonstration on 2 CPU cores (`DEMO_PER_CLASS` synthetic
doodles per class, each kind trained for its `ModelKind.demo` sizes); an explicit `per_class`,
`epochs` or real source takes the full defaults. OUT holds `dataset/`, `runs/<kind>/`,
report.md/json, `predictions_<model>.npz` (test) and `predictions_val_<model>.npz` (what the
ensemble weights were fitted on), and the figures.

Extra report parts (e.g. early-recognition curves) plug in through `sections`: callables that
get the `ComparedRuns` and return a `seqdoodle.reports.Section`.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from seqdoodle.comparison.paired import (
    ScoredRuns,
    check_run_class,
    keep_classes,
    load_runs,
    runs_on_dataset,
    runs_on_folder,
    shared_dataset,
)
from seqdoodle.comparison.report import (
    ComparedRuns,  # noqa: F401 (re-exported: what section makers get)
    partial_curves,
    write_compare_report,
)
from seqdoodle.datasets.plan import SYNTHETIC
from seqdoodle.errors import DataFormatError
from seqdoodle.evaluation.ensembles import DEFAULT_POOL, check_pool
from seqdoodle.progress import Reporter
from seqdoodle.reports import summary_table  # noqa: F401 (re-exported for callers of compare)

# The no-argument demonstration: sized to finish in about 3 minutes on 2 CPU cores. Epochs and
# minutes of training per model are each kind's (`ModelKind.demo`); unloaded, the models finish
# their epochs well inside the time limits, which only bind when the CPU is shared.
DEMO_PER_CLASS = 1000


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
    cnn_arch: str | None = None,
    rnn_arch: str | None = None,
    time_limit: float | Mapping[str, float] | None = None,
    patience: int | Mapping[str, int] | None = None,
    kinds: Sequence[str] | None = None,
    archs: Mapping[str, str] | None = None,
    partial: int = 0,
    sections: Sequence[Callable] = (),
    strategy: str = "auto",
    precision: str = "float32",
    pool: str = DEFAULT_POOL,
    save_ensemble=None,
) -> dict:
    """Train (or take) models of several kinds and compare them on the same test drawings.

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
            `DEMO_PER_CLASS` for the synthetic doodles and 10000 otherwise. With `runs` and a
            folder: at most this many drawings per class. Defaults to None.
        runs: list of two or more paths, or None. Run folders to evaluate instead of training.
            Defaults to None.
        out: path. The report folder. Defaults to `"compare-report"`.
        epochs: int, dict (kind name -> epochs) or None. Epochs per model; None takes
            each kind's `demo.epochs` in the no-argument case and the `train` defaults otherwise.
            Defaults to None.
        seed: int. Seed of the split, the weights, the bootstrap and the figures' samples.
            Defaults to 0.
        progress: bool or None. False prints nothing; otherwise one line per step on stderr and
            training progress as `train` draws it. Defaults to None.
        cnn_arch: str or None. Deprecated: `archs={"cnn": ...}`.
        rnn_arch: str or None. Deprecated: `archs={"rnn": ...}`.
        time_limit: float, dict or None. Minutes of training per model; None takes
            each kind's `demo.time_limit` in the no-argument case and `train`'s default otherwise.
            Defaults to None.
        patience: int, dict or None. Early-stopping patience in epochs per model; None takes
            the kind's default. Defaults to None.
        kinds: list of str or None. Train mode: the model kinds to train (registered names,
            `seqdoodle.kinds.kind_names()`); None trains `seqdoodle.kinds.compared_kinds()`, the
            bitmap CNN and the stroke model.
        archs: dict or None. Architecture per kind trained (`{"timecnn": "baseline"}`); a kind
            not named takes its default. Defaults to None.
        partial: int. Early recognition: score every model and the ensemble on prefixes of this
            many test drawings (`seqdoodle.evaluation.early`; report.json `partial`, partial.png);
            0 for
            none. Defaults to 0.
        sections: list of callables `ComparedRuns -> reports.Section` adding report parts.
            Defaults to none.
        strategy: str. `train`'s strategy on this machine: `"auto"`, `"default"` or
            `"mirrored"` (multi-worker runs: `train` each model, then `compare(runs=...)`).
            Defaults to `"auto"`.
        precision: str. `train`'s precision. Defaults to `"float32"`.
        pool: str. How the ensembles pool the models' probabilities: `"log"` (weighted
            geometric mean, renormalised) or `"linear"` (weighted mean). Defaults to `"log"`.
        save_ensemble: path or None. Also write the ensemble of all compared runs, with the
            weights fitted here on the validation split, as an ensemble folder there
            (`seqdoodle.runs.ensemble`; `load_model` opens it). Needs a validation split (a
            prepared dataset, not a class folder). Defaults to None.

    Returns:
        dict: the contents of `out/report.json`: `models` (one entry per run, keyed by kind when
        the kinds differ, else by run name, plus `ensemble`: top1, top3, map3, macro_f1,
        per_class, confusion, ece, latency_ms, n_params, saved_size_bytes), `paired` (McNemar,
        bootstrap, per-class winners, verdict of the first two models), `pairwise` (every pair,
        Holm-adjusted when several), `ensembles` (all runs, the best subset, every subset, the
        `pool`, and the ensemble of all runs under each pool: `pools`), `ensemble`,
        `per_class_winners`, `data`, `runs`, `timing_seconds`, `predictions`, `notes`.

    Raises:
        MissingFileError: `data`, a source folder or a run folder does not exist.
        UnknownClassError: a class that the source or the runs do not have.
        DataFormatError: runs with different classes, a bitmap-only source for a kind that
            needs strokes, an unknown kind or arch, or other bad arguments.

    Example:
    >>> report = compare(out="/tmp/cmp")  # doctest: +SKIP
    >>> report["paired"]["verdict"]  # doctest: +SKIP
    """
    from seqdoodle.fileio import folder_lock

    started = time.monotonic()
    say = Reporter(progress)
    out = Path(out)
    if data is not None and source not in (None, SYNTHETIC):
        raise DataFormatError("give a prepared dataset (data) or a source, not both")
    if per_class is not None and int(per_class) < 1:
        raise DataFormatError(f"per_class must be at least 1, got {per_class}")
    if strategy == "multiworker":
        raise DataFormatError(
            "compare trains on one machine; train each model with --strategy multiworker, "
            "then compare --runs"
        )
    check_pool(pool)
    if int(partial) < 0:
        raise DataFormatError(f"partial must be 0 (none) or a number of drawings, got {partial}")
    sections = [*sections, *([partial_curves(int(partial))] if partial else [])]
    if (
        save_ensemble is not None
        and runs is not None
        and data is None
        and not _is_synthetic(source)
    ):
        raise DataFormatError(
            "save_ensemble: a class folder has no validation split to fit the weights on; "
            "give a prepared dataset (data)"
        )
    with folder_lock(out, "compare"):
        if runs is not None:
            job = _evaluation_job(runs, data, source, classes, per_class, say)
        else:
            names = _kinds_to_train(kinds)
            archs = _archs_to_train(archs, names, cnn_arch=cnn_arch, rnn_arch=rnn_arch)
            job = _training_job(
                data, source, classes, per_class, out, epochs, seed, progress,
                names, archs, time_limit, patience, say,
                {"strategy": strategy, "precision": precision},
            )  # fmt: skip
        if save_ensemble is not None:
            _check_ensemble_job(job)
        doc = write_compare_report(job, out, seed, say, started, sections, pool)
        if save_ensemble is not None:
            path = _write_ensemble(job, doc, pool, save_ensemble)
            say(f"ensemble of {', '.join(job.runs)} written to {path}")
        return doc


def _check_ensemble_job(job: ScoredRuns) -> None:
    """Refuse `save_ensemble` without validation predictions or with an ensemble among the runs."""
    from seqdoodle.runs.ensemble import Ensemble

    nested = [str(r.path) for r in job.runs.values() if isinstance(r, Ensemble)]
    if nested:
        raise DataFormatError(
            f"save_ensemble: {', '.join(nested)} is an ensemble; an ensemble's members are runs"
        )
    if job.y_val is None:
        raise DataFormatError(
            "save_ensemble: no validation drawings to fit the weights on; give a prepared "
            "dataset with a validation split"
        )


def _write_ensemble(job: ScoredRuns, doc: dict, pool: str, out) -> Path:
    """The ensemble folder of all compared runs, with the weights `compare` fitted."""
    from seqdoodle.fileio import sha256_file
    from seqdoodle.runs.ensemble import save_ensemble, validation_scores

    weights = {name: float(doc["ensemble"]["weights"][name]) for name in job.runs}
    ds_path = Path(job.data_info["path"])
    dataset = {
        "path": str(ds_path.resolve()),
        "manifest_sha256": sha256_file(ds_path / "manifest.json"),
        "split": "val",
    }
    scores = validation_scores(job.y_val, job.probs_val, weights, pool)
    return save_ensemble(
        out, job.runs, weights, pool, scores, dataset, fitted_by="seqdoodle compare"
    )


# ----------------------------------------------------------------------------- the two modes


def _archs_to_train(archs, names: Sequence[str], **deprecated) -> dict[str, str]:
    """`archs` checked against the registry and the kinds trained, with the deprecated keywords."""
    from seqdoodle.kinds import ARCH_KEYWORDS, check_archs

    archs = dict(archs or {})
    for keyword, arch in deprecated.items():
        if arch is not None:
            kind = ARCH_KEYWORDS[keyword]
            warnings.warn(
                f"compare({keyword}=...) is deprecated; use archs={{{kind!r}: {arch!r}}}",
                DeprecationWarning,
                stacklevel=3,
            )
            if kind in names:  # as before: ignored for a kind not trained
                archs.setdefault(kind, arch)
    archs = check_archs(archs)
    unknown = sorted(set(archs) - set(names))
    if unknown:
        raise DataFormatError(
            f"archs: {', '.join(unknown)} not trained (kinds: {', '.join(names)}); "
            "add it to kinds or leave out its arch"
        )
    return archs


def _kinds_to_train(kinds) -> list[str]:
    from seqdoodle.kinds import compared_kinds, get_kind

    names = [get_kind(k).name for k in (compared_kinds() if kinds is None else kinds)]
    if len(names) < 2 or len(set(names)) != len(names):
        raise DataFormatError(f"kinds: give two or more different model kinds, got {names}")
    return names


def _per_model(value, name: str, what: str, names: Sequence[str]):
    if isinstance(value, Mapping):
        unknown = set(value) - set(names)
        if unknown:
            raise DataFormatError(
                f"{what}: unknown model(s) {sorted(unknown)}; use {', '.join(names)}"
            )
        return value.get(name)
    return value


def _training_job(
    data, source, classes, per_class, out, epochs, seed, progress, kinds, archs, time_limit,
    patience, say, train_options=None,
) -> ScoredRuns:  # fmt: skip
    from seqdoodle.datasets.prepared import PreparedDataset
    from seqdoodle.kinds import get_kind
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
            per_class = DEMO_PER_CLASS if _is_synthetic(source) else 10000
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
    for name in kinds:
        get_kind(name).check_dataset(ds)
    counts = ds.counts()
    if counts["test"] == 0:
        raise DataFormatError(f"{ds.path}: the test split is empty; nothing to compare on")
    training, found = {}, {}
    for name in kinds:
        n_epochs = _per_model(epochs, name, "epochs", kinds)
        limit = _per_model(time_limit, name, "time_limit", kinds)
        if quick:
            demo = get_kind(name).demo
            n_epochs = n_epochs or demo.epochs
            limit = limit if limit is not None else demo.time_limit
        options = {} if limit is None else {"time_limit": limit}
        options.update(train_options or {})
        wait = _per_model(patience, name, "patience", kinds)
        if wait is not None:
            options["patience"] = int(wait)
        arch = archs.get(name) or get_kind(name).archs[0]
        run_dir = out / "runs" / name
        say(f"training {name} ({arch}) on {counts['train']} drawings into {run_dir}")
        run = train(
            name, ds, run_dir, arch=arch, epochs=n_epochs, seed=seed, progress=progress, **options
        )
        training[name] = run.summary
        timing[f"train_{name}"] = run.summary["seconds"]
        found[name] = run
    t0 = time.monotonic()
    columns = [np.arange(len(ds.classes))] * len(found)
    job = runs_on_dataset(found, columns, ds, say, mode="train")
    timing["predict"] = time.monotonic() - t0
    job.training, job.timing, job.notes = training, timing, notes + job.notes
    return job


def _evaluation_job(runs, data, source, classes, per_class, say) -> ScoredRuns:
    from seqdoodle.datasets.prepared import PreparedDataset

    found, columns = load_runs(runs)
    first = next(iter(found.values()))
    keep = None if classes is None else [check_run_class(c, first) for c in classes]
    t0 = time.monotonic()
    if data is None and _is_synthetic(source):
        data = shared_dataset(list(found.values()))
    if data is not None:
        job = runs_on_dataset(found, columns, PreparedDataset(data), say)
    else:
        job = runs_on_folder(found, columns, source, per_class, say)
    job.timing["predict"] = time.monotonic() - t0
    if keep is not None:
        keep_classes(job, [first.classes.index(c) for c in keep])
    return job


def _is_synthetic(source) -> bool:
    return source is None or (isinstance(source, str) and source == SYNTHETIC)


def _source_text(source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return ", ".join(str(s) for s in source)

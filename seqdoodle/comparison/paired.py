"""Several runs' predictions on the same drawings: what `compare` scores.

`runs_on_dataset` predicts the test (and validation) split of one prepared dataset with every run,
reusing the test predictions a run saved at the end of training (`test_predictions.npz`) when the
run was trained on that very dataset (same manifest hash, same test rows); `runs_on_folder` reads a
class folder once per run and keeps the drawings every run can read. Probabilities are put in the
first run's class order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqdoodle.errors import DataFormatError, MissingFileError, UnknownClassError


@dataclass
class ScoredRuns:
    """Test (and validation) predictions of several runs on the same drawings.

    Args:
        mode: str. `"train"` or `"evaluate"`.
        classes: list of str. Class names in column order (the first run's order).
        runs: dict of name to `Run`.
        y_test: `(n,) int64` test labels.
        probs_test: dict of name to `(n, k) float32`.
        ids_test: `(n,)` dataset rows or drawing sources.
        drawings_of: callable. Positions in the test arrays -> list of `Drawing`.
        data_info: dict. report.json's `data` entry.
        y_val: `(m,) int64` validation labels, or None.
        probs_val: dict of name to `(m, k)`, or None.
        training: dict of name to the `train()` summary (`Run.summary`; train mode).
        timing: dict of step to seconds.
        notes: list of str.
        reused: list of str. Runs whose saved test predictions were reused.
    """

    mode: str
    classes: list[str]
    runs: dict
    y_test: np.ndarray
    probs_test: dict
    ids_test: np.ndarray
    drawings_of: Callable
    data_info: dict
    y_val: np.ndarray | None = None
    probs_val: dict | None = None
    training: dict = field(default_factory=dict)
    timing: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    reused: list = field(default_factory=list)


def run_names(loaded: list) -> tuple[list[str], list]:
    """Names of runs for the report, and the runs in report order.

    Runs of different kinds are named by their kind, in the registry's order (cnn before rnn);
    otherwise by their folder names (`_a`, `_b`, ... added to repeated names). An ensemble
    folder given as a run is one model, named by its folder (`seqdoodle.runs.ensemble`).
    """
    from seqdoodle.runs.ensemble import name_runs

    return name_runs(loaded)


def load_runs(paths: Sequence) -> tuple[dict, list[np.ndarray]]:
    """Load two or more runs (or ensemble folders, each scored as one model) of the same classes.

    Returns:
        `(runs, columns)`: name -> `Run` in report order, and per run the columns that put its
        probabilities in the first run's class order.
    """
    from seqdoodle.runs.ensemble import load_model

    paths = [Path(p) for p in paths]
    if len(paths) < 2:
        raise DataFormatError(f"runs: give two or more run folders, got {len(paths)}")
    names, loaded = run_names([load_model(p) for p in paths])
    first = loaded[0]
    for run in loaded[1:]:
        if set(run.classes) != set(first.classes):
            raise DataFormatError(
                f"{run.path}: its {len(run.classes)} classes differ from the "
                f"{len(first.classes)} of {first.path}; compare needs runs trained on the same "
                "classes"
            )
    columns = [np.array([r.classes.index(c) for c in first.classes]) for r in loaded]
    return dict(zip(names, loaded)), columns


def check_run_class(name: str, run) -> str:
    """`name` checked against a run's classes (UnknownClassError naming the run)."""
    from seqdoodle.datasets.categories import check_class

    try:
        return check_class(name, run.classes)
    except UnknownClassError as e:
        raise UnknownClassError(f"{run.path}: {e}") from None


def shared_dataset(runs) -> Path:
    """The dataset every run was trained on, from their config.json."""
    paths = [(r.config.get("dataset") or {}).get("path") for r in runs]
    if not paths[0] or any(p != paths[0] for p in paths):
        raise MissingFileError(
            f"{', '.join(str(r.path) for r in runs)}: not trained on one recorded dataset; give "
            "the data to evaluate on (a prepared dataset or a class folder)"
        )
    if not Path(paths[0]).is_dir():
        raise MissingFileError(
            f"{paths[0]}: the runs' dataset is gone; give the data to evaluate on"
        )
    return Path(paths[0])


def saved_test_probs(run, ds_sha: str, rows: np.ndarray) -> np.ndarray | None:
    """The test probabilities a run saved after training, if they are of exactly these rows.

    They are used only when the run was trained on this dataset (its manifest hash) and the
    saved predictions (`Run.test_predictions`) hold the same rows and classes; otherwise None
    (predict instead).
    """
    if (run.config.get("dataset") or {}).get("manifest_sha256") != ds_sha:
        return None
    try:
        saved = run.test_predictions
    except (DataFormatError, MissingFileError):
        return None
    if saved is None or saved.ids is None or not np.array_equal(saved.ids, rows):
        return None
    return saved.probs if saved.classes == run.classes else None


def dataset_info(ds, split: str) -> dict:
    """report.json's `data` entry for a prepared dataset."""
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


def runs_on_dataset(found: dict, columns, ds, say=print, mode: str = "evaluate") -> ScoredRuns:
    """Predict the test and validation splits of an opened `PreparedDataset` with every run."""
    from seqdoodle.fileio import sha256_file

    ds_sha = sha256_file(ds.path / "manifest.json")  # once for all runs
    first = next(iter(found.values()))
    notes: list[str] = []
    for run in found.values():
        trained_on = (run.config.get("dataset") or {}).get("manifest_sha256")
        if trained_on and trained_on != ds_sha:
            notes.append(
                f"{ds.path}: not the dataset {run.path} was trained on (manifest differs); its "
                "splits may overlap the run's training drawings"
            )
    known = {c: i for i, c in enumerate(first.classes)}
    unknown = [c for c in ds.classes if c not in known]
    if len(unknown) == len(ds.classes):
        raise DataFormatError(
            f"{ds.path}: none of its classes is one of the runs' {len(first.classes)} classes"
        )
    if unknown:
        notes.append(f"{ds.path}: skipped {len(unknown)} classes the runs do not know")
    to_first = np.array([known.get(c, -1) for c in ds.classes], dtype=np.int64)
    say(f"predicting {ds.path} (test and validation splits) with {len(found)} runs")
    split_rows, probs, reused = {}, {}, []
    for split in ("test", "val"):
        rows = ds.indices(split)
        rows = rows[to_first[ds.labels[rows]] >= 0]
        if rows.size == 0:
            if split == "test":
                raise DataFormatError(f"{ds.path}: the test split has no drawings of the runs")
            break
        split_rows[split], probs[split] = rows, {}
        for (name, run), col in zip(found.items(), columns):
            p = saved_test_probs(run, ds_sha, rows) if split == "test" else None
            if p is None:
                p = run.predict_proba_dataset(ds, rows)
            else:
                reused.append(name)
            probs[split][name] = p[:, col]
    rows = split_rows["test"]
    val_rows = split_rows.get("val")
    return ScoredRuns(
        mode=mode,
        classes=list(first.classes),
        runs=found,
        y_test=to_first[ds.labels[rows]],
        probs_test=probs["test"],
        ids_test=rows,
        drawings_of=lambda pos: list(ds.drawings(rows[np.asarray(pos, dtype=np.int64)])),
        data_info=dataset_info(ds, "test"),
        y_val=None if val_rows is None else to_first[ds.labels[val_rows]],
        probs_val=probs.get("val"),
        notes=notes,
        reused=reused,
    )


def runs_on_folder(found: dict, columns, source, per_class, say=print) -> ScoredRuns:
    """Predict every drawing of a class folder that all the runs can read."""
    from seqdoodle.runs.predict import folder_drawings

    folders = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    if len(folders) != 1:
        raise DataFormatError("with runs, give one class folder as the source")
    folder = Path(folders[0])
    say(f"reading {folder} and predicting it with {len(found)} runs")
    read, notes = [], []
    for run in found.values():
        drawings, y, run_notes = folder_drawings(run, folder, per_class)
        read.append((drawings, y))
        notes += [n for n in run_notes if n not in notes]
    shared = set.intersection(*({d.source for d in drawings} for drawings, _ in read))
    drawings_a, y_a = read[0]
    both = [i for i, d in enumerate(drawings_a) if d.source in shared]
    if not both:
        raise DataFormatError(f"{folder}: no drawing that every run can read")
    if len(both) < len(drawings_a):
        notes.append(f"{folder}: {len(drawings_a) - len(both)} drawings not every run can read")
    drawings = [drawings_a[i] for i in both]
    y = y_a[both].astype(np.int64)
    probs = {
        name: run.predict_proba(drawings)[:, col]
        for (name, run), col in zip(found.items(), columns)
    }
    classes = list(next(iter(found.values())).classes)
    counts = np.bincount(y, minlength=len(classes))
    return ScoredRuns(
        mode="evaluate",
        classes=classes,
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
            "classes": classes,
            "counts": {"test": int(len(y))},
            "counts_per_class": {"test": {c: int(n) for c, n in zip(classes, counts)}},
        },
        notes=notes,
    )


def keep_classes(job: ScoredRuns, keep: list[int]) -> None:
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

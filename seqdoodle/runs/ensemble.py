"""Ensembles as models: runs pooled with weights fitted on a validation split, in a folder.

An ensemble folder (its files are named in `seqdoodle.runs.layout.EnsembleLayout`) holds
`ensemble.json`: each member run (its path, relative to the ensemble folder and absolute, and the
sha256 of its `model.keras`), its kind and weight, the pool (`"log"` or `"linear"`,
`seqdoodle.evaluation.ensembles`), the shared classes, the validation scores the weights were
fitted on (top-1 and log-loss of every member and of the ensemble), the dataset and the seqdoodle
version. With `copy=True` the members' inference files are copied under `members/`, so the folder
stands alone.

`fit_ensemble` fits the weights exactly as `compare` does (same predictions, same names, same
fit), so an `Ensemble` scores what `compare`'s ensemble row scores on the same drawings.
`load_model` opens a run folder as a `Run` and an ensemble folder as an `Ensemble`; both have
`classes`, `predict_proba`, `predict_proba_dataset`, `kind`, `path`, `config`, `n_params` and
`saved_size_bytes`, so `predict`, `evaluate`, `compare --runs`, `serve` and `export` take either.

Decision: a member whose `model.keras` changed after the fit (another sha256) is refused: its
weight was fitted for the old model. Refit with `seqdoodle ensemble`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from seqdoodle.errors import DataFormatError, IntegrityError, MissingFileError
from seqdoodle.evaluation.ensembles import check_pool, pool_probs
from seqdoodle.runs.ensemble_folder import (
    ENSEMBLE_KIND,
    check_manifest,
    name_runs,
    save_ensemble,
    validation_scores,
)
from seqdoodle.runs.folder import Run, load_run
from seqdoodle.runs.layout import EnsembleLayout, RunLayout, _read_object

__all__ = ["ENSEMBLE_KIND", "Ensemble", "fit_ensemble", "load_ensemble", "load_model",
           "member_runs", "members_of", "name_runs", "save_ensemble"]  # fmt: skip


class Ensemble:
    """Runs pooled with fixed weights: the same interface as a `Run` where it matters.

    Args:
        path: Path. The ensemble folder.
        config: dict. Contents of `ensemble.json`.
        members: dict of member name to loaded `Run`, in the manifest's order.

    Attributes:
        path: Path. layout: `EnsembleLayout`. kind: `"ensemble"`. arch: None.
        classes: list of str (the first member's order). members: dict of name to `Run`.
        weights: dict of name to float (sum 1). pool: str. config: dict (`ensemble.json`).
        member_sha256: dict of name to the sha256 of its `model.keras` at the fit.

    Example:
    >>> ens = load_model("ens")  # doctest: +SKIP
    >>> ens.weights  # doctest: +SKIP
    {'cnn': 0.55, 'rnn': 0.45}
    >>> ens.predict_proba(drawings).shape  # doctest: +SKIP
    (10, 26)
    """

    kind = ENSEMBLE_KIND
    arch = None
    history = summary = metrics = test_predictions = None  # nothing was trained here

    def __init__(self, path: Path, config: dict, members: Mapping[str, Run]):
        self.path = Path(path)
        self.layout = EnsembleLayout(self.path)
        self.config = config
        self.members: dict[str, Run] = dict(members)
        self.weights: dict[str, float] = {m["name"]: float(m["weight"]) for m in config["members"]}
        self.pool: str = config["pool"]
        self.member_sha256: dict[str, str] = {
            m["name"]: m["model_sha256"] for m in config["members"]
        }
        self.classes: list[str] = list(config["classes"])
        self._columns = {
            name: np.array([run.classes.index(c) for c in self.classes], np.int64)
            for name, run in self.members.items()
        }

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={w:.3f}" for n, w in self.weights.items())
        return f"Ensemble({str(self.path)!r}, {self.pool} pool, {shown})"

    @property
    def name(self) -> str:
        """The folder's name."""
        return self.path.resolve().name

    @property
    def input_spec(self) -> dict:
        """Each member's input (`Run.input_spec`), by member name."""
        return {name: run.input_spec for name, run in self.members.items()}

    @property
    def validation(self) -> dict:
        """The validation scores the weights were fitted on (`ensemble.json`)."""
        return self.config.get("validation") or {}

    @property
    def n_params(self) -> int:
        """Number of weights of all members."""
        return sum(run.n_params for run in self.members.values())

    @property
    def saved_size_bytes(self) -> int:
        """Size of the members' `model.keras` files in bytes."""
        return sum(run.saved_size_bytes for run in self.members.values())

    def combine(self, probs_by_member: Mapping[str, np.ndarray]) -> np.ndarray:
        """Pool the members' probabilities with the ensemble's weights.

        Args:
            probs_by_member: dict of member name to `(n, len(member.classes))` probabilities,
                columns in that member's own class order.

        Returns:
            `(n, len(classes)) float64`, columns in `classes` order; rows sum to 1.
        """
        missing = [n for n in self.members if n not in probs_by_member]
        if missing:
            raise DataFormatError(f"{self.path}: no probabilities of member(s) {missing}")
        names = list(self.members)
        parts = [np.asarray(probs_by_member[n])[:, self._columns[n]] for n in names]
        return pool_probs(parts, [self.weights[n] for n in names], self.pool)

    def predict_proba(
        self, drawings: Sequence, batch_size: int = 256, progress: Callable | None = None
    ) -> np.ndarray:
        """Class probabilities for `Drawing` records: every member's, pooled.

        Args: as `Run.predict_proba` (`progress` counts each drawing once over all members).

        Returns:
            `(n, len(classes)) float64` probabilities, rows in input order.
        """
        drawings = list(drawings)
        tick = _share(progress, len(self.members))
        return self.combine(
            {
                name: run.predict_proba(drawings, batch_size=batch_size, progress=tick)
                for name, run in self.members.items()
            }
        )

    def predict_proba_dataset(
        self, dataset, indices=None, batch_size: int = 256, progress: Callable | None = None
    ) -> np.ndarray:
        """Class probabilities for rows of a prepared dataset: every member's, pooled.

        Args: as `Run.predict_proba_dataset`.

        Returns:
            `(len(indices), len(classes)) float64` probabilities, rows in the order of `indices`.
        """
        tick = _share(progress, len(self.members))
        return self.combine(
            {
                name: run.predict_proba_dataset(dataset, indices, batch_size, tick)
                for name, run in self.members.items()
            }
        )


def _share(progress: Callable | None, n: int) -> Callable | None:
    if progress is None:
        return None
    return lambda k: progress(k / n)


def members_of(model) -> list[Run]:
    """The runs behind a model: an `Ensemble`'s members, or `[run]`."""
    return list(model.members.values()) if isinstance(model, Ensemble) else [model]


# ----------------------------------------------------------------------------- loading


def load_model(path: str | os.PathLike) -> Run | Ensemble:
    """Open a run folder as a `Run` or an ensemble folder as an `Ensemble`.

    Args:
        path: str or PathLike. A run folder (`config.json`) or an ensemble folder
            (`ensemble.json`).

    Returns:
        `Run` or `Ensemble`.

    Raises:
        MissingFileError: no such folder, or a folder that is neither (one line).
        DataFormatError, IntegrityError: as `load_run` and `load_ensemble`.

    Example:
    >>> model = load_model("ens")  # doctest: +SKIP
    >>> model.kind, len(model.members)  # doctest: +SKIP
    ('ensemble', 3)
    """
    path = Path(path)
    if not path.is_dir():
        raise MissingFileError(f"{path}: no such run folder (or ensemble folder)")
    if EnsembleLayout(path).manifest.is_file():
        return load_ensemble(path)
    if RunLayout(path).config.is_file():
        return load_run(path)
    raise MissingFileError(
        f"{RunLayout(path).config}: missing; not a complete run folder (nor an ensemble folder: "
        f"{EnsembleLayout.MANIFEST} missing)"
    )


def load_ensemble(path: str | os.PathLike, open_run: Callable | None = None) -> Ensemble:
    """Open an ensemble folder written by `fit_ensemble` (or `compare --save-ensemble`).

    Every member is opened after the sha256 of its `model.keras` is checked against the one
    recorded at the fit (`Ensemble.member_sha256` holds them, checked).

    Args:
        path: str or PathLike. The ensemble folder.
        open_run: callable or None. Opens a member's run folder as a `Run`; None is
            `load_run` (a server may pass one that defers loading Keras). Defaults to None.

    Raises:
        MissingFileError: no `ensemble.json`, or a member folder that is gone.
        IntegrityError: a member's `model.keras` changed since the fit.
        DataFormatError: a bad `ensemble.json`, or a member whose classes are not the
            ensemble's.

    Example:
    >>> load_ensemble("ens").pool  # doctest: +SKIP
    'log'
    """
    from seqdoodle.fileio import sha256_file

    path = Path(path)
    manifest = EnsembleLayout(path).manifest
    config = _read_object(manifest)
    if config is None:
        raise MissingFileError(f"{manifest}: missing; not an ensemble folder")
    check_manifest(config, manifest)
    members = {}
    for entry in config["members"]:
        name = entry["name"]
        folder = _member_folder(path, entry)
        if folder is None:
            raise MissingFileError(
                f"{manifest}: member {name!r} ({entry['path']}) is missing; "
                "restore it or refit the ensemble"
            )
        model_file = RunLayout(folder).model
        if not model_file.is_file():
            raise MissingFileError(f"{manifest}: member {name!r}: {model_file} is missing")
        if sha256_file(model_file) != entry["model_sha256"]:
            raise IntegrityError(
                f"{manifest}: member {name!r} ({model_file}) changed since the ensemble was "
                "fitted (sha256 differs); refit it with `seqdoodle ensemble`"
            )
        run = (open_run or load_run)(folder)
        if sorted(run.classes) != sorted(config["classes"]):
            raise DataFormatError(
                f"{manifest}: member {name!r} ({folder}) has {len(run.classes)} classes that "
                f"differ from the ensemble's {len(config['classes'])}"
            )
        members[name] = run
    return Ensemble(path, config, members)


def _member_folder(ens: Path, entry: dict) -> Path | None:
    """Where a member is now: its path relative to the ensemble folder, else the absolute one."""
    candidates = [ens / entry["path"]]
    if isinstance(entry.get("abs_path"), str):
        candidates.append(Path(entry["abs_path"]))
    for candidate in candidates:
        if RunLayout(candidate).config.is_file():
            return candidate
    return None


# ----------------------------------------------------------------------------- fitting, saving


def fit_ensemble(
    runs: Sequence,
    data,
    out: str | os.PathLike,
    pool: str = "log",
    copy: bool = False,
    progress: bool | None = None,
) -> Ensemble:
    """Fit ensemble weights on a prepared dataset's validation split and write the folder.

    The runs predict the validation drawings of the classes they know; the weights minimise the
    pooled validation log-loss (`seqdoodle.evaluation.ensembles.fit_ensemble_weights`), with the
    members named and ordered as `compare` names them, so the weights are `compare`'s.

    Args:
        runs: list of two or more run folders (or `Run`s), trained on the same classes.
        data: path or `PreparedDataset`. The dataset whose validation split fits the weights
            (usually the one the runs were trained on).
        out: str or PathLike. The ensemble folder to write (created; `ensemble.json` replaced).
        pool: str. `"log"` (weighted geometric mean, renormalised) or `"linear"` (weighted
            mean). Defaults to `"log"`.
        copy: bool. Copy the members' inference files into `out/members/` instead of
            referring to their folders. Defaults to False.
        progress: bool or None. False prints nothing; otherwise a line per step on stderr.
            Defaults to None.

    Returns:
        The `Ensemble` of `out` (its members the runs given).

    Raises:
        MissingFileError: a run or the dataset is missing.
        DataFormatError: fewer than two runs, an ensemble given as a member, runs with other
            classes, an empty validation split, or `out` is a run folder.

    Example:
    >>> ens = fit_ensemble(["runs/cnn", "runs/rnn"], "data/ds", "ens")  # doctest: +SKIP
    >>> round(sum(ens.weights.values()), 6)  # doctest: +SKIP
    1.0
    """
    from seqdoodle.datasets.prepared import PreparedDataset
    from seqdoodle.evaluation.ensembles import fit_ensemble_weights
    from seqdoodle.fileio import sha256_file
    from seqdoodle.progress import Reporter

    check_pool(pool)
    say = Reporter(progress)
    found = member_runs(runs)
    ds = data if isinstance(data, PreparedDataset) else PreparedDataset(data)
    first = next(iter(found.values()))
    known = {c: i for i, c in enumerate(first.classes)}
    to_first = np.array([known.get(c, -1) for c in ds.classes], dtype=np.int64)
    rows = ds.indices("val")
    rows = rows[to_first[ds.labels[rows]] >= 0]
    if rows.size == 0:
        raise DataFormatError(
            f"{ds.path}: the validation split has no drawings of the runs' classes; the weights "
            "are fitted on it"
        )
    y_val = to_first[ds.labels[rows]]
    say(f"predicting {rows.size} validation drawings of {ds.path} with {len(found)} runs")
    probs = {}
    for name, run in found.items():
        columns = np.array([run.classes.index(c) for c in first.classes])
        probs[name] = run.predict_proba_dataset(ds, rows)[:, columns]
    weights = fit_ensemble_weights(y_val, probs, pool)
    dataset = {
        "path": str(Path(ds.path).resolve()),
        "manifest_sha256": sha256_file(Path(ds.path) / "manifest.json"),
        "split": "val",
    }
    out = save_ensemble(
        out, found, weights, pool, validation_scores(y_val, probs, weights, pool), dataset,
        copy=copy, fitted_by="seqdoodle ensemble",
    )  # fmt: skip
    layout = EnsembleLayout(out)
    if copy:  # the copies hold the same models (same sha256): no need to load them again
        found = {n: Run(layout.member(n), r.config, r.model) for n, r in found.items()}
    return Ensemble(out, _read_object(layout.manifest), found)


def member_runs(runs: Sequence) -> dict[str, Run]:
    """Two or more runs (folders or `Run`s) with the same classes, named as `compare` names them.

    Raises:
        DataFormatError: fewer than two, an ensemble among them, or different classes.
    """
    runs = list(runs)
    if len(runs) < 2:
        raise DataFormatError(f"an ensemble needs two or more runs, got {len(runs)}")
    loaded = []
    for run in runs:
        model = run if isinstance(run, (Run, Ensemble)) else load_model(run)
        if isinstance(model, Ensemble):
            raise DataFormatError(
                f"{model.path}: an ensemble folder; an ensemble's members are run folders"
            )
        loaded.append(model)
    names, loaded = name_runs(loaded)
    first = loaded[0]
    for run in loaded[1:]:
        if sorted(run.classes) != sorted(first.classes):
            raise DataFormatError(
                f"{run.path}: its {len(run.classes)} classes differ from the "
                f"{len(first.classes)} of {first.path}; an ensemble needs runs trained on the "
                "same classes"
            )
    return dict(zip(names, loaded))

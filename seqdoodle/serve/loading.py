"""Open what `serve` serves: run folders, or one ensemble folder, without Keras where it can.

`open_served(paths, lean=True)` reads each run's `config.json` and builds a `Run` whose Keras
model is loaded only on first use (`Run.model`), so a run served from a cached ONNX export
(`seqdoodle.serve.backends`) never imports TensorFlow. An ensemble folder (`ensemble.json`) is
opened the same way: its members are checked against the sha256 recorded at the fit (as
`seqdoodle.runs.ensemble.load_ensemble` does) and served as the models, pooled with the fitted
weights. With `lean=False` (the Keras backend) folders are opened by `load_model`, with all its
checks.
"""

from __future__ import annotations

from pathlib import Path

from seqdoodle.errors import DataFormatError, MissingFileError


def open_run(path, lean: bool = True):
    """A `Run` of a run folder; with `lean`, its model is loaded only when first used.

    Raises:
        MissingFileError: no such folder, or no `model.keras` or `config.json`.
        DataFormatError: a bad `config.json`.
    """
    from seqdoodle.runs.folder import Run, _read_config, load_run
    from seqdoodle.runs.layout import RunLayout

    if not lean:
        return load_run(path)
    path = Path(path)
    if not path.is_dir():
        raise MissingFileError(f"{path}: no such run folder")
    layout = RunLayout(path)
    for file in (layout.model, layout.config):
        if not file.is_file():
            raise MissingFileError(f"{file}: missing; not a complete run folder")
    return Run(path, _read_config(layout.config))


def open_ensemble(path, lean: bool = True):
    """An `Ensemble` of an ensemble folder, its members opened by `open_run`.

    Raises:
        MissingFileError: no `ensemble.json`, or a member that is gone.
        IntegrityError: a member's `model.keras` changed since the fit.
        DataFormatError: a bad `ensemble.json`, or a member with other classes.
    """
    from seqdoodle.runs.ensemble import load_ensemble

    if not lean:
        return load_ensemble(path)
    ensemble = load_ensemble(path, open_run=open_run)  # checks each member's sha256 first
    for name, run in ensemble.members.items():
        run._serve_sha256 = ensemble.member_sha256[name]  # the ONNX cache key, already computed
    return ensemble


def is_ensemble_folder(path) -> bool:
    """Whether `path` holds an `ensemble.json`."""
    from seqdoodle.runs.layout import EnsembleLayout

    return EnsembleLayout(path).manifest.is_file()


def open_served(paths, lean: bool = True):
    """`(runs, names, ensemble or None)` to serve from run folders or one ensemble folder.

    Args:
        paths: list of str or PathLike. Run folders, or a single ensemble folder.
        lean: bool. Open runs without loading Keras models (`open_run`). Defaults to True.

    Raises:
        DataFormatError: an ensemble folder among other folders.
        MissingFileError, IntegrityError: as `open_run` and `open_ensemble`.

    Example:
    >>> runs, names, ensemble = open_served(["ens"])  # doctest: +SKIP
    >>> names, ensemble.pool  # doctest: +SKIP
    (['cnn', 'rnn', 'timecnn'], 'log')
    """

    paths = list(paths)
    ensembles = [p for p in paths if is_ensemble_folder(p)]
    if ensembles and len(paths) > 1:
        raise DataFormatError(
            f"{ensembles[0]}: an ensemble folder is served alone (its members are the models); "
            "give it without other folders"
        )
    if ensembles:
        ensemble = open_ensemble(ensembles[0], lean)
        return list(ensemble.members.values()), list(ensemble.members), ensemble
    return [open_run(p, lean) for p in paths], run_names(paths), None


def run_names(paths) -> list[str]:
    """A name per run: its folder name, made unique with `-2`, `-3`; `ensemble` is reserved."""
    names: list[str] = []
    for path in paths:
        base = Path(path).resolve().name or "run"
        name, i = base, 1
        while name in names or name == "ensemble":
            i += 1
            name = f"{base}-{i}"
        names.append(name)
    return names

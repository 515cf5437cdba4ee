"""Evaluate a model or a saved run: predict, then score with `evaluate_predictions`.

`evaluate` predicts with any model first, `measure_latency` times it, and `evaluate_run` scores a
saved run or ensemble on a prepared split or a class folder (the library behind
`seqdoodle evaluate`, exported as `seqdoodle.evaluate`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.evaluation.predictions import save_predictions
from seqdoodle.evaluation.report import EvaluationReport, evaluate_predictions

# ----------------------------------------------------------------------------- the report


# ----------------------------------------------------------------------------- latency


def measure_latency(
    predict_fn: Callable,
    inputs,
    batch_size: int = 256,
    repeats: int = 50,
    warmup: int = 3,
) -> dict[str, float]:
    """Time a predict function: single-drawing latency and batched cost per drawing.

    `predict_fn` gets slices of `inputs` (`inputs[i:i + m]`), so it can include preprocessing
    (rendering, stroke encoding) as well as the model.

    Args:
        predict_fn: callable. Maps a slice of `inputs` to predictions.
        inputs: sliceable sequence (list of drawings, numpy array) with at least one item.
        batch_size: int. Batch size of the throughput run. Defaults to 256.
        repeats: int. Number of timed single-drawing calls. Defaults to 50.
        warmup: int. Untimed calls before timing (builds graphs, fills caches). Defaults to 3.

    Returns:
        dict with `batch1_p50`, `batch1_p95` (ms per call of one drawing) and
        `batched_per_drawing` (ms per drawing over one pass through `inputs` in batches).

    Example:
    >>> lat = measure_latency(lambda x: x, list(range(10)), batch_size=4, repeats=5)
    >>> sorted(lat)
    ['batch1_p50', 'batch1_p95', 'batched_per_drawing']
    """
    n = len(inputs)
    if n == 0:
        raise DataFormatError("measure_latency: inputs are empty")
    if batch_size < 1 or repeats < 1 or warmup < 0:
        raise DataFormatError("measure_latency: batch_size and repeats must be >= 1, warmup >= 0")
    for i in range(warmup):
        predict_fn(inputs[i % n : i % n + 1])
    if warmup:
        predict_fn(inputs[:batch_size])
    single = np.empty(repeats)
    for r in range(repeats):
        i = r % n
        start = time.perf_counter()
        predict_fn(inputs[i : i + 1])
        single[r] = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(0, n, batch_size):
        predict_fn(inputs[i : i + batch_size])
    batched = (time.perf_counter() - start) / n
    return {
        "batch1_p50": float(np.percentile(single, 50) * 1e3),
        "batch1_p95": float(np.percentile(single, 95) * 1e3),
        "batched_per_drawing": float(batched * 1e3),
    }


def evaluate(
    model,
    inputs,
    y_true,
    classes: Sequence[str],
    name: str = "model",
    kind: str | None = None,
    latency: bool = True,
    batch_size: int = 256,
    n_params: int | None = None,
    saved_size_bytes: int | None = None,
) -> EvaluationReport:
    """Predict with any model and score it: the harness entry point for one model.

    Args:
        model: an object with `predict_proba(inputs) -> (n, k)` (e.g. a loaded run) or a
            callable with the same contract.
        inputs: sliceable sequence of `n` drawings (whatever `model` accepts).
        y_true: array-like `(n,)` of ints. True class indices.
        classes: list of `k` str. Class names in column order.
        name: str. Model name. Defaults to `"model"`.
        kind: str or None. Model kind. Defaults to None.
        latency: bool. Whether to measure latency on `inputs`. Defaults to True.
        batch_size: int. Batch size of prediction and of the throughput timing. Defaults to 256.
        n_params: int or None. Weight count; when None, taken from `model.n_params` or
            `model.model.count_params()` where the model has them. Defaults to None.
        saved_size_bytes: int or None. Size of the saved model file; when None, taken from
            `model.saved_size_bytes` where present. Defaults to None.

    Returns:
        `EvaluationReport`.

    Example:
    >>> table = np.eye(2, dtype=np.float32)
    >>> evaluate(lambda x: table[np.asarray(x)], [0, 1], [0, 1], ["a", "b"], latency=False).top1
    1.0
    """
    predict = getattr(model, "predict_proba", model)
    if not callable(predict):
        raise DataFormatError(f"{name}: model has no predict_proba and is not callable")
    parts = [
        np.asarray(predict(inputs[i : i + batch_size])) for i in range(0, len(inputs), batch_size)
    ]
    probs = np.concatenate(parts) if parts else np.zeros((0, len(classes)))
    report = evaluate_predictions(y_true, probs, classes, name=name, kind=kind)
    if latency and len(inputs):
        report.latency_ms = measure_latency(predict, inputs, batch_size=batch_size)
    if n_params is None:
        n_params = getattr(model, "n_params", None)
        counter = getattr(getattr(model, "model", None), "count_params", None)
        if n_params is None and callable(counter):
            n_params = counter()
    if saved_size_bytes is None:
        saved_size_bytes = getattr(model, "saved_size_bytes", None)
    report.n_params = None if n_params is None else int(n_params)
    report.saved_size_bytes = None if saved_size_bytes is None else int(saved_size_bytes)
    return report


# ----------------------------------------------------------------------------- a saved run


@dataclass
class RunEvaluation:
    """A saved run scored on labelled drawings: its report and what it was scored on.

    Args:
        report: `EvaluationReport` (with the run's parameter count and saved size).
        run: the `Run`.
        data: str. The prepared dataset or class folder scored.
        split: str or None. The dataset's split (None for a folder).
        where: str. `data` and split for text, e.g. `"ds (test split)"`.
        y_true: `(n,) int64` labels in the run's class order.
        probs: `(n, k) float32` probabilities.
        ids: `(n,)` dataset rows or drawing sources (`"cat.ndjson:3"`).
        drawings: callable. Positions in the arrays -> list of `Drawing` (for extra sections).
        notes: list of str. Skipped classes, files and lines.
        extra: dict. report.json entries added by sections (`{key: data}`).
    """

    report: EvaluationReport
    run: object
    data: str
    split: str | None
    where: str
    y_true: np.ndarray
    probs: np.ndarray
    ids: np.ndarray
    drawings: Callable
    notes: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """The report plus `run`, `data`, `split`, `notes` and the sections' entries."""
        out = self.report.to_json()
        out.update(run=str(self.run.path), data=self.data, split=self.split, notes=self.notes)
        out.update(self.extra)
        return out


def evaluate_run(
    run,
    data=None,
    split: str = "test",
    source=None,
    per_class: int | None = None,
    batch_size: int = 256,
    progress: bool | None = None,
    json_path=None,
    plots=None,
    predictions=None,
    partial: int = 0,
    sections: Sequence[Callable] = (),
) -> RunEvaluation:
    """Score a saved run (or ensemble) on a prepared split (`data`) or a class folder.

    Classes the data holds but the run does not know are skipped with a note; it is an error
    only when no class is shared.

    Args:
        run: a `Run` or an `Ensemble` (its members' probabilities pooled with the fitted
            weights), or the folder of either.
        data: path, `PreparedDataset` or None. A prepared dataset. Defaults to None.
        split: str. Split of `data`: `"train"`, `"val"` or `"test"`. Defaults to `"test"`.
        source: path or None. A folder of `<class>.ndjson` / `<class>.npy` files.
            Give exactly one of `data` and `source`. Defaults to None.
        per_class: int or None. With `source`: the first N drawings per class.
            Defaults to None (all).
        batch_size: int. Drawings per model call. Defaults to 256.
        progress: bool or None. Progress bar on stderr; None draws it on a terminal.
            Defaults to None.
        json_path: path or None. Write `RunEvaluation.to_json()` there. Defaults to None.
        plots: path or None. Folder for `confusion_matrix.png` and the sections' figures.
            Defaults to None.
        predictions: path or None. Save labels and probabilities to this `.npz`.
            Defaults to None.
        partial: int. Early recognition: score prefixes of a seeded sample of this many
            drawings (`seqdoodle.evaluation.early`; JSON entry `partial`, `plots/partial.png`); 0
            for
            none. Defaults to 0.
        sections: list of callables `RunEvaluation -> reports.Section`; each adds an entry to
            the JSON and figures to `plots`. Defaults to none.

    Returns:
        `RunEvaluation`.

    Raises:
        MissingFileError: the run, dataset or folder does not exist.
        DataFormatError: both or neither of `data` and `source`, an unknown split, no shared
            class, or a stroke run on bitmaps only.

    Example:
    >>> result = evaluate_run("runs/cnn", data="ds")  # doctest: +SKIP
    >>> result.report.top1  # doctest: +SKIP
    0.91
    """
    from seqdoodle.fileio import write_json
    from seqdoodle.progress import progress_bars
    from seqdoodle.runs.ensemble import Ensemble, load_model
    from seqdoodle.runs.folder import Run
    from seqdoodle.runs.predict import dataset_predictions, folder_drawings

    if (data is None) == (source is None):
        raise DataFormatError("give exactly one of data (a prepared dataset) or source (a folder)")
    if per_class is not None and source is None:
        raise DataFormatError("per_class goes with source (a class folder)")
    if int(partial) < 0:
        raise DataFormatError(f"partial must be 0 (none) or a number of drawings, got {partial}")
    sections = [*sections, *([_partial_curves(int(partial))] if partial else [])]
    run = run if isinstance(run, (Run, Ensemble)) else load_model(run)
    with progress_bars(progress) as bars:
        if data is not None:
            from seqdoodle.datasets.prepared import PreparedDataset

            ds = data if isinstance(data, PreparedDataset) else PreparedDataset(data)
            task = bars.add_task(f"evaluate {split}", total=len(ds.indices(split)))
            result = dataset_predictions(
                run, ds, split, batch_size=batch_size, progress=lambda k: bars.advance(task, k)
            )
            y_true, probs, ids, notes = result.y_true, result.probs, result.ids, result.notes
            rows = np.asarray(ids, dtype=np.int64)
            where, data_text = f"{ds.path} ({split} split)", str(ds.path)

            def drawings(pos):
                return list(ds.drawings(rows[np.asarray(pos, dtype=np.int64)]))

        else:
            found, y_true, notes = folder_drawings(run, source, per_class)
            task = bars.add_task("evaluate", total=len(found))
            probs = run.predict_proba(
                found, batch_size=batch_size, progress=lambda k: bars.advance(task, k)
            )
            ids = np.asarray([d.source or "" for d in found], dtype=np.str_)
            where = data_text = str(source)
            split = None

            def drawings(pos):
                return [found[int(i)] for i in pos]

    report = evaluate_predictions(y_true, probs, run.classes, name=run.path.name, kind=run.kind)
    report.n_params = run.n_params
    report.saved_size_bytes = run.saved_size_bytes
    if predictions is not None:
        Path(predictions).parent.mkdir(parents=True, exist_ok=True)
        save_predictions(predictions, y_true, probs, run.classes, ids=ids)
        report.predictions = {"path": str(predictions)}
    result = RunEvaluation(
        report, run, data_text, split, where, y_true, probs, ids, drawings, list(notes)
    )
    figures = {}
    for make in sections:
        section = make(result)
        result.extra[section.key] = section.data
        figures.update(section.figures)
    if plots is not None:
        from seqdoodle.plots.evaluation import plot_confusion_matrix
        from seqdoodle.reports import save_figures

        plots = Path(plots)
        plots.mkdir(parents=True, exist_ok=True)
        figures["confusion_matrix.png"] = plot_confusion_matrix(
            report.confusion, run.classes, title=f"{run.path.name} on {where}"
        )
        save_figures(plots, figures)
    if json_path is not None:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        write_json(json_path, result.to_json())
    return result


def _partial_curves(limit: int) -> Callable:
    """A section maker: early-recognition curves on a sample of `limit` scored drawings."""

    def make(result: RunEvaluation):
        from seqdoodle.evaluation.early import evaluate_partial, partial_section

        n = min(limit, len(result.y_true))
        shown = np.sort(np.random.default_rng(13).choice(len(result.y_true), n, replace=False))
        labels = [result.run.classes[i] for i in result.y_true[shown]]
        runs = {result.report.name: result.run}
        return partial_section(evaluate_partial(runs, result.drawings(shown), labels))

    return make

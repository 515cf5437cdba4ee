"""The report of the compare job: scores, latencies, figures, sections, report.md and report.json.

`write_compare_report` takes the runs' predictions on the same drawings (`ScoredRuns`), scores
every run and the ensembles (`seqdoodle.comparison.scoring`), times them, saves the predictions
and writes the report. Extra report parts plug in as section makers: callables that get the
`ComparedRuns` and return a `seqdoodle.reports.Section` (`partial_curves` is one).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqdoodle.comparison.paired import ScoredRuns
from seqdoodle.errors import DataFormatError
from seqdoodle.evaluation.ensembles import DEFAULT_POOL

LATENCY_DRAWINGS = 256  # test drawings timed per model
LATENCY_REPEATS = 30


@dataclass
class ComparedRuns:
    """What a report section gets: the runs, the test drawings and the fitted ensemble.

    Args:
        names: list of str. Model names in report order.
        runs: dict of name to `Run`.
        classes: list of str. Class names in column order.
        y_test: `(n,) int64` test labels.
        probs_test: dict of name to `(n, k)` test probabilities.
        drawings_of: callable. Positions in the test arrays -> list of `Drawing`.
        weights: dict of name to ensemble weight (the ensemble of all runs).
        seed: int. The job's seed.
        out: Path. The report folder.
        pool: str. How the ensemble pools probabilities (`"log"` or `"linear"`).
    """

    names: list[str]
    runs: dict
    classes: list[str]
    y_test: np.ndarray
    probs_test: dict
    drawings_of: Callable
    weights: dict
    seed: int
    out: Path
    pool: str = DEFAULT_POOL


def partial_curves(limit: int) -> Callable:
    """A section maker: early-recognition curves on a seeded sample of `limit` test drawings."""

    def make(ctx: ComparedRuns):
        from seqdoodle.evaluation.early import evaluate_partial, partial_section

        rng = np.random.default_rng([ctx.seed, 13])
        n = min(limit, len(ctx.y_test))
        shown = np.sort(rng.choice(len(ctx.y_test), n, replace=False))
        labels = [ctx.classes[i] for i in ctx.y_test[shown]]
        result = evaluate_partial(
            ctx.runs, ctx.drawings_of(shown), labels, weights=ctx.weights, pool=ctx.pool
        )
        return partial_section(result)

    return make


def write_compare_report(
    job: ScoredRuns, out: Path, seed: int, say, started: float, sections, pool: str
) -> dict:
    """Score the runs and their ensembles, time them, write report.md/json and the figures.

    Args:
        job: `ScoredRuns`. The runs' test (and validation) predictions.
        out: Path. The report folder.
        seed: int. Seed of the bootstrap, the timed drawings and the figures' samples.
        say: callable. Prints one progress line.
        started: float. `time.monotonic()` at the start of the job (for `timing_seconds`).
        sections: list of callables `ComparedRuns -> reports.Section`.
        pool: str. How the ensembles pool probabilities (`"log"` or `"linear"`).

    Returns:
        dict: the contents of `out/report.json` (see `seqdoodle.comparison.job.compare`).
    """
    from seqdoodle import __version__
    from seqdoodle.comparison.figures import comparison_figures
    from seqdoodle.comparison.scoring import compare_models
    from seqdoodle.evaluation.report import save_predictions
    from seqdoodle.reports import report_document, write_report
    from seqdoodle.runs.evaluate import measure_latency

    t0 = time.monotonic()
    names = list(job.runs)
    val = None if job.y_val is None else (job.y_val, job.probs_val)
    kinds = {name: run.kind for name, run in job.runs.items()}
    found = compare_models(
        job.y_test, job.probs_test, job.classes, val=val, seed=seed, kinds=kinds, pool=pool
    )
    reports, weights = found.reports, found.weights
    predictions = {}
    for name, p in {**job.probs_test, "ensemble": found.ensemble(job.probs_test)}.items():
        fname = f"predictions_{name}.npz"
        save_predictions(out / fname, job.y_test, p, job.classes, ids=job.ids_test)
        reports[name].predictions = {"path": fname}
        predictions[name] = fname
    if val is not None:
        for name, p in {**job.probs_val, "ensemble": found.ensemble(job.probs_val)}.items():
            save_predictions(out / f"predictions_val_{name}.npz", job.y_val, p, job.classes)
            predictions[f"val_{name}"] = f"predictions_val_{name}.npz"

    say(f"timing {len(names)} models and their ensemble on test drawings")
    rng = np.random.default_rng([seed, 7])
    n_time = min(LATENCY_DRAWINGS, len(job.y_test))
    inputs = job.drawings_of(np.sort(rng.choice(len(job.y_test), n_time, replace=False)))
    t_latency = time.monotonic()
    for name, run in job.runs.items():
        reports[name].latency_ms = measure_latency(
            run.predict_proba, inputs, repeats=LATENCY_REPEATS
        )
        reports[name].n_params = run.n_params
        reports[name].saved_size_bytes = run.saved_size_bytes

    def ensemble_predict(x):
        return found.ensemble({n: job.runs[n].predict_proba(x) for n in names})

    ens = reports["ensemble"]
    ens.latency_ms = measure_latency(ensemble_predict, inputs, repeats=LATENCY_REPEATS)
    ens.n_params = sum(reports[n].n_params for n in names)
    ens.saved_size_bytes = sum(reports[n].saved_size_bytes for n in names)
    job.timing["latency"] = time.monotonic() - t_latency

    context = ComparedRuns(
        names, job.runs, job.classes, job.y_test, job.probs_test, job.drawings_of, weights,
        seed, out, pool,
    )  # fmt: skip
    parts = [make(context) for make in sections]
    figures = comparison_figures(job, reports, seed)
    runs_info = {
        name: {
            "path": str(run.path),
            "kind": run.kind,
            "arch": run.arch,
            "n_params": run.n_params,
            "saved_size_bytes": run.saved_size_bytes,
            "latency_ms": reports[name].latency_ms,
            "training": job.training.get(name) or _stored_summary(run),
            "test_predictions": "reused from training" if name in job.reused else "predicted",
            "teacher": _teacher_of(run, job.runs),
        }
        for name, run in job.runs.items()
    }
    ensemble = {"weights": weights, "members": names, "source": found.weight_source, "pool": pool}
    if len(names) == 2:
        ensemble.update(weight=weights[names[0]], of=names[0])
    job.timing["evaluate"] = time.monotonic() - t0
    job.timing["total"] = time.monotonic() - started
    extra = {
        "mode": job.mode,
        "data": {**job.data_info, "n_test": int(len(job.y_test))},
        "runs": runs_info,
        "ensemble": ensemble,
        **found.to_json(),
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
    doc = report_document(reports, found.paired, extra, parts)
    write_report(out, reports, found.paired, figures=figures, sections=parts, doc=doc)
    return doc


def _teacher_of(run, runs) -> dict | None:
    """A distilled run's teacher (path, sha256, T, alpha), and its name here when compared too."""
    recorded = (getattr(run, "config", None) or {}).get("distillation")
    if not recorded:
        return None
    teacher = Path(recorded["teacher"]).resolve()
    here = [n for n, r in runs.items() if Path(r.path).resolve() == teacher]
    keys = ("teacher", "teacher_sha256", "temperature", "alpha", "confidence_temperature")
    return {**{k: recorded.get(k) for k in keys}, "compared_as": here[0] if here else None}


def _stored_summary(run) -> dict | None:
    """The training summary a run folder keeps (`Run.summary`); None when unreadable."""
    try:
        return run.summary
    except DataFormatError:
        return None

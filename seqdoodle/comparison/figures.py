"""The figures of a `compare` report: the runs' training curves and their wrong test drawings."""

from __future__ import annotations

import numpy as np

from seqdoodle.errors import DataFormatError

WRONG_SHOWN = 16  # drawings per wrong-prediction grid


def comparison_figures(job, reports, seed: int) -> dict:
    """Training curves of the runs and a grid of wrong test drawings per model.

    Args:
        job: `seqdoodle.comparison.paired.ScoredRuns`: the runs and their test predictions.
        reports: dict of name to `EvaluationReport` (for the titles' top-1).
        seed: int. Seed of the drawings shown.

    Returns:
        dict of PNG file name to figure.
    """
    from seqdoodle.plots.evaluation import plot_wrong_predictions
    from seqdoodle.reports import pct

    figures = {}
    curves = training_curves(job.runs)
    if curves is not None:
        figures["training_curves.png"] = curves
    for name in job.runs:
        pred = np.argmax(job.probs_test[name], axis=1)
        wrong = np.flatnonzero(pred != job.y_test)
        rng = np.random.default_rng([seed, 11])
        shown = np.sort(rng.choice(wrong, min(WRONG_SHOWN, len(wrong)), replace=False))
        figures[f"wrong_{name}.png"] = plot_wrong_predictions(
            job.drawings_of(shown),
            job.y_test[shown],
            pred[shown],
            job.classes,
            title=f"{name}: {len(shown)} of its {len(wrong)} wrong test drawings "
            f"(top-1 {pct(reports[name].top1)})",
            max_items=WRONG_SHOWN,
        )
    return figures


def training_curves(runs: dict):
    """One figure, a row per run: loss and accuracy per epoch (None when no run has a history)."""
    from seqdoodle.plots.training import plot_histories

    histories = {}
    for name, run in runs.items():
        try:
            history = run.history
        except DataFormatError:  # a damaged history leaves its row out
            continue
        if history is not None:
            histories[name] = history
    return plot_histories(histories) if histories else None

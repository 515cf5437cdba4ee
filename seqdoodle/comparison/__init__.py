"""The compare job: runs side by side on the same drawings, their ensemble and paired statistics.

`compare` trains (or takes) runs and writes the report; `compare_models` is its pure core over
labels and probabilities; `statistics` holds the paired tests and `verdicts` each pair's result.
"""

from __future__ import annotations

from seqdoodle._compat import lazy_exports

_EXPORTS = {
    "ComparedRuns": "seqdoodle.comparison.report",
    "Comparison": "seqdoodle.comparison.scoring",
    "PairedComparison": "seqdoodle.comparison.verdicts",
    "bootstrap_accuracy_difference": "seqdoodle.comparison.statistics",
    "compare": "seqdoodle.comparison.job",
    "compare_models": "seqdoodle.comparison.scoring",
    "compare_pair": "seqdoodle.comparison.verdicts",
    "compare_predictions": "seqdoodle.comparison.scoring",
    "holm_adjust": "seqdoodle.comparison.statistics",
    "load_runs": "seqdoodle.comparison.paired",
    "mcnemar_exact": "seqdoodle.comparison.statistics",
    "pairwise_comparisons": "seqdoodle.comparison.verdicts",
    "partial_curves": "seqdoodle.comparison.report",
    "per_class_best": "seqdoodle.comparison.statistics",
    "per_class_winners": "seqdoodle.comparison.statistics",
    "verdict_text": "seqdoodle.comparison.verdicts",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)

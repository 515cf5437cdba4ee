"""The compare job: runs side by side on the same drawings, paired statistics, ensembles, figures.

Public names are imported lazily from the modules listed below.
"""

from __future__ import annotations

from seqdoodle._compat import lazy_exports

_EXPORTS = {
    "ComparedRuns": "seqdoodle.comparison.job",
    "Comparison": "seqdoodle.comparison.scoring",
    "PairedComparison": "seqdoodle.comparison.statistics",
    "ScoredRuns": "seqdoodle.comparison.paired",
    "bootstrap_accuracy_difference": "seqdoodle.comparison.statistics",
    "check_run_class": "seqdoodle.comparison.paired",
    "compare": "seqdoodle.comparison.job",
    "compare_models": "seqdoodle.comparison.scoring",
    "compare_pair": "seqdoodle.comparison.statistics",
    "compare_predictions": "seqdoodle.comparison.scoring",
    "comparison_figures": "seqdoodle.comparison.figures",
    "dataset_info": "seqdoodle.comparison.paired",
    "holm_adjust": "seqdoodle.comparison.statistics",
    "holm_note": "seqdoodle.comparison.statistics",
    "keep_classes": "seqdoodle.comparison.paired",
    "load_runs": "seqdoodle.comparison.paired",
    "mcnemar_exact": "seqdoodle.comparison.statistics",
    "pairwise_comparisons": "seqdoodle.comparison.statistics",
    "partial_curves": "seqdoodle.comparison.job",
    "per_class_best": "seqdoodle.comparison.statistics",
    "per_class_winners": "seqdoodle.comparison.statistics",
    "run_names": "seqdoodle.comparison.paired",
    "runs_on_dataset": "seqdoodle.comparison.paired",
    "runs_on_folder": "seqdoodle.comparison.paired",
    "saved_test_probs": "seqdoodle.comparison.paired",
    "shared_dataset": "seqdoodle.comparison.paired",
    "training_curves": "seqdoodle.comparison.figures",
    "verdict_text": "seqdoodle.comparison.statistics",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)

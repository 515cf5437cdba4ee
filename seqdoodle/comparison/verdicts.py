"""Two models compared on the same drawings, and the sentence that states the result.

`compare_pair` runs the tests of `seqdoodle.comparison.statistics` on one pair and gives a
`PairedComparison` with its verdict; `pairwise_comparisons` does every pair, deciding the
verdicts by Holm-adjusted p-values when there are several.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from seqdoodle.comparison.statistics import (
    bootstrap_accuracy_difference,
    holm_adjust,
    mcnemar_exact,
    per_class_winners,
)
from seqdoodle.errors import DataFormatError
from seqdoodle.reports.format import format_p

ALPHA = 0.05
HOLM_NOTE = (
    "Multiple comparisons: {k} pairs were tested on the same drawings, so each McNemar p-value is "
    "also given Holm-adjusted (step-down Bonferroni), which keeps the chance of any false "
    "'significant' below alpha={alpha:g} over all pairs; the verdicts use the adjusted values."
)


@dataclass
class PairedComparison:
    """Two models compared drawing by drawing on the same test split.

    Args:
        name_a: str. First model.
        name_b: str. Second model.
        n: int. Number of test drawings.
        mcnemar: dict. `mcnemar_exact` output (`b`: only a right, `c`: only b right).
        bootstrap: dict. `bootstrap_accuracy_difference` output for top-1 accuracy, a minus b.
        per_class: list of dict. `per_class_winners` rows.
        ensemble_weight: float or None. Model a's weight in the ensemble.
        ensemble_weight_source: str. How the weight was chosen.
        verdict: str. One sentence with the result.
        alpha: float. Significance level of the verdict. Defaults to 0.05.
    """

    name_a: str
    name_b: str
    n: int
    mcnemar: dict
    bootstrap: dict
    per_class: list[dict]
    ensemble_weight: float | None
    ensemble_weight_source: str
    verdict: str
    alpha: float = ALPHA

    def to_json(self) -> dict:
        """The comparison as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict, source: str = "paired comparison") -> PairedComparison:
        """Rebuild from `to_json()` output; raises DataFormatError naming `source` on bad input."""
        if not isinstance(obj, dict):
            raise DataFormatError(f"{source}: must be a JSON object")
        names = list(cls.__dataclass_fields__)
        missing = [k for k in names[: names.index("alpha")] if k not in obj]
        if missing:
            raise DataFormatError(f"{source}: lacks the field(s) {', '.join(missing)}")
        return cls(**{k: obj[k] for k in names if k in obj})

    def to_markdown(self) -> str:
        """The verdict, the test numbers and the per-class table as markdown."""
        from seqdoodle.reports import paired_markdown

        return paired_markdown(self.to_json())


def verdict_text(
    name_a: str, name_b: str, mcnemar: dict, bootstrap: dict, alpha=ALPHA, p_label="McNemar p"
) -> str:
    """One sentence stating which model is better, decided by the exact McNemar test at `alpha`.

    `p_label` names the p-value in the sentence (`"Holm p"` when it is Holm-adjusted).

    Example:
    >>> verdict_text("a", "b", {"p_value": 0.002}, {"diff": -0.031, "low": -0.05,
    ...     "high": -0.012, "ci": 0.95})
    'b is better than a by 3.1 points top-1 (95% CI 1.2 to 5.0, McNemar p=0.002)'
    """
    p, diff = mcnemar["p_value"], bootstrap["diff"]
    pct = round(100 * bootstrap["ci"])
    if p < alpha and diff != 0:
        if diff > 0:
            win, lose, d, lo, hi = name_a, name_b, diff, bootstrap["low"], bootstrap["high"]
        else:
            win, lose, d, lo, hi = name_b, name_a, -diff, -bootstrap["high"], -bootstrap["low"]
        return (
            f"{win} is better than {lose} by {100 * d:.1f} points top-1 "
            f"({pct}% CI {100 * lo:.1f} to {100 * hi:.1f}, {p_label}={format_p(p)})"
        )
    return (
        f"no significant difference between {name_a} and {name_b} at alpha={alpha:g}: "
        f"{name_a} - {name_b} = {100 * diff:+.1f} points top-1 ({pct}% CI "
        f"{100 * bootstrap['low']:+.1f} to {100 * bootstrap['high']:+.1f}, "
        f"{p_label}={format_p(p)})"
    )


def compare_pair(
    y_true,
    pred_a,
    pred_b,
    classes: Sequence[str],
    names: tuple[str, str],
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = ALPHA,
    ensemble_weight: float | None = None,
    ensemble_weight_source: str = "",
) -> PairedComparison:
    """The paired comparison of two models' predicted classes on the same drawings."""
    y = np.asarray(y_true, dtype=np.int64)
    correct_a, correct_b = np.asarray(pred_a) == y, np.asarray(pred_b) == y
    mcnemar = mcnemar_exact(correct_a, correct_b)
    boot = bootstrap_accuracy_difference(correct_a, correct_b, n_boot=n_boot, seed=seed)
    return PairedComparison(
        name_a=names[0],
        name_b=names[1],
        n=int(y.size),
        mcnemar=mcnemar,
        bootstrap=boot,
        per_class=per_class_winners(y, pred_a, pred_b, classes, names),
        ensemble_weight=None if ensemble_weight is None else float(ensemble_weight),
        ensemble_weight_source=ensemble_weight_source,
        verdict=verdict_text(names[0], names[1], mcnemar, boot, alpha),
        alpha=alpha,
    )


def pairwise_comparisons(
    y_true,
    preds: Mapping[str, np.ndarray],
    classes: Sequence[str],
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = ALPHA,
) -> list[PairedComparison]:
    """Every pair of models compared; with more than one pair, Holm-adjusted verdicts.

    With more than one pair, each comparison's `mcnemar` gains `p_holm` (the Holm-adjusted
    p-value over all pairs) and its verdict is decided by it.

    Args:
        y_true: array-like `(n,)` of ints. True class indices.
        preds: dict of model name to `(n,)` predicted classes (at least two models).
        classes: list of k str.
        n_boot: int. Bootstrap resamples per pair. Defaults to 2000.
        seed: int. Bootstrap seed (the same for every pair). Defaults to 0.
        alpha: float. Familywise significance level. Defaults to 0.05.

    Returns:
        list of `PairedComparison`, pairs in the order of `itertools.combinations`.
    """
    if len(preds) < 2:
        raise DataFormatError(f"pairwise comparisons need at least two models, got {len(preds)}")
    pairs = [
        compare_pair(y_true, preds[a], preds[b], classes, (a, b), n_boot, seed, alpha)
        for a, b in itertools.combinations(preds, 2)
    ]
    if len(pairs) == 1:
        return pairs
    adjusted = holm_adjust([p.mcnemar["p_value"] for p in pairs])
    for pair, p_holm in zip(pairs, adjusted):
        pair.mcnemar["p_holm"] = p_holm
        pair.verdict = verdict_text(
            pair.name_a, pair.name_b, {"p_value": p_holm}, pair.bootstrap, alpha, "Holm p"
        )
    return pairs


def holm_note(n_pairs: int, alpha: float = ALPHA) -> str:
    """The report's sentence on multiple comparisons ("" for a single pair)."""
    return HOLM_NOTE.format(k=n_pairs, alpha=alpha) if n_pairs > 1 else ""

"""Two or more models scored on the same test drawings: the pure core of `compare`.

From the test labels and each model's probabilities, `compare_models` gives an `EvaluationReport`
per model and for their ensemble (`seqdoodle.evaluation.ensembles`: log pool by default, weights
fitted on
the validation split), the paired tests of
every pair (exact McNemar, paired bootstrap; Holm-adjusted when there are several pairs), the
ensembles of every subset of models scored on validation, and the per-class winners.
`compare_predictions` is the same with the two-model answer `(reports, paired)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from seqdoodle.comparison.statistics import per_class_best
from seqdoodle.comparison.verdicts import (
    ALPHA,
    PairedComparison,
    holm_note,
    pairwise_comparisons,
)
from seqdoodle.errors import DataFormatError
from seqdoodle.evaluation.ensembles import (
    DEFAULT_POOL,
    check_pool,
    ensemble_subsets,
    fit_ensemble_weights,
    log_loss,
    pool_probs,
)
from seqdoodle.evaluation.metrics import check_predictions, predicted_labels, top_k_accuracy
from seqdoodle.evaluation.report import EvaluationReport, evaluate_predictions

ENSEMBLE = "ensemble"
POOL_TEXT = {
    "log": "weighted geometric mean of the probabilities, renormalised",
    "linear": "weighted mean of the probabilities",
}
SUBSET_NOTE = (
    "The best subset is the ensemble with the highest validation top-1 (then the lowest "
    "validation log-loss, then the fewest models); its test scores are reported, never used "
    "to choose it."
)


@dataclass
class Comparison:
    """Everything `compare_models` found.

    Args:
        reports: dict of model name (and `"ensemble"`) to `EvaluationReport`.
        paired: `PairedComparison` of the first two models.
        pairwise: list of `PairedComparison`, every pair (Holm-adjusted when more than one).
        weights: dict of model name to its weight in the ensemble of all models.
        weight_source: str. How the weights were chosen.
        ensembles: dict. `all` and `best` (the best subset; None without validation) with
            members, weights and scores, and `subsets` (every subset, best first).
        per_class: list of dict. `statistics.per_class_best` rows.
        alpha: float. Familywise significance level.
        models: list of str. The compared models in report order.
        pool: str. How the ensembles pool probabilities (`"log"` or `"linear"`).
    """

    reports: dict[str, EvaluationReport]
    paired: PairedComparison
    pairwise: list[PairedComparison]
    weights: dict[str, float]
    weight_source: str
    ensembles: dict
    per_class: list[dict]
    alpha: float = ALPHA
    models: list[str] = field(default_factory=list)
    pool: str = DEFAULT_POOL

    def ensemble(self, probs_by_model: Mapping[str, np.ndarray]) -> np.ndarray:
        """The ensemble of all models on other drawings (e.g. the validation split)."""
        return _mix(self.weights, probs_by_model, self.pool)

    def to_json(self) -> dict:
        """The report.json entries besides `models` and `paired`."""
        return {
            "order": list(self.models),
            "pairwise": [p.to_json() for p in self.pairwise],
            "multiple_comparisons": {
                "pairs": len(self.pairwise),
                "method": "holm" if len(self.pairwise) > 1 else "none (one pair)",
                "alpha": self.alpha,
                "note": holm_note(len(self.pairwise), self.alpha),
            },
            "ensembles": self.ensembles,
            "per_class_winners": self.per_class,
        }


def _mix(weights: Mapping[str, float], probs: Mapping[str, np.ndarray], pool: str) -> np.ndarray:
    names = list(weights)
    return pool_probs([probs[n] for n in names], [weights[n] for n in names], pool)


def compare_models(
    y_true,
    probs_by_model: Mapping[str, np.ndarray],
    classes: Sequence[str],
    val: tuple | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = ALPHA,
    kinds: Mapping[str, str] | None = None,
    pool: str = DEFAULT_POOL,
) -> Comparison:
    """Compare two or more models on the same test drawings and score their ensembles.

    Args:
        y_true: array-like `(n,)` of ints. Test labels.
        probs_by_model: dict of model name to `(n, k)` test probabilities, two or more; the
            first two are the headline pair (`paired`).
        classes: list of k str. Class names in column order.
        val: `(y_val, {name: (m, k) probs})` with every model's validation predictions, or
            None. Ensemble weights are fitted on it by log-loss; without it they are equal
            (0.5 for two models) and no best subset is chosen. Defaults to None.
        n_boot: int. Bootstrap resamples per pair. Defaults to 2000.
        seed: int. Bootstrap seed. Defaults to 0.
        alpha: float. Significance level (familywise over all pairs). Defaults to 0.05.
        kinds: dict of model name to model kind, or None. Defaults to None, which takes the
            name as the kind when it names a registered kind.
        pool: str. How the ensembles pool the models' probabilities: `"log"` (weighted
            geometric mean, renormalised) or `"linear"` (weighted mean). Defaults to `"log"`.

    Returns:
        `Comparison`.

    Raises:
        DataFormatError: fewer than two models, a model named `"ensemble"`, probabilities of
            different shapes, or validation predictions that lack a model.
    """
    check_pool(pool)
    names = list(probs_by_model)
    if len(names) < 2:
        raise DataFormatError(f"compare needs at least two models, got {len(names)}: {names}")
    if ENSEMBLE in names:
        raise DataFormatError("model names must not be 'ensemble' (reserved for their ensemble)")
    shape = np.shape(probs_by_model[names[0]])
    for name in names[1:]:
        if np.shape(probs_by_model[name]) != shape:
            raise DataFormatError(
                f"{names[0]} and {name} probs differ in shape: {shape}, "
                f"{np.shape(probs_by_model[name])}"
            )
    y, probs = None, {}
    for name in names:
        y, probs[name] = check_predictions(
            y_true if y is None else y, probs_by_model[name], where=f"{name} test predictions"
        )
    pairs = len(names) == 2
    if val is None:
        weights = dict.fromkeys(names, 1.0 / len(names))
        source = "fixed at 0.5: no validation predictions given" if pairs else (
            "equal weights: no validation predictions given"
        )  # fmt: skip
    else:
        y_val, val_probs = val
        missing = [m for m in names if m not in val_probs]
        if missing:
            raise DataFormatError(f"validation predictions lack model(s) {', '.join(missing)}")
        weights = fit_ensemble_weights(y_val, {m: val_probs[m] for m in names}, pool)
        source = f"fitted on {len(y_val)} validation drawings by log-loss"
    source += f"; {pool} pool ({POOL_TEXT[pool]})"
    mixed = _mix(weights, probs, pool)
    known = _kind_names()
    kinds = {n: n if n in known else None for n in names} | dict(kinds or {})
    reports = {n: evaluate_predictions(y, probs[n], classes, name=n, kind=kinds[n]) for n in names}
    reports[ENSEMBLE] = evaluate_predictions(y, mixed, classes, name=ENSEMBLE, kind=ENSEMBLE)
    preds = {name: predicted_labels(probs[name]) for name in names}
    classes = reports[names[0]].classes
    pairwise = pairwise_comparisons(y, preds, classes, n_boot=n_boot, seed=seed, alpha=alpha)
    paired = pairwise[0]
    if pairs:
        paired.ensemble_weight, paired.ensemble_weight_source = weights[names[0]], source
    else:
        paired.ensemble_weight_source = f"not a pair: the ensemble has {len(names)} models"
    ensembles = _ensembles(y, probs, mixed, weights, source, val, pool)
    per_class = per_class_best(y, preds, classes)
    return Comparison(
        reports, paired, pairwise, weights, source, ensembles, per_class, alpha, names, pool
    )


def _kind_names() -> tuple[str, ...]:
    from seqdoodle.kinds import kind_names

    return tuple(kind_names())


def _ensembles(y, probs, mixed, weights, source, val, pool) -> dict:
    """The ensemble of all models, the best subset (on validation) and every subset.

    With validation predictions `pools` also scores the ensemble of all models under each pool
    (weights fitted for it), so a report shows what the choice of pool is worth.
    """

    def scores(members, w, test_mixed):
        return {
            "members": list(members),
            "weights": {m: float(w[m]) for m in members},
            "top1": top_k_accuracy(y, test_mixed, 1),
            "top3": top_k_accuracy(y, test_mixed, min(3, test_mixed.shape[1])),
        }

    every = scores(list(weights), weights, mixed)
    out = {
        "all": every, "best": None, "subsets": [], "source": source, "note": "",
        "pool": pool, "pool_text": POOL_TEXT[pool],
    }  # fmt: skip
    if val is None:
        out["note"] = "no validation split: no best subset chosen"
        return out
    y_val, val_probs = val
    val_mixed = _mix(weights, val_probs, pool)
    every["val_log_loss"] = log_loss(y_val, val_mixed)
    every["val_top1"] = float(np.mean(np.argmax(val_mixed, axis=1) == np.asarray(y_val)))
    for subset in ensemble_subsets(y_val, {m: val_probs[m] for m in weights}, pool=pool):
        members = subset["members"]
        test = _mix(subset["weights"], {m: probs[m] for m in members}, pool)
        out["subsets"].append({**subset, **scores(members, subset["weights"], test)})
    out["best"] = out["subsets"][0]
    out["note"] = SUBSET_NOTE
    out["pools"] = {pool: dict(every)}  # the other pool with weights fitted for it
    for other in (p for p in POOL_TEXT if p != pool):
        w = fit_ensemble_weights(y_val, {m: val_probs[m] for m in weights}, other)
        v = _mix(w, val_probs, other)
        out["pools"][other] = {
            **scores(list(w), w, _mix(w, probs, other)),
            "val_log_loss": log_loss(y_val, v),
            "val_top1": float(np.mean(np.argmax(v, axis=1) == np.asarray(y_val))),
        }
    return out


def compare_predictions(
    y_true,
    probs_by_model: Mapping[str, np.ndarray],
    classes: Sequence[str],
    val: tuple | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = ALPHA,
    kinds: Mapping[str, str] | None = None,
) -> tuple[dict[str, EvaluationReport], PairedComparison]:
    """Compare models on the same test drawings and score their ensemble (see `compare_models`).

    Returns:
        `(reports, paired)`: reports maps each model name and `"ensemble"` to an
        `EvaluationReport`; paired is the `PairedComparison` of the first two models.

    Example:
    >>> y = np.array([0, 1, 1, 0])
    >>> pa = np.eye(2)[[0, 1, 0, 0]]
    >>> pb = np.eye(2)[[0, 1, 1, 1]]
    >>> reports, paired = compare_predictions(y, {"a": pa, "b": pb}, ["cat", "dog"])
    >>> sorted(reports), paired.mcnemar["b"], paired.mcnemar["c"]
    (['a', 'b', 'ensemble'], 1, 1)
    """
    found = compare_models(y_true, probs_by_model, classes, val, n_boot, seed, alpha, kinds)
    return found.reports, found.paired

"""Ensembles: weighted means of models' probabilities, with weights fitted on validation drawings.

Two models: model a's weight is chosen from a grid (0, 0.05, ..., 1) by validation log-loss, ties
to the weight nearest 0.5. Three or more: the weights on the simplex that minimise validation
log-loss, found by the EM iteration for mixture weights (the loss is convex in the weights, and
each step lowers it). The test split never chooses a weight.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.metrics import check_predictions

DEFAULT_GRID = np.linspace(0.0, 1.0, 21)
EM_STEPS = 500
EM_TOLERANCE = 1e-10
MAX_SUBSET_MODELS = 10  # 2^10 subsets at most


def ensemble_probs(probs_a, probs_b, weight: float = 0.5) -> np.ndarray:
    """Weighted mean of two models' probabilities: `weight * probs_a + (1 - weight) * probs_b`.

    Args:
        probs_a: array-like `(n, k)` floats. Model a's probabilities.
        probs_b: array-like `(n, k)` floats. Model b's probabilities.
        weight: float in [0, 1]. Model a's share. Defaults to 0.5.

    Returns:
        `(n, k) float64`; rows sum to 1 when the inputs' rows do.

    Example:
    >>> ensemble_probs([[1.0, 0.0]], [[0.0, 1.0]], weight=0.75).tolist()
    [[0.75, 0.25]]
    """
    pa = np.asarray(probs_a, dtype=np.float64)
    pb = np.asarray(probs_b, dtype=np.float64)
    if pa.shape != pb.shape or pa.ndim != 2:
        raise DataFormatError(
            f"ensemble: probs shapes differ or are not 2-D: {pa.shape}, {pb.shape}"
        )
    if not 0.0 <= weight <= 1.0:
        raise DataFormatError(f"ensemble weight must be in [0, 1], got {weight}")
    return weight * pa + (1.0 - weight) * pb


def fit_ensemble_weight(y_val, pa_val, pb_val, grid=DEFAULT_GRID) -> float:
    """Choose model a's ensemble weight on the validation split by log-loss.

    Log-loss (mean negative log-probability of the true class) is used rather than accuracy:
    it is a proper scoring rule, changes smoothly with the weight and rarely ties. Ties go to
    the weight closest to 0.5. Pass validation predictions only; the test split must never
    choose the weight.

    Args:
        y_val: array-like `(n,)` of ints. Validation labels.
        pa_val: array-like `(n, k)` floats. Model a's validation probabilities.
        pb_val: array-like `(n, k)` floats. Model b's validation probabilities.
        grid: array-like of floats in [0, 1]. Candidate weights. Defaults to 0, 0.05, ..., 1.

    Returns:
        float: the chosen weight of model a.

    Example:
    >>> y = np.array([0, 1])
    >>> good, bad = np.eye(2)[y] * 0.9 + 0.05, np.eye(2)[1 - y] * 0.9 + 0.05
    >>> fit_ensemble_weight(y, good, bad)
    1.0
    """
    y, pa = check_predictions(y_val, pa_val, where="validation probs of model a")
    _, pb = check_predictions(y_val, pb_val, where="validation probs of model b")
    if pa.shape != pb.shape:
        raise DataFormatError(f"validation probs shapes differ: {pa.shape} and {pb.shape}")
    if y.size == 0:
        raise DataFormatError("fit_ensemble_weight: the validation split is empty")
    w = np.asarray(grid, dtype=np.float64).ravel()
    if w.size == 0 or w.min() < 0 or w.max() > 1:
        raise DataFormatError("fit_ensemble_weight: grid must hold weights in [0, 1]")
    rows = np.arange(y.size)
    true_a, true_b = pa[rows, y], pb[rows, y]
    mixed = w[:, None] * true_a[None, :] + (1.0 - w[:, None]) * true_b[None, :]
    loss = -np.log(np.clip(mixed, 1e-12, None)).mean(axis=1)
    best = np.flatnonzero(loss <= loss.min() * (1 + 1e-12) + 1e-15)
    return float(w[best[np.argmin(np.abs(w[best] - 0.5))]])


def mix_probs(probs: Sequence, weights: Sequence[float]) -> np.ndarray:
    """Weighted mean of any number of models' probabilities (weights are normalised to sum 1).

    Example:
    >>> mix_probs([[[1.0, 0.0]], [[0.0, 1.0]]], [3, 1]).tolist()
    [[0.75, 0.25]]
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or len(w) != len(probs) or len(w) == 0 or w.min() < 0 or w.sum() <= 0:
        shown = [float(x) for x in w]
        raise DataFormatError(f"ensemble weights must be >= 0, one per model, got {shown}")
    shapes = {np.shape(p) for p in probs}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise DataFormatError(f"ensemble: probs shapes differ or are not 2-D: {sorted(shapes)}")
    w = w / w.sum()
    out = np.zeros(next(iter(shapes)), dtype=np.float64)
    for share, p in zip(w, probs):
        out += share * np.asarray(p, dtype=np.float64)
    return out


def log_loss(y_true, probs) -> float:
    """Mean negative log-probability of the true class (probabilities clipped at 1e-12)."""
    y, p = check_predictions(y_true, probs, where="log_loss")
    if y.size == 0:
        raise DataFormatError("log_loss: no drawings")
    return float(-np.log(np.clip(p[np.arange(y.size), y], 1e-12, None)).mean())


def fit_ensemble_weights(y_val, val_probs: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Every model's ensemble weight, fitted on the validation split by log-loss.

    Two models use `fit_ensemble_weight` (the grid); more use the EM iteration
    `w_j <- mean_i(w_j p_ij / sum_k w_k p_ik)` on each model's probability of the true class,
    from equal weights, for at most `EM_STEPS` steps.

    Args:
        y_val: array-like `(n,)` of ints. Validation labels.
        val_probs: dict of model name to `(n, k)` validation probabilities (at least two).

    Returns:
        dict of model name to weight (the weights sum to 1).

    Example:
    >>> y = np.array([0, 1, 0, 1])
    >>> good, bad = np.eye(2)[y] * 0.9 + 0.05, np.eye(2)[1 - y] * 0.9 + 0.05
    >>> w = fit_ensemble_weights(y, {"a": good, "b": bad, "c": np.full((4, 2), 0.5)})
    >>> w["a"] > 0.99
    True
    """
    names = list(val_probs)
    if len(names) < 2:
        raise DataFormatError(f"an ensemble needs at least two models, got {len(names)}")
    if len(names) == 2:
        w = fit_ensemble_weight(y_val, val_probs[names[0]], val_probs[names[1]])
        return {names[0]: w, names[1]: 1.0 - w}
    y = None
    true_probs = []
    for name in names:
        y, p = check_predictions(y_val, val_probs[name], where=f"validation probs of {name}")
        true_probs.append(np.clip(p[np.arange(y.size), y], 1e-12, None))
    if y.size == 0:
        raise DataFormatError("fit_ensemble_weights: the validation split is empty")
    t = np.stack(true_probs, axis=1).astype(np.float64)  # (n, m)
    w = np.full(len(names), 1.0 / len(names))
    for _ in range(EM_STEPS):
        share = t * w / (t @ w)[:, None]
        new = share.mean(axis=0)
        done = np.abs(new - w).max() < EM_TOLERANCE
        w = new
        if done:
            break
    w = w / w.sum()
    return {name: float(x) for name, x in zip(names, w)}


def ensemble_subsets(y_val, val_probs: Mapping[str, np.ndarray], min_size: int = 2) -> list[dict]:
    """Every subset of at least `min_size` models, weights fitted and scored on validation.

    Args:
        y_val: array-like `(n,)` of ints. Validation labels.
        val_probs: dict of model name to `(n, k)` validation probabilities.
        min_size: int. Smallest subset. Defaults to 2.

    Returns:
        list of `{"members", "weights", "val_log_loss", "val_top1"}`, the best first: highest
        validation top-1, then lowest validation log-loss, then fewer members. (By log-loss
        alone the set of all models always wins, since it can give any model weight 0.)
    """
    names = list(val_probs)
    if len(names) > MAX_SUBSET_MODELS:
        raise DataFormatError(
            f"ensemble subsets: at most {MAX_SUBSET_MODELS} models, got {len(names)}"
        )
    y = np.asarray(y_val, dtype=np.int64)
    found = []
    for size in range(min_size, len(names) + 1):
        for members in itertools.combinations(names, size):
            weights = fit_ensemble_weights(y, {m: val_probs[m] for m in members})
            mixed = mix_probs([val_probs[m] for m in members], list(weights.values()))
            found.append(
                {
                    "members": list(members),
                    "weights": weights,
                    "val_log_loss": log_loss(y, mixed),
                    "val_top1": float(np.mean(np.argmax(mixed, axis=1) == y)),
                }
            )
    found.sort(key=lambda e: (-e["val_top1"], e["val_log_loss"], len(e["members"])))
    return found

"""Ensembles: models' probabilities pooled with weights fitted on validation drawings.

Two pools (`pool`):
- `"log"` (the default): the weighted geometric mean of the probabilities, renormalised,
  `p(c) ~ prod_j p_j(c) ** w_j`. A class wins only if no model rules it out, which on 26 real
  stroke classes scored 0.9 points of validation top-1 more than the linear pool (5-fold on the
  validation split, `experiments/results/ensemble_pools.json`).
- `"linear"`: the weighted mean `sum_j w_j p_j(c)`.

Weights sum to 1. Two models: model a's weight is chosen from a grid (0, 0.05, ..., 1) by
validation log-loss, ties to the weight nearest 0.5. Three or more: the weights on the simplex
that minimise validation log-loss (convex in the weights for both pools), by the EM iteration for
mixture weights (linear) or exponentiated gradient descent with backtracking (log); every step
lowers the loss. The test split never chooses a weight.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.evaluation.metrics import check_predictions

DEFAULT_GRID = np.linspace(0.0, 1.0, 21)
EM_STEPS = 500
EM_TOLERANCE = 1e-10
LOSS_TOLERANCE = 1e-12  # the log pool's fit stops when a step lowers the log-loss by less
POOLS = ("log", "linear")
DEFAULT_POOL = "log"
FLOOR = 1e-12  # probabilities are clipped here before logs
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


def check_pool(pool: str) -> str:
    """`pool` if it is one of `POOLS`, else a `DataFormatError` naming them."""
    if pool not in POOLS:
        raise DataFormatError(f"ensemble pool {pool!r}: expected one of {', '.join(POOLS)}")
    return pool


def fit_ensemble_weight(
    y_val, pa_val, pb_val, grid=DEFAULT_GRID, pool: str = DEFAULT_POOL
) -> float:
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
        pool: str. `"log"` or `"linear"` (see the module). Defaults to `"log"`.

    Returns:
        float: the chosen weight of model a.

    Example:
    >>> y = np.array([0, 1])
    >>> good, bad = np.eye(2)[y] * 0.9 + 0.05, np.eye(2)[1 - y] * 0.9 + 0.05
    >>> fit_ensemble_weight(y, good, bad)
    1.0
    """
    check_pool(pool)
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
    if pool == "linear":
        true_a, true_b = pa[rows, y], pb[rows, y]
        mixed = w[:, None] * true_a[None, :] + (1.0 - w[:, None]) * true_b[None, :]
        loss = -np.log(np.clip(mixed, FLOOR, None)).mean(axis=1)
    else:
        logs = _logs([pa, pb])
        loss = np.array([_log_pool_loss(logs, y, np.array([x, 1.0 - x]))[0] for x in w])
    best = np.flatnonzero(loss <= loss.min() * (1 + 1e-12) + 1e-15)
    return float(w[best[np.argmin(np.abs(w[best] - 0.5))]])


def mix_probs(probs: Sequence, weights: Sequence[float]) -> np.ndarray:
    """Weighted mean of any number of models' probabilities (weights are normalised to sum 1).

    Example:
    >>> mix_probs([[[1.0, 0.0]], [[0.0, 1.0]]], [3, 1]).tolist()
    [[0.75, 0.25]]
    """
    w, shape = _checked(probs, weights)
    out = np.zeros(shape, dtype=np.float64)
    for share, p in zip(w, probs):
        out += share * np.asarray(p, dtype=np.float64)
    return out


def pool_probs(probs: Sequence, weights: Sequence[float], pool: str = DEFAULT_POOL) -> np.ndarray:
    """Any number of models' probabilities pooled with `weights` (normalised to sum 1).

    Args:
        probs: list of array-like `(n, k)`. Each model's probabilities.
        weights: list of floats >= 0, one per model, not all 0.
        pool: str. `"log"`: `prod_j p_j ** w_j`, each row renormalised (probabilities clipped
            at 1e-12 first); `"linear"`: `mix_probs`. Defaults to `"log"`.

    Returns:
        `(n, k) float64` with rows that sum to 1.

    Example:
    >>> pool_probs([[[0.8, 0.2]], [[0.2, 0.8]]], [1, 1]).round(3).tolist()
    [[0.5, 0.5]]
    >>> pool_probs([[[0.9, 0.1]], [[0.5, 0.5]]], [1, 1]).round(3).tolist()
    [[0.75, 0.25]]
    """
    if check_pool(pool) == "linear":
        return mix_probs(probs, weights)
    w, _ = _checked(probs, weights)
    z = np.tensordot(w, _logs(probs), axes=1)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _checked(probs: Sequence, weights: Sequence[float]) -> tuple[np.ndarray, tuple]:
    """Weights normalised to sum 1, and the probabilities' common 2-D shape."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or len(w) != len(probs) or len(w) == 0 or w.min() < 0 or w.sum() <= 0:
        shown = [float(x) for x in w]
        raise DataFormatError(f"ensemble weights must be >= 0, one per model, got {shown}")
    shapes = {np.shape(p) for p in probs}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise DataFormatError(f"ensemble: probs shapes differ or are not 2-D: {sorted(shapes)}")
    return w / w.sum(), next(iter(shapes))


def _logs(probs: Sequence) -> np.ndarray:
    """`(m, n, k)` log-probabilities of m models, clipped at `FLOOR`."""
    return np.log(np.clip(np.stack([np.asarray(p, np.float64) for p in probs]), FLOOR, None))


def _log_pool_loss(logs: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Log-loss of the log pool with weights `w`, and its gradient in `w`."""
    z = np.tensordot(w, logs, axes=1)  # (n, k)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    q = e / e.sum(axis=1, keepdims=True)
    rows = np.arange(y.size)
    loss = float(np.mean(np.log(e.sum(axis=1)) - z[rows, y]))
    true = logs[:, rows, y]  # (m, n)
    grad = (np.einsum("mnk,nk->m", logs, q) - true.sum(axis=1)) / y.size
    return loss, grad


def log_loss(y_true, probs) -> float:
    """Mean negative log-probability of the true class (probabilities clipped at 1e-12)."""
    y, p = check_predictions(y_true, probs, where="log_loss")
    if y.size == 0:
        raise DataFormatError("log_loss: no drawings")
    return float(-np.log(np.clip(p[np.arange(y.size), y], FLOOR, None)).mean())


def fit_ensemble_weights(
    y_val, val_probs: Mapping[str, np.ndarray], pool: str = DEFAULT_POOL
) -> dict[str, float]:
    """Every model's ensemble weight, fitted on the validation split by log-loss.

    Two models use `fit_ensemble_weight` (the grid). More models start from equal weights; the
    linear pool takes the EM iteration `w_j <- mean_i(w_j p_ij / sum_k w_k p_ik)` on each model's
    probability of the true class, the log pool exponentiated gradient steps
    `w_j <- w_j exp(-eta g_j)` (renormalised; eta halved until the loss drops), for at most
    `EM_STEPS` steps each.

    Args:
        y_val: array-like `(n,)` of ints. Validation labels.
        val_probs: dict of model name to `(n, k)` validation probabilities (at least two).
        pool: str. `"log"` or `"linear"` (see the module). Defaults to `"log"`.

    Returns:
        dict of model name to weight (the weights sum to 1).

    Example:
    >>> y = np.array([0, 1, 0, 1])
    >>> good, bad = np.eye(2)[y] * 0.9 + 0.05, np.eye(2)[1 - y] * 0.9 + 0.05
    >>> w = fit_ensemble_weights(y, {"a": good, "b": bad, "c": np.full((4, 2), 0.5)})
    >>> w["a"] > 0.99
    True
    """
    check_pool(pool)
    names = list(val_probs)
    if len(names) < 2:
        raise DataFormatError(f"an ensemble needs at least two models, got {len(names)}")
    if len(names) == 2:
        w = fit_ensemble_weight(y_val, val_probs[names[0]], val_probs[names[1]], pool=pool)
        return {names[0]: w, names[1]: 1.0 - w}
    y, checked = None, []
    for name in names:
        y, p = check_predictions(y_val, val_probs[name], where=f"validation probs of {name}")
        checked.append(p)
    if y.size == 0:
        raise DataFormatError("fit_ensemble_weights: the validation split is empty")
    fit = _em_weights if pool == "linear" else _log_pool_weights
    w = fit(y, checked)
    return {name: float(x) for name, x in zip(names, w / w.sum())}


def _em_weights(y: np.ndarray, probs: list) -> np.ndarray:
    rows = np.arange(y.size)
    t = np.stack([np.clip(p[rows, y], FLOOR, None) for p in probs], axis=1).astype(np.float64)
    w = np.full(len(probs), 1.0 / len(probs))
    for _ in range(EM_STEPS):
        new = (t * w / (t @ w)[:, None]).mean(axis=0)
        done = np.abs(new - w).max() < EM_TOLERANCE
        w = new
        if done:
            break
    return w


def _log_pool_weights(y: np.ndarray, probs: list) -> np.ndarray:
    logs = _logs(probs)
    w = np.full(len(probs), 1.0 / len(probs))
    loss, grad = _log_pool_loss(logs, y, w)
    eta = 1.0
    for _ in range(EM_STEPS):
        while True:  # backtrack until the step lowers the loss (or is too small to matter)
            step = w * np.exp(-eta * (grad - grad.min()))
            step /= step.sum()
            new_loss, new_grad = _log_pool_loss(logs, y, step)
            if new_loss <= loss or eta < 1e-8:
                break
            eta /= 2
        done = new_loss > loss - LOSS_TOLERANCE  # no step lowers the loss any more
        if new_loss <= loss:
            w, loss, grad = step, new_loss, new_grad
        if done:
            break
        eta *= 2
    return w


def ensemble_subsets(
    y_val, val_probs: Mapping[str, np.ndarray], min_size: int = 2, pool: str = DEFAULT_POOL
) -> list[dict]:
    """Every subset of at least `min_size` models, weights fitted and scored on validation.

    Args:
        y_val: array-like `(n,)` of ints. Validation labels.
        val_probs: dict of model name to `(n, k)` validation probabilities.
        min_size: int. Smallest subset. Defaults to 2.
        pool: str. `"log"` or `"linear"` (see the module). Defaults to `"log"`.

    Returns:
        list of `{"members", "weights", "val_log_loss", "val_top1"}`, the best first: highest
        validation top-1, then lowest validation log-loss, then fewer members. (By log-loss
        alone the set of all models always wins, since it can give any model weight 0.)
    """
    check_pool(pool)
    names = list(val_probs)
    if len(names) > MAX_SUBSET_MODELS:
        raise DataFormatError(
            f"ensemble subsets: at most {MAX_SUBSET_MODELS} models, got {len(names)}"
        )
    y = np.asarray(y_val, dtype=np.int64)
    found = []
    for size in range(min_size, len(names) + 1):
        for members in itertools.combinations(names, size):
            weights = fit_ensemble_weights(y, {m: val_probs[m] for m in members}, pool=pool)
            mixed = pool_probs([val_probs[m] for m in members], list(weights.values()), pool)
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

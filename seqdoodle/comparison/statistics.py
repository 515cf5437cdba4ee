"""Paired statistical tests of models scored on the same drawings.

The exact McNemar test and a paired bootstrap interval of the accuracy difference for one pair,
the Holm adjustment when several pairs are tested at once, and per-class winners.
`seqdoodle.comparison.verdicts` turns them into each pair's comparison and verdict sentence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from seqdoodle.errors import DataFormatError


def _check_pair(correct_a, correct_b) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(correct_a)
    b = np.asarray(correct_b)
    if a.ndim != 1 or a.shape != b.shape:
        raise DataFormatError(
            f"correct_a and correct_b must be 1-D of equal length, got {a.shape} and {b.shape}"
        )
    if a.dtype != bool or b.dtype != bool:
        raise DataFormatError(f"correct_a and correct_b must be bool, got {a.dtype}, {b.dtype}")
    return a, b


def _binomial_half_cdf_log(k: int, n: int) -> float:
    """log P(X <= k) for X ~ Binomial(n, 1/2), for 0 <= k <= n / 2, in log space."""
    log_pmf_k = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) - n * math.log(2)
    if k == 0:
        return log_pmf_k
    # pmf(i - 1) / pmf(i) = i / (n - i + 1) <= 1 for i <= k; sum from the largest term down.
    i = np.arange(k, 0, -1, dtype=np.float64)
    log_ratio = np.cumsum(np.log(i) - np.log(n - i + 1))
    return log_pmf_k + math.log1p(float(np.exp(log_ratio).sum()))


def mcnemar_exact(correct_a, correct_b) -> dict:
    """Exact McNemar test: do two models' error rates differ on the same drawings?

    Only the discordant drawings count: `b` where only model a is right, `c` where only model b
    is right. Under the null hypothesis `b ~ Binomial(b + c, 1/2)`; the two-sided p-value is
    `min(1, 2 * P(X <= min(b, c)))`, summed in log space so it stays exact for n up to 1e6 and
    beyond. p = 1 when `b + c == 0`.

    Args:
        correct_a: array-like `(n,)` bool. Whether model a got each drawing right.
        correct_b: array-like `(n,)` bool. Whether model b got each drawing right.

    Returns:
        dict with `b`, `c` (ints), `statistic` (`min(b, c)`, the exact test's statistic) and
        `p_value` (float).

    Example:
    >>> a = np.array([True] * 10 + [False] * 2)
    >>> b = np.array([False] * 10 + [True] * 2)
    >>> round(mcnemar_exact(a, b)["p_value"], 4)
    0.0386
    """
    a, b = _check_pair(correct_a, correct_b)
    n_b = int(np.count_nonzero(a & ~b))
    n_c = int(np.count_nonzero(~a & b))
    n = n_b + n_c
    k = min(n_b, n_c)
    if n == 0 or 2 * k == n:
        p = 1.0
    else:
        p = min(1.0, 2.0 * math.exp(_binomial_half_cdf_log(k, n)))
    return {"b": n_b, "c": n_c, "statistic": k, "p_value": p}


def bootstrap_accuracy_difference(
    correct_a, correct_b, n_boot: int = 2000, seed: int = 0, ci: float = 0.95
) -> dict:
    """Paired bootstrap interval of accuracy(a) - accuracy(b), resampling drawings.

    Each drawing contributes `d = correct_a - correct_b` in {-1, 0, 1}. Resampling n drawings
    with replacement only changes how many of each value are drawn, so the resampled counts are
    drawn from the equivalent multinomial: the same distribution as resampling indices, in
    O(n_boot) memory for any n. The interval is the percentile interval.

    Args:
        correct_a: array-like `(n,)` bool. Whether model a got each drawing right.
        correct_b: array-like `(n,)` bool. Whether model b got each drawing right.
        n_boot: int. Number of bootstrap resamples. Defaults to 2000.
        seed: int. Seed of `np.random.default_rng`. Defaults to 0.
        ci: float. Coverage of the interval, in (0, 1). Defaults to 0.95.

    Returns:
        dict with `diff` (observed difference), `low`, `high` (interval bounds), `ci`, `n_boot`;
        differences are fractions (0.031 = 3.1 points).

    Example:
    >>> a = np.arange(100) < 80
    >>> b = np.arange(100) < 70
    >>> r = bootstrap_accuracy_difference(a, b)
    >>> round(r["diff"], 2), r["low"] <= 0.1 <= r["high"]
    (0.1, True)
    """
    a, b = _check_pair(correct_a, correct_b)
    if not 0 < ci < 1:
        raise DataFormatError(f"ci must be between 0 and 1, got {ci}")
    if n_boot < 1:
        raise DataFormatError(f"n_boot must be at least 1, got {n_boot}")
    n = a.size
    if n == 0:
        raise DataFormatError("bootstrap_accuracy_difference: no drawings to compare")
    n_plus = int(np.count_nonzero(a & ~b))
    n_minus = int(np.count_nonzero(~a & b))
    shares = np.array([n_plus, n - n_plus - n_minus, n_minus], dtype=np.float64) / n
    counts = np.random.default_rng(seed).multinomial(n, shares, size=n_boot)
    diffs = (counts[:, 0] - counts[:, 2]) / n
    tail = (1.0 - ci) / 2.0
    low, high = np.quantile(diffs, [tail, 1.0 - tail])
    return {
        "diff": (n_plus - n_minus) / n,
        "low": float(low),
        "high": float(high),
        "ci": float(ci),
        "n_boot": int(n_boot),
    }


def per_class_winners(
    y_true, pred_a, pred_b, classes: Sequence[str], names: Sequence[str] = ("a", "b")
) -> list[dict]:
    """Per-class top-1 accuracy of two models and which one wins each class.

    Args:
        y_true: array-like `(n,)` of ints. True class indices.
        pred_a: array-like `(n,)` of ints. Model a's predicted classes.
        pred_b: array-like `(n,)` of ints. Model b's predicted classes.
        classes: list of k str. Class names.
        names: pair of str. The models' names, used in `winner`. Defaults to `("a", "b")`.

    Returns:
        list of k dicts `{"class", "n", "acc_a", "acc_b", "winner"}` in class order; `winner` is
        a model name or `"tie"`; for a class with no drawing the accuracies are None and
        `winner` is `"-"`.

    Example:
    >>> per_class_winners([0, 0, 1], [0, 0, 0], [0, 1, 1], ["cat", "dog"])[0]
    {'class': 'cat', 'n': 2, 'acc_a': 1.0, 'acc_b': 0.5, 'winner': 'a'}
    """
    y = np.asarray(y_true, dtype=np.int64)
    pa = np.asarray(pred_a, dtype=np.int64)
    pb = np.asarray(pred_b, dtype=np.int64)
    k = len(classes)
    if not (y.shape == pa.shape == pb.shape) or y.ndim != 1:
        raise DataFormatError("per_class_winners: y_true, pred_a and pred_b must be (n,) alike")
    if y.size and (y.min() < 0 or y.max() >= k):
        raise DataFormatError(f"per_class_winners: labels outside the {k} classes")
    total = np.bincount(y, minlength=k)
    right_a = np.bincount(y[pa == y], minlength=k)
    right_b = np.bincount(y[pb == y], minlength=k)
    rows = []
    for i, name in enumerate(classes):
        if total[i] == 0:
            rows.append({"class": name, "n": 0, "acc_a": None, "acc_b": None, "winner": "-"})
            continue
        winner = (
            "tie" if right_a[i] == right_b[i] else names[0] if right_a[i] > right_b[i] else names[1]
        )
        rows.append(
            {
                "class": str(name),
                "n": int(total[i]),
                "acc_a": float(right_a[i] / total[i]),
                "acc_b": float(right_b[i] / total[i]),
                "winner": winner,
            }
        )
    return rows


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of p-values tested together (familywise error control).

    The i-th smallest of m p-values is multiplied by `m - i` (i from 0), the running maximum is
    taken so the order is kept, and values are capped at 1. Reject where the adjusted p < alpha.

    Args:
        p_values: list of floats in [0, 1].

    Returns:
        list of adjusted p-values, in the input order.

    Example:
    >>> [round(p, 6) for p in holm_adjust([0.01, 0.04, 0.03])]
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1 or (p.size and (np.nanmin(p) < 0 or np.nanmax(p) > 1)):
        raise DataFormatError("holm_adjust: p-values must be a list of numbers in [0, 1]")
    order = np.argsort(p, kind="stable")
    scaled = p[order] * (p.size - np.arange(p.size))
    adjusted = np.minimum(1.0, np.maximum.accumulate(scaled))
    out = np.empty_like(p)
    out[order] = adjusted
    return [float(x) for x in out]


def per_class_best(y_true, preds: Mapping[str, np.ndarray], classes: Sequence[str]) -> list[dict]:
    """Per-class top-1 accuracy of any number of models and which one wins each class.

    Args:
        y_true: array-like `(n,)` of ints. True class indices.
        preds: dict of model name to `(n,)` predicted classes.
        classes: list of k str. Class names.

    Returns:
        list of k dicts `{"class", "n", "acc": {model: accuracy}, "winner"}`; `winner` is the
        model with the highest accuracy, `"a = c"` when some share it, `"tie"` when all do, and
        `"-"` (accuracies None) for a class with no drawing.

    Example:
    >>> per_class_best([0, 0, 1], {"a": [0, 0, 0], "b": [0, 1, 1]}, ["cat", "dog"])[1]
    {'class': 'dog', 'n': 1, 'acc': {'a': 0.0, 'b': 1.0}, 'winner': 'b'}
    """
    y = np.asarray(y_true, dtype=np.int64)
    k = len(classes)
    if y.ndim != 1 or (y.size and (y.min() < 0 or y.max() >= k)):
        raise DataFormatError(f"per_class_best: labels must be (n,) within the {k} classes")
    total = np.bincount(y, minlength=k)
    right = {}
    for name, pred in preds.items():
        pred = np.asarray(pred, dtype=np.int64)
        if pred.shape != y.shape:
            raise DataFormatError(f"per_class_best: {name} has {pred.shape}, labels {y.shape}")
        right[name] = np.bincount(y[pred == y], minlength=k)
    rows = []
    for i, name in enumerate(classes):
        if total[i] == 0:
            rows.append({"class": str(name), "n": 0, "acc": dict.fromkeys(preds), "winner": "-"})
            continue
        acc = {m: float(r[i] / total[i]) for m, r in right.items()}
        best = [m for m, r in right.items() if r[i] == max(r[i] for r in right.values())]
        winner = (
            best[0] if len(best) == 1 else "tie" if len(best) == len(right) else " = ".join(best)
        )
        rows.append({"class": str(name), "n": int(total[i]), "acc": acc, "winner": winner})
    return rows

"""The paired comparison of two models scored on the same drawings.

`compare_predictions` is the pure core: from the test labels and each model's probabilities it
gives an `EvaluationReport` per model (plus their ensemble) and a `PairedComparison` (exact
McNemar test, paired bootstrap interval of the accuracy difference, per-class winners, verdict).
`write_report` writes report.json, report.md and the figures.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.evaluation import (
    EvaluationReport,
    check_predictions,
    evaluate_predictions,
    predicted_labels,
)
from seqdoodle.fileio import write_json, write_text

ALPHA = 0.05
DEFAULT_GRID = np.linspace(0.0, 1.0, 21)


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


# ----------------------------------------------------------------------------- tests


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


# ----------------------------------------------------------------------------- ensemble


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


# ----------------------------------------------------------------------------- the comparison


@dataclass
class PairedComparison:
    """Two models compared drawing by drawing on the same test split.

    Args:
        name_a: str. First model, e.g. `"cnn"`.
        name_b: str. Second model, e.g. `"rnn"`.
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
        m, bs = self.mcnemar, self.bootstrap
        pct = round(100 * bs["ci"])
        lines = [
            f"**{self.verdict}**",
            "",
            f"- drawings: {self.n}; only {self.name_a} right: {m['b']}, "
            f"only {self.name_b} right: {m['c']}; exact McNemar p = {format_p(m['p_value'])}",
            f"- top-1 {self.name_a} - {self.name_b}: {100 * bs['diff']:+.1f} points "
            f"({pct}% paired bootstrap CI {100 * bs['low']:+.1f} to {100 * bs['high']:+.1f}, "
            f"{bs['n_boot']} resamples)",
        ]
        if self.ensemble_weight is not None:
            lines.append(
                f"- ensemble: {self.ensemble_weight:.2f} x {self.name_a} + "
                f"{1 - self.ensemble_weight:.2f} x {self.name_b} ({self.ensemble_weight_source})"
            )
        wins = {self.name_a: 0, self.name_b: 0, "tie": 0}
        for row in self.per_class:
            if row["winner"] in wins:
                wins[row["winner"]] += 1
        lines += [
            f"- classes won: {self.name_a} {wins[self.name_a]}, {self.name_b} "
            f"{wins[self.name_b]}, tied {wins['tie']}",
            "",
            f"| class | n | {self.name_a} | {self.name_b} | winner |",
            "| --- | ---: | ---: | ---: | --- |",
        ]
        for row in self.per_class:
            lines.append(
                f"| {row['class']} | {row['n']} | {_pct(row['acc_a'])} | {_pct(row['acc_b'])} "
                f"| {row['winner']} |"
            )
        return "\n".join(lines) + "\n"


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def format_p(p: float) -> str:
    """A p-value for text: three decimals, or scientific notation below 0.001.

    Example:
    >>> format_p(0.0021), format_p(3.2e-7)
    ('0.002', '3.2e-07')
    """
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def verdict_text(name_a: str, name_b: str, mcnemar: dict, bootstrap: dict, alpha=ALPHA) -> str:
    """One sentence stating which model is better, decided by the exact McNemar test at `alpha`.

    Example:
    >>> verdict_text("cnn", "rnn", {"p_value": 0.002}, {"diff": -0.031, "low": -0.05,
    ...     "high": -0.012, "ci": 0.95})
    'rnn is better than cnn by 3.1 points top-1 (95% CI 1.2 to 5.0, McNemar p=0.002)'
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
            f"({pct}% CI {100 * lo:.1f} to {100 * hi:.1f}, McNemar p={format_p(p)})"
        )
    return (
        f"no significant difference between {name_a} and {name_b} at alpha={alpha:g}: "
        f"{name_a} - {name_b} = {100 * diff:+.1f} points top-1 ({pct}% CI "
        f"{100 * bootstrap['low']:+.1f} to {100 * bootstrap['high']:+.1f}, "
        f"McNemar p={format_p(p)})"
    )


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
    """Compare two models on the same test drawings and score their ensemble.

    Args:
        y_true: array-like `(n,)` of ints. Test labels.
        probs_by_model: dict of exactly two entries, model name to `(n, k)` test probabilities;
            the first is model a (e.g. `{"cnn": ..., "rnn": ...}`).
        classes: list of k str. Class names in column order.
        val: `(y_val, {name: (m, k) probs})` with both models' validation predictions, or None.
            The ensemble weight is fitted on it by log-loss; without it the weight is 0.5.
            Defaults to None.
        n_boot: int. Bootstrap resamples. Defaults to 2000.
        seed: int. Bootstrap seed. Defaults to 0.
        alpha: float. Significance level of the verdict. Defaults to 0.05.
        kinds: dict of model name to kind (`"cnn"`, `"rnn"`) or None. Defaults to None, which
            takes the name as the kind when the name is `"cnn"` or `"rnn"`.

    Returns:
        `(reports, paired)`: reports maps each model name and `"ensemble"` to an
        `EvaluationReport`; paired is the `PairedComparison`.

    Example:
    >>> y = np.array([0, 1, 1, 0])
    >>> pa = np.eye(2)[[0, 1, 0, 0]]
    >>> pb = np.eye(2)[[0, 1, 1, 1]]
    >>> reports, paired = compare_predictions(y, {"cnn": pa, "rnn": pb}, ["cat", "dog"])
    >>> sorted(reports), paired.mcnemar["b"], paired.mcnemar["c"]
    (['cnn', 'ensemble', 'rnn'], 1, 1)
    """
    if len(probs_by_model) != 2:
        raise DataFormatError(
            f"compare needs exactly two models, got {len(probs_by_model)}: {list(probs_by_model)}"
        )
    (name_a, probs_a), (name_b, probs_b) = probs_by_model.items()
    if "ensemble" in (name_a, name_b):
        raise DataFormatError("model names must not be 'ensemble' (reserved for their ensemble)")
    shape_a, shape_b = np.shape(probs_a), np.shape(probs_b)
    if shape_a != shape_b:
        raise DataFormatError(f"{name_a} and {name_b} probs differ in shape: {shape_a}, {shape_b}")
    y, pa = check_predictions(y_true, probs_a, where=f"{name_a} test predictions")
    _, pb = check_predictions(y, probs_b, where=f"{name_b} test predictions")
    if val is None:
        weight, source = 0.5, "fixed at 0.5: no validation predictions given"
    else:
        y_val, val_probs = val
        missing = [m for m in (name_a, name_b) if m not in val_probs]
        if missing:
            raise DataFormatError(f"validation predictions lack model(s) {', '.join(missing)}")
        weight = fit_ensemble_weight(y_val, val_probs[name_a], val_probs[name_b])
        source = f"fitted on {len(y_val)} validation drawings by log-loss"
    pe = ensemble_probs(pa, pb, weight)
    kinds = dict(kinds or {})
    for name in (name_a, name_b):
        kinds.setdefault(name, name if name in ("cnn", "rnn") else None)
    reports = {
        name_a: evaluate_predictions(y, pa, classes, name=name_a, kind=kinds[name_a]),
        name_b: evaluate_predictions(y, pb, classes, name=name_b, kind=kinds[name_b]),
        "ensemble": evaluate_predictions(y, pe, classes, name="ensemble", kind="ensemble"),
    }
    pred_a, pred_b = predicted_labels(pa), predicted_labels(pb)
    correct_a, correct_b = pred_a == y, pred_b == y
    mcnemar = mcnemar_exact(correct_a, correct_b)
    boot = bootstrap_accuracy_difference(correct_a, correct_b, n_boot=n_boot, seed=seed)
    paired = PairedComparison(
        name_a=name_a,
        name_b=name_b,
        n=int(y.size),
        mcnemar=mcnemar,
        bootstrap=boot,
        per_class=per_class_winners(y, pred_a, pred_b, reports[name_a].classes, (name_a, name_b)),
        ensemble_weight=float(weight),
        ensemble_weight_source=source,
        verdict=verdict_text(name_a, name_b, mcnemar, boot, alpha),
        alpha=alpha,
    )
    return reports, paired


# ----------------------------------------------------------------------------- writing


def figure_name(stem: str, model: str) -> str:
    """A safe PNG file name for a model's figure, e.g. `confusion_cnn.png`."""
    return f"{stem}_{re.sub(r'[^A-Za-z0-9_.-]+', '-', model)}.png"


def write_report(
    out_dir,
    reports: Mapping[str, EvaluationReport],
    paired: PairedComparison,
    extra: dict | None = None,
    figures: Mapping | None = None,
) -> dict[str, Path]:
    """Write report.json, report.md and the figures of a comparison into `out_dir`.

    Figures: `confusion_<model>.png` for every report and `per_class_accuracy.png`; `figures`
    adds more (e.g. wrong-prediction grids made with `plots.evaluation.plot_wrong_predictions`),
    saved under their given file names. Every file is written atomically.

    Args:
        out_dir: str or Path. Output folder; created if needed.
        reports: dict of model name to `EvaluationReport` (as from `compare_predictions`).
        paired: `PairedComparison`.
        extra: dict or None. More JSON-ready entries for report.json (e.g. dataset, runs).
            Defaults to None.
        figures: dict of file name (`*.png`) to matplotlib Figure, or None. Defaults to None.

    Returns:
        dict from a short key (`"json"`, `"markdown"`, figure file names) to the written path.
    """
    from seqdoodle.plots import save_figure
    from seqdoodle.plots.evaluation import plot_confusion_matrix, plot_per_class_accuracy

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    extra = dict(extra or {})
    clash = {"models", "paired"} & set(extra)
    if clash:
        raise DataFormatError(f"{out}: extra report entries may not be named {sorted(clash)}")
    written: dict[str, Path] = {}
    confusion_files = {}
    for name, report in reports.items():
        fname = figure_name("confusion", name)
        fig = plot_confusion_matrix(
            report.confusion, report.classes, title=f"{name}: confusion (rows: true class)"
        )
        save_figure(fig, out / fname)
        confusion_files[name] = written[fname] = out / fname
    first = next(iter(reports.values()))
    fig = plot_per_class_accuracy({n: r.per_class for n, r in reports.items()}, first.classes)
    save_figure(fig, out / "per_class_accuracy.png")
    written["per_class_accuracy.png"] = out / "per_class_accuracy.png"
    for fname, fig in (figures or {}).items():
        if Path(fname).name != fname or not fname.endswith(".png"):
            raise DataFormatError(f"{out}: figure name {fname!r} must be a plain *.png file name")
        save_figure(fig, out / fname)
        written[fname] = out / fname

    doc = {
        "models": {name: r.to_json() for name, r in reports.items()},
        "paired": paired.to_json(),
        **extra,
    }
    write_json(out / "report.json", doc)
    written["json"] = out / "report.json"
    text = report_markdown(reports, paired, [p.name for k, p in written.items() if k != "json"])
    write_text(out / "report.md", text)
    written["markdown"] = out / "report.md"
    return written


def report_markdown(
    reports: Mapping[str, EvaluationReport], paired: PairedComparison, figure_files=()
) -> str:
    """The text of report.md: results table, verdict, per-class table and figure links."""
    lines = [
        f"# {paired.name_a} vs {paired.name_b} on {paired.n} test drawings",
        "",
        "| model | top-1 | top-3 | MAP@3 | macro-F1 | ECE | batch-1 p50 | params |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in reports.items():
        lat = f"{r.latency_ms['batch1_p50']:.2f} ms" if r.latency_ms else "-"
        params = f"{r.n_params:,}" if r.n_params is not None else "-"
        lines.append(
            f"| {name} | {_num_pct(r.top1)} | {_num_pct(r.top3)} | {_num(r.map3)} | "
            f"{_num(r.macro_f1)} | {_num(r.ece)} | {lat} | {params} |"
        )
    lines += ["", "## Verdict", "", paired.to_markdown()]
    if figure_files:
        lines += ["## Figures", ""]
        lines += [f"![{Path(f).stem}]({f})" for f in figure_files]
    return "\n".join(lines) + "\n"


def _num_pct(x) -> str:
    return "-" if x is None or math.isnan(x) else f"{100 * x:.1f}%"


def _num(x) -> str:
    return "-" if x is None or math.isnan(x) else f"{x:.4f}"

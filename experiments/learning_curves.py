"""Learning curves: nested training subsets of a prepared dataset, a saturating power law fitted
to error against training data, where two curves cross, a bootstrap of both, and the figure.

`nested_train_rows` picks a seeded, nested subsample of every class's training drawings and
`subset_dataset` writes it as a prepared dataset with all validation and test drawings.

The form is `err(n) = a * (n / 100)^(-b) + c` for n training drawings per class (a >= 0,
0.02 <= b <= 3, 0 <= c <= 1): a power-law fall towards a floor `c`. `fit_power_law` solves it by
least squares (for each b on a grid the best (a, c) within the bounds is exact, a linear problem;
scipy's `curve_fit` polishes the best when scipy is installed); `fit_log_linear` is the simpler
check `err = alpha + beta * ln(n / 100)`. `find_crossing` follows the gap between two curves;
`bootstrap` resamples test drawings and seeds and refits. Numpy only (scipy optional).

Example:
>>> fit = fit_power_law([150, 300, 600, 1372], power_law([150, 300, 600, 1372], 0.3, 0.7, 0.1))
>>> round(fit["b"], 2), round(fit["c"], 2)
(0.7, 0.1)
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np


def nested_train_rows(labels, splits, per_class: int | None, seed: int) -> np.ndarray:
    """The training rows of a nested, seeded subsample with at most `per_class` per class.

    Args:
        labels: `(N,) int` class of each row. splits: `(N,) uint8` split (0 = train).
        per_class: int or None. Training drawings per class; None keeps all.
        seed: int. The same seed gives the same order, so smaller sizes are prefixes.

    Returns:
        `(n,) int64` row indices, sorted.

    Example:
    >>> nested_train_rows(np.array([0, 0, 0, 1, 1]), np.zeros(5, np.uint8), 1, 0).size
    2
    """
    labels, splits = np.asarray(labels), np.asarray(splits)
    chosen = []
    for position in np.unique(labels):
        train = np.flatnonzero((labels == position) & (splits == 0))
        order = np.random.default_rng([seed, int(position)]).permutation(train)
        chosen.append(order[:per_class])
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, np.int64)


def subset_dataset(full, per_class: int, seed: int, out: Path):
    """A prepared dataset of `full` with the nested training subsample and all val/test rows."""
    from seqdoodle.datasets.prepared import DatasetWriter, PreparedDataset
    from seqdoodle.fileio import sha256_file

    of = sha256_file(Path(full.path) / "manifest.json")
    args = {"subset_of_manifest_sha256": of, "per_class_train": per_class, "seed": seed}
    if (out / "manifest.json").exists():
        ds = PreparedDataset(out, verify=False)
        if ds.manifest.get("args", {}).get("subset_of_manifest_sha256") == of:
            return ds
        (out / "manifest.json").unlink()  # made from another dataset: made again below
    keep_train = nested_train_rows(full.labels, full.splits, per_class, seed)
    keep = np.union1d(keep_train, np.flatnonzero(full.splits != 0))
    writer = DatasetWriter(out, full.classes, full.has_strokes, full.size, args)
    counts = {s: {} for s in ("train", "val", "test")}
    for position, name in enumerate(full.classes):
        rows = keep[full.labels[keep] == position]
        splits = np.asarray(full.splits[rows])
        for code, split in enumerate(counts):
            counts[split][name] = int((splits == code).sum())
        points = [full.points_of(int(i)) for i in rows] if full.has_strokes else None
        writer.write_part(
            position, np.asarray(full.bitmaps[rows]), splits, full.source_index[rows], points
        )
    writer.finalize({"args": {**args, "source": f"subset of {full.path}"}, "counts": counts})
    return PreparedDataset(out)


N0 = 100.0
N_MAX = 1e6  # a crossing beyond this many drawings per class counts as none
B_GRID = np.geomspace(0.02, 3.0, 600)


def power_law(n, a: float, b: float, c: float):
    """`a * (n / 100)^(-b) + c` for `n` drawings per class (float or array)."""
    return a * (np.asarray(n, dtype=float) / N0) ** (-b) + c


def fit_power_law(n, err, polish: bool = True) -> dict:
    """Least-squares fit of `power_law` to points `(n, err)` within its bounds.

    Args:
        n: array of float. Drawings per class of each point. err: array of float. Its error.
        polish: bool. Refine with `scipy.optimize.curve_fit` when scipy is installed.

    Returns:
        dict: `a`, `b`, `c`, `rmse` (of the residuals) and `solver`.

    Raises:
        ValueError: fewer than 3 distinct sizes.

    Example:
    >>> fit = fit_power_law([100, 200, 400, 800], power_law([100, 200, 400, 800], 0.4, 0.5, 0.1))
    >>> round(fit["c"], 2)
    0.1
    """
    n, y = np.asarray(n, dtype=float), np.asarray(err, dtype=float)
    if np.unique(n).size < 3:
        raise ValueError(f"a power law needs 3+ distinct sizes, got {np.unique(n).size}")
    u = (n / N0)[None, :] ** -B_GRID[:, None]  # (grid, points)
    um, ym = u.mean(axis=1), y.mean()
    var = ((u - um[:, None]) ** 2).sum(axis=1)
    a_free = ((u - um[:, None]) * (y - ym)).sum(axis=1) / np.maximum(var, 1e-300)
    uu = (u * u).sum(axis=1)
    candidates = [  # (a, c): the free optimum, then the best on each edge of the bounds
        (a_free, ym - a_free * um),
        (np.zeros_like(um), np.full_like(um, np.clip(ym, 0, 1))),
        (np.maximum(0, (u * y).sum(axis=1) / uu), np.zeros_like(um)),
        (np.maximum(0, (u * (y - 1)).sum(axis=1) / uu), np.ones_like(um)),
    ]
    best = (np.inf, 0.0, 1.0, 0.0)
    for a, c in candidates:
        sse = ((y - a[:, None] * u - c[:, None]) ** 2).sum(axis=1)
        sse[(a < 0) | (c < 0) | (c > 1)] = np.inf
        i = int(np.argmin(sse))
        if sse[i] < best[0]:
            best = (sse[i], float(a[i]), float(B_GRID[i]), float(c[i]))
    _, a, b, c = best
    solver = "grid over b, exact (a, c)"
    if polish:
        try:
            from scipy.optimize import curve_fit
        except ImportError:
            pass
        else:
            try:
                lo, hi = [0.0, B_GRID[0], 0.0], [np.inf, B_GRID[-1], 1.0]
                start = np.clip([a, b, c], [0, B_GRID[0], 0], [1e6, B_GRID[-1], 1])
                (a2, b2, c2), _ = curve_fit(power_law, n, y, p0=start, bounds=(lo, hi))
                if ((y - power_law(n, a2, b2, c2)) ** 2).sum() <= best[0]:
                    a, b, c, solver = float(a2), float(b2), float(c2), "scipy curve_fit"
            except (RuntimeError, ValueError):
                pass
    rmse = float(np.sqrt(np.mean((y - power_law(n, a, b, c)) ** 2)))
    return {"a": a, "b": b, "c": c, "rmse": rmse, "solver": solver}


def fit_log_linear(n, err) -> dict:
    """Least squares `err = alpha + beta * ln(n / 100)`: dict `alpha`, `beta`, `rmse`."""
    x, y = np.log(np.asarray(n, dtype=float) / N0), np.asarray(err, dtype=float)
    beta, alpha = np.polyfit(x, y, 1)
    rmse = float(np.sqrt(np.mean((y - alpha - beta * x) ** 2)))
    return {"alpha": float(alpha), "beta": float(beta), "rmse": rmse}


def log_linear(n, alpha: float, beta: float):
    return alpha + beta * np.log(np.asarray(n, dtype=float) / N0)


def find_crossing(err_bitmap, err_stroke, lo: float, hi: float = N_MAX) -> dict:
    """Where the stroke model's error first falls to the bitmap model's, between `lo` and `hi`.

    Args:
        err_bitmap, err_stroke: callables, drawings per class -> error.
        lo, hi: float. The range of n searched. `hi` defaults to `N_MAX`.

    Returns:
        dict: `status` ("crosses", "none": behind up to `hi`, or "stroke_ahead": ahead at `lo`)
        and `n_star` (float, or None).

    Example:
    >>> find_crossing(lambda n: 0.1 + 0 * n, lambda n: 10 / n, 1.0)["n_star"]  # doctest: +ELLIPSIS
    100.0...
    """
    grid = np.geomspace(lo, hi, 4001)
    gap = err_stroke(grid) - err_bitmap(grid)
    if gap[0] <= 0:
        return {"status": "stroke_ahead", "n_star": None}
    below = np.flatnonzero(gap <= 0)
    if not below.size:
        return {"status": "none", "n_star": None}
    left, right = math.log(grid[below[0] - 1]), math.log(grid[below[0]])
    for _ in range(60):
        mid = (left + right) / 2
        if err_stroke(math.exp(mid)) - err_bitmap(math.exp(mid)) > 0:
            left = mid
        else:
            right = mid
    return {"status": "crosses", "n_star": math.exp(right)}


def bootstrap(correct: dict, x: dict, kinds, pair, replicates: int, seed: int) -> dict:
    """Bootstrap the fits and the crossing.

    Args:
        correct: dict (kind, size) -> `(seeds, test drawings) bool`, right or wrong per drawing.
        x: dict size -> drawings per class. kinds: the kinds to fit. pair: (bitmap, stroke).
        replicates: int. seed: int.

    Returns:
        dict: per kind the 95% intervals of `a`, `b`, `c`; for the pair `n_star` interval
        (`None` for beyond `N_MAX`), `share_crossing`, `share_stroke_ahead`.
    """
    rng = np.random.default_rng(seed)
    n_test = next(iter(correct.values())).shape[1]
    params = {k: [] for k in kinds}
    stars, statuses = [], []
    for _ in range(replicates):
        drawings = rng.integers(0, n_test, n_test)
        fits = {}
        for kind in kinds:
            n, err = [], []
            for (k, size), c in correct.items():
                if k == kind:
                    seeds = rng.integers(0, c.shape[0], c.shape[0])
                    err += list(1 - c[seeds][:, drawings].mean(axis=1))
                    n += [x[size]] * len(seeds)
            fits[kind] = fit_power_law(n, err, polish=False)
            params[kind].append([fits[kind][p] for p in "abc"])
        bitmap, stroke = (fits[k] for k in pair)
        found = find_crossing(curve(bitmap), curve(stroke), min(x.values()))
        statuses.append(found["status"])
        stars.append(found["n_star"] if found["status"] == "crosses" else np.inf)
    lo, hi = np.quantile(stars, [0.025, 0.975], method="inverted_cdf")
    return {
        "replicates": replicates,
        "params_95": {
            k: {
                p: np.quantile(np.array(v)[:, i], [0.025, 0.975]).round(4).tolist()
                for i, p in enumerate("abc")
            }
            for k, v in params.items()
        },  # fmt: skip
        "n_star_95": [None if not np.isfinite(v) else round(float(v)) for v in (lo, hi)],
        "share_crossing": statuses.count("crosses") / replicates,
        "share_stroke_ahead": statuses.count("stroke_ahead") / replicates,
    }


def curve(fit: dict):
    """A power-law fit as a function of n."""
    return lambda n: power_law(n, fit["a"], fit["b"], fit["c"])


def line(fit: dict):
    """A log-linear fit as a function of n."""
    return lambda n: log_linear(n, fit["alpha"], fit["beta"])


def describe_crossing(fits: dict, crossing: dict, gap: float, n_hi: float) -> str:
    """The answer in words: the measured gap at the largest size `n_hi` (stroke minus bitmap
    error), where the power laws cross (`crossing`, with its bootstrap) or why they do not, and
    the log-linear check."""
    b, s, pl = crossing["bitmap"], crossing["stroke"], crossing["power_law"]
    boot, ll = crossing["bootstrap"], crossing["log_linear"]
    lo, hi = boot["n_star_95"]
    span = f"{lo:,} to {f'{hi:,}' if hi else f'beyond {N_MAX:,.0f}'}" if lo else "none"
    share = f"{100 * boot['share_crossing']:.0f}% of {boot['replicates']} bootstrap replicates"
    text = (
        f"At {n_hi:,.0f} training drawings per class the {s} model's test error is "
        f"{100 * abs(gap):.1f} points {'above' if gap > 0 else 'below'} the {b}'s. "
    )
    if pl["status"] == "crosses":
        where = "inside" if pl["n_star"] <= n_hi else "beyond"
        text += (
            f"The fitted power laws cross {where} the measured range, at about "
            f"{pl['n_star']:,.0f} drawings per class (95% interval {span}; {share} cross below "
            f"{N_MAX:,.0f})"
            + (": an extrapolation of a weak fit, a hint rather than a measurement. " if where
               == "beyond" else ". ")
        )  # fmt: skip
    elif pl["status"] == "none":
        cs, cb = fits[s]["power_law"]["c"], fits[b]["power_law"]["c"]
        text += (
            f"The fitted power laws do not cross below {N_MAX:,.0f} drawings per class: the "
            f"{s} model's fitted floor is {100 * cs:.1f}% error against the {b}'s {100 * cb:.1f}%"
            + (" (a higher floor: on this trend it never catches up)" if cs > cb else "")
            + f"; {share} cross (95% interval of n*: {span}). "
        )
    else:
        text += f"The {s} model is ahead already at the smallest size. "
    if ll["status"] == "crosses":
        text += f"The log-linear check (no floor) crosses at {ll['n_star']:,.0f} per class."
    else:
        text += f"The log-linear check (no floor) does not cross ({ll['status']})."
    return text


def plot_curves(records, fits, crossing, kinds, title: str):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    n_lo, n_hi = min(r["per_class"] for r in records), max(r["per_class"] for r in records)
    star = crossing["power_law"]["n_star"] or 0
    grid = np.geomspace(n_lo / 1.5, min(N_MAX, max(8 * n_hi, 2 * star)), 300)
    for i, kind in enumerate(kinds):
        color = f"C{i}"
        mine = [r for r in records if r["kind"] == kind]
        for seed in sorted({r["seed"] for r in mine}):
            pts = [r for r in mine if r["seed"] == seed]
            ax.plot([r["per_class"] for r in pts], [100 * r["error"] for r in pts],
                    "os^dv"[seed % 5], color=color, ms=5, alpha=0.8, ls="none")  # fmt: skip
        pl, ll = fits[kind]["power_law"], fits[kind]["log_linear"]
        if pl:
            ax.plot(grid, 100 * curve(pl)(grid), color=color, label=f"{kind}: {formula(pl)}")
        ax.plot(grid, 100 * line(ll)(grid), ":", color=color, lw=1, label=f"{kind}: log-linear")
    lo, hi = crossing["bootstrap"]["n_star_95"]
    if lo is not None:
        ax.axvspan(lo, hi or grid[-1], color="0.5", alpha=0.15, label="95% interval of n*")
    if star:
        ax.axvline(star, color="0.3", lw=1, ls="--", label=f"n* = {star:,.0f}")
    ax.axvline(n_hi, color="0.6", lw=0.8)
    ax.set(xscale="log", xlabel="training drawings per class", ylabel="test error (%)",
           title=title, ylim=(0, None))  # fmt: skip
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return fig


def formula(fit: dict) -> str:
    return f"{fit['a']:.2f}(n/100)^-{fit['b']:.2f} + {fit['c']:.2f}"

"""Early recognition: how well a model recognises a drawing from its beginning only.

Google's game guesses while the player draws. To measure that offline, every test drawing is cut
to a prefix in drawing order (its first 10%, 20%, ..., 100% of points, or its first k strokes),
the prefix is normalised as the prediction server normalises the live page's drawing in progress
(the page sends raw strokes; the server puts them through Google's simplification,
`simplify_strokes`: aligned to the top-left corner, longer side 255, resampled, Ramer-Douglas-
Peucker), and each model predicts the prefix.
The result is a curve of top-1 / top-3 accuracy over the fraction drawn, per model and for their
ensemble.

```python
result = evaluate_partial({"cnn": cnn_run, "rnn": rnn_run}, drawings, labels)
result["fractions"], result["models"]["cnn"]      # [0.1, ..., 1.0], [top-1 at each fraction]
plot_partial(result)
```
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.evaluation.ensembles import DEFAULT_POOL, check_pool, pool_probs

FRACTIONS = tuple(round(0.1 * i, 1) for i in range(1, 11))
MAX_STROKES = 5
TARGET_MAX = 255.0


def normalize_drawing(strokes, fmt: str = "auto") -> list:
    """A drawing (complete or in progress) in Google's simplified format.

    Raw strokes (with times, or coordinates that are not integers 0..255) go through Google's
    simplification (`simplify_strokes`: align, scale, resample, Ramer-Douglas-Peucker). Simplified
    strokes (such as a prefix of a simplified drawing) are aligned to the top-left corner and
    scaled uniformly so that the longer side spans 0..255, then rounded (a drawing whose points
    all coincide stays at 0); they are already simplified, so no point is added or dropped.

    Args:
        strokes: list. Strokes `[xs, ys]` or `[xs, ys, ts]`. Empty strokes are dropped.
        fmt: str. `"raw"`, `"simplified"` or `"auto"` (decided by the strokes). Defaults to "auto".

    Returns:
        list of strokes `[xs, ys]` of Python ints in 0..255.

    Raises:
        DataFormatError: malformed strokes, an unknown `fmt`, or no points at all.

    Example:
    >>> normalize_drawing([[[10, 20], [10, 15]], [[30], [12]]])
    [[[0, 128], [0, 64]], [[255], [26]]]
    """
    from seqdoodle.datasets.records import strokes_look_raw
    from seqdoodle.strokes.simplify import simplify_strokes

    if fmt not in ("auto", "raw", "simplified"):
        raise DataFormatError(f"format {fmt!r}: unknown; choose auto, raw or simplified")
    if isinstance(strokes, (str, bytes)) or not hasattr(strokes, "__len__"):
        raise DataFormatError(f"drawing must be a list of strokes, got {type(strokes).__name__}")
    if fmt == "raw" or (fmt == "auto" and strokes_look_raw(strokes)):
        return simplify_strokes(strokes)
    arrays = []
    for i, stroke in enumerate(strokes):
        if len(stroke) < 2 or len(stroke[0]) != len(stroke[1]):
            raise DataFormatError(f"stroke {i}: expected [xs, ys] of equal length")
        if len(stroke[0]):
            arrays.append(np.column_stack([stroke[0], stroke[1]]).astype(np.float64))
    if not arrays:
        raise DataFormatError("drawing has no points")
    every = np.concatenate(arrays)
    if not np.isfinite(every).all():
        raise DataFormatError("drawing has NaN or infinite coordinates")
    low = every.min(axis=0)
    extent = float((every - low).max())
    scale = TARGET_MAX / extent if extent > 0 else 1.0
    out = []
    for xy in arrays:
        ints = np.round((xy - low) * scale).astype(np.int64)
        out.append([ints[:, 0].tolist(), ints[:, 1].tolist()])
    return out


def point_prefix(strokes, fraction: float) -> list:
    """The first `ceil(fraction * n_points)` points of a drawing (at least one), in drawing order.

    Example:
    >>> point_prefix([[[0, 1, 2], [0, 1, 2]], [[5, 6], [5, 6]]], 0.6)
    [[[0, 1, 2], [0, 1, 2]]]
    """
    if not 0 < float(fraction) <= 1:
        raise DataFormatError(f"fraction {fraction}: must be in (0, 1]")
    strokes = [s for s in strokes if len(s[0])]
    total = sum(len(s[0]) for s in strokes)
    keep = max(1, math.ceil(round(float(fraction) * total, 9)))
    out = []
    for stroke in strokes:
        if keep <= 0:
            break
        take = min(keep, len(stroke[0]))
        out.append([list(stroke[0][:take]), list(stroke[1][:take])])
        keep -= take
    return out


def stroke_prefix(strokes, k: int) -> list:
    """The first `k` (non-empty) strokes of a drawing; all of them when it has fewer.

    Example:
    >>> len(stroke_prefix([[[0], [0]], [[1], [1]], [[2], [2]]], 2))
    2
    """
    if int(k) < 1:
        raise DataFormatError(f"k {k}: must be at least 1 stroke")
    return [s for s in strokes if len(s[0])][: int(k)]


def partial_drawings(drawings, fraction: float | None = None, n_strokes: int | None = None):
    """Prefixes of `Drawing` records, normalised as a drawing in progress, without their bitmap.

    Give exactly one of `fraction` (share of the points) and `n_strokes`. Raw drawings are
    simplified first, so a prefix is always a prefix of the simplified drawing; the prefix then
    goes through `simplify_strokes` again (`normalize_drawing(prefix, "raw")`), as the server
    treats the raw strokes the live page sends while the player draws.

    Returns:
        list of `Drawing` with `fmt="simplified"`, `bitmap=None` (a bitmap model renders the
        prefix).
    """
    if (fraction is None) == (n_strokes is None):
        raise DataFormatError("give exactly one of fraction and n_strokes")
    out = []
    for i, drawing in enumerate(drawings):
        if not drawing.strokes:
            who = drawing.source or f"drawing {i}"
            raise DataFormatError(f"{who}: has no strokes; partial drawings need strokes")
        strokes = normalize_drawing(drawing.strokes, "raw" if drawing.fmt == "raw" else "auto")
        if n_strokes is None:
            cut = point_prefix(strokes, fraction)
        else:
            cut = stroke_prefix(strokes, n_strokes)
        out.append(
            dataclasses.replace(
                drawing, strokes=normalize_drawing(cut, "raw"), bitmap=None, fmt="simplified"
            )
        )
    return out


def _topk(probs: np.ndarray, y: np.ndarray, k: int) -> float:
    if len(y) == 0:
        return float("nan")
    k = min(k, probs.shape[1])
    top = np.argpartition(-probs, k - 1, axis=1)[:, :k]
    return float((top == y[:, None]).any(axis=1).mean())


def _aligned(run, classes: list[str], drawings) -> np.ndarray:
    probs = np.asarray(run.predict_proba(drawings), np.float32)
    if list(run.classes) == classes:
        return probs
    position = {c: i for i, c in enumerate(run.classes)}
    return probs[:, [position[c] for c in classes]]


def evaluate_partial(
    runs: Mapping,
    drawings: Sequence,
    labels: Sequence[str] | None = None,
    fractions: Sequence[float] = FRACTIONS,
    max_strokes: int = MAX_STROKES,
    weights: Mapping[str, float] | None = None,
    progress=None,
    pool: str = DEFAULT_POOL,
) -> dict:
    """Top-1 and top-3 accuracy of each run (and their ensemble) on prefixes of drawings.

    Args:
        runs: mapping name -> `seqdoodle.runs.folder.Run` (anything with `classes` and
            `predict_proba(drawings)`). All runs must have the same classes (in any order).
        drawings: list of `Drawing` with strokes.
        labels: list of str or None. The class of each drawing; None takes `Drawing.word`.
        fractions: sequence of float in (0, 1]. Shares of the points. Defaults to 0.1 ... 1.0.
        max_strokes: int. Curves over the first 1 ... `max_strokes` strokes (0 for none).
            Defaults to 5.
        weights: mapping name -> float or None. Ensemble weights (normalised here); None: equal.
            The ensemble (`"ensemble"`) is scored when there are two runs or more.
        progress: callable or None. Called with a short text before each prefix. Defaults to None.
        pool: str. How the ensemble pools the runs' probabilities (`seqdoodle.evaluation.ensembles`:
            `"log"` or `"linear"`). Defaults to `"log"`.

    Returns:
        dict: `{"fractions": [...], "models": {name: [top1, ...]}, "top3": {name: [...]},
        "strokes": {"k": [1, ...], "models": {...}, "top3": {...}}, "n_drawings": n,
        "weights": {name: w} | None, "pool": str | None}` (None with one run).

    Raises:
        DataFormatError: no run, runs with different classes, a label no run knows, weights
            naming unknown runs, or drawings without strokes.
    """
    runs = dict(runs)
    if not runs:
        raise DataFormatError("evaluate_partial: give at least one run")
    drawings = list(drawings)
    if not drawings:
        raise DataFormatError("evaluate_partial: no drawings to score")
    names = list(runs)
    classes = list(runs[names[0]].classes)
    for name in names[1:]:
        if sorted(runs[name].classes) != sorted(classes):
            raise DataFormatError(f"run {name!r}: its classes differ from those of {names[0]!r}")
    labels = [d.word for d in drawings] if labels is None else list(labels)
    index = {c: i for i, c in enumerate(classes)}
    unknown = sorted({c for c in labels if c not in index})
    if unknown:
        raise DataFormatError(f"label {unknown[0]!r}: not a class of the runs")
    y = np.array([index[c] for c in labels], np.int64)
    w = _weights(names, weights)
    check_pool(pool)
    fractions = [float(f) for f in fractions]
    with_ensemble = len(names) > 1
    keys = names + (["ensemble"] if with_ensemble else [])

    def score(prefixes, label):
        if progress is not None:
            progress(label)
        probs = {n: _aligned(runs[n], classes, prefixes) for n in names}
        if with_ensemble:
            probs["ensemble"] = pool_probs([probs[n] for n in names], [w[n] for n in names], pool)
        return {n: (_topk(probs[n], y, 1), _topk(probs[n], y, 3)) for n in keys}

    by_fraction = [
        score(partial_drawings(drawings, fraction=f), f"{f:.0%} of points") for f in fractions
    ]
    ks = list(range(1, int(max_strokes) + 1))
    by_strokes = [score(partial_drawings(drawings, n_strokes=k), f"first {k} strokes") for k in ks]
    return {
        "fractions": fractions,
        "models": {n: [round(s[n][0], 6) for s in by_fraction] for n in keys},
        "top3": {n: [round(s[n][1], 6) for s in by_fraction] for n in keys},
        "strokes": {
            "k": ks,
            "models": {n: [round(s[n][0], 6) for s in by_strokes] for n in keys},
            "top3": {n: [round(s[n][1], 6) for s in by_strokes] for n in keys},
        },
        "n_drawings": len(drawings),
        "weights": {n: round(w[n], 6) for n in names} if with_ensemble else None,
        "pool": pool if with_ensemble else None,
    }


def _weights(names: list[str], weights) -> dict[str, float]:
    if weights is None:
        return {n: 1.0 / len(names) for n in names}
    extra = [n for n in weights if n not in names]
    if extra:
        raise DataFormatError(f"ensemble weight for {extra[0]!r}: no such run")
    raw = {n: float(weights.get(n, 0.0)) for n in names}
    if any(v < 0 or not math.isfinite(v) for v in raw.values()) or sum(raw.values()) <= 0:
        raise DataFormatError(f"ensemble weights {raw}: need finite, non-negative, not all zero")
    total = sum(raw.values())
    return {n: v / total for n, v in raw.items()}


def dataset_drawings(ds, rows=None, limit: int | None = None, seed: int = 0):
    """`Drawing` records of rows of a prepared dataset (default: its test split), for prefixes.

    Args:
        ds: `PreparedDataset` with strokes.
        rows: array-like of int or None. Defaults to the test split.
        limit: int or None. A seeded sample of at most this many rows (sorted). Defaults to None.
        seed: int. Seed of the sample. Defaults to 0.

    Returns:
        list of `Drawing`.
    """
    if not ds.has_strokes:
        raise DataFormatError(
            f"{ds.path}: prepared from bitmaps only; partial drawings need strokes"
        )
    rows = ds.indices("test") if rows is None else np.asarray(rows, np.int64)
    if limit is not None and len(rows) > int(limit):
        rows = np.sort(np.random.default_rng(seed).choice(rows, int(limit), replace=False))
    return list(ds.drawings(rows))


def plot_partial(result: dict, title: str | None = None):
    """Early-recognition curves: top-1 (solid) and top-3 (dashed) over the share of points drawn,
    and top-1 over the first k strokes. Returns the matplotlib Figure."""
    from matplotlib.figure import Figure

    strokes = result.get("strokes") or {}
    two = bool(strokes.get("k"))
    fig = Figure(figsize=(11 if two else 6, 4))
    axes = fig.subplots(1, 2 if two else 1, squeeze=False)
    ax = axes[0, 0]
    x = [100 * f for f in result["fractions"]]
    for i, (name, top1) in enumerate(result["models"].items()):
        colour = f"C{i}"
        ax.plot(x, [100 * v for v in top1], "o-", color=colour, label=f"{name} top-1")
        top3 = (result.get("top3") or {}).get(name)
        if top3:
            ax.plot(
                x, [100 * v for v in top3], "--", color=colour, alpha=0.6, label=f"{name} top-3"
            )
    ax.set(xlabel="share of the drawing's points (%)", ylabel="accuracy (%)", ylim=(0, 101))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    if two:
        ax2 = axes[0, 1]
        for i, (name, top1) in enumerate(strokes["models"].items()):
            ax2.plot(strokes["k"], [100 * v for v in top1], "o-", color=f"C{i}", label=name)
        ax2.set(xlabel="first k strokes", ylabel="top-1 (%)", ylim=(0, 101), xticks=strokes["k"])
        ax2.grid(alpha=0.3)
        ax2.legend(fontsize=7, loc="lower right")
    fig.suptitle(title or f"early recognition ({result.get('n_drawings', '?')} drawings)")
    fig.tight_layout()
    return fig


def partial_markdown(result: dict) -> str:
    """A markdown table of the curves: one row per model, one column per fraction (top-1 %)."""
    from seqdoodle.reports import markdown_table, pct

    header = ["model", *[f"{f:.0%}" for f in result["fractions"]]]
    rows = [[name, *[pct(v) for v in top1]] for name, top1 in result["models"].items()]
    lines = [
        f"Top-1 on the first share of each drawing's points, in drawing order "
        f"({result['n_drawings']} drawings; each prefix normalised as a drawing in progress).",
        "",
        *markdown_table(header, rows),
    ]
    strokes = result.get("strokes") or {}
    if strokes.get("k"):
        header = ["model", *[f"{k} stroke{'s' if k > 1 else ''}" for k in strokes["k"]]]
        rows = [[n, *[pct(v) for v in top1]] for n, top1 in strokes["models"].items()]
        lines += ["", "Top-1 on the first k strokes:", "", *markdown_table(header, rows)]
    return "\n".join(lines) + "\n"


def partial_section(result: dict, figure: str = "partial.png"):
    """The report section of the curves: `report.json["partial"]`, a table and `partial.png`."""
    from seqdoodle.reports import Section

    return Section(
        key="partial",
        data=result,
        title="Early recognition",
        markdown=partial_markdown(result),
        figures={figure: plot_partial(result)},
    )

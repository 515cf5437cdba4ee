"""Number formatters and text / markdown tables shared by every report and command."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

MISSING = "-"


# ----------------------------------------------------------------------------- numbers


def is_missing(x) -> bool:
    """True for None and NaN (a number a report shows as `-`)."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def pct(x, digits: int = 1) -> str:
    """A fraction as a percentage: `pct(0.9125) == '91.2%'`; None and NaN give `-`.

    Example:
    >>> pct(0.5), pct(None), pct(float("nan"))
    ('50.0%', '-', '-')
    """
    return MISSING if is_missing(x) else f"{100 * x:.{digits}f}%"


def num(x, digits: int = 4) -> str:
    """A score with four decimals: `num(0.94) == '0.9400'`; None and NaN give `-`."""
    return MISSING if is_missing(x) else f"{x:.{digits}f}"


def points(x, digits: int = 1) -> str:
    """A difference of fractions in signed percentage points: `points(-0.031) == '-3.1'`."""
    return MISSING if is_missing(x) else f"{100 * x:+.{digits}f}"


def format_p(p: float) -> str:
    """A p-value for text: three decimals, or scientific notation below 0.001.

    Example:
    >>> format_p(0.0021), format_p(3.2e-7)
    ('0.002', '3.2e-07')
    """
    if is_missing(p):
        return MISSING
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def ms(x, digits: int = 2) -> str:
    """Milliseconds: `ms(1.234) == '1.23 ms'`."""
    return MISSING if is_missing(x) else f"{x:.{digits}f} ms"


def mib(n_bytes) -> str:
    """A size in MiB: `mib(3 * 2**20) == '3.00 MiB'`."""
    return MISSING if is_missing(n_bytes) else f"{n_bytes / 2**20:.2f} MiB"


def count(n) -> str:
    """An integer with thousands separators: `count(12345) == '12,345'`."""
    return MISSING if is_missing(n) else f"{int(n):,}"


def seconds(x) -> str:
    """Whole seconds: `seconds(12.6) == '13 s'`."""
    return MISSING if is_missing(x) else f"{x:.0f} s"


def fmt(value, spec: str, scale: float = 1, suffix: str = "", missing: str = MISSING) -> str:
    """Any number with a format spec, a scale and a suffix (`fmt(0.25, '.1f', 100, '%')`)."""
    if is_missing(value):
        return missing
    return f"{value * scale:{spec}}{suffix}"


# ----------------------------------------------------------------------------- tables


def markdown_table(header: Sequence[str], rows: Sequence[Sequence], align: str = "") -> list[str]:
    """A markdown table as lines; `align` holds `l` or `r` per column (default: first left,
    the rest right).

    Example:
    >>> markdown_table(["model", "top-1"], [["m", "90.0%"]])
    ['| model | top-1 |', '| --- | ---: |', '| m | 90.0% |']
    """
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---:" if a == "r" else "---" for a in align]
    return ["| " + " | ".join(str(c) for c in row) + " |" for row in [header, rule, *rows]]


def text_table(rows: Sequence[Sequence[str]], right: Sequence[bool] | None = None) -> str:
    """Rows of cells as aligned text columns (two spaces apart, no trailing blanks)."""
    rows = [[str(c) for c in row] for row in rows]
    n = max((len(r) for r in rows), default=0)
    widths = [max((len(r[i]) for r in rows if i < len(r)), default=0) for i in range(n)]
    right = list(right or [False] * n)
    lines = []
    for row in rows:
        cells = [
            f"{c:>{w}}" if right[i] else f"{c:<{w}}" for i, (c, w) in enumerate(zip(row, widths))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def per_class_table(per_class: Mapping, width: int = 100) -> str:
    """Per-class accuracies as a compact table, several `class  acc` cells to a line.

    Args:
        per_class: dict. Class name to accuracy in [0, 1] or None.
        width: int. Line width to fill. Defaults to 100.

    Returns:
        str, lines without a trailing newline; cells read down, then across.

    Example:
    >>> print(per_class_table({"cat": 0.5, "dog": None}, width=20))
    cat   50.0%
    dog       -
    """
    names = list(per_class)
    if not names:
        return ""
    name_width = max(len(n) for n in names)
    cell = name_width + 8  # name, space, "100.0%" right-aligned
    per_line = max(1, (width + 2) // (cell + 2))
    rows = math.ceil(len(names) / per_line)
    lines = []
    for r in range(rows):
        cells = [f"{n:<{name_width}} {pct(per_class[n]):>7}" for n in names[r::rows][:per_line]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def predictions_table(results: Sequence[Mapping]) -> str:
    """`predict` results as a text table: source, (word,) then one column per ranked class.

    Example:
    >>> print(predictions_table([{"source": "a.png", "word": None, "top": [("cat", 0.9)]}]))
    source  top-1
    a.png   cat 90.0%
    """
    if not results:
        return ""
    with_word = any(r.get("word") for r in results)
    k = max(len(r["top"]) for r in results)
    header = ["source", *(["word"] if with_word else []), *(f"top-{i + 1}" for i in range(k))]
    rows = [
        [
            str(r["source"]),
            *([r.get("word") or ""] if with_word else []),
            *(f"{c} {pct(p)}" for c, p in r["top"]),
        ]
        for r in results
    ]
    return text_table([header, *rows])


def model_order(report: Mapping) -> list[str]:
    """The models of a report.json in display order: the compared runs, then the ensembles."""
    models = report["models"]
    paired = report.get("paired") or {}
    order = [*report.get("order", []), paired.get("name_a"), paired.get("name_b"), "ensemble"]
    order = list(dict.fromkeys(n for n in order if n in models))
    return order + [n for n in models if n not in order]


def summary_table(report: Mapping) -> str:
    """The results of a comparison as a short text table plus the verdict line.

    Args:
        report: dict. As returned by `compare` (the contents of report.json).

    Returns:
        str: one header line, one line per model (top-1, top-3, MAP@3, macro-F1; the compared
        models first, then the ensemble), the verdict line; with three or more models the
        verdict of every pair and the best ensemble subset.

    Example:
    >>> r = {"models": {"m": {"top1": .9, "top3": .99, "map3": .94, "macro_f1": .9}},
    ...      "paired": {"verdict": "m wins"}}
    >>> print(summary_table(r))
    model       top-1   top-3   MAP@3  macro-F1
    m           90.0%   99.0%  0.9400    0.9000
    m wins
    """
    names = model_order(report)
    width = max([10, *map(len, names)])
    lines = [f"{'model':<{width}} {'top-1':>6} {'top-3':>7} {'MAP@3':>7} {'macro-F1':>9}"]
    for name in names:
        m = report["models"][name]
        lines.append(
            f"{name:<{width}} {pct(m.get('top1')):>6} {pct(m.get('top3')):>7} "
            f"{num(m.get('map3')):>7} {num(m.get('macro_f1')):>9}"
        )
    pairs = report.get("pairwise") or ()
    if len(pairs) > 1:  # every pair, Holm-adjusted
        lines += [p["verdict"] for p in pairs]
        ensembles = report.get("ensembles") or {}
        if ensembles.get("best"):
            text = ensemble_text(ensembles["best"], ensembles.get("pool"))
            lines.append(f"best ensemble on validation: {text}")
    else:
        lines.append(report["paired"]["verdict"])
    return "\n".join(lines)


def ensemble_text(ensemble: Mapping, pool: str | None = None) -> str:
    """An ensemble's `weights` as text: `0.60 x cnn + 0.40 x rnn` for the linear pool,
    `cnn^0.60 x rnn^0.40 (renormalised)` for the log pool.

    `pool` defaults to the ensemble's own `"pool"` entry, else `"linear"` (reports written before
    the log pool existed pooled linearly).

    Example:
    >>> ensemble_text({"weights": {"cnn": 0.6, "rnn": 0.4}}, pool="log")
    'cnn^0.60 x rnn^0.40 (renormalised)'
    """
    weights = ensemble["weights"].items()
    if (pool or ensemble.get("pool") or "linear") == "log":
        return " x ".join(f"{name}^{w:.2f}" for name, w in weights) + " (renormalised)"
    return " + ".join(f"{w:.2f} x {name}" for name, w in weights)

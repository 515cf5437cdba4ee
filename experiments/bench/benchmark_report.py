"""The benchmark's targets, ratios between its figures, and its plain-text table."""

from __future__ import annotations

TARGETS = {
    "prepare_peak_rss_mb": ("<=", 1536.0, "MB"),
    "render_drawings_per_s": (">=", 5000.0, "drawings/s"),
    "rnn_default_over_tutorial": (">=", 5.0, "x"),
    "cnn_default_samples_per_s": (">=", 1500.0, "samples/s"),
    "cnn_latency_p95_ms": ("<", 20.0, "ms"),
    "rnn_latency_p95_ms": ("<", 20.0, "ms"),
}
UNITS = {
    "_per_s": "per second (wall clock)",
    "_per_cpu_s": "per CPU-second of this process (all threads)",
    "_mb": "MB = 2**20 bytes",
    "_ms": "milliseconds",
    "_min": "minutes",
    "seconds": "seconds",
    "latency_ms.*.p50/p95": "milliseconds per call with one drawing, preprocessing included",
}


def targets(results: dict) -> list[dict]:
    """Each target with its measured value and whether it is met (None when not measured)."""
    speeds = results.get("train_samples_per_s", {})
    latency = results.get("latency_ms", {})
    values = {
        "prepare_peak_rss_mb": results.get("prepare_345x10k", {}).get("peak_rss_mb"),
        "render_drawings_per_s": max(
            [v for k, v in results.get("render", {}).items() if k.startswith("drawings_per_s")],
            default=None,
        ),
        "rnn_default_over_tutorial": results.get("ratios", {}).get("rnn_default_over_tutorial"),
        "cnn_default_samples_per_s": speeds.get("cnn_default"),
        "cnn_latency_p95_ms": latency.get("cnn", {}).get("p95"),
        "rnn_latency_p95_ms": latency.get("rnn", {}).get("p95"),
    }
    checks = {"<=": lambda v, t: v <= t, ">=": lambda v, t: v >= t, "<": lambda v, t: v < t}
    out = []
    for name, (op, target, unit) in TARGETS.items():
        value = values[name]
        met = None if value is None else bool(checks[op](value, target))
        out.append({"name": name, "target": f"{op} {target:g} {unit}", "value": value, "met": met})
    return out


def ratios(results: dict) -> dict:
    """rnn_default / rnn_tutorial and cnn_default / its 1,500 samples/s target."""
    speeds = results.get("train_samples_per_s") or {}
    out = {}
    if speeds.get("rnn_default") and speeds.get("rnn_tutorial"):
        out["rnn_default_over_tutorial"] = round(speeds["rnn_default"] / speeds["rnn_tutorial"], 2)
        detail = results.get("train_detail") or {}
        default = detail.get("rnn_default", {}).get("samples_per_cpu_s")
        tutorial = detail.get("rnn_tutorial", {}).get("samples_per_cpu_s")
        if default and tutorial:  # less sensitive to other processes than the wall-clock ratio
            out["rnn_default_over_tutorial_per_cpu_s"] = round(default / tutorial, 2)
    if speeds.get("cnn_default"):
        out["cnn_default_over_target"] = round(speeds["cnn_default"] / 1500.0, 2)
    if speeds.get("cnn_default") and speeds.get("cnn_baseline"):
        out["cnn_default_over_baseline"] = round(speeds["cnn_default"] / speeds["cnn_baseline"], 2)
    return out


def table(results: dict) -> str:
    """The figures as a plain-text table."""
    rows = []

    def add(label, value, unit):
        if value is None:
            return
        if isinstance(value, float):
            value = f"{value:,.2f}"
        elif isinstance(value, int):
            value = f"{value:,}"
        rows.append((label, value, unit))

    r = results
    add("ndjson parse", r.get("ndjson_parse", {}).get("drawings_per_s"), "drawings/s")
    add("render (1 process)", r.get("render", {}).get("drawings_per_s"), "drawings/s")
    add("stroke-3 encode (points)", r.get("stroke3", {}).get("points_to_stroke3_per_s"), "/s")
    for key, label in (("prepare_345x10k", "prepare npy"), ("prepare_20x10k_ndjson", "prepare nd")):
        if key in r:
            n = f"{r[key].get('classes', '?')}x{r[key].get('per_class', '?')}"
            add(f"{label} {n}", r[key].get("drawings_per_s"), "drawings/s")
            add(f"{label} {n} peak RSS", r[key].get("peak_rss_mb"), "MB")
    for name, value in r.get("train_samples_per_s", {}).items():
        add(f"train {name}", value, "samples/s")
    for name, value in r.get("ratios", {}).items():
        add(name, value, "x")
    for kind, lat in r.get("latency_ms", {}).items():
        add(f"latency {kind} p50 / p95", f"{lat['p50']:.1f} / {lat['p95']:.1f}", "ms")
    for kind, value in r.get("inference_drawings_per_s", {}).items():
        add(f"inference {kind} (batch 256)", value, "drawings/s")
    for name, value in r.get("full_scale_epoch_min", {}).items():
        add(f"full-scale epoch {name}", value, "min")
    width = max((len(label) for label, _, _ in rows), default=10) + 2
    lines = [f"{label:<{width}}{value:>14}  {unit}" for label, value, unit in rows]
    for t in r.get("targets", []):
        mark = {True: "met", False: "NOT met", None: "not measured"}[t["met"]]
        lines.append(f"target {t['name']:<28}{t['target']:>22}  {mark} ({t['value']})")
    return "\n".join(lines)

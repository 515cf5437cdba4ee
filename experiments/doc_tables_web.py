"""The docs' tables and figures of the browser bundle: speed, load, agreement with `predict`
(see `experiments.doc_tables`)."""

from __future__ import annotations

from experiments.doc_tables import figure, load, markdown, table, whole
from seqdoodle.errors import MissingFileError
from seqdoodle.kinds import get_kind
from seqdoodle.reports.format import pct

WEB = "web_bundle.json"
WEB_COMMAND = "python -m experiments.bench.web --runs RUN1 RUN2 RUN3"


def _web() -> dict:
    """`web_bundle.json`, or one line naming the command that makes it."""
    try:
        return load(WEB)
    except MissingFileError as e:
        raise MissingFileError(f"{e}; run `{WEB_COMMAND}`") from None


def _guess_label(label: str, d: dict) -> str:
    models = d["models"]
    if label in models:
        return f"`{label}` ({get_kind(models[label]['kind']).title}) alone"
    n = len(d["per_guess"][label]["models"])
    return f"all {n} and their ensemble"


@table
def web_speed() -> str:
    d = _web()
    targets = d["targets_p95_ms"]
    rows = []
    for label, g in d["per_guess"].items():
        trip, worker = g["round_trip"], g["in_worker"]
        target = {1: targets["single"], 3: targets.get("ensemble of three")}.get(len(g["models"]))
        rows.append(
            [
                _guess_label(label, d),
                whole(trip["n"]),
                f"{trip['p50_ms']:.1f}",
                f"{trip['p95_ms']:.1f}",
                f"{trip['p99_ms']:.1f}",
                f"{worker['p50_ms']:.1f}",
                "" if target is None else f"{target:g}",
            ]
        )
    header = [
        "per guess, real raw drawings",
        "guesses",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "in the worker, p50 ms",
        "target p95 ms",
    ]
    return markdown(header, rows, WEB)


@figure
def web_setting() -> str:
    d = _web()
    classes = sorted({m["classes"] for m in d["models"].values()})
    return (
        f"{d['browser']}, {d['backend']}, on {d['machine']['cores']} cores; models of "
        f"{' and '.join(map(str, classes))} classes"
    )


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:.1f} MB"


@figure
def web_load() -> str:
    d = _web()
    files = d["size"]["exported_folder"]["files"]
    wasm = sum(v for k, v in files.items() if k.endswith(".wasm"))
    onnx = sum(v for k, v in files.items() if k.endswith(".onnx"))
    js = sum(v for k, v in files.items() if k.endswith(".js"))
    loads = d["first_load_ms"]["each"]
    return (
        f"{d['first_load_ms']['median'] / 1000:.1f} s (median of {len(loads)} loads in a fresh "
        f"browser context, from navigation to the models being ready); the folder is "
        f"{_mb(d['size']['exported_folder']['bytes'])}: onnxruntime-web's wasm {_mb(wasm)}, "
        f"the JavaScript {_mb(js)}, the ONNX models {_mb(onnx)}"
    )


@figure
def web_summary() -> str:
    d = _web()
    everything = max(d["per_guess"].values(), key=lambda g: len(g["models"]))
    return (
        f"p95 {everything['round_trip']['p95_ms']:.0f} ms a guess for "
        f"{len(everything['models'])} models and their ensemble in headless Chromium on "
        f"{d['machine']['cores']} cores, ready {d['first_load_ms']['median'] / 1000:.1f} s after "
        f"the page is opened, {_mb(d['size']['exported_folder']['bytes'])} in all"
    )


AGREEMENT = "web_agreement.json"


@table
def web_agreement() -> str:
    d = load(AGREEMENT)
    n = d["drawings"]
    rows = []
    for name, a in d["agreement"].items():
        label = f"`{name}`" + (f" ({get_kind(d['models'][name]['kind']).title})"
                               if name in d["models"] else " (the page's pool)")  # fmt: skip
        rows.append(
            [
                label,
                whole(a["drawings"]),
                pct(a["top1_agreement"], 2),
                pct(a["probabilities_within_tol"], 2),
                f"{a['max_abs_diff']:.1e}",
            ]
        )
    header = [
        f"model ({whole(n['raw'])} raw + {whole(n['simplified'])} simplified drawings)",
        "drawings",
        "same top-1 as predict",
        f"probabilities within {d['tolerance']:g}",
        "largest difference",
    ]
    return markdown(header, rows, AGREEMENT)


NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five"}


def _label(label: str, g: dict, d: dict) -> str:
    """`cnn` for one model's row, "all three" for the row of every model and their ensemble."""
    if label in d["models"]:
        return f"`{label}`"
    n = len(g["models"])
    return f"all {NUMBERS.get(n, n)}"


def _singles_first(per_guess: dict, d: dict) -> list:
    return sorted(per_guess.items(), key=lambda item: item[0] not in d["models"])


def _p95_list(per_guess: dict, d: dict) -> str:
    """`p95 X ms for `cnn`, ... and Z ms for all three` of a `per_guess` mapping."""
    parts = [
        f"{g['round_trip']['p95_ms']:.1f} ms for {_label(label, g, d)}"
        for label, g in _singles_first(per_guess, d)
    ]
    return "p95 " + ", ".join(parts[:-1]) + f" and {parts[-1]}"


@figure
def web_without_warmup() -> str:
    d = _web()
    return _p95_list(d["without_background_warmup"]["per_guess"], d) + " from load"


@figure
def web_warmup_verdict() -> str:
    d = _web()
    targets = d["targets_p95_ms"]
    met, over = [], []
    for label, g in _singles_first(d["per_guess"], d):
        single = len(g["models"]) == 1
        excess = g["round_trip"]["p95_ms"] - targets["single" if single else "ensemble of three"]
        name = _label(label, g, d)
        if excess <= 0:
            met.append(name)
        else:
            over.append(f"{name} is {excess:.1f} ms over")
    one = len(met) == 1
    joined = ", ".join(met[:-1]) + f" and {met[-1]}" if len(met) > 1 else "".join(met)
    verb = "meets its target" if one else "meet their targets"
    said = f"{joined} {verb} from the first guess" if met else "no row meets its target"
    return said + (f", and {', '.join(over)}" if over else "")


@figure
def web_after_load() -> str:
    d = _web()
    with_, without = d["after_load"], d["without_background_warmup"]["after_load"]
    n = with_["round_trip"]["n"]
    return (
        f"The first {n} guesses of all {NUMBERS.get(len(with_['models']))} (`after_load`) have p95 "
        f"{with_['round_trip']['p95_ms']:.1f} ms with the warm-up and "
        f"{without['round_trip']['p95_ms']:.1f} ms without"
    )


@figure
def web_one_thread() -> str:
    d = _web()
    return _p95_list(d["baseline"]["per_guess"], d)


@figure
def web_load_without_service_worker() -> str:
    d = _web()
    return f"{d['first_load_without_service_worker_ms']['median'] / 1000:.1f} s"

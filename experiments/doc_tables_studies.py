"""The docs' tables and figures of the studies: 26 stroke classes, 35 bitmap classes, the full
scale projection, the encoder benchmark (see `experiments.doc_tables`)."""

from __future__ import annotations

from experiments.doc_tables import (
    figure,
    load,
    load_range,
    markdown,
    minutes,
    table,
    whole,
)
from seqdoodle.kinds import get_kind
from seqdoodle.reports.format import format_p, pct, points

C26 = "compare_26_defaults.json"


def model_name(name: str) -> str:
    return f"`{name}` ({get_kind(name).title})"


@table
def results_26() -> str:
    return results_table(C26, "the three")


def asked_epochs(kind: str, training: dict, settings: dict) -> int:
    """The epochs a `compare_26` run was asked for: recorded, `--epochs`, or the kind's default."""
    asked = (training.get("requested") or {}).get("epochs") or settings.get("epochs")
    return asked or get_kind(kind).defaults.epochs


def results_table(file: str, members: str) -> str:
    """Each model of a `compare_26` result and the ensemble of `members`, on its test split."""
    data = load(file)
    rows = []
    for name in data["comparison"]["order"]:
        m, t = data["models"][name], data["training"][name]
        rows.append(
            [
                model_name(name),
                pct(m["top1"]),
                pct(m["top3"]),
                f"{m['map3']:.3f}",
                pct(t["best_val_accuracy"]),
                f"{t['epochs_run']} of {asked_epochs(name, t, data['settings'])}",
                minutes(t["seconds"]),
            ]
        )
    ens, m = data["comparison"]["ensembles"], data["models"]["ensemble"]
    weights = " / ".join(f"{ens['all']['weights'][n]:.2f}" for n in ens["all"]["members"])
    rows.append(
        [
            f"ensemble of {members} ({ens['pool']} pool; weights fitted on validation: {weights})",
            pct(m["top1"]),
            pct(m["top3"]),
            f"{m['map3']:.3f}",
            pct(ens["all"]["val_top1"]),
            "",
            "",
        ]
    )
    header = [
        "model",
        "test top-1",
        "top-3",
        "MAP@3",
        "validation top-1",
        "epochs",
        "training minutes",
    ]
    return markdown(header, rows, file)


@figure
def drawings_26() -> str:
    n = load(C26)["data"]["counts"]
    return (
        f"{whole(sum(n.values()))} drawings: {whole(n['train'])} train, "
        f"{whole(n['val'])} validation, {whole(n['test'])} test"
    )


@table
def paired_26() -> str:
    return paired_table(C26)


def oriented(pair: dict, first: str) -> tuple:
    """`(a, b, diff, low, high, only_a, only_b)` of a `compare` pairwise entry, read as
    `first` minus the other model."""
    a, b, boot, mc = pair["name_a"], pair["name_b"], pair["bootstrap"], pair["mcnemar"]
    diff, low, high, only_a, only_b = boot["diff"], boot["low"], boot["high"], mc["b"], mc["c"]
    if first == b:
        return b, a, -diff, -high, -low, only_b, only_a
    return a, b, diff, low, high, only_a, only_b


def paired_table(file: str) -> str:
    """The paired tests of every pair of models of a `compare_26` result, better model first."""
    rows = []
    for pair in load(file)["comparison"]["pairwise"]:
        better = pair["name_a"] if pair["bootstrap"]["diff"] >= 0 else pair["name_b"]
        a, b, diff, low, high, only_a, only_b = oriented(pair, better)
        mc = pair["mcnemar"]
        rows.append(
            [
                f"{a} - {b}",
                points(diff),
                f"{points(low)} to {points(high)}",
                f"{only_a} / {only_b}",
                format_p(mc["p_value"]),
                format_p(mc["p_holm"]),
            ]
        )
    header = [
        "pair",
        "test top-1 difference (points)",
        "95% bootstrap CI",
        "drawings only one got right",
        "exact McNemar p",
        "Holm p",
    ]
    return markdown(header, rows, file)


@figure
def ensemble_gain_26() -> str:
    data = load(C26)
    singles = [data["models"][n]["top1"] for n in data["comparison"]["order"]]
    gain = data["models"]["ensemble"]["top1"] - max(singles)
    return f"{points(gain)} points"


@table
def pools_26() -> str:
    data = load("ensemble_pools.json")
    rows = [
        [
            " + ".join(s["members"]),
            pct(s["log"]["val_top1_cv"]),
            pct(s["log"]["top1"]),
            pct(s["linear"]["val_top1_cv"]),
            pct(s["linear"]["top1"]),
        ]
        for s in data["subsets"]
    ]
    k = data["folds"]
    header = [
        "ensemble of",
        f"log pool, validation ({k}-fold)",
        "log pool, test",
        f"linear pool, validation ({k}-fold)",
        "linear pool, test",
    ]
    return markdown(header, rows, "ensemble_pools.json")


@table
def learning_curve_26() -> str:
    data = load("compare_26_reduced.json")
    curve, names = data["learning_curve"], list(data["learning_curve"])
    sizes = sorted({p["n_train"] for n in names for p in curve[n]})
    top1 = {(n, p["n_train"]): p["top1"] for n in names for p in curve[n]}
    rows = [[whole(s), *(pct(top1.get((n, s))) for n in names)] for s in sizes]
    header = [
        f"training drawings ({data['settings']['epochs']} epochs each)",
        *(f"{n} test top-1" for n in names),
    ]
    return markdown(header, rows, "compare_26_reduced.json")


@table
def timecnn_sweep() -> str:
    variants = load("timecnn_sweep.json")["variants"]

    def order(item):
        s = item[1]["settings"]
        return s["size"], s["filters"][0], s["augment"], len(s["channels"]), item[0]

    rows = []
    for name, v in sorted(variants.items(), key=order):
        s = v["settings"]
        rows.append(
            [
                name,
                " + ".join(s["channels"]),
                s["size"],
                "/".join(map(str, s["filters"])),
                pct(s["augment"], 0) if s["augment"] else "-",
                pct(v["val_top1"]),
                pct(v["val_top1_mirror_average"]),
                f"{v['train_minutes']:.1f}",
            ]
        )
    header = [
        "variant",
        "channels",
        "px",
        "filters",
        "drawings re-rendered",
        "validation top-1",
        "mirror-averaged",
        "minutes",
    ]
    return markdown(header, rows, "timecnn_sweep.json")


@figure
def timecnn_sweep_budget() -> str:
    b = load("timecnn_sweep.json")["budget"]
    return (
        f"the same {whole(b['max_train'])} training drawings for {b['epochs']} epochs "
        f"(batch {b['batch_size']}) and scores all {whole(b['val'])} validation drawings"
    )


def early(key: str, what: str, label) -> str:
    """An early-recognition table: top-1 of each model on prefixes of the test drawings."""
    data = load(C26)
    part = data["partial"]
    steps = part["fractions"] if key == "fractions" else part["strokes"]["k"]
    curves = part["models"] if key == "fractions" else part["strokes"]["models"]
    names = [n for n in [*data["comparison"]["order"], "ensemble"] if n in curves]
    rows = [[name, *(pct(x) for x in curves[name])] for name in names]
    n = whole(part["n_drawings"])
    header = [f"top-1 on the first ... {what} ({n} test drawings)", *map(label, steps)]
    return markdown(header, rows, C26)


@table
def early_points_26() -> str:
    return early("fractions", "of the points", lambda f: pct(f, 0))


@table
def early_strokes_26() -> str:
    return early("strokes", "strokes", str)


@table
def bitmap35() -> str:
    data = load("bitmap35_file_order.json")
    n = data["counts"]
    rows = [
        [
            whole(n["train"]),
            whole(n["val"]),
            data["epochs_run"],
            data["stop_reason"],
            minutes(data["seconds"]),
            pct(data["best_val_accuracy_last_20_percent"]),
        ]
    ]
    header = [
        "training rows (first 80% of each file)",
        "scored rows (last 20%)",
        "epochs",
        "stopped by",
        "minutes",
        "top-1 on the last 20%",
    ]
    return markdown(header, rows, "bitmap35_file_order.json")


@figure
def bitmap35_top1() -> str:
    return pct(load("bitmap35_file_order.json")["best_val_accuracy_last_20_percent"])


# ----------------------------------------------------------------------------- full scale


@table
def full_scale() -> str:
    d = load("full_scale.json")
    small, big = d["projection_345x10000"], d["projection_345x100000"]

    def hours(h):
        return f"{h:.2f} h" if h < 1 else f"{h:.1f} h" if h < 10 else f"{h:.0f} h"

    def span(s):
        return f"{s:.0f} s" if s < 60 else f"{s / 60:.1f} min"

    def row(label, fn):
        return [label, fn(small), fn(big)]

    rows = [
        row("prepared folder (disk)", lambda p: f"{p['dataset_gib']:.1f} GiB"),
        row(
            "`prepare`",
            lambda p: f"{hours(p['prepare_hours'])}, peak {p['prepare_peak_rss_mib']:.0f} MiB",
        ),
        row("CNN epoch (default arch)", lambda p: hours(p["cnn"]["epoch_hours"])),
        row("stroke model epoch (default arch)", lambda p: hours(p["rnn"]["epoch_hours"])),
        row(
            "training peak memory (CNN / stroke)",
            lambda p: (
                f"{p['cnn']['peak_rss_mib'] / 1024:.1f} / {p['rnn']['peak_rss_mib'] / 1024:.1f} GiB"
            ),
        ),
        row(
            "page cache of the memory-mapped arrays (droppable)",
            lambda p: f"up to {p['cnn']['page_cache_mib'] / 1024:.1f} GiB",
        ),
        row(
            "input pipeline alone, one epoch (CNN / stroke)",
            lambda p: (
                f"{span(p['cnn']['input_pipeline_only_epoch_hours'] * 3600)} / "
                f"{span(p['rnn']['input_pipeline_only_epoch_hours'] * 3600)}"
            ),
        ),
    ]
    header = [f"on {d['machine']['cpus']} CPU cores", "345 x 10,000", "345 x 100,000"]
    return markdown(header, rows, "full_scale.json")


@figure
def full_scale_load() -> str:
    return load_range(load("full_scale.json")["input_pipeline"]["detail"]["load_average"])


# ----------------------------------------------------------------------------- encoders


@table
def encoder_benchmark() -> str:
    d = load("encoder_benchmark.json")
    rows = [
        [
            name,
            f"{r['n_train']} / {r['n_test']}",
            f"{r['encoder']:.3f}",
            f"{r['rocket']:.3f}",
            f"{r['dtw']:.3f}",
            f"`{r['encoder_training']['architecture']}`",
        ]
        for name, r in d["datasets"].items()
    ]
    m = d["mean"]
    rows.append(
        [
            "**mean**",
            "",
            f"**{m['encoder']:.3f}**",
            f"**{m['rocket']:.3f}**",
            f"**{m['dtw']:.3f}**",
            "",
        ]
    )
    header = [
        "dataset",
        "train / test series",
        "seqdoodle encoder",
        "ROCKET",
        "1-NN DTW",
        "encoder chosen",
    ]
    return markdown(header, rows, "encoder_benchmark.json", align="lrrrrl")


@figure
def encoder_benchmark_minutes() -> str:
    return f"{load('encoder_benchmark.json')['total_seconds'] / 60:.1f} minutes"

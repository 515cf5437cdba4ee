"""The docs' tables and figures of the benchmarks: reading, formats, speed, memory, precision,
serving (see `experiments.doc_tables`)."""

from __future__ import annotations

from experiments.doc_tables import (
    figure,
    load,
    load_range,
    load_text,
    markdown,
    table,
    value,
    whole,
)
from seqdoodle.kinds import get_kind
from seqdoodle.reports.format import pct

# ----------------------------------------------------------------------------- data and formats


@figure
def simplifier_exact() -> str:
    data = load("simplify_report.json")
    return (
        f"exactly for {whole(data['exact_count'])} of {whole(data['drawings'])} real raw drawings"
    )


@table
def readers_streaming() -> str:
    data = load("bench_readers.json")
    rows = [
        [
            f"`{r['file']}`",
            value(r["file_mb"]),
            whole(r["drawings_read"]),
            value(r["peak_rss_mib"]),
            whole(r["drawings_per_s"]),
        ]
        for r in data["runs"]
    ]
    header = ["file", "MB", "drawings read", "peak RSS (MiB)", "drawings/s"]
    return markdown(header, rows, "bench_readers.json")


@table
def formats_streaming() -> str:
    rows = [
        [
            r["task"],
            r["file"],
            whole(r["rows"]),
            value(r["file_mib"]),
            value(r["peak_growth_mib"]),
            whole(r["rows_per_s"]),
        ]
        for r in load("bench_formats.json")["runs"]
    ]
    header = ["Kaggle CSV", "file", "rows", "MiB", "peak memory growth (MiB)", "rows/s"]
    return markdown(header, rows, "bench_formats.json")


@table
def formats_roundtrip() -> str:
    trips = load("bench_formats.json")["roundtrip"]
    yes = {True: "yes", False: "no"}
    rows = [
        [
            f"`{fmt}`",
            whole(t["drawings"]),
            t["classes"],
            yes[t["labels_equal"]],
            yes[t["strokes_equal"]],
            yes[t["bitmaps_equal"]],
            value(t["bitmap_mae_grey_levels"]),
            value(t["convert_s"]),
        ]
        for fmt, t in trips.items()
    ]
    header = [
        "converted to",
        "drawings",
        "classes",
        "labels equal",
        "strokes equal",
        "bitmaps equal",
        "bitmap MAE (grey levels)",
        "convert seconds",
    ]
    return markdown(header, rows, "bench_formats.json")


# ----------------------------------------------------------------------------- speed

BENCH = "benchmarks.json"
MODELS = {
    "cnn_baseline": "CNN `baseline`",
    "cnn_default": "CNN `default`",
    "rnn_tutorial": "stroke `tutorial`",
    "rnn_default": "stroke `default`",
}
KINDS = (("cnn", "CNN"), ("rnn", "stroke model"))


@table
def benchmark_machine() -> str:
    data = load(BENCH)
    m, done = data["machine"], sorted(data["section_finished_utc"].values())
    rows = [
        ["CPU", f"{m['cpu_model']}, {m['cores']} cores ({m['cores_usable']} usable)"],
        ["memory", f"{m['ram_gb']} GB"],
        ["system", m["os"]],
        [
            "software",
            f"Python {m['python']}, numpy {m['numpy']}, TensorFlow "
            f"{m['tensorflow']}, Keras {m['keras']} ({m['keras_backend']})",
        ],
        ["sections finished (UTC)", f"{done[0][:16]} to {done[-1][:16]}".replace("T", " ")],
    ]
    return markdown(["machine", ""], rows, (BENCH, tuple(data["commands"])), align="ll")


def two(a, b, digits: int | None = None) -> str:
    """`a / b`, whole numbers or with `digits` decimals."""
    return " / ".join(whole(x) if digits is None else f"{x:.{digits}f}" for x in (a, b))


@table
def benchmark_figures() -> str:
    d = load(BENCH)
    la, t, r, fs = d["load_average"], d["train_detail"], d["ratios"], d["full_scale_detail"]
    p345, p20, lat = d["prepare_345x10k"], d["prepare_20x10k_ndjson"], d["latency_ms"]
    render, s3, inf = d["render"], d["stroke3"], d["inference_drawings_per_s"]
    epoch, pipe = d["full_scale_epoch_min"], d["input_pipeline"]

    def prepared(p):
        rate, rss = whole(p["drawings_per_s"]), p["peak_rss_mb"]
        return f"{rate} ({p['seconds']:.1f} s), peak RSS {rss:.0f} MB"

    # fmt: off
    rows = [
        ["ndjson parsed (`read_drawings`)", whole(d["ndjson_parse"]["drawings_per_s"]),
         "drawings/s", la["parse"]],
        ["render 28x28, one process / 2 workers",
         two(render["drawings_per_s"], render["drawings_per_s_2_workers"]), "drawings/s",
         la["render"]],
        ["stroke-3 (`points_to_stroke3` / `drawing_to_stroke3`)",
         two(s3["points_to_stroke3_per_s"], s3["drawing_to_stroke3_per_s"]), "drawings/s",
         la["render"]],
        ["`prepare` 345 x 10,000 from `.npy`", prepared(p345), "drawings/s", p345["load_average"]],
        ["`prepare` 20 x 10,000 from ndjson (render + points)", prepared(p20), "drawings/s",
         p20["load_average"]],
        *([f"train {label}", f"{whole(t[key]['samples_per_s'])} "
           f"({whole(t[key]['samples_per_cpu_s'])} per CPU-second)", "samples/s",
           t[key]["load_average"]] for key, label in MODELS.items()),
        ["stroke `default` / `tutorial`, wall clock / per CPU-second",
         two(r["rnn_default_over_tutorial"], r["rnn_default_over_tutorial_per_cpu_s"], 1), "x",
         la["train"]],
        ["CNN `default` / its 1,500 target", f"{r['cnn_default_over_target']:.2f}", "x",
         la["train"]],
        *([f"one raw drawing, {name} p50 / p95", two(lat[k]["p50"], lat[k]["p95"], 1), "ms",
           d["inference_detail"][k]["load_average"]] for k, name in KINDS),
        ["raw drawings in batches of 256, CNN / stroke model", two(inf["cnn"], inf["rnn"]),
         "drawings/s", la["inference"]],
        *([f"full-scale epoch, {name} `default` (train + validation)",
           f"{epoch[k]:.1f} ({two(fs[k]['train_pass_min'], fs[k]['val_pass_min'], 1)})",
           "minutes", fs[k]["load_average"]] for k, name in KINDS),
        ["full-scale train pass, CNN `baseline` / stroke `tutorial`",
         two(epoch["cnn_baseline_train_pass"], epoch["rnn_tutorial_train_pass"], 1), "minutes",
         la["scale"]],
        ["input pipeline alone: bitmaps / augmented stroke drawings",
         two(pipe["bitmaps_per_s"], pipe["strokes_per_s"]), "per s", la["input_pipeline"]],
    ]
    # fmt: on
    rows = [[*row[:3], load_text(row[3])] for row in rows]
    sections = ("parse", "render", "prepare", "train", "inference", "scale", "input_pipeline")
    header = ["figure", "measured", "unit", "load average (1 / 5 / 15 min)"]
    return markdown(header, rows, (BENCH, sections), align="lrlr")


@table
def train_split() -> str:
    t = load(BENCH)["train_detail"]
    rows = [
        [
            label,
            whole(t[key]["samples_per_s"]),
            whole(t[key]["model_only_samples_per_s"]),
            whole(t[key]["pipeline_only_samples_per_s"]),
            whole(t[key]["generator_only_samples_per_s"]),
            whole(t[key]["params"]),
        ]
        for key, label in MODELS.items()
    ]
    header = ["training, samples/s", "model + pipeline", "model alone", "pipeline alone",
              "batch function alone", "parameters"]  # fmt: skip
    return markdown(header, rows, (BENCH, ("train",)))


@table
def inference_split() -> str:
    d = load(BENCH)
    lat, detail = d["latency_ms"], d["inference_detail"]
    rows = [
        [
            name,
            value(lat[k]["batched_per_drawing"]),
            value(detail[k]["preprocess_only_batched_per_drawing_ms"]),
            two(lat[k]["p50"], lat[k]["p95"], 2),
            two(detail[k]["preprocess_only_p50_ms"], detail[k]["preprocess_only_p95_ms"], 2),
        ]
        for k, name in KINDS
    ]
    header = [f"raw drawings, {detail['batch_size']} a batch", "ms per drawing",
              "of which preprocessing", "one drawing p50 / p95 ms",
              "of which preprocessing"]  # fmt: skip
    return markdown(header, rows, (BENCH, ("inference",)))


@table
def benchmark_targets() -> str:
    rows = [
        [f"`{t['name']}`", t["target"], value(t["value"]), "yes" if t["met"] else "**no**"]
        for t in load(BENCH)["targets"]
    ]
    return markdown(
        ["figure", "target", "measured", "met"],
        rows,
        (BENCH, ("prepare", "render", "train", "inference")),
        align="llrl",
    )


@table
def hobby_epochs() -> str:
    d = load(BENCH)
    hobby, epoch = (
        d["full_scale_detail"]["hobby_project_whole_training_min"],
        d["full_scale_epoch_min"],
    )
    rows = []
    for key, kind, label in (
        ("cnn_baseline_train_pass", "cnn", "CNN `baseline`, train pass"),
        ("cnn", "cnn", "CNN `default`"),
        ("rnn", "rnn", "stroke `default`"),
        ("rnn_tutorial_train_pass", "rnn", "stroke `tutorial`, train pass"),
    ):
        epochs = get_kind(kind).defaults.epochs
        rows.append(
            [
                label,
                f"{epoch[key]:.1f}",
                f"{hobby / epoch[key]:.0f}",
                epochs,
                f"{epochs * epoch[key] / 60:.1f}",
            ]
        )
    header = [
        "model",
        "minutes per full epoch",
        f"epochs in the hobby project's {whole(hobby)} minutes",
        "default epochs",
        "hours at the default epochs",
    ]
    return markdown(header, rows, (BENCH, ("scale",)))


@figure
def cnn_full_epoch() -> str:
    return f"{load(BENCH)['full_scale_epoch_min']['cnn']:.0f} minutes"


@table
def input_pipeline() -> str:
    p = load(BENCH)["input_pipeline"]
    goal = {k.split()[0]: whole(float(k.split()[-1])) for k in p["targets_met"]}
    rows = [
        [
            f"bitmaps (CNN, batch {p['detail']['bitmap_batch_size']})",
            whole(p["bitmaps_per_s"]),
            whole(p["detail"]["bitmaps_numpy_one_thread_per_s"]),
            goal["bitmaps_per_s"],
        ],
        [
            f"augmented strokes (batch {p['detail']['stroke_batch_size']})",
            whole(p["strokes_per_s"]),
            whole(p["detail"]["strokes_numpy_one_thread_per_s"]),
            goal["strokes_per_s"],
        ],
    ]
    header = ["", "drawings/s out of `tf.data`", "the batch function alone, one thread", "target"]
    return markdown(header, rows, (BENCH, ("input_pipeline",)))


@figure
def input_pipeline_setting() -> str:
    detail = load(BENCH)["input_pipeline"]["detail"]
    return (
        f"{detail['dataset']}, {detail['cpus']} cores, load average "
        f"{load_range(detail['load_average'])}"
    )


@table
def precision() -> str:
    d = load("precision.json")
    rows = []
    for key, name in (("cnn", "CNN"), ("rnn", "stroke model")):
        speed, acc = d["speed"][key], d["accuracy"][key]
        f32, bf16 = acc["float32"], acc["mixed_bfloat16"]
        rows.append(
            [
                f"{name}, model alone (samples/s)",
                whole(speed["samples_per_s"]["float32"]),
                whole(speed["samples_per_s"]["mixed_bfloat16"]),
                f"{speed['speedup_over_float32']['mixed_bfloat16']:.2f}x",
            ]
        )
        rows.append(
            [
                f"{name}, `train` {f32['epochs']} epochs: samples/s, test top-1",
                f"{whole(f32['samples_per_s'])}, {pct(f32['test_top1'])}",
                f"{whole(bf16['samples_per_s'])}, {pct(bf16['test_top1'])}",
                f"{bf16['samples_per_s'] / f32['samples_per_s']:.2f}x",
            ]
        )
    header = ["model (default arch)", "float32", "mixed_bfloat16", "speed-up"]
    return markdown(header, rows, "precision.json")


@figure
def precision_load() -> str:
    return load_range(load("precision.json")["load_average_end"])


# ----------------------------------------------------------------------------- CPU kernels


@table
def cpu_kernels() -> str:
    d = load("cpu_kernels.json")
    rows = []
    for kind, e in d["epochs"].items():
        s, top1, each = e["second_epoch_s"], e["val_top1"], e["each_repeat_s"]
        cell = {k: f"{s[k]:.1f} [{', '.join(f'{v:.1f}' for v in each[k])}], {pct(top1[k])}"
                for k in s}  # fmt: skip
        label = f"`{kind}`, a `train` epoch: best seconds [each run], validation top-1"
        rows.append([label, cell["eigen"], cell["onednn"], f"{e['speedup']:.2f}x"])
    for kind, rates in d["samples_per_s"].items():
        r = rates["predict"]
        rows.append([f"`{kind}`, `predict` (samples/s)", whole(r["eigen"]), whole(r["onednn"]),
                     f"{r['speedup']:.2f}x"])  # fmt: skip
    header = ["default model of the kind", "Eigen (`=0`)", "oneDNN (`=1`)", "speed-up"]
    return markdown(header, rows, "cpu_kernels.json")


@figure
def cpu_kernels_agreement() -> str:
    d = load("cpu_kernels.json")["agreement"]
    worst = max(a["max_prob_difference"] for a in d.values())
    same = min(a["top1_equal"] for a in d.values())
    return (f"the largest difference of a probability between the two was {worst:.1e}, and "
            f"{pct(same)} of the top-1 guesses were the same")  # fmt: skip


@figure
def cpu_kernels_machine() -> str:
    d = load("cpu_kernels.json")
    flags = ", ".join(d["cpu_flags"]) or "none of those"
    return (f"{d['machine']['cores']} cores of an {d['machine']['cpu_model']} ({flags}; load "
            f"average {load_range(d['load_average_end'])} at the end)")  # fmt: skip

"""
Title: The full-scale run: 345 classes x 10,000 drawings, and what it needs
Description: Measure disk, peak memory and time of `prepare` and of an epoch of both models on a
small subset, project them to 345 x 10,000 drawings, then (with --run) do the full run.

## Introduction

The full comparison takes the first 10,000 drawings of each of the 345 classes: 3.45 million
drawings, 2.76 million of them for training. Before starting a run of that size on your machine
you want to know what it costs. This study measures it on a subset (default: 10 synthetic
classes, written as Google-style ndjson files so that `prepare` reads and renders them exactly as
it would real files, at 500 and 1,000 drawings per class), each step in a fresh Python process so
that its peak resident memory (`VmHWM`) is its own, and projects linearly:

- disk: bytes of the prepared dataset per drawing, times 3.45M; the download is Google's whole
  per-class simplified files (about 50M drawings, Google's README), at the bytes per drawing of
  the real files beside the checkout when present;
- time: `prepare` seconds per drawing, and seconds per training epoch per drawing (the mean of
  the epochs after the first, which also builds the graphs; validation included) for both
  models, times 3.45M;
- memory: `prepare` holds one class at a time, so its peak grows with drawings per class: the
  peaks at the two sizes are extrapolated linearly to 10,000 per class. Training reads bitmaps and
  points memory-mapped; its peak is TensorFlow, the model and the batches (measured) plus the
  per-drawing arrays it reads whole (labels, splits, offsets: measured bytes per drawing, times 4
  for the index arrays derived from them) for 3.45M drawings. The mapped files also fill the page
  cache up to their size (given separately), which the system can drop.

Run:

    python -m experiments.studies.full_scale          # measure and project, a few minutes
    seqdoodle download --all --format simplified --out data
    python -m experiments.studies.full_scale --run --source data/simplified   # the full run itself

The subset's files, datasets and runs go to `--work` (default `experiments/work/full_scale`).
Writes experiments/results/full_scale.json (and full_scale.png: measured and projected times).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from experiments.common import (  # noqa: E402
    REPO,
    RESULTS,
    SHARED,
    WORK,
    argument_parser,
    command_line,
    module_name,
    peak_rss_kib,
    portable,
    settings_of,
    write_result,
)

FULL_CLASSES, FULL_PER_CLASS = 345, 10000
TARGET_PER_CLASS = (10_000, 100_000)  # projected sizes: the seed job and ten times it
GOOGLE_DRAWINGS = 50_000_000  # drawings in Google's full per-class files (their README: "50M")
SPLIT = {"train": 0.8, "val": 0.1, "test": 0.1}
RAM_FACTOR = 4  # in-memory per-drawing arrays, times this for the index arrays derived from them


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


"""
## One step in a fresh process

`--child prepare` prepares a folder; `--child cnn|rnn` trains one model for `--epochs` epochs.
Each prints one JSON line with what it measured.
"""


def child(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", required=True)
    parser.add_argument("--src", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--per-class", type=int)
    parser.add_argument("--epochs", type=int, default=2)
    a, _ = parser.parse_known_args(argv)
    from seqdoodle.datasets.prepare import prepare
    from seqdoodle.datasets.prepared import PreparedDataset
    from seqdoodle.training import train

    started = time.perf_counter()
    if a.child == "prepare":
        ds = prepare(a.src, a.out, per_class=a.per_class, progress=False)
        result = {
            "classes": len(ds.classes),
            "drawings": len(ds),
            "points": int(ds.manifest["n_points"]),
            "bytes": folder_bytes(ds.path),
        }
    else:
        run = train(a.child, a.src, a.out, epochs=a.epochs, time_limit=None, progress=False)
        summary = run.summary
        history = json.loads((a.out / "history.json").read_text())
        ds = PreparedDataset(a.src, verify=False)
        in_ram = [ds.labels, ds.splits, ds.source_index]  # read whole; the rest is mapped
        if ds.has_strokes:
            in_ram.append(ds.offsets)
        result = {
            "epoch_seconds": history["seconds"],
            "samples_per_second": summary["samples_per_second"],
            "train_drawings": ds.counts()["train"],
            "val_drawings": ds.counts()["val"],
            "in_ram_bytes_per_drawing": sum(a.nbytes for a in in_ram) / len(ds),
        }
    result.update(seconds=time.perf_counter() - started, peak_rss_mib=peak_rss_kib() / 1024)
    print(json.dumps(result))


def run_child(*argv) -> dict:
    """Run one step in a fresh interpreter and return its JSON line."""
    cmd = [sys.executable, "-m", module_name(__file__), *map(str, argv)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"step {' '.join(map(str, argv))} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def linear(x0, y0, x1, y1, x):
    """The line through (x0, y0) and (x1, y1) at x, its slope clipped at 0 (no shrinking)."""
    slope = max(0.0, (y1 - y0) / (x1 - x0))
    return y1 + slope * (x - x1)


def real_bytes_per_drawing(root: Path) -> float | None:
    """Mean bytes per line of the real simplified files, or None when they are absent."""
    folder = root / "simplified"
    if not folder.is_dir():
        return None
    size = lines = 0
    for path in sorted(folder.glob("*.ndjson")):
        data = path.read_bytes()
        size += len(data)
        lines += data.count(b"\n")
    return size / lines if lines else None


def main(argv: list[str] | None = None) -> None:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("--source", default="synthetic", help="'synthetic' or a class folder")
    parser.add_argument("--classes", type=int, default=10, help="synthetic classes of the subset")
    parser.add_argument("--sizes", default="500,1000", help="two drawings-per-class sizes")
    parser.add_argument("--epochs", type=int, default=3, help="epochs timed per model (>= 2)")
    parser.add_argument("--data-root", type=Path, default=SHARED, help="real data folder")
    parser.add_argument("--work", type=Path, default=WORK / "full_scale", help="work folder")
    parser.add_argument("--run", action="store_true", help="do the full run (after measuring)")
    parser.add_argument(
        "--gpu-results",
        type=Path,
        default=RESULTS / "gpu_benchmark.json",
        help="experiments.bench.gpu JSON from a GPU machine (used when present)",
    )
    args = parser.parse_args(argv)
    args.work = args.work.absolute()  # the steps run in the checkout
    import seqdoodle
    from seqdoodle.datasets.synthetic import SYNTHETIC_CLASSES, write_synthetic

    if args.run:
        """
        ## The full run

        The same call as `seqdoodle compare --source DIR --per-class 10000 --time-limit 0`.
        """
        report = seqdoodle.compare(
            source=args.source, per_class=FULL_PER_CLASS, out=args.work / "full", time_limit=0
        )
        from seqdoodle.reports import summary_table

        print(summary_table(report))
        return

    """
    ## The subset

    Synthetic doodles are written as ndjson files first (not timed), so `prepare` does what it
    does with real files: read lines, parse, render with cairo, store strokes.
    """
    if args.epochs < 2:
        raise SystemExit("--epochs: at least 2 (the first epoch also builds the graphs)")
    sizes = [int(s) for s in args.sizes.split(",")]
    if len(sizes) != 2 or sizes[0] >= sizes[1]:
        raise SystemExit("--sizes: give two increasing sizes, e.g. 500,1000")
    if args.source == "synthetic":
        src = args.work / "ndjson"
        names = list(SYNTHETIC_CLASSES[: args.classes])
        if not all((src / f"{c}.ndjson").exists() for c in names):
            write_synthetic(src, per_class=sizes[1], classes=names)
    else:
        src = Path(args.source)

    measured = {"prepare": {}, "cnn": {}, "rnn": {}}
    for size in sizes:
        ds_path = args.work / f"dataset_{size}"
        if ds_path.exists():
            shutil.rmtree(ds_path)
        measured["prepare"][size] = run_child(
            "--child", "prepare", "--src", src, "--out", ds_path, "--per-class", size
        )
        for kind in ("cnn", "rnn"):
            run_dir = args.work / f"run_{kind}_{size}"
            if run_dir.exists():
                shutil.rmtree(run_dir)
            measured[kind][size] = run_child(
                "--child", kind, "--src", ds_path, "--out", run_dir, "--epochs", args.epochs
            )
        print(f"measured {size} per class: {json.dumps({k: v[size] for k, v in measured.items()})}")

    """
    ## Projection to 345 x 10,000 and 345 x 100,000

    The input pipeline alone (`experiments.bench.input`) is timed on the larger subset too: it
    bounds the epoch time on an accelerator that trains faster than the CPU makes batches. With
    `--gpu-results` (the JSON of `experiments.bench.gpu` run on a GPU) the GPU's
    training samples/s are projected the same way.
    """
    from experiments.bench import input as input_pipeline

    pipeline = input_pipeline.measure(
        seqdoodle.PreparedDataset(args.work / f"dataset_{sizes[1]}", verify=False), repeat=2
    )
    gpu = None
    if args.gpu_results and args.gpu_results.exists():
        gpu = json.loads(args.gpu_results.read_text())
        if not gpu.get("device", {}).get("gpus"):
            gpu = None
    result_projections = {}
    for per_class in TARGET_PER_CLASS:
        result_projections[f"projection_345x{per_class}"] = project(
            measured, sizes, per_class, src, args.data_root, pipeline, gpu
        )
    write_results(args, argv, src, sizes, measured, pipeline, gpu, result_projections)


def project(measured, sizes, per_class, src, data_root, pipeline, gpu) -> dict:
    """Disk, time and memory of `prepare` and a training epoch at 345 x `per_class`."""
    import numpy as np

    from seqdoodle.kinds import get_kind

    n_full = FULL_CLASSES * per_class
    small, large = sizes
    p_small, p_large = measured["prepare"][small], measured["prepare"][large]
    n_large = p_large["drawings"]
    real_bpd = real_bytes_per_drawing(data_root)
    n_classes = p_large["classes"]
    bytes_per_source_drawing = real_bpd or (folder_bytes(src) / (n_classes * sizes[1]))
    projection = {
        "drawings": n_full,
        "download_gib": GOOGLE_DRAWINGS * bytes_per_source_drawing / 2**30,
        "download_note": "Google's whole simplified per-class files, ~50M drawings, at "
        f"{bytes_per_source_drawing:.0f} bytes a drawing "
        + ("(real files)" if real_bpd else "(synthetic files; real data not found)"),
        "dataset_gib": p_large["bytes"] / n_large * n_full / 2**30,
        "prepare_hours": p_large["seconds"] / n_large * n_full / 3600,
        "prepare_peak_rss_mib": linear(
            small, p_small["peak_rss_mib"], large, p_large["peak_rss_mib"], per_class
        ),
    }
    for kind in ("cnn", "rnn"):
        m_small, m_large = measured[kind][small], measured[kind][large]
        drawings = m_large["train_drawings"] + m_large["val_drawings"]
        steady = m_large["epoch_seconds"][1:]  # the first epoch also builds the graphs
        epoch = float(np.mean(steady))
        full_drawings = n_full * (SPLIT["train"] + SPLIT["val"])
        epoch_hours = epoch / drawings * full_drawings / 3600
        # Training memory: the measured peak (TensorFlow, model, batches: independent of the
        # dataset size) plus the per-drawing arrays read into memory, 4x for the index arrays
        # derived from them (shuffles, buckets). The memory-mapped bitmaps and points add up to
        # their file size as page cache, which the system can drop.
        extra = RAM_FACTOR * m_large["in_ram_bytes_per_drawing"] * (n_full - n_large)
        projection[kind] = {
            "epoch_hours": epoch_hours,
            "epoch_hours_fastest": min(steady) / drawings * full_drawings / 3600,
            "default_epochs": get_kind(kind).defaults.epochs,
            "training_hours": epoch_hours * get_kind(kind).defaults.epochs,
            "peak_rss_mib": m_large["peak_rss_mib"] + extra / 2**20,
            "page_cache_mib": p_large["bytes"] / n_large * n_full / 2**20,
            "measured_peak_rss_mib": {
                str(small): m_small["peak_rss_mib"],
                str(large): m_large["peak_rss_mib"],
            },
        }
        rate = pipeline["bitmaps_per_s" if kind == "cnn" else "strokes_per_s"]
        train_drawings = n_full * SPLIT["train"]
        projection[kind]["input_pipeline_only_epoch_hours"] = train_drawings / rate / 3600
        if gpu and kind in gpu.get("models", {}):
            gpu_rate = gpu["models"][kind]["samples_per_s"]
            projection[kind]["gpu_epoch_hours"] = train_drawings / gpu_rate / 3600
            projection[kind]["gpu"] = ", ".join(gpu["device"].get("gpu_names", [])) or "GPU"
    return projection


def write_results(args, argv, src, sizes, measured, pipeline, gpu, projections) -> None:
    """Write full_scale.json and full_scale.png, print the projections."""
    import numpy as np
    from matplotlib.figure import Figure

    from seqdoodle.plots import save_figure

    n_classes = measured["prepare"][sizes[1]]["classes"]
    large = sizes[1]
    result = {
        "machine": {"cpus": os.cpu_count()},
        "subset": {"source": portable(Path(src).absolute()), "classes": n_classes, "sizes": sizes},
        "measured": measured,
        "input_pipeline": pipeline,
        "gpu_results": None if gpu is None else portable(args.gpu_results.absolute()),
        **projections,
    }
    write_result("full_scale", result, command_line(__file__, argv), settings_of(args))

    for key, projection in projections.items():
        print(f"\nprojected for {key.split('_')[1]} = {projection['drawings']:,} drawings:")
        print(f"  download        {projection['download_gib']:8.1f} GiB  "
              f"({projection['download_note']})")  # fmt: skip
        print(f"  prepared data   {projection['dataset_gib']:8.1f} GiB")
        print(
            f"  prepare         {projection['prepare_hours']:8.1f} h, "
            f"peak {projection['prepare_peak_rss_mib']:.0f} MiB"
        )
        for kind in ("cnn", "rnn"):
            p = projection[kind]
            print(
                f"  {kind} epoch       {p['epoch_hours']:8.1f} h "
                f"(fastest {p['epoch_hours_fastest']:.1f}) x {p['default_epochs']} epochs = "
                f"{p['training_hours']:.1f} h, peak {p['peak_rss_mib']:.0f} MiB "
                f"(+ up to {p['page_cache_mib'] / 1024:.1f} GiB page cache); input pipeline "
                f"alone {60 * p['input_pipeline_only_epoch_hours']:.1f} min"
                + (f"; {p['gpu']}: {p['gpu_epoch_hours']:.2f} h" if "gpu_epoch_hours" in p else "")
            )

    fig = Figure(figsize=(9, 4), layout="constrained")
    labels = ["prepare", "cnn epoch", "rnn epoch"]
    for n, (key, projection) in enumerate(projections.items()):
        ax = fig.add_subplot(1, len(projections), n + 1)
        hours = [
            projection["prepare_hours"],
            projection["cnn"]["epoch_hours"],
            projection["rnn"]["epoch_hours"],
        ]
        ax.bar(np.arange(3), hours)
        ax.set_xticks(np.arange(3), labels)
        ax.set_ylabel("hours (projected)")
        ax.set_title(f"{key.split('_')[1]} on {os.cpu_count()} CPUs", fontsize=10)
        for i, h in enumerate(hours):
            ax.text(i, h, f"{h:.1f} h", ha="center", va="bottom")
    fig.suptitle(f"projected from {n_classes} x {large} drawings", fontsize=10)
    save_figure(fig, RESULTS / "full_scale.png")
    print(f"results: {RESULTS / 'full_scale.json'}, {RESULTS / 'full_scale.png'}")


if __name__ == "__main__":
    if "--child" in sys.argv:
        child(sys.argv[1:])
    else:
        main()

"""
Title: The seqdoodle benchmark: speed, memory and scale on this machine
Description: One command that measures reading, rendering, preparing, training, inference and
the projected full-scale epoch, with the machine it ran on.

Every figure is measured in this one run, so ratios between them (stroke default vs tutorial, the
CNN against its target) compare like with like. Sections:

1. **parse / render**: ndjson drawings parsed per second (fresh process), `render_bitmaps` and the
   stroke-3 encoders on the real simplified drawings.
1b. **input_pipeline**: bitmaps and augmented stroke drawings per second out of the training
   `tf.data` pipeline alone, no model (`experiments/bench_input.py`; its own targets).
2. **prepare**: `prepare` on 345 classes x 10,000 generated `numpy_bitmap` files (real rows tiled
   with small random shifts, Google's `(n, 784) uint8`) and on 20 classes x 10,000 generated
   ndjson files (real simplified lines repeated), each in a fresh process whose peak resident
   memory is read.
3. **train**: samples/s of the four models through the real training input pipeline
   (`seqdoodle.batches.BitmapBatches` / `StrokeBatches` -> `tf.data`) on the real 8-class stroke
   set, for a fixed number of steps after warm-up; plus the pipeline alone and the model alone.
4. **inference**: latency of one drawing (p50/p95) and batched throughput of a saved, reloaded
   run folder (`artifacts.load_run`), from raw strokes (simplify + render or encode inside the
   timed call).
5. **scale**: minutes per epoch at the full seed scale (345 x 10,000 drawings, 80% train),
   measured on the prepared 345-class bitmap set (CNN) and the 20-class stroke set with a
   345-class head (stroke model), projected from a fixed number of steps.

Run:
    python experiments/benchmark.py                 # about 5 minutes on 2 cores
    python experiments/benchmark.py --quick         # under a minute, small sizes
    python experiments/benchmark.py --sections train   # rerun one part, merged into the JSON
    python experiments/benchmark.py --max-load 2       # wait for a quieter shared machine first
    python experiments/benchmark.py --sections profile # opt-in: where the time goes
    python experiments/benchmark.py --only input_pipeline  # the input pipeline alone

Writes `experiments/results/benchmarks.json` (atomically) and prints a table. Real data comes
from `--shared` (default `../shared/quickdraw`); its acceptance-only folder is never read.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))  # the sibling benchmark scripts are reused, not copied

import bench_input  # noqa: E402
import bench_readers  # noqa: E402
import bench_render  # noqa: E402
from real_data import STROKE_CLASSES, STROKE_FOLDERS, stroke_sources  # noqa: E402

from seqdoodle.fileio import write_json  # noqa: E402

DEFAULT_SHARED = REPO / ".." / "shared" / "quickdraw"
DEFAULT_OUT = HERE / "results" / "benchmarks.json"
SECTIONS = ("parse", "render", "input_pipeline", "prepare", "train", "inference", "scale")
OPTIONAL_SECTIONS = ("profile",)  # run only when named in --sections
CNN_VARIANTS = {  # BitmapEncoder arguments over the default preset, timed by the profile section
    "default": {},
    "default_no_augmentation": {"translation": 0.0, "zoom": 0.0},
    "default_no_batch_norm": {"batch_norm": False},
    "one_conv_per_stage": {"convs_per_stage": [1, 1, 1]},
    "convs_1_1_2": {"convs_per_stage": [1, 1, 2]},
    "filters_32_48_96": {"filters": [32, 48, 96]},
    "baseline": {"arch": "baseline"},
}
MODELS = {  # benchmark name -> (kind, arch)
    "cnn_baseline": ("cnn", "baseline"),
    "cnn_default": ("cnn", "default"),
    "rnn_tutorial": ("rnn", "tutorial"),
    "rnn_default": ("rnn", "default"),
}
FULL_SCALE = {"classes": 345, "per_class": 10_000, "train": 0.8, "val": 0.1}
HOBBY = {"whole_training": "1 day 50 min", "whole_training_min": 24 * 60 + 50}
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


@dataclass(frozen=True)
class Scale:
    """Sizes of one benchmark run; `FULL` is the real benchmark, `QUICK` a smoke version.

    Args:
        npy_classes: int. Generated `numpy_bitmap` classes prepared. Defaults to 345.
        npy_per_class: int. Rows per generated `.npy` file (all taken). Defaults to 10000.
        ndjson_classes: int. Generated ndjson classes prepared. Defaults to 20.
        ndjson_per_class: int. Drawings per generated ndjson file. Defaults to 10000.
        stroke_per_class: int. Drawings per class of the real 8-class stroke set.
            Defaults to 10000 (all there are).
        parse_n: int. Drawings parsed in the ndjson reading test. Defaults to 10000.
        render_n: int. Real simplified drawings rendered and encoded. Defaults to 10000.
        repeat: int. Best of this many runs for the fast rate figures. Defaults to 3.
        warmup_steps: int. Untimed training steps before each timing. Defaults to 3.
        train_steps: tuple of (model, steps). Timed training steps per model. Defaults to the
            full sizes.
        train_repeat: int. Timed fits per model; the fastest is reported. Defaults to 3.
        diagnostics: bool. Also time the input pipeline alone and the model alone.
            Defaults to True.
        scale_steps: int. Timed steps of each full-scale projection. Defaults to 40.
        run_max_train: int. Training drawings of the briefly trained runs used for inference.
            Defaults to 4000.
        latency_drawings: int. Raw drawings timed per model. Defaults to 1024.
        latency_repeats: int. Timed one-drawing calls per model. Defaults to 300.
    """

    npy_classes: int = 345
    npy_per_class: int = 10_000
    ndjson_classes: int = 20
    ndjson_per_class: int = 10_000
    stroke_per_class: int = 10_000
    parse_n: int = 10_000
    render_n: int = 10_000
    repeat: int = 3
    warmup_steps: int = 3
    train_steps: tuple = (
        ("cnn_baseline", 60),
        ("cnn_default", 30),
        ("rnn_tutorial", 10),
        ("rnn_default", 60),
    )
    train_repeat: int = 3
    diagnostics: bool = True
    scale_steps: int = 40
    run_max_train: int = 4000
    latency_drawings: int = 1024
    latency_repeats: int = 300


FULL = Scale()
QUICK = Scale(
    npy_classes=345,
    npy_per_class=100,
    ndjson_classes=5,
    ndjson_per_class=400,
    stroke_per_class=300,
    parse_n=2000,
    render_n=1000,
    repeat=1,
    warmup_steps=1,
    train_steps=(("cnn_baseline", 4), ("cnn_default", 3), ("rnn_tutorial", 2), ("rnn_default", 4)),
    train_repeat=1,
    diagnostics=False,
    scale_steps=4,
    run_max_train=256,
    latency_drawings=32,
    latency_repeats=20,
)


# ----------------------------------------------------------------------------- machine


def machine_info() -> dict:
    """CPU model, cores, RAM, OS, library versions and the date, for the JSON.

    Returns:
        dict of str/int/float.

    Example:
    >>> machine_info()["cores"] >= 1  # doctest: +SKIP
    True
    """
    import keras
    import tensorflow as tf

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in open("/proc/cpuinfo"):  # noqa: SIM115 - read once
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gb = None
    with contextlib.suppress(OSError, ValueError):
        for line in open("/proc/meminfo"):  # noqa: SIM115 - read once
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 2**20, 1)
                break
    return {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "ram_gb": ram_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded."""
    return [round(x, 2) for x in os.getloadavg()]


def wait_for_quiet(max_load: float | None, max_wait_s: float, poll_s: float = 10.0) -> float:
    """Wait until the 1-minute load average is at most `max_load` (or `max_wait_s` passed).

    Args:
        max_load: float or None. Load average to wait for; None returns at once.
        max_wait_s: float. Longest wait in seconds.
        poll_s: float. Seconds between looks. Defaults to 10.

    Returns:
        Seconds waited.
    """
    started = time.monotonic()
    if max_load is None:
        return 0.0
    while os.getloadavg()[0] > max_load and time.monotonic() - started < max_wait_s:
        time.sleep(min(poll_s, max(0.0, max_wait_s - (time.monotonic() - started))))
    return round(time.monotonic() - started, 1)


# ----------------------------------------------------------------------------- inputs


def simplified_lines(path: Path) -> list[bytes]:
    """The non-empty lines of an ndjson file, each ending with a newline."""
    return [line + b"\n" for line in path.read_bytes().splitlines() if line.strip()]


def write_generated_ndjson(shared: Path, dest: Path, n_classes: int, per_class: int) -> list[str]:
    """Write `n_classes` files `<class>.ndjson` of `per_class` (or more) real simplified lines.

    The classes with the most real simplified drawings are taken (ties by name); each file
    repeats its class's lines (`bench_readers.write_ndjson`). Returns the class names.
    """
    counted = [(p.read_bytes().count(b"\n"), p) for p in (shared / "simplified").glob("*.ndjson")]
    files = [p for _, p in sorted(counted, key=lambda c: (-c[0], c[1].name))]
    classes = []
    dest.mkdir(parents=True, exist_ok=True)
    for path in files[:n_classes]:
        lines = simplified_lines(path)
        mean_bytes = sum(map(len, lines)) / len(lines)
        bench_readers.write_ndjson(dest / path.name, lines, int(per_class * mean_bytes) + 1)
        classes.append(path.stem)
    return classes


def write_generated_npy(
    shared: Path, dest: Path, classes: list[str], per_class: int, seed: int = 0
) -> int:
    """Write one `(per_class, 784) uint8` file `<class>.npy` per class, Google's format.

    Rows are real `numpy_bitmap` rows (the classes in `shared/bitmap`, used in turn) tiled in
    blocks, each block shifted by up to 2 pixels (`np.roll`), so no two neighbouring blocks are
    equal. Returns the bytes written.
    """
    sources = sorted((shared / "bitmap").glob("*.npy"))
    rng = np.random.default_rng(seed)
    dest.mkdir(parents=True, exist_ok=True)
    written = 0
    for i, name in enumerate(classes):
        real = np.load(sources[i % len(sources)], mmap_mode="r")
        base = np.asarray(real[: min(len(real), 1000)]).reshape(-1, 28, 28)
        blocks, n = [], 0
        while n < per_class:
            dy, dx = rng.integers(-2, 3, 2)
            blocks.append(np.roll(base, (int(dy), int(dx)), axis=(1, 2)))
            n += len(base)
        rows = np.concatenate(blocks)[:per_class].reshape(per_class, 784)
        bench_readers.write_npy(dest / f"{name}.npy", rows, per_class)
        written += rows.nbytes
    return written


def raw_drawings(shared: Path, n: int) -> list:
    """Up to `n` raw-format `Drawing` records from `shared/raw`, taken in turn from each class.

    The class does not matter for timing, so every class's file is used (sorted by name).
    """
    from seqdoodle.datasets.readers import read_drawings

    per_class = []
    for path in sorted((shared / "raw").glob("*.ndjson")):
        per_class.append(list(read_drawings(path, limit=-(-n // 300) + 1)))
    out = []
    for i in range(max(map(len, per_class))):
        out += [drawings[i] for drawings in per_class if i < len(drawings)]
    return out[:n]


def run_prepare(source, out: Path, classes: list[str] | None, per_class: int) -> dict:
    """Run `prepare` in a fresh process (`bench_prepare.py`); its time and peak memory.

    Args:
        source: path or list of paths. The source folder(s).
        out: Path. Dataset folder to write.
        classes: list of str or None. Classes (None: all the source has).
        per_class: int. Drawings per class.

    Returns:
        dict: `drawings`, `classes`, `seconds`, `drawings_per_s`, `peak_rss_mb` (the child's
        whole-process peak, `VmHWM`), `rss_before_mb` (after its imports), `tensorflow_loaded`.
    """
    sources = [str(s) for s in (source if isinstance(source, list) else [source])]
    command = [sys.executable, str(HERE / "bench_prepare.py"), *sources, str(out)]
    command += ["--per-class", str(per_class)]
    if classes is not None:
        command += ["--classes", json.dumps(classes)]
    child = subprocess.run(command, capture_output=True, text=True)
    if child.returncode != 0:
        tail = child.stderr.strip()[-500:]
        raise RuntimeError(f"bench_prepare.py failed ({child.returncode}): {tail}")
    result = json.loads(child.stdout.strip().splitlines()[-1])
    return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in result.items()}


# ----------------------------------------------------------------------------- sections


class Benchmark:
    """Runs the sections at one `Scale`, keeping the datasets they share in a temporary folder.

    Args:
        shared: Path. The real data folder (`../shared/quickdraw`).
        work: Path. A scratch folder; everything written there is removed by `close()`.
        scale: `Scale`. Sizes. Defaults to `FULL`.
        say: callable. Progress lines. Defaults to printing on stderr.

    Example:
    >>> bench = Benchmark(Path("../shared/quickdraw"), Path("/tmp/b"), QUICK)  # doctest: +SKIP
    >>> bench.render()["drawings_per_s"] > 0  # doctest: +SKIP
    True
    """

    def __init__(self, shared: Path, work: Path, scale: Scale = FULL, say=None):
        self.shared, self.work, self.scale = Path(shared), Path(work), scale
        self.say = say or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self.results: dict = {}
        self._datasets: dict = {}
        self._stroke_features = None
        for folder in ("simplified", "raw", "bitmap", *STROKE_FOLDERS):
            if not (self.shared / folder).is_dir():
                raise FileNotFoundError(f"{self.shared / folder}: real data folder missing")

    def close(self) -> None:
        """Remove everything the benchmark wrote under `work`."""
        shutil.rmtree(self.work, ignore_errors=True)

    # -- reading and encoding

    def parse(self) -> dict:
        """ndjson drawings parsed per second by `read_drawings`, in a fresh process."""
        n = self.scale.parse_n
        lines = simplified_lines(self.shared / "simplified" / "monkey.ndjson")
        path = self.work / "parse" / "monkey.ndjson"
        path.parent.mkdir(parents=True, exist_ok=True)
        mean_bytes = sum(map(len, lines)) / len(lines)
        bench_readers.write_ndjson(path, lines, int(n * mean_bytes * 1.05))
        result = bench_readers.measure(path, n, runs=self.scale.repeat)
        path.unlink()
        return {
            "drawings": result["drawings_read"],
            "drawings_per_s": result["drawings_per_s"],
            "peak_rss_mb": result["peak_rss_mib"],
            "file_mb": result["file_mb"],
        }

    def render(self) -> dict:
        """`render_bitmaps` and stroke-3 encoders on real simplified drawings, best of repeats."""
        from seqdoodle.kinds.inputs import StrokeFeatures, stroke_batch
        from seqdoodle.strokes.points import strokes_to_points
        from seqdoodle.strokes.raster import cairo_available, render_bitmaps
        from seqdoodle.strokes.sequence import drawing_to_stroke3, points_to_stroke3

        drawings = bench_render.load_drawings(self.shared, self.scale.render_n)
        points = [strokes_to_points(d) for d in drawings]
        repeat = self.scale.repeat
        features = StrokeFeatures()

        def batches(items):
            for i in range(0, len(items), 128):
                stroke_batch(items[i : i + 128], features)

        render = {
            "drawings": len(drawings),
            "points_per_drawing": round(float(np.mean([len(p) for p in points])), 1),
            "cairo": cairo_available(),
            "drawings_per_s": round(bench_render.best_rate(render_bitmaps, drawings, repeat)),
            "drawings_per_s_2_workers": round(
                bench_render.best_rate(lambda d: render_bitmaps(d, workers=2), drawings, repeat)
            ),
        }
        stroke3 = {
            "drawings": len(drawings),
            "drawing_to_stroke3_per_s": round(
                bench_render.best_rate(lambda d: [drawing_to_stroke3(s) for s in d], drawings, 1)
            ),
            "points_to_stroke3_per_s": round(
                bench_render.best_rate(lambda p: [points_to_stroke3(x) for x in p], points, 1)
            ),
            "stroke_batch_drawings_per_s": round(bench_render.best_rate(batches, points, repeat)),
        }
        return {"render": render, "stroke3": stroke3}

    # -- datasets

    def dataset(self, name: str):
        """The prepared dataset `name` (`"bitmaps345"`, `"strokes20"`, `"strokes8"`), prepared on
        first use; the preparation of the first two is measured in a fresh process."""
        from seqdoodle.datasets.prepared import PreparedDataset

        if name in self._datasets:
            return self._datasets[name]
        s = self.scale
        out = self.work / f"ds_{name}"
        if name == "bitmaps345":
            from seqdoodle.datasets.categories import all_categories

            classes = list(all_categories())[: s.npy_classes]
            need = 3.2 * len(classes) * s.npy_per_class * 784 + 1e9  # inputs, parts, output
            free = shutil.disk_usage(self.work).free
            if free < need:
                raise OSError(f"{self.work}: {free / 1e9:.1f} GB free, need {need / 1e9:.1f} GB")
            inputs = self.work / "npy_inputs"
            self.say(f"writing {len(classes)} generated .npy files of {s.npy_per_class} rows")
            started = time.perf_counter()
            nbytes = write_generated_npy(self.shared, inputs, classes, s.npy_per_class)
            write_s = time.perf_counter() - started
            self.say(f"prepare {len(classes)} x {s.npy_per_class} bitmaps (fresh process)")
            result = run_prepare(inputs, out, None, s.npy_per_class)
            shutil.rmtree(inputs)
            self.results["prepare_345x10k"] = {
                **result,
                "per_class": s.npy_per_class,
                "source": "generated numpy_bitmap files: real rows tiled with shifts <= 2 px",
                "input_gb": round(nbytes / 1e9, 2),
                "input_write_seconds": round(write_s, 1),
                "load_average": load_average(),
            }
        elif name == "strokes20":
            inputs = self.work / "ndjson_inputs"
            classes = write_generated_ndjson(
                self.shared, inputs, s.ndjson_classes, s.ndjson_per_class
            )
            self.say(f"prepare {len(classes)} x {s.ndjson_per_class} ndjson drawings")
            result = run_prepare(inputs, out, classes, s.ndjson_per_class)
            shutil.rmtree(inputs)
            self.results["prepare_20x10k_ndjson"] = {
                **result,
                "per_class": s.ndjson_per_class,
                "source": "generated ndjson files: real simplified lines repeated",
                "load_average": load_average(),
            }
        elif name == "strokes8":
            from seqdoodle.datasets.prepare import prepare

            folders = stroke_sources(self.shared)
            self.say(f"prepare the real 8-class stroke set ({s.stroke_per_class} per class)")
            prepare(folders, out, STROKE_CLASSES, per_class=s.stroke_per_class, progress=False)
        else:
            raise KeyError(name)
        ds = self._datasets[name] = PreparedDataset(out, verify=False)
        key = {"bitmaps345": "prepare_345x10k", "strokes20": "prepare_20x10k_ndjson"}.get(name)
        if key and ds.has_strokes:
            self.results[key]["points_per_drawing"] = round(ds.manifest["n_points"] / len(ds), 1)
        return ds

    def prepare(self) -> dict:
        """Prepare (and measure) the two generated datasets."""
        self.dataset("bitmaps345")
        self.dataset("strokes20")
        return {k: self.results[k] for k in ("prepare_345x10k", "prepare_20x10k_ndjson")}

    def stroke_features(self):
        """The stroke encoding fitted on the 8-class set's training split, as training does."""
        from seqdoodle.kinds.inputs import fit_stroke_features

        if self._stroke_features is None:
            ds = self.dataset("strokes8")
            self._stroke_features = fit_stroke_features(
                ds, ds.indices("train"), seed=0, scale_in_model=True
            )
        return self._stroke_features

    def batches(self, kind: str, ds, split: str = "train"):
        """The training pipeline's batch source for `kind` on `ds` (train: shuffled, augmented)."""
        from seqdoodle.kinds import get_kind
        from seqdoodle.kinds.batches import BitmapBatches, StrokeBatches

        batch_size = get_kind(kind).defaults.batch_size
        train = split == "train"
        if kind == "cnn":
            return BitmapBatches(ds, ds.indices(split), batch_size, seed=0, train=train)
        return StrokeBatches(
            ds, ds.indices(split), batch_size, self.stroke_features(), seed=0, train=train
        )

    # -- training speed

    def train(self) -> dict:
        """Training samples/s of the four models through the real input pipeline."""
        ds = self.dataset("strokes8")
        steps = dict(self.scale.train_steps)
        detail, pipeline = {}, {}
        for name, (kind, arch) in MODELS.items():
            s = self.scale
            self.say(f"train {name}: {steps[name]} steps after {s.warmup_steps} warm-up")
            model = new_model(kind, arch, len(ds.classes), self.stroke_features())
            result = fit_rate(
                model, self.batches(kind, ds), s.warmup_steps, steps[name], s.train_repeat
            )
            if s.diagnostics:
                if kind not in pipeline:
                    pipeline[kind] = pipeline_rate(self.batches(kind, ds), steps[name] + 2)
                result.update(pipeline[kind])
                result["model_only_samples_per_s"] = model_only_rate(
                    model, self.batches(kind, ds), steps[name]
                )
            detail[name] = {**result, "load_average": load_average()}
        speeds = {name: d["samples_per_s"] for name, d in detail.items()}
        return {
            "train_samples_per_s": speeds,
            "train_detail": {
                "dataset": f"real 8-class stroke set, {len(ds)} drawings",
                "classes": ds.classes,
                **detail,
            },
        }

    # -- inference

    def inference(self) -> dict:
        """Latency (batch 1) and throughput of reloaded run folders, from raw strokes."""
        from seqdoodle.kinds.inputs import drawing_inputs
        from seqdoodle.runs.evaluate import measure_latency
        from seqdoodle.runs.folder import load_run
        from seqdoodle.training import train

        ds = self.dataset("strokes8")
        drawings = raw_drawings(self.shared, self.scale.latency_drawings)
        latency, throughput, detail = {}, {}, {}
        for kind in ("cnn", "rnn"):
            out = self.work / "runs" / kind
            self.say(f"train a brief {kind} run to load ({self.scale.run_max_train} drawings)")
            train(
                kind,
                ds.path,
                out,
                epochs=1,
                max_train=self.scale.run_max_train,
                progress=False,
                time_limit=None,
            )
            run = load_run(out)
            self.say(f"latency {kind}: {self.scale.latency_repeats} calls of one raw drawing")
            timing = measure_latency(
                lambda d, run=run: run.predict_proba(d),
                drawings,
                batch_size=256,
                repeats=self.scale.latency_repeats,
                warmup=5,
            )
            prep = measure_latency(
                lambda d, run=run: drawing_inputs(d, run.kind, run.input_config),
                drawings,
                batch_size=256,
                repeats=self.scale.latency_repeats,
                warmup=2,
            )
            latency[kind] = {
                "p50": round(timing["batch1_p50"], 2),
                "p95": round(timing["batch1_p95"], 2),
                "batched_per_drawing": round(timing["batched_per_drawing"], 3),
            }
            throughput[kind] = round(1000 / timing["batched_per_drawing"])
            detail[kind] = {
                "arch": run.arch,
                "params": run.n_params,
                "preprocess_only_p50_ms": round(prep["batch1_p50"], 2),
                "preprocess_only_p95_ms": round(prep["batch1_p95"], 2),
                "preprocess_only_batched_per_drawing_ms": round(prep["batched_per_drawing"], 3),
                "load_average": load_average(),
            }
        return {
            "latency_ms": latency,
            "inference_drawings_per_s": throughput,
            "inference_detail": {
                "drawings": len(drawings),
                "input": "raw strokes from ../shared/quickdraw/raw (simplified in the call)",
                "batch_size": 256,
                **detail,
            },
        }

    # -- where the time goes (opt-in)

    def profile(self) -> dict:
        """CNN variants' training cost per CPU-second, and a cProfile of the stroke pipeline."""
        import cProfile
        import pstats

        import keras

        from seqdoodle.models.encoders import BitmapEncoder, add_classifier_head

        ds = self.dataset("strokes8")
        x, y = next(self.batches("cnn", ds).epoch(0))
        repeat, steps = max(2, self.scale.repeat), max(2, self.scale.scale_steps // 4)
        variants = {}
        for name, overrides in CNN_VARIANTS.items():
            self.say(f"profile cnn variant {name}")
            keras.utils.set_random_seed(0)
            overrides = dict(overrides)
            inputs = keras.Input((28, 28, 1))
            encoder = BitmapEncoder(arch=overrides.pop("arch", "default"), seed=0, **overrides)
            backbone = keras.Model(inputs, encoder(inputs))
            model = add_classifier_head(backbone, FULL_SCALE["classes"], 0.3, seed=0)
            model.compile(keras.optimizers.Adam(2e-3), "sparse_categorical_crossentropy")
            for _ in range(3):
                model.train_on_batch(x, y)
            wall, cpu = [], []
            for _ in range(repeat):
                w, c = time.perf_counter(), time.process_time()
                for _ in range(steps):
                    model.train_on_batch(x, y)
                wall.append(time.perf_counter() - w)
                cpu.append(time.process_time() - c)
            variants[name] = {
                "params": int(model.count_params()),
                "samples_per_s": round(steps * len(y) / min(wall), 1),
                "samples_per_cpu_s": round(steps * len(y) / min(cpu), 1),
            }
        batches = self.batches("rnn", ds)
        profiler = cProfile.Profile()
        samples = 0
        profiler.enable()
        for i, (_, labels) in enumerate(batches.epoch(0)):
            samples += len(labels)
            if i + 1 == 4 * self.scale.scale_steps:
                break
        profiler.disable()
        stats = pstats.Stats(profiler).stats
        total = sum(entry[2] for entry in stats.values())
        top = sorted(stats.items(), key=lambda item: -item[1][2])[:12]
        functions = [
            {
                "function": f"{Path(file).name}:{line}({func})",
                "calls": entry[1],
                "own_share": round(entry[2] / total, 3),
                "cumulative_share": round(entry[3] / total, 3),
            }
            for (file, line, func), entry in top
        ]
        return {
            "profile": {
                "cnn_variants_345_classes_batch_256": variants,
                "stroke_generator": {
                    "samples": samples,
                    "samples_per_profiled_s": round(samples / total, 1),
                    "top_functions_by_own_time": functions,
                },
                "load_average": load_average(),
            }
        }

    # -- full-scale projection

    def scale_projection(self, train_speeds: dict | None = None) -> dict:
        """Minutes per epoch at 345 x 10,000 drawings (80% train), projected from a few steps."""
        n_total = FULL_SCALE["classes"] * FULL_SCALE["per_class"]
        n_train, n_val = n_total * FULL_SCALE["train"], n_total * FULL_SCALE["val"]
        detail, minutes = {}, {}
        for kind, arch, name in (("cnn", "default", "bitmaps345"), ("rnn", "default", "strokes20")):
            ds = self.dataset(name)
            self.say(f"full-scale {kind}: {self.scale.scale_steps} steps on {len(ds)} drawings")
            model = new_model(kind, arch, FULL_SCALE["classes"], self.stroke_features())
            s = self.scale
            train_rate = fit_rate(
                model, self.batches(kind, ds), s.warmup_steps, s.scale_steps, s.train_repeat
            )
            val_rate = evaluate_rate(model, self.batches(kind, ds, "val"), self.scale.scale_steps)
            epoch_min = (n_train / train_rate["samples_per_s"] + n_val / val_rate) / 60
            minutes[kind] = round(epoch_min, 1)
            detail[kind] = {
                "arch": arch,
                "measured_on": f"{len(ds)} drawings, {len(ds.classes)} classes, 345-class head",
                "train_samples_per_s": train_rate["samples_per_s"],
                "val_samples_per_s": round(val_rate, 1),
                "train_pass_min": round(n_train / train_rate["samples_per_s"] / 60, 1),
                "val_pass_min": round(n_val / val_rate / 60, 1),
                "epochs_in_hobby_time": round(HOBBY["whole_training_min"] / epoch_min, 1),
                "load_average": load_average(),
            }
        if train_speeds:  # the two reference designs, from the 8-class training speeds
            for name in ("cnn_baseline", "rnn_tutorial"):
                if train_speeds.get(name):
                    train_min = n_train / train_speeds[name] / 60
                    minutes[f"{name}_train_pass"] = round(train_min, 1)
        return {
            "full_scale_epoch_min": minutes,
            "full_scale_detail": {
                "drawings": n_total,
                "train_drawings": int(n_train),
                "val_drawings": int(n_val),
                "hobby_project_whole_training": HOBBY["whole_training"],
                "hobby_project_whole_training_min": HOBBY["whole_training_min"],
                **detail,
            },
        }


# ----------------------------------------------------------------------------- timing helpers


def new_model(kind: str, arch: str, num_classes: int, features=None):
    """A model built and compiled exactly as `seqdoodle.training` does (`models.task`)."""
    import keras

    from seqdoodle.kinds import get_kind
    from seqdoodle.kinds.inputs import StrokeFeatures, bitmap_config
    from seqdoodle.models.task import compile_classifier

    model_kind = get_kind(kind)
    keras.utils.set_random_seed(0)
    if model_kind.needs_strokes:
        input_config = (features or StrokeFeatures(scale_in_model=True)).to_config()
    else:
        input_config = bitmap_config()
    model = model_kind.build_model(arch, num_classes, input_config, seed=0)
    return compile_classifier(model, model_kind.defaults.lr)


def _batch_sizes(batches, n_batches: int) -> list[int]:
    """Sizes of the first `n_batches` batches that `batches.dataset(repeat=True)` yields."""
    sizes, epoch = [], 0
    while len(sizes) < n_batches:
        sizes += [len(rows) for rows in batches.batch_indices(epoch)]
        epoch += 1
    return sizes[:n_batches]


def fit_rate(model, batches, warmup: int, steps: int, repeat: int = 1) -> dict:
    """Samples/s of `model.fit` on `batches.dataset()` for `steps` steps after `warmup` steps.

    Every fit reads a fresh iterator of the same pipeline (`tf.data.Dataset.from_generator` with
    prefetch, as in `seqdoodle.training`), so the timed steps include the input pipeline. The
    best of `repeat` timed fits is kept (the machine is shared).

    Args:
        model: compiled `keras.Model`.
        batches: a `seqdoodle.batches` batch source (`BitmapBatches` or `StrokeBatches`).
        warmup: int. Untimed steps first (tracing, caches).
        steps: int. Timed steps.
        repeat: int. Timed fits; the fastest is reported. Defaults to 1.

    Returns:
        dict: `batch_size`, `steps`, `samples`, `seconds`, `samples_per_s`, `samples_per_cpu_s`,
        `all_samples_per_s`, `params`.
    """
    data = batches.dataset(repeat=True)
    model.fit(data, steps_per_epoch=max(1, warmup), epochs=1, verbose=0, shuffle=False)
    samples = sum(_batch_sizes(batches, steps))
    runs = []
    for _ in range(max(1, repeat)):
        wall, cpu = time.perf_counter(), time.process_time()
        model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    wall = min(w for w, _ in runs)
    cpu = min(c for _, c in runs)
    return {
        "batch_size": batches.batch_size,
        "steps": steps,
        "samples": samples,
        "seconds": round(wall, 2),
        "samples_per_s": round(samples / wall, 1),
        "samples_per_cpu_s": round(samples / max(cpu, 1e-9), 1),
        "all_samples_per_s": [round(samples / w, 1) for w, _ in runs],
        "params": int(model.count_params()),
    }


def _premade(batches, steps: int):
    """The first `steps` batches of epoch 0, made now, as a `tf.data` source that only yields."""
    import tensorflow as tf

    made = []
    for x, y in batches.epoch(0):
        made.append((x, y))
        if len(made) == steps:
            break
    data = tf.data.Dataset.from_generator(
        lambda: iter(made), output_signature=batches.signature()
    ).repeat()
    return data, sum(len(y) for _, y in made), len(made)


def model_only_rate(model, batches, steps: int) -> float:
    """Samples/s of `model.fit` on batches made beforehand, so without the input pipeline's work.

    The batches go through `tf.data` with the pipeline's signature (one traced graph, as in
    training) but are not computed during the timing.
    """
    data, samples, n = _premade(batches, steps)
    model.fit(data, steps_per_epoch=1, epochs=1, verbose=0, shuffle=False)
    start = time.perf_counter()
    model.fit(data, steps_per_epoch=n, epochs=1, verbose=0, shuffle=False)
    return round(samples / (time.perf_counter() - start), 1)


def pipeline_rate(batches, steps: int) -> dict:
    """Samples/s of the input pipeline alone: the Python generator, and through `tf.data`."""
    start, samples = time.perf_counter(), 0
    for i, (_, y) in enumerate(batches.epoch(0)):
        samples += len(y)
        if i + 1 == steps:
            break
    generator = samples / (time.perf_counter() - start)
    iterator = iter(batches.dataset(repeat=True))
    next(iterator)
    start, samples = time.perf_counter(), 0
    for _ in range(steps):
        samples += int(next(iterator)[1].shape[0])
    return {
        "pipeline_only_samples_per_s": round(samples / (time.perf_counter() - start), 1),
        "generator_only_samples_per_s": round(generator, 1),
    }


def evaluate_rate(model, batches, steps: int) -> float:
    """Samples/s of `model.evaluate` on `batches.dataset()` (the validation pass of training)."""
    data = batches.dataset(repeat=True)
    model.evaluate(data, steps=1, verbose=0)
    samples = sum(_batch_sizes(batches, steps))
    start = time.perf_counter()
    model.evaluate(data, steps=steps, verbose=0)
    return samples / (time.perf_counter() - start)


# ----------------------------------------------------------------------------- report


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


def run_benchmark(
    shared,
    out,
    scale: Scale = FULL,
    sections=SECTIONS,
    workdir=None,
    quick: bool = False,
    max_load: float | None = None,
    max_wait_s: float = 600.0,
    command: str | None = None,
) -> dict:
    """Run the chosen sections and write the JSON (merged into `out` for a subset of sections).

    Args:
        shared: path. The real data folder (`../shared/quickdraw`).
        out: path. The JSON file to write.
        scale: `Scale`. Sizes. Defaults to `FULL`.
        sections: iterable of str. Sections to run, from `SECTIONS`. Defaults to all.
        workdir: path or None. Where the scratch folder is made. Defaults to the system's.
        quick: bool. Recorded in the JSON. Defaults to False.
        max_load: float or None. Before the timing sections (train, inference, scale, profile)
            wait until the 1-minute load average is at most this. Defaults to None (no wait).
        max_wait_s: float. Longest wait per section, seconds. Defaults to 600.
        command: str or None. The command line, recorded as `commands[section]` for each
            section run. Defaults to None.

    Returns:
        The results dict that was written.

    Example:
    >>> run_benchmark("../shared/quickdraw", "/tmp/b.json", QUICK)  # doctest: +SKIP
    """
    sections = list(sections)
    unknown = sorted(set(sections) - set(SECTIONS) - set(OPTIONAL_SECTIONS))
    if unknown:
        choices = ", ".join(SECTIONS + OPTIONAL_SECTIONS)
        raise ValueError(f"unknown section(s) {', '.join(unknown)}; choose from {choices}")
    out = Path(out)
    partial = set(sections) != set(SECTIONS)
    results = json.loads(out.read_text()) if partial and out.exists() else {}
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="seqdoodle-bench-", dir=workdir))
    bench = Benchmark(shared, work, scale)
    seconds = results.get("section_seconds", {})
    finished = results.setdefault("section_finished_utc", {})
    loads = results.get("load_average", {})
    loads["start"] = load_average()
    info = machine_info()
    out.parent.mkdir(parents=True, exist_ok=True)

    def save(done: list[str]) -> None:
        """Write what is measured so far, so a failed section loses only itself."""
        results.update(
            machine=info,
            quick=quick,
            scale=asdict(scale),
            sections_run=done,
            complete=done == sections,
            section_seconds=seconds,
            total_seconds=round(time.perf_counter() - started, 1),
            load_average={**loads, "end": load_average()},
            units=UNITS,
        )
        results["ratios"] = ratios(results)
        results["targets"] = targets(results)
        if command:  # the command line that measured each section (a subset merges)
            results.setdefault("commands", {}).update({section: command for section in done})
        write_json(out, results)

    runners = {
        "parse": lambda: {"ndjson_parse": bench.parse()},
        "render": bench.render,
        "prepare": bench.prepare,
        "train": bench.train,
        "inference": bench.inference,
        "scale": lambda: bench.scale_projection(results.get("train_samples_per_s")),
        "profile": bench.profile,
        "input_pipeline": lambda: {  # experiments/bench_input.py, on the real 8-class set
            "input_pipeline": bench_input.measure(bench.dataset("strokes8"), repeat=scale.repeat)
        },
    }
    try:
        for n, section in enumerate(sections):
            if section in ("input_pipeline", "train", "inference", "scale", "profile"):
                waited = wait_for_quiet(max_load, max_wait_s)
                if max_load is not None:
                    results.setdefault("waited_for_load_s", {})[section] = waited
            t0 = time.perf_counter()
            loads[section] = load_average()
            results.update(runners[section]())
            results.update(bench.results)  # preparations run on demand by other sections
            seconds[section] = round(time.perf_counter() - t0, 1)
            finished[section] = datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds"
            )
            save(sections[: n + 1])
    finally:
        bench.close()
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__.strip().split("\n")[0].removeprefix("Title: ")
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file to write")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="real data folder")
    parser.add_argument("--workdir", type=Path, default=None, help="where scratch files go")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=(
            f"comma-separated sections from {','.join(SECTIONS + OPTIONAL_SECTIONS)} "
            "(profile only when named); a subset merges into --out"
        ),
    )
    parser.add_argument("--only", default=None, help="one section alone (as --sections X)")
    parser.add_argument(
        "--max-load",
        type=float,
        default=None,
        help="before each timing section wait until the 1-minute load average is at most this",
    )
    parser.add_argument("--max-wait", type=float, default=600, help="longest such wait, seconds")
    args = parser.parse_args(argv)
    scale = QUICK if args.quick else FULL
    sections = [s.strip() for s in (args.only or args.sections).split(",") if s.strip()]
    used = sys.argv[1:] if argv is None else list(argv)
    results = run_benchmark(
        args.shared,
        args.out,
        scale,
        sections,
        args.workdir,
        args.quick,
        args.max_load,
        args.max_wait,
        command=shlex.join(["python", "experiments/benchmark.py", *used]),
    )
    print(table(results))
    if args.quick:
        print("quick run: few steps and small sizes; judge the targets on a full run")
    print(f"total {results['total_seconds']:.0f} s; wrote {args.out}")
    return results


if __name__ == "__main__":
    main()

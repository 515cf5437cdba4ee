"""
Title: Training on whatever accelerator is present: samples/s, utilisation, test accuracy
Description: The bitmap CNN and the stroke model trained by `seqdoodle.train` on the 26 real
stroke classes of ../shared/quickdraw, with the strategy and precision asked for.

The data set is every class whose `simplified/` and `simplified_nokeyid/` files hold 500 drawings
or more together (26 classes, about 44,600 drawings), prepared once (80/10/10 split). Each model is
trained with `strategy="auto"` (MirroredStrategy over all GPUs when there are several, else the one
device) and the precision given, and the script prints, per model: training samples/s (the
trainer's own figure, validation excluded), the device's mean and peak utilisation and memory while
training (`nvidia-smi` polled once a second; on a machine without it, the CPU time of this process
per wall second), and the test top-1. Results go to `--out` as JSON.

Run:
    python -m experiments.bench.gpu                         # the full version (GPU)
    python -m experiments.bench.gpu --max-train 2000 --epochs 1 --kinds rnn   # smoke, CPU
    python -m experiments.bench.gpu --precision mixed_bfloat16

The dataset and runs go to `--work` (default `experiments/work/gpu_benchmark`, removed at the end
unless `--keep`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from experiments.common import (  # noqa: E402
    MIN_STROKE_DRAWINGS,
    RESULTS,
    SHARED,
    WORK,
    argument_parser,
    command_line,
    prepare_stroke_set,
    settings_of,
    split_settings,
    stroke_classes,
    write_result,
)

DEFAULT_OUT = RESULTS / "gpu_benchmark.json"


class DeviceMonitor:
    """Samples accelerator utilisation (nvidia-smi) or this process's CPU use, once a second."""

    def __init__(self, interval: float = 1.0):
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self.has_gpu = shutil.which("nvidia-smi") is not None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._cpu0, self._wall0 = time.process_time(), time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        self.cpu_per_wall = (time.process_time() - self._cpu0) / (time.monotonic() - self._wall0)

    def _run(self):
        while not self._stop.wait(self.interval):
            if self.has_gpu:
                sample = self._nvidia_smi()
                if sample is not None:
                    self.samples.append(sample)

    @staticmethod
    def _nvidia_smi():
        query = "--query-gpu=utilization.gpu,memory.used"
        try:
            text = subprocess.run(
                ["nvidia-smi", query, "--format=csv,noheader,nounits"],
                capture_output=True, text=True, timeout=10, check=True,
            ).stdout  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            return None
        rows = [[float(v) for v in line.split(",")] for line in text.strip().splitlines() if line]
        if not rows:
            return None
        return sum(r[0] for r in rows) / len(rows), sum(r[1] for r in rows)

    def summary(self) -> dict:
        if self.has_gpu and self.samples:
            util = [s[0] for s in self.samples]
            memory = [s[1] for s in self.samples]
            return {
                "device_utilisation_mean_pct": round(sum(util) / len(util), 1),
                "device_utilisation_max_pct": round(max(util), 1),
                "device_memory_max_mib": round(max(memory)),
                "samples_taken": len(util),
            }
        return {"cpu_seconds_per_wall_second": round(self.cpu_per_wall, 2), "cpus": os.cpu_count()}


def device_description() -> dict:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    names = []
    for gpu in gpus:
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name))
    return {"gpus": len(gpus), "gpu_names": names, "cpus": os.cpu_count()}


def run(args) -> dict:
    import seqdoodle

    work = Path(args.work)
    data = work / "data"
    classes = stroke_classes(args.shared, MIN_STROKE_DRAWINGS)
    if data.exists():
        ds = seqdoodle.PreparedDataset(data)
    else:
        print(f"preparing {len(classes)} classes from {args.shared}", flush=True)
        ds = prepare_stroke_set(data, classes, args.shared, per_class=100000)
    result = {
        "dataset": {
            "classes": len(ds.classes),
            "drawings": len(ds),
            "counts": ds.counts(),
            "split": split_settings(ds),
        },
        "device": device_description(),
        "precision": args.precision,
        "strategy": args.strategy,
        "max_train": args.max_train,
        "models": {},
    }
    print(json.dumps(result["device"]), flush=True)
    for kind in args.kinds:
        out = work / f"run_{kind}_{args.precision}"
        shutil.rmtree(out, ignore_errors=True)
        started = time.monotonic()
        with DeviceMonitor() as monitor:
            summary = seqdoodle.train(
                kind, ds, out, epochs=args.epochs, batch_size=args.batch_size,
                max_train=args.max_train, time_limit=None, progress=False,
                strategy=args.strategy, precision=args.precision,
            ).summary  # fmt: skip
        row = {
            "samples_per_s": round(summary["samples_per_second"] or 0.0, 1),
            "test_top1": summary["test_top1"],
            "epochs_run": summary["epochs_run"],
            "wall_seconds": round(time.monotonic() - started, 1),
            **monitor.summary(),
        }
        result["models"][kind] = row
        print(f"{kind}: {json.dumps(row)}", flush=True)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return result


def main(argv=None) -> dict:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("--shared", type=Path, default=SHARED, help="real data folder")
    parser.add_argument("--kinds", nargs="+", default=["cnn", "rnn"], help="model kinds")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (kind default)")
    parser.add_argument("--batch-size", type=int, default=None, help="per replica")
    parser.add_argument("--max-train", type=int, default=None, help="training drawings used")
    parser.add_argument("--precision", default="float32",
                        help="float32, mixed_float16 or mixed_bfloat16")  # fmt: skip
    parser.add_argument("--strategy", default="auto", help="auto, default or mirrored")
    parser.add_argument(
        "--work", type=Path, default=WORK / "gpu_benchmark", help="scratch folder (reused)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file to write")
    args = parser.parse_args(argv)
    result = run(args)
    write_result(args.out, result, command_line(__file__, argv), settings_of(args))
    print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    main()

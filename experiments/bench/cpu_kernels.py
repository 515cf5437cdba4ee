"""
Title: oneDNN's CPU kernels against TensorFlow's Eigen kernels, on this machine
Description: Real training epochs and inference samples/s of every kind's default model with
`TF_ENABLE_ONEDNN_OPTS=0` and `=1`, and how far their predictions differ.

TensorFlow turns oneDNN's kernels on by itself only on CPUs with AVX-512 VNNI/BF16 or AMX; on
other x86-64 CPUs its own (Eigen) kernels run unless `TF_ENABLE_ONEDNN_OPTS=1` is set before it
loads. seqdoodle's commands set it (`seqdoodle.models.runtime.use_onednn`); this benchmark is
the evidence. The variable is read once per process, so every measurement runs in a child
process; the two settings alternate, `--repeat` times, and the best rate of each is kept, so a
busy machine hurts both alike.

- Inference: `predict` on a premade batch of random inputs shaped like the real ones (the
  precision benchmark's `default_model`, float32), `--steps` times after one untimed call.
- Agreement: the same freshly built model (the first child's weights) predicts the same batch
  under both settings: the largest difference of a probability, and the share of equal top-1.
- Training (`--epoch-kinds`, empty to skip): `seqdoodle.train` for 2 epochs on the real 8-class
  stroke set (up to `--max-train` training drawings); the second epoch's seconds (the first
  includes building the graph) and its validation top-1.

Run:
    python -m experiments.bench.cpu_kernels
Writes `experiments/results/cpu_kernels.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from experiments.bench.precision import cpu_flags  # noqa: E402
from experiments.common import (  # noqa: E402
    RESULTS,
    SHARED,
    STROKE_CLASSES,
    WORK,
    argument_parser,
    command_line,
    load_average,
    prepare_stroke_set,
    settings_of,
    write_result,
)

DEFAULT_OUT = RESULTS / "cpu_kernels.json"
SETTINGS = {"eigen": "0", "onednn": "1"}
KINDS = ["cnn", "rnn", "timecnn", "transformer"]


def child(kinds: list, steps: int, probs_dir: Path, dataset: str, epoch_kinds: list,
          max_train: int) -> dict:  # fmt: skip
    """In a child process: every measurement of one setting (the environment chose it)."""
    import numpy as np

    import seqdoodle
    from experiments.bench.precision import default_model

    out = {"kernels": {}, "epochs": {}}
    for kind in kinds:
        model, x, _ = default_model(kind)
        weights = probs_dir.parent / f"{kind}.weights.h5"  # one model for every child
        if weights.is_file():
            model.load_weights(weights)
        else:
            model.save_weights(weights)
        np.save(probs_dir / f"{kind}.npy", model.predict(x, verbose=0))
        started = time.perf_counter()
        for _ in range(steps):
            model.predict(x, verbose=0)
        out["kernels"][kind] = {"predict": steps * len(x) / (time.perf_counter() - started)}
    for kind in epoch_kinds:
        with tempfile.TemporaryDirectory() as run:
            seqdoodle.train(kind, dataset, run, epochs=2, max_train=max_train, time_limit=None,
                            progress=False)  # fmt: skip
            history = json.loads((Path(run) / "history.json").read_text())
        out["epochs"][kind] = {
            "seconds": history["seconds"][-1],
            "val_top1": history["val_accuracy"][-1],
        }
    return out


def run_child(setting: str, args, probs_dir: Path, dataset: str) -> dict:
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": SETTINGS[setting]}
    argv = [sys.executable, "-m", "experiments.bench.cpu_kernels", "--child", str(probs_dir),
            "--dataset", dataset, "--kinds", *args.kinds, "--steps", str(args.steps),
            "--max-train", str(args.max_train), "--epoch-kinds", *args.epoch_kinds]  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{setting} child failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def agreement(folders: dict, kinds: list) -> dict:
    import numpy as np

    out = {}
    for kind in kinds:
        a, b = (np.load(folders[s] / f"{kind}.npy") for s in SETTINGS)
        out[kind] = {
            "max_prob_difference": float(np.abs(a - b).max()),
            "top1_equal": float((a.argmax(1) == b.argmax(1)).mean()),
        }
    return out


def summarise(measured: dict, kinds: list, epoch_kinds: list) -> dict:
    """Best rate of each setting, and oneDNN's speed-up over Eigen (>1: faster)."""
    best = {}
    for kind in kinds:
        rate = {s: round(max(m["kernels"][kind]["predict"] for m in measured[s]), 1)
                for s in SETTINGS}  # fmt: skip
        best[kind] = {"predict": {**rate, "speedup": round(rate["onednn"] / rate["eigen"], 2)}}
    epochs = {}
    for kind in epoch_kinds:
        each = {s: min(m["epochs"][kind]["seconds"] for m in measured[s]) for s in SETTINGS}
        epochs[kind] = {
            "second_epoch_s": {s: round(v, 1) for s, v in each.items()},
            "each_repeat_s": {
                s: [round(m["epochs"][kind]["seconds"], 1) for m in measured[s]] for s in SETTINGS
            },  # fmt: skip
            "val_top1": {
                s: round(measured[s][0]["epochs"][kind]["val_top1"], 4) for s in SETTINGS
            },  # fmt: skip
            "speedup": round(each["eigen"] / each["onednn"], 2),
        }
    return {"samples_per_s": best, "epochs": epochs}


def main(argv=None) -> dict:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("--kinds", nargs="+", default=KINDS)
    parser.add_argument("--steps", type=int, default=8, help="timed batches per measurement")
    parser.add_argument("--repeat", type=int, default=2, help="measurements per setting")
    parser.add_argument("--epoch-kinds", nargs="*", default=KINDS)
    parser.add_argument("--max-train", type=int, default=4000, help="training drawings (epochs)")
    parser.add_argument("--dataset", default=None, help="prepared dataset (default: 8 classes)")
    parser.add_argument("--shared", type=Path, default=SHARED, help="real data folder")
    parser.add_argument("--work", type=Path, default=WORK / "cpu_kernels", help="work folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        out = child(args.kinds, args.steps, args.child, args.dataset, args.epoch_kinds,
                    args.max_train)  # fmt: skip
        print(json.dumps(out))
        return out
    dataset = args.dataset
    if dataset is None and args.epoch_kinds:
        dataset = str(prepare_stroke_set(args.work / "strokes8", STROKE_CLASSES, args.shared).path)
    measured = {s: [] for s in SETTINGS}
    with tempfile.TemporaryDirectory() as tmp:
        folders = {s: Path(tmp) / s for s in SETTINGS}
        for repeat in range(args.repeat):
            for setting in SETTINGS:
                folders[setting].mkdir(exist_ok=True)
                measured[setting].append(run_child(setting, args, folders[setting], dataset or ""))
                print(f"[{repeat + 1}/{args.repeat}] {setting}: "
                      f"{json.dumps(measured[setting][-1])}", flush=True)  # fmt: skip
        result = {
            **summarise(measured, args.kinds, args.epoch_kinds),
            "agreement": agreement(folders, args.kinds),
        }
    result["cpu_flags"] = cpu_flags(("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile"))
    result["load_average_end"] = load_average()
    print(json.dumps({k: result[k] for k in ("samples_per_s", "epochs", "agreement")}, indent=1))
    write_result(args.out, result, command_line(__file__, argv), settings_of(args))
    print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    main()

"""
Title: Does mixed precision help on this machine? float32 against bfloat16/float16 training
Description: Training samples/s of both models' default architectures under each Keras
dtype policy (model alone, batches made beforehand), and test top-1 after a short `train`.

Speed: `model.fit` on premade batches of random inputs shaped like the real ones, the policies
interleaved and each timed `--repeat` times (best kept), so a busy shared machine hurts them alike.
Accuracy (`--train-epochs N`, 0 to skip): `seqdoodle.train(kind, DATASET, precision=...)` for
N epochs on a prepared dataset (`--dataset`; by default the real 8-class stroke set, prepared
into `--work` with `prepare`'s defaults: up to 10,000 drawings a class, 80/10/10, seed 0), test
top-1 from the run's metrics.

On CPUs bfloat16 is fast only with AVX512-BF16 or AMX (`grep -o avx512_bf16 /proc/cpuinfo`);
float16 has no fast CPU path. Writes `experiments/results/precision.json`.

Run:
    python -m experiments.bench.precision                      # speed only
    python -m experiments.bench.precision --train-epochs 2     # and accuracy on the 8 classes
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

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
    split_settings,
    write_result,
)

DEFAULT_OUT = RESULTS / "precision.json"


def cpu_flags(wanted=("avx512_bf16", "amx_bf16", "avx512_fp16", "avx512f")) -> list[str]:
    """The flags of `wanted` that /proc/cpuinfo lists (none where it cannot be read)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    return [flag for flag in wanted if f" {flag}" in text]


def default_model(kind_name: str, precision: str = "float32", n_classes: int = 26):
    """`(model, x, y)`: the kind's default model, compiled under `precision`, and one premade
    training batch of random inputs shaped like the real ones (batch size the kind's default)."""
    import numpy as np

    from seqdoodle.kinds import get_kind
    from seqdoodle.kinds.inputs import StrokeFeatures
    from seqdoodle.models.task import compile_classifier
    from seqdoodle.training.distribute import precision_policy

    kind = get_kind(kind_name)
    rng = np.random.default_rng(0)
    batch = kind.defaults.batch_size
    if kind.input_type == "stroke3":
        config = StrokeFeatures(scale=(0.05, 0.05), scale_in_model=True).to_config()
        x = (rng.normal(size=(batch, 48, 3)) * 0.05).astype(np.float32)
        x[..., 2] = rng.random((batch, 48)) < 0.12
    else:  # 28x28 images: the bitmap, or the stroke-order channels
        config = kind.run_input_config({"type": kind.input_type, "size": 28})
        channels = len(config.get("channels", [None]))
        x = rng.integers(0, 256, (batch, 28, 28, channels)).astype(np.float32)
    y = rng.integers(0, n_classes, batch).astype(np.int32)
    with precision_policy(precision):
        model = kind.build_model(kind.archs[0], n_classes, config, seed=0)
        compile_classifier(model, 1e-3)
    return model, x, y


def fit_rate(model, x, y, steps: int) -> float:
    """Training samples/s of `model.fit` on the premade batch, after 3 steps that build it."""
    import tensorflow as tf

    data = tf.data.Dataset.from_tensors((x, y)).repeat()
    model.fit(data, steps_per_epoch=3, epochs=1, verbose=0)  # builds the graph
    started = time.perf_counter()
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
    return steps * len(x) / (time.perf_counter() - started)


def model_rate(kind_name: str, precision: str, steps: int, n_classes: int = 26) -> float:
    """Training samples/s of the kind's default model under `precision`, batches premade."""
    return fit_rate(*default_model(kind_name, precision, n_classes), steps)


def main(argv=None) -> dict:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("--kinds", nargs="+", default=["cnn", "rnn"])
    parser.add_argument("--precisions", nargs="+", default=["float32", "mixed_bfloat16"])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per measurement")
    parser.add_argument("--repeat", type=int, default=3, help="measurements per policy")
    parser.add_argument(
        "--dataset", type=Path, default=None, help="prepared dataset (accuracy; default: 8 classes)"
    )
    parser.add_argument("--train-epochs", type=int, default=0, help="epochs of the accuracy run")
    parser.add_argument("--shared", type=Path, default=SHARED, help="real data folder")
    parser.add_argument("--work", type=Path, default=WORK / "precision", help="work folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    result = {"cpu_flags": cpu_flags(), "cpus": os.cpu_count(), "speed": {}, "accuracy": {}}
    split = {}
    for kind in args.kinds:
        rates = {p: [] for p in args.precisions}
        for _ in range(args.repeat):
            for precision in args.precisions:
                rates[precision].append(model_rate(kind, precision, args.steps))
        best = {p: round(max(r)) for p, r in rates.items()}
        result["speed"][kind] = {
            "samples_per_s": best,
            "speedup_over_float32": {p: round(v / best["float32"], 2) for p, v in best.items()}
            if "float32" in best
            else None,
        }
        print(kind, json.dumps(result["speed"][kind]), flush=True)
    if args.train_epochs > 0:
        import seqdoodle

        if args.dataset is None:  # the real 8-class stroke set, prepare's defaults
            ds = prepare_stroke_set(args.work / "strokes8", STROKE_CLASSES, args.shared)
            args.dataset = ds.path
        split = split_settings(seqdoodle.PreparedDataset(args.dataset, verify=False))
        args.work.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="runs-", dir=args.work))
        for kind in args.kinds:
            for precision in args.precisions:
                summary = seqdoodle.train(
                    kind, args.dataset, work / f"{kind}_{precision}", epochs=args.train_epochs,
                    time_limit=None, progress=False, precision=precision,
                ).summary  # fmt: skip
                result["accuracy"].setdefault(kind, {})[precision] = {
                    "test_top1": summary["test_top1"],
                    "samples_per_s": round(summary["samples_per_second"] or 0),
                    "epochs": summary["epochs_run"],
                }
                print(kind, precision, json.dumps(result["accuracy"][kind][precision]), flush=True)
        shutil.rmtree(work, ignore_errors=True)
    result["load_average_end"] = load_average()
    settings = settings_of(args, dataset_split=split or None)
    write_result(args.out, result, command_line(__file__, argv), settings)
    print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    main()

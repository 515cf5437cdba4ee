"""Sizes and fixed figures of `python -m experiments.bench.benchmark`.

`Scale` holds the sizes of one run: `FULL` (the real benchmark) and `QUICK` (`--quick`, a smoke
version). `MODELS` are the four timed models, `CNN_VARIANTS` the CNNs the opt-in profile section
times, `FULL_SCALE` the seed job the scale section projects to, and `HOBBY` the hobby project's
whole training time it is compared with.
"""

from __future__ import annotations

from dataclasses import dataclass

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

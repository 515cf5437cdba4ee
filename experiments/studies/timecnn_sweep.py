"""
Title: What would lift the stroke-order CNN? Channels, resolution, stroke augmentation, width
Description: Variants of the `timecnn` input and training scored on the validation split of the
26 real stroke classes at one reduced budget, each with and without mirror averaging.

## Introduction

`timecnn` is the bitmap CNN over a rendering of the strokes with extra channels (stroke order,
position along the drawing). On the 26 classes it beats the plain CNN by well under a point, while
the question asked of it is two points. This sweep asks where more could come from: which channel
carries the gain, whether a finer rendering (32, 40 px) helps, whether re-rendering rotated,
stretched, thinned strokes every epoch (augmentation a bitmap-only CNN cannot have) helps, and
whether a wider network helps. Every variant trains on the same seeded sample of training drawings
for the same number of epochs and is scored on the whole validation split (the test split is
never read), once as trained and once averaged with the prediction of the mirrored image (the
`mirror_average` setting of `BitmapEncoder`).

Run:

    python -m experiments.studies.timecnn_sweep                  # ~37 min on 2 cores
    python -m experiments.studies.timecnn_sweep --data DATASET   # a 26-class dataset of yours

Without `--data` the 26 classes are prepared as `experiments.studies.compare_26` prepares them
(80% train, 15% validation, 5% test, seed 0) into `--work` (default
`experiments/work/timecnn_sweep`). Writes `experiments/results/timecnn_sweep.json` (after every
variant; rerun to resume) and `timecnn_sweep.png`.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from experiments.common import (  # noqa: E402
    MIN_STROKE_DRAWINGS,
    RESULTS,
    SHARED,
    SPLIT_26,
    WORK,
    argument_parser,
    command_line,
    portable,
    prepare_stroke_set,
    settings_of,
    split_settings,
    stroke_classes,
    write_result,
)
from seqdoodle.datasets.prepared import PreparedDataset  # noqa: E402
from seqdoodle.plots import save_figure  # noqa: E402
from seqdoodle.strokes.augment import augment_points_batch  # noqa: E402
from seqdoodle.strokes.stroke3_batch import gather_points  # noqa: E402
from seqdoodle.strokes.timeraster import DEFAULT_CHANNELS, render_points_batch  # noqa: E402

"""
## Variants

One change at a time from the default (28 px; ink, order, index; 48/96/192 filters); the last two
repeat the finer and the wider variant with the ink channel alone.
"""

BASE = {"size": 28, "channels": list(DEFAULT_CHANNELS), "augment": 0.0, "filters": [48, 96, 192]}
VARIANTS = {
    "ink only (the cnn's input)": {"channels": ["ink"]},
    "ink + order": {"channels": ["ink", "order"]},
    "ink + index": {"channels": ["ink", "index"]},
    "ink + order + index (default)": {},
    "32 px": {"size": 32},
    "40 px": {"size": 40},
    "stroke augmentation": {"augment": 0.5},
    "wider: 64/128/256 filters": {"filters": [64, 128, 256]},
    # Does the stroke order's share grow with resolution or width? The same two, ink only.
    "32 px, ink only": {"size": 32, "channels": ["ink"]},
    "wider, ink only": {"filters": [64, 128, 256], "channels": ["ink"]},
}
# Stroke augmentation: half the training drawings of every epoch rotated (up to 10 degrees),
# stretched (up to 10% per axis) and thinned (10% of inner points dropped), moved back into
# Google's frame (min 0, longest side 255) and rendered again; the other half as prepared.
AUGMENT = {"scale": (1.0, 1.0), "stretch": 0.1, "rotate_deg": 10.0, "drop_prob": 0.1}

parser = argument_parser(__file__, __doc__)
parser.add_argument("--data", type=Path, default=None, help="prepared 26-class dataset")
parser.add_argument("--data-root", type=Path, default=SHARED, help="real data folder")
parser.add_argument("--work", type=Path, default=WORK / "timecnn_sweep", help="work folder")
parser.add_argument("--max-train", type=int, default=12000)
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--batch-size", type=int, default=256)
parser.add_argument("--lr", type=float, default=2e-3)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--only", default="", help="comma-separated variant names (default: all)")
parser.add_argument("--name", default="timecnn_sweep")
args = parser.parse_args()

"""
## Data

A seeded sample of the training split, the whole validation split; renderings made once per size.
"""

if args.data is None:
    args.data = prepare_stroke_set(
        args.work / "data", stroke_classes(args.data_root, MIN_STROKE_DRAWINGS), args.data_root,
        **SPLIT_26,
    ).path  # fmt: skip
ds = PreparedDataset(args.data)
train_rows = np.random.default_rng(args.seed).permutation(ds.indices("train"))
train_rows = np.sort(train_rows[: args.max_train])
val_rows = ds.indices("val")
y_train, y_val = ds.labels[train_rows], ds.labels[val_rows]
_renderings: dict = {}


def rendered(size: int, rows_name: str) -> np.ndarray:
    """All default channels of the train or val rows at `size` px (rendered once)."""
    key = (size, rows_name)
    if key not in _renderings:
        rows = train_rows if rows_name == "train" else val_rows
        _renderings[key] = render_points_batch(ds.points, ds.offsets, rows, size)
    return _renderings[key]


def augmented(rows: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """`rows` re-rendered after stroke augmentation, back in Google's 0..255 frame."""
    points, lengths = gather_points(ds.points, ds.offsets, rows)
    points, lengths = augment_points_batch(points, lengths, rng, **AUGMENT)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    xy = points[:, :2].astype(np.float64)
    low = np.minimum.reduceat(xy, starts)
    xy -= np.repeat(low, lengths, axis=0)
    extent = np.maximum.reduceat(xy, starts).max(axis=1)
    xy *= np.repeat(255.0 / np.maximum(extent, 1e-9), lengths)[:, None]
    points = np.column_stack([np.round(xy), points[:, 2]])
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return render_points_batch(points, offsets, np.arange(len(rows)), size)


"""
## Training

The encoder of the `timecnn` kind (`BitmapEncoder`, default preset) with a 0.3-dropout softmax
head, Adam with the kind's learning rate and a per-step cosine decay to 2% of it, as `train` does.
Mirror averaging is switched off to train, then both ways of predicting are scored.
"""


def run_variant(settings: dict) -> dict:
    import keras

    from seqdoodle.models.encoders import BitmapEncoder, add_classifier_head
    from seqdoodle.models.task import compile_classifier

    keras.utils.set_random_seed(args.seed)
    size, pick = settings["size"], [DEFAULT_CHANNELS.index(c) for c in settings["channels"]]
    inputs = keras.Input((size, size, len(pick)))
    encoder = BitmapEncoder(filters=settings["filters"], mirror_average=False, seed=args.seed)
    model = add_classifier_head(keras.Model(inputs, encoder(inputs)), len(ds.classes), 0.3)
    steps = -(-len(train_rows) // args.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(args.lr, steps * args.epochs, alpha=0.02)
    compile_classifier(model, schedule)
    plain = rendered(size, "train")
    started = time.perf_counter()
    for epoch in range(args.epochs):
        x = plain
        if settings["augment"]:
            rng = np.random.default_rng([args.seed, epoch])
            chosen = rng.random(len(train_rows)) < settings["augment"]
            x = plain.copy()
            x[chosen] = augmented(train_rows[chosen], size, rng)
        order = np.random.default_rng([args.seed, epoch, 1]).permutation(len(train_rows))
        model.fit(
            x[order][..., pick].astype("float32"), y_train[order],
            batch_size=args.batch_size, epochs=1, verbose=0,
        )  # fmt: skip
        print(f"  epoch {epoch + 1}/{args.epochs}", flush=True)
    minutes = (time.perf_counter() - started) / 60
    x_val = rendered(size, "val")[..., pick].astype("float32")
    p0 = model.predict(x_val, batch_size=512, verbose=0)
    p1 = model.predict(x_val[:, :, ::-1], batch_size=512, verbose=0)
    return {
        "settings": settings,
        "val_top1": float((p0.argmax(1) == y_val).mean()),
        "val_top1_mirror_average": float(((p0 + p1).argmax(1) == y_val).mean()),
        "train_minutes": round(minutes, 2),
    }


"""
## Run every variant, saving after each
"""

out = RESULTS / f"{args.name}.json"
report = json.loads(out.read_text()) if out.exists() else {}
keep = {
    "max_train": len(train_rows), "epochs": args.epochs, "batch_size": args.batch_size,
    "lr": args.lr, "seed": args.seed, "dataset": portable(Path(args.data).absolute()),
    "val": len(val_rows), "split": split_settings(ds),
}  # fmt: skip
if report.get("budget") != keep:
    report = {"budget": keep, "variants": {}}
command, settings_used = command_line(__file__), settings_of(args)
chosen = [v for v in args.only.split(",") if v] or list(VARIANTS)
for name in chosen:
    if name not in VARIANTS:
        raise SystemExit(f"variant {name!r}: unknown; choose from {', '.join(VARIANTS)}")
    settings = {**BASE, **VARIANTS[name]}
    if report["variants"].get(name, {}).get("settings") == settings:
        print(f"{name}: done before, kept")
        continue
    print(f"{name}: training", flush=True)
    report["variants"][name] = result = run_variant(settings)
    write_result(out, report, command, settings_used)
    print(
        f"{name}: val top-1 {result['val_top1']:.4f}, mirror-averaged "
        f"{result['val_top1_mirror_average']:.4f} ({result['train_minutes']} min)",
        flush=True,
    )

"""
## Figure
"""

names = [n for n in VARIANTS if n in report["variants"]]
plain = [report["variants"][n]["val_top1"] * 100 for n in names]
mirror = [report["variants"][n]["val_top1_mirror_average"] * 100 for n in names]
fig = Figure(figsize=(8, 0.45 * len(names) + 1.4), layout="constrained")
ax = fig.add_subplot()
at = np.arange(len(names))
ax.barh(at + 0.2, plain, 0.4, label="as trained")
ax.barh(at - 0.2, mirror, 0.4, label="mirror-averaged")
ax.set_yticks(at, names)
ax.invert_yaxis()
reference = report["variants"].get("ink only (the cnn's input)")
if reference:  # what the issue asks of timecnn: the plain CNN's input + 2 points
    target = reference["val_top1_mirror_average"] * 100 + 2
    ax.axvline(target, color="k", linestyle=":", label="ink only (mirror-averaged) + 2")
    mirror_and_target = mirror + [target]
else:
    mirror_and_target = mirror
ax.set_xlim(min(plain + mirror) - 2, max(plain + mirror_and_target) + 1)
ax.set_xlabel(f"validation top-1 (%), {len(train_rows):,} training drawings, {args.epochs} epochs")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)
ax.set_title("timecnn variants, 26 real stroke classes")
save_figure(fig, out.with_suffix(".png"))
print(f"wrote {out} and {out.with_suffix('.png')}")

"""
Title: Reusing StrokeEncoder for pen-gesture recognition
Description: put seqdoodle's stroke encoder under a new head and train it on another sequence task.

`seqdoodle.sequences.StrokeEncoder` is an ordinary Keras layer: `(batch, time, features)` padded
sequences in, one vector per sequence out, padding ignored. Here it learns a task it was not built
for: recognising pen gestures (circle drawn counter-clockwise or clockwise, spiral, zigzag, check
mark, square, wave) drawn with varying speed, size, any rotation and jitter, from 4 channels per
step (dx, dy, pen flag, time since the last point). The two circles look the same as pictures;
only the order of the points tells them apart. The gestures are generated on the fly, so the
study needs no download.

Run:
    python -m experiments.studies.encoder_reuse     # about 1-2 minutes on 2 CPU cores

Writes experiments/results/encoder_reuse.json (the model is saved to a temporary folder and
reloaded, to check that it round-trips).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from experiments.common import argument_parser, command_line, write_result  # noqa: E402
from seqdoodle.fileio import save_keras  # noqa: E402
from seqdoodle.models.encoders import StrokeEncoder  # noqa: E402

GESTURES = ["circle", "circle_cw", "spiral", "zigzag", "check", "square", "wave"]
SEED = 0

# ## Generating gestures
#
# Each gesture is a curve `(x(s), y(s))` for `s` in [0, 1]. A random pen speed profile decides
# where along the curve the points fall and how much time passes between them, so the same shape
# arrives with different point counts and timings. We then rotate, scale, jitter, and turn the
# points into steps: `(dx, dy, pen_up, dt)`. The square is drawn as two strokes (the pen lifts
# half way), so the pen flag carries information too.


def gesture_curve(name: str, s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`(len(s), 2)` points of one gesture on parameter values `s` in [0, 1]."""
    if name in ("circle", "circle_cw"):
        a = 2 * np.pi * s * (1 if name == "circle" else -1)
        return np.stack([np.cos(a), np.sin(a)], 1)
    if name == "spiral":
        a = 2 * np.pi * rng.uniform(2.0, 3.0) * s
        return np.stack([s * np.cos(a), s * np.sin(a)], 1)
    if name == "zigzag":
        teeth = rng.integers(3, 6)
        return np.stack([2 * s - 1, 2 * np.abs((s * teeth) % 1 - 0.5) - 0.5], 1)
    if name == "check":
        corner = 0.3
        x = 2 * s - 1
        y = np.where(s < corner, -s / corner, -1 + 2.5 * (s - corner) / (1 - corner))
        return np.stack([x, y], 1)
    if name == "square":
        t = (4 * s) % 4
        side = np.minimum(t.astype(int), 3)
        u = t - side
        corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]], float)
        return corners[side] * (1 - u[:, None]) + corners[side + 1] * u[:, None]
    if name == "wave":
        cycles = rng.uniform(1.5, 2.5)
        return np.stack([2 * s - 1, 0.5 * np.sin(2 * np.pi * cycles * s)], 1)
    raise ValueError(f"unknown gesture {name!r}")


def make_gesture(name: str, rng: np.random.Generator) -> np.ndarray:
    """One gesture as `(n_steps, 4)` float32 rows: dx, dy, pen-up flag, dt (seconds)."""
    n = int(rng.integers(20, 90))
    speed = np.exp(np.cumsum(rng.normal(0, 0.15, n)))  # smooth random speed changes
    dt = rng.uniform(0.008, 0.02) / speed
    s = np.cumsum(dt * speed * rng.uniform(0.8, 1.2, n))
    s = (s - s[0]) / (s[-1] - s[0])
    points = gesture_curve(name, s, rng)
    angle = rng.uniform(-np.pi, np.pi)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    points = points @ rotation.T * rng.uniform(0.5, 1.5) + rng.normal(0, 0.05, points.shape)
    steps = np.zeros((n, 4), "float32")
    steps[1:, :2] = np.diff(points, axis=0) * 10  # roughly unit-sized steps
    steps[:, 3] = dt * 10
    steps[-1, 2] = 1.0
    if name == "square":  # lift the pen half way
        steps[n // 2, 2] = 1.0
    return steps


def make_dataset(n: int, rng: np.random.Generator, pad_to: int = 96):
    """`(n, pad_to, 4)` float32 zero-padded gestures and `(n,)` int32 labels."""
    labels = rng.integers(0, len(GESTURES), n).astype("int32")
    x = np.zeros((n, pad_to, 4), "float32")
    for i, label in enumerate(labels):
        steps = make_gesture(GESTURES[label], rng)
        x[i, : len(steps)] = steps
    return x, labels


# ## A classifier on top of StrokeEncoder
#
# The encoder computes its mask from the all-zero padding rows (we also put a `Masking` layer in
# front, which passes the same mask explicitly). A smaller configuration than the Quick, Draw!
# default is enough here: fewer filters and 48 LSTM units per direction.


def build_gesture_model(num_classes: int) -> keras.Model:
    inputs = keras.Input((None, 4), name="gesture")
    x = keras.layers.Masking(0.0)(inputs)
    x = StrokeEncoder(
        arch="default", conv_filters=[32, 48, 64], rnn_units=48, name="stroke_encoder"
    )(x)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="gesture_classifier")


def main(argv: list[str] | None = None) -> dict:
    argument_parser(__file__, __doc__).parse_args(argv)  # no options: --help only
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)

    # ## Data
    x_train, y_train = make_dataset(1500, rng)
    x_val, y_val = make_dataset(500, rng)
    x_test, y_test = make_dataset(1000, rng)
    lengths = (x_train != 0).any(-1).sum(1)
    print(
        f"train {len(x_train)}, val {len(x_val)}, test {len(x_test)}; "
        f"steps per gesture {lengths.min()}-{lengths.max()}"
    )

    # ## Training
    model = build_gesture_model(len(GESTURES))
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    history = model.fit(
        x_train, y_train, validation_data=(x_val, y_val), batch_size=64, epochs=10, verbose=2
    )
    train_seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    predicted = model.predict(x_test, verbose=0).argmax(axis=1)
    per_class = {
        name: round(float(np.mean(predicted[y_test == k] == k)), 4)
        for k, name in enumerate(GESTURES)
    }
    print("test accuracy per gesture:", per_class)
    print(
        f"test accuracy {accuracy:.4f} (chance {1 / len(GESTURES):.3f}), "
        f"trained in {train_seconds:.0f} s"
    )

    # ## Padding does not matter
    #
    # The same gestures padded to 96 or to 200 steps give the same probabilities.
    sample = x_test[:64]
    longer = np.concatenate([sample, np.zeros((64, 104, 4), "float32")], axis=1)
    padding_gap = float(
        np.abs(model.predict(sample, verbose=0) - model.predict(longer, verbose=0)).max()
    )
    print(f"largest probability change from extra padding: {padding_gap:.2e}")

    # ## Save and reload
    #
    # A `.keras` file holds the architecture and weights; `safe_mode=True` loads it without
    # running any pickled code, because StrokeEncoder is a registered serializable layer.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gesture_classifier.keras"
        save_keras(model, path)
        model_bytes = path.stat().st_size
        reloaded = keras.saving.load_model(path, safe_mode=True)
    reload_gap = float(
        np.abs(reloaded.predict(x_test, verbose=0) - model.predict(x_test, verbose=0)).max()
    )
    print(f"largest probability change after save/reload: {reload_gap:.2e}")

    record = {
        "task": "synthetic pen gestures, 4 channels (dx, dy, pen flag, dt)",
        "classes": GESTURES,
        "n_train": len(x_train),
        "n_val": len(x_val),
        "n_test": len(x_test),
        "epochs": len(history.history["loss"]),
        "params": int(model.count_params()),
        "model_file_bytes": model_bytes,
        "test_accuracy": round(float(accuracy), 4),
        "test_loss": round(float(loss), 4),
        "test_accuracy_per_class": per_class,
        "val_accuracy_per_epoch": [round(v, 4) for v in history.history["val_accuracy"]],
        "train_seconds": round(train_seconds, 1),
        "max_prob_change_padding_96_vs_200": padding_gap,
        "max_prob_change_after_reload": reload_gap,
        "seed": SEED,
    }
    path = write_result("encoder_reuse", record, command_line(__file__, argv))
    print(f"wrote {path}")
    return record


if __name__ == "__main__":
    main()

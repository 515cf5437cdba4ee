"""The `timecnn` kind (stroke-order CNN): its settings, input encoding and batching.

Prepared datasets store the points of each drawing (x, y, end of stroke) but no times, so the
channels a run trains on come from the stroke order; `"speed"` is black there and is not a default.
Training renders each row once and keeps the image (while the images of the rows fit in
`CACHE_BYTES`), so later epochs cost no rendering.

The Keras model is built by `seqdoodle.models.timecnn`; this module imports no Keras, so the
registry (and the CLI) reads `KIND` without loading TensorFlow.
"""

from __future__ import annotations

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.kinds.base import ModelKind, TrainDefaults
from seqdoodle.kinds.batches import BitmapBatches
from seqdoodle.models.timecnn import DEFAULT_DROPOUT, TIME_ARCH_NAMES, build_time_classifier
from seqdoodle.strokes.timeraster import DEFAULT_CHANNELS, check_channels, render_points_batch

INPUT_TYPE = "channels"
CACHE_BYTES = 1 << 30


def channels_config(size: int = 28, channels=DEFAULT_CHANNELS) -> dict:
    """The input config of a stroke-order CNN run (`config.json["input"]`).

    Example:
    >>> channels_config(32)
    {'type': 'channels', 'size': 32, 'channels': ['ink', 'order', 'index']}
    """
    return {"type": INPUT_TYPE, "size": int(size), "channels": list(check_channels(channels))}


def simplified_strokes(drawing, i: int = 0) -> list:
    """A `Drawing`'s strokes in Google's simplified format (raw strokes are simplified first).

    Raises:
        DataFormatError: the drawing has no strokes (a bitmap only).
    """
    from seqdoodle.datasets.records import needs_simplifying

    if not drawing.strokes:
        who = drawing.source or (f"drawing {drawing.key_id}" if drawing.key_id else f"drawing {i}")
        raise DataFormatError(f"{who}: has no strokes; the stroke-order CNN renders strokes")
    if needs_simplifying(drawing):
        from seqdoodle.strokes.simplify import simplify_strokes

        return simplify_strokes(drawing.strokes)
    return drawing.strokes


class ChannelBatches(BitmapBatches):
    """`(b, s, s, c) float32` renderings of prepared rows, each row rendered once."""

    def __init__(self, ds, indices, batch_size, config, seed=0, train=False):
        super().__init__(ds, indices, batch_size, seed=seed, train=train)
        self.size, self.channels = int(config["size"]), tuple(config["channels"])
        self.n_channels = len(self.channels)
        shape = (len(self.indices), self.size, self.size, self.n_channels)
        cache = int(np.prod(shape)) <= CACHE_BYTES
        self._images = np.zeros(shape, np.uint8) if cache else None
        self._done = np.zeros(len(self.indices), bool) if cache else None

    def _render(self, rows) -> np.ndarray:
        return render_points_batch(self.ds.points, self.ds.offsets, rows, self.size, self.channels)

    def inputs(self, rows) -> np.ndarray:
        rows = np.asarray(rows, np.int64)
        if self._images is None:
            return self._render(rows).astype(np.float32)
        at = np.searchsorted(self.indices, rows)
        todo = ~self._done[at]
        if todo.any():
            self._images[at[todo]] = self._render(rows[todo])
            self._done[at[todo]] = True
        return self._images[at].astype(np.float32)

    def signature(self):
        import tensorflow as tf

        s, c = self.size, self.n_channels
        return tf.TensorSpec((None, s, s, c), tf.float32), tf.TensorSpec((None,), tf.int32)


class TimeCNNKind(ModelKind):
    """The `timecnn` kind: multi-channel stroke-order renderings through the bitmap CNN."""

    name = "timecnn"
    title = "stroke-order CNN"
    summary = (
        "Train the stroke-order CNN: the bitmap CNN over a rendering of the strokes whose channels "
        "are Google's bitmap, the stroke order and the position along the drawing.\n\n"
        "Needs a dataset prepared from strokes; renders at the dataset's bitmap size. Keeps the "
        "best model by validation accuracy in OUT/model.keras, checkpoints every epoch (rerun to "
        "continue) and scores the test split at the end (metrics.json)."
    )
    archs = TIME_ARCH_NAMES
    arch_help = {"default": "batch norm, augmentation, mirror averaging", "baseline": "hobby CNN"}
    input_type = INPUT_TYPE
    needs_strokes = True
    defaults = TrainDefaults(epochs=20, batch_size=256, lr=2e-3, patience=3, dropout=0.3)

    def head_dropout(self, arch: str) -> float:
        return DEFAULT_DROPOUT.get(arch, self.defaults.dropout)

    def run_input_config(self, input_config):
        config = dict(input_config or {})
        config.setdefault("type", INPUT_TYPE)
        config.setdefault("size", 28)
        config["channels"] = list(check_channels(config.get("channels", DEFAULT_CHANNELS)))
        return config

    def input_size(self, input_config):
        return int(self.run_input_config(input_config)["size"])

    def build_model(self, arch, n_classes, input_config, seed=None):
        config = self.run_input_config(input_config)
        return build_time_classifier(
            n_classes,
            arch=self.check_arch(arch),
            size=config["size"],
            n_channels=len(config["channels"]),
            seed=seed,
        )

    def fit_input_config(self, ds, train_rows=None, seed=0) -> dict:
        return channels_config(ds.size)

    def batches(self, ds, rows, batch_size, input_config, seed=0, train=False):
        self.check_dataset(ds)
        config = self.run_input_config(input_config)
        return ChannelBatches(ds, rows, batch_size, config, seed=seed, train=train)

    def serving_renderings(self, input_config):
        config = self.run_input_config(input_config)
        return (("channels", config["size"], tuple(config["channels"])),)

    def serving_inputs(self, drawing, ink, input_config):
        """The drawing with its channel image attached as `bitmap` (rendered once, shared)."""
        from dataclasses import replace

        config = self.run_input_config(input_config)
        return replace(drawing, bitmap=ink.channels(config["size"], config["channels"]))

    def drawing_inputs(self, drawings, input_config):
        """`(n, s, s, c) float32`: each drawing's channels (a `(s, s, c)` uint8 `bitmap` attached
        by `serving_inputs` is taken as it is; otherwise the strokes are rendered)."""
        from seqdoodle.strokes.timeraster import render_channels

        config = self.run_input_config(input_config)
        size, channels = config["size"], config["channels"]
        drawings = list(drawings)
        out = np.empty((len(drawings), size, size, len(channels)), np.float32)
        for i, drawing in enumerate(drawings):
            image = getattr(drawing, "bitmap", None)
            if image is not None and np.shape(image) == out.shape[1:]:
                out[i] = image
                continue
            strokes = simplified_strokes(drawing, i)
            try:
                out[i] = render_channels(strokes, size, channels)
            except DataFormatError as e:
                raise DataFormatError(f"{drawing.source or f'drawing {i}'}: {e}") from None
        return out

    def input_spec(self, input_config):
        config = self.run_input_config(input_config)
        size, channels = config["size"], config["channels"]
        return {
            "name": "channels",
            "shape": [None, size, size, len(channels)],
            "dtype": "float32",
            "how": (
                f"render_channels(simplified_strokes, size={size}, channels={channels}) "
                "as float32 0..255"
            ),
        }


KIND = TimeCNNKind()

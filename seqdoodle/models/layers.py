"""Small serializable layers that make a saved model take its documented raw input."""

from __future__ import annotations

import keras
from keras import ops

from seqdoodle.errors import DataFormatError


@keras.saving.register_keras_serializable(package="seqdoodle")
class StrokeScale(keras.layers.Layer):
    """Divide the dx and dy columns of stroke-3 rows by fixed scales; other columns pass through.

    The stroke model's first layer, so a saved model takes `drawing_to_stroke3(strokes)` rows as
    they are. Zero rows (padding) stay zero, so a mask computed after it is unchanged.

    Args:
        scale: pair of floats. Divisors of dx and dy (fitted on the training split).
        **kwargs: passed to `keras.layers.Layer` (e.g. `name`).

    Call arguments:
        inputs: `(batch, time, features)` float32, features >= 2 (dx, dy first).

    Returns:
        `(batch, time, features)` float32.

    Example:
    >>> import numpy as np
    >>> StrokeScale(scale=(2.0, 4.0))(np.ones((1, 1, 3), "float32")).numpy().tolist()
    [[[0.5, 0.25, 1.0]]]
    """

    def __init__(self, scale=(1.0, 1.0), **kwargs):
        super().__init__(**kwargs)
        scale = [float(s) for s in scale]
        if len(scale) != 2 or not all(s > 0 and s < float("inf") for s in scale):
            raise DataFormatError(f"StrokeScale scale {scale}: need two positive numbers")
        self.scale = tuple(scale)
        self.supports_masking = True

    def call(self, inputs):
        x = ops.convert_to_tensor(inputs)
        xy = x[..., :2] / ops.convert_to_tensor(self.scale, dtype=x.dtype)
        return ops.concatenate([xy, x[..., 2:]], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["scale"] = list(self.scale)
        return config

"""Stroke-order CNN: the bitmap CNN over a multi-channel rendering that keeps the drawing order.

The input is `seqdoodle.strokes.timeraster.render_channels(simplified_strokes, size, channels)`
as float32 0..255, `(size, size, n_channels)`: by default Google's bitmap (`"ink"`), the stroke
order (`"order"`) and the position of each point along the drawing (`"index"`). The backbone is the
same `BitmapEncoder` as the `cnn` kind's (it rescales by 1/255, augments by shift and zoom
itself and, in the default preset, predicts from the mean over the image and its mirror), so the
two kinds differ by their input only.

Keras only. Keras is imported inside the functions, so the `timecnn` kind
(`seqdoodle.kinds.timecnn`) can import this module without loading TensorFlow.
"""

from __future__ import annotations

from seqdoodle.errors import DataFormatError
from seqdoodle.models.presets import BITMAP_ARCHS

TIME_ARCH_NAMES = ("default", *(a for a in BITMAP_ARCHS if a != "default"))
DEFAULT_DROPOUT = {"baseline": 0.5, "default": 0.3}


def build_time_classifier(
    num_classes: int,
    arch: str = "default",
    size: int = 28,
    n_channels: int = 3,
    dropout: float | None = None,
    seed: int | None = None,
):
    """Build the stroke-order CNN: `BitmapEncoder` over `n_channels` images, dropout, softmax.

    Args:
        num_classes: int. Number of classes.
        arch: str. A `BitmapEncoder` preset (`"default"` or `"baseline"`). Defaults to `"default"`.
        size: int. Image side in pixels. Defaults to 28.
        n_channels: int. Channels of the rendering. Defaults to 3.
        dropout: float or None. Dropout before the softmax; None takes 0.3 (`"default"`) or 0.5
            (`"baseline"`). Defaults to None.
        seed: int or None. Seed of augmentation and dropout. Defaults to None.

    Returns:
        Uncompiled `keras.Model` mapping `(batch, size, size, n_channels)` float32 0..255 to
        `(batch, num_classes)` probabilities; the backbone is the layer named `"backbone"`.

    Example:
    >>> build_time_classifier(4, n_channels=3).input_shape
    (None, 28, 28, 3)
    """
    import keras

    from seqdoodle.models.encoders import BitmapEncoder, add_classifier_head

    if int(n_channels) < 1 or int(size) < 8:
        raise DataFormatError(f"size {size} / n_channels {n_channels}: need size >= 8 and >= 1")
    inputs = keras.Input(shape=(int(size), int(size), int(n_channels)), name="channels")
    features = BitmapEncoder(arch=arch, seed=seed, name="bitmap_encoder")(inputs)
    backbone = keras.Model(inputs, features, name=f"channels_backbone_{arch}")
    if dropout is None:
        dropout = DEFAULT_DROPOUT.get(arch, 0.3)
    return add_classifier_head(backbone, num_classes, dropout, name=f"time_cnn_{arch}", seed=seed)

"""Bitmap CNN: a headless backbone (`BitmapEncoder`) and a softmax classifier.

Input convention: `(28, 28, 1)` float32 raw grey values 0..255 (the data pipeline only casts uint8
to float32); the model rescales by 1/255 itself, so a saved model takes
`render_bitmap(simplified_strokes)[..., None]` as float32 as it is.

Keras only. Keras is imported inside the functions, so the `cnn` kind
(`seqdoodle.kinds.cnn`) can import this module without loading TensorFlow.
"""

from __future__ import annotations

from seqdoodle.models.presets import BITMAP_ARCHS

BITMAP_ARCH_NAMES = ("default", *(a for a in BITMAP_ARCHS if a != "default"))
DEFAULT_DROPOUT = {"baseline": 0.5, "default": 0.3}


def build_bitmap_backbone(arch: str = "default", input_shape=(28, 28, 1), seed: int | None = None):
    """Build the headless bitmap CNN: raw pixels in, one feature vector out.

    Args:
        arch: str. `"default"` (batch norm, 5 convolutions in 3 stages, global average pooling,
            augmentation, mirror averaging at inference) or `"baseline"` (hobby CNN, no batch
            norm, no augmentation).
            Defaults to `"default"`.
        input_shape: tuple. `(height, width, 1)`. Defaults to `(28, 28, 1)`.
        seed: int or None. Seed of the augmentation layers. Defaults to None.

    Returns:
        `keras.Model` mapping `(batch, *input_shape)` float32 0..255 to `(batch, dim)` float32.

    Example:
    >>> backbone = build_bitmap_backbone("baseline")
    >>> backbone.output_shape
    (None, 128)
    """
    import keras

    from seqdoodle.models.encoders import BitmapEncoder

    inputs = keras.Input(shape=tuple(input_shape), dtype="float32", name="bitmap")
    features = BitmapEncoder(arch=arch, seed=seed, name="bitmap_encoder")(inputs)
    return keras.Model(inputs, features, name=f"bitmap_backbone_{arch}")


def build_bitmap_classifier(
    num_classes: int,
    arch: str = "default",
    dropout: float | None = None,
    input_shape=(28, 28, 1),
    seed: int | None = None,
):
    """Build the bitmap CNN classifier: backbone, dropout, dense softmax.

    Args:
        num_classes: int. Number of classes.
        arch: str. `"default"` or `"baseline"` (see `build_bitmap_backbone`).
            Defaults to `"default"`.
        dropout: float or None. Dropout before the softmax layer; None takes 0.5 for
            `"baseline"` and 0.3 for `"default"`. Defaults to None.
        input_shape: tuple. `(height, width, 1)`. Defaults to `(28, 28, 1)`.
        seed: int or None. Seed of the augmentation and dropout. Defaults to None.

    Returns:
        Uncompiled `keras.Model` mapping `(batch, 28, 28, 1)` float32 0..255 to
        `(batch, num_classes)` float32 probabilities. The backbone is the layer named
        `"backbone"`.

    Example:
    >>> model = build_bitmap_classifier(5, arch="baseline")
    >>> model.output_shape
    (None, 5)
    """
    from seqdoodle.models.encoders import add_classifier_head

    backbone = build_bitmap_backbone(arch, input_shape=input_shape, seed=seed)
    if dropout is None:
        dropout = DEFAULT_DROPOUT.get(arch, 0.3)
    return add_classifier_head(backbone, num_classes, dropout, name=f"bitmap_cnn_{arch}", seed=seed)

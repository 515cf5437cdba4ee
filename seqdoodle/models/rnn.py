"""Stroke Conv1D+LSTM: a headless encoder (`StrokeEncoder`) and a softmax classifier.

Input convention: `(batch, time, n_features)` float32 stroke-3 rows (dx, dy, pen flag), or with a
4th time channel, zero-padded at the end. A model built with a `scale` divides dx and dy by it
itself (`StrokeScale`, its first layer), so a saved model takes
`drawing_to_stroke3(simplified_strokes)` rows as they are. The model computes its mask from the
padding (`keras.layers.Masking(0.0)`: a real row is never all zeros), so padding never changes a
prediction, whatever the batch's padding length.

Keras only. Keras is imported inside the functions, so the `rnn` kind
(`seqdoodle.kinds.rnn`) can import this module without loading TensorFlow.
"""

from __future__ import annotations

from seqdoodle.errors import DataFormatError
from seqdoodle.models.presets import STROKE_ARCHS

STROKE_ARCH_NAMES = ("default", *(a for a in STROKE_ARCHS if a != "default"))
DEFAULT_DROPOUT = {"tutorial": 0.0, "default": 0.3}


def build_stroke_encoder(arch: str = "default", n_features: int = 3, scale=None):
    """Build the headless stroke model: padded sequences in, one feature vector out.

    Args:
        arch: str. `"default"` (strided convolutions, one bidirectional LSTM-96, mean + max pooling;
            fast on CPU) or `"tutorial"` (TensorFlow's RNN tutorial: Conv1D 48/64/96, three
            bidirectional LSTM-128 layers, sum over valid steps). Defaults to `"default"`.
        n_features: int. Features per step: 3 (dx, dy, pen flag) or 4 (with time).
            Defaults to 3.
        scale: pair of floats or None. Divisors of dx and dy applied inside the model
            (`StrokeScale`); None for inputs scaled already. Defaults to None.

    Returns:
        `keras.Model` mapping `(batch, time, n_features)` float32 (zero-padded) to
        `(batch, dim)` float32.

    Example:
    >>> encoder = build_stroke_encoder("default")
    >>> encoder.output_shape
    (None, 384)
    """
    import keras

    from seqdoodle.models.encoders import StrokeEncoder

    if int(n_features) < 1:
        raise DataFormatError(f"n_features {n_features}: must be at least 1")
    inputs = keras.Input(shape=(None, int(n_features)), dtype="float32", name="strokes")
    x = inputs
    if scale is not None:
        from seqdoodle.models.layers import StrokeScale

        x = StrokeScale(scale=scale, name="stroke_scale")(x)
    masked = keras.layers.Masking(0.0, name="padding_mask")(x)
    features = StrokeEncoder(arch=arch, name="stroke_encoder")(masked)
    return keras.Model(inputs, features, name=f"stroke_encoder_{arch}")


def build_stroke_classifier(
    num_classes: int,
    arch: str = "default",
    n_features: int = 3,
    dropout: float | None = None,
    seed: int | None = None,
    scale=None,
):
    """Build the stroke classifier: encoder, dropout, dense softmax.

    Args:
        num_classes: int. Number of classes.
        arch: str. `"default"` or `"tutorial"` (see `build_stroke_encoder`).
            Defaults to `"default"`.
        n_features: int. Features per step, 3 or 4. Defaults to 3.
        dropout: float or None. Dropout before the softmax layer; None takes 0 for
            `"tutorial"` (as the tutorial) and 0.3 for `"default"`. Defaults to None.
        seed: int or None. Seed of the head's dropout. Defaults to None.
        scale: pair of floats or None. dx/dy divisors inside the model (see
            `build_stroke_encoder`). Defaults to None.

    Returns:
        Uncompiled `keras.Model` mapping `(batch, time, n_features)` float32 (zero-padded) to
        `(batch, num_classes)` float32 probabilities. The encoder is the layer named
        `"backbone"`.

    Example:
    >>> model = build_stroke_classifier(5)
    >>> model.output_shape
    (None, 5)
    """
    from seqdoodle.models.encoders import add_classifier_head

    backbone = build_stroke_encoder(arch, n_features=n_features, scale=scale)
    if dropout is None:
        dropout = DEFAULT_DROPOUT.get(arch, 0.3)
    return add_classifier_head(backbone, num_classes, dropout, name=f"stroke_rnn_{arch}", seed=seed)

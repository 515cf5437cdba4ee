"""Stroke transformer: a Transformer encoder over stroke-3 rows that knows the strokes.

A plain Transformer over the points of a doodle learns little from few drawings: attention has
no notion of order or of which stroke a point belongs to, and dx/dy offsets say nothing of where
a point is. `StrokeTransformer` therefore puts the drawing's structure into every token:

1. a mask from the padding (the steps after the last non-zero row), so a prediction never depends
   on the padded length of its batch;
2. point features: dx and dy divided by the fitted scale, the pen flag, the absolute position
   of the point (cumulative sum of dx, dy: the normalised drawing's x, y) and its relative place
   in the drawing (index / length);
3. learned embeddings of the stroke index (pen lifts so far, clipped) and of the point index,
   added to a projection of the point features;
4. a strided Conv1D stem (masked, fixed padding) that merges neighbouring points, so the blocks
   run over a quarter as many tokens (about 12 for a typical doodle; preset `stride2`: half);
5. pre-LayerNorm encoder blocks (`keras.layers.MultiHeadAttention` with a key mask, GELU
   feed-forward), a final LayerNorm and masked mean + max pooling.

`structure=False` leaves out the stroke embeddings and absolute positions: a plain Transformer
over (dx, dy, flag) with point index embeddings, the baseline the literature found weak.

Input convention as the `rnn` kind's: `(batch, time, 3)` float32 stroke-3 rows
`drawing_to_stroke3(simplified_strokes, normalize="aspect", flag=...)`, zero-padded at the end,
dx/dy unscaled (the layer divides them by `scale` itself).

Keras is imported at the top: the `transformer` kind (`seqdoodle.kinds.transformer`) imports this
module inside its methods only, so reading the registry loads no TensorFlow.
"""

from __future__ import annotations

import copy

import keras
from keras import ops

from seqdoodle.errors import DataFormatError
from seqdoodle.models.presets import TRANSFORMER_ARCHS, resolve_preset

FLAGS = ("end", "start")
@keras.saving.register_keras_serializable(package="seqdoodle")
class StrokeTransformer(keras.layers.Layer):
    """Encode zero-padded raw stroke-3 rows into one feature vector each, with attention.

    Every setting left as None takes the `arch` preset (`TRANSFORMER_ARCHS` in
    `seqdoodle.models.presets`); `get_config()` stores the resolved settings, so a saved model
    reloads to the layers it was trained with whatever the presets say later.

    Args:
        arch: str. Preset: `"default"`, `"deep"`, `"stride2"` or `"small"`.
            Defaults to `"default"`.
        scale: pair of floats. Divisors of dx and dy (fitted on the training split).
            Defaults to `(1.0, 1.0)`.
        flag: str. Pen flag convention of the input, `"end"` (1 on a stroke's last point) or
            `"start"`. Defaults to `"end"`.
        dim: int. Token width. Defaults to the preset.
        heads: int. Attention heads; must divide `dim`. Defaults to the preset.
        blocks: int. Encoder blocks. Defaults to the preset.
        ffn_dim: int. Hidden width of the feed-forward layers. Defaults to the preset.
        stem_kernels: list of int. Kernel of each stem convolution. Defaults to the preset.
        stem_strides: list of int. Stride of each stem convolution. Defaults to the preset.
        structure: bool. Stroke/point index embeddings and absolute positions; False gives a
            plain Transformer over (dx, dy, flag) with point index embeddings only.
            Defaults to the preset.
        max_strokes: int. Rows of the stroke index embedding. Defaults to the preset.
        max_points: int. Rows of the point index embedding. Defaults to the preset.
        dropout: float. Residual dropout (training only). Defaults to the preset.
        **kwargs: passed to `keras.layers.Layer` (e.g. `name`).

    Call arguments:
        inputs: `(batch, time, features)` float32, features >= 3 (dx, dy, pen flag first),
            zero-padded at the end.
        training: bool. Training mode (dropout).

    Returns:
        `(batch, 2 * dim)` float32: masked mean and max over the tokens.

    Example:
    >>> import numpy as np
    >>> layer = StrokeTransformer(arch="small")
    >>> x = np.zeros((2, 30, 3), "float32")
    >>> x[0, :20] = 0.1
    >>> tuple(layer(x).shape)
    (2, 128)
    """

    def __init__(
        self,
        arch="default",
        scale=(1.0, 1.0),
        flag="end",
        dim=None,
        heads=None,
        blocks=None,
        ffn_dim=None,
        stem_kernels=None,
        stem_strides=None,
        structure=None,
        max_strokes=None,
        max_points=None,
        dropout=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.arch = arch
        scale = [float(s) for s in scale]
        if len(scale) != 2 or not all(0 < s < float("inf") for s in scale):
            raise DataFormatError(f"StrokeTransformer scale {scale}: need two positive numbers")
        if flag not in FLAGS:
            raise DataFormatError(f"StrokeTransformer flag {flag!r}: expected one of {FLAGS}")
        self.scale, self.flag = tuple(scale), flag
        given = {
            "dim": dim, "heads": heads, "blocks": blocks, "ffn_dim": ffn_dim,
            "stem_kernels": None if stem_kernels is None else list(stem_kernels),
            "stem_strides": None if stem_strides is None else list(stem_strides),
            "structure": structure, "max_strokes": max_strokes, "max_points": max_points,
            "dropout": dropout,
        }  # fmt: skip
        s = resolve_preset(TRANSFORMER_ARCHS, arch, given, "StrokeTransformer")
        self.settings = s
        if s["dim"] % s["heads"]:
            raise DataFormatError(
                f"StrokeTransformer dim {s['dim']}: not a multiple of heads {s['heads']}"
            )
        if len(s["stem_kernels"]) != len(s["stem_strides"]) or not s["stem_kernels"]:
            raise DataFormatError(
                f"StrokeTransformer stem_kernels {s['stem_kernels']} / stem_strides "
                f"{s['stem_strides']}: need one kernel per stride, at least one"
            )
        d = s["dim"]
        self._point_projection = keras.layers.Dense(d, name="point_projection")
        self._point_embedding = keras.layers.Embedding(s["max_points"], d, name="point_index")
        self._stroke_embedding = (
            keras.layers.Embedding(s["max_strokes"], d, name="stroke_index")
            if s["structure"]
            else None
        )
        self._stem = [
            keras.layers.Conv1D(d, k, strides=st, padding="valid", name=f"stem{i}")
            for i, (k, st) in enumerate(zip(s["stem_kernels"], s["stem_strides"]))
        ]
        self._blocks = [
            TransformerBlock(d, s["heads"], s["ffn_dim"], s["dropout"], name=f"block{i}")
            for i in range(s["blocks"])
        ]
        self._final_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="final_norm")

    @property
    def output_dim(self) -> int:
        """Size of the feature vector the encoder returns (mean and max: twice `dim`)."""
        return 2 * self.settings["dim"]

    def build(self, input_shape):
        if len(input_shape) != 3 or (input_shape[-1] is not None and input_shape[-1] < 3):
            raise DataFormatError(
                f"StrokeTransformer input shape {tuple(input_shape)}; expected "
                "(batch, time, features >= 3)"
            )
        d, batch = self.settings["dim"], input_shape[0]
        extra = 3 if self.settings["structure"] else 0
        self._point_projection.build((batch, None, input_shape[-1] + extra))
        self._point_embedding.build((batch, None))
        if self._stroke_embedding is not None:
            self._stroke_embedding.build((batch, None))
        for conv in self._stem:
            conv.build((batch, None, d))
        for block in self._blocks:
            block.build((batch, None, d))
        self._final_norm.build((batch, None, d))

    def call(self, inputs, training=None):
        x = ops.convert_to_tensor(inputs)
        steps = ops.shape(x)[1]
        mask, lengths = _padding_mask(x)
        weights = ops.expand_dims(ops.cast(mask, x.dtype), -1)
        h = self._point_projection(self._point_features(x, lengths)) * weights
        index = ops.arange(steps, dtype="int32")
        h = h + self._point_embedding(ops.minimum(index, self.settings["max_points"] - 1))
        if self._stroke_embedding is not None:
            strokes = ops.minimum(_stroke_index(x, self.flag), self.settings["max_strokes"] - 1)
            h = h + self._stroke_embedding(strokes)
        for conv in self._stem:
            h = h * weights
            kernel, stride = conv.kernel_size[0], conv.strides[0]
            # Fixed padding (not "same"): output token j reads points j*stride - (k-1)//2 on,
            # and is real iff point j*stride is, whatever the padded length.
            h = ops.pad(h, [[0, 0], [(kernel - 1) // 2, kernel - 1 - (kernel - 1) // 2], [0, 0]])
            h = keras.activations.gelu(conv(h), approximate=True)
            mask, weights = mask[:, ::stride], weights[:, ::stride]
        h = h * weights
        keys = ops.expand_dims(mask, 1)  # (batch, 1, tokens): padded tokens are never attended
        for block in self._blocks:
            h = block(h, attention_mask=keys, training=training)
        h = self._final_norm(h)
        return _mean_max(h, mask, ops.cast(weights, h.dtype))

    def _point_features(self, x, lengths):
        """`(batch, time, features [+ 3])`: scaled dx, dy, the other columns and, with
        `structure`, the absolute x, y (centred) and index / length of every point."""
        dxy = x[..., :2]
        scaled = dxy / ops.convert_to_tensor(self.scale, dtype=x.dtype)
        parts = [scaled, x[..., 2:]]
        if self.settings["structure"]:
            position = ops.cumsum(dxy, axis=1) - 0.5  # "aspect" drawings lie in [0, 1]
            steps = ops.shape(x)[1]
            index = ops.cast(ops.arange(steps, dtype="int32"), x.dtype)
            length = ops.maximum(ops.cast(lengths, x.dtype), 1.0)
            place = ops.expand_dims(index, 0) / ops.expand_dims(length, -1)
            parts += [position, ops.expand_dims(place, -1)]
        return ops.concatenate(parts, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"arch": self.arch, "scale": list(self.scale), "flag": self.flag}
            | copy.deepcopy(self.settings)
        )
        return config


@keras.saving.register_keras_serializable(package="seqdoodle")
class TransformerBlock(keras.layers.Layer):
    """One pre-LayerNorm encoder block: `x + MHA(LN(x))`, then `x + FFN(LN(x))`.

    FFN is `Dense(ffn_dim, gelu) -> Dense(dim)` (the tanh GELU: tf2onnx has no Erfc); dropout
    follows the attention and the FFN.

    Args:
        dim: int. Token width.
        heads: int. Attention heads (`dim // heads` per head).
        ffn_dim: int. Hidden width of the feed-forward layer.
        dropout: float. Residual dropout (training only). Defaults to 0.
        **kwargs: passed to `keras.layers.Layer` (e.g. `name`).

    Call arguments:
        inputs: `(batch, tokens, dim)` float32.
        attention_mask: `(batch, 1, tokens)` bool, True at the tokens that may be attended.
        training: bool. Training mode (dropout).

    Returns:
        `(batch, tokens, dim)` float32.

    Example:
    >>> import numpy as np
    >>> block = TransformerBlock(8, 2, 16)
    >>> tuple(block(np.ones((1, 5, 8), "float32"), np.ones((1, 1, 5), bool)).shape)
    (1, 5, 8)
    """

    def __init__(self, dim, heads, ffn_dim, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.dim, self.heads, self.ffn_dim = int(dim), int(heads), int(ffn_dim)
        self.dropout = float(dropout)
        self._norm1 = keras.layers.LayerNormalization(epsilon=1e-6, name="norm1")
        self._attention = keras.layers.MultiHeadAttention(
            self.heads, self.dim // self.heads, name="attention"
        )
        self._norm2 = keras.layers.LayerNormalization(epsilon=1e-6, name="norm2")
        self._hidden = keras.layers.Dense(self.ffn_dim, name="ffn1")
        self._out = keras.layers.Dense(self.dim, name="ffn2")
        self._drop = keras.layers.Dropout(self.dropout) if self.dropout else None

    def build(self, input_shape):
        shape = (input_shape[0], None, self.dim)
        self._norm1.build(shape)
        self._attention.build(shape, shape)
        self._norm2.build(shape)
        self._hidden.build(shape)
        self._out.build((input_shape[0], None, self.ffn_dim))

    def _residual(self, t, training):
        return t if self._drop is None else self._drop(t, training=training)

    def call(self, inputs, attention_mask, training=None):
        y = self._norm1(inputs)
        attended = self._attention(y, y, attention_mask=attention_mask, training=training)
        h = inputs + self._residual(attended, training)
        y = keras.activations.gelu(self._hidden(self._norm2(h)), approximate=True)
        return h + self._residual(self._out(y), training)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"dim": self.dim, "heads": self.heads, "ffn_dim": self.ffn_dim, "dropout": self.dropout}
        )
        return config


def _padding_mask(x):
    """`(batch, time)` bool mask and `(batch,)` int32 lengths: a row is real up to its last
    non-zero step (a zero row inside a drawing, e.g. a first point at the origin, stays real)."""
    steps = ops.shape(x)[1]
    nonzero = ops.cast(ops.any(ops.not_equal(x, 0), axis=-1), "int32")
    index = ops.expand_dims(ops.arange(steps, dtype="int32") + 1, 0)
    lengths = ops.max(nonzero * index, axis=1)
    return ops.less(index - 1, ops.expand_dims(lengths, -1)), lengths


def _stroke_index(x, flag: str):
    """`(batch, time)` int32: the stroke of each point (0 for the first), from the pen flags."""
    pen = ops.cast(ops.greater(x[..., 2], 0.5), "int32")
    before = ops.cumsum(pen, axis=1)
    return before - pen if flag == "end" else ops.maximum(before - 1, 0)


def _mean_max(h, mask, weights):
    """`(batch, 2 * dim)`: mean and max over the real tokens (zeros for an empty drawing)."""
    count = ops.sum(weights, axis=1)
    mean = ops.sum(h * weights, axis=1) / ops.maximum(count, 1.0)
    low = ops.cast(-1e9, h.dtype)
    peak = ops.max(ops.where(ops.expand_dims(mask, -1), h, low), axis=1)
    peak = ops.where(count > 0, peak, ops.zeros_like(peak))
    return ops.concatenate([mean, peak], axis=-1)


def build_transformer_encoder(arch: str = "default", n_features: int = 3, scale=None, flag="end"):
    """Build the headless stroke transformer: padded raw stroke-3 rows in, one vector out.

    Args:
        arch: str. A preset of `TRANSFORMER_ARCHS` (see `StrokeTransformer`).
            Defaults to `"default"`.
        n_features: int. Features per step, at least 3 (dx, dy, pen flag). Defaults to 3.
        scale: pair of floats or None. Divisors of dx and dy applied inside the model; None
            for inputs scaled already. Defaults to None.
        flag: str. Pen flag convention of the input, `"end"` or `"start"`. Defaults to `"end"`.

    Returns:
        `keras.Model` mapping `(batch, time, n_features)` float32 (zero-padded) to
        `(batch, 2 * dim)` float32.

    Example:
    >>> build_transformer_encoder("small").output_shape
    (None, 128)
    """
    if int(n_features) < 3:
        raise DataFormatError(f"n_features {n_features}: the stroke transformer needs at least 3")
    inputs = keras.Input(shape=(None, int(n_features)), dtype="float32", name="strokes")
    layer = StrokeTransformer(
        arch=arch, scale=scale or (1.0, 1.0), flag=flag, name="stroke_transformer"
    )
    return keras.Model(inputs, layer(inputs), name=f"transformer_encoder_{arch}")


def build_transformer_classifier(
    num_classes: int,
    arch: str = "default",
    n_features: int = 3,
    dropout: float = 0.3,
    seed: int | None = None,
    scale=None,
    flag: str = "end",
):
    """Build the stroke transformer classifier: encoder, dropout, dense softmax.

    Args:
        num_classes: int. Number of classes.
        arch: str. A preset of `TRANSFORMER_ARCHS` (see `StrokeTransformer`).
            Defaults to `"default"`.
        n_features: int. Features per step (at least 3). Defaults to 3.
        dropout: float. Dropout before the softmax. Defaults to 0.3.
        seed: int or None. Seed of the head's dropout. Defaults to None.
        scale: pair of floats or None. dx/dy divisors inside the model. Defaults to None.
        flag: str. Pen flag convention of the input. Defaults to `"end"`.

    Returns:
        Uncompiled `keras.Model` mapping `(batch, time, n_features)` float32 (zero-padded) to
        `(batch, num_classes)` float32 probabilities; the encoder is the layer `"backbone"`.

    Example:
    >>> build_transformer_classifier(5, "small").output_shape
    (None, 5)
    """
    from seqdoodle.models.encoders import add_classifier_head

    if arch not in TRANSFORMER_ARCHS:
        raise DataFormatError(
            f"stroke transformer arch {arch!r}: unknown; expected one of {list(TRANSFORMER_ARCHS)}"
        )
    backbone = build_transformer_encoder(arch, n_features=n_features, scale=scale, flag=flag)
    name = f"stroke_transformer_{arch}"
    return add_classifier_head(backbone, num_classes, dropout, name=name, seed=seed)

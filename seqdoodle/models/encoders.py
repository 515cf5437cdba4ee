"""Public encoder layers: `StrokeEncoder` (stroke sequences) and `BitmapEncoder` (28x28 bitmaps).

Both are Keras layers with no head and no loss, so any model can put its own head on top. They are
registered as serializable (`package="seqdoodle"`), so a model that contains them saves to `.keras`
and reloads with `keras.saving.load_model(path, safe_mode=True)` once this module is imported
(`from seqdoodle import encoders` or `seqdoodle.models.register_layers()` registers them).

`StrokeEncoder` turns `(batch, time, features)` float32 sequences, padded at the end, into
`(batch, dim)` float32 vectors. Which steps are real comes from, in this order: the `mask=` or
`lengths=` call argument, the mask Keras propagates (e.g. from `keras.layers.Masking`), else the
all-zero-row convention (a step whose features are all zero is padding; right for stroke-3 rows,
where a real step never is all zeros). Data where a real step can be all zeros (univariate time
series, standardised values) should pass a mask or lengths. Padding never changes the result:
padded steps are zeroed before every convolution, strided convolutions downsample the mask,
recurrent layers skip padded steps and pooling ignores them.

Saved configs hold the resolved settings (numbers), the preset name is only a label: a model
reloads to the layers it was trained with even after a preset in `seqdoodle.models.presets` is
edited. Configs saved with the name alone (null settings) resolve against the frozen presets of
that time.

`BitmapEncoder` turns `(batch, height, width, 1)` float32 raw grey values (0..255) into
`(batch, dim)` float32 vectors; it rescales by 1/255 itself and augments (shift, zoom) only in
training.
"""

from __future__ import annotations

import copy

import keras
from keras import ops

from seqdoodle.errors import DataFormatError
from seqdoodle.models.bitmap_encoder import BitmapEncoder
from seqdoodle.models.presets import (
    BITMAP_ARCHS,
    BN_MOMENTUM,
    LEGACY_STROKE_ARCHS,
    RNN_TYPES,
    STROKE_ARCHS,
    STROKE_POOLINGS,
    STROKE_SETTINGS,
    as_list,
    check_choice,
    resolve_preset,
    saved_settings,
    stroke_presets,
)

__all__ = [
    "BITMAP_ARCHS",
    "STROKE_ARCHS",
    "BitmapEncoder",
    "StrokeEncoder",
    "add_classifier_head",
    "lengths_to_mask",
]


def lengths_to_mask(lengths, steps):
    """`(batch, steps)` bool mask, True at the first `lengths[i]` steps of row i."""
    lengths = ops.reshape(ops.cast(lengths, "int32"), (-1, 1))
    return ops.less(ops.expand_dims(ops.arange(steps, dtype="int32"), 0), lengths)


@keras.saving.register_keras_serializable(package="seqdoodle")
class StrokeEncoder(keras.layers.Layer):
    """Encode zero-padded stroke sequences into one feature vector each.

    Convolutions (zeroed at padded steps after each one, mask downsampled by every stride), then
    recurrent layers that skip padded steps, then pooling over the valid steps. Every argument left
    as None takes the value of the `arch` preset (`seqdoodle.models.presets`).

    Args:
        arch: str. Preset, `"default"` (fast on CPU), `"tutorial"` (TensorFlow's RNN tutorial
            model) or `"timeseries"` (fully convolutional, for small time-series datasets); only a
            label when every other setting is given. Defaults to `"default"`.
        conv_filters: list of int. Filters of each Conv1D layer. Defaults to the preset.
        conv_kernels: list of int. Kernel size of each Conv1D layer. Defaults to the preset.
        conv_strides: list of int. Stride of each Conv1D layer. Defaults to the preset.
        conv_dilations: list of int or None. Dilation of each Conv1D layer (only with stride 1).
            Defaults to the preset (1 for every layer).
        conv_activation: str. Activation after each convolution (`"linear"` for none). Defaults
            to the preset.
        batch_norm: bool. Masked batch normalization after each convolution. Defaults to the
            preset.
        rnn_type: str. `"lstm"` or `"gru"`. Defaults to the preset.
        rnn_units: int. Units of each recurrent layer (per direction). Defaults to the preset.
        rnn_layers: int. Number of stacked recurrent layers; 0 pools the convolution features.
            Defaults to the preset.
        bidirectional: bool. Wrap each recurrent layer in `Bidirectional`. Defaults to the preset.
        pooling: str. `"sum"`, `"mean"`, `"max"` or `"mean_max"` over the valid steps. Defaults
            to the preset.
        dropout: float. Dropout before every convolution but the first and before the recurrent
            layers (training only). Defaults to the preset.
        dim: int or None. When above 0, a `Dense(dim, "relu")` projection ends the encoder; 0 for
            none. Defaults to the preset (none).
        **kwargs: passed to `keras.layers.Layer` (e.g. `name`).

    Call arguments:
        inputs: `(batch, time, features)` float32, padded at the end.
        mask: optional `(batch, time)` bool, True at real steps; a mask propagated by Keras (e.g.
            from `keras.layers.Masking(0.0)`) arrives here too.
        lengths: optional `(batch,)` int, the number of real steps of each row (combined with
            `mask` when both are given).
        training: bool. Training mode (dropout, batch statistics).

    With neither `mask` nor `lengths`, all-zero rows are taken as padding.

    Returns:
        `(batch, output_dim)` float32.

    Example:
    >>> import numpy as np
    >>> encoder = StrokeEncoder(arch="default")
    >>> x = np.zeros((2, 40, 3), "float32")
    >>> x[0, :30] = 1.0
    >>> x[1, :12] = -1.0
    >>> tuple(encoder(x).shape) == (2, encoder.output_dim)
    True
    """

    def __init__(
        self,
        arch="default",
        conv_filters=None,
        conv_kernels=None,
        conv_strides=None,
        conv_activation=None,
        batch_norm=None,
        rnn_type=None,
        rnn_units=None,
        rnn_layers=None,
        bidirectional=None,
        pooling=None,
        dropout=None,
        dim=None,
        conv_dilations=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.arch = arch
        self.conv_dilations = as_list(conv_dilations)
        self.conv_filters = as_list(conv_filters)
        self.conv_kernels = as_list(conv_kernels)
        self.conv_strides = as_list(conv_strides)
        self.conv_activation = conv_activation
        self.batch_norm = batch_norm
        self.rnn_type = rnn_type
        self.rnn_units = rnn_units
        self.rnn_layers = rnn_layers
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.dropout = dropout
        self.dim = dim
        s = resolve_preset(stroke_presets(), arch, self._arguments(), "StrokeEncoder")
        self.settings = s
        n_conv = len(s["conv_filters"])
        lengths = [len(s[k]) for k in ("conv_kernels", "conv_strides", "conv_dilations")]
        if lengths != [n_conv] * 3:
            raise DataFormatError(
                f"StrokeEncoder conv_filters/conv_kernels/conv_strides/conv_dilations: lengths "
                f"{'/'.join(map(str, [n_conv, *lengths]))} differ"
            )
        for stride, dilation in zip(s["conv_strides"], s["conv_dilations"]):
            if stride > 1 and dilation > 1:
                raise DataFormatError(
                    f"StrokeEncoder conv_dilations {s['conv_dilations']}: a strided convolution "
                    f"(conv_strides {s['conv_strides']}) needs dilation 1"
                )
        check_choice("StrokeEncoder pooling", s["pooling"], STROKE_POOLINGS)
        check_choice("StrokeEncoder rnn_type", s["rnn_type"], RNN_TYPES)

        self._convs = [
            keras.layers.Conv1D(
                filters,
                kernel,
                strides=stride,
                padding="valid",
                dilation_rate=dilation,
                use_bias=not s["batch_norm"],
                name=f"conv{i}",
            )
            for i, (filters, kernel, stride, dilation) in enumerate(
                zip(s["conv_filters"], s["conv_kernels"], s["conv_strides"], s["conv_dilations"])
            )
        ]
        self._norms = (
            [
                keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"norm{i}")
                for i in range(n_conv)
            ]
            if s["batch_norm"]
            else []
        )
        self._activation = keras.activations.get(s["conv_activation"])
        self._dropout = keras.layers.Dropout(s["dropout"]) if s["dropout"] else None
        rnn_class = keras.layers.LSTM if s["rnn_type"] == "lstm" else keras.layers.GRU
        self._rnns = []
        for i in range(s["rnn_layers"]):
            rnn = rnn_class(s["rnn_units"], return_sequences=True, name=f"rnn{i}")
            if s["bidirectional"]:
                rnn = keras.layers.Bidirectional(rnn, name=f"birnn{i}")
            self._rnns.append(rnn)
        self._projection = (
            keras.layers.Dense(s["dim"], activation="relu", name="projection") if s["dim"] else None
        )

    def _arguments(self) -> dict:
        return {
            "conv_filters": self.conv_filters,
            "conv_kernels": self.conv_kernels,
            "conv_strides": self.conv_strides,
            "conv_dilations": self.conv_dilations,
            "conv_activation": self.conv_activation,
            "batch_norm": self.batch_norm,
            "rnn_type": self.rnn_type,
            "rnn_units": self.rnn_units,
            "rnn_layers": self.rnn_layers,
            "bidirectional": self.bidirectional,
            "pooling": self.pooling,
            "dropout": self.dropout,
            "dim": self.dim,
        }

    @property
    def output_dim(self) -> int:
        """Size of the feature vector the encoder returns."""
        s = self.settings
        if s["dim"]:
            return s["dim"]
        if s["rnn_layers"]:
            width = s["rnn_units"] * (2 if s["bidirectional"] else 1)
        else:
            width = s["conv_filters"][-1] if s["conv_filters"] else None
        return 2 * width if s["pooling"] == "mean_max" else width

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise DataFormatError(
                f"StrokeEncoder input shape {tuple(input_shape)}; expected (batch, time, features)"
            )
        shape = (input_shape[0], None, input_shape[-1])
        for i, conv in enumerate(self._convs):
            conv.build(shape)
            shape = (shape[0], None, conv.filters)
            if self._norms:
                self._norms[i].build(shape)
        for rnn in self._rnns:
            rnn.build(shape)
            shape = rnn.compute_output_shape(shape)
        if self._projection is not None:
            width = shape[-1] * (2 if self.settings["pooling"] == "mean_max" else 1)
            self._projection.build((shape[0], width))

    def call(self, inputs, mask=None, lengths=None, training=None):
        x = ops.convert_to_tensor(inputs)
        if lengths is not None:
            from_lengths = lengths_to_mask(lengths, ops.shape(x)[1])
            if mask is not None:
                from_lengths = ops.logical_and(ops.cast(mask, "bool"), from_lengths)
            mask = from_lengths
        if mask is None:
            mask = ops.any(ops.not_equal(x, 0), axis=-1)
        mask = ops.cast(mask, "bool")
        weights = ops.expand_dims(ops.cast(mask, x.dtype), -1)
        x = x * weights
        for i, conv in enumerate(self._convs):
            if i > 0 and self._dropout is not None:
                x = self._dropout(x, training=training)
            kernel, stride = conv.kernel_size[0], conv.strides[0]
            span = (kernel - 1) * conv.dilation_rate[0]
            # Fixed padding (not "same"), so output step j always reads inputs j*stride - span//2
            # to j*stride + span - span//2, whatever the total length; step j is valid iff input
            # j*stride is.
            x = ops.pad(x, [[0, 0], [span // 2, span - span // 2], [0, 0]])
            x = conv(x)
            if stride > 1:
                mask = mask[:, ::stride]
                weights = weights[:, ::stride]
            if self._norms:
                x = self._norms[i](x, training=training, mask=mask)
            x = self._activation(x) * ops.cast(weights, x.dtype)  # BN may return float32
        if self._rnns and self._dropout is not None:
            x = self._dropout(x, training=training)
        for rnn in self._rnns:
            x = rnn(x, mask=mask, training=training)
        x = self._pool(x, mask, weights)
        if self._projection is not None:
            x = self._projection(x)
        return x

    def _pool(self, x, mask, weights):
        pooling = self.settings["pooling"]
        weights = ops.cast(weights, x.dtype)  # recurrent layers may return float32 (mixed policy)
        total = ops.sum(x * weights, axis=1)
        count = ops.maximum(ops.sum(weights, axis=1), 1.0)
        if pooling == "sum":
            return total
        mean = total / count
        if pooling == "mean":
            return mean
        low = ops.cast(-1e9, x.dtype)
        peak = ops.max(ops.where(ops.expand_dims(mask, -1), x, low), axis=1)
        # An empty sequence (no valid step) gives zeros, not -1e9.
        peak = ops.where(ops.sum(weights, axis=1) > 0, peak, ops.zeros_like(peak))
        if pooling == "max":
            return peak
        return ops.concatenate([mean, peak], axis=-1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update({"arch": self.arch, **copy.deepcopy(self.settings)})
        return config

    @classmethod
    def from_config(cls, config):
        config = saved_settings(config, LEGACY_STROKE_ARCHS, STROKE_SETTINGS, "StrokeEncoder")
        if config.get("conv_dilations") is None:  # saved before dilations existed
            config["conv_dilations"] = [1] * len(config["conv_filters"])
        return cls(**config)


def add_classifier_head(
    backbone: keras.Model,
    num_classes: int,
    dropout: float = 0.0,
    name: str | None = None,
    seed: int | None = None,
) -> keras.Model:
    """Put a dropout + dense softmax head on a headless model.

    Args:
        backbone: keras.Model. Any single-input model with a `(batch, dim)` output; it becomes
            the layer named `"backbone"` of the result.
        num_classes: int. Number of classes.
        dropout: float. Dropout rate before the dense layer (training only). Defaults to 0.
        name: str or None. Name of the model. Defaults to None.
        seed: int or None. Seed of the dropout. Defaults to None.

    Returns:
        Uncompiled `keras.Model` with the backbone's input and a `(batch, num_classes)` float32
        softmax output (layer `"predictions"`).

    Example:
    >>> inputs = keras.Input((None, 3))
    >>> backbone = keras.Model(inputs, StrokeEncoder(rnn_layers=0)(inputs), name="backbone")
    >>> add_classifier_head(backbone, 4).output_shape
    (None, 4)
    """
    if int(num_classes) < 2:
        raise DataFormatError(f"num_classes {num_classes}: a classifier needs at least 2 classes")
    backbone.name = "backbone"
    inputs = keras.Input(
        shape=backbone.input_shape[1:], dtype=backbone.inputs[0].dtype, name=backbone.layers[0].name
    )
    x = backbone(inputs)
    if dropout:
        x = keras.layers.Dropout(dropout, seed=seed, name="head_dropout")(x)
    outputs = keras.layers.Dense(
        int(num_classes), activation="softmax", dtype="float32", name="predictions"
    )(x)
    return keras.Model(inputs, outputs, name=name)

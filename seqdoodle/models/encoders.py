"""Public encoder layers: `StrokeEncoder` (stroke sequences) and `BitmapEncoder` (28x28 bitmaps).

Both are Keras layers with no head and no loss, so any model can put its own head on top. They are
registered as serializable (`package="seqdoodle"`), so a model that contains them saves to `.keras`
and reloads with `keras.saving.load_model(path, safe_mode=True)` once this module is imported
(`import seqdoodle.models` or `from seqdoodle import encoders` registers the classes).

`StrokeEncoder` turns `(batch, time, features)` float32 sequences, zero-padded at the end, into
`(batch, dim)` float32 vectors. Padding never changes the result: convolutions see the same zeros
whatever the padding length, strided convolutions downsample the mask, recurrent layers skip padded
steps and pooling ignores them.

`BitmapEncoder` turns `(batch, height, width, 1)` float32 raw grey values (0..255) into
`(batch, dim)` float32 vectors; it rescales by 1/255 itself and augments (shift, zoom) only in
training.
"""

from __future__ import annotations

import keras
from keras import ops

from seqdoodle.errors import DataFormatError

STROKE_ARCHS = {
    # TensorFlow's RNN tutorial for Quick, Draw!: linear convolutions at full length, dropout before
    # every convolution but the first, 3 bidirectional LSTM-128 layers, sum over valid steps.
    "tutorial": {
        "conv_filters": [48, 64, 96],
        "conv_kernels": [5, 5, 3],
        "conv_strides": [1, 1, 1],
        "conv_activation": "linear",
        "batch_norm": False,
        "rnn_type": "lstm",
        "rnn_units": 128,
        "rnn_layers": 3,
        "bidirectional": True,
        "pooling": "sum",
        "dropout": 0.3,
        "dim": None,
    },
    # Built for CPU speed: batch norm + ReLU convolutions, two stride-2 convolutions make the
    # sequence 4x shorter, then one bidirectional LSTM and masked mean + max pooling.
    "default": {
        "conv_filters": [64, 96, 128],
        "conv_kernels": [5, 5, 3],
        "conv_strides": [1, 2, 2],
        "conv_activation": "relu",
        "batch_norm": True,
        "rnn_type": "lstm",
        "rnn_units": 96,
        "rnn_layers": 1,
        "bidirectional": True,
        "pooling": "mean_max",
        "dropout": 0.1,
        "dim": None,
    },
}

BITMAP_ARCHS = {
    # A typical hobby CNN for 28x28 Quick, Draw! bitmaps: no batch norm, no augmentation.
    "baseline": {
        "filters": [32, 64],
        "convs_per_stage": 1,
        "conv_padding": "valid",
        "batch_norm": False,
        "translation": 0.0,
        "zoom": 0.0,
        "pooling": "flatten",
        "dim": 128,
    },
    # Batch-normalised 3x3 convolutions in three stages (one at 28x28, two at 14x14, two at 7x7),
    # global average pooling, light augmentation; sized for CPU training.
    "default": {
        "filters": [32, 64, 128],
        "convs_per_stage": [1, 2, 2],
        "conv_padding": "same",
        "batch_norm": True,
        "translation": 0.1,
        "zoom": 0.1,
        "pooling": "avg",
        "dim": None,
    },
}

# Batch-norm moving averages settle within ~50 steps: training runs on CPU are short.
BN_MOMENTUM = 0.9
STROKE_POOLINGS = ("sum", "mean", "max", "mean_max")
BITMAP_POOLINGS = ("avg", "max", "flatten")
RNN_TYPES = ("lstm", "gru")


def _resolve(presets: dict, arch: str, overrides: dict, what: str) -> dict:
    """The preset of `arch` with every non-None value of `overrides` put over it."""
    if arch not in presets:
        raise DataFormatError(f"{what} arch {arch!r}: unknown; expected one of {sorted(presets)}")
    settings = dict(presets[arch])
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return settings


def _as_list(value):
    return None if value is None else list(value)


def _check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise DataFormatError(f"{name} {value!r}: unknown; expected one of {list(choices)}")


@keras.saving.register_keras_serializable(package="seqdoodle")
class StrokeEncoder(keras.layers.Layer):
    """Encode zero-padded stroke sequences into one feature vector each.

    Convolutions (zeroed at padded steps after each one, mask downsampled by every stride), then
    recurrent layers that skip padded steps, then pooling over the valid steps. Every argument left
    as None takes the value of the `arch` preset (`STROKE_ARCHS`).

    Args:
        arch: str. Preset, `"default"` (fast on CPU) or `"tutorial"` (TensorFlow's RNN tutorial
            model). Defaults to `"default"`.
        conv_filters: list of int. Filters of each Conv1D layer. Defaults to the preset.
        conv_kernels: list of int. Kernel size of each Conv1D layer. Defaults to the preset.
        conv_strides: list of int. Stride of each Conv1D layer. Defaults to the preset.
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
        dim: int or None. When set, a `Dense(dim, "relu")` projection ends the encoder. Defaults
            to the preset (none).
        **kwargs: passed to `keras.layers.Layer` (e.g. `name`).

    Call arguments:
        inputs: `(batch, time, features)` float32, zero-padded at the end.
        mask: optional `(batch, time)` bool, True at real steps. When absent, the mask propagated
            by Keras (e.g. from `keras.layers.Masking(0.0)`) is used, else all-zero rows are
            taken as padding.
        training: bool. Training mode (dropout, batch statistics).

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
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.arch = arch
        self.conv_filters = _as_list(conv_filters)
        self.conv_kernels = _as_list(conv_kernels)
        self.conv_strides = _as_list(conv_strides)
        self.conv_activation = conv_activation
        self.batch_norm = batch_norm
        self.rnn_type = rnn_type
        self.rnn_units = rnn_units
        self.rnn_layers = rnn_layers
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.dropout = dropout
        self.dim = dim
        s = _resolve(STROKE_ARCHS, arch, self._arguments(), "StrokeEncoder")
        self.settings = s
        n_conv = len(s["conv_filters"])
        if not (len(s["conv_kernels"]) == len(s["conv_strides"]) == n_conv):
            raise DataFormatError(
                f"StrokeEncoder conv_filters/conv_kernels/conv_strides: lengths "
                f"{n_conv}/{len(s['conv_kernels'])}/{len(s['conv_strides'])} differ"
            )
        _check_choice("StrokeEncoder pooling", s["pooling"], STROKE_POOLINGS)
        _check_choice("StrokeEncoder rnn_type", s["rnn_type"], RNN_TYPES)

        self._convs = [
            keras.layers.Conv1D(
                filters,
                kernel,
                strides=stride,
                padding="valid",
                use_bias=not s["batch_norm"],
                name=f"conv{i}",
            )
            for i, (filters, kernel, stride) in enumerate(
                zip(s["conv_filters"], s["conv_kernels"], s["conv_strides"])
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

    def call(self, inputs, mask=None, training=None):
        x = ops.convert_to_tensor(inputs)
        if mask is None:
            mask = ops.any(ops.not_equal(x, 0), axis=-1)
        mask = ops.cast(mask, "bool")
        weights = ops.expand_dims(ops.cast(mask, x.dtype), -1)
        x = x * weights
        for i, conv in enumerate(self._convs):
            if i > 0 and self._dropout is not None:
                x = self._dropout(x, training=training)
            kernel, stride = conv.kernel_size[0], conv.strides[0]
            # Fixed padding (not "same"), so output step j always reads inputs j*stride - (k-1)//2
            # to j*stride + k//2, whatever the total length; step j is valid iff input j*stride is.
            x = ops.pad(x, [[0, 0], [(kernel - 1) // 2, kernel // 2], [0, 0]])
            x = conv(x)
            if stride > 1:
                mask = mask[:, ::stride]
                weights = weights[:, ::stride]
            if self._norms:
                x = self._norms[i](x, training=training, mask=mask)
            x = self._activation(x) * weights
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
        config.update({"arch": self.arch, **self._arguments()})
        return config


@keras.saving.register_keras_serializable(package="seqdoodle")
class BitmapEncoder(keras.layers.Layer):
    """Encode raw grey bitmaps (0..255) into one feature vector each.

    Rescaling by 1/255, augmentation (random shift and zoom, training only, background fill),
    stages of 3x3 convolutions each followed by 2x2 max pooling, then global pooling or flattening.
    With `pooling="avg"`/`"max"` the last stage goes straight to global pooling (no max pool).
    Every argument left as None takes the value of the `arch` preset (`BITMAP_ARCHS`).

    Args:
        arch: str. Preset, `"default"` (batch norm, global average pooling, augmentation) or
            `"baseline"` (a hobby CNN: conv 32, pool, conv 64, pool, flatten, dense 128).
            Defaults to `"default"`.
        filters: list of int. Filters of the convolutions of each stage. Defaults to the preset.
        convs_per_stage: int or list of int. 3x3 convolutions per stage (one count for all
            stages, or one per stage). Defaults to the preset.
        conv_padding: str. `"same"` or `"valid"`. Defaults to the preset.
        batch_norm: bool. Batch normalization after each convolution. Defaults to the preset.
        translation: float. Random shift as a fraction of height/width (0 for none). Defaults to
            the preset.
        zoom: float. Random zoom factor (0 for none). Defaults to the preset.
        pooling: str. `"avg"`, `"max"` (global) or `"flatten"`. Defaults to the preset.
        dim: int or None. When set, a `Dense(dim, "relu")` layer ends the encoder. Defaults to
            the preset.
        seed: int or None. Seed of the augmentation. Defaults to None.
        **kwargs: passed to `keras.layers.Layer` (e.g. `name`).

    Call arguments:
        inputs: `(batch, height, width, 1)` float32 grey values 0..255 (0 background).
        training: bool. Training mode (augmentation, batch statistics).

    Returns:
        `(batch, output_dim)` float32.

    Example:
    >>> import numpy as np
    >>> encoder = BitmapEncoder(arch="baseline")
    >>> images = np.random.default_rng(0).integers(0, 256, (2, 28, 28, 1)).astype("float32")
    >>> tuple(encoder(images).shape)
    (2, 128)
    """

    def __init__(
        self,
        arch="default",
        filters=None,
        convs_per_stage=None,
        conv_padding=None,
        batch_norm=None,
        translation=None,
        zoom=None,
        pooling=None,
        dim=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.arch = arch
        self.filters = _as_list(filters)
        self.convs_per_stage = (
            convs_per_stage if isinstance(convs_per_stage, int | None) else list(convs_per_stage)
        )
        self.conv_padding = conv_padding
        self.batch_norm = batch_norm
        self.translation = translation
        self.zoom = zoom
        self.pooling = pooling
        self.dim = dim
        self.seed = seed
        s = _resolve(BITMAP_ARCHS, arch, self._arguments(), "BitmapEncoder")
        self.settings = s
        _check_choice("BitmapEncoder pooling", s["pooling"], BITMAP_POOLINGS)
        _check_choice("BitmapEncoder conv_padding", s["conv_padding"], ("same", "valid"))

        self._rescale = keras.layers.Rescaling(1.0 / 255.0, name="rescale")
        self._augment = []
        if s["translation"]:
            self._augment.append(
                keras.layers.RandomTranslation(
                    s["translation"], s["translation"], fill_mode="constant", seed=seed
                )
            )
        if s["zoom"]:
            self._augment.append(
                keras.layers.RandomZoom(
                    s["zoom"],
                    s["zoom"],
                    fill_mode="constant",
                    seed=None if seed is None else seed + 1,
                )
            )
        self._blocks = []  # one list of layers per stage
        per_stage = s["convs_per_stage"]
        if isinstance(per_stage, int):
            per_stage = [per_stage] * len(s["filters"])
        if len(per_stage) != len(s["filters"]):
            raise DataFormatError(
                f"BitmapEncoder convs_per_stage {per_stage}: needs one count per stage "
                f"({len(s['filters'])})"
            )
        for stage, n_filters in enumerate(s["filters"]):
            block = []
            for j in range(per_stage[stage]):
                block.append(
                    keras.layers.Conv2D(
                        n_filters,
                        3,
                        padding=s["conv_padding"],
                        use_bias=not s["batch_norm"],
                        activation=None if s["batch_norm"] else "relu",
                        name=f"conv{stage}_{j}",
                    )
                )
                if s["batch_norm"]:
                    block.append(
                        keras.layers.BatchNormalization(
                            momentum=BN_MOMENTUM, name=f"norm{stage}_{j}"
                        )
                    )
                    block.append(keras.layers.ReLU(name=f"relu{stage}_{j}"))
            last = stage == len(s["filters"]) - 1
            if not (last and s["pooling"] != "flatten"):
                block.append(keras.layers.MaxPooling2D(2, name=f"pool{stage}"))
            self._blocks.append(block)
        self._pool = {
            "avg": keras.layers.GlobalAveragePooling2D(name="global_pool"),
            "max": keras.layers.GlobalMaxPooling2D(name="global_pool"),
            "flatten": keras.layers.Flatten(name="flatten"),
        }[s["pooling"]]
        self._projection = (
            keras.layers.Dense(s["dim"], activation="relu", name="projection") if s["dim"] else None
        )

    def _arguments(self) -> dict:
        return {
            "filters": self.filters,
            "convs_per_stage": self.convs_per_stage,
            "conv_padding": self.conv_padding,
            "batch_norm": self.batch_norm,
            "translation": self.translation,
            "zoom": self.zoom,
            "pooling": self.pooling,
            "dim": self.dim,
        }

    def _layers_in_order(self):
        yield self._rescale
        yield from self._augment
        for block in self._blocks:
            yield from block
        yield self._pool
        if self._projection is not None:
            yield self._projection

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise DataFormatError(
                f"BitmapEncoder input shape {tuple(input_shape)}; expected (batch, H, W, 1)"
            )
        shape = tuple(input_shape)
        for layer in self._layers_in_order():
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self._output_shape = shape

    @property
    def output_dim(self):
        """Size of the feature vector (known for `"flatten"` only once built)."""
        s = self.settings
        if s["dim"]:
            return s["dim"]
        if s["pooling"] != "flatten":
            return s["filters"][-1]
        return getattr(self, "_output_shape", (None, None))[-1]

    def call(self, inputs, training=None):
        x = ops.cast(inputs, self.compute_dtype)
        for layer in self._layers_in_order():
            x = layer(x, training=training)
        return x

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._layers_in_order():
            shape = layer.compute_output_shape(shape)
        return shape

    def get_config(self):
        config = super().get_config()
        config.update({"arch": self.arch, **self._arguments(), "seed": self.seed})
        return config


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

"""Every encoder preset in one table: the settings an `arch` name stands for.

A preset only fills the arguments a caller leaves as None when an encoder is built. A saved model
stores the resolved settings themselves (numbers, not the name), so editing a preset here changes
newly built encoders only; every saved `.keras` keeps loading to the layers it was trained with.

`LEGACY_*` are the presets as they were when saved configs held only the preset name (with null
settings); such configs are resolved against them, so they never change. Never edit them.
"""

from __future__ import annotations

import copy

from seqdoodle.errors import DataFormatError

# ---------------------------------------------------------------------------------------------
# StrokeEncoder: (batch, time, features) padded sequences -> (batch, dim).
# ---------------------------------------------------------------------------------------------
STROKE_ARCHS = {
    # TensorFlow's RNN tutorial for Quick, Draw!.
    "tutorial": {
        "conv_filters": [48, 64, 96],  # filters of each Conv1D layer
        "conv_kernels": [5, 5, 3],  # kernel size of each Conv1D layer
        "conv_strides": [1, 1, 1],  # stride of each Conv1D layer (all at full length)
        "conv_dilations": None,  # dilation of each Conv1D layer; None: 1 for every layer
        "conv_activation": "linear",  # no non-linearity between convolutions
        "batch_norm": False,  # no normalisation
        "rnn_type": "lstm",  # LSTM or GRU
        "rnn_units": 128,  # units per direction
        "rnn_layers": 3,  # stacked recurrent layers
        "bidirectional": True,  # wrap each recurrent layer in Bidirectional
        "pooling": "sum",  # sum over the valid steps
        "dropout": 0.3,  # before every convolution but the first, and before the RNN
        "dim": 0,  # no projection after pooling
    },
    # Built for CPU speed on doodles.
    "default": {
        "conv_filters": [64, 96, 128],
        "conv_kernels": [5, 5, 3],
        "conv_strides": [1, 2, 2],  # two stride-2 convolutions: the RNN sees 4x fewer steps
        "conv_dilations": None,
        "conv_activation": "relu",
        "batch_norm": True,  # masked batch norm after each convolution
        "rnn_type": "lstm",
        "rnn_units": 96,
        "rnn_layers": 1,  # one bidirectional LSTM
        "bidirectional": True,
        "pooling": "mean_max",  # masked mean and max, concatenated
        "dropout": 0.1,
        "dim": 0,
    },
}

# Presets for sequence tasks other than doodles (`seqdoodle.sequences.recipe`); the encoder accepts
# them as `arch` too, the doodle model kinds do not list them.
SEQUENCE_ARCHS = {
    # Small time-series datasets (tens to hundreds of series, one to a dozen channels): a
    # temporal convolution stack at full length (no stride, so short series keep every step) whose
    # dilations double layer by layer, so the last layer sees 127 steps around each step at the
    # cost of six narrow convolutions; masked mean + max pooling, no recurrent layer (fast on CPU).
    "timeseries": {
        "conv_filters": [32, 32, 32, 32, 32, 32],
        "conv_kernels": [7, 3, 3, 3, 3, 3],
        "conv_strides": [1, 1, 1, 1, 1, 1],
        "conv_dilations": [1, 2, 4, 8, 16, 32],
        "conv_activation": "relu",
        "batch_norm": True,
        "rnn_type": "lstm",  # unused with rnn_layers 0
        "rnn_units": 64,  # unused with rnn_layers 0
        "rnn_layers": 0,
        "bidirectional": True,
        "pooling": "mean_max",
        "dropout": 0.1,
        "dim": 0,
    },
    # The local counterpart: three wide full-length convolutions (kernels 9, 5, 3: 15 steps
    # seen), for fine detail such as the serrations of a leaf outline; 4x the compute.
    "timeseries_local": {
        "conv_filters": [64, 128, 64],
        "conv_kernels": [9, 5, 3],
        "conv_strides": [1, 1, 1],
        "conv_dilations": [1, 1, 1],
        "conv_activation": "relu",
        "batch_norm": True,
        "rnn_type": "lstm",
        "rnn_units": 64,
        "rnn_layers": 0,
        "bidirectional": True,
        "pooling": "mean_max",
        "dropout": 0.1,
        "dim": 0,
    },
}

# ---------------------------------------------------------------------------------------------
# BitmapEncoder: (batch, height, width, 1) raw grey values 0..255 -> (batch, dim).
# ---------------------------------------------------------------------------------------------
BITMAP_ARCHS = {
    # A typical hobby CNN for 28x28 bitmaps.
    "baseline": {
        "filters": [32, 64],  # filters of the convolutions of each stage
        "convs_per_stage": 1,  # one 3x3 convolution per stage, then 2x2 max pooling
        "conv_padding": "valid",
        "batch_norm": False,
        "translation": 0.0,  # no augmentation
        "zoom": 0.0,
        "pooling": "flatten",  # flatten the last feature map
        "dim": 128,  # Dense(128, relu) at the end
        "mirror_average": False,  # one pass per image
    },
    # Sized for CPU training. 48/96/192 filters (1.9x the compute of 32/64/128) scored 3.7 points
    # more top-1 on the validation split of 26 real stroke classes and 4.0 on 35 bitmap classes
    # (12k training drawings, 6 epochs); 35.7k bitmaps x 20 epochs train in 12 minutes on 2 cores.
    "default": {
        "filters": [48, 96, 192],
        "convs_per_stage": [1, 2, 2],  # one conv at 28x28, two at 14x14, two at 7x7
        "conv_padding": "same",
        "batch_norm": True,
        "translation": 0.1,  # random shift up to 10% of height/width (training only)
        "zoom": 0.1,  # random zoom up to 10% (training only)
        "pooling": "avg",  # global average pooling
        "dim": 0,  # no projection
        # Predict from the mean of the features of the image and its left-right mirror: +0.8
        # (cnn) and +0.9 (timecnn) points of validation top-1 on 26 real stroke classes, for
        # twice the inference work; training is unchanged.
        "mirror_average": True,
    },
}

# ---------------------------------------------------------------------------------------------
# StrokeTransformer: (batch, time, features) raw stroke-3 rows -> (batch, 2 * dim).
# ---------------------------------------------------------------------------------------------
TRANSFORMER_ARCHS = {
    "default": {
        "dim": 128,  # width of every token
        "heads": 4,  # attention heads (dim / heads per head)
        "blocks": 2,  # pre-LayerNorm encoder blocks
        "ffn_dim": 256,  # hidden width of each block's feed-forward layer
        # Two stride-2 Conv1D (as the rnn kind's): about 12 tokens for a typical doodle, so more
        # epochs fit the budget than with one ("stride2"). Presets chosen on the 26 classes'
        # validation split (experiments.studies.transformer_archs, docs/results.md).
        "stem_kernels": [5, 5],  # kernel size of each Conv1D of the stem
        "stem_strides": [2, 2],  # stride of each: tokens = points / product of strides
        "structure": True,  # stroke index and point index embeddings, absolute positions
        "max_strokes": 32,  # stroke indices past this share the last embedding
        "max_points": 256,  # point indices past this share the last embedding
        "dropout": 0.1,  # after attention and feed-forward, before each residual sum
    },
    # The default with three blocks.
    "deep": {
        "dim": 128,
        "heads": 4,
        "blocks": 3,
        "ffn_dim": 256,
        "stem_kernels": [5, 5],
        "stem_strides": [2, 2],
        "structure": True,
        "max_strokes": 32,
        "max_points": 256,
        "dropout": 0.1,
    },
    # The first default: three blocks over one stride-2 Conv1D, about 23 tokens.
    "stride2": {
        "dim": 128,
        "heads": 4,
        "blocks": 3,
        "ffn_dim": 256,
        "stem_kernels": [5],
        "stem_strides": [2],
        "structure": True,
        "max_strokes": 32,
        "max_points": 256,
        "dropout": 0.1,
    },
    "small": {
        "dim": 64,
        "heads": 4,
        "blocks": 2,
        "ffn_dim": 128,
        "stem_kernels": [5],
        "stem_strides": [2],
        "structure": True,
        "max_strokes": 32,
        "max_points": 256,
        "dropout": 0.1,
    },
}

# ---------------------------------------------------------------------------------------------
# Frozen: the presets of configs saved with null settings. Never edit. (Those configs predate
# dilations: their convolutions all have dilation 1.)
# ---------------------------------------------------------------------------------------------
LEGACY_STROKE_ARCHS = {
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
        "dim": 0,
    },
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
        "dim": 0,
    },
}
LEGACY_BITMAP_ARCHS = {
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
    "default": {
        "filters": [32, 64, 128],
        "convs_per_stage": [1, 2, 2],
        "conv_padding": "same",
        "batch_norm": True,
        "translation": 0.1,
        "zoom": 0.1,
        "pooling": "avg",
        "dim": 0,
    },
}

# Batch-norm moving averages settle within ~50 steps: training runs on CPU are short.
BN_MOMENTUM = 0.9
STROKE_POOLINGS = ("sum", "mean", "max", "mean_max")
BITMAP_POOLINGS = ("avg", "max", "flatten")
RNN_TYPES = ("lstm", "gru")


def stroke_presets() -> dict:
    """Every preset a `StrokeEncoder` accepts as `arch` (doodle and other sequence tasks)."""
    return {**STROKE_ARCHS, **SEQUENCE_ARCHS}


STROKE_SETTINGS = tuple(LEGACY_STROKE_ARCHS["default"])
BITMAP_SETTINGS = tuple(LEGACY_BITMAP_ARCHS["default"])


def resolve_preset(presets: dict, arch: str, overrides: dict, what: str) -> dict:
    """The preset of `arch` with every non-None value of `overrides` put over it.

    When every setting is given, `arch` is only a label (it need not name a preset any more).
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    if len(given) == len(overrides):
        settings = given
    elif arch not in presets:
        raise DataFormatError(f"{what} arch {arch!r}: unknown; expected one of {sorted(presets)}")
    else:
        settings = {**copy.deepcopy(presets[arch]), **given}
    settings["dim"] = int(settings["dim"] or 0)
    if "conv_filters" in settings and settings.get("conv_dilations") is None:
        settings["conv_dilations"] = [1] * len(settings["conv_filters"])
    return settings


def saved_settings(config: dict, legacy: dict, names: tuple, what: str) -> dict:
    """`config` with every missing or null setting taken from the frozen `legacy` presets.

    Configs saved with only the preset name (null settings) resolve to the layers they were
    trained with, whatever today's presets say. Configs with every setting pass unchanged.
    """
    config = dict(config)
    missing = [k for k in names if config.get(k) is None]
    if missing:
        arch = config.get("arch", "default")
        if arch not in legacy:
            raise DataFormatError(
                f"{what} config: settings {missing} are null and arch {arch!r} is not a saved "
                f"preset; expected one of {sorted(legacy)}"
            )
        for k in missing:
            config[k] = copy.deepcopy(legacy[arch][k])
    return config


def as_list(value):
    return None if value is None else list(value)


def check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise DataFormatError(f"{name} {value!r}: unknown; expected one of {list(choices)}")

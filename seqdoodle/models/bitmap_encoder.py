"""`BitmapEncoder`: raw grey bitmaps (0..255) in, one feature vector out (see `encoders`)."""

from __future__ import annotations

import copy

import keras
from keras import ops

from seqdoodle.errors import DataFormatError
from seqdoodle.models.presets import (
    BITMAP_ARCHS,
    BITMAP_POOLINGS,
    BITMAP_SETTINGS,
    BN_MOMENTUM,
    LEGACY_BITMAP_ARCHS,
    as_list,
    check_choice,
    resolve_preset,
    saved_settings,
)


@keras.saving.register_keras_serializable(package="seqdoodle")
class BitmapEncoder(keras.layers.Layer):
    """Encode raw grey bitmaps (0..255) into one feature vector each.

    Rescaling by 1/255, augmentation (random shift and zoom, training only, background fill),
    stages of 3x3 convolutions each followed by 2x2 max pooling, then global pooling or flattening.
    With `pooling="avg"`/`"max"` the last stage goes straight to global pooling (no max pool).
    With `mirror_average`, inference encodes each image and its left-right mirror and averages.
    Every argument left as None takes the value of the `arch` preset (`seqdoodle.models.presets`).

    Args:
        arch: str. Preset, `"default"` (batch norm, global average pooling, augmentation,
            mirror averaging) or `"baseline"` (a hobby CNN: conv 32, pool, conv 64, pool,
            flatten, dense 128). Defaults to `"default"`.
        filters: list of int. Filters of the convolutions of each stage. Defaults to the preset.
        convs_per_stage: int or list of int. 3x3 convolutions per stage (one count for all
            stages, or one per stage). Defaults to the preset.
        conv_padding: str. `"same"` or `"valid"`. Defaults to the preset.
        batch_norm: bool. Batch normalization after each convolution. Defaults to the preset.
        translation: float. Random shift as a fraction of height/width (0 for none). Defaults to
            the preset.
        zoom: float. Random zoom factor (0 for none). Defaults to the preset.
        pooling: str. `"avg"`, `"max"` (global) or `"flatten"`. Defaults to the preset.
        dim: int or None. When above 0, a `Dense(dim, "relu")` layer ends the encoder; 0 for
            none. Defaults to the preset.
        mirror_average: bool or None. At inference, encode each image and its left-right mirror
            and return the mean of the two feature vectors (twice the work; training sees each
            image once). Models saved before this setting existed load with False. Defaults to
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
        mirror_average=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.arch = arch
        self.filters = as_list(filters)
        self.convs_per_stage = (
            convs_per_stage if isinstance(convs_per_stage, int | None) else list(convs_per_stage)
        )
        self.conv_padding = conv_padding
        self.batch_norm = batch_norm
        self.translation = translation
        self.zoom = zoom
        self.pooling = pooling
        self.dim = dim
        self.mirror_average = mirror_average
        self.seed = seed
        s = resolve_preset(BITMAP_ARCHS, arch, self._arguments(), "BitmapEncoder")
        self.settings = s
        check_choice("BitmapEncoder pooling", s["pooling"], BITMAP_POOLINGS)
        check_choice("BitmapEncoder conv_padding", s["conv_padding"], ("same", "valid"))

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
            "mirror_average": self.mirror_average,
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
        mirror = bool(self.settings["mirror_average"]) and not training
        if mirror:  # the images and their mirrors in one batch, features averaged per pair
            n = ops.shape(x)[0]
            x = ops.concatenate([x, ops.flip(x, axis=2)], axis=0)
        for layer in self._layers_in_order():
            x = layer(x, training=training)
        if mirror:
            x = (x[:n] + x[n:]) * 0.5
        return x

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._layers_in_order():
            shape = layer.compute_output_shape(shape)
        return shape

    def get_config(self):
        config = super().get_config()
        config.update({"arch": self.arch, **copy.deepcopy(self.settings), "seed": self.seed})
        return config

    @classmethod
    def from_config(cls, config):
        config = {"mirror_average": False, **config}  # saved before the setting existed: off
        return cls(**saved_settings(config, LEGACY_BITMAP_ARCHS, BITMAP_SETTINGS, "BitmapEncoder"))

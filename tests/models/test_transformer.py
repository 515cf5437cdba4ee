"""Stroke transformer: padding invariance, bucketing and save/load for every preset."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from seqdoodle.models.presets import TRANSFORMER_ARCHS
from seqdoodle.models.transformer import StrokeTransformer, build_transformer_classifier
from tests.models.helpers import all_layers, predict, save_and_reload, stroke_batch

ARCHS = sorted(TRANSFORMER_ARCHS)


@pytest.mark.parametrize("arch", ARCHS)
def test_padding_never_changes_a_prediction(arch):
    keras.utils.set_random_seed(20)
    model = build_transformer_classifier(5, arch=arch, scale=(0.2, 0.2))
    x = stroke_batch([37, 29, 6], pad_to=96, seed=3)
    short, long = predict(model, x[:, :40]), predict(model, x)
    np.testing.assert_allclose(short, long, atol=1e-5)
    assert np.abs(short - short[:1]).max() > 1e-6  # different drawings, different outputs
    for i, n in enumerate([37, 29, 6]):  # alone, unpadded: the same as in the padded batch
        np.testing.assert_allclose(predict(model, x[i : i + 1, :n]), long[i : i + 1], atol=1e-5)


def test_the_stride4_presets_differ_from_stride2_only_where_named():
    default, deep, stride2 = (StrokeTransformer(arch=a) for a in ("default", "deep", "stride2"))
    assert default.settings["stem_strides"] == deep.settings["stem_strides"] == [2, 2]
    assert stride2.settings["stem_strides"] == [2]
    assert (default.settings["blocks"], deep.settings["blocks"]) == (2, 3)

    def rest(layer, *names):
        return {k: v for k, v in layer.settings.items() if k not in names}

    assert rest(deep, "stem_kernels", "stem_strides") == rest(
        stride2, "stem_kernels", "stem_strides"
    )
    assert rest(default, "blocks") == rest(deep, "blocks")


def test_a_saved_model_reloads_with_its_settings(tmp_path):
    keras.utils.set_random_seed(21)
    model = build_transformer_classifier(4, arch="default", scale=(0.2, 0.3))
    x = stroke_batch([21, 13], pad_to=32, seed=4)
    again = save_and_reload(model, tmp_path)
    np.testing.assert_allclose(predict(again, x), predict(model, x), atol=1e-6)
    layer = next(lay for lay in all_layers(again) if isinstance(lay, StrokeTransformer))
    assert layer.settings["stem_strides"] == [2, 2] and layer.scale == (0.2, 0.3)


def test_a_model_saved_before_the_default_changed_reloads_its_own_stem(tmp_path):
    # A model saved when "default" meant one stride-2 stem stores arch="default" and that stem.
    keras.utils.set_random_seed(22)
    old = StrokeTransformer(arch="default", stem_kernels=[5], stem_strides=[2], scale=(0.2, 0.3))
    inputs = keras.Input((None, 3))
    model = keras.Model(inputs, keras.layers.Dense(4, activation="softmax")(old(inputs)))
    again = save_and_reload(model, tmp_path)
    layer = next(lay for lay in all_layers(again) if isinstance(lay, StrokeTransformer))
    assert layer.arch == "default" and layer.settings["stem_strides"] == [2]
    x = stroke_batch([21, 13], pad_to=32, seed=5)
    np.testing.assert_allclose(predict(again, x), predict(model, x), atol=1e-6)

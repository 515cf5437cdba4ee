"""Bitmap classifiers: shapes, baseline vs default layout, save/load, a toy fit."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from seqdoodle.errors import DataFormatError
from seqdoodle.models import BitmapEncoder, build_bitmap_backbone, build_bitmap_classifier
from tests.models.helpers import all_layers, predict, save_and_reload


def _images(n, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((n, 28, 28, 1)) < 0.15).astype("float32") * 255.0


def _types(model):
    return {type(layer).__name__ for layer in all_layers(model)}


@pytest.mark.parametrize("arch", ["default", "baseline"])
def test_shapes_and_probabilities(arch):
    backbone = build_bitmap_backbone(arch)
    assert backbone.input_shape == (None, 28, 28, 1)
    assert backbone.output_shape == (None, {"default": 192, "baseline": 128}[arch])
    model = build_bitmap_classifier(9, arch=arch)
    assert model.output_shape == (None, 9)
    probs = predict(model, _images(4))
    assert probs.shape == (4, 9) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert isinstance(model.get_layer("backbone").get_layer("bitmap_encoder"), BitmapEncoder)


def test_baseline_is_a_plain_hobby_cnn():
    model = build_bitmap_classifier(5, arch="baseline")
    types = _types(model)
    assert "BatchNormalization" not in types
    assert not types & {"RandomTranslation", "RandomZoom"}
    convs = [la for la in all_layers(model) if isinstance(la, keras.layers.Conv2D)]
    assert sorted(c.filters for c in convs) == [32, 64]
    assert {"Flatten", "Dense", "Dropout", "MaxPooling2D"} <= types


def test_default_has_batch_norm_augmentation_and_global_pooling():
    model = build_bitmap_classifier(5)
    types = _types(model)
    assert {"BatchNormalization", "RandomTranslation", "RandomZoom"} <= types
    assert "GlobalAveragePooling2D" in types and "Flatten" not in types
    rescale = [la for la in all_layers(model) if isinstance(la, keras.layers.Rescaling)]
    assert len(rescale) == 1 and rescale[0].scale == pytest.approx(1 / 255)
    assert model.count_params() < 1_000_000


def test_augmentation_only_in_training():
    keras.utils.set_random_seed(20)
    model = build_bitmap_classifier(4, seed=1)
    x = _images(3)
    np.testing.assert_array_equal(predict(model, x), predict(model, x))
    in_training = np.asarray(model(x, training=True))
    assert not np.allclose(in_training, predict(model, x), atol=1e-4)


@pytest.mark.parametrize("arch", ["default", "baseline"])
def test_save_load_same_predictions(arch, tmp_path):
    keras.utils.set_random_seed(21)
    model = build_bitmap_classifier(3, arch=arch, seed=2)
    x = _images(5, seed=3)
    before = predict(model, x)
    np.testing.assert_allclose(predict(save_and_reload(model, tmp_path), x), before, atol=1e-6)


def test_bad_arguments():
    with pytest.raises(DataFormatError, match="arch"):
        build_bitmap_classifier(3, arch="vgg")
    with pytest.raises(DataFormatError, match="num_classes"):
        build_bitmap_classifier(0)


def _toy_bars(n, seed):
    """Class 0: a horizontal bar, class 1: a vertical bar, at random places."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = np.zeros((n, 28, 28, 1), "float32")
    for i in range(n):
        a, b = rng.integers(4, 24, 2)
        length = rng.integers(10, 20)
        if y[i] == 0:
            x[i, a : a + 2, b - 4 : b - 4 + length] = 255.0
        else:
            x[i, a - 4 : a - 4 + length, b : b + 2] = 255.0
    return x, y


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["default", "baseline"])
def test_toy_fit_tells_bars_apart(arch):
    keras.utils.set_random_seed(22)
    x, y = _toy_bars(512, seed=0)
    x_test, y_test = _toy_bars(128, seed=1)
    model = build_bitmap_classifier(2, arch=arch, seed=0)
    model.compile(
        keras.optimizers.Adam(2e-3), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(x, y, batch_size=32, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.evaluate(x_test, y_test, verbose=0)[1] > 0.9


def test_docstring_examples_run():
    import doctest

    from seqdoodle.models import cnn

    results = doctest.testmod(cnn)
    assert results.attempted >= 2 and results.failed == 0

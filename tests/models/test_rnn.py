"""Stroke classifiers: padding invariance, bucketing, shapes, save/load, a toy fit."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from seqdoodle.errors import DataFormatError
from seqdoodle.models import StrokeEncoder, build_stroke_classifier, build_stroke_encoder
from tests.models.helpers import all_layers, predict, save_and_reload, stroke_batch

ARCHS = ["default", "tutorial"]


@pytest.mark.parametrize("arch", ARCHS)
def test_padding_never_changes_a_prediction(arch):
    keras.utils.set_random_seed(10)
    model = build_stroke_classifier(6, arch=arch)
    x = stroke_batch([50, 44, 3], pad_to=300, seed=1)
    short, long = predict(model, x[:, :50]), predict(model, x)
    np.testing.assert_allclose(short, long, atol=1e-5)
    np.testing.assert_allclose(short.sum(axis=1), 1.0, atol=1e-5)
    assert np.abs(short - short[:1]).max() > 1e-6  # different drawings, different outputs


@pytest.mark.parametrize("arch", ARCHS)
def test_bucketing_gives_each_drawing_its_own_result(arch):
    keras.utils.set_random_seed(11)
    model = build_stroke_classifier(4, arch=arch)
    lengths = [33, 6, 18]
    x = stroke_batch(lengths, pad_to=40, seed=2)
    batch = predict(model, x)
    for i, n in enumerate(lengths):
        np.testing.assert_allclose(batch[i : i + 1], predict(model, x[i : i + 1, :n]), atol=1e-5)


@pytest.mark.parametrize("arch, dim", [("default", 384), ("tutorial", 256)])
@pytest.mark.parametrize("n_features", [3, 4])
def test_shapes(arch, dim, n_features):
    encoder = build_stroke_encoder(arch, n_features=n_features)
    assert encoder.input_shape == (None, None, n_features)
    assert encoder.output_shape == (None, dim)
    model = build_stroke_classifier(7, arch=arch, n_features=n_features)
    assert model.output_shape == (None, 7)
    assert isinstance(model.get_layer("backbone").get_layer("stroke_encoder"), StrokeEncoder)


def test_tutorial_matches_tensorflow_tutorial_layout():
    encoder = build_stroke_encoder("tutorial").get_layer("stroke_encoder")
    layers = all_layers(encoder)
    convs = [la for la in layers if isinstance(la, keras.layers.Conv1D)]
    assert [c.filters for c in convs] == [48, 64, 96]
    assert [c.kernel_size[0] for c in convs] == [5, 5, 3]
    assert all(c.strides[0] == 1 for c in convs)
    birnns = [la for la in layers if isinstance(la, keras.layers.Bidirectional)]
    assert len(birnns) == 3
    assert all(isinstance(b.forward_layer, keras.layers.LSTM) for b in birnns)
    assert all(b.forward_layer.units == 128 for b in birnns)


def test_default_shortens_the_sequence_and_is_smaller():
    default = build_stroke_encoder("default")
    tutorial = build_stroke_encoder("tutorial")
    convs = [la for la in all_layers(default) if isinstance(la, keras.layers.Conv1D)]
    assert np.prod([c.strides[0] for c in convs]) == 4
    assert default.count_params() < tutorial.count_params() / 3


@pytest.mark.parametrize("arch", ARCHS)
def test_save_load_same_predictions(arch, tmp_path):
    keras.utils.set_random_seed(12)
    model = build_stroke_classifier(3, arch=arch, n_features=4)
    x = stroke_batch([12, 30, 5], pad_to=30, n_features=4, seed=4)
    before = predict(model, x)
    reloaded = save_and_reload(model, tmp_path)
    np.testing.assert_allclose(predict(reloaded, x), before, atol=1e-6)
    assert reloaded.name == model.name


def test_bad_arguments():
    with pytest.raises(DataFormatError, match="arch"):
        build_stroke_classifier(3, arch="transformer")
    with pytest.raises(DataFormatError, match="n_features"):
        build_stroke_encoder(n_features=0)
    with pytest.raises(DataFormatError, match="num_classes"):
        build_stroke_classifier(1)


def _toy_direction_task(n, seed):
    """Class 0 drawings move right, class 1 move left; lengths vary from 8 to 40 steps."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(8, 41, n)
    y = rng.integers(0, 2, n)
    x = stroke_batch(lengths, pad_to=40, seed=seed)
    for i, n_steps in enumerate(lengths):
        x[i, :n_steps, 0] = np.abs(x[i, :n_steps, 0]) * (1 if y[i] == 0 else -1)
    return x, y


@pytest.mark.slow
def test_toy_fit_learns_direction():
    keras.utils.set_random_seed(13)
    x, y = _toy_direction_task(384, seed=0)
    x_test, y_test = _toy_direction_task(128, seed=1)
    model = build_stroke_classifier(2)
    model.compile(
        keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(x, y, batch_size=32, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    accuracy = model.evaluate(x_test, y_test, verbose=0)[1]
    assert accuracy > 0.9


def test_docstring_examples_run():
    import doctest

    from seqdoodle.models import rnn

    results = doctest.testmod(rnn)
    assert results.attempted >= 2 and results.failed == 0


def test_stroke_scale_layer_divides_dx_dy_only_and_saves(tmp_path):
    from seqdoodle.models.layers import StrokeScale

    keras.utils.set_random_seed(13)
    scale = (0.2, 0.4)
    inside = build_stroke_classifier(3, scale=scale, seed=0)
    assert isinstance(inside.get_layer("backbone").get_layer("stroke_scale"), StrokeScale)
    x = stroke_batch([20, 7], pad_to=24, seed=5)
    scaled = x.copy()
    scaled[..., 0] /= scale[0]
    scaled[..., 1] /= scale[1]
    plain = keras.Model(inside.inputs, inside.outputs)  # same weights, fed both ways below
    outside = build_stroke_classifier(3, seed=0)
    outside.set_weights(inside.get_weights())
    np.testing.assert_allclose(predict(plain, x), predict(outside, scaled), atol=1e-5)
    reloaded = save_and_reload(inside, tmp_path)
    np.testing.assert_allclose(predict(reloaded, x), predict(inside, x), atol=1e-6)
    layer = reloaded.get_layer("backbone").get_layer("stroke_scale")
    assert layer.get_config()["scale"] == [0.2, 0.4]
    with pytest.raises(DataFormatError, match="two positive numbers"):
        StrokeScale(scale=(0.0, 1.0))

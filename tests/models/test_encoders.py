"""StrokeEncoder / BitmapEncoder: padding invariance, masks, config, save/load, docstrings."""

from __future__ import annotations

import doctest
import inspect

import keras
import numpy as np
import pytest

from seqdoodle.errors import DataFormatError
from seqdoodle.models import encoders
from seqdoodle.models.encoders import BitmapEncoder, StrokeEncoder
from tests.models.helpers import as_model, predict, save_and_reload, stroke_batch

SMALL_STROKE = dict(conv_filters=[8, 8, 8], rnn_units=6)


@pytest.mark.parametrize("arch", ["default", "tutorial"])
def test_stroke_encoder_padding_invariance(arch):
    keras.utils.set_random_seed(1)
    encoder = StrokeEncoder(arch=arch)
    x = stroke_batch([50, 31, 7, 49], pad_to=300)
    model = as_model(encoder, (None, 3))
    short = predict(model, x[:, :50])
    long = predict(model, x)
    assert short.shape == (4, encoder.output_dim)
    np.testing.assert_allclose(short, long, atol=1e-5, rtol=1e-5)
    # Odd and even padding lengths behave the same (no length-dependent "same" padding).
    np.testing.assert_allclose(short, predict(model, x[:, :51]), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("arch", ["default", "tutorial"])
def test_stroke_encoder_bucketing(arch):
    keras.utils.set_random_seed(2)
    encoder = StrokeEncoder(arch=arch)
    lengths = [40, 9, 23, 17]
    x = stroke_batch(lengths, pad_to=64, seed=3)
    model = as_model(encoder, (None, 3))
    batch = predict(model, x)
    for i, n in enumerate(lengths):
        alone = predict(model, x[i : i + 1, :n])
        np.testing.assert_allclose(batch[i : i + 1], alone, atol=1e-5, rtol=1e-5)


def test_stroke_encoder_mask_sources_agree():
    keras.utils.set_random_seed(3)
    encoder = StrokeEncoder(**SMALL_STROKE)
    x = stroke_batch([12, 5], pad_to=20)
    computed = np.asarray(encoder(x))
    explicit = np.asarray(encoder(x, mask=np.any(x != 0, axis=-1)))
    inputs = keras.Input((None, 3))
    propagated_model = keras.Model(inputs, encoder(keras.layers.Masking(0.0)(inputs)))
    propagated = propagated_model.predict(x, verbose=0)
    np.testing.assert_allclose(computed, explicit, atol=1e-6)
    np.testing.assert_allclose(computed, propagated, atol=1e-6)


def test_stroke_encoder_explicit_mask_is_used():
    keras.utils.set_random_seed(4)
    encoder = StrokeEncoder(**SMALL_STROKE)
    x = stroke_batch([20], pad_to=20)
    mask = np.zeros((1, 20), bool)
    mask[0, :8] = True
    masked = np.asarray(encoder(x, mask=mask))
    truncated = np.asarray(encoder(x[:, :8]))
    np.testing.assert_allclose(masked, truncated, atol=1e-5)
    assert not np.allclose(masked, np.asarray(encoder(x)), atol=1e-4)


@pytest.mark.parametrize("pooling", ["sum", "mean", "max", "mean_max"])
def test_stroke_encoder_pooling_dims(pooling):
    encoder = StrokeEncoder(pooling=pooling, bidirectional=False, **SMALL_STROKE)
    out = np.asarray(encoder(stroke_batch([5, 3, 0], pad_to=9)))
    width = 2 * 6 if pooling == "mean_max" else 6
    assert out.shape == (3, width) == (3, encoder.output_dim)
    assert np.all(np.isfinite(out))
    np.testing.assert_array_equal(out[2], 0.0)  # an empty sequence pools to zeros


def test_stroke_encoder_without_rnn_and_with_projection():
    encoder = StrokeEncoder(
        conv_filters=[8, 12], conv_kernels=[3, 4], conv_strides=[2, 3], rnn_layers=0, dim=5
    )
    x = stroke_batch([30, 11], pad_to=40)
    out = np.asarray(encoder(x))
    assert out.shape == (2, 5)
    np.testing.assert_allclose(out[1:], np.asarray(encoder(x[1:, :11])), atol=1e-5)


def test_stroke_encoder_config_is_constructor_arguments():
    encoder = StrokeEncoder(arch="tutorial", rnn_layers=1, dim=7, name="enc")
    config = encoder.get_config()
    arguments = set(inspect.signature(StrokeEncoder.__init__).parameters) - {"self", "kwargs"}
    assert arguments <= set(config)
    assert config["arch"] == "tutorial" and config["rnn_layers"] == 1 and config["dim"] == 7
    assert config["conv_filters"] is None  # left to the preset, and stays so


def test_stroke_encoder_from_config_same_outputs():
    keras.utils.set_random_seed(5)
    encoder = StrokeEncoder(conv_filters=[8, 8, 8], rnn_units=5, rnn_type="lstm", pooling="max")
    x = stroke_batch([14, 6], pad_to=16)
    expected = np.asarray(encoder(x))
    clone = StrokeEncoder.from_config(encoder.get_config())
    clone.build(x.shape)
    clone.set_weights(encoder.get_weights())
    np.testing.assert_allclose(np.asarray(clone(x)), expected, atol=1e-6)


def test_stroke_encoder_save_load_inside_model(tmp_path):
    keras.utils.set_random_seed(6)
    inputs = keras.Input((None, 4))
    features = StrokeEncoder(**SMALL_STROKE, name="enc")(keras.layers.Masking(0.0)(inputs))
    outputs = keras.layers.Dense(3, activation="softmax")(features)
    model = keras.Model(inputs, outputs)
    x = stroke_batch([9, 4, 13], pad_to=13, n_features=4)
    expected = model.predict(x, verbose=0)
    reloaded = save_and_reload(model, tmp_path)
    assert isinstance(reloaded.get_layer("enc"), StrokeEncoder)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), expected, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, problem",
    [
        ({"arch": "huge"}, "arch"),
        ({"conv_filters": [8, 8]}, "lengths"),
        ({"pooling": "median"}, "pooling"),
        ({"rnn_type": "transformer"}, "rnn_type"),
    ],
)
def test_stroke_encoder_bad_arguments(kwargs, problem):
    with pytest.raises(DataFormatError, match=problem):
        StrokeEncoder(**kwargs)


def test_stroke_encoder_bad_input_rank():
    with pytest.raises(DataFormatError, match="expected"):
        StrokeEncoder(**SMALL_STROKE)(np.zeros((2, 3), "float32"))


def _images(n, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((n, 28, 28, 1)) < 0.2).astype("float32") * 255.0


@pytest.mark.parametrize("arch, dim", [("default", 128), ("baseline", 128)])
def test_bitmap_encoder_shapes_and_training_only_augmentation(arch, dim):
    keras.utils.set_random_seed(7)
    encoder = BitmapEncoder(arch=arch, seed=0)
    x = _images(3)
    first = np.asarray(encoder(x, training=False))
    assert first.shape == (3, dim) == (3, encoder.output_dim)
    np.testing.assert_allclose(np.asarray(encoder(x, training=False)), first, atol=1e-6)
    trained = np.asarray(encoder(x, training=True))
    if arch == "baseline":  # no augmentation, no batch norm, no dropout: training changes nothing
        np.testing.assert_allclose(trained, first, atol=1e-5)
    else:
        assert not np.allclose(trained, first, atol=1e-4)


def test_bitmap_encoder_takes_raw_pixels():
    keras.utils.set_random_seed(8)
    encoder = BitmapEncoder(arch="baseline")
    x = _images(2)
    raw = np.asarray(encoder(x))
    # Rescaling is inside: feeding values already divided by 255 gives a different result.
    assert not np.allclose(raw, np.asarray(encoder(x / 255.0)), atol=1e-4)
    inputs = keras.Input((28, 28, 1))
    manual = keras.Model(inputs, encoder._blocks[0][0](inputs / 255.0))
    first_conv = manual.predict(x, verbose=0)
    assert first_conv.max() < 10  # convolving 0..1 values with small initial weights


def test_bitmap_encoder_from_config_and_save_load(tmp_path):
    keras.utils.set_random_seed(9)
    encoder = BitmapEncoder(filters=[4, 8], convs_per_stage=[1, 2], zoom=0.0, seed=3)
    x = _images(2, seed=1)
    expected = np.asarray(encoder(x))
    clone = BitmapEncoder.from_config(encoder.get_config())
    clone.build(x.shape)
    clone.set_weights(encoder.get_weights())
    np.testing.assert_allclose(np.asarray(clone(x)), expected, atol=1e-6)
    assert clone.get_config()["convs_per_stage"] == [1, 2]

    inputs = keras.Input((28, 28, 1))
    model = keras.Model(
        inputs, BitmapEncoder(filters=[4], convs_per_stage=1, seed=1, name="enc")(inputs)
    )
    before = model.predict(x, verbose=0)
    np.testing.assert_allclose(
        save_and_reload(model, tmp_path).predict(x, verbose=0), before, atol=1e-6
    )


def test_bitmap_encoder_bad_arguments():
    with pytest.raises(DataFormatError, match="arch"):
        BitmapEncoder(arch="resnet")
    with pytest.raises(DataFormatError, match="convs_per_stage"):
        BitmapEncoder(filters=[4, 8], convs_per_stage=[1, 1, 1])
    with pytest.raises(DataFormatError, match="num_classes"):
        encoders.add_classifier_head(keras.Sequential([keras.Input((3,))]), 1)


def test_docstring_examples_run():
    results = doctest.testmod(encoders, optionflags=doctest.ELLIPSIS)
    assert results.attempted >= 3
    assert results.failed == 0


def test_stroke_encoder_training_batch_statistics_ignore_padding():
    # Batch norm in training uses masked moments, so the padding length of a batch does not
    # change what the model computes (or learns) from it.
    keras.utils.set_random_seed(10)
    encoder = StrokeEncoder(dropout=0.0, **SMALL_STROKE)
    x = stroke_batch([20, 9, 14], pad_to=64)
    short = np.asarray(encoder(x[:, :20], training=True))
    long = np.asarray(encoder(x, training=True))
    np.testing.assert_allclose(short, long, atol=1e-5)
    assert not np.allclose(short, np.asarray(encoder(x, training=False)), atol=1e-3)


def test_package_root_exposes_encoders():
    import seqdoodle

    assert seqdoodle.encoders.StrokeEncoder is StrokeEncoder
    assert seqdoodle.encoders.BitmapEncoder is BitmapEncoder

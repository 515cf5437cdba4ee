"""StrokeEncoder / BitmapEncoder: padding invariance, masks, config, save/load, docstrings."""

from __future__ import annotations

import doctest
import inspect
from pathlib import Path

import keras
import numpy as np
import pytest

from seqdoodle.errors import DataFormatError
from seqdoodle.models import bitmap_encoder, encoders, presets
from seqdoodle.models.encoders import BitmapEncoder, StrokeEncoder
from tests.models.helpers import all_layers, as_model, predict, save_and_reload, stroke_batch

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


@pytest.mark.parametrize(
    "settings",
    [
        {"arch": "timeseries", "conv_filters": [8] * 6},
        {"arch": "timeseries_local", "conv_filters": [8] * 3},
        {
            "conv_filters": [8, 8, 8],
            "conv_kernels": [4, 5, 3],
            "conv_strides": [1, 1, 2],
            "conv_dilations": [2, 3, 1],
        },
    ],
)
def test_stroke_encoder_padding_invariance_dilated_and_timeseries(settings):
    keras.utils.set_random_seed(15)
    encoder = StrokeEncoder(rnn_units=4, **settings)
    x = stroke_batch([50, 31, 7, 49], pad_to=120)
    model = as_model(encoder, (None, 3))
    short = predict(model, x[:, :50])
    np.testing.assert_allclose(short, predict(model, x), atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(short[2:3], predict(model, x[2:3, :7]), atol=1e-5, rtol=1e-5)
    dilations = [conv.dilation_rate[0] for conv in model.layers[-1]._convs]
    preset = presets.stroke_presets().get(settings.get("arch"), {}).get("conv_dilations")
    assert dilations == settings.get("conv_dilations", preset)


def test_stroke_encoder_dilations_default_to_one_and_old_configs_lack_them():
    assert StrokeEncoder(conv_filters=[4, 4], conv_kernels=[3, 3], conv_strides=[1, 1]).settings[
        "conv_dilations"
    ] == [1, 1]
    config = StrokeEncoder(arch="tutorial").get_config()
    del config["conv_dilations"]
    assert StrokeEncoder.from_config(config).settings["conv_dilations"] == [1, 1, 1]
    with pytest.raises(DataFormatError, match="dilation 1"):
        StrokeEncoder(conv_strides=[1, 2, 2], conv_dilations=[1, 2, 1])


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


def _with_zero_rows(n=20, pad_to=40):
    """One sequence of `n` real steps, 4 of them (and the last) all zeros, padded to `pad_to`."""
    x = stroke_batch([n], pad_to=pad_to, seed=5)
    x[0, 6:9] = 0.0
    x[0, n - 1] = 0.0
    return x


def test_stroke_encoder_zeros_inside_a_sequence_count_when_a_mask_is_given():
    keras.utils.set_random_seed(13)
    encoder = StrokeEncoder(**SMALL_STROKE)
    model = as_model(encoder, (None, 3))
    x = _with_zero_rows()
    mask = np.zeros((1, 40), bool)
    mask[0, :20] = True
    by_mask = np.asarray(encoder(x, mask=mask))
    by_lengths = np.asarray(encoder(x, lengths=np.array([20])))
    # Padding with the mask given changes nothing, zero rows inside included.
    np.testing.assert_allclose(by_mask, by_lengths, atol=1e-6)
    np.testing.assert_allclose(by_mask, np.asarray(encoder(x[:, :20], lengths=[20])), atol=1e-5)
    np.testing.assert_allclose(
        by_mask, np.asarray(encoder(x[:, :31], mask=mask[:, :31])), atol=1e-5
    )
    # Padding filled with garbage instead of zeros changes nothing either.
    garbage = x.copy()
    garbage[0, 20:] = 7.0
    np.testing.assert_allclose(by_mask, np.asarray(encoder(garbage, lengths=[20])), atol=1e-5)
    # Without a mask the all-zero-row convention drops those real steps: a different result.
    assert not np.allclose(by_mask, predict(model, x), atol=1e-4)
    # The Keras mask propagated from a Masking layer counts as a given mask too.
    inputs = keras.Input((None, 3))
    masked = keras.layers.Masking(-1.0)(inputs)
    propagated = keras.Model(inputs, encoder(masked))
    padded = np.concatenate([x[:, :20], np.full((1, 20, 3), -1.0, "float32")], axis=1)
    np.testing.assert_allclose(predict(propagated, padded), by_mask, atol=1e-5)


def test_stroke_encoder_lengths_input_saves_and_reloads(tmp_path):
    keras.utils.set_random_seed(14)
    values = keras.Input((None, 3), name="values")
    lengths = keras.Input((), dtype="int32", name="lengths")
    features = StrokeEncoder(**SMALL_STROKE, name="enc")(values, lengths=lengths)
    model = keras.Model([values, lengths], keras.layers.Dense(2, activation="softmax")(features))
    x = np.concatenate([_with_zero_rows(), stroke_batch([11], pad_to=40, seed=9)])
    n = np.array([20, 11], "int32")
    expected = model.predict([x, n], verbose=0)
    np.testing.assert_allclose(model.predict([x[:, :20], n], verbose=0), expected, atol=1e-5)
    reloaded = save_and_reload(model, tmp_path)
    np.testing.assert_allclose(reloaded.predict([x, n], verbose=0), expected, atol=1e-6)


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


def test_stroke_encoder_config_holds_resolved_settings():
    encoder = StrokeEncoder(arch="tutorial", rnn_layers=1, dim=7, name="enc")
    config = encoder.get_config()
    arguments = set(inspect.signature(StrokeEncoder.__init__).parameters) - {"self", "kwargs"}
    assert arguments <= set(config)
    assert config["arch"] == "tutorial" and config["rnn_layers"] == 1 and config["dim"] == 7
    # Settings left to the preset are saved as numbers, not null.
    assert config["conv_filters"] == presets.STROKE_ARCHS["tutorial"]["conv_filters"]
    assert config["rnn_units"] == 128 and config["pooling"] == "sum"
    assert all(config[k] is not None for k in arguments)
    assert StrokeEncoder().get_config()["dim"] == 0  # no projection: 0, not null


def test_bitmap_encoder_config_holds_resolved_settings():
    config = BitmapEncoder(arch="baseline", zoom=0.2).get_config()
    assert config["filters"] == [32, 64] and config["dim"] == 128 and config["zoom"] == 0.2
    arguments = set(inspect.signature(BitmapEncoder.__init__).parameters) - {"self", "kwargs"}
    assert all(config[k] is not None for k in arguments - {"seed"})


def _edit_presets(monkeypatch):
    """Change every preset a saved model could have been resolved from."""
    for table in (presets.STROKE_ARCHS, presets.SEQUENCE_ARCHS):
        for name in table:
            monkeypatch.setitem(
                table,
                name,
                {
                    **table[name],
                    "conv_filters": [5] * len(table[name]["conv_filters"]),
                    "rnn_units": 3,
                    "pooling": "max",
                    "dim": 4,
                },
            )
    for name in presets.BITMAP_ARCHS:
        edited = {**presets.BITMAP_ARCHS[name], "filters": [3, 3], "convs_per_stage": 1, "dim": 2}
        monkeypatch.setitem(presets.BITMAP_ARCHS, name, edited)


@pytest.mark.parametrize("arch", ["default", "tutorial", "timeseries", "timeseries_local"])
def test_saved_stroke_model_survives_a_preset_edit(arch, tmp_path, monkeypatch):
    keras.utils.set_random_seed(11)
    inputs = keras.Input((None, 3))
    features = StrokeEncoder(arch=arch, rnn_units=4, name="enc")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(features))
    x = stroke_batch([9, 4, 13], pad_to=13)
    expected = predict(model, x)
    path = tmp_path / "model.keras"
    model.save(path)
    _edit_presets(monkeypatch)
    assert StrokeEncoder(arch=arch).settings["conv_filters"][0] == 5  # the edit took effect
    reloaded = keras.saving.load_model(path, safe_mode=True)
    assert reloaded.get_layer("enc").get_config() == model.get_layer("enc").get_config()
    np.testing.assert_allclose(predict(reloaded, x), expected, atol=1e-6)


def test_saved_bitmap_model_survives_a_preset_edit(tmp_path, monkeypatch):
    keras.utils.set_random_seed(12)
    inputs = keras.Input((28, 28, 1))
    model = keras.Model(inputs, BitmapEncoder(arch="baseline", name="enc")(inputs))
    x = _images(2)
    expected = predict(model, x)
    path = tmp_path / "model.keras"
    model.save(path)
    _edit_presets(monkeypatch)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(predict(reloaded, x), expected, atol=1e-6)


OLD_RUNS = Path(__file__).resolve().parents[1] / "fixtures" / "runs_fc5b9ec"


@pytest.mark.parametrize(
    "cls, config, legacy",
    [
        (
            StrokeEncoder,
            {"arch": "tutorial", "conv_filters": None, "rnn_units": 5, "dim": None},
            {**presets.LEGACY_STROKE_ARCHS["tutorial"], "conv_dilations": [1, 1, 1]},
        ),
        (
            BitmapEncoder,
            {"arch": "baseline", "filters": None, "dim": None, "seed": 0},
            {**presets.LEGACY_BITMAP_ARCHS["baseline"], "mirror_average": False},
        ),
    ],
)
def test_old_null_configs_resolve_against_frozen_presets(cls, config, legacy, monkeypatch):
    _edit_presets(monkeypatch)
    settings = cls.from_config(config).settings
    assert settings == {**legacy, **{k: v for k, v in config.items() if k in legacy and v}}


def test_old_configs_must_name_a_saved_preset():
    with pytest.raises(DataFormatError, match="not a saved preset"):
        StrokeEncoder.from_config({"arch": "huge", "conv_filters": None})


@pytest.mark.parametrize("kind, shape", [("rnn", (2, 30, 3)), ("cnn", (2, 28, 28, 1))])
def test_old_saved_models_load_to_the_same_layers_after_a_preset_edit(kind, shape, monkeypatch):
    path = OLD_RUNS / kind / "model.keras"
    x = np.abs(np.random.default_rng(0).normal(0, 1, shape)).astype("float32") + 0.01
    model = keras.saving.load_model(path, safe_mode=True)
    expected = predict(model, x)
    encoder = [
        layer for layer in all_layers(model) if isinstance(layer, StrokeEncoder | BitmapEncoder)
    ]
    assert len(encoder) == 1
    assert all(v is not None for k, v in encoder[0].get_config().items() if k != "seed")
    _edit_presets(monkeypatch)
    np.testing.assert_allclose(
        predict(keras.saving.load_model(path, safe_mode=True), x), expected, atol=1e-6
    )


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


@pytest.mark.parametrize("arch, dim", [("default", 192), ("baseline", 128)])
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
    # The same network written out with plain Keras layers and the encoder's weights: the encoder
    # on raw 0..255 pixels must equal it on pixels divided by 255 (the rescaling is inside).
    plain = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
        ]
    )
    plain.set_weights(encoder.get_weights())
    np.testing.assert_allclose(raw, predict(plain, x / 255.0), rtol=1e-4, atol=1e-5)
    assert not np.allclose(raw, predict(plain, x), atol=1e-3)  # rescaling twice or never differs


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


@pytest.mark.parametrize("module", [encoders, bitmap_encoder])
def test_docstring_examples_run(module):
    results = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert results.attempted >= 1
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

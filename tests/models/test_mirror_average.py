"""`BitmapEncoder(mirror_average=True)`: mirror-invariant at inference, one pass in training."""

from __future__ import annotations

import keras
import numpy as np

from seqdoodle.models.encoders import BitmapEncoder
from tests.models.helpers import as_model, predict, save_and_reload

SMALL = {"filters": [4, 8], "convs_per_stage": 1, "translation": 0.0, "zoom": 0.0}


def _images(n=3, channels=2, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 20, 20, channels)).astype("float32")


def test_inference_features_are_the_mean_over_the_image_and_its_mirror():
    keras.utils.set_random_seed(3)
    x = _images()
    on = as_model(BitmapEncoder(**SMALL, mirror_average=True), x.shape[1:])
    off = as_model(BitmapEncoder(**SMALL, mirror_average=False), x.shape[1:])
    off.set_weights(on.get_weights())
    plain, mirrored = predict(off, x), predict(off, x[:, :, ::-1])
    assert np.abs(plain - mirrored).max() > 1e-3  # the encoder itself is not symmetric
    np.testing.assert_allclose(predict(on, x), (plain + mirrored) / 2, atol=1e-5)
    np.testing.assert_allclose(predict(on, x[:, :, ::-1]), predict(on, x), atol=1e-5)


def test_training_sees_each_image_once():
    keras.utils.set_random_seed(4)
    x = _images(4)
    on = BitmapEncoder(**SMALL, mirror_average=True)
    off = BitmapEncoder(**SMALL, mirror_average=False)
    on(x), off(x)  # build both
    off.set_weights(on.get_weights())
    trained = np.asarray(on(x, training=True))
    assert trained.shape == (4, 8)
    np.testing.assert_allclose(trained, np.asarray(off(x, training=True)), atol=1e-5)
    assert np.abs(trained - np.asarray(on(x[:, :, ::-1], training=True))).max() > 1e-3


def test_setting_is_saved_and_reloaded(tmp_path):
    keras.utils.set_random_seed(5)
    x = _images(2, channels=1)
    model = as_model(BitmapEncoder(**SMALL, mirror_average=True, name="enc"), x.shape[1:])
    reloaded = save_and_reload(model, tmp_path)
    assert reloaded.get_layer("enc").settings["mirror_average"] is True
    np.testing.assert_allclose(predict(reloaded, x), predict(model, x), atol=1e-6)


def test_configs_saved_before_the_setting_load_without_mirroring():
    config = BitmapEncoder(**SMALL, mirror_average=True).get_config()
    del config["mirror_average"]
    assert BitmapEncoder.from_config(config).settings["mirror_average"] is False

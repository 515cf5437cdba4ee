"""Small shared helpers for the model tests: stroke-like data, save/load, layer walks."""

from __future__ import annotations

import keras
import numpy as np


def stroke_batch(lengths, pad_to: int, n_features: int = 3, seed: int = 0) -> np.ndarray:
    """`(len(lengths), pad_to, n_features)` float32 stroke-like rows, zero-padded at the end.

    Real rows are never all zeros (the pen flag column is 0/1 but dx is never 0).
    """
    rng = np.random.default_rng(seed)
    x = np.zeros((len(lengths), pad_to, n_features), "float32")
    for i, n in enumerate(lengths):
        x[i, :n, :2] = rng.normal(0, 0.3, (n, 2))
        x[i, :n, 0] += np.where(x[i, :n, 0] >= 0, 0.01, -0.01)
        x[i, :n, 2] = rng.random(n) < 0.2
        if n_features > 3:
            x[i, :n, 3:] = rng.random((n, n_features - 3))
    return x


def save_and_reload(model: keras.Model, folder) -> keras.Model:
    path = folder / "model.keras"
    model.save(path)
    return keras.saving.load_model(path, safe_mode=True)


def all_layers(model) -> list:
    """Every layer inside `model`, nested models and custom layers included."""
    return list(model._flatten_layers(include_self=False, recursive=True))


def as_model(layer, input_shape) -> keras.Model:
    """Wrap `layer` in a model, so `predict` runs it in graph mode (fast for recurrent layers)."""
    inputs = keras.Input(input_shape)
    return keras.Model(inputs, layer(inputs))


def predict(model: keras.Model, x: np.ndarray) -> np.ndarray:
    return model.predict(x, verbose=0, batch_size=len(x))

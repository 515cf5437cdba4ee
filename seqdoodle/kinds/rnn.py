"""The `rnn` kind (stroke Conv1D+LSTM): its settings, input encoding and batching.

The Keras model is built by `seqdoodle.models.rnn`; this module imports no Keras, so the registry
(and the CLI) reads `KIND` without loading TensorFlow.
"""

from __future__ import annotations

import numpy as np

from seqdoodle.kinds.base import DemoSizes, ModelKind, TrainDefaults
from seqdoodle.models.rnn import DEFAULT_DROPOUT, STROKE_ARCH_NAMES, build_stroke_classifier


class StrokeKind(ModelKind):
    """The `rnn` kind: stroke-3 sequences through the Conv1D + recurrent model."""

    name = "rnn"
    title = "stroke model"
    summary = (
        "Train the stroke Conv1D + recurrent model on a prepared dataset's stroke sequences.\n\n"
        "Needs a dataset prepared from strokes (ndjson or synthetic). The dx/dy scale is fitted "
        "on the training split and saved inside the model. Rerun the same command after an "
        "interruption to continue from the last finished epoch."
    )
    archs = STROKE_ARCH_NAMES
    arch_help = {
        "default": "strided Conv1D + BiLSTM-96, fast",
        "tutorial": "3 BiLSTM-128",
    }
    input_type = "stroke3"
    needs_strokes = True
    # Sized for 2 CPU cores: ~13k stroke drawings in < 15 minutes.
    defaults = TrainDefaults(epochs=30, batch_size=128, lr=2e-3, patience=5, dropout=0.3)
    # compare's no-argument demonstration (see the `cnn` kind).
    demo = DemoSizes(epochs=15, time_limit=1.3)
    compared_by_default = True
    pad_multiple = 16

    def head_dropout(self, arch: str) -> float:
        return DEFAULT_DROPOUT.get(arch, self.defaults.dropout)

    def features(self, input_config, source: str = "input config"):
        """The run's `StrokeFeatures` (`scale_in_model` says whether the model scales itself)."""
        from seqdoodle.kinds.inputs import StrokeFeatures

        return StrokeFeatures.from_config(input_config, source)

    def check_input_config(self, input_config, source):
        self.features(input_config, source)

    def build_model(self, arch, n_classes, input_config, seed=None):
        features = self.features(input_config)
        return build_stroke_classifier(
            n_classes,
            arch=self.check_arch(arch),
            n_features=features.n_features,
            seed=seed,
            scale=features.scale if features.scale_in_model else None,
        )

    def fit_input_config(self, ds, train_rows, seed=0) -> dict:
        from seqdoodle.kinds.inputs import fit_stroke_features

        features = fit_stroke_features(ds, train_rows, seed=seed, scale_in_model=True)
        return features.to_config()

    def batches(self, ds, rows, batch_size, input_config, seed=0, train=False):
        from seqdoodle.kinds.batches import StrokeBatches

        features = self.features(input_config)
        return StrokeBatches(ds, rows, batch_size, features, seed=seed, train=train)

    def drawing_inputs(self, drawings, input_config):
        from seqdoodle.kinds.inputs import stroke_inputs

        return stroke_inputs(drawings, self.features(input_config))

    def raw_input_scale(self, model, input_config):
        """The dx/dy scale of a run saved before its model held it (None: in the model)."""
        features = self.features(input_config)
        if features.scale_in_model or _has_layer(model, "StrokeScale"):
            return None
        return None if features.scale == (1.0, 1.0) else features.scale

    def export_input_config(self, model, input_config):
        config = dict(input_config)
        if self.raw_input_scale(model, input_config) is not None:  # exported with its scale
            config["scale_in_model"] = True
        return config

    def prediction_order(self, drawings) -> np.ndarray:
        """Drawings sorted by point count (stable), so batches hold similar lengths."""
        counts = [
            sum(len(s[0]) for s in d.strokes) if getattr(d, "strokes", None) else 0
            for d in drawings
        ]
        return np.argsort(counts, kind="stable")

    def input_spec(self, input_config):
        features = self.features(input_config)
        how = (
            f"drawing_to_stroke3(simplified_strokes, normalize={features.normalize!r}, "
            f"flag={features.flag!r}, max_len={features.max_len}, "
            f"truncate={features.truncate!r}) as float32, zero-padded at the end"
        )
        if not features.scale_in_model:
            how += f", dx and dy divided by {list(features.scale)}"
        return {
            "name": "strokes",
            "shape": [None, None, features.n_features],
            "dtype": "float32",
            "how": how,
        }


def _has_layer(model, class_name: str) -> bool:
    for layer in getattr(model, "layers", ()):
        if type(layer).__name__ == class_name or _has_layer(layer, class_name):
            return True
    return False


KIND = StrokeKind()

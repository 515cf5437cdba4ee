"""The `transformer` kind (stroke transformer): a Transformer encoder over stroke-3 rows.

It takes exactly the `rnn` kind's input (the same `StrokeFeatures`, `StrokeBatches`, serving and
export inputs: it is a `StrokeKind` with another model), so everything that handles stroke runs
handles it. The Keras model is built by `seqdoodle.models.transformer`, imported inside
`build_model` only, so the registry (and the CLI) reads `KIND` without loading TensorFlow.
"""

from __future__ import annotations

from seqdoodle.kinds.base import DemoSizes, TrainDefaults
from seqdoodle.kinds.rnn import StrokeKind
from seqdoodle.models.presets import TRANSFORMER_ARCHS

DEFAULT_DROPOUT = {"default": 0.3, "small": 0.2}  # before the softmax head


class TransformerKind(StrokeKind):
    """The `transformer` kind: stroke-3 sequences through the stroke transformer."""

    name = "transformer"
    title = "stroke transformer"
    summary = (
        "Train the stroke transformer (a Transformer encoder over the points, told which stroke "
        "each point is in) on a prepared dataset's stroke sequences.\n\n"
        "Needs a dataset prepared from strokes (ndjson or synthetic). The dx/dy scale is fitted "
        "on the training split and saved inside the model. Rerun the same command after an "
        "interruption to continue from the last finished epoch."
    )
    archs = ("default", *(a for a in TRANSFORMER_ARCHS if a != "default"))
    arch_help = {
        "default": "2 pre-LN blocks of width 128 over a stride-4 Conv1D stem",
        "deep": "the default with 3 blocks",
        "stride2": "3 blocks over one stride-2 Conv1D (the first default; twice the tokens)",
        "small": "2 blocks of width 64, for small datasets and tests",
    }
    # 12 epochs, cut by `--time-limit` like the other kinds (11 fit 14 minutes on 2 cores).
    defaults = TrainDefaults(epochs=12, batch_size=128, lr=1e-3, patience=4, dropout=0.3)
    demo = DemoSizes(epochs=12, time_limit=1.3)
    compared_by_default = False
    pad_multiple = 16

    def head_dropout(self, arch: str) -> float:
        return DEFAULT_DROPOUT.get(arch, self.defaults.dropout)

    def build_model(self, arch, n_classes, input_config, seed=None):
        from seqdoodle.models.transformer import build_transformer_classifier

        features = self.features(input_config)
        return build_transformer_classifier(
            n_classes,
            arch=self.check_arch(arch),
            n_features=features.n_features,
            dropout=self.head_dropout(arch),
            seed=seed,
            scale=features.scale if features.scale_in_model else None,
            flag=features.flag,
        )


KIND = TransformerKind()

"""Bitmap CNN: a headless backbone (`BitmapEncoder`), a softmax classifier, and the `cnn` kind.

Input convention: `(28, 28, 1)` float32 raw grey values 0..255 (the data pipeline only casts uint8
to float32); the model rescales by 1/255 itself, so a saved model takes
`render_bitmap(simplified_strokes)[..., None]` as float32 as it is.

Keras is imported inside the functions, so the kind registry (and the CLI) can read this module's
`KIND` without loading TensorFlow.
"""

from __future__ import annotations

from seqdoodle.errors import DataFormatError
from seqdoodle.kinds import ModelKind, TrainDefaults
from seqdoodle.models.presets import BITMAP_ARCHS

BITMAP_ARCH_NAMES = ("default", *(a for a in BITMAP_ARCHS if a != "default"))
DEFAULT_DROPOUT = {"baseline": 0.5, "default": 0.3}


def build_bitmap_backbone(arch: str = "default", input_shape=(28, 28, 1), seed: int | None = None):
    """Build the headless bitmap CNN: raw pixels in, one feature vector out.

    Args:
        arch: str. `"default"` (batch norm, 5 convolutions in 3 stages, global average pooling,
            augmentation, mirror averaging at inference) or `"baseline"` (hobby CNN, no batch
            norm, no augmentation).
            Defaults to `"default"`.
        input_shape: tuple. `(height, width, 1)`. Defaults to `(28, 28, 1)`.
        seed: int or None. Seed of the augmentation layers. Defaults to None.

    Returns:
        `keras.Model` mapping `(batch, *input_shape)` float32 0..255 to `(batch, dim)` float32.

    Example:
    >>> backbone = build_bitmap_backbone("baseline")
    >>> backbone.output_shape
    (None, 128)
    """
    import keras

    from seqdoodle.models.encoders import BitmapEncoder

    inputs = keras.Input(shape=tuple(input_shape), dtype="float32", name="bitmap")
    features = BitmapEncoder(arch=arch, seed=seed, name="bitmap_encoder")(inputs)
    return keras.Model(inputs, features, name=f"bitmap_backbone_{arch}")


def build_bitmap_classifier(
    num_classes: int,
    arch: str = "default",
    dropout: float | None = None,
    input_shape=(28, 28, 1),
    seed: int | None = None,
):
    """Build the bitmap CNN classifier: backbone, dropout, dense softmax.

    Args:
        num_classes: int. Number of classes.
        arch: str. `"default"` or `"baseline"` (see `build_bitmap_backbone`).
            Defaults to `"default"`.
        dropout: float or None. Dropout before the softmax layer; None takes 0.5 for
            `"baseline"` and 0.3 for `"default"`. Defaults to None.
        input_shape: tuple. `(height, width, 1)`. Defaults to `(28, 28, 1)`.
        seed: int or None. Seed of the augmentation and dropout. Defaults to None.

    Returns:
        Uncompiled `keras.Model` mapping `(batch, 28, 28, 1)` float32 0..255 to
        `(batch, num_classes)` float32 probabilities. The backbone is the layer named
        `"backbone"`.

    Example:
    >>> model = build_bitmap_classifier(5, arch="baseline")
    >>> model.output_shape
    (None, 5)
    """
    from seqdoodle.models.encoders import add_classifier_head

    backbone = build_bitmap_backbone(arch, input_shape=input_shape, seed=seed)
    if dropout is None:
        dropout = DEFAULT_DROPOUT.get(arch, 0.3)
    return add_classifier_head(backbone, num_classes, dropout, name=f"bitmap_cnn_{arch}", seed=seed)


class BitmapKind(ModelKind):
    """The `cnn` kind: 28x28 (or the dataset's size) uint8 bitmaps through the bitmap CNN."""

    name = "cnn"
    title = "bitmap CNN"
    summary = (
        "Train the bitmap CNN on a prepared dataset's bitmaps (28x28, or the size the dataset "
        "was prepared at).\n\n"
        "Keeps the best model by validation accuracy in OUT/model.keras, writes history.csv/json "
        "and training.png, and scores the test split at the end (metrics.json). After every epoch "
        "a checkpoint is saved: rerun the same command after an interruption to continue."
    )
    archs = BITMAP_ARCH_NAMES
    arch_help = {
        "default": "batch norm, augmentation, mirror averaging",
        "baseline": "hobby CNN",
    }
    input_type = "bitmap"
    needs_strokes = False
    # Sized for 2 CPU cores: 35.7k 28x28 bitmaps x 20 epochs in 12 minutes (26 stroke classes:
    # 86.0% validation top-1 vs 84.4% at 10 epochs); larger sets are cut to the 14-minute limit.
    defaults = TrainDefaults(epochs=20, batch_size=256, lr=2e-3, patience=3, dropout=0.3)

    def head_dropout(self, arch: str) -> float:
        return DEFAULT_DROPOUT.get(arch, self.defaults.dropout)

    def build_model(self, arch, n_classes, input_config, seed=None):
        size = int(self.run_input_config(input_config)["size"])
        return build_bitmap_classifier(
            n_classes, arch=self.check_arch(arch), input_shape=(size, size, 1), seed=seed
        )

    def fit_input_config(self, ds, train_rows=None, seed=0) -> dict:
        from seqdoodle.preprocess import bitmap_config

        return bitmap_config(ds.size)

    def run_input_config(self, input_config):
        config = dict(input_config or {})
        config.setdefault("type", self.input_type)
        config.setdefault("size", 28)
        return config

    def check_dataset(self, ds, input_config=None, who=""):
        if input_config is None:
            return
        size = int(self.run_input_config(input_config)["size"])
        if ds.size != size:
            who = who or f"the {self.title}"
            raise DataFormatError(f"{ds.path}: {ds.size}px bitmaps; {who} takes {size}px")

    def check_init_input(self, input_config, ds, source):
        size = int(self.run_input_config(input_config)["size"])
        if size != ds.size:
            raise DataFormatError(f"{source}: takes {size}px bitmaps; {ds.path} has {ds.size}px")

    def batches(self, ds, rows, batch_size, input_config, seed=0, train=False):
        from seqdoodle.batches import BitmapBatches

        return BitmapBatches(ds, rows, batch_size, seed=seed, train=train)

    def drawing_inputs(self, drawings, input_config):
        from seqdoodle.preprocess import bitmap_inputs

        return bitmap_inputs(drawings, self.run_input_config(input_config))

    def input_spec(self, input_config):
        size = int(self.run_input_config(input_config)["size"])
        return {
            "name": "bitmap",
            "shape": [None, size, size, 1],
            "dtype": "float32",
            "how": f"render_bitmap(simplified_strokes, size={size})[..., None] as float32 0..255",
        }


KIND = BitmapKind()

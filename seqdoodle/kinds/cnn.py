"""The `cnn` kind (bitmap CNN): its settings, input encoding and batching.

The Keras model is built by `seqdoodle.models.cnn`; this module imports no Keras, so the registry
(and the CLI) reads `KIND` without loading TensorFlow.
"""

from __future__ import annotations

from seqdoodle.errors import DataFormatError
from seqdoodle.kinds.base import DemoSizes, ModelKind, TrainDefaults
from seqdoodle.models.cnn import BITMAP_ARCH_NAMES, DEFAULT_DROPOUT, build_bitmap_classifier


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
    # compare's no-argument demonstration (1000 synthetic doodles per class, about 3 minutes in
    # all on 2 CPU cores): the epochs finish well inside the limit on an unloaded machine.
    demo = DemoSizes(epochs=8, time_limit=1.6)
    compared_by_default = True

    def head_dropout(self, arch: str) -> float:
        return DEFAULT_DROPOUT.get(arch, self.defaults.dropout)

    def build_model(self, arch, n_classes, input_config, seed=None):
        size = int(self.run_input_config(input_config)["size"])
        return build_bitmap_classifier(
            n_classes, arch=self.check_arch(arch), input_shape=(size, size, 1), seed=seed
        )

    def fit_input_config(self, ds, train_rows=None, seed=0) -> dict:
        from seqdoodle.kinds.inputs import bitmap_config

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

    def input_size(self, input_config):
        return int(self.run_input_config(input_config)["size"])

    def serving_drawing(self, drawing, bitmap, input_config):
        if bitmap.shape != (self.input_size(input_config),) * 2:
            return drawing
        from dataclasses import replace

        return replace(drawing, bitmap=bitmap)

    def serving_renderings(self, input_config):
        return (("bitmap", self.input_size(input_config)),)

    def serving_inputs(self, drawing, ink, input_config):
        from dataclasses import replace

        return replace(drawing, bitmap=ink.bitmap(self.input_size(input_config)))

    def batches(self, ds, rows, batch_size, input_config, seed=0, train=False):
        from seqdoodle.kinds.batches import BitmapBatches

        return BitmapBatches(ds, rows, batch_size, seed=seed, train=train)

    def drawing_inputs(self, drawings, input_config):
        from seqdoodle.kinds.inputs import bitmap_inputs

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

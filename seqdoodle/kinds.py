"""The registry of model kinds: everything that differs between one kind of model and another.

A model kind is one `ModelKind` object: its name and title, its architectures (presets), its
training defaults, how to build its model, how to fit its input encoding on a training split, how
to batch a prepared dataset for it and how to turn `Drawing` records into its input. Training, run
folders, prediction, evaluation and the CLI ask the registry instead of switching on names.

```python
kind = get_kind("rnn")
kind.defaults.epochs                     # 30
model = kind.build_model("default", 5, input_config)
```

Adding a kind: write one module that defines a `ModelKind` subclass and a module-level `KIND`
instance of it (see `seqdoodle/models/cnn.py`), then add one line to `REGISTRY` below. A kind
module must not import Keras or TensorFlow at import time (the CLI builds its commands and help
from the registry and stays fast); import them inside `build_model` and friends.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np

from seqdoodle.errors import DataFormatError

# name -> module that defines `KIND`. Registry order is the order of CLI commands and choices.
REGISTRY: dict[str, str] = {
    "cnn": "seqdoodle.models.cnn",
    "rnn": "seqdoodle.models.rnn",
    "timecnn": "seqdoodle.models.timecnn",
}

_LOADED: dict[str, ModelKind] = {}


@dataclass(frozen=True)
class TrainDefaults:
    """Training defaults of a model kind (what `train` takes when an argument is None).

    Args:
        epochs: int. Epochs.
        batch_size: int. Drawings per batch.
        lr: float. Initial learning rate of Adam.
        patience: int. Epochs without a better validation accuracy before stopping.
        dropout: float. Dropout before the softmax head of the default architecture.
    """

    epochs: int
    batch_size: int
    lr: float
    patience: int
    dropout: float

    def as_dict(self) -> dict:
        """`{"epochs": ..., "batch_size": ..., "lr": ..., "patience": ..., "dropout": ...}`."""
        return {
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "lr": self.lr,
            "patience": self.patience,
            "dropout": self.dropout,
        }


class ModelKind:
    """One model kind. Subclasses set the class attributes and implement the methods.

    Attributes:
        name: str. Registry name (`"cnn"`), used in config.json and on the command line.
        title: str. Short human name (`"bitmap CNN"`).
        summary: str. One paragraph for `seqdoodle train NAME --help`.
        archs: tuple of str. Architecture presets; `archs[0]` is the default.
        arch_help: dict. One line per arch for the CLI help.
        input_type: str. The model input type saved in `config.json["input"]["type"]`.
        needs_strokes: bool. Trains and predicts only on drawings with strokes.
        defaults: `TrainDefaults`.
        pad_multiple: int or None. Prediction inputs with a time axis are zero-padded to a
            multiple of it (fewer distinct shapes, fewer graph retraces).
    """

    name: str = ""
    title: str = ""
    summary: str = ""
    archs: tuple[str, ...] = ("default",)
    arch_help: dict[str, str] = {}
    input_type: str = ""
    needs_strokes: bool = False
    defaults: TrainDefaults = TrainDefaults(10, 128, 2e-3, 3, 0.3)
    pad_multiple: int | None = None  # pad the time axis of prediction batches to a multiple

    def __repr__(self) -> str:
        return f"<model kind {self.name!r}: {self.title}>"

    # -- what every kind implements

    def build_model(self, arch: str, n_classes: int, input_config: dict, seed=None):
        """A new uncompiled classifier (`keras.Model`, backbone layer named `"backbone"`)."""
        raise NotImplementedError

    def fit_input_config(self, ds, train_rows, seed: int = 0) -> dict:
        """The input encoding fitted on training rows only; saved as `config.json["input"]`."""
        raise NotImplementedError

    def batches(self, ds, rows, batch_size: int, input_config: dict, seed=0, train=False):
        """A `seqdoodle.batches.Batches` of model inputs for `rows` of a prepared dataset."""
        raise NotImplementedError

    def drawing_inputs(self, drawings, input_config: dict) -> np.ndarray:
        """Model input for a list of `Drawing` records, exactly as in training."""
        raise NotImplementedError

    def input_spec(self, input_config: dict) -> dict:
        """What the saved model takes: `{"name", "shape", "dtype", "how"}` (None = dynamic)."""
        raise NotImplementedError

    # -- shared behaviour, overridable

    def check_arch(self, arch: str) -> str:
        """`arch` if this kind has it; DataFormatError naming the choices otherwise."""
        if arch not in self.archs:
            raise DataFormatError(
                f"unknown {self.name} arch {arch!r}; choose {' or '.join(self.archs)}"
            )
        return arch

    def head_dropout(self, arch: str) -> float:
        """Dropout before the softmax layer of `arch` (the default arch: `defaults.dropout`)."""
        return self.defaults.dropout

    def run_input_config(self, input_config: dict | None) -> dict:
        """A run's saved input config with the defaults of older runs filled in."""
        return dict(input_config or {})

    def check_dataset(self, ds, input_config: dict | None = None, who: str = "") -> None:
        """Refuse, with one line, a prepared dataset this kind (or a run of it) cannot read."""
        if self.needs_strokes and not ds.has_strokes:
            who = who or f"the {self.title}"
            raise DataFormatError(
                f"{ds.path}: prepared from bitmaps only; {who} needs strokes "
                "(a dataset prepared from ndjson or synthetic drawings)"
            )

    def check_input_config(self, input_config: dict, source: str) -> None:
        """Refuse, with one line naming `source`, an input config this kind cannot use."""

    def check_init_input(self, input_config: dict, ds, source: str) -> None:
        """Refuse to start a run on `ds` from a run (folder `source`) with `input_config`."""
        self.check_input_config(input_config, f"{source}/config.json")

    def prediction_order(self, drawings) -> np.ndarray:
        """The order in which `Drawing` records are batched for prediction (input order)."""
        return np.arange(len(drawings))


def get_kind(kind) -> ModelKind:
    """The registered `ModelKind` called `kind` (a `ModelKind` is returned as it is).

    Raises:
        DataFormatError: no such kind (the message lists the registered ones).

    Example:
    >>> get_kind("rnn").defaults.epochs
    30
    """
    if isinstance(kind, ModelKind):
        return kind
    if kind not in REGISTRY:
        raise DataFormatError(f"unknown model kind {kind!r}; choose {', '.join(REGISTRY)}")
    if kind not in _LOADED:
        found = getattr(importlib.import_module(REGISTRY[kind]), "KIND", None)
        if not isinstance(found, ModelKind) or found.name != kind:
            raise DataFormatError(f"{REGISTRY[kind]}: defines no ModelKind KIND named {kind!r}")
        _LOADED[kind] = found
    return _LOADED[kind]


def kind_names() -> tuple[str, ...]:
    """Names of the registered kinds, in registry order.

    Example:
    >>> kind_names()[:2]
    ('cnn', 'rnn')
    """
    return tuple(REGISTRY)


def all_kinds() -> tuple[ModelKind, ...]:
    """Every registered `ModelKind`, in registry order."""
    return tuple(get_kind(name) for name in REGISTRY)


def choices_text(names=None) -> str:
    """`"cnn, rnn or x"`: kind names for messages."""
    names = list(kind_names() if names is None else names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"

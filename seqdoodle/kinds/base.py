"""The interface every model kind implements (`ModelKind`) and its training defaults.

A model kind is one `ModelKind` object: its name and title, its architectures (presets), its
training defaults, how to build its model, how to fit its input encoding on a training split, how
to batch a prepared dataset for it, how to turn `Drawing` records into its input, what serve and
export feed it and how long `compare`'s demonstration trains it. The registry (`seqdoodle.kinds`)
maps names to kinds; nothing else switches on a kind's name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqdoodle.errors import DataFormatError

IMAGE_SIDE = 28  # Google's bitmap side: what images become for a kind without a size of its own


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


@dataclass(frozen=True)
class DemoSizes:
    """How long `compare` with no arguments (the synthetic demonstration) trains a kind.

    Args:
        epochs: int or None. Epochs; None takes the kind's `defaults.epochs`.
        time_limit: float or None. Minutes of training; None takes `train`'s default limit.
    """

    epochs: int | None = None
    time_limit: float | None = None


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
        demo: `DemoSizes`. How long `compare`'s synthetic demonstration trains this kind.
        compared_by_default: bool. `compare` trains this kind when no kinds are given.
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
    demo: DemoSizes = DemoSizes()
    compared_by_default: bool = False
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

    def input_size(self, input_config: dict | None) -> int:
        """The side of the bitmaps that images become for a run of this kind (28 by default)."""
        return IMAGE_SIDE

    def serving_drawing(self, drawing, bitmap: np.ndarray, input_config: dict):
        """What a served run of this kind is given for one request (`serve`).

        Args:
            drawing: `Drawing`. The request's simplified strokes.
            bitmap: `(s, s) uint8`. The request's bitmap, rendered once for every served run.
            input_config: dict. The run's input config.

        Returns:
            `Drawing`: `drawing` itself; a kind that takes bitmaps of that side gets it with
            `bitmap` attached, so it is not rendered again.
        """
        return drawing

    def serving_renderings(self, input_config: dict) -> tuple:
        """What a served run of this kind asks of a request's `ServingInk` (made once for all).

        Returns:
            tuple of `("bitmap", size)` and `("channels", size, channels)` entries; empty for a
            kind that renders nothing.
        """
        return ()

    def serving_inputs(self, drawing, ink: ServingInk, input_config: dict):
        """What a served run of this kind is given for one request (`serve`).

        Args:
            drawing: `Drawing`. The request's simplified strokes.
            ink: `ServingInk`. The request's renderings, each made once for every served run.
            input_config: dict. The run's input config.

        Returns:
            `Drawing` for `drawing_inputs`: `drawing` itself, or a copy with its rendering
            attached (taken from `ink`, so it is not rendered again).
        """
        return drawing

    def raw_input_scale(self, model, input_config: dict) -> tuple[float, float] | None:
        """Divisors the saved model still needs in front of it to take `input_spec`, or None."""
        return None

    def export_input_config(self, model, input_config: dict) -> dict:
        """The input config of the exported model (wrapped with `raw_input_scale` when needed)."""
        return dict(input_config or {})


class ServingInk:
    """The renderings of one served drawing, each made once and shared by the served runs.

    A bitmap CNN asks for Google's bitmap, a stroke-order CNN for its channels, whose `"ink"`
    channel is that same bitmap (`render_channels` draws ink and order in one pass): when a
    channel rendering with ink at a size is wanted (`wanted`), the bitmap of that size is its ink
    channel, so it is rendered once.

    Args:
        strokes: list. Simplified strokes `[xs, ys]`.
        wanted: iterable of the kinds' `serving_renderings` entries. Defaults to ().

    Example:
    >>> ink = ServingInk([[[0, 255], [0, 255]]], [("channels", 28, ("ink", "order"))])
    >>> bool((ink.bitmap(28) == ink.channels(28, ("ink", "order"))[..., 0]).all())
    True
    """

    def __init__(self, strokes, wanted=()):
        self.strokes = strokes
        self._with_ink = {
            int(w[1]): tuple(w[2]) for w in wanted if w[0] == "channels" and "ink" in w[2]
        }
        self._bitmaps: dict = {}
        self._channels: dict = {}
        self.rendered = 0  # renderings made (for tests)

    def bitmap(self, size: int) -> np.ndarray:
        """`(size, size) uint8`: `render_bitmap` of the strokes."""
        size = int(size)
        if size not in self._bitmaps:
            if size in self._with_ink:
                self.channels(size, self._with_ink[size])
            else:
                from seqdoodle.strokes.raster import render_bitmap

                self._bitmaps[size] = render_bitmap(self.strokes, size=size)
                self.rendered += 1
        return self._bitmaps[size]

    def channels(self, size: int, channels) -> np.ndarray:
        """`(size, size, len(channels)) uint8`: `render_channels` of the strokes."""
        key = (int(size), tuple(channels))
        if key not in self._channels:
            from seqdoodle.strokes.timeraster import render_channels

            image = render_channels(self.strokes, key[0], key[1])
            self.rendered += 1
            self._channels[key] = image
            if "ink" in key[1]:
                ink = np.ascontiguousarray(image[..., key[1].index("ink")])
                self._bitmaps.setdefault(key[0], ink)
        return self._channels[key]

"""Run folders: save a trained model with its settings, load it back, predict with it.

```
RUN/
  model.keras    the model (Keras 3 format) for inference, without optimizer state; written
                 under a temporary name, then renamed
  config.json    {"kind" (a registered model kind, `seqdoodle.kinds`), "arch", "classes",
                 "input", "dataset", "train", "seqdoodle_version"}; written last, so a folder
                 with it is complete
  classes.txt    one class a line (for people and other tools; must agree with config.json)
```

Loading never runs code from the file: `keras.saving.load_model(..., safe_mode=True)`, no pickles.
Decision: `classes.txt` is optional when loading (config.json holds the classes); when present it
must match them.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from seqdoodle.errors import DataFormatError, MissingFileError
from seqdoodle.fileio import save_keras, write_json, write_text
from seqdoodle.kinds import choices_text, get_kind, kind_names

MODEL_FILE = "model.keras"
CONFIG_FILE = "config.json"
CLASSES_FILE = "classes.txt"


def _check_kind(kind, where: str) -> None:
    if kind not in kind_names():
        raise DataFormatError(f"{where}: kind {kind!r}; expected {choices_text()}")


def _check_classes(classes, where: str) -> list[str]:
    if isinstance(classes, str) or not isinstance(classes, Sequence):
        raise DataFormatError(f"{where}: classes must be a list of names")
    classes = list(classes)
    if len(classes) < 2 or not all(isinstance(c, str) and c for c in classes):
        raise DataFormatError(f"{where}: classes must be at least 2 non-empty names")
    if len(set(classes)) != len(classes):
        raise DataFormatError(f"{where}: class names are not unique")
    return classes


def save_run(out: str | os.PathLike, model, config: dict, classes: Sequence[str]) -> Path:
    """Write a run folder: `model.keras`, `classes.txt`, then `config.json`.

    The model is saved without optimizer state (a run is for inference; training checkpoints
    keep theirs), under a temporary `.keras` name inside the folder, then renamed, so a reader
    never sees half a file. `config["classes"]` is set to `classes` (they must agree when the
    config already has them) and `seqdoodle_version` is filled in when absent.

    Args:
        out: str or PathLike. The run folder (created when missing; files in it are replaced).
        model: keras.Model. A classifier with a `(batch, len(classes))` softmax output.
        config: dict. At least `{"kind": NAME}` (a registered model kind); usually also
            `arch`, `input` (preprocessing options), `dataset` and `train`.
        classes: list of str. Class names in output-column order.

    Returns:
        Path of the run folder.

    Raises:
        DataFormatError: unknown kind, bad or conflicting classes, or an output width that is not
            the number of classes.

    Example:
    >>> from seqdoodle.models.cnn import KIND, build_bitmap_classifier  # doctest: +SKIP
    >>> model = build_bitmap_classifier(2, arch="baseline")  # doctest: +SKIP
    >>> save_run("runs/demo", model, {"kind": KIND.name, "arch": "baseline",
    ...          "input": {"size": 28}}, ["cat", "dog"])  # doctest: +SKIP
    PosixPath('runs/demo')
    """
    from seqdoodle import __version__

    out = Path(out)
    classes = _check_classes(classes, str(out))
    config = dict(config)
    _check_kind(config.get("kind"), f"{out}: config")
    if "classes" in config and list(config["classes"]) != classes:
        raise DataFormatError(f"{out}: config classes differ from the classes given")
    width = model.output_shape[-1]
    if width != len(classes):
        raise DataFormatError(f"{out}: model outputs {width} scores for {len(classes)} classes")
    config["classes"] = classes
    config.setdefault("seqdoodle_version", __version__)
    out.mkdir(parents=True, exist_ok=True)
    save_keras(inference_model(model), out / MODEL_FILE)
    write_text(out / CLASSES_FILE, "".join(f"{c}\n" for c in classes))
    write_json(out / CONFIG_FILE, config)
    return out


def inference_model(model):
    """The model without its optimizer: an uncompiled view that shares the layers and weights.

    Saving a compiled model stores the optimizer's state too (Adam: two slots per weight, so
    about 3x the file); Keras 3 ignores `include_optimizer` for `.keras` files. A functional
    model (all seqdoodle models are) is rebuilt over the same layers without compiling; a model
    without a symbolic input and output (e.g. subclassed) is returned as it is.

    Args:
        model: keras.Model. A model, compiled or not.

    Returns:
        keras.Model with the same inputs, outputs, layers and weights and no optimizer.

    Example:
    >>> inference_model(trained).count_params() == trained.count_params()  # doctest: +SKIP
    True
    """
    import keras

    if getattr(model, "optimizer", None) is None:
        return model
    try:
        return keras.Model(model.input, model.output, name=model.name)
    except (AttributeError, ValueError, TypeError):  # no graph to rebuild
        return model


def _read_config(path: Path) -> dict:
    try:
        config = json.loads(path.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DataFormatError(f"{path}: not valid JSON") from None
    if not isinstance(config, dict):
        raise DataFormatError(f"{path}: not a JSON object")
    _check_kind(config.get("kind"), str(path))
    config["classes"] = _check_classes(config.get("classes"), str(path))
    if not isinstance(config.get("input", {}), dict):
        raise DataFormatError(f"{path}: 'input' must be an object of preprocessing options")
    return config


def check_keras_file(path: str | os.PathLike) -> None:
    """Check that `path` is a complete `.keras` zip archive (without loading it).

    Args:
        path: str or PathLike. The `.keras` file.

    Raises:
        DataFormatError: not a zip archive, truncated, without `config.json` or
            `model.weights.h5`, or a member whose CRC does not match (one line naming `path`).

    Example:
    >>> check_keras_file("runs/cnn/model.keras")  # doctest: +SKIP
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            missing = {"config.json", "model.weights.h5"} - names
            if missing:
                raise DataFormatError(
                    f"{path}: corrupt or truncated Keras file (lacks {', '.join(sorted(missing))})"
                )
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise DataFormatError(f"{path}: corrupt or truncated Keras file ({e})") from None
    if bad is not None:
        raise DataFormatError(f"{path}: corrupt or truncated Keras file (bad checksum of {bad})")


def load_keras_model(path: str | os.PathLike, compile: bool = False):
    """Load a `.keras` file in safe mode after `check_keras_file`; every failure is one line.

    Args:
        path: str or PathLike. The `.keras` file.
        compile: bool. Restore the compiled state (optimizer included) too, as training
            checkpoints need. Defaults to False.

    Returns:
        keras.Model.

    Raises:
        DataFormatError: a corrupt or truncated file, a model that holds code (refused, never
            run), or one Keras cannot rebuild.

    Example:
    >>> model = load_keras_model("runs/cnn/model.keras")  # doctest: +SKIP
    """
    import keras

    from seqdoodle.models import register_layers

    register_layers()  # the serializable seqdoodle layers

    check_keras_file(path)
    try:
        return keras.saving.load_model(path, compile=compile, safe_mode=True)
    except Exception as e:  # noqa: BLE001 - Keras raises many types; report one line
        text = " ".join(str(e).split())
        if "safe_mode" in text or "arbitrary code" in text:
            raise DataFormatError(
                f"{path}: refused to load: the model holds code that would run on loading "
                "(e.g. a Lambda layer); seqdoodle loads models in safe mode only"
            ) from None
        raise DataFormatError(f"{path}: cannot load the Keras model ({text[:200]})") from None


def load_run(path: str | os.PathLike) -> Run:
    """Open a run folder written by `save_run` (or by training).

    Args:
        path: str or PathLike. The run folder.

    Returns:
        A `Run`.

    Raises:
        MissingFileError: the folder, `model.keras` or `config.json` is missing.
        DataFormatError: a corrupt or truncated `model.keras`, a model that is not safe to load,
            a bad `config.json`, `classes.txt` that disagrees with it, or a model whose output
            width is not the number of classes.

    Example:
    >>> run = load_run("runs/cnn")  # doctest: +SKIP
    >>> run.classes[:2]  # doctest: +SKIP
    ['apple', 'banana']
    """
    path = Path(path)
    if not path.is_dir():
        raise MissingFileError(f"{path}: no such run folder")
    model_path, config_path = path / MODEL_FILE, path / CONFIG_FILE
    for file in (model_path, config_path):
        if not file.is_file():
            raise MissingFileError(f"{file}: missing; not a complete run folder")
    config = _read_config(config_path)
    classes = config["classes"]
    classes_path = path / CLASSES_FILE
    if classes_path.is_file():
        listed = [line.strip() for line in classes_path.read_text("utf-8").splitlines()]
        listed = [c for c in listed if c]
        if listed != classes:
            raise DataFormatError(
                f"{classes_path}: {len(listed)} classes that differ from the {len(classes)} in "
                f"{CONFIG_FILE} (edited?)"
            )
    model = load_keras_model(model_path)
    width = model.output_shape[-1]
    if width != len(classes):
        raise DataFormatError(
            f"{model_path}: the model outputs {width} scores but the run has {len(classes)} classes"
        )
    return Run(path, config, model)


class Run:
    """A loaded run: the model, its classes and preprocessing, and prediction helpers.

    Args:
        path: Path. The run folder.
        config: dict. Contents of `config.json`.
        model: keras.Model. The loaded classifier.

    Attributes:
        path: Path. kind: str (a registered kind name). arch: str or None. classes: list of
        str. config: dict. model: keras.Model. model_kind: the `ModelKind` of `kind`.

    Example:
    >>> run = load_run("runs/rnn")  # doctest: +SKIP
    >>> run.predict_proba(drawings).shape  # doctest: +SKIP
    (10, 5)
    """

    def __init__(self, path: Path, config: dict, model):
        self.path = Path(path)
        self.config = config
        self.model = model
        self.kind: str = config["kind"]
        self.model_kind = get_kind(self.kind)
        self.arch: str | None = config.get("arch")
        self.classes: list[str] = list(config["classes"])

    def __repr__(self) -> str:
        return (
            f"Run({str(self.path)!r}, kind={self.kind!r}, arch={self.arch!r}, "
            f"classes={len(self.classes)})"
        )

    @property
    def input_config(self) -> dict:
        """The preprocessing options saved with the run (`config["input"]`, defaults filled)."""
        return self.model_kind.run_input_config(self.config.get("input"))

    @property
    def input_spec(self) -> dict:
        """What `model.keras` takes: `{"name", "shape", "dtype", "how"}` (see `ModelKind`)."""
        return self.model_kind.input_spec(self.input_config)

    @property
    def n_params(self) -> int:
        """Number of weights of the model."""
        return int(self.model.count_params())

    @property
    def saved_size_bytes(self) -> int:
        """Size of `model.keras` in bytes."""
        return (self.path / MODEL_FILE).stat().st_size

    def predict_proba(
        self, drawings: Sequence, batch_size: int = 256, progress: Callable | None = None
    ) -> np.ndarray:
        """Class probabilities for `Drawing` records, preprocessed as in training.

        A bitmap model renders drawings that have strokes and takes `bitmap` as is otherwise; a
        stroke model needs strokes (raw strokes are simplified first). Stroke drawings are
        batched by similar length, so little padding is computed.

        Args:
            drawings: list of `Drawing`.
            batch_size: int. Drawings per model call. Defaults to 256.
            progress: callable or None. Called with the number of drawings done after each
                batch. Defaults to None.

        Returns:
            `(n, len(classes)) float32` probabilities, rows in input order.

        Raises:
            DataFormatError: a drawing the model cannot take (e.g. a bitmap for a stroke model).
        """
        from seqdoodle.runs.inference import predict_drawings

        return predict_drawings(self, drawings, batch_size=batch_size, progress=progress)

    def predict_proba_dataset(
        self, dataset, indices=None, batch_size: int = 256, progress: Callable | None = None
    ) -> np.ndarray:
        """Class probabilities for rows of a prepared dataset, read straight from its arrays.

        Bitmaps come from the memory-mapped `bitmaps.npy`, strokes from `points.npy`, so no
        `Drawing` records are built. The dataset's classes need not match the run's.

        Args:
            dataset: `PreparedDataset`.
            indices: array-like of int or None. Rows to predict. Defaults to None (all rows).
            batch_size: int. Drawings per model call. Defaults to 256.
            progress: callable or None. Called with the number of drawings done after each
                batch. Defaults to None.

        Returns:
            `(len(indices), len(classes)) float32` probabilities, rows in the order of `indices`.

        Raises:
            DataFormatError: a stroke model on a bitmaps-only dataset, or a bitmap size that is
                not the run's.
        """
        from seqdoodle.runs.inference import predict_dataset

        return predict_dataset(self, dataset, indices, batch_size=batch_size, progress=progress)

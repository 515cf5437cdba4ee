"""Run folders: save a trained model with its settings, load it back, predict with it.

A run folder (its files are named in `seqdoodle.runs.layout`) holds at least `model.keras` (the
model for inference, without optimizer state), `config.json` and `classes.txt` (one class a line,
for people and other tools). `config.json` is `{"kind", "arch", "classes", "input", "dataset",
"train", "seqdoodle_version"}`, `kind` a registered model kind (`seqdoodle.kinds`); it is written
last, so a folder with it is complete. A folder written by `train` also holds the history, the
test metrics and predictions and the checkpoint; `Run` reads them on first use.

Loading never runs code from the file: `keras.saving.load_model(..., safe_mode=True)`, no pickles.
Decision: `classes.txt` is optional when loading (config.json holds the classes); when present it
must match them.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from seqdoodle.errors import DataFormatError, MissingFileError
from seqdoodle.fileio import save_keras, write_json, write_text
from seqdoodle.kinds import choices_text, get_kind, kind_names
from seqdoodle.runs.keras_file import check_keras_file, inference_model, load_keras_model
from seqdoodle.runs.layout import RunLayout

__all__ = ["Run", "check_keras_file", "inference_model", "load_keras_model", "load_run",
           "save_run"]  # fmt: skip

MODEL_FILE = RunLayout.MODEL
CONFIG_FILE = RunLayout.CONFIG
CLASSES_FILE = RunLayout.CLASSES


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
    layout = RunLayout(out)
    out.mkdir(parents=True, exist_ok=True)
    save_keras(inference_model(model), layout.model)
    write_text(layout.classes, "".join(f"{c}\n" for c in classes))
    write_json(layout.config, config)
    return out


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
    layout = RunLayout(path)
    model_path, config_path = layout.model, layout.config
    for file in (model_path, config_path):
        if not file.is_file():
            raise MissingFileError(f"{file}: missing; not a complete run folder")
    config = _read_config(config_path)
    classes = config["classes"]
    classes_path = layout.classes
    if classes_path.is_file():
        listed = [line.strip() for line in classes_path.read_text("utf-8").splitlines()]
        listed = [c for c in listed if c]
        if listed != classes:
            raise DataFormatError(
                f"{classes_path}: {len(listed)} classes that differ from the {len(classes)} in "
                f"{config_path.name} (edited?)"
            )
    model = load_keras_model(model_path)
    width = model.output_shape[-1]
    if width != len(classes):
        raise DataFormatError(
            f"{model_path}: the model outputs {width} scores but the run has {len(classes)} classes"
        )
    return Run(path, config, model)


class Run:
    """A run: its model, classes and preprocessing, its training records, prediction helpers.

    The training records (`history`, `summary`, `metrics`, `test_predictions`) are read from the
    folder on first use, without Keras; a folder written by `save_run` alone has none of them
    (None). `train` returns the `Run` of the folder it wrote, with the summary of that call.

    Args:
        path: Path. The run folder.
        config: dict. Contents of `config.json`.
        model: keras.Model or None. The loaded classifier; None loads `model.keras` on first use
            (without the checks of `load_run`). Defaults to None.
        summary: dict or None. The training summary; None reads the one `train` left in the
            folder on first use. Defaults to None.

    Attributes:
        path: Path. layout: `RunLayout` of the folder. kind: str (a registered kind name).
        arch: str or None. classes: list of str. config: dict. model: keras.Model.
        model_kind: the `ModelKind` of `kind`.

    Example:
    >>> run = load_run("runs/rnn")  # doctest: +SKIP
    >>> run.predict_proba(drawings).shape  # doctest: +SKIP
    (10, 5)
    >>> run.history["val_accuracy"][-1], run.metrics["top1"]  # doctest: +SKIP
    (0.91, 0.9)
    """

    def __init__(self, path: Path, config: dict, model=None, summary: dict | None = None):
        self.path = Path(path)
        self.layout = RunLayout(self.path)
        self.config = config
        self._model = model
        self.kind: str = config["kind"]
        self.model_kind = get_kind(self.kind)
        self.arch: str | None = config.get("arch")
        self.classes: list[str] = list(config["classes"])
        self._records = {} if summary is None else {"summary": summary}

    def __repr__(self) -> str:
        return (
            f"Run({str(self.path)!r}, kind={self.kind!r}, arch={self.arch!r}, "
            f"classes={len(self.classes)})"
        )

    def __getitem__(self, key: str):
        """`run[key]` is `run.summary[key]`; deprecated (`train` returned the summary dict)."""
        warnings.warn(
            f"train() returns a Run now: use run.summary[{key!r}] instead of run[{key!r}]; "
            "item access will be removed in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        if self.summary is None:
            raise KeyError(key)
        return self.summary[key]

    @property
    def model(self):
        """keras.Model: the classifier (`model.keras`, loaded on first use if not given)."""
        if self._model is None:
            self._model = load_keras_model(self.layout.model)
        return self._model

    def _record(self, name: str, read: Callable):
        if name not in self._records:
            self._records[name] = read()
        return self._records[name]

    @property
    def history(self) -> dict | None:
        """dict of lists: per-epoch `epoch`, `loss`, `accuracy`, `val_loss`, `val_accuracy`,
        `lr`, `seconds` (`history.json`); None for a run not written by `train`."""
        return self._record("history", self.layout.read_history)

    @property
    def summary(self) -> dict | None:
        """dict: the training summary (see `seqdoodle.training.train`): of the call that
        returned this run, or the one stored when training finished; None without one."""
        return self._record("summary", self.layout.read_summary)

    @summary.setter
    def summary(self, value: dict | None) -> None:
        self._records["summary"] = value

    @property
    def metrics(self) -> dict | None:
        """dict: the test-split scores written after training (`metrics.json`), or None."""
        return self._record("metrics", self.layout.read_metrics)

    @property
    def test_predictions(self):
        """`Predictions` of the test split saved after training (labels, probabilities, dataset
        rows as `ids`), or None."""
        return self._record("test_predictions", self.layout.read_test_predictions)

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
        return self.layout.model.stat().st_size

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

"""The run folder's layout: the name of every file in it, and reading its training records.

```
RUN/
  model.keras           the best model for inference, without optimizer state (`save_run`)
  config.json           kind, arch, classes, input, dataset, train; written last by `save_run`
  classes.txt           one class a line (must agree with config.json)
  history.json          per-epoch lists: epoch, loss, accuracy, val_loss, val_accuracy, lr, seconds
  history.csv           the same, one row an epoch
  training.png          loss and accuracy per epoch
  metrics.json          the best model's scores on the test split (`EvaluationReport.to_json`)
  test_predictions.npz  its test probabilities (`seqdoodle.evaluation.predictions`)
  checkpoint/
    state.json          the training state, the commit point of every epoch (`training.state`)
    last.keras          the last epoch's model with its optimizer state
    epoch-NNNN.keras    an epoch's weights staged before its commit
  onnx/
    model-<sha256[:16]>.onnx       the model exported for onnxruntime by `serve` (the key: the first
    model-<sha256[:16]>.onnx.json  16 hex digits of model.keras' sha256), and its input spec
```

`RunLayout(path)` names every path; nothing else in seqdoodle spells these file names. A folder
written by `save_run` alone has the first three files; `train` writes the rest. An ensemble
folder's files are named by `EnsembleLayout`.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from seqdoodle.errors import DataFormatError


class RunLayout:
    """The paths of a run folder's files (nothing is read or created by naming them).

    Args:
        path: str or PathLike. The run folder.

    Example:
    >>> layout = RunLayout("runs/cnn")
    >>> layout.model.as_posix(), layout.last_checkpoint.as_posix()
    ('runs/cnn/model.keras', 'runs/cnn/checkpoint/last.keras')
    """

    MODEL = "model.keras"
    CONFIG = "config.json"
    CLASSES = "classes.txt"
    HISTORY_JSON = "history.json"
    HISTORY_CSV = "history.csv"
    HISTORY_FIGURE = "training.png"
    METRICS = "metrics.json"
    TEST_PREDICTIONS = "test_predictions.npz"
    CHECKPOINT = "checkpoint"
    STATE = "state.json"
    LAST = "last.keras"
    ONNX_CACHE = "onnx"

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunLayout({str(self.path)!r})"

    @property
    def model(self) -> Path:
        return self.path / self.MODEL

    @property
    def config(self) -> Path:
        return self.path / self.CONFIG

    @property
    def classes(self) -> Path:
        return self.path / self.CLASSES

    @property
    def history_json(self) -> Path:
        return self.path / self.HISTORY_JSON

    @property
    def history_csv(self) -> Path:
        return self.path / self.HISTORY_CSV

    @property
    def history_figure(self) -> Path:
        return self.path / self.HISTORY_FIGURE

    @property
    def metrics(self) -> Path:
        return self.path / self.METRICS

    @property
    def test_predictions(self) -> Path:
        return self.path / self.TEST_PREDICTIONS

    @property
    def checkpoint_dir(self) -> Path:
        return self.path / self.CHECKPOINT

    @property
    def state(self) -> Path:
        return self.checkpoint_dir / self.STATE

    @property
    def last_checkpoint(self) -> Path:
        return self.checkpoint_dir / self.LAST

    def staged_checkpoint(self, epoch: int) -> Path:
        """Where epoch `epoch`'s weights are staged before its commit."""
        return self.checkpoint_dir / f"epoch-{int(epoch):04d}.keras"

    def staged_checkpoints(self) -> list[Path]:
        """Staged weights present in `checkpoint/` (of any epoch)."""
        return sorted(self.checkpoint_dir.glob("epoch-*.keras"))

    def onnx_cache(self, model_sha256: str) -> Path:
        """Where `serve` caches the ONNX export of a model.keras with this sha256."""
        return self.path / self.ONNX_CACHE / f"model-{model_sha256[:16]}.onnx"

    def onnx_cache_info(self, model_sha256: str) -> Path:
        """The input spec and cache key written beside `onnx_cache` (written last)."""
        onnx = self.onnx_cache(model_sha256)
        return onnx.with_name(onnx.name + ".json")

    @property
    def inference_files(self) -> tuple[Path, ...]:
        """The files a run needs to load and predict (what an ensemble's `--copy` copies)."""
        return (self.model, self.config, self.classes)

    @property
    def training_files(self) -> tuple[Path, ...]:
        """The files `train` writes beside the checkpoint before its first commit."""
        return (self.model, self.config, self.classes, self.history_json, self.history_csv,
                self.history_figure)  # fmt: skip

    # -- the training records

    def read_history(self) -> dict | None:
        """`history.json`: per-epoch lists by key; None when the folder has none.

        Raises:
            DataFormatError: not a JSON object of lists.
        """
        history = _read_object(self.history_json)
        if history is not None and not all(isinstance(v, list) for v in history.values()):
            raise DataFormatError(f"{self.history_json}: not an object of per-epoch lists")
        return history

    def read_metrics(self) -> dict | None:
        """`metrics.json` (the test scores); None when the folder has none."""
        return _read_object(self.metrics)

    def read_summary(self) -> dict | None:
        """The summary `train` left in `checkpoint/state.json`; None without a finished state."""
        state = _read_object(self.state)
        summary = None if state is None else state.get("summary")
        if summary is not None and not isinstance(summary, dict):
            raise DataFormatError(f"{self.state}: summary is not a JSON object")
        return summary

    def read_test_predictions(self):
        """`test_predictions.npz` as `seqdoodle.evaluation.predictions.Predictions`, or None."""
        from seqdoodle.evaluation.predictions import load_predictions

        if not self.test_predictions.is_file():
            return None
        return load_predictions(self.test_predictions)

    def write_history(self, history: dict, columns) -> None:
        """Write `history.json`, `history.csv` (`columns` in order) and `training.png`."""
        from seqdoodle.fileio import write_json, write_text
        from seqdoodle.plots import save_figure
        from seqdoodle.plots.training import plot_history

        write_json(self.history_json, history)
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(columns)
        for row in zip(*(history[k] for k in columns)):
            writer.writerow("" if v is None else v for v in row)
        write_text(self.history_csv, text.getvalue())
        save_figure(plot_history(history), self.history_figure)


class EnsembleLayout:
    """The paths of an ensemble folder's files (`seqdoodle.runs.ensemble`).

    ```
    ENS/
      ensemble.json     members (path, sha256 of model.keras, kind, weight), pool, classes, the
                        validation scores the weights were fitted on, dataset; written last
      members/<name>/   a copy of each member run's inference files (`--copy` only)
    ```

    Args:
        path: str or PathLike. The ensemble folder.

    Example:
    >>> layout = EnsembleLayout("ens")
    >>> layout.manifest.as_posix(), layout.member("cnn").as_posix()
    ('ens/ensemble.json', 'ens/members/cnn')
    """

    MANIFEST = "ensemble.json"
    MEMBERS = "members"

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"EnsembleLayout({str(self.path)!r})"

    @property
    def manifest(self) -> Path:
        return self.path / self.MANIFEST

    @property
    def members_dir(self) -> Path:
        return self.path / self.MEMBERS

    def member(self, name: str) -> Path:
        """The folder of a copied member run."""
        return self.members_dir / name


def _read_object(path: Path) -> dict | None:
    """A JSON object from `path`; None when the file is missing."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise DataFormatError(f"{path}: unreadable ({type(e).__name__})") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        raise DataFormatError(f"{path}: not valid JSON") from None
    if not isinstance(obj, dict):
        raise DataFormatError(f"{path}: not a JSON object")
    return obj

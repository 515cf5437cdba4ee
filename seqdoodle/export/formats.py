"""Export a run's model with Keras' own `Model.export`, and check the file in its own runtime.

`export_run` writes ONNX, LiteRT (`.tflite`) or a TensorFlow SavedModel, plus a JSON beside it
(`PATH.json`: classes, input name, shape, dtype and how to make the input). It then loads the
file in the target runtime (onnxruntime, the LiteRT interpreter, `tf.saved_model.load`), predicts
the run's test drawings (or synthetic ones when the run's dataset is gone) and compares with
`Run.predict_proba`: above `tolerance` or below 100% top-1 agreement the export fails and nothing
is left under PATH. What the exported model takes: `raw_input`; the runtimes: `checks`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.export.checks import CHECK_DRAWINGS, RUNTIMES, _batch1, check_drawings
from seqdoodle.export.raw_input import input_spec, raw_input_model, raw_inputs

# --format -> (Keras' Model.export format, file suffix, runtime named in messages)
FORMATS = {
    "onnx": ("onnx", ".onnx", "onnxruntime"),
    "tflite": ("litert", ".tflite", "the LiteRT interpreter"),
    "savedmodel": ("tf_saved_model", "", "tf.saved_model.load"),
}
TOLERANCE = 1e-4


@dataclass
class ExportResult:
    """What `export_run` wrote and how the file agreed with Keras.

    Args:
        path: Path. The exported file or SavedModel folder.
        info_path: Path. The JSON written beside it.
        format: str. `"onnx"`, `"tflite"` or `"savedmodel"`.
        runtime: str. The runtime the file was checked in.
        n_checked: int. Drawings predicted in that runtime.
        source: str. Where they came from (the run's test split, or synthetic drawings).
        max_abs_diff: float. Largest probability difference from `Run.predict_proba`.
        top1_agreement: float. Share of drawings with the same top class (1.0 = all).
    """

    path: Path
    info_path: Path
    format: str
    runtime: str
    n_checked: int
    source: str
    max_abs_diff: float
    top1_agreement: float

    def summary(self) -> str:
        """One line: what was written and how it agreed."""
        return (
            f"checked in {self.runtime} on {self.n_checked} {self.source}: largest probability "
            f"difference from Keras {self.max_abs_diff:.2e}, top-1 agreement "
            f"{100 * self.top1_agreement:.1f}%"
        )


def _signature(run, model, batch: int | None):
    import tensorflow as tf

    shape = (batch, *model.input_shape[1:])
    return [tf.TensorSpec(shape, tf.float32, name=input_spec(run)["name"])]


def _write(run, model, fmt: str, tmp: Path) -> None:
    """`Model.export` into `tmp`; LiteRT models of dynamic length with built-in ops, batch 1."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # tf2onnx's numpy notice
        _export(run, model, fmt, tmp)


def _export(run, model, fmt: str, tmp: Path) -> None:
    keras_format = FORMATS[fmt][0]
    if fmt == "tflite" and None in tuple(model.input_shape[1:]):
        import tensorflow as tf

        try:  # batch 1 makes the LSTM loop's tensor lists static, so they lower to builtins
            model.export(
                str(tmp),
                format=keras_format,
                verbose=False,
                input_signature=_signature(run, model, 1),
                target_spec={"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]},
                _experimental_lower_tensor_list_ops=True,
            )
            return
        except Exception:  # noqa: BLE001 - fall back to Keras' default (Select TF ops)
            _remove(tmp)
    model.export(
        str(tmp), format=keras_format, verbose=False, input_signature=_signature(run, model, None)
    )


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _place(tmp: Path, out: Path) -> None:
    """Move the checked export to `out`, replacing what was there."""
    if out.is_dir() and not out.is_symlink():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


def info_path_for(out: Path) -> Path:
    """Where the JSON beside an export goes: `PATH.json`."""
    return out.with_name(out.name + ".json")


def export_run(
    run, fmt: str, out, n_check: int = CHECK_DRAWINGS, tolerance: float = TOLERANCE
) -> ExportResult:
    """Export a run's model and check it in the target runtime.

    Args:
        run: `Run` or a run folder.
        fmt: str. `"onnx"`, `"tflite"` or `"savedmodel"`.
        out: str or PathLike. The file (`.onnx`, `.tflite`) or SavedModel folder to write.
        n_check: int. Drawings to check on. Defaults to 64.
        tolerance: float. Largest probability difference from Keras accepted. Defaults to 1e-4.

    Returns:
        `ExportResult`.

    Raises:
        DataFormatError: an unknown format, a `.tflite` export to another suffix, a file that
            disagrees with Keras (above `tolerance`, or a different top class), or a model the
            format cannot hold (one line saying why). Nothing is left under `out` then.

    Example:
    >>> result = export_run("runs/cnn", "onnx", "cnn.onnx")  # doctest: +SKIP
    >>> result.max_abs_diff < 1e-4, result.top1_agreement  # doctest: +SKIP
    (True, 1.0)
    """
    from seqdoodle.fileio import write_json
    from seqdoodle.runs.folder import load_run

    if fmt not in FORMATS:
        raise DataFormatError(f"unknown export format {fmt!r}; choose {', '.join(FORMATS)}")
    if n_check < 1:
        raise DataFormatError(f"n_check must be at least 1, got {n_check}")
    if not hasattr(run, "model"):
        run = load_run(run)
    out = Path(out)
    suffix, runtime = FORMATS[fmt][1], FORMATS[fmt][2]
    if suffix and out.suffix.lower() != suffix:
        raise DataFormatError(f"{out}: a {fmt} export needs a path ending in {suffix}")
    if not suffix and out.exists() and not out.is_dir():
        raise DataFormatError(f"{out}: exists and is not a folder; a SavedModel is a folder")
    if not out.parent.is_dir():
        raise DataFormatError(f"{out.parent}: no such folder")

    drawings, source = check_drawings(run, n_check)
    reference = np.asarray(run.predict_proba(drawings), np.float64)
    inputs = raw_inputs(run, drawings)
    model = raw_input_model(run)
    model(inputs[0])  # a freshly loaded model must be called once before exporting

    tmp = out.with_name(f".{out.name}.export-{os.getpid()}{suffix}")
    _remove(tmp)
    try:
        try:
            _write(run, model, fmt, tmp)
        except Exception as e:  # noqa: BLE001 - one line saying why
            raise DataFormatError(
                f"{fmt} cannot hold the {run.kind} model of {run.path}: {_one_line(e)}"
            ) from None
        try:
            input_name, predict = RUNTIMES[fmt](tmp)
            probs = np.asarray(predict(inputs), np.float64)
        except Exception as e:  # noqa: BLE001
            raise DataFormatError(
                f"{fmt}: {runtime} cannot run the exported {run.kind} model: {_one_line(e)}"
            ) from None
        diff = float(np.abs(probs - reference).max())
        agree = float(np.mean(probs.argmax(1) == reference.argmax(1)))
        result = ExportResult(
            out, info_path_for(out), fmt, runtime, len(drawings), source, diff, agree
        )
        if not diff <= tolerance or agree < 1.0:
            raise DataFormatError(
                f"{fmt} export of {run.path} disagrees with Keras ({result.summary()}); "
                f"limit {tolerance:g} and 100% top-1; nothing written"
            )
        info = _info(run, fmt, input_name, result, batch=1 if _batch1(fmt, tmp, run) else None)
        _place(tmp, out)
    except BaseException:
        _remove(tmp)
        raise
    write_json(result.info_path, info)
    return result


def _info(run, fmt: str, input_name: str, result: ExportResult, batch) -> dict:
    from seqdoodle import __version__

    spec = input_spec(run)
    spec["shape"][0] = batch
    return {
        "format": fmt,
        "file": result.path.name,
        "run": str(run.path),
        "kind": run.kind,
        "arch": run.arch,
        "classes": list(run.classes),
        "input": {**spec, "name": input_name},
        "output": {
            "shape": [batch, len(run.classes)],
            "dtype": "float32",
            "what": "class probabilities (softmax), columns in the order of classes",
        },
        "check": {
            "runtime": result.runtime,
            "drawings": result.n_checked,
            "source": result.source,
            "max_abs_diff": result.max_abs_diff,
            "top1_agreement": result.top1_agreement,
        },
        "seqdoodle_version": __version__,
    }


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:240] + ("..." if len(text) > 240 else "")

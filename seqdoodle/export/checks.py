"""Checking an exported file in its own runtime: the drawings to check on, a predict per format.

onnxruntime for ONNX, the LiteRT interpreter (`ai_edge_litert`, else TensorFlow's) for `.tflite`
and `tf.saved_model.load` for a SavedModel; each takes the raw inputs of `raw_input.raw_inputs`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from seqdoodle.export.raw_input import _kind

CHECK_DRAWINGS = 64


def check_drawings(run, n: int = CHECK_DRAWINGS, seed: int = 0) -> tuple[list, str]:
    """Drawings to check an export on: the run's test split, else synthetic ones.

    Returns:
        `(drawings, source)`: list of `Drawing` (simplified strokes, or bitmaps for a bitmap
        dataset) and a phrase naming where they came from.
    """
    path = (run.config.get("dataset") or {}).get("path")
    if path and Path(path).is_dir():
        with contextlib.suppress(Exception):
            from seqdoodle.datasets.prepared import PreparedDataset

            ds = PreparedDataset(path)
            _kind(run).check_dataset(ds, run.input_config)  # else synthetic drawings
            rows = ds.indices("test")
            if rows.size:
                rng = np.random.default_rng(seed)
                rows = np.sort(rng.choice(rows, min(n, rows.size), replace=False))
                return list(ds.drawings(rows)), f"test drawings of {Path(path).name}"
    from seqdoodle.datasets.synthetic import SYNTHETIC_CLASSES, synthetic_drawings

    per_class = max(1, -(-n // len(SYNTHETIC_CLASSES)))
    drawings = [d for c in SYNTHETIC_CLASSES for d in synthetic_drawings(c, per_class, seed=seed)]
    return drawings[:n], "synthetic drawings"


def _batch(inputs: list[np.ndarray]) -> np.ndarray:
    """Stack batch-1 inputs, zero-padding stroke sequences to the longest."""
    if inputs[0].ndim == 3:
        width = max(x.shape[1] for x in inputs)
        inputs = [np.pad(x, ((0, 0), (0, width - x.shape[1]), (0, 0))) for x in inputs]
    return np.concatenate(inputs)


def _onnx_predict(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return name, lambda xs: session.run(None, {name: _batch(xs)})[0]


def _tflite_interpreter(path: Path):
    with contextlib.suppress(ImportError):
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter(model_path=str(path))
    import warnings

    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
        return tf.lite.Interpreter(model_path=str(path))


def _tflite_predict(path: Path):
    interpreter = _tflite_interpreter(path)
    detail = interpreter.get_input_details()[0]
    output = interpreter.get_output_details()[0]["index"]
    state = {"shape": None}

    def predict(xs):
        rows = []
        for x in xs:  # one drawing a call: the stroke model's LiteRT file takes batch 1
            if state["shape"] != x.shape:
                interpreter.resize_tensor_input(detail["index"], x.shape, strict=False)
                interpreter.allocate_tensors()
                state["shape"] = x.shape
            interpreter.set_tensor(detail["index"], x)
            interpreter.invoke()
            rows.append(np.array(interpreter.get_tensor(output)))
        return np.concatenate(rows)

    return detail["name"], predict


def _savedmodel_predict(path: Path):
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    signature = loaded.signatures["serving_default"]
    name = next(iter(signature.structured_input_signature[1]))
    return name, lambda xs: np.asarray(loaded.serve(_batch(xs)))


RUNTIMES = {"onnx": _onnx_predict, "tflite": _tflite_predict, "savedmodel": _savedmodel_predict}


def _batch1(fmt: str, path: Path, run) -> bool:
    if fmt != "tflite":
        return False
    detail = _tflite_interpreter(path).get_input_details()[0]
    return int(detail["shape_signature"][0]) == 1

"""How a served run computes probabilities: Keras (`Run.predict_proba`) or onnxruntime.

The ONNX backend exports the run's model once at start-up (Keras' `Model.export`, as
`seqdoodle export` does), loads it in onnxruntime and checks it against `Run.predict_proba` on
synthetic drawings before serving (largest difference `ONNX_TOLERANCE`); a run that fails the
check, or a machine without onnxruntime and tf2onnx, is served by Keras instead. onnxruntime
runs a model in about a third of the time of a Keras call at the batch sizes a server sees and
releases the GIL while it computes. Both backends take the same model inputs
(`kind.drawing_inputs`), so answers stay equal to `seqdoodle predict` (within 1e-5).
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path

import numpy as np

BACKENDS = ("auto", "onnx", "keras")
ONNX_TOLERANCE = 1e-5


def onnx_available() -> bool:
    """Whether onnxruntime and tf2onnx (for Keras' ONNX export) are installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "tf2onnx"))


def keras_predictor(run):
    """`predict(drawings) -> (n, k)` through `Run.predict_proba` (the prediction command's path)."""

    def predict(drawings):
        return run.predict_proba(drawings, batch_size=max(1, len(drawings)))

    return predict


def onnx_predictor(run, check_drawings, threads: int = 1):
    """`predict(drawings) -> (n, k)` through an onnxruntime session of the run's model.

    Args:
        run: `Run`.
        check_drawings: list of `Drawing`. Predicted by both paths; they must agree.
        threads: int. onnxruntime's intra-op threads. Defaults to 1 (each served run has its
            own worker thread, so two runs use two cores).

    Returns:
        callable.

    Raises:
        ValueError: the ONNX model disagrees with Keras by more than `ONNX_TOLERANCE`.
    """
    import onnxruntime as ort

    from seqdoodle.export.formats import _write
    from seqdoodle.export.raw_input import export_input_config, raw_input_model
    from seqdoodle.kinds import get_kind

    kind, config = get_kind(run.kind), export_input_config(run)
    model = raw_input_model(run)
    model(np.asarray(kind.drawing_inputs(check_drawings[:1], config), np.float32))
    folder = Path(tempfile.mkdtemp(prefix="seqdoodle-serve-"))
    try:
        path = folder / "model.onnx"
        _write(run, model, "onnx", path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    name = session.get_inputs()[0].name

    def predict(drawings):
        x = np.asarray(kind.drawing_inputs(drawings, config), np.float32)
        return session.run(None, {name: x})[0]

    want = run.predict_proba(check_drawings)
    got = np.concatenate([predict(check_drawings[:3]), predict(check_drawings[3:])])
    diff = float(np.abs(got - want).max())
    if not diff <= ONNX_TOLERANCE:
        raise ValueError(f"ONNX model differs from Keras by {diff:.2e}")
    return predict


def make_predictor(run, backend: str, check_drawings, notes: list | None = None):
    """`(predict, backend used)` for a run; `auto` is ONNX where it works, Keras otherwise.

    Args:
        run: `Run`.
        backend: str. `"auto"`, `"onnx"` or `"keras"`.
        check_drawings: list of `Drawing`. What the ONNX model is checked on.
        notes: list or None. Receives one line when `auto` falls back to Keras.

    Raises:
        ValueError: `backend="onnx"` where it cannot work (the reason in one line), or an
            unknown backend.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose {', '.join(BACKENDS)}")
    if backend == "keras" or (backend == "auto" and not onnx_available()):
        return keras_predictor(run), "keras"
    try:
        return onnx_predictor(run, check_drawings), "onnx"
    except Exception as e:  # noqa: BLE001 - fall back, saying why
        text = " ".join(str(e).split())[:200]
        if backend == "onnx":
            raise ValueError(f"{run.path}: cannot serve with onnxruntime: {text}") from None
        if notes is not None:
            notes.append(f"{run.path}: served by Keras (onnxruntime: {text})")
        return keras_predictor(run), "keras"

"""How a served run computes probabilities: onnxruntime from a cached export, or Keras.

The ONNX backend serves a run's model from an ONNX file exported once and cached in the run
folder (`RunLayout.onnx_cache`: `onnx/model-<sha256[:16]>.onnx` and its `.json`), keyed by the
sha256 of `model.keras`. A worker that finds a valid cache loads it with onnxruntime and never
imports TensorFlow or Keras: the model input comes from the kind's numpy encoding
(`kind.drawing_inputs`), which is what `seqdoodle predict` feeds Keras, so answers stay equal to
the command's (within 1e-5). Without a valid cache the run is exported once with
`seqdoodle.export.export_run` (Keras' `Model.export`, checked against `Run.predict_proba` within
`ONNX_TOLERANCE`) and the cache written atomically, the `.json` last; a run folder that cannot be
written gets its cache under the user's cache folder (`$XDG_CACHE_HOME/seqdoodle`, else
`~/.cache/seqdoodle`) instead, and the engine says so. A run whose export fails, or a machine
without onnxruntime and tf2onnx, is served by Keras (`backend="auto"`). onnxruntime runs a model
in about a third of the time of a Keras call at the batch sizes a server sees and releases the
GIL while it computes.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np

BACKENDS = ("auto", "onnx", "keras")
ONNX_TOLERANCE = 1e-5
EXPORT_CHECK_DRAWINGS = 16
CACHE_FORMAT = "seqdoodle-serve-onnx"


def onnx_available() -> bool:
    """Whether onnxruntime is installed (enough to serve a cached export)."""
    return importlib.util.find_spec("onnxruntime") is not None


def export_available() -> bool:
    """Whether tf2onnx is installed too (needed to export a run that has no cache yet)."""
    return onnx_available() and importlib.util.find_spec("tf2onnx") is not None


def user_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/seqdoodle`, else `~/.cache/seqdoodle`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "seqdoodle"


def model_sha256(run) -> str:
    """The sha256 of the run's `model.keras` (the cache key)."""
    from seqdoodle.fileio import sha256_file

    cached = getattr(run, "_serve_sha256", None)
    if cached is None:
        cached = sha256_file(run.layout.model)
        run._serve_sha256 = cached
    return cached


def keras_predictor(run):
    """`predict(drawings) -> (n, k)` through `Run.predict_proba` (the prediction command's path)."""

    def predict(drawings):
        return run.predict_proba(drawings, batch_size=max(1, len(drawings)))

    return predict


def _cache_places(run, sha: str) -> list:
    """`RunLayout`s whose `onnx_cache(sha)` may hold the export: the run folder, the user's."""
    from seqdoodle.runs.layout import RunLayout

    return [run.layout, RunLayout(user_cache_dir())]


def find_cache(run):
    """`(onnx path, input config)` of a valid cached export of `run`, or None.

    Valid: its `.json` names the sha256 of the run's `model.keras`, the run's classes and input
    config, and the ONNX file is there.
    """
    sha = model_sha256(run)
    for layout in _cache_places(run, sha):
        info_path, onnx_path = layout.onnx_cache_info(sha), layout.onnx_cache(sha)
        try:
            info = json.loads(info_path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if (
            isinstance(info, dict)
            and info.get("cache", {}).get("format") == CACHE_FORMAT
            and info["cache"].get("model_sha256") == sha
            and info["cache"].get("run_input") == run.input_config
            and info.get("classes") == list(run.classes)
            and isinstance(info["cache"].get("input_config"), dict)
            and onnx_path.is_file()
        ):
            return onnx_path, info["cache"]["input_config"]
    return None


def write_cache(run, notes: list | None = None):
    """Export `run` to ONNX once (with TensorFlow) and cache it; `(onnx path, input config)`.

    The run folder's `onnx/` is tried first; when it cannot be written, the user's cache folder
    (a line in `notes` says so).

    Raises:
        DataFormatError: the export fails or disagrees with Keras (`seqdoodle.export`).
        OSError: neither place can be written.
    """
    from seqdoodle.export.formats import export_run
    from seqdoodle.export.raw_input import export_input_config
    from seqdoodle.fileio import write_json
    from seqdoodle.models.runtime import import_tensorflow_quietly

    import_tensorflow_quietly()
    sha = model_sha256(run)
    places = _cache_places(run, sha)
    for i, layout in enumerate(places):
        onnx_path = layout.onnx_cache(sha)
        try:
            onnx_path.parent.mkdir(parents=True, exist_ok=True)
            probe = onnx_path.parent / f".probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as e:
            if i == len(places) - 1:
                raise
            if notes is not None:
                notes.append(
                    f"{run.path}: cannot write {onnx_path.parent} ({type(e).__name__}); "
                    f"ONNX export cached under {places[-1].onnx_cache(sha).parent} instead"
                )
            continue
        result = export_run(
            run, "onnx", onnx_path, n_check=EXPORT_CHECK_DRAWINGS, tolerance=ONNX_TOLERANCE
        )
        info = json.loads(result.info_path.read_text("utf-8"))
        config = export_input_config(run)
        info["cache"] = {
            "format": CACHE_FORMAT,
            "model_sha256": sha,
            "run_input": run.input_config,
            "input_config": config,
        }
        write_json(layout.onnx_cache_info(sha), info)  # written last: the cache is complete
        return onnx_path, config
    raise OSError("no place to cache the ONNX export")  # pragma: no cover - loop returns


def onnx_predictor(run, check_drawings=None, threads: int = 1, notes: list | None = None):
    """`predict(drawings) -> (n, k)` through an onnxruntime session of the run's cached export.

    Args:
        run: `Run`. Its model is loaded (with Keras) only when there is no valid cache.
        check_drawings: list of `Drawing` or None. Predicted once, to check the output width.
            Defaults to None.
        threads: int. onnxruntime's intra-op threads. Defaults to 1 (each served run has its
            own worker thread, so two runs use two cores).
        notes: list or None. Receives a line when the cache goes to the user's cache folder.

    Returns:
        callable, with `.cached` (True when a valid cache was found, False when exported now).

    Raises:
        ValueError: the export fails, disagrees with Keras, or outputs the wrong width.
    """
    import onnxruntime as ort

    from seqdoodle.kinds import get_kind

    found = find_cache(run)
    cached = found is not None
    if not cached:
        found = write_cache(run, notes)
    path, config = found
    kind = get_kind(run.kind)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def predict(drawings):
        x = np.asarray(kind.drawing_inputs(drawings, config), np.float32)
        return session.run(None, {name: x})[0]

    if check_drawings:
        width = predict(check_drawings[:1]).shape[-1]
        if width != len(run.classes):
            raise ValueError(f"{path}: outputs {width} scores for {len(run.classes)} classes")
    predict.cached = cached
    return predict


def make_predictor(run, backend: str, check_drawings, notes: list | None = None):
    """`(predict, backend used)` for a run; `auto` is ONNX where it works, Keras otherwise.

    Args:
        run: `Run`.
        backend: str. `"auto"`, `"onnx"` or `"keras"`.
        check_drawings: list of `Drawing`. What the ONNX model is checked on.
        notes: list or None. Receives one line when `auto` falls back to Keras, or when the
            ONNX cache cannot be written in the run folder.

    Raises:
        ValueError: `backend="onnx"` where it cannot work (the reason in one line), or an
            unknown backend.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose {', '.join(BACKENDS)}")
    if backend == "keras" or (backend == "auto" and not onnx_available()):
        return keras_predictor(run), "keras"
    try:
        if not export_available() and find_cache(run) is None:
            raise ValueError("tf2onnx is not installed and the run has no cached ONNX export")
        return onnx_predictor(run, check_drawings, notes=notes), "onnx"
    except Exception as e:  # noqa: BLE001 - fall back, saying why
        text = " ".join(str(e).split())[:200]
        if backend == "onnx":
            raise ValueError(f"{run.path}: cannot serve with onnxruntime: {text}") from None
        if notes is not None:
            notes.append(f"{run.path}: served by Keras (onnxruntime: {text})")
        return keras_predictor(run), "keras"

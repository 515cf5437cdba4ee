"""The served models: load runs once, preprocess a drawing once, batch concurrent requests.

One `Engine` holds the runs (or an ensemble folder's member runs). A request's drawing is checked
and simplified once, exactly as `prepare` does (`simplify_strokes` for raw drawings); what the
served kinds render from it (a bitmap, stroke-order channels) is rendered once into a
`seqdoodle.kinds.base.ServingInk` that they share (a stroke model alone renders nothing), and the
28 px bitmap is PNG-encoded only when the request asks for it (`"image": true`). Each run then
gets its input through its own `MicroBatcher`, a worker thread that takes every request waiting
in its queue as one batch for the run's predictor (`seqdoodle.serve.backends`: the kind's numpy
encoding into onnxruntime, or `Run.predict_proba`). Both compute what `seqdoodle predict`
computes, so a served answer equals the command's. Batching costs no wait: a batch starts as soon
as the worker is free, holding whatever queued meanwhile.

The ensemble answer pools the runs over their shared classes: with the weights and pool fitted on
validation when an ensemble folder is served (`seqdoodle ensemble`), with equal weights (log
pool) when plain run folders are; `/health` and `/classes` say which.
"""

from __future__ import annotations

import asyncio
import base64
import io

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.serve.batcher import MAX_BATCH, MAX_QUEUE, MAX_WAIT_MS, Admission, MicroBatcher
from seqdoodle.serve.loading import run_names


def bitmap_png(bitmap: np.ndarray) -> str:
    """A `(s, s) uint8` bitmap as a base64 PNG (ink white on black, as the CNN sees it)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(bitmap, dtype=np.uint8), mode="L").save(
        buffer, format="PNG", compress_level=1
    )
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _looks_raw(strokes) -> bool:
    try:
        from seqdoodle.datasets.records import strokes_look_raw
    except ImportError:  # older layout
        from seqdoodle.kinds.inputs import is_raw as strokes_look_raw
    return strokes_look_raw(strokes)


def simplified_strokes(strokes, fmt: str = "auto") -> list:
    """The simplified strokes a drawing is predicted on, as `prepare` makes them.

    Args:
        strokes: list. Checked strokes `[xs, ys]` or `[xs, ys, ts]`.
        fmt: str. `"raw"` (always simplified), `"simplified"` (taken as it is, times dropped) or
            `"auto"` (simplified when it looks raw: times, or coordinates that are not
            integers 0..255). Defaults to `"auto"`.

    Returns:
        list of strokes `[xs, ys]` of Python ints.
    """
    from seqdoodle.strokes.simplify import simplify_strokes

    if fmt == "raw" or (fmt == "auto" and _looks_raw(strokes)):
        return simplify_strokes(strokes)
    return [[[int(v) for v in s[0]], [int(v) for v in s[1]]] for s in strokes]


class ServedRun:
    """One loaded run, its predictor and its batcher.

    Attributes:
        name: str. The run's name in answers (its folder name).
        run: `seqdoodle.runs.folder.Run`.
        backend: str. `"onnx"` or `"keras"` (see `seqdoodle.serve.backends`).
        model_kind: `ModelKind`. What the run is fed (`serving_inputs`).
    """

    def __init__(
        self,
        name: str,
        run,
        max_batch: int = MAX_BATCH,
        backend: str = "keras",
        notes: list | None = None,
        max_queue: int = MAX_QUEUE,
    ):
        from seqdoodle.serve.backends import make_predictor

        self.name = name
        self.run = run
        self.classes = list(run.classes)
        self.kind = run.kind
        self.model_kind = run.model_kind
        self.input_config = run.input_config
        self.title = run.model_kind.title
        self.predict, self.backend = make_predictor(run, backend, _warm_drawings(8), notes)
        self.batcher = MicroBatcher(self.predict, max_batch, max_queue, name=name)

    def info(self) -> dict:
        """`{"kind", "title", "classes", "backend"}` for `GET /classes`."""
        return {
            "kind": self.kind,
            "title": self.title,
            "classes": self.classes,
            "backend": self.backend,
        }


def _warm_drawings(n: int) -> list:
    """Synthetic simplified drawings of growing length, to trace the models before serving."""
    from seqdoodle.datasets.records import Drawing

    out = []
    for i in range(n):
        points = 8 + 24 * i
        t = np.linspace(0, 2 * np.pi * (1 + i % 3), points)
        xs = np.round(127 + 120 * np.cos(t) * np.linspace(1, 0.3, points)).astype(int).tolist()
        ys = np.round(127 + 120 * np.sin(t)).astype(int).tolist()
        out.append(Drawing(word="", strokes=[[xs, ys], [[0, 255], [255, 0]]]))
    return out


class Engine:
    """The served runs and the prediction of one request.

    Args:
        runs: list of `Run`.
        names: list of str or None. Names in answers; None takes `run_names` of the run folders.
        max_batch: int. Most drawings per model call. Defaults to 32.
        warm: bool. Call every model on a few batch and length sizes first, so that the first
            requests do not pay for tracing. Defaults to True.
        backend: str. `"onnx"` (onnxruntime), `"keras"` (`Run.predict_proba`) or `"auto"` (ONNX
            where it works; see `seqdoodle.serve.backends`). Defaults to `"auto"`.
        max_queue: int. Most drawings in progress at once (`admission`, held by the app from a
            request's arrival to its answer) and waiting per model; beyond it a request is
            refused with `Overloaded` (503) before any work. Defaults to 16.
        max_wait_ms: float. Most expected milliseconds in the server for a new request (see
            `Admission`); 0: only `max_queue` counts. Defaults to 50.
        ensemble: `seqdoodle.runs.ensemble.Ensemble` or None. The ensemble folder whose members
            `runs` are (named as in `names`): the ensemble answer uses its fitted weights and
            pool. None: equal weights, log pool. Defaults to None.

    Example:
    >>> engine = Engine([load_run("runs/cnn"), load_run("runs/rnn")])  # doctest: +SKIP
    >>> engine.names  # doctest: +SKIP
    ['cnn', 'rnn']
    """

    def __init__(
        self,
        runs,
        names=None,
        max_batch: int = MAX_BATCH,
        warm: bool = True,
        backend: str = "auto",
        max_queue: int = MAX_QUEUE,
        ensemble=None,
        max_wait_ms: float = MAX_WAIT_MS,
    ):
        runs = list(runs)
        if not runs:
            raise DataFormatError("serve needs at least one run")
        names = run_names([r.path for r in runs]) if names is None else list(names)
        self.admission = Admission(max_queue, max_wait_ms)
        self.notes: list[str] = []
        self.served = [
            ServedRun(n, r, max_batch, backend, self.notes, max_queue)
            for n, r in zip(names, runs, strict=True)
        ]
        self.names = [s.name for s in self.served]
        self.ensemble = ensemble
        if ensemble is not None:
            self.shared = list(ensemble.classes)
        else:
            first = self.served[0].classes
            others = [set(s.classes) for s in self.served[1:]]
            self.shared = [c for c in first if all(c in o for o in others)]
        self._shared_index = [
            np.asarray([s.classes.index(c) for c in self.shared], np.int64) for s in self.served
        ]
        self.has_ensemble = len(self.served) > 1 and bool(self.shared)
        if ensemble is not None:
            weights = [float(ensemble.weights[n]) for n in self.names]
            self.weights, self.pool = weights, ensemble.pool
        else:
            self.weights, self.pool = [1.0] * len(self.served), "log"
        self._renderings = tuple(
            w for s in self.served for w in s.model_kind.serving_renderings(s.input_config)
        )
        if warm:
            self.warm()

    def warm(self) -> None:
        """Predict synthetic batches of 1, 2, 3 and 8 drawings of growing length, then answer
        one raw drawing the way a request is answered (so no request pays for a first call)."""
        drawings = _warm_drawings(8)
        for served in self.served:
            for size in (1, 2, 3, 8):
                served.predict(drawings[:size])
        self.predict(drawings[-1].strokes, fmt="raw", image=True)

    def queues(self) -> dict:
        """`{"requests": admission stats, "models": {name: batcher stats}}` for `/health`."""
        return {
            "requests": self.admission.stats(),
            "models": {s.name: s.batcher.stats() for s in self.served},
        }

    def close(self) -> None:
        """Stop the batcher threads."""
        for served in self.served:
            served.batcher.close()

    def ensemble_info(self) -> dict | None:
        """How the ensemble answer pools the runs (`/health`, `/classes`); None without one.

        `{"weighting": "fitted" or "equal", "says": one line, "pool", "weights": {name: w},
        "folder": the ensemble folder or None}`.
        """
        if not self.has_ensemble:
            return None
        fitted = self.ensemble is not None
        total = float(sum(self.weights))
        return {
            "weighting": "fitted" if fitted else "equal",
            "says": "weights fitted on validation"
            if fitted
            else "equal weights (no ensemble folder)",
            "pool": self.pool,
            "weights": {n: w / total for n, w in zip(self.names, self.weights, strict=True)},
            "folder": str(self.ensemble.path) if fitted else None,
        }

    def classes_info(self) -> dict:
        """The body of `GET /classes`."""
        return {
            "models": {s.name: s.info() for s in self.served},
            "ensemble": self.shared if self.has_ensemble else None,
            "ensemble_weights": self.ensemble_info(),
        }

    def prepare(self, strokes, fmt: str = "auto"):
        """`(simplified strokes, ServingInk, Drawing)` for a checked drawing (nothing rendered
        yet: the served kinds render what they need, once, through the `ServingInk`)."""
        from seqdoodle.datasets.records import Drawing
        from seqdoodle.kinds.base import ServingInk

        simplified = simplified_strokes(strokes, fmt)
        drawing = Drawing(word="", strokes=simplified, source="request", fmt="simplified")
        return simplified, ServingInk(simplified, self._renderings), drawing

    def inputs(self, drawing, ink) -> list:
        """What each served run is given for one request (`ModelKind.serving_inputs`)."""
        return [s.model_kind.serving_inputs(drawing, ink, s.input_config) for s in self.served]

    async def predict_async(
        self, strokes, fmt: str = "auto", top_k: int = 3, image: bool = False
    ) -> dict:
        """The answer to one `/predict` request (see `answer`), awaiting the batchers."""
        simplified, ink, drawing = self.prepare(strokes, fmt)
        items = self.inputs(drawing, ink)
        futures = [
            asyncio.wrap_future(s.batcher.submit(item))
            for s, item in zip(self.served, items, strict=True)
        ]
        rows = await asyncio.gather(*futures)
        return self.answer(rows, simplified, ink, top_k, image)

    def predict(self, strokes, fmt: str = "auto", top_k: int = 3, image: bool = False) -> dict:
        """The answer to one request, synchronously (for scripts and tests)."""
        simplified, ink, drawing = self.prepare(strokes, fmt)
        items = self.inputs(drawing, ink)
        futures = [s.batcher.submit(i) for s, i in zip(self.served, items, strict=True)]
        return self.answer([f.result() for f in futures], simplified, ink, top_k, image)

    def ensemble_row(self, rows) -> np.ndarray:
        """The runs' pool over their shared classes (`self.shared` order).

        With an ensemble folder, its fitted weights and pool (`Ensemble.combine`); otherwise the
        equally weighted log pool: the geometric mean of the runs' probabilities of those
        classes, renormalised (`seqdoodle.evaluation.ensembles.pool_probs`), as `compare` pools
        them by default.
        """
        from seqdoodle.evaluation.ensembles import pool_probs

        shared = [
            np.asarray(r, np.float64)[None, i]
            for r, i in zip(rows, self._shared_index, strict=True)
        ]
        return pool_probs(shared, self.weights, self.pool)[0]

    def answer(self, rows, simplified, ink, top_k: int, image: bool = False) -> dict:
        """`{"models": {name: {"top": [...]}, ..., "ensemble": ...}, "simplified"}`, plus
        `"bitmap"` (the 28 px bitmap as a base64 PNG) when `image`."""
        models = {
            s.name: {"top": _top(row, s.classes, top_k)}
            for s, row in zip(self.served, rows, strict=True)
        }
        if self.has_ensemble:
            models["ensemble"] = {"top": _top(self.ensemble_row(rows), self.shared, top_k)}
        out = {"models": models, "simplified": simplified}
        if image:
            out["bitmap"] = bitmap_png(ink.bitmap(28))
        return out


def _top(row, classes, top_k: int) -> list[dict]:
    row = np.asarray(row, dtype=np.float64)
    order = np.argsort(-row, kind="stable")[: min(top_k, len(classes))]
    return [{"class": classes[j], "probability": float(row[j])} for j in order]


def load_engine(
    paths,
    max_batch: int = MAX_BATCH,
    warm: bool = True,
    backend: str = "auto",
    max_queue: int = MAX_QUEUE,
    max_wait_ms: float = MAX_WAIT_MS,
) -> Engine:
    """Load run folders, or one ensemble folder, and serve them.

    With `backend` `"auto"` or `"onnx"` the runs are opened without Keras (`open_served`): a run
    with a valid cached ONNX export is served without importing TensorFlow.

    Args:
        paths: list of str or PathLike. Run folders, or one ensemble folder (its members are
            served, pooled with its fitted weights).
        max_batch: int. Most drawings per model call. Defaults to 32.
        warm: bool. Trace the models first. Defaults to True.
        backend: str. `"auto"`, `"onnx"` or `"keras"` (see `Engine`). Defaults to `"auto"`.
        max_queue: int. Most drawings in progress and waiting per model (see `Engine`).
            Defaults to 16.
        max_wait_ms: float. Most expected milliseconds in the server for a new request (see
            `Engine`). Defaults to 50.

    Returns:
        `Engine`.

    Raises:
        MissingFileError, DataFormatError, IntegrityError: a folder that does not load (one
            line), or an ensemble folder given with other folders.
    """
    from seqdoodle.serve.loading import open_served

    runs, names, ensemble = open_served(list(paths), lean=backend != "keras")
    return Engine(
        runs,
        names,
        max_batch,
        warm,
        backend,
        max_queue=max_queue,
        ensemble=ensemble,
        max_wait_ms=max_wait_ms,
    )

"""The served models: load runs once, preprocess a drawing once, batch concurrent requests.

One `Engine` holds the runs. A request's drawing is checked, simplified exactly as `prepare` does
(`simplify_strokes` for raw drawings) and rendered once; each run then gets it through its own
`MicroBatcher`, a worker thread that takes every request waiting in its queue as one batch for
`Run.predict_proba`. That is the same call `seqdoodle predict` makes, so a served answer equals
the command's (the stroke model masks padding, so batch neighbours do not change a row). Batching
costs no wait: a batch starts as soon as the worker is free, holding whatever queued meanwhile.
"""

from __future__ import annotations

import asyncio
import base64
import io
import queue
import threading
from concurrent.futures import Future
from pathlib import Path

import numpy as np

from seqdoodle.errors import DataFormatError

MAX_BATCH = 32
_STOP = object()


class MicroBatcher:
    """Run `predict(items) -> (n, k) array` on a worker thread, batching queued items.

    Args:
        predict: callable. Takes a list of items, returns one row per item.
        max_batch: int. Most items in one call. Defaults to 32.
        name: str. Thread name. Defaults to `"batcher"`.

    Example:
    >>> b = MicroBatcher(lambda items: np.asarray(items)[:, None] * 2.0)
    >>> b.submit(3).result().tolist()
    [6.0]
    >>> b.close()
    """

    def __init__(self, predict, max_batch: int = MAX_BATCH, name: str = "batcher"):
        if max_batch < 1:
            raise DataFormatError(f"max_batch must be at least 1, got {max_batch}")
        self._predict = predict
        self._max_batch = int(max_batch)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self.batches = 0
        self.items = 0
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def submit(self, item) -> Future:
        """Queue one item; the future's result is its row."""
        future: Future = Future()
        self._queue.put((item, future))
        return future

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker after the queued items."""
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _work(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                batch.append(more)
            self._run(batch)
            if stop:
                return

    def _run(self, batch) -> None:
        try:
            rows = self._predict([item for item, _ in batch])
        except Exception as e:  # noqa: BLE001 - handed to every waiting request
            for _, future in batch:
                future.set_exception(e)
            return
        self.batches += 1
        self.items += len(batch)
        for (_, future), row in zip(batch, rows, strict=True):
            future.set_result(row)


def run_names(paths) -> list[str]:
    """A name per run: its folder name, made unique with `-2`, `-3`; `ensemble` is reserved."""
    names: list[str] = []
    for path in paths:
        base = Path(path).resolve().name or "run"
        name, i = base, 1
        while name in names or name == "ensemble":
            i += 1
            name = f"{base}-{i}"
        names.append(name)
    return names


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
        model_kind: `ModelKind`. What the run is fed (`serving_drawing`).
    """

    def __init__(
        self,
        name: str,
        run,
        max_batch: int = MAX_BATCH,
        backend: str = "keras",
        notes: list | None = None,
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
        self.batcher = MicroBatcher(self.predict, max_batch, name=f"predict-{name}")

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

    Example:
    >>> engine = Engine([load_run("runs/cnn"), load_run("runs/rnn")])  # doctest: +SKIP
    >>> engine.names  # doctest: +SKIP
    ['cnn', 'rnn']
    """

    def __init__(
        self, runs, names=None, max_batch: int = MAX_BATCH, warm: bool = True, backend: str = "auto"
    ):
        runs = list(runs)
        if not runs:
            raise DataFormatError("serve needs at least one run")
        names = run_names([r.path for r in runs]) if names is None else list(names)
        self.notes: list[str] = []
        self.served = [
            ServedRun(n, r, max_batch, backend, self.notes)
            for n, r in zip(names, runs, strict=True)
        ]
        self.names = [s.name for s in self.served]
        first = self.served[0].classes
        others = [set(s.classes) for s in self.served[1:]]
        self.shared = [c for c in first if all(c in o for o in others)]
        self._shared_index = [
            np.asarray([s.classes.index(c) for c in self.shared], np.int64) for s in self.served
        ]
        self.has_ensemble = len(self.served) > 1 and bool(self.shared)
        if warm:
            self.warm()

    def warm(self) -> None:
        """Predict synthetic batches of 1, 2, 3 and 8 drawings of growing length."""
        drawings = _warm_drawings(8)
        for served in self.served:
            for size in (1, 2, 3, 8):
                served.predict(drawings[:size])

    def close(self) -> None:
        """Stop the batcher threads."""
        for served in self.served:
            served.batcher.close()

    def classes_info(self) -> dict:
        """The body of `GET /classes`."""
        return {
            "models": {s.name: s.info() for s in self.served},
            "ensemble": self.shared if self.has_ensemble else None,
        }

    def prepare(self, strokes, fmt: str = "auto"):
        """`(simplified strokes, (28, 28) uint8 bitmap, Drawing)` for a checked drawing."""
        from seqdoodle.datasets.records import Drawing
        from seqdoodle.strokes.raster import render_bitmap

        simplified = simplified_strokes(strokes, fmt)
        bitmap = render_bitmap(simplified, size=28)
        try:
            drawing = Drawing(word="", strokes=simplified, source="request", fmt="simplified")
        except TypeError:  # a Drawing without the fmt field
            drawing = Drawing(word="", strokes=simplified, source="request")
        return simplified, bitmap, drawing

    def _input_for(self, served: ServedRun, drawing, bitmap):
        return served.model_kind.serving_drawing(drawing, bitmap, served.input_config)

    async def predict_async(self, strokes, fmt: str = "auto", top_k: int = 3) -> dict:
        """The answer to one `/predict` request (see `answer`), awaiting the batchers."""
        simplified, bitmap, drawing = self.prepare(strokes, fmt)
        futures = [
            asyncio.wrap_future(s.batcher.submit(self._input_for(s, drawing, bitmap)))
            for s in self.served
        ]
        rows = await asyncio.gather(*futures)
        return self.answer(rows, simplified, bitmap, top_k)

    def predict(self, strokes, fmt: str = "auto", top_k: int = 3) -> dict:
        """The answer to one request, synchronously (for scripts and tests)."""
        simplified, bitmap, drawing = self.prepare(strokes, fmt)
        futures = [s.batcher.submit(self._input_for(s, drawing, bitmap)) for s in self.served]
        return self.answer([f.result() for f in futures], simplified, bitmap, top_k)

    def ensemble_row(self, rows) -> np.ndarray:
        """The runs' equally weighted log pool over their shared classes (`self.shared` order).

        The geometric mean of the runs' probabilities of those classes, renormalised
        (`seqdoodle.evaluation.ensembles.pool_probs`), as `compare` pools them by default.
        """
        from seqdoodle.evaluation.ensembles import pool_probs

        shared = [
            np.asarray(r, np.float64)[None, i]
            for r, i in zip(rows, self._shared_index, strict=True)
        ]
        return pool_probs(shared, [1.0] * len(shared))[0]

    def answer(self, rows, simplified, bitmap, top_k: int) -> dict:
        """`{"models": {name: {"top": [...]}, ..., "ensemble": ...}, "simplified", "bitmap"}`."""
        models = {
            s.name: {"top": _top(row, s.classes, top_k)}
            for s, row in zip(self.served, rows, strict=True)
        }
        if self.has_ensemble:
            models["ensemble"] = {"top": _top(self.ensemble_row(rows), self.shared, top_k)}
        return {"models": models, "simplified": simplified, "bitmap": bitmap_png(bitmap)}


def _top(row, classes, top_k: int) -> list[dict]:
    row = np.asarray(row, dtype=np.float64)
    order = np.argsort(-row, kind="stable")[: min(top_k, len(classes))]
    return [{"class": classes[j], "probability": float(row[j])} for j in order]


def load_engine(
    paths, max_batch: int = MAX_BATCH, warm: bool = True, backend: str = "auto"
) -> Engine:
    """Load run folders and serve them.

    Args:
        paths: list of str or PathLike. Run folders.
        max_batch: int. Most drawings per model call. Defaults to 32.
        warm: bool. Trace the models first. Defaults to True.
        backend: str. `"auto"`, `"onnx"` or `"keras"` (see `Engine`). Defaults to `"auto"`.

    Returns:
        `Engine`.

    Raises:
        MissingFileError, DataFormatError: a run folder that does not load (one line).
    """
    from seqdoodle.runs.folder import load_run

    paths = list(paths)
    return Engine([load_run(p) for p in paths], run_names(paths), max_batch, warm, backend)

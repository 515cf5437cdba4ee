"""Bounded batching for the server: a worker thread per model and an admission limit per worker.

`MicroBatcher` runs one model on a worker thread: every item waiting in its queue when the worker
is free becomes one batch. Its queue is bounded: `submit` raises `Overloaded` at once when
`max_queue` items are waiting, so a burst can never pile up work or memory without limit.

`Admission` bounds a whole request, from its arrival to its answer: the app holds a place while
it parses, prepares and predicts a drawing, and answers 503 with `Retry-After` when the new
request's expected wait is over budget (or the count limit is reached). That is what keeps the
latency of the answered requests bounded under overload (the Python part of a request, not the
model, is what queues up when the server is busy); the batchers' own bound is the backstop for
callers that submit directly.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from contextlib import contextmanager

from seqdoodle.errors import DataFormatError, SeqdoodleError

MAX_BATCH = 32
MAX_QUEUE = 16
MAX_WAIT_MS = 50.0
FLOOR = 4
SMOOTHING = 0.05  # weight of the newest request in the moving average of seconds per request
RETRY_AFTER_S = 1
_STOP = object()


class Overloaded(SeqdoodleError):
    """The server holds as much work as it may: the request is refused before any work.

    Args:
        message: str. One line naming what is full.
        retry_after: int. Seconds the client should wait (the `Retry-After` header).
    """

    def __init__(self, message: str, retry_after: int = RETRY_AFTER_S):
        super().__init__(message)
        self.retry_after = int(retry_after)


def _check_limit(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DataFormatError(f"{name} must be an integer of at least 1, got {value!r}")
    return value


class MicroBatcher:
    """Run `predict(items) -> (n, k) array` on a worker thread, batching queued items.

    Args:
        predict: callable. Takes a list of items, returns one row per item.
        max_batch: int. Most items in one call. Defaults to 32.
        max_queue: int. Most items waiting for the worker; `submit` raises `Overloaded` beyond.
            Defaults to 16.
        name: str. Thread name and the name in error messages. Defaults to `"batcher"`.

    Example:
    >>> import numpy as np
    >>> b = MicroBatcher(lambda items: np.asarray(items)[:, None] * 2.0)
    >>> b.submit(3).result().tolist()
    [6.0]
    >>> b.stats()["items"]
    1
    >>> b.close()
    """

    def __init__(
        self,
        predict,
        max_batch: int = MAX_BATCH,
        max_queue: int = MAX_QUEUE,
        name: str = "batcher",
    ):
        self._predict = predict
        self._max_batch = _check_limit("max_batch", max_batch)
        self.max_queue = _check_limit("max_queue", max_queue)
        self.name = name
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._waiting = 0
        self.batches = 0
        self.items = 0
        self.rejected = 0
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    @property
    def depth(self) -> int:
        """Items waiting for the worker (not counting the batch it is running)."""
        return self._waiting

    def submit(self, item) -> Future:
        """Queue one item; the future's result is its row.

        Raises:
            Overloaded: `max_queue` items are waiting already (nothing is queued).
        """
        future: Future = Future()
        with self._lock:
            if self._waiting >= self.max_queue:
                self.rejected += 1
                raise Overloaded(
                    f"model {self.name!r} has {self._waiting} drawings waiting, its limit; "
                    f"retry in {RETRY_AFTER_S} s"
                )
            self._waiting += 1
        self._queue.put((item, future))
        return future

    def stats(self) -> dict:
        """`{"depth", "max_queue", "batches", "items", "rejected"}` (for `/health`)."""
        return {
            "depth": self._waiting,
            "max_queue": self.max_queue,
            "batches": self.batches,
            "items": self.items,
            "rejected": self.rejected,
        }

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
            with self._lock:
                self._waiting -= len(batch)
            # a future cancelled while it waited (its request gone) costs no model work
            batch = [(item, f) for item, f in batch if f.set_running_or_notify_cancel()]
            if batch:
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


class Admission:
    """A limit on requests in progress, set by their expected wait: `with admission.admit():`
    holds a place or raises `Overloaded`.

    A request is admitted when fewer than `floor` are in progress, or when its expected time in
    the server is within `max_wait_ms` and fewer than `limit` are in progress. The expected time
    is Little's law read backwards: `(in progress + 1) x seconds per request`, where seconds per
    request is a moving average of each finished request's time in progress divided by how many
    were in progress when it came in. So the limit follows the machine: a fast one admits more
    requests for the same wait, a slow one fewer, and the answered requests' latency stays near
    the budget however many clients arrive.

    Args:
        limit: int. Most requests in progress at once, whatever the wait. Defaults to 16.
        max_wait_ms: float. Most expected milliseconds in the server for a new request; 0 turns
            the wait limit off (only `limit` counts). Defaults to 50.
        floor: int. Requests in progress that are always admitted (light load is never refused,
            and the estimate keeps learning). Defaults to 4.

    Example:
    >>> admission = Admission(1)
    >>> with admission.admit():
    ...     admission.stats()["in_progress"]
    1
    >>> admission.stats()["in_progress"]
    0
    """

    def __init__(
        self, limit: int = MAX_QUEUE, max_wait_ms: float = MAX_WAIT_MS, floor: int = FLOOR
    ):
        self.limit = _check_limit("max_queue", limit)
        if (
            isinstance(max_wait_ms, bool)
            or not isinstance(max_wait_ms, (int, float))
            or not (0 <= max_wait_ms < float("inf"))
        ):
            raise DataFormatError(
                f"max_wait_ms must be a number of at least 0, got {max_wait_ms!r}"
            )
        self.max_wait_s = float(max_wait_ms) / 1000.0
        self.floor = min(_check_limit("floor", floor), self.limit)
        self._lock = threading.Lock()
        self.in_progress = 0
        self.admitted = 0
        self.rejected = 0
        self.seconds_per_request: float | None = None

    def expected_wait_s(self, in_progress: int | None = None) -> float | None:
        """Expected seconds in the server for a request arriving now (None before any answer)."""
        n = self.in_progress if in_progress is None else in_progress
        spr = self.seconds_per_request
        return None if spr is None else (n + 1) * spr

    @contextmanager
    def admit(self):
        """Hold a place for one request (a context manager).

        Raises:
            Overloaded: the place would exceed `limit`, or the expected wait `max_wait_ms`.
        """
        with self._lock:
            n = self.in_progress
            wait = self.expected_wait_s(n)
            over_wait = self.max_wait_s > 0 and wait is not None and wait > self.max_wait_s
            if n >= self.limit or (n >= self.floor and over_wait):
                self.rejected += 1
                if n >= self.limit:
                    why = f"its limit (--max-queue {self.limit})"
                else:
                    why = (
                        f"an expected wait of {wait * 1000:.0f} ms, over --max-wait-ms "
                        f"{self.max_wait_s * 1000:g}"
                    )
                raise Overloaded(
                    f"the server is busy with {n} drawings, {why}; retry in {RETRY_AFTER_S} s"
                )
            self.in_progress = n + 1
            self.admitted += 1
        started = time.perf_counter()
        try:
            yield self
        finally:
            sample = (time.perf_counter() - started) / (n + 1)
            with self._lock:
                self.in_progress -= 1
                spr = self.seconds_per_request
                self.seconds_per_request = (
                    sample if spr is None else spr + SMOOTHING * (sample - spr)
                )

    def stats(self) -> dict:
        """`{"in_progress", "max_queue", "max_wait_ms", "expected_wait_ms", "admitted",
        "rejected"}` (for `/health`); `expected_wait_ms` is None before the first answer."""
        wait = self.expected_wait_s()
        return {
            "in_progress": self.in_progress,
            "max_queue": self.limit,
            "max_wait_ms": self.max_wait_s * 1000.0,
            "expected_wait_ms": None if wait is None else round(wait * 1000.0, 3),
            "admitted": self.admitted,
            "rejected": self.rejected,
        }

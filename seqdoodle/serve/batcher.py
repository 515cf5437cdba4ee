"""Bounded batching for the server: a worker thread per model and an admission limit per worker.

`MicroBatcher` runs one model on a worker thread: every item waiting in its queue when the worker
is free becomes one batch. Its queue is bounded: `submit` raises `Overloaded` at once when
`max_queue` items are waiting, so a burst can never pile up work or memory without limit.

`Admission` bounds a whole request, from its arrival to its answer: the app holds a place while
it parses, prepares and predicts a drawing, and answers 503 with `Retry-After` when every place
is taken. That is what keeps the latency of the answered requests bounded under overload (the
Python part of a request, not the model, is what queues up when the server is busy); the
batchers' own bound is the backstop for callers that submit directly.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

from seqdoodle.errors import DataFormatError, SeqdoodleError

MAX_BATCH = 32
MAX_QUEUE = 16
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
    """A limit on requests in progress: `with admission:` holds a place or raises `Overloaded`.

    Args:
        limit: int. Most requests in progress at once. Defaults to 16.

    Example:
    >>> admission = Admission(1)
    >>> with admission:
    ...     admission.stats()["in_progress"]
    1
    >>> admission.stats()["in_progress"]
    0
    """

    def __init__(self, limit: int = MAX_QUEUE):
        self.limit = _check_limit("max_queue", limit)
        self._lock = threading.Lock()
        self.in_progress = 0
        self.admitted = 0
        self.rejected = 0

    def __enter__(self) -> Admission:
        with self._lock:
            if self.in_progress >= self.limit:
                self.rejected += 1
                raise Overloaded(
                    f"the server is busy with {self.in_progress} drawings, its limit "
                    f"(--max-queue {self.limit}); retry in {RETRY_AFTER_S} s"
                )
            self.in_progress += 1
            self.admitted += 1
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            self.in_progress -= 1

    def stats(self) -> dict:
        """`{"in_progress", "max_queue", "admitted", "rejected"}` (for `/health`)."""
        return {
            "in_progress": self.in_progress,
            "max_queue": self.limit,
            "admitted": self.admitted,
            "rejected": self.rejected,
        }

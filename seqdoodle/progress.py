"""Progress bars for long work (rich, on stderr)."""

from __future__ import annotations

import contextlib
import os
import sys
import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class _Silent:
    def add_task(self, *args, **kwargs):
        return 0

    def update(self, *args, **kwargs):
        pass

    def advance(self, *args, **kwargs):
        pass


class Reporter:
    """Prints one-line notes on stderr unless `progress` is False (None and True print)."""

    def __init__(self, progress: bool | None):
        self.enabled = progress is not False

    def __call__(self, message: str) -> None:
        if self.enabled:
            print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def progress_bars(enabled: bool | None = None):
    """A `rich.progress.Progress` on stderr, or a silent stand-in when disabled.

    Args:
        enabled: bool or None. None draws bars only when stderr is a terminal.
    """
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield _Silent()
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as bars:
        yield bars


HOLD_ENV = "SEQDOODLE_TEST_HOLD"
HOLD_SECONDS = 120  # then the job goes on, so a forgotten hold cannot hang a process for good


def hold_point(name: str, done: int) -> None:
    """For tests only: hold a long job at a known point so a test can signal it there.

    With `SEQDOODLE_TEST_HOLD=NAME:N:MARKER` in the environment, the call `hold_point(NAME, N)`
    creates the empty file MARKER and sleeps (`HOLD_SECONDS` at most): a test waits for MARKER,
    then sends Ctrl-C or SIGKILL, and the outcome no longer depends on the machine's speed.
    Without the variable (outside tests) this is one look-up.

    Args:
        name: str. The job, e.g. `"prepare"` (after each finished class).
        done: int. Items the job has finished, e.g. classes.
    """
    spec = os.environ.get(HOLD_ENV)
    if not spec:
        return
    point, _, rest = spec.partition(":")
    count, _, marker = rest.partition(":")
    if point != name or count != str(done):
        return
    os.close(os.open(marker, os.O_WRONLY | os.O_CREAT, 0o644))  # empty: its existence says it
    deadline = time.monotonic() + HOLD_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.05)

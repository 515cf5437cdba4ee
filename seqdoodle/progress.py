"""Progress bars for long work (rich, on stderr)."""

from __future__ import annotations

import contextlib
import sys

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

"""Shared helpers of the fault tests: CLI invocation and its one-line checks, bad-file writers,
folder snapshots; the local HTTP server is `tests.http_server.FileServer`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from seqdoodle.cli import app
from tests.http_server import GATE_BYTES, FileServer  # noqa: F401 (the shared test server)

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def invoke(*args, env: dict | None = None):
    """Run the typer app in-process with `args` (converted to str); returns click's Result."""
    return runner.invoke(app, [str(a) for a in args], env=env)


def output_lines(text: str) -> list[str]:
    """The non-empty lines of CLI output (TensorFlow's start-up log included: a command keeps it
    off stderr, see `tests/test_quiet_commands.py`)."""
    return [line for line in text.splitlines() if line.strip()]


def assert_one_error(result, *fragments: str) -> str:
    """Exit code 1, no traceback, exactly one line `Error: ...` that contains every fragment.

    Works for `CliRunner` results (`.output`, `.exit_code`) and `subprocess.CompletedProcess`.
    """
    text, code = _text_and_code(result)
    assert "Traceback" not in text, text
    assert code == 1, f"exit code {code}, expected 1:\n{text}"
    lines = output_lines(text)
    assert len(lines) == 1, f"expected one error line, got {len(lines)}:\n{text}"
    line = lines[0]
    assert line.startswith("Error: "), line
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


def assert_usage_error(result, *fragments: str) -> str:
    """Exit code 2 (bad command-line usage), no traceback; fragments appear in the output."""
    text, code = _text_and_code(result)
    assert "Traceback" not in text, text
    assert code == 2, f"exit code {code}, expected 2:\n{text}"
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    return text


def assert_ok(result) -> str:
    """Exit code 0 and no traceback; returns the output."""
    text, code = _text_and_code(result)
    assert "Traceback" not in text, text
    assert code == 0, f"exit code {code}, expected 0:\n{text}"
    return text


def _text_and_code(result) -> tuple[str, int]:
    if isinstance(result, subprocess.CompletedProcess):
        return (result.stdout or "") + (result.stderr or ""), result.returncode
    return result.output, result.exit_code


def cli_env(**extra) -> dict:
    """Environment of a real `python -m seqdoodle` subprocess (quiet TensorFlow, no debug)."""
    env = {k: v for k, v in os.environ.items() if k != "SEQDOODLE_DEBUG"}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONUNBUFFERED="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def cli_command(*args) -> list[str]:
    return [sys.executable, "-m", "seqdoodle", *map(str, args)]


def run_cli(*args, timeout: float = 120, cwd=None) -> subprocess.CompletedProcess:
    """Run the real entry point `python -m seqdoodle ARGS` and wait for it."""
    return subprocess.run(
        cli_command(*args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(),
        cwd=cwd or REPO,
    )


def start_cli(*args, cwd=None, hold: tuple[str, int, Path] | None = None) -> subprocess.Popen:
    """Start `python -m seqdoodle ARGS` in the background (stdout/stderr piped, text).

    The child takes Ctrl-C (SIGINT) even when these tests run in a background job, whose
    processes inherit SIGINT ignored. `hold=(job, n, marker)` sets `SEQDOODLE_TEST_HOLD`: the job
    creates `marker` and waits after its `n`th item (see `seqdoodle.progress.hold_point`).
    """
    extra = {"SEQDOODLE_TEST_HOLD": ":".join(map(str, hold))} if hold else {}
    with _sigint_handled():
        return subprocess.Popen(
            cli_command(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(**extra),
            cwd=cwd or REPO,
        )


@contextlib.contextmanager
def _sigint_handled():
    """SIGINT handled (not ignored) in this process while a child starts.

    A child inherits an ignored signal through exec, and Python then never turns Ctrl-C into
    KeyboardInterrupt; a handled one is reset to the default at exec, as in a terminal.
    """
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None):
    """Poll `predicate()` every 20 ms until it is truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"process ended ({proc.returncode}) before {what}:\n{out}{err}")
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


# ----------------------------------------------------------------------------- bad files


def drawing_line(strokes, word: str = "cat", **fields) -> str:
    """One ndjson line in Google's format (compact JSON)."""
    return json.dumps({"word": word, "drawing": strokes, **fields}, separators=(",", ":"))


GOOD_STROKES = [[[0, 100, 255], [0, 200, 30]], [[10, 10], [0, 255]]]
GOOD_RAW = [[[10.5, 60.0, 300.25], [5.0, 90.5, 40.0], [0, 17, 34]]]


def good_line(i: int = 0, word: str = "cat") -> str:
    """A valid simplified drawing; `i` moves it so lines differ."""
    strokes = [[[min(255, x + i) for x in s[0]], s[1]] for s in GOOD_STROKES]
    return drawing_line(strokes, word, key_id=str(1000 + i))


def write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def long_drawing(n_points: int = 10_000, n_strokes: int = 10) -> list:
    """A valid simplified drawing of `n_points` points (ints 0..255) in `n_strokes` strokes."""
    per = n_points // n_strokes
    strokes = []
    for s in range(n_strokes):
        xs = [(7 * i + 13 * s) % 256 for i in range(per)]
        ys = [(3 * i + 29 * s) % 256 for i in range(per)]
        strokes.append([xs, ys])
    return strokes


# ----------------------------------------------------------------------------- folders


def snapshot(folder: Path, hidden: bool = False) -> dict[str, bytes]:
    """Every file under `folder` as relative path -> bytes (hidden names only when asked)."""
    out = {}
    for path in sorted(Path(folder).rglob("*")):
        rel = path.relative_to(folder)
        if not hidden and any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_file():
            out[str(rel)] = path.read_bytes()
    return out


def assert_same_files(a: Path, b: Path) -> None:
    """The visible files of two folders are the same names with the same bytes."""
    left, right = snapshot(a), snapshot(b)
    assert sorted(left) == sorted(right)
    differ = [name for name in left if left[name] != right[name]]
    assert not differ, f"files differ: {differ}"


def corruption_params(corruptions, select=lambda case: True):
    """pytest params `(corrupt, error, fragment, file name)` from a table of named corruptions."""
    import pytest

    return [
        pytest.param(corrupt, error, fragment, name, id=case)
        for case, corrupt, error, fragment, name in corruptions
        if select(case)
    ]

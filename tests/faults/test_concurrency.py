"""Two processes writing into one folder: the second fails at once with one lock line (exit 1),
the first finishes with the same bytes as a run that was alone.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from seqdoodle.fileio import folder_lock
from tests.faults.helpers import (
    FileServer,
    assert_ok,
    assert_one_error,
    assert_same_files,
    invoke,
    run_cli,
    start_cli,
    wait_for,
)

PREPARE_ARGS = ("--per-class", 250, "--seed", 5, "--no-progress")


@pytest.mark.slow
def test_two_prepares_into_one_folder(tmp_path):
    alone, shared = tmp_path / "alone", tmp_path / "shared"
    assert_ok(run_cli("prepare", "--out", alone, *PREPARE_ARGS))
    first = start_cli("prepare", "--out", shared, *PREPARE_ARGS)
    wait_for(lambda: (shared / ".parts" / "args.json").exists(), 60, "the first prepare", first)
    second = run_cli("prepare", "--out", shared, *PREPARE_ARGS)
    assert first.poll() is None, "the first prepare ended before the second started"
    assert_one_error(second, str(shared), "another prepare process is writing here")
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert_same_files(shared, alone)


@pytest.mark.slow
def test_two_downloads_into_one_folder(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "raw").mkdir(parents=True)
    data = np.random.default_rng(1).integers(0, 256, 1_500_000, dtype=np.uint8).tobytes()
    (mirror / "raw" / "cat.ndjson").write_bytes(data)
    dest = tmp_path / "data"
    args = ("download", "--format", "raw", "--classes", "cat", "--out", dest)
    gate = threading.Event()  # holds the first download after its first 128 KiB
    with FileServer(mirror, chunk=1 << 15, gate=gate) as server:
        first = start_cli(*args, "--base-url", server.url)
        part = dest / "raw" / "cat.ndjson.part"
        wait_for(lambda: part.exists() and part.stat().st_size > 0, 60, "the first download", first)
        second = run_cli(*args, "--base-url", server.url)
        assert first.poll() is None
        gate.set()
        assert_one_error(second, str(dest), "another download process is writing here")
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert (dest / "raw" / "cat.ndjson").read_bytes() == data
    assert len(server.requests) == 1  # the refused process asked for nothing


@pytest.mark.parametrize(
    "command",
    [
        ("prepare", "--out", "{f}", "--per-class", 5),
        ("download", "--format", "raw", "--classes", "cat", "--out", "{f}", "--base-url", "{f}"),
        ("analyze", "--out", "{f}", "--per-class", 5),
        ("train", "cnn", "--data", "{d}", "--out", "{f}", "--epochs", 1),
        ("compare", "--runs", "{c},{r}", "--data", "{d}", "--out", "{f}"),
    ],
    ids=lambda c: c[0],
)
def test_locked_folder_is_one_line(tmp_path, command, shape_dataset, cnn_run, rnn_run):
    """A folder locked by another writer (held here) is refused at once, and left untouched."""
    folder = tmp_path / "busy folder"
    subs = {"{f}": folder, "{d}": shape_dataset, "{c}": cnn_run, "{r}": rnn_run}
    args = [str(a) for a in command]
    for key, value in subs.items():
        args = [a.replace(key, str(value)) for a in args]
    if command[0] in ("train", "compare"):
        pytest.importorskip("seqdoodle.training")
    with folder_lock(folder, "test"):
        result = invoke(*args)
    if command[0] == "analyze":  # analyze writes only atomically replaced files: no lock needed
        assert_ok(result)
        return
    assert_one_error(result, str(folder), "process is writing here")
    assert sorted(p.name for p in folder.iterdir()) == [".lock"]

"""Interrupted commands (SIGKILL, Ctrl-C) resume to the result of an uninterrupted run.

Each test runs the real entry point (`python -m seqdoodle ...`) as a subprocess, stops it at a
seeded random point (SIGKILL) or where it is held (Ctrl-C: `prepare` waits at a hold point, see
`seqdoodle.progress.hold_point`; the test server holds a `download`), checks that nothing
half-written carries a final name, reruns the same command and compares with an uninterrupted
run: byte for byte for `download` and `prepare`, epoch history for `train`.
"""

from __future__ import annotations

import json
import random
import signal
import threading
import time

import numpy as np
import pytest

from seqdoodle.datasets.prepared import PreparedDataset
from seqdoodle.errors import MissingFileError
from tests.faults.helpers import (
    GATE_BYTES,
    FileServer,
    assert_ok,
    assert_same_files,
    invoke,
    output_lines,
    run_cli,
    start_cli,
    wait_for,
)

pytestmark = pytest.mark.slow

RESUME_HINT = "Interrupted. Finished work is kept; rerun the same command to resume."
PREPARE_ARGS = ("--per-class", 150, "--seed", 3, "--no-progress")
N_CLASSES = 12  # the synthetic classes


def stop(proc, sig) -> tuple[int, str, str]:
    """Send `sig` to `proc`, wait for it; returns (exit code, stdout, stderr)."""
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def parts_done(folder):
    parts = folder / ".parts"
    return len(list(parts.glob("*.json"))) - 1 if parts.is_dir() else 0  # minus args.json


def check_no_half_dataset(folder):
    """Either no manifest (and then the folder does not open) or a complete, verified dataset."""
    if (folder / "manifest.json").exists():
        PreparedDataset(folder)  # verifies every array against its hash
    else:
        with pytest.raises(MissingFileError):
            PreparedDataset(folder)


@pytest.fixture(scope="module")
def reference_dataset(tmp_path_factory):
    """The uninterrupted result of `prepare PREPARE_ARGS`."""
    out = tmp_path_factory.mktemp("reference") / "ds"
    assert_ok(run_cli("prepare", "--out", out, *PREPARE_ARGS))
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_prepare_killed_at_a_random_point_resumes_byte_identical(tmp_path, reference_dataset, seed):
    rng = random.Random(seed)
    out = tmp_path / "ds"
    proc = start_cli("prepare", "--out", out, *PREPARE_ARGS)
    k = rng.randint(1, N_CLASSES - 2)
    wait_for(lambda: parts_done(out) >= k, 60, f"{k} finished classes", proc)
    time.sleep(rng.uniform(0, 0.2))
    code, _, _ = stop(proc, signal.SIGKILL)
    assert code == -signal.SIGKILL
    check_no_half_dataset(out)
    result = run_cli("prepare", "--out", out, *PREPARE_ARGS)
    assert_ok(result)
    assert_same_files(out, reference_dataset)
    assert not (out / ".parts").exists()


class _Crash(BaseException):
    """Stands for a SIGKILL: no handler of the code under test catches it."""


@pytest.mark.parametrize("crash_at", [1, 4, "manifest"])
def test_prepare_crash_while_assembling_resumes_byte_identical(
    tmp_path, reference_dataset, monkeypatch, crash_at
):
    """A crash after `crash_at` arrays got their final names (or just before the manifest)."""
    from seqdoodle.datasets import prepared
    from seqdoodle.datasets.prepare import prepare

    commits = []
    original_commit, original_write_json = prepared._NpyStream.commit, prepared.write_json

    def commit(stream):
        if len(commits) == crash_at:
            raise _Crash
        commits.append(stream.path.name)
        original_commit(stream)

    def write_json(path, obj):
        if crash_at == "manifest" and path.name == "manifest.json":
            raise _Crash
        original_write_json(path, obj)

    monkeypatch.setattr(prepared._NpyStream, "commit", commit)
    monkeypatch.setattr(prepared, "write_json", write_json)
    out = tmp_path / "ds"
    with pytest.raises(_Crash):
        prepare("synthetic", out, per_class=150, seed=3, progress=False)
    assert len(commits) == (6 if crash_at == "manifest" else crash_at)
    check_no_half_dataset(out)
    monkeypatch.undo()
    assert_ok(invoke("prepare", "--out", out, *PREPARE_ARGS))
    assert_same_files(out, reference_dataset)


def test_hold_point_holds_only_where_asked(tmp_path, monkeypatch):
    import seqdoodle.progress as progress

    held = tmp_path / "held"
    monkeypatch.setattr(progress, "HOLD_SECONDS", 0.3)
    monkeypatch.delenv(progress.HOLD_ENV, raising=False)
    progress.hold_point("prepare", 2)
    monkeypatch.setenv(progress.HOLD_ENV, f"prepare:2:{held}")
    for name, done in (("prepare", 1), ("download", 2)):
        progress.hold_point(name, done)
    assert not held.exists()
    start = time.monotonic()
    progress.hold_point("prepare", 2)
    assert held.exists() and time.monotonic() - start >= 0.3


def test_prepare_ctrl_c_stops_cleanly_and_resumes(tmp_path, reference_dataset):
    """Ctrl-C while prepare is held after its first class (not a race against the clock)."""
    out, held = tmp_path / "ds", tmp_path / "held"
    proc = start_cli("prepare", "--out", out, *PREPARE_ARGS, hold=("prepare", 1, held))
    wait_for(held.exists, 120, "prepare held after its first class", proc)
    code, stdout, stderr = stop(proc, signal.SIGINT)
    assert code == 130, stderr
    assert "Traceback" not in stdout + stderr
    assert output_lines(stderr) == [RESUME_HINT]
    assert parts_done(out) == 1
    check_no_half_dataset(out)
    assert not list(out.rglob(".*.tmp-*")) and not list(out.glob(".*.assembling"))
    assert_ok(run_cli("prepare", "--out", out, *PREPARE_ARGS))
    assert_same_files(out, reference_dataset)
    assert not (out / ".parts").exists()


# ----------------------------------------------------------------------------- download


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """A bucket-layout folder with two large-ish bitmap files (2 MB and 1 MB)."""
    root = tmp_path_factory.mktemp("mirror")
    (root / "numpy_bitmap").mkdir()
    rng = np.random.default_rng(0)
    for name, n in (("The Eiffel Tower", 2600), ("cat", 1300)):
        array = (rng.random((n, 784)) < 0.2).astype(np.uint8) * 255
        np.save(root / "numpy_bitmap" / f"{name}.npy", array)
    return root


def download_args(dest, url):
    return ("download", "--format", "bitmap", "--classes", "The Eiffel Tower,cat",
            "--out", dest, "--base-url", url)  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1])
def test_download_killed_mid_file_resumes_byte_identical(tmp_path, mirror, seed):
    rng = random.Random(seed)
    dest = tmp_path / "data"
    part = dest / "numpy_bitmap" / "The Eiffel Tower.npy.part"
    total = (mirror / "numpy_bitmap" / "The Eiffel Tower.npy").stat().st_size
    threshold = rng.randint(total // 10, total // 2)
    with FileServer(mirror, chunk=1 << 15, delay=0.02) as server:
        proc = start_cli(*download_args(dest, server.url))
        wait_for(
            lambda: part.exists() and part.stat().st_size >= threshold, 60, "half a file", proc
        )
        stop(proc, signal.SIGKILL)
        assert not (dest / "numpy_bitmap" / "The Eiffel Tower.npy").exists()
        assert not (dest / "numpy_bitmap" / "cat.npy").exists()
        kept = part.stat().st_size
        assert 0 < kept < total
        server.delay = 0
        assert_ok(run_cli(*download_args(dest, server.url)))
    assert_same_files(dest / "numpy_bitmap", mirror / "numpy_bitmap")
    assert not part.exists()
    ranges = [r for _, r in server.requests if r]
    assert ranges == [f"bytes={kept}-"]  # resumed where the killed run stopped, not restarted


def test_download_ctrl_c_keeps_finished_files_and_resumes(tmp_path, mirror):
    dest = tmp_path / "data"
    first = dest / "numpy_bitmap" / "The Eiffel Tower.npy"
    second = dest / "numpy_bitmap" / "cat.npy.part"
    gate = threading.Event()  # the server holds the second file after its first GATE_BYTES

    def held():  # the downloader has written GATE_BYTES of the second file and waits for more
        return first.exists() and second.exists() and second.stat().st_size == GATE_BYTES

    with FileServer(mirror, chunk=1 << 15, gate=gate, gate_path="cat") as server:
        proc = start_cli(*download_args(dest, server.url))
        wait_for(held, 120, "the second file held by the server", proc)
        code, stdout, stderr = stop(proc, signal.SIGINT)
        gate.set()
        assert code == 130, stderr
        assert "Traceback" not in stdout + stderr
        assert output_lines(stderr) == [RESUME_HINT]
        assert second.stat().st_size == GATE_BYTES  # the unfinished file is kept to resume
        assert not (dest / "numpy_bitmap" / "cat.npy").exists()
        n_requests = len(server.requests)
        server.gate = None
        assert_ok(run_cli(*download_args(dest, server.url)))
    assert_same_files(dest / "numpy_bitmap", mirror / "numpy_bitmap")
    # the finished file was not fetched again; the held one resumed where Ctrl-C stopped it
    assert server.requests[n_requests:] == [("/numpy_bitmap/cat.npy", f"bytes={GATE_BYTES}-")]


# ----------------------------------------------------------------------------- train


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    from seqdoodle.datasets.prepare import prepare

    out = tmp_path_factory.mktemp("tiny") / "ds"
    prepare("synthetic", out, classes=["circle", "square", "star"], per_class=40, progress=False)
    return out


def read_state(run):
    return json.loads((run / "checkpoint" / "state.json").read_text())


EPOCHS = 8


def train_args(data, run):
    return ("train", "cnn", "--data", data, "--out", run, "--arch", "baseline",
            "--epochs", EPOCHS, "--batch-size", 16, "--patience", EPOCHS)  # fmt: skip


def test_train_killed_then_interrupted_continues_from_last_epoch(tmp_path, tiny_dataset):
    pytest.importorskip("seqdoodle.training")
    from seqdoodle.runs.folder import load_run

    run = tmp_path / "run"
    # 1. SIGKILL right after the first epoch's checkpoint
    proc = start_cli(*train_args(tiny_dataset, run))
    wait_for((run / "checkpoint" / "state.json").exists, 120, "the first checkpoint", proc)
    stop(proc, signal.SIGKILL)
    killed = read_state(run)
    e1 = killed["epoch"]
    assert 1 <= e1 < EPOCHS and not killed["finished"]
    load_run(run)  # the model under its final name loads

    # 2. rerun, then Ctrl-C once it has gone past the killed epoch
    proc = start_cli(*train_args(tiny_dataset, run))
    wait_for(lambda: read_state(run)["epoch"] > e1, 120, "an epoch after resuming", proc)
    code, stdout, stderr = stop(proc, signal.SIGINT)
    assert "Traceback" not in stdout + stderr
    assert f"resuming after epoch {e1}" in stderr
    interrupted = read_state(run)
    e2 = interrupted["epoch"]
    assert e1 < e2 <= EPOCHS
    # every committed epoch is in the history once, in order: none lost or redone
    assert interrupted["history"]["epoch"] == list(range(1, e2 + 1))
    if code == 0:  # Ctrl-C arrived after the last epoch: nothing was left to stop
        assert interrupted["finished"] and e2 == EPOCHS
    else:
        assert code == 130, stderr
        assert RESUME_HINT in output_lines(stderr)
        # a stopped run is not marked finished (unless the stop came after its last write)
        assert not interrupted["finished"] or (run / "metrics.json").is_file()
        if e2 < EPOCHS:
            assert not interrupted["finished"]
    load_run(run)
    for key in ("seconds", "loss", "accuracy"):  # epochs before the kill are kept, not redone
        assert interrupted["history"][key][:e1] == killed["history"][key][:e1]

    # 3. finish (in-process: TensorFlow is loaded here already)
    assert_ok(invoke(*train_args(tiny_dataset, run), "--no-progress"))
    final = read_state(run)
    assert final["finished"] and final["history"]["epoch"] == list(range(1, EPOCHS + 1))
    for key in ("seconds", "loss", "val_accuracy"):
        assert final["history"][key][:e2] == interrupted["history"][key][:e2]
    history = json.loads((run / "history.json").read_text())
    assert history["seconds"] == final["history"]["seconds"]
    assert (run / "metrics.json").exists()
    assert load_run(run).model.output_shape[-1] == 3


def test_train_stopped_before_the_first_checkpoint_resumes(tmp_path, tiny_dataset, monkeypatch):
    """Ctrl-C while epoch 1's history/figure is written (after model.keras, before checkpoint/)."""
    training = pytest.importorskip("seqdoodle.training")

    def interrupted(self):
        raise KeyboardInterrupt

    run = tmp_path / "run"
    args = ("train", "cnn", "--data", tiny_dataset, "--out", run, "--arch", "baseline",
            "--epochs", 2, "--batch-size", 16, "--no-progress")  # fmt: skip
    with monkeypatch.context() as patch:
        patch.setattr(training._Trainer, "_write_history", interrupted)
        result = invoke(*args)
    assert result.exit_code == 130 and RESUME_HINT in result.output
    assert_ok(invoke(*args))  # the hint says: rerun the same command to resume

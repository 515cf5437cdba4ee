"""Tests for seqdoodle.datasets.sources and `seqdoodle download`, against a local HTTP server.

The server (`tests.http_server.FileServer`, 127.0.0.1, port 0) serves a generated mirror in
Google's layout and supports Range; `server.mode` makes it misbehave: drop the first connection
midway, answer 503 once, ignore Range, resume at the wrong byte, send more than it announced;
`server.gate` holds the body until it is set.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from seqdoodle import fileio
from seqdoodle.cli import app
from seqdoodle.datasets.sources import GOOGLE_BASE_URL, bucket_url, download
from seqdoodle.errors import DownloadError, LockedError, UnknownClassError
from tests.http_server import FileServer

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def mirror(tmp_path_factory):
    """A folder in Google's layout: numpy_bitmap/{cat, The Eiffel Tower}.npy, simplified/cat."""
    root = tmp_path_factory.mktemp("mirror")
    rng = np.random.default_rng(0)
    (root / "numpy_bitmap").mkdir()
    (root / "simplified").mkdir()
    np.save(root / "numpy_bitmap" / "cat.npy", rng.integers(0, 256, (300, 784), dtype=np.uint8))
    np.save(root / "numpy_bitmap" / "The Eiffel Tower.npy", rng.integers(0, 256, (5, 784), "u1"))
    (root / "simplified" / "cat.ndjson").write_bytes((FIXTURES / "raw_small.ndjson").read_bytes())
    return root


@pytest.fixture
def server(mirror):
    with FileServer(mirror, gate_after=100) as srv:
        yield srv


def _get(classes, dest, base, **kwargs):
    kwargs = {"retries": 2, "backoff": 0, "progress": False, "timeout": 10, **kwargs}
    return download(classes, "bitmap", dest, base_url=base, **kwargs)


def _same(a: Path, b: Path) -> bool:
    return a.read_bytes() == b.read_bytes()


def test_bucket_url_quotes_spaces():
    assert bucket_url(GOOGLE_BASE_URL, "simplified", "The Eiffel Tower") == (
        "https://storage.googleapis.com/quickdraw_dataset/full/simplified/The%20Eiffel%20Tower.ndjson"
    )
    assert bucket_url("http://h/x/", "raw", "cat") == "http://h/x/raw/cat.ndjson"
    assert bucket_url("/data/m", "bitmap", "hot dog") == "/data/m/numpy_bitmap/hot dog.npy"
    with pytest.raises(ValueError, match="format"):
        bucket_url(GOOGLE_BASE_URL, "svg", "cat")


def test_http_download(server, mirror, tmp_path):
    paths = _get("cat,The Eiffel Tower", tmp_path, server.url)
    assert paths == [
        tmp_path / "numpy_bitmap" / "cat.npy",
        tmp_path / "numpy_bitmap" / "The Eiffel Tower.npy",
    ]
    assert _same(paths[0], mirror / "numpy_bitmap" / "cat.npy")
    assert _same(paths[1], mirror / "numpy_bitmap" / "The Eiffel Tower.npy")
    assert ("/numpy_bitmap/The%20Eiffel%20Tower.npy", None) in server.log
    assert not list(tmp_path.rglob("*.part"))


def test_dropped_connection_resumes_with_range(server, mirror, tmp_path):
    server.mode = "drop_first"
    (path,) = _get("cat", tmp_path, server.url)
    source = mirror / "numpy_bitmap" / "cat.npy"
    assert _same(path, source)
    assert len(server.log) == 2
    first, second = server.log
    assert first[1] is None
    offset = int(second[1].removeprefix("bytes=").rstrip("-"))
    assert 0 < offset < source.stat().st_size  # resumed, not restarted


@pytest.mark.parametrize("mode", ["reset_first", "stall_first"])
def test_reset_and_timeout_are_retried(server, mirror, tmp_path, mode):
    server.mode = mode
    (path,) = _get("cat", tmp_path, server.url, timeout=0.5)
    assert _same(path, mirror / "numpy_bitmap" / "cat.npy")
    assert len(server.log) == 2
    assert not (tmp_path / "numpy_bitmap" / "cat.npy.part").exists()


def test_503_once_is_retried(server, mirror, tmp_path):
    server.mode = "503_once"
    (path,) = _get("cat", tmp_path, server.url)
    assert _same(path, mirror / "numpy_bitmap" / "cat.npy")
    assert len(server.log) == 2


def test_503_always_fails_after_retries(server, tmp_path):
    server.mode = "503_always"
    with pytest.raises(DownloadError) as info:
        _get("cat", tmp_path, server.url, retries=2)
    message = str(info.value)
    assert f"{server.url}/numpy_bitmap/cat.npy" in message and "503" in message
    assert "\n" not in message
    assert len(server.log) == 3
    assert not (tmp_path / "numpy_bitmap" / "cat.npy").exists()


def test_server_ignoring_range_restarts(server, mirror, tmp_path):
    server.mode = "ignore_range"
    part = tmp_path / "numpy_bitmap" / "cat.npy.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"\0" * 5000)  # wrong bytes: only a restart gives the right file
    (path,) = _get("cat", tmp_path, server.url)
    assert _same(path, mirror / "numpy_bitmap" / "cat.npy")
    assert server.log == [("/numpy_bitmap/cat.npy", "bytes=5000-")]
    assert not part.exists()


def test_partial_file_is_resumed(server, mirror, tmp_path):
    source = (mirror / "numpy_bitmap" / "cat.npy").read_bytes()
    part = tmp_path / "numpy_bitmap" / "cat.npy.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(source[:12345])
    (path,) = _get("cat", tmp_path, server.url)
    assert path.read_bytes() == source
    assert server.log == [("/numpy_bitmap/cat.npy", "bytes=12345-")]


def test_complete_part_is_renamed(server, mirror, tmp_path):
    source = (mirror / "numpy_bitmap" / "cat.npy").read_bytes()
    part = tmp_path / "numpy_bitmap" / "cat.npy.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(source)
    (path,) = _get("cat", tmp_path, server.url)  # the server answers 416
    assert path.read_bytes() == source and not part.exists()


def test_404_names_url_and_status(server, tmp_path):
    with pytest.raises(DownloadError) as info:
        download("cat", "raw", tmp_path, base_url=server.url, progress=False, backoff=0)
    assert str(info.value) == f"{server.url}/raw/cat.ndjson: HTTP 404 Not Found"
    assert len(server.log) == 1  # not retried
    assert not (tmp_path / "raw" / "cat.ndjson").exists()
    assert not (tmp_path / "raw" / "cat.ndjson.part").exists()


def test_complete_files_are_skipped(server, tmp_path):
    final = tmp_path / "numpy_bitmap" / "cat.npy"
    final.parent.mkdir(parents=True)
    final.write_bytes(b"kept")
    assert _get("cat", tmp_path, server.url) == [final]
    assert server.log == []
    assert final.read_bytes() == b"kept"


def test_file_url_and_plain_folder(mirror, tmp_path):
    source = mirror / "numpy_bitmap" / "The Eiffel Tower.npy"
    (a,) = _get("The Eiffel Tower", tmp_path / "a", mirror.as_uri())
    (b,) = _get("The Eiffel Tower", tmp_path / "b", str(mirror))
    assert _same(a, source) and _same(b, source)
    (c,) = download("cat", "simplified", tmp_path / "c", base_url=str(mirror), progress=False)
    assert c == tmp_path / "c" / "simplified" / "cat.ndjson"
    assert _same(c, mirror / "simplified" / "cat.ndjson")


def test_local_bitmap_folder_alias_and_missing(mirror, tmp_path):
    (mirror / "numpy_bitmap").rename(mirror / "bitmap")
    (path,) = _get("cat", tmp_path, str(mirror))
    assert _same(path, mirror / "bitmap" / "cat.npy")
    with pytest.raises(DownloadError, match="dog.npy: no such file"):
        _get("dog", tmp_path, str(mirror))
    assert not (tmp_path / "numpy_bitmap" / "dog.npy").exists()


def test_env_base_url(server, mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("SEQDOODLE_BASE_URL", server.url)
    (path,) = _get("cat", tmp_path, None)
    assert _same(path, mirror / "numpy_bitmap" / "cat.npy")
    assert len(server.log) == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_host_is_one_line(tmp_path):
    base = f"http://127.0.0.1:{_closed_port()}/full"
    with pytest.raises(DownloadError) as info:
        _get("cat", tmp_path, base, retries=1)
    message = str(info.value)
    assert message.startswith(f"cannot reach {base}/numpy_bitmap/cat.npy: ")
    assert "refused" in message.lower() and "2 tries" in message
    assert "\n" not in message
    assert not list((tmp_path / "numpy_bitmap").iterdir())


def test_unknown_class_and_scheme(tmp_path):
    with pytest.raises(UnknownClassError, match="Did you mean: cat"):
        _get("catt", tmp_path, "http://127.0.0.1:9/")
    with pytest.raises(DownloadError, match="unsupported URL scheme"):
        _get("cat", tmp_path, "ftp://example.invalid/full")


def test_two_downloads_into_one_folder(server, mirror, tmp_path):
    server.gate = threading.Event()  # hold each body after 100 bytes until set
    errors = []

    def first():
        try:
            _get("cat", tmp_path, server.url)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    thread = threading.Thread(target=first)
    thread.start()
    assert server.started.wait(10)
    with pytest.raises(LockedError, match="another download process"):
        _get("The Eiffel Tower", tmp_path, server.url)
    server.gate.set()
    thread.join(10)
    assert errors == []
    assert _same(tmp_path / "numpy_bitmap" / "cat.npy", mirror / "numpy_bitmap" / "cat.npy")
    assert not (tmp_path / "numpy_bitmap" / "The Eiffel Tower.npy").exists()


def test_lock_held_by_another_writer(mirror, tmp_path):
    with fileio.folder_lock(tmp_path), pytest.raises(LockedError):
        _get("cat", tmp_path, str(mirror))
    assert not (tmp_path / "numpy_bitmap" / "cat.npy").exists()


def test_progress_bars_on_stderr(mirror, tmp_path, capsys):
    _get("cat,The Eiffel Tower", tmp_path, str(mirror), progress=True)
    captured = capsys.readouterr()
    assert "2/2" in captured.err
    assert captured.out == ""


def test_cli_unknown_class_is_one_line(tmp_path):
    result = CliRunner().invoke(
        app, ["download", "--format", "bitmap", "--classes", "cat,catt", "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "Unknown class 'catt'" in lines[0] and "Did you mean" in lines[0]
    assert not (tmp_path / "numpy_bitmap").exists()


def test_cli_downloads(server, mirror, tmp_path):
    args = [
        "download",
        "-f",
        "bitmap",
        "--classes",
        "cat, The Eiffel Tower",
        "--out",
        str(tmp_path),
        "--base-url",
        server.url,
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for name in ("cat.npy", "The Eiffel Tower.npy"):
        assert _same(tmp_path / "numpy_bitmap" / name, mirror / "numpy_bitmap" / name)
        assert str(tmp_path / "numpy_bitmap" / name) in result.stdout


def test_cli_default_dest_and_usage_errors(mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("SEQDOODLE_DATA", str(tmp_path / "home"))
    base = ["download", "-f", "simplified", "--base-url", str(mirror)]
    result = CliRunner().invoke(app, [*base, "--classes", "cat"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "simplified" / "cat.ndjson").is_file()
    assert CliRunner().invoke(app, [*base, "--classes", "cat", "--all"]).exit_code == 2
    assert CliRunner().invoke(app, base).exit_code == 2
    assert CliRunner().invoke(app, ["download", "-f", "svg", "--classes", "cat"]).exit_code == 2


# ----------------------------------------------------------------------------- binary, sketch-rnn


def _add_formats(mirror):
    """Google's `full/binary/<class>.bin` and `sketchrnn/<class>.npz` (beside `full/`)."""
    rng = np.random.default_rng(1)
    (mirror / "binary").mkdir(exist_ok=True)
    (mirror / "sketchrnn").mkdir(exist_ok=True)
    (mirror / "binary" / "The Eiffel Tower.bin").write_bytes(rng.bytes(40_000))
    (mirror / "sketchrnn" / "cat.npz").write_bytes(rng.bytes(30_000))


@pytest.mark.parametrize(
    ("fmt", "name", "folder"),
    [("binary", "The Eiffel Tower", "binary"), ("sketchrnn", "cat", "sketchrnn")],
)
def test_binary_and_sketchrnn_resume_after_a_dropped_connection(
    server, mirror, tmp_path, fmt, name, folder
):
    _add_formats(mirror)
    server.mode = "drop_first"
    (path,) = download(name, fmt, tmp_path, base_url=server.url, retries=2, backoff=0,
                       progress=False, timeout=10)  # fmt: skip
    ext = ".bin" if fmt == "binary" else ".npz"
    assert path == tmp_path / folder / f"{name}{ext}"
    assert _same(path, mirror / folder / f"{name}{ext}")
    first, second = server.log
    assert first[1] is None and int(second[1].removeprefix("bytes=").rstrip("-")) > 0
    assert not list((tmp_path / folder).glob("*.part"))


def test_sketchrnn_sits_beside_full_in_the_bucket(server, mirror, tmp_path):
    _add_formats(mirror)
    assert bucket_url(GOOGLE_BASE_URL, "sketchrnn", "cat") == (
        "https://storage.googleapis.com/quickdraw_dataset/sketchrnn/cat.npz"
    )
    assert bucket_url(GOOGLE_BASE_URL, "binary", "cat").endswith(
        "quickdraw_dataset/full/binary/cat.bin"
    )
    (path,) = download("cat", "sketchrnn", tmp_path, base_url=server.url + "/full", progress=False)
    assert server.log[0][0] == "/sketchrnn/cat.npz" and _same(
        path, mirror / "sketchrnn" / "cat.npz"
    )
    (local,) = download("cat", "sketchrnn", tmp_path / "b", base_url=str(mirror / "full"),
                        progress=False)  # fmt: skip
    assert _same(local, mirror / "sketchrnn" / "cat.npz")


def test_cli_download_formats(server, mirror, tmp_path):
    _add_formats(mirror)
    args = ["download", "-f", "binary", "--classes", "The Eiffel Tower", "--out", str(tmp_path),
            "--base-url", server.url]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "binary" / "The Eiffel Tower.bin").is_file()

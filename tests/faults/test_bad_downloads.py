"""Downloads from a server that sends the wrong bytes: checked against what it announced.

docs/reliability.md: downloads are checked against Content-Length / Content-Range; a short body
is resumed, a long one refused, a resume at the wrong byte restarts the file.
"""

from __future__ import annotations

import numpy as np
import pytest

from seqdoodle.datasets.sources import download
from seqdoodle.errors import DownloadError
from tests.faults.helpers import assert_one_error, invoke
from tests.http_server import LONG_BY, FileServer

URL_PATH = "/numpy_bitmap/cat.npy"


@pytest.fixture
def mirror(tmp_path):
    root = tmp_path / "mirror"
    (root / "numpy_bitmap").mkdir(parents=True)
    rows = np.random.default_rng(0).integers(0, 256, (200, 784), dtype=np.uint8)
    np.save(root / "numpy_bitmap" / "cat.npy", rows)
    return root


def _source(mirror) -> bytes:
    return (mirror / "numpy_bitmap" / "cat.npy").read_bytes()


def _part(dest, data: bytes):
    part = dest / "numpy_bitmap" / "cat.npy.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(data)
    return part


def _get(dest, server, **kwargs):
    kwargs = {"retries": 2, "backoff": 0, "progress": False, "timeout": 10, **kwargs}
    return download("cat", "bitmap", dest, base_url=server.url, **kwargs)


def test_body_longer_than_announced_is_refused(mirror, tmp_path):
    source = _source(mirror)
    dest = tmp_path / "data"
    part = _part(dest, source[:5000])  # a resume: the 206 answer announces a shorter file
    with FileServer(mirror, mode="long_body") as server:
        with pytest.raises(DownloadError) as info:
            _get(dest, server)
    message = str(info.value)
    assert message == (
        f"{server.url}{URL_PATH}: received {len(source)} bytes, "
        f"the server announced {len(source) - LONG_BY}"
    )
    assert server.requests == [(URL_PATH, "bytes=5000-")]  # refused at once, not retried
    assert not part.exists() and not (dest / "numpy_bitmap" / "cat.npy").exists()


def test_body_longer_than_announced_through_the_cli_is_one_line(mirror, tmp_path):
    dest = tmp_path / "data"
    _part(dest, _source(mirror)[:5000])
    with FileServer(mirror, mode="long_body") as server:
        result = invoke("download", "-f", "bitmap", "--classes", "cat", "--out", dest,
                        "--base-url", server.url)  # fmt: skip
    assert_one_error(result, f"{server.url}{URL_PATH}", "the server announced")
    assert not (dest / "numpy_bitmap" / "cat.npy").exists()


def test_bytes_beyond_content_length_are_never_written(mirror, tmp_path):
    """A 200 answer with surplus bytes after its Content-Length: the file is what it announced."""
    dest = tmp_path / "data"
    with FileServer(mirror, mode="long_200") as server:
        (path,) = _get(dest, server)
    assert path.read_bytes() == _source(mirror)
    assert len(server.requests) == 1


@pytest.mark.parametrize("wrong_start", [0, 4000, 6000])
def test_resume_at_the_wrong_byte_restarts(mirror, tmp_path, wrong_start):
    """The server answers `Range: bytes=5000-` from another byte: the `.part` (here wrong bytes,
    so only a restart gives the right file) is dropped and the file fetched from the start."""
    source = _source(mirror)
    dest = tmp_path / "data"
    part = _part(dest, b"\xff" * 5000)
    with FileServer(mirror, mode="wrong_range", wrong_start=wrong_start) as server:
        (path,) = _get(dest, server)
    assert path.read_bytes() == source
    assert server.requests == [(URL_PATH, "bytes=5000-"), (URL_PATH, None)]
    assert not part.exists()


def test_wrong_byte_every_time_fails_after_retries(mirror, tmp_path):
    dest = tmp_path / "data"
    _part(dest, b"\xff" * 5000)
    with FileServer(mirror, mode="wrong_range", wrong_start=7) as server:
        with pytest.raises(DownloadError) as info:
            # the restart asks without Range and is served whole; make every try resume again
            server.cut_after, server.always_cut = 5000, True
            _get(dest, server, retries=3)
    message = str(info.value)
    assert message.startswith(f"cannot download {server.url}{URL_PATH}: ")
    assert "\n" not in message and "4 tries" in message
    assert not (dest / "numpy_bitmap" / "cat.npy").exists()

"""Bad PNG/JPEG inputs to `predict`: one line naming the file; odd but valid images predicted."""

from __future__ import annotations

import io
import json
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from seqdoodle.datasets.images import image_to_bitmap
from seqdoodle.errors import DataFormatError
from tests.faults.helpers import assert_ok, assert_one_error, invoke, write_bytes


def doodle(mode: str = "L", size=(64, 64)) -> Image.Image:
    """A dark cross on white (or its equivalent in `mode`)."""
    image = Image.new("L", size, 255)
    w, h = size
    for i in range(min(w, h)):
        for d in (-1, 0, 1):
            x = min(w - 1, max(0, i + d))
            image.putpixel((x, i * h // min(w, h)), 0)
            image.putpixel((w - 1 - x, i * h // min(w, h)), 0)
    return image.convert(mode) if mode != "L" else image


def encoded(image: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def _png_with_size(width: int, height: int) -> bytes:
    """A PNG whose header claims `width x height` (valid CRC), over a tiny body."""
    data = bytearray(encoded(doodle()))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def _bad_crc() -> bytes:
    data = bytearray(encoded(doodle()))
    data[29] ^= 0xFF
    return bytes(data)


# (case id, file name, content, fragment of the error)
BAD_IMAGES = [
    ("text-named-png", "cat.png", lambda: b"this is not a picture\n", "not a readable"),
    ("empty-png", "cat.png", lambda: b"", "not a readable"),
    ("html-named-jpg", "cat.jpg", lambda: b"<html><body>404</body></html>", "not a readable"),
    ("truncated-png", "cat.png", lambda: encoded(doodle())[:60], "not a readable"),
    ("truncated-jpeg", "cat.jpeg", lambda: encoded(doodle(), "JPEG")[:300], "not a readable"),
    ("png-bad-header-crc", "cat.png", _bad_crc, "not a readable"),
    ("decompression-bomb", "cat.png", lambda: _png_with_size(40_000, 40_000), "not a readable"),
    ("blank-white", "cat.png", lambda: encoded(Image.new("L", (50, 50), 255)), "no ink found"),
    ("blank-black", "cat.png", lambda: encoded(Image.new("L", (50, 50), 0)), "no ink found"),
    ("transparent-only", "cat.png", lambda: encoded(Image.new("RGBA", (30, 30))), "no ink found"),
    ("one-pixel", "cat.png", lambda: encoded(Image.new("L", (1, 1), 0)), "no ink found"),
    ("gif-suffix", "cat.gif", lambda: encoded(doodle(), "GIF"), "unsupported input"),
    ("bmp-suffix", "cat.bmp", lambda: encoded(doodle(), "BMP"), "unsupported input"),
    ("no-suffix", "cat", lambda: encoded(doodle()), "unsupported input"),
]
IDS = [c[0] for c in BAD_IMAGES]

# Odd but valid images: each gives one prediction.
ODD_IMAGES = [
    ("thin-strip", "a.png", lambda: encoded(doodle(size=(2000, 3)))),
    ("rgb-jpeg", "a.jpg", lambda: encoded(doodle("RGB"), "JPEG")),
    ("cmyk-jpeg", "a.jpg", lambda: encoded(doodle("CMYK"), "JPEG")),
    ("16-bit-png", "a.png", lambda: encoded(doodle("I;16"))),
    ("palette-png", "a.png", lambda: encoded(doodle("P"))),
    ("one-bit-png", "a.png", lambda: encoded(doodle("1"))),
    ("gif-named-png", "a.png", lambda: encoded(doodle(), "GIF")),
    ("jpeg-named-png", "a.PNG", lambda: encoded(doodle(), "JPEG")),
    ("large-image", "a.png", lambda: encoded(doodle(size=(3000, 2500)))),
]


@pytest.mark.parametrize("case, name, make, fragment", BAD_IMAGES, ids=IDS)
def test_predict_bad_image_is_one_line(tmp_path, cnn_run, case, name, make, fragment):
    path = write_bytes(tmp_path / "my images" / name, make())
    assert_one_error(invoke("predict", cnn_run, path), str(path), fragment)


@pytest.mark.parametrize(
    "case, name, make, fragment", [c for c in BAD_IMAGES if "suffix" not in c[0]], ids=IDS[:-3]
)
def test_image_to_bitmap_raises_data_format_error(tmp_path, case, name, make, fragment):
    path = write_bytes(tmp_path / name, make())
    with pytest.raises(DataFormatError) as info:
        image_to_bitmap(path)
    assert str(path) in str(info.value) and fragment in str(info.value)


@pytest.mark.parametrize("case, name, make", ODD_IMAGES, ids=[c[0] for c in ODD_IMAGES])
def test_odd_but_valid_images_are_predicted(tmp_path, cnn_run, case, name, make):
    path = write_bytes(tmp_path / name, make())
    text = assert_ok(invoke("predict", cnn_run, path, "--json", "-", "--top-k", 4))
    (row,) = json.loads(text)
    assert row["source"] == name
    assert np.isclose(sum(t["probability"] for t in row["top"]), 1.0, atol=1e-4)


def test_folder_with_one_bad_image_is_one_line(tmp_path, cnn_run):
    folder = tmp_path / "images"
    write_bytes(folder / "a.png", encoded(doodle()))
    bad = write_bytes(folder / "b.png", b"GIF89a not really")
    assert_one_error(invoke("predict", cnn_run, folder), str(bad), "not a readable")


def test_stroke_run_refuses_images(tmp_path, rnn_run):
    path = write_bytes(tmp_path / "a.png", encoded(doodle()))
    assert_one_error(invoke("predict", rnn_run, path), str(path), "needs strokes")

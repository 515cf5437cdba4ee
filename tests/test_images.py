"""Tests of PNG/JPEG input: images are made to look like Quick, Draw! bitmaps."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from seqdoodle.datasets.images import image_to_bitmap, ink_map, ink_to_bitmap, line_width
from seqdoodle.errors import DataFormatError, MissingFileError
from seqdoodle.strokes.raster import render_bitmap
from tests.test_artifacts import SHAPE_CLASSES, draw_image, shape_strokes


def correlation(a, b) -> float:
    return float(np.corrcoef(np.ravel(a).astype(float), np.ravel(b).astype(float))[0, 1])


def save(image: Image.Image, path):
    image.save(path)
    return path


@pytest.mark.parametrize("name", SHAPE_CLASSES)
@pytest.mark.parametrize(
    "dark_on_light, width, margin, suffix",
    [(True, 7, 0, ".png"), (False, 3, 40, ".jpg"), (True, 12, 20, ".jpeg")],
)
def test_drawn_image_matches_render_bitmap(tmp_path, name, dark_on_light, width, margin, suffix):
    strokes = shape_strokes(name)
    path = save(draw_image(strokes, 256, width, dark_on_light, margin), tmp_path / f"a{suffix}")
    bitmap = image_to_bitmap(path)
    assert bitmap.shape == (28, 28) and bitmap.dtype == np.uint8
    reference = render_bitmap(strokes)
    assert correlation(bitmap, reference) > 0.95
    # about the same amount of ink (line width brought to Google's), within 20%
    assert abs(int(bitmap.sum()) / int(reference.sum()) - 1) < 0.2
    assert bitmap[0].max() == 0 and bitmap[:, 0].max() == 0  # padding kept, as in Google's


def test_polarity_does_not_matter(tmp_path):
    strokes = shape_strokes("triangle")
    dark = image_to_bitmap(save(draw_image(strokes, dark_on_light=True), tmp_path / "d.png"))
    light = image_to_bitmap(save(draw_image(strokes, dark_on_light=False), tmp_path / "l.png"))
    assert np.abs(dark.astype(int) - light.astype(int)).max() <= 2


def test_rgb_photo_like_image(tmp_path):
    """Grey paper, uneven light, noise, colour JPEG: still close to the rendering."""
    rng = np.random.default_rng(0)
    strokes = shape_strokes("zigzag")
    grey = np.asarray(draw_image(strokes, side=400, width=9, margin=60), float)
    grey = grey * 0.6 + 80 + np.linspace(0, 40, 400)[None, :] + rng.normal(0, 6, grey.shape)
    rgb = Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8)).convert("RGB")
    rgb.save(tmp_path / "photo.jpg", quality=70)
    bitmap = image_to_bitmap(tmp_path / "photo.jpg")
    assert correlation(bitmap, render_bitmap(strokes)) > 0.93
    assert np.median(bitmap) == 0  # the paper becomes black background


def test_transparent_background_uses_alpha(tmp_path):
    strokes = shape_strokes("circle")
    alpha = draw_image(strokes, dark_on_light=False)
    rgba = Image.new("RGBA", alpha.size, (0, 0, 0, 0))  # black strokes, transparent elsewhere
    rgba.putalpha(alpha)
    bitmap = image_to_bitmap(save(rgba, tmp_path / "t.png"))
    assert correlation(bitmap, render_bitmap(strokes)) > 0.95


def test_real_drawings_match_google_bitmaps(tmp_path, shared_quickdraw):
    """Simplified line i and bitmap row i are the same drawing (see the data's MANIFEST)."""
    found = []
    for name in ("apple", "eye", "cat", "bicycle"):
        rows = np.load(shared_quickdraw / "bitmap" / f"{name}.npy", mmap_mode="r")
        lines = (shared_quickdraw / "simplified" / f"{name}.ndjson").read_text().splitlines()
        for i in range(5):
            strokes = json.loads(lines[i])["drawing"]
            path = save(draw_image(strokes, width=7), tmp_path / f"{name}{i}.png")
            found.append(correlation(image_to_bitmap(path), rows[i]))
    assert min(found) > 0.93 and np.mean(found) > 0.97


@pytest.mark.parametrize("size", [28, 64])
def test_other_sizes_keep_the_geometry(size):
    ink = np.zeros((200, 200), np.float32)
    ink[20:180, 98:103] = 1.0  # a vertical bar, 160 px long
    bitmap = ink_to_bitmap(ink, size=size)
    rows = np.flatnonzero(bitmap.max(axis=1) > 127)
    # stroke centres span 255 of 304 units; the half-ink extent adds one line width (16 units)
    assert abs((rows[-1] - rows[0] + 1) - size * 271 / 304) <= 1.5


def test_line_width_estimate():
    ink = np.zeros((300, 300), np.float32)
    ink[50:250, 100:106] = 1.0
    assert abs(line_width(ink) - 6) < 0.3
    assert ink_map(np.full((10, 10), 0.5)).max() == 0  # a flat image has no ink


def test_not_an_image_is_one_line_error(tmp_path):
    path = tmp_path / "cat.png"
    path.write_text("this is not a picture\n")
    with pytest.raises(DataFormatError) as e:
        image_to_bitmap(path)
    assert str(e.value) == f"{path}: not a readable PNG/JPEG image"
    truncated = tmp_path / "cut.png"
    buffer = tmp_path / "full.png"
    draw_image(shape_strokes("line")).save(buffer)
    truncated.write_bytes(buffer.read_bytes()[:200])
    with pytest.raises(DataFormatError, match="not a readable PNG/JPEG image"):
        image_to_bitmap(truncated)


def test_blank_image_and_missing_file(tmp_path):
    blank = save(Image.new("L", (64, 64), 255), tmp_path / "blank.png")
    with pytest.raises(DataFormatError, match=r"blank\.png: no ink found"):
        image_to_bitmap(blank)
    with pytest.raises(MissingFileError, match="no such file"):
        image_to_bitmap(tmp_path / "absent.png")

"""Property tests (hypothesis) of the readers on arbitrary input, and of the point form.

tests/strokes/test_properties.py already covers the stroke-3 round trip, translation of the
render, its shape/dtype and simplify idempotence; this adds what bad input needs: a reader that
only ever yields drawings or counts skipped lines, whatever the bytes.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from seqdoodle.datasets.readers import read_bitmaps, read_drawings
from seqdoodle.errors import DataFormatError
from seqdoodle.strokes.points import points_to_strokes, strokes_to_points

SETTINGS = settings(max_examples=80, deadline=None)

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)
COORD = st.one_of(
    st.integers(-5, 300), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=2)
)
STROKE = st.lists(st.lists(COORD, max_size=4), min_size=0, max_size=4)
DRAWING_OBJECTS = st.fixed_dictionaries(
    {"word": st.one_of(st.just("cat"), JSON_VALUES), "drawing": st.lists(STROKE, max_size=3)}
)
LINES = st.lists(
    st.one_of(
        st.binary(max_size=40).filter(lambda b: b"\n" not in b),
        JSON_VALUES.map(lambda v: json.dumps(v).encode()),
        DRAWING_OBJECTS.map(lambda v: json.dumps(v).encode()),
    ),
    max_size=8,
)


def _write(data: bytes, suffix: str) -> Path:
    folder = Path(tempfile.mkdtemp())
    path = folder / f"cat{suffix}"
    path.write_bytes(data)
    return path


@SETTINGS
@given(LINES, st.booleans())
def test_reader_reads_or_counts_every_line(lines, final_newline):
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    path = _write(data, ".ndjson")
    reader = read_drawings(path)
    drawings = list(reader)  # never raises on content
    if data.startswith(b"\x1f\x8b"):  # gzip magic: read as a (corrupt) gzip stream
        assert reader.summary.n_skipped == 1 and not drawings
        return
    blank = sum(1 for line in data.split(b"\n") if not line.decode("utf-8", "replace").strip())
    n_lines = len(data.split(b"\n")) - (1 if data.endswith(b"\n") or not data else 0)
    summary = reader.summary
    assert summary.n_read == len(drawings)
    assert summary.n_read + summary.n_skipped <= n_lines
    assert summary.n_read + summary.n_skipped + blank >= n_lines
    for d in drawings:
        assert d.word and d.strokes
        for stroke in d.strokes:
            assert len({len(axis) for axis in stroke}) == 1 and len(stroke[0]) > 0


@SETTINGS
@given(LINES)
def test_strict_reader_raises_only_data_format_error(lines):
    path = _write(b"\n".join(lines) + b"\n", ".ndjson")
    try:
        list(read_drawings(path, strict=True))
    except DataFormatError as e:
        assert str(path) in str(e) and "\n" not in str(e)


@SETTINGS
@given(st.binary(max_size=300), st.binary(max_size=64))
def test_read_bitmaps_on_arbitrary_bytes(tail, header):
    """Random bytes, with or without NumPy's magic in front: rows of uint8, or one clean error."""
    for data in (tail, b"\x93NUMPY\x01\x00" + header + tail):
        path = _write(data, ".npy")
        try:
            rows = read_bitmaps(path)
        except DataFormatError as e:
            assert str(path) in str(e)
        else:
            assert rows.dtype == np.uint8 and rows.shape[1:] == (784,)


INT_STROKES = st.lists(
    st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255)), min_size=1, max_size=12).map(
        lambda pts: [[p[0] for p in pts], [p[1] for p in pts]]
    ),
    min_size=1,
    max_size=6,
)


@SETTINGS
@given(INT_STROKES)
def test_point_form_round_trip(strokes):
    points = strokes_to_points(strokes)
    assert points.dtype == np.int16 and points.shape == (sum(len(s[0]) for s in strokes), 3)
    assert points_to_strokes(points) == strokes

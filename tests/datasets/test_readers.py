"""Tests for seqdoodle.datasets.readers: ndjson streaming with skip-and-count, npy memory maps."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from seqdoodle.datasets.formats import base
from seqdoodle.datasets.readers import (
    class_files,
    class_name_of,
    iter_drawings,
    read_bitmaps,
    read_drawings,
)
from seqdoodle.errors import DataFormatError, MissingFileError, UnknownClassError

FIXTURES = Path(__file__).parent / "fixtures"
MIXED = FIXTURES / "mixed_simplified.ndjson"
MIXED_VALID_LINES = [1, 2, 11, 17, 19]
# line -> a word the reason must contain
MIXED_BAD_LINES = {
    3: "invalid JSON",
    4: "'1' is not an integer in 0..255",
    5: "unequal length 3/2",
    6: "NaN is not a finite number",
    7: "256 is not an integer in 0..255",
    8: "-1 is not an integer",
    9: "1.5 is not an integer",
    10: "True is not an integer",
    12: "no strokes",
    13: "all strokes empty",
    14: "not a JSON object",
    15: "'word'",
    18: "3 arrays",
    20: "truncated",
}


# --- real data -------------------------------------------------------------------------------


def test_real_simplified_limit(shared_quickdraw):
    reader = read_drawings(shared_quickdraw / "simplified" / "monkey.ndjson", limit=10)
    drawings = list(reader)
    assert len(drawings) == 10
    assert [d.source for d in drawings] == [f"monkey.ndjson:{i}" for i in range(1, 11)]
    assert {d.word for d in drawings} == {"monkey"}
    assert all(d.key_id and d.key_id.isdigit() for d in drawings)
    assert reader.summary.fmt == "simplified"
    assert (reader.summary.n_read, reader.summary.n_skipped) == (10, 0)
    first = json.loads((shared_quickdraw / "simplified" / "monkey.ndjson").open().readline())
    assert drawings[0].strokes == first["drawing"]
    assert drawings[0].timestamp == first["timestamp"]


def test_real_nokeyid(shared_quickdraw):
    path = next(iter(sorted((shared_quickdraw / "simplified_nokeyid").glob("*.ndjson"))))
    reader = read_drawings(path, limit=50)
    drawings = list(reader)
    n_lines = sum(1 for line in path.open("rb") if line.strip())
    assert len(drawings) == min(50, n_lines) > 0
    assert all(d.key_id is None and d.timestamp is None for d in drawings)
    assert {d.word for d in drawings} == {path.stem}
    assert reader.summary.n_skipped == 0


def test_real_raw(shared_quickdraw):
    reader = read_drawings(shared_quickdraw / "raw" / "cat.ndjson", limit=5)
    drawings = list(reader)
    assert len(drawings) == 5
    assert reader.summary.fmt == "raw"
    assert all(len(stroke) == 3 for d in drawings for stroke in d.strokes)
    assert any(isinstance(v, float) for d in drawings for s in d.strokes for v in s[0])


def test_real_bitmaps_limit(shared_quickdraw):
    path = shared_quickdraw / "bitmap" / "cat.npy"
    rows = read_bitmaps(path, limit=7)
    full = np.load(path)
    assert rows.shape == (7, 784) and rows.dtype == np.uint8
    assert isinstance(rows, np.memmap)
    assert not rows.flags.writeable
    np.testing.assert_array_equal(rows, full[:7])
    assert read_bitmaps(path).shape == full.shape


def test_real_iter_drawings_npy(shared_quickdraw):
    path = shared_quickdraw / "bitmap" / "cat.npy"
    drawings = list(iter_drawings(path, limit=3))
    rows = np.load(path)[:3]
    assert [d.word for d in drawings] == ["cat"] * 3
    assert [d.source for d in drawings] == ["cat.npy[0]", "cat.npy[1]", "cat.npy[2]"]
    for d, row in zip(drawings, rows, strict=True):
        assert d.bitmap.shape == (28, 28) and d.bitmap.dtype == np.uint8
        np.testing.assert_array_equal(d.bitmap.ravel(), row)
        assert d.strokes is None


def test_real_class_files(shared_quickdraw):
    files = class_files(shared_quickdraw / "simplified")
    assert len(files) == 345
    assert files["The Eiffel Tower"].name == "The Eiffel Tower.ndjson"


# --- skipping and counting bad lines ----------------------------------------------------------


def test_mixed_file_skips_and_counts():
    reader = read_drawings(MIXED)
    drawings = list(reader)
    assert [d.source for d in drawings] == [f"{MIXED.name}:{n}" for n in MIXED_VALID_LINES]
    summary = reader.summary
    assert summary.n_read == len(MIXED_VALID_LINES)
    assert summary.n_skipped == len(MIXED_BAD_LINES)
    assert [n for n, _ in summary.problems] == sorted(MIXED_BAD_LINES)
    for line_no, reason in summary.problems:
        assert MIXED_BAD_LINES[line_no] in reason, (line_no, reason)
    text = str(summary)
    assert text.startswith(f"{MIXED.name}: 5 drawings read, 14 lines skipped (line 3: invalid JSON")
    assert "\n" not in text


def test_empty_stroke_dropped_and_counted():
    drawings = {d.source: d for d in read_drawings(MIXED)}
    kept = drawings[f"{MIXED.name}:11"]
    assert kept.strokes == [[[9, 8], [7, 6]]]
    reader = read_drawings(MIXED)
    list(reader)
    assert reader.summary.n_empty_strokes == 1
    assert "empty strokes dropped: 1" in str(reader.summary)


def test_fields_of_a_valid_line():
    first = next(iter(read_drawings(MIXED)))
    assert first.word == "cat"
    assert first.countrycode == "US" and first.recognized is True
    assert first.key_id == "1000000000000001"
    assert first.strokes == [[[0, 10, 20], [5, 6, 7]], [[255, 254], [0, 1]]]


def test_limit_stops_before_bad_lines():
    reader = read_drawings(MIXED, limit=2)
    assert len(list(reader)) == 2
    assert reader.summary.n_skipped == 0  # line 3 (invalid) was never read
    reader = read_drawings(MIXED, limit=3)
    assert [d.source for d in reader][-1] == f"{MIXED.name}:11"
    assert reader.summary.n_skipped == 8
    assert list(read_drawings(MIXED, limit=0)) == []


def test_limit_must_not_be_negative():
    with pytest.raises(ValueError, match="limit"):
        read_drawings(MIXED, limit=-1)
    with pytest.raises(ValueError, match="fmt"):
        read_drawings(MIXED, fmt="bitmap")


def test_reiterating_resets_summary():
    reader = read_drawings(MIXED)
    first = [d.source for d in reader]
    second = [d.source for d in reader]
    assert first == second
    assert reader.summary.n_read == len(first)


def test_strict_raises_with_file_and_line():
    with pytest.raises(DataFormatError) as info:
        list(read_drawings(MIXED, strict=True))
    message = str(info.value)
    assert f"{MIXED.name} line 3: invalid JSON" in message
    assert "\n" not in message
    assert len(list(read_drawings(MIXED, strict=True, limit=2))) == 2


def test_raw_file_checks():
    reader = read_drawings(FIXTURES / "raw_small.ndjson")
    drawings = list(reader)
    assert reader.summary.fmt == "raw"
    assert [d.source.split(":")[1] for d in drawings] == ["1", "6"]
    assert drawings[0].strokes[1] == [[500, 520], [-3.5, 700.0], [400, 450]]
    reasons = dict(reader.summary.problems)
    assert "Infinity" in reasons[2] and "inf is not a finite number" in reasons[3]
    assert "2 arrays" in reasons[4] and "unequal length 2/2/1" in reasons[5]


def test_forced_format_rejects_other_format():
    reader = read_drawings(FIXTURES / "raw_small.ndjson", fmt="simplified")
    assert list(reader) == []
    assert reader.summary.n_skipped == 6
    reader = read_drawings(MIXED, fmt="raw")
    assert [d.source for d in reader] == [f"{MIXED.name}:18"]  # the only 3-array line
    assert "2 arrays" in reader.summary.problems[0][1]


def test_non_utf8_and_too_long_lines(tmp_path, monkeypatch):
    good = MIXED.read_bytes().splitlines()[0]
    path = tmp_path / "cat.ndjson"
    path.write_bytes(
        b"\n".join([b'{"word": "\xff"}', b'{"word": "cat", "x": "' + b"a" * 200, good])
    )
    monkeypatch.setattr(base, "MAX_LINE_BYTES", 64)
    reader = read_drawings(path)
    assert len(list(reader)) == 0  # the good line is also longer than 64 bytes
    assert [r for _, r in reader.summary.problems][:2] == [
        "not UTF-8 text",
        "line longer than 64 bytes",
    ]
    assert reader.summary.n_skipped == 3
    monkeypatch.setattr(base, "MAX_LINE_BYTES", 1 << 20)
    assert len(list(read_drawings(path))) == 1


def test_empty_file():
    reader = read_drawings(FIXTURES / "empty.ndjson")
    assert list(reader) == []
    assert str(reader.summary) == "empty.ndjson: 0 drawings read, 0 lines skipped"


def test_missing_file(tmp_path):
    missing = tmp_path / "nope" / "cat.ndjson"
    with pytest.raises(MissingFileError, match=str(missing)):
        read_drawings(missing)
    with pytest.raises(MissingFileError, match="cat.npy"):
        read_bitmaps(tmp_path / "cat.npy")
    with pytest.raises(MissingFileError, match="folder"):
        read_drawings(tmp_path)


def test_gzipped_ndjson(tmp_path):
    path = tmp_path / "cat.ndjson.gz"
    path.write_bytes(gzip.compress(MIXED.read_bytes()))
    plain = read_drawings(MIXED)
    zipped = read_drawings(path)
    assert [d.strokes for d in zipped] == [d.strokes for d in plain]
    assert zipped.summary.n_skipped == plain.summary.n_skipped


def test_truncated_gzip_counts_a_problem(tmp_path):
    body = b"".join(MIXED.read_bytes().splitlines(keepends=True)[:2]) * 2000
    data = gzip.compress(body)
    path = tmp_path / "cat.ndjson.gz"
    path.write_bytes(data[: len(data) // 2])
    reader = read_drawings(path)
    n = len(list(reader))
    assert 0 < n < 4000
    assert reader.summary.n_skipped >= 1
    assert "gzip" in reader.summary.problems[-1][1]


# --- npy ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, words",
    [
        ("wrong_width.npy", "shape (3, 10)"),
        ("wrong_dtype.npy", "dtype int16"),
        ("not_npy.npy", "not an .npy file"),
        ("truncated.npy", "truncated"),
    ],
)
def test_bad_npy(name, words):
    with pytest.raises(DataFormatError) as info:
        read_bitmaps(FIXTURES / name)
    assert name in str(info.value) and words in str(info.value)
    assert "\n" not in str(info.value)


def test_npy_square_rows_accepted():
    rows = read_bitmaps(FIXTURES / "square.npy", limit=1)
    full = np.load(FIXTURES / "square.npy")
    assert rows.shape == (1, 784)
    np.testing.assert_array_equal(rows[0], full[0].ravel())


def test_npy_empty_and_fortran(tmp_path):
    np.save(tmp_path / "empty.npy", np.zeros((0, 784), np.uint8))
    assert read_bitmaps(tmp_path / "empty.npy").shape == (0, 784)
    np.save(tmp_path / "f.npy", np.asfortranarray(np.zeros((3, 784), np.uint8)))
    with pytest.raises(DataFormatError, match="Fortran"):
        read_bitmaps(tmp_path / "f.npy")


def test_npy_is_a_view_not_a_copy(tmp_path):
    rows = np.random.default_rng(0).integers(0, 256, (50, 784), dtype=np.uint8)
    np.save(tmp_path / "cat.npy", rows)
    view = read_bitmaps(tmp_path / "cat.npy", limit=10)
    assert isinstance(view, np.memmap)
    assert view.base is not None  # a view on the file's map
    np.testing.assert_array_equal(view, rows[:10])


def test_iter_drawings_word_and_ndjson(tmp_path):
    np.save(tmp_path / "full_numpy_bitmap_cat.npy", np.zeros((4, 784), np.uint8))
    assert {d.word for d in iter_drawings(tmp_path / "full_numpy_bitmap_cat.npy")} == {"cat"}
    named = list(iter_drawings(tmp_path / "full_numpy_bitmap_cat.npy", limit=2, word="dog"))
    assert [d.word for d in named] == ["dog", "dog"]
    stream = iter_drawings(MIXED, limit=4)
    assert [d.source for d in stream] == [f"{MIXED.name}:{n}" for n in MIXED_VALID_LINES[:4]]
    assert stream.summary.n_read == 4
    with pytest.raises(DataFormatError, match="line 3"):
        list(iter_drawings(MIXED, strict=True))


# --- class folders ------------------------------------------------------------------------------


def test_class_name_of():
    assert class_name_of("The Eiffel Tower.ndjson") == "The Eiffel Tower"
    assert class_name_of("full_numpy_bitmap_cat.npy") == "cat"
    assert class_name_of("full_raw_hot dog.ndjson") == "hot dog"
    assert class_name_of("full_simplified_cat.ndjson.gz") == "cat"


def test_class_files_layouts(tmp_path):
    shutil.copy(MIXED, tmp_path / "The Eiffel Tower.ndjson")
    shutil.copy(FIXTURES / "square.npy", tmp_path / "full_numpy_bitmap_cat.npy")
    shutil.copy(MIXED, tmp_path / "full_simplified_dog.ndjson")
    for ignored in ("README.md", ".lock", "dog.ndjson.part", ".hidden.ndjson"):
        (tmp_path / ignored).write_text("x")
    (tmp_path / "sub").mkdir()
    files = class_files(tmp_path)
    assert list(files) == ["The Eiffel Tower", "cat", "dog"]
    assert files["cat"].name == "full_numpy_bitmap_cat.npy"


def test_class_files_errors(tmp_path):
    with pytest.raises(MissingFileError, match="no class files"):
        class_files(tmp_path)
    (tmp_path / "simplified").mkdir()
    with pytest.raises(MissingFileError, match="subfolders: simplified"):
        class_files(tmp_path)
    with pytest.raises(MissingFileError, match="no such folder"):
        class_files(tmp_path / "missing")
    (tmp_path / "catt.ndjson").write_text("")
    with pytest.raises(UnknownClassError) as info:
        class_files(tmp_path)
    assert "catt.ndjson" in str(info.value) and "cat" in str(info.value).split("mean")[1]
    (tmp_path / "catt.ndjson").rename(tmp_path / "cat.ndjson")
    (tmp_path / "cat.npy").write_text("")
    with pytest.raises(DataFormatError, match="two files for class 'cat'"):
        class_files(tmp_path)

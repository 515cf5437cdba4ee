"""The prepared dataset folder: writer, reader, integrity checks, determinism."""

import json

import numpy as np
import pytest

from seqdoodle.datasets.prepared import DatasetWriter, PreparedDataset, split_assignment
from seqdoodle.errors import DataFormatError, IntegrityError, MissingFileError
from seqdoodle.strokes.points import strokes_to_points


def _write(out, n_per_class=(5, 7), strokes=True):
    classes = ["cat", "dog"][: len(n_per_class)]
    writer = DatasetWriter(out, classes, has_strokes=strokes, args={"seed": 0})
    rng = np.random.default_rng(0)
    for pos, n in enumerate(n_per_class):
        bitmaps = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        drawings = [[[[0, 5 + i, 9], [0, pos, 3]], [[7], [8]]] for i in range(n)]
        points = [strokes_to_points(d) for d in drawings] if strokes else None
        writer.write_part(
            pos,
            bitmaps,
            split_assignment(n, 0.2, 0.2, 0, pos),
            np.arange(n),
            points,
            {"counts": {}},
        )
    writer.finalize({"args": {"seed": 0}})
    return classes


def test_split_assignment_is_stratified_seeded_and_exact():
    a = split_assignment(100, 0.1, 0.2, seed=3, class_position=1)
    assert (a == 2).sum() == 20 and (a == 1).sum() == 10 and (a == 0).sum() == 70
    assert np.array_equal(a, split_assignment(100, 0.1, 0.2, seed=3, class_position=1))
    assert not np.array_equal(a, split_assignment(100, 0.1, 0.2, seed=4, class_position=1))
    with pytest.raises(DataFormatError):
        split_assignment(10, 0.6, 0.5, 0, 0)


def test_round_trip_keeps_rows_labels_and_strokes(tmp_path):
    classes = _write(tmp_path / "ds")
    ds = PreparedDataset(tmp_path / "ds")
    assert ds.classes == classes and len(ds) == 12
    assert ds.labels.tolist() == [0] * 5 + [1] * 7
    assert sum(ds.counts().values()) == 12
    assert ds.strokes_of(6) == [[[0, 6, 9], [0, 1, 3]], [[7], [8]]]
    assert not (tmp_path / "ds" / ".parts").exists()
    drawing = next(ds.drawings([5]))
    assert drawing.word == "dog" and drawing.bitmap.shape == (28, 28)


def test_same_input_gives_byte_identical_files(tmp_path):
    _write(tmp_path / "a")
    _write(tmp_path / "b")
    for name in ("bitmaps.npy", "points.npy", "offsets.npy", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_edited_array_is_detected(tmp_path):
    _write(tmp_path / "ds")
    path = tmp_path / "ds" / "labels.npy"
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="labels.npy"):
        PreparedDataset(tmp_path / "ds")


def test_missing_and_broken_manifest(tmp_path):
    with pytest.raises(MissingFileError, match="no such dataset folder"):
        PreparedDataset(tmp_path / "nope")
    _write(tmp_path / "ds")
    manifest = tmp_path / "ds" / "manifest.json"
    manifest.write_text("{not json")
    with pytest.raises(DataFormatError, match="manifest.json: not valid JSON"):
        PreparedDataset(tmp_path / "ds")
    manifest.unlink()
    with pytest.raises(MissingFileError, match="manifest.json"):
        PreparedDataset(tmp_path / "ds")


def test_truncated_array_is_reported_without_hash_check(tmp_path):
    _write(tmp_path / "ds")
    path = tmp_path / "ds" / "bitmaps.npy"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataFormatError, match="bitmaps.npy"):
        PreparedDataset(tmp_path / "ds", verify=False)


def test_bitmap_only_dataset_has_no_strokes(tmp_path):
    _write(tmp_path / "ds", strokes=False)
    ds = PreparedDataset(tmp_path / "ds")
    assert not ds.has_strokes
    assert json.loads((tmp_path / "ds" / "manifest.json").read_text())["n_points"] == 0
    with pytest.raises(DataFormatError, match="bitmaps only"):
        ds.points_of(0)

"""Bad numpy_bitmap `.npy` files: refused with one line naming the file, never unpickled."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from seqdoodle.datasets.readers import read_bitmaps
from seqdoodle.errors import DataFormatError
from tests.faults.helpers import assert_ok, assert_one_error, invoke, write_bytes


def npy_bytes(array: np.ndarray, **kwargs) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, **kwargs)
    return buffer.getvalue()


def good_rows(n: int = 5) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.random((n, 784)) < 0.1).astype(np.uint8) * 255


def _truncated() -> bytes:
    data = npy_bytes(good_rows())
    return data[: len(data) - 100]


def _header_only() -> bytes:
    data = npy_bytes(good_rows())
    return data[:128]


def _corrupt_header() -> bytes:
    data = bytearray(npy_bytes(good_rows()))
    data[10:40] = b"{'descr': <garbage> !!! }     "
    return bytes(data)


def _version_9() -> bytes:
    data = bytearray(npy_bytes(good_rows()))
    data[6] = 9
    return bytes(data)


def _npz() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, rows=good_rows())
    return buffer.getvalue()


# (case id, file content, fragment of the error)
BAD_NPY = [
    ("wrong-width", lambda: npy_bytes(np.zeros((5, 100), np.uint8)), "shape (5, 100)"),
    ("wrong-side", lambda: npy_bytes(np.zeros((5, 28, 27), np.uint8)), "shape (5, 28, 27)"),
    ("one-row-flat", lambda: npy_bytes(np.zeros(784, np.uint8)), "shape (784,)"),
    ("four-dims", lambda: npy_bytes(np.zeros((5, 28, 28, 1), np.uint8)), "shape (5, 28, 28, 1)"),
    ("scalar", lambda: npy_bytes(np.uint8(3)), "shape ()"),
    ("float32", lambda: npy_bytes(good_rows().astype(np.float32)), "dtype float32"),
    ("int64", lambda: npy_bytes(good_rows().astype(np.int64)), "dtype int64"),
    ("bool", lambda: npy_bytes(good_rows() > 0), "dtype bool"),
    (
        "pickled-objects",
        lambda: npy_bytes(np.array([{"a": 1}, None], dtype=object), allow_pickle=True),
        "dtype object",
    ),
    ("fortran-order", lambda: npy_bytes(np.asfortranarray(good_rows())), "Fortran"),
    ("text-named-npy", lambda: b"cat,dog\n1,2\n", "not an .npy file"),
    ("empty-file", lambda: b"", "not an .npy file"),
    ("png-named-npy", lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not an .npy file"),
    ("npz-named-npy", _npz, "not an .npy file"),
    ("truncated-data", _truncated, "truncated"),
    ("header-only", _header_only, "truncated"),
    ("corrupt-header", _corrupt_header, "corrupt .npy header"),
    ("unknown-version", _version_9, "unsupported .npy format version"),
]
IDS = [c[0] for c in BAD_NPY]


@pytest.mark.parametrize("case, make, fragment", BAD_NPY, ids=IDS)
def test_read_bitmaps_refuses(tmp_path, case, make, fragment):
    path = write_bytes(tmp_path / "cat.npy", make())
    with pytest.raises(DataFormatError) as info:
        read_bitmaps(path)
    message = str(info.value)
    assert str(path) in message and fragment in message and "\n" not in message


def test_pickled_npy_is_never_unpickled(tmp_path, monkeypatch):
    import pickle

    def boom(*args, **kwargs):
        raise AssertionError("unpickling was attempted")

    monkeypatch.setattr(pickle, "load", boom)
    monkeypatch.setattr(pickle, "loads", boom)
    path = write_bytes(
        tmp_path / "cat.npy", npy_bytes(np.array([object()], dtype=object), allow_pickle=True)
    )
    with pytest.raises(DataFormatError, match="dtype object"):
        read_bitmaps(path)


@pytest.mark.parametrize(
    "array, n",
    [(good_rows(5).reshape(5, 28, 28), 5), (np.zeros((0, 784), np.uint8), 0)],
    ids=["n-28-28", "zero-rows"],
)
def test_accepted_layouts(tmp_path, array, n):
    rows = read_bitmaps(write_bytes(tmp_path / "cat.npy", npy_bytes(array)))
    assert rows.shape == (n, 784) and rows.dtype == np.uint8


# ----------------------------------------------------------------------------- through the CLI


@pytest.mark.parametrize("case, make, fragment", BAD_NPY, ids=IDS)
def test_predict_bad_npy_is_one_line(tmp_path, cnn_run, case, make, fragment):
    path = write_bytes(tmp_path / "my drawings.npy", make())
    assert_one_error(invoke("predict", cnn_run, path), str(path), fragment)


@pytest.mark.parametrize("command", ["prepare", "analyze"])
@pytest.mark.parametrize("case, make, fragment", BAD_NPY, ids=IDS)
def test_source_folder_with_bad_npy_is_one_line(tmp_path, command, case, make, fragment):
    source = tmp_path / "bitmap"
    write_bytes(source / "dog.npy", npy_bytes(good_rows()))
    bad = write_bytes(source / "The Eiffel Tower.npy", make())
    out = tmp_path / "out"
    result = invoke(command, "--source", source, "--out", out, "--no-progress")
    assert_one_error(result, str(bad), fragment)
    assert not (out / "manifest.json").exists() and not (out / "summary.json").exists()


def test_evaluate_source_with_bad_npy_is_one_line(tmp_path, cnn_run):
    source = tmp_path / "bitmap"
    write_bytes(source / "circle.npy", npy_bytes(good_rows()))
    bad = write_bytes(source / "line.npy", npy_bytes(good_rows().astype(np.float64)))
    result = invoke("evaluate", cnn_run, "--source", source, "--no-progress")
    assert_one_error(result, str(bad), "dtype float64")


def test_prepare_npy_without_rows_is_one_line(tmp_path):
    source = tmp_path / "bitmap"
    write_bytes(source / "dog.npy", npy_bytes(good_rows()))
    write_bytes(source / "cat.npy", npy_bytes(np.zeros((0, 784), np.uint8)))
    result = invoke("prepare", "--source", source, "--out", tmp_path / "ds", "--no-progress")
    assert_one_error(result, "'cat'", "no valid drawings", str(source / "cat.npy"))


def test_predict_npy_without_rows_is_one_line_as_prepare_says(tmp_path, cnn_run):
    """An empty .npy is refused by `predict` as by `prepare` (and as an empty .ndjson is)."""
    path = write_bytes(tmp_path / "none.npy", npy_bytes(np.zeros((0, 28, 28), np.uint8)))
    assert_one_error(
        invoke("predict", cnn_run, path, "--json", "-"), str(path), "no valid drawings"
    )
    empty = write_bytes(tmp_path / "none.ndjson", b"")
    assert_one_error(invoke("predict", cnn_run, empty), str(empty), "no valid drawings")
    # the rows of a good file before it are not lost in silence: the run stops with the error
    good = write_bytes(tmp_path / "good.npy", npy_bytes(good_rows(3)))
    result = invoke("predict", cnn_run, good, path, "--json", tmp_path / "out.json")
    assert result.exit_code == 1 and not (tmp_path / "out.json").exists()
    text = assert_ok(invoke("predict", cnn_run, good, "--json", "-"))
    assert len(json.loads(text)) == 3


def test_stroke_run_refuses_npy(tmp_path, rnn_run):
    path = write_bytes(tmp_path / "rows.npy", npy_bytes(good_rows()))
    assert_one_error(invoke("predict", rnn_run, path), str(path), "needs strokes")

"""The table of formats: suffixes, readers and writers of every format, and who uses the table.

Real drawings go through every writer of the table and back through `open_reader`; the import
rules that keep the table free of circles are read from the import graph.
"""

from __future__ import annotations

import json
from enum import Enum

import numpy as np
import pytest

from seqdoodle.datasets.formats import (
    FORMATS,
    all_suffixes,
    class_name_of,
    format_for,
    open_reader,
    writable_formats,
)
from seqdoodle.datasets.formats.base import KINDS, Format
from seqdoodle.datasets.records import Drawing
from seqdoodle.errors import DataFormatError

N_REAL = 6


def _real_drawings(shared_quickdraw, n: int = N_REAL) -> list[Drawing]:
    path = shared_quickdraw / "simplified" / "cat.ndjson"
    drawings = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            drawings.append(
                Drawing(
                    word=obj["word"],
                    strokes=obj["drawing"],
                    key_id=str(obj["key_id"]),
                    countrycode=obj["countrycode"],
                    recognized=obj["recognized"],
                    fmt="simplified",
                )
            )
            if len(drawings) == n:
                break
    return drawings


def _aligned(strokes) -> list:
    """Simplified strokes moved to touch x = 0 and y = 0."""
    x0 = min(min(s[0]) for s in strokes)
    y0 = min(min(s[1]) for s in strokes)
    return [[[x - x0 for x in s[0]], [y - y0 for y in s[1]]] for s in strokes]


def _points(strokes) -> np.ndarray:
    return np.concatenate([np.asarray(s[:2]).T for s in strokes])


def test_every_format_is_a_complete_record():
    assert list(FORMATS) == ["ndjson", "numpy-bitmap", "kaggle-csv", "sketchrnn", "binary"]
    for name, fmt in FORMATS.items():
        assert isinstance(fmt, Format) and fmt.name == name
        assert fmt.kind in KINDS and callable(fmt.reader)
        assert fmt.suffixes and all(s.startswith(".") and s == s.lower() for s in fmt.suffixes)
    suffixes = all_suffixes()
    assert len(suffixes) == len(set(suffixes))  # a suffix names one format
    assert [n for n, f in FORMATS.items() if f.kind == "bitmaps"] == ["numpy-bitmap"]
    assert [n for n, f in FORMATS.items() if not f.metadata] == ["numpy-bitmap", "sketchrnn"]


@pytest.mark.parametrize("name", list(FORMATS))
def test_format_for_finds_each_suffix_in_any_case(name):
    for suffix in FORMATS[name].suffixes:
        assert format_for(f"data/full_simplified_The Eiffel Tower{suffix}") is FORMATS[name]
        assert format_for(f"CAT{suffix.upper()}") is FORMATS[name]
        assert class_name_of(f"full_simplified_hot dog{suffix}") == "hot dog"
    assert format_for("cat.txt") is None and format_for("cat.ndjson.bak") is None


def test_unsupported_file_names_every_suffix(tmp_path):
    path = tmp_path / "cat.txt"
    path.write_text("x")
    with pytest.raises(DataFormatError) as info:
        open_reader(path)
    message = str(info.value)
    assert str(path) in message and all(s in message for s in all_suffixes())


@pytest.mark.parametrize("name", writable_formats())
def test_every_writer_reads_back_through_the_table(shared_quickdraw, tmp_path, name):
    drawings = _real_drawings(shared_quickdraw)
    fmt = FORMATS[name]
    path = tmp_path / f"cat{fmt.suffixes[0]}"
    assert fmt.writer(iter(drawings), path) == len(drawings)
    back = list(open_reader(path))
    if name == "sketchrnn":  # the reader aligns to the top-left and scales the longer side to 255
        for d, want in zip(back, drawings, strict=True):
            got, aligned = _points(d.strokes), _points(_aligned(want.strokes))
            assert got.shape == aligned.shape and np.abs(got - aligned).max() <= 2
        assert any(d.strokes == _aligned(w.strokes) for d, w in zip(back, drawings))
    else:
        assert [d.strokes for d in back] == [d.strokes for d in drawings]
    assert {d.word for d in back} == {"cat"}
    if fmt.metadata:
        assert [d.countrycode for d in back] == [d.countrycode for d in drawings]
        assert [d.recognized for d in back] == [d.recognized for d in drawings]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_numpy_bitmap_is_read_only_and_read_through_the_table(shared_quickdraw, tmp_path):
    fmt = FORMATS["numpy-bitmap"]
    assert fmt.writer is None and "numpy-bitmap" not in writable_formats()
    rows = np.load(shared_quickdraw / "bitmap" / "cat.npy", mmap_mode="r")[:4]
    path = tmp_path / "full_numpy_bitmap_cat.npy"
    np.save(path, np.asarray(rows))
    back = list(open_reader(path))
    assert [d.word for d in back] == ["cat"] * 4 and [d.fmt for d in back] == ["bitmap"] * 4
    np.testing.assert_array_equal(np.stack([d.bitmap.ravel() for d in back]), np.asarray(rows))


def test_convert_targets_and_the_cli_choices_come_from_the_table():
    from seqdoodle.cli.convert import Target
    from seqdoodle.datasets.convert import TARGETS

    assert TARGETS == (*writable_formats(), "png")
    assert issubclass(Target, Enum) and [t.value for t in Target] == list(TARGETS)


def test_predict_inputs_take_their_kind_from_the_table(tmp_path):
    from seqdoodle.runs.inputs import _input_kind, expand_inputs

    for fmt in FORMATS.values():
        for suffix in fmt.suffixes:
            assert _input_kind(tmp_path / f"x{suffix}") == fmt.kind
    for name in ("a.ndjson", "b.npy", "c.csv", "d.npz", "e.bin", "f.png"):
        (tmp_path / name).write_bytes(b"")
    # a folder stands for its ndjson, numpy_bitmap and image files, not for .csv/.npz/.bin
    assert [p.name for p in expand_inputs([tmp_path])] == ["a.ndjson", "b.npy", "f.png"]


def test_format_modules_import_only_the_base_so_the_table_has_no_circle():
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("seqdoodle", cache_dir=None)
    table = "seqdoodle.datasets.formats"
    modules = sorted(m for m in graph.modules if m.startswith(f"{table}."))
    assert len(modules) == len(FORMATS) + 1  # one module per format, and the base
    for module in modules:
        imported = graph.find_modules_directly_imported_by(module)
        inside = {m for m in imported if m.startswith("seqdoodle.datasets")}
        allowed = {f"{table}.base", "seqdoodle.datasets.records"}
        assert inside <= allowed, f"{module} imports {sorted(inside - allowed)}"
    datasets = [m for m in graph.modules if m.startswith("seqdoodle.datasets")]
    for a in datasets:
        for b in datasets:
            if a < b and graph.chain_exists(importer=a, imported=b):
                assert not graph.chain_exists(importer=b, imported=a), f"{a} <-> {b}"

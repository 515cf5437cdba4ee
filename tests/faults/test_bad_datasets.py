"""Bad prepared dataset folders: missing or edited manifest, edited or truncated arrays.

Each corruption is applied to a copy of a good dataset, then opened by the library and by the
commands that read datasets (`evaluate --data`, `train cnn/rnn --data`, `compare --runs --data`).
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from seqdoodle.datasets.prepared import PreparedDataset
from seqdoodle.errors import DataFormatError, IntegrityError, MissingFileError
from seqdoodle.fileio import sha256_file
from tests.faults.helpers import assert_one_error, corruption_params, invoke


def _edit_manifest(folder, change):
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _rehash(folder, name):
    _edit_manifest(folder, lambda m: m["files"].__setitem__(name, sha256_file(folder / name)))


def _flip_byte(folder, name="bitmaps.npy"):
    path = folder / name
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(folder, name, rehash=False):
    path = folder / name
    path.write_bytes(path.read_bytes()[:-8])
    if rehash:
        _rehash(folder, name)


def _labels_out_of_range(folder):
    labels = np.load(folder / "labels.npy")
    labels[0] = 99
    np.save(folder / "labels.npy", labels)
    _rehash(folder, "labels.npy")


def _replace_with_text(folder, name):
    (folder / name).write_text("not an array\n")
    _rehash(folder, name)


def _corrupt_npy_header(folder, name):
    path = folder / name
    data = bytearray(path.read_bytes())
    data[10:30] = b"{'descr': ((((((((  "
    path.write_bytes(bytes(data))
    _rehash(folder, name)


def _rmtree(folder):
    shutil.rmtree(folder)


# (case id, corruption, error class, fragment of the message, file the message names)
CORRUPTIONS = [
    ("folder-missing", _rmtree, MissingFileError, "no such dataset folder", ""),
    (
        "manifest-missing",
        lambda f: (f / "manifest.json").unlink(),
        MissingFileError,
        "not a complete prepared dataset",
        "manifest.json",
    ),
    (
        "manifest-truncated",
        lambda f: (f / "manifest.json").write_text((f / "manifest.json").read_text()[:50]),
        DataFormatError,
        "not valid JSON",
        "manifest.json",
    ),
    (
        "manifest-not-utf8",
        lambda f: (f / "manifest.json").write_bytes(b"\xff\xfe{}"),
        DataFormatError,
        "not valid JSON",
        "manifest.json",
    ),
    (
        "manifest-a-list",
        lambda f: (f / "manifest.json").write_text("[1, 2]"),
        DataFormatError,
        "not a seqdoodle dataset manifest",
        "manifest.json",
    ),
    (
        "manifest-other-format",
        lambda f: _edit_manifest(f, lambda m: m.update(format="something-else")),
        DataFormatError,
        "not a seqdoodle dataset manifest",
        "manifest.json",
    ),
    (
        "manifest-field-missing",
        lambda f: _edit_manifest(f, lambda m: m.pop("classes")),
        DataFormatError,
        "field 'classes' missing",
        "manifest.json",
    ),
    (
        "manifest-classes-not-a-list",
        lambda f: _edit_manifest(f, lambda m: m.update(classes="circle")),
        DataFormatError,
        "classes",
        "manifest.json",
    ),
    (
        "manifest-n-not-a-number",
        lambda f: _edit_manifest(f, lambda m: m.update(n="many")),
        DataFormatError,
        "'n'",
        "manifest.json",
    ),
    (
        "manifest-files-not-an-object",
        lambda f: _edit_manifest(f, lambda m: m.update(files=["bitmaps.npy"])),
        DataFormatError,
        "'files'",
        "manifest.json",
    ),
    (
        "manifest-file-outside-folder",
        lambda f: _edit_manifest(f, lambda m: m["files"].update({"../../x.npy": "0" * 64})),
        DataFormatError,
        "'files'",
        "manifest.json",
    ),
    (
        "manifest-count-edited",
        lambda f: _edit_manifest(f, lambda m: m.update(n=m["n"] + 1)),
        DataFormatError,
        "expected",
        "bitmaps.npy",
    ),
    (
        "bitmaps-edited",
        _flip_byte,
        IntegrityError,
        "sha256 differs from manifest.json",
        "bitmaps.npy",
    ),
    (
        "labels-truncated",
        lambda f: _truncate(f, "labels.npy"),
        IntegrityError,
        "sha256 differs",
        "labels.npy",
    ),
    (
        "points-missing",
        lambda f: (f / "points.npy").unlink(),
        MissingFileError,
        "missing from the prepared dataset",
        "points.npy",
    ),
    (
        "offsets-truncated-and-rehashed",
        lambda f: _truncate(f, "offsets.npy", rehash=True),
        DataFormatError,
        "unreadable or truncated npy",
        "offsets.npy",
    ),
    (
        "splits-replaced-by-text",
        lambda f: _replace_with_text(f, "splits.npy"),
        DataFormatError,
        "unreadable or truncated npy",
        "splits.npy",
    ),
    (
        "labels-header-corrupt",
        lambda f: _corrupt_npy_header(f, "labels.npy"),
        DataFormatError,
        "unreadable or truncated npy",
        "labels.npy",
    ),
    (
        "labels-out-of-range",
        _labels_out_of_range,
        DataFormatError,
        "labels outside the class list",
        "labels.npy",
    ),
]
IDS = [c[0] for c in CORRUPTIONS]


@pytest.fixture
def broken(tmp_path, shape_dataset, request):
    """A copy of the shape dataset (folder name with a space) with one corruption applied."""
    folder = tmp_path / "my dataset"
    shutil.copytree(shape_dataset, folder)
    request.param(folder)
    return folder


def _cases(select=lambda case: True):
    return corruption_params(CORRUPTIONS, select)


@pytest.mark.parametrize("broken, error, fragment, name", _cases(), indirect=["broken"])
def test_prepared_dataset_refuses(broken, error, fragment, name):
    with pytest.raises(error) as info:
        PreparedDataset(broken)
    message = str(info.value)
    assert fragment in message and str(broken / name) in message and "\n" not in message


@pytest.mark.parametrize("broken, error, fragment, name", _cases(), indirect=["broken"])
def test_evaluate_on_broken_dataset_is_one_line(broken, cnn_run, error, fragment, name):
    result = invoke("evaluate", cnn_run, "--data", broken, "--no-progress")
    assert_one_error(result, fragment, str(broken / name))


SOME = ("folder-missing", "manifest-missing", "bitmaps-edited", "manifest-count-edited")


@pytest.mark.parametrize("kind", ["cnn", "rnn"])
@pytest.mark.parametrize(
    "broken, error, fragment, name", _cases(lambda c: c in SOME), indirect=["broken"]
)
def test_train_on_broken_dataset_is_one_line(tmp_path, broken, kind, error, fragment, name):
    pytest.importorskip("seqdoodle.training")
    out = tmp_path / "run"
    result = invoke("train", kind, "--data", broken, "--out", out, "--no-progress")
    assert_one_error(result, fragment, str(broken / name))
    assert not (out / "model.keras").exists()


@pytest.mark.parametrize(
    "broken, error, fragment, name", _cases(lambda c: c in SOME[1:3]), indirect=["broken"]
)
def test_compare_runs_on_broken_dataset_is_one_line(
    tmp_path, broken, cnn_run, rnn_run, error, fragment, name
):
    pytest.importorskip("seqdoodle.comparison.job")
    result = invoke(
        "compare", "--runs", cnn_run, "--runs", rnn_run, "--data", broken, "--out", tmp_path / "r"
    )
    assert_one_error(result, fragment, str(broken / name))
    assert not (tmp_path / "r" / "report.json").exists()


def test_bitmap_only_dataset_for_stroke_model_is_one_line(tmp_path, rnn_run):
    from tests.test_artifacts import make_dataset, shape_drawings

    folder = tmp_path / "bitmaps only"
    make_dataset(folder, shape_drawings(per_class=3), with_strokes=False)
    result = invoke("evaluate", rnn_run, "--data", folder, "--no-progress")
    assert_one_error(result, str(folder), "bitmaps only")
    pytest.importorskip("seqdoodle.training")
    result = invoke("train", "rnn", "--data", folder, "--out", tmp_path / "run", "--no-progress")
    assert_one_error(result, str(folder), "bitmaps only")


def test_dataset_of_other_classes_is_one_line(tmp_path, cnn_run):
    from tests.test_artifacts import make_dataset, shape_drawings

    classes = ["circle", "line"]
    drawings = [d for d in shape_drawings(per_class=3) if d.word in classes]
    for d in drawings:
        d.word = {"circle": "sun", "line": "snake"}[d.word]
    make_dataset(tmp_path / "other", drawings, classes=["sun", "snake"])
    result = invoke("evaluate", cnn_run, "--data", tmp_path / "other", "--no-progress")
    assert_one_error(result, "none of its classes")


def test_unknown_split_is_one_line(shape_dataset, cnn_run):
    result = invoke("evaluate", cnn_run, "--data", shape_dataset, "--split", "holdout")
    assert_one_error(result, "unknown split 'holdout'")


# ----------------------------------------------------------------------------- prepare's --out


def test_prepare_into_other_dataset_is_one_line(tmp_path):
    out = tmp_path / "ds"
    args = ("prepare", "--out", out, "--classes", "circle,square", "--per-class", 5)
    invoke(*args, "--no-progress")
    before = (out / "manifest.json").read_bytes()
    result = invoke("prepare", "--out", out, "--classes", "circle,star", "--per-class", 5)
    assert_one_error(result, str(out), "other arguments")
    assert (out / "manifest.json").read_bytes() == before


def test_prepare_over_a_corrupt_manifest_is_one_line(tmp_path):
    out = tmp_path / "ds"
    out.mkdir()
    (out / "manifest.json").write_text('{"args": ')
    result = invoke("prepare", "--out", out, "--classes", "circle,square", "--per-class", 5)
    assert_one_error(result, str(out / "manifest.json"))


def test_prepare_resumes_over_unreadable_part_arguments(tmp_path):
    out = tmp_path / "ds"
    (out / ".parts").mkdir(parents=True)
    (out / ".parts" / "args.json").write_text("{truncated")
    result = invoke("prepare", "--out", out, "--classes", "circle,square", "--per-class", 5)
    assert result.exit_code == 0, result.output
    PreparedDataset(out)

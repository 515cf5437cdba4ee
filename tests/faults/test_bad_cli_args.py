"""Bad command-line arguments and class names, folder names with spaces, the real entry point.

Usage errors (unknown options, out-of-range values, conflicting options) exit with 2 and typer's
usage message; bad values that only the library can judge (class names, folders, URLs) exit with
1 and one `Error:` line.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqdoodle.datasets.categories import all_categories
from tests.faults.helpers import (
    FileServer,
    assert_ok,
    assert_one_error,
    assert_usage_error,
    good_line,
    invoke,
    output_lines,
    run_cli,
    write_bytes,
)

# (case id, arguments with {x} for a scratch path, a fragment of the usage message)
USAGE_ERRORS = [
    ("no-arguments", [], "Usage:"),
    ("unknown-command", ["bogus"], "No such command"),
    ("unknown-option", ["prepare", "--out", "{x}", "--bogus"], "No such option"),
    ("missing-required-option", ["prepare"], "Missing option"),
    ("per-class-zero", ["prepare", "--out", "{x}", "--per-class", "0"], "--per-class"),
    ("per-class-not-a-number", ["prepare", "--out", "{x}", "--per-class", "ten"], "--per-class"),
    ("val-above-range", ["prepare", "--out", "{x}", "--val", "1.5"], "--val"),
    ("size-too-small", ["prepare", "--out", "{x}", "--size", "2"], "--size"),
    ("classes-and-all", ["prepare", "--out", "{x}", "--classes", "cat", "--all"], "not both"),
    ("unknown-format", ["download", "--format", "jpeg", "--classes", "cat"], "--format"),
    ("download-no-classes", ["download", "--format", "bitmap"], "--classes or --all"),
    (
        "download-classes-and-all",
        ["download", "--format", "raw", "--classes", "cat", "--all"],
        "--classes or --all",
    ),
    ("train-no-kind", ["train"], "Usage:"),
    ("train-unknown-kind", ["train", "svm"], "No such command"),
    ("train-missing-out", ["train", "cnn", "--data", "{x}"], "--out"),
    (
        "train-epochs-zero",
        ["train", "cnn", "--data", "{x}", "--out", "{x}", "--epochs", "0"],
        "--epochs",
    ),
    (
        "train-unknown-arch",
        ["train", "rnn", "--data", "{x}", "--out", "{x}", "--arch", "transformer"],
        "--arch",
    ),
    ("train-negative-lr", ["train", "cnn", "--data", "{x}", "--out", "{x}", "--lr", "-1"], "--lr"),
    ("evaluate-no-data", ["evaluate", "{x}"], "exactly one of --data"),
    (
        "evaluate-data-and-source",
        ["evaluate", "{x}", "--data", "{x}", "--source", "{x}"],
        "exactly one",
    ),
    (
        "evaluate-per-class-with-data",
        ["evaluate", "{x}", "--data", "{x}", "--per-class", "3"],
        "--per-class",
    ),
    ("predict-no-inputs", ["predict", "{x}"], "Missing argument"),
    ("predict-top-k-zero", ["predict", "{x}", "{x}", "--top-k", "0"], "--top-k"),
    ("compare-one-run", ["compare", "--runs", "{x}"], "two run folders"),
    ("compare-runs-and-kinds", ["compare", "--runs", "a,b,c", "--kinds", "cnn"], "--kinds"),
    ("compare-data-and-source", ["compare", "--data", "{x}", "--source", "{x}"], "not both"),
    ("compare-runs-and-epochs", ["compare", "--runs", "a,b", "--epochs", "3"], "--epochs"),
    ("analyze-negative-per-class", ["analyze", "--out", "{x}", "--per-class", "-5"], "--per-class"),
    ("classes-extra-argument", ["classes", "extra"], "Got unexpected extra argument"),
]


@pytest.mark.parametrize("case, args, fragment", USAGE_ERRORS, ids=[c[0] for c in USAGE_ERRORS])
def test_usage_errors_exit_2(tmp_path, case, args, fragment):
    args = [a.replace("{x}", str(tmp_path / "x")) for a in args]
    assert_usage_error(invoke(*args), fragment)
    assert not (tmp_path / "x").exists()  # nothing was started


# ----------------------------------------------------------------------------- class names

CLASS_ERRORS = [
    ("misspelt", "catt", "Unknown class 'catt'. Did you mean: cat"),
    ("wrong-case", "Cat", "Did you mean: cat"),
    ("eiffel-lower-case", "the eiffel tower", "Did you mean: The Eiffel Tower"),
    ("empty-list", " , ,", "Empty class list"),
    ("one-bad-among-good", "cat,dog,unicorn", "Unknown class 'unicorn'"),
]


@pytest.mark.parametrize("command", ["download", "prepare", "analyze"])
@pytest.mark.parametrize("case, classes, fragment", CLASS_ERRORS, ids=[c[0] for c in CLASS_ERRORS])
def test_unknown_class_names_are_one_line(tmp_path, command, case, classes, fragment):
    out = tmp_path / "out"
    if command == "download":
        args = ["download", "--format", "bitmap", "--classes", classes, "--out", out]
        args += ["--base-url", tmp_path]
    else:
        args = [command, "--out", out, "--classes", classes, "--source", tmp_path]
    assert_one_error(invoke(*args), fragment)
    assert not out.exists()


def test_synthetic_source_refuses_other_classes(tmp_path):
    result = invoke("prepare", "--out", tmp_path / "ds", "--classes", "circle,cat")
    assert_one_error(result, "Unknown class 'cat'")


def source_folder(tmp_path, names=("cat", "The Eiffel Tower"), fmt="ndjson"):
    folder = tmp_path / "my source"
    for name in names:
        if fmt == "ndjson":
            lines = "".join(good_line(i, name) + "\n" for i in range(5))
            write_bytes(folder / f"{name}.ndjson", lines.encode())
        else:
            buffer = __import__("io").BytesIO()
            np.save(buffer, np.full((5, 784), 255, np.uint8))
            write_bytes(folder / f"{name}.npy", buffer.getvalue())
    return folder


def test_class_missing_from_source_is_one_line(tmp_path):
    folder = source_folder(tmp_path)
    result = invoke("prepare", "--out", tmp_path / "ds", "--source", folder, "--classes", "dog")
    assert_one_error(result, "class 'dog'", str(folder))


def test_file_of_unknown_class_in_source_is_one_line(tmp_path):
    folder = source_folder(tmp_path)
    write_bytes(folder / "unicorn.ndjson", (good_line(0, "unicorn") + "\n").encode())
    result = invoke("prepare", "--out", tmp_path / "ds", "--source", folder)
    assert_one_error(result, str(folder / "unicorn.ndjson"), "Unknown class 'unicorn'")


def test_two_files_for_one_class_is_one_line(tmp_path):
    folder = source_folder(tmp_path)
    write_bytes(folder / "full_simplified_cat.ndjson", (good_line() + "\n").encode())
    result = invoke("prepare", "--out", tmp_path / "ds", "--source", folder)
    assert_one_error(result, "two files for class 'cat'")


def test_npy_and_ndjson_for_one_class_is_one_line(tmp_path):
    strokes = source_folder(tmp_path / "a")
    bitmaps = source_folder(tmp_path / "b", fmt="npy")
    result = invoke("prepare", "--out", tmp_path / "ds", "--source", strokes, "--source", bitmaps)
    assert_one_error(result, "class 'cat' has both .npy and stroke files")


def test_mixed_bitmap_and_stroke_classes_is_one_line(tmp_path):
    strokes = source_folder(tmp_path / "a", names=["cat"])
    bitmaps = source_folder(tmp_path / "b", names=["dog"], fmt="npy")
    result = invoke("prepare", "--out", tmp_path / "ds", "--source", strokes, "--source", bitmaps)
    assert_one_error(result, "mixed sources")


@pytest.mark.parametrize(
    "case, args, fragment",
    [
        ("source-missing", ["--source", "{t}/absent"], "no such source folder"),
        ("source-empty", ["--source", "{t}/empty"], "no class files"),
        ("val-plus-test-over-1", ["--val", "0.6", "--test", "0.6"], "val + test < 1"),
        ("out-is-a-file", ["--out", "{t}/a file"], "a file"),
        ("size-for-bitmaps", ["--source", "{t}/bitmaps", "--size", "64"], "28x28"),
        (
            "synthetic-and-folder",
            ["--source", "synthetic", "--source", "{t}/empty"],
            "'synthetic' cannot be combined with source folders",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_prepare_values_are_one_line(tmp_path, case, args, fragment):
    (tmp_path / "empty").mkdir()
    (tmp_path / "a file").write_text("x")
    source_folder(tmp_path / "bm", fmt="npy").rename(tmp_path / "bitmaps")
    args = [a.replace("{t}", str(tmp_path)) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "ds")]
    result = invoke("prepare", "--per-class", 5, "--no-progress", *args)
    assert_one_error(result, fragment)
    assert not (tmp_path / "ds" / "manifest.json").exists()


def test_analyze_synthetic_with_folder_is_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    result = invoke(
        "analyze",
        "--out",
        tmp_path / "eda",
        "--source",
        "synthetic",
        "--source",
        tmp_path / "empty",
    )
    assert_one_error(result, "'synthetic' cannot be combined")


@pytest.mark.parametrize(
    "case, inputs, fragment",
    [
        ("missing-file", ["{t}/absent.png"], "no such file"),
        ("unsupported-type", ["{t}/notes.txt"], "unsupported input"),
        ("folder-without-inputs", ["{t}/empty"], "no .npy, .ndjson, .png or .jpg files"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_predict_inputs_are_one_line(tmp_path, cnn_run, case, inputs, fragment):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("cat\n")
    inputs = [a.replace("{t}", str(tmp_path)) for a in inputs]
    assert_one_error(invoke("predict", cnn_run, *inputs), fragment, inputs[0])


def test_stroke_run_on_bitmap_folder_is_one_line(tmp_path, rnn_run):
    folder = source_folder(tmp_path, names=["circle", "line"], fmt="npy")
    result = invoke("evaluate", rnn_run, "--source", folder, "--no-progress")
    assert_one_error(result, str(folder), "only bitmaps")


def test_evaluate_folder_of_other_classes_is_one_line(tmp_path, cnn_run):
    folder = source_folder(tmp_path, names=["cat", "dog"])
    result = invoke("evaluate", cnn_run, "--source", folder, "--no-progress")
    assert_one_error(result, "none of its classes")


def test_train_into_a_folder_holding_another_run_is_one_line(tmp_path, cnn_run, shape_dataset):
    pytest.importorskip("seqdoodle.training")
    result = invoke("train", "cnn", "--data", shape_dataset, "--out", cnn_run, "--no-progress")
    assert_one_error(result, str(cnn_run), "use another --out")


@pytest.mark.parametrize(
    "case, fragment",
    [("bitmaps-only", "strokes"), ("no-valid-drawings", "no valid drawings")],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_compare_on_bad_source_is_one_line(tmp_path, case, fragment):
    pytest.importorskip("seqdoodle.comparison.job")
    if case == "bitmaps-only":
        folder = source_folder(tmp_path, names=["cat", "dog"], fmt="npy")
    else:
        folder = source_folder(tmp_path, names=["cat", "dog"])
        write_bytes(folder / "dog.ndjson", b"{}\n[]\n")
    out = tmp_path / "report"
    result = invoke("compare", "--source", folder, "--out", out, "--epochs", 1, "--no-progress")
    assert_one_error(result, fragment)
    assert not (out / "report.json").exists()


# ----------------------------------------------------------------------------- downloads


def test_download_unsupported_scheme_is_one_line(tmp_path):
    result = invoke(
        "download", "--format", "raw", "--classes", "cat", "--out", tmp_path / "d",
        "--base-url", "ftp://example.org/quickdraw",
    )  # fmt: skip
    assert_one_error(result, "unsupported URL scheme")


def test_download_missing_local_file_is_one_line(tmp_path):
    result = invoke(
        "download", "--format", "simplified", "--classes", "cat", "--out", tmp_path / "d",
        "--base-url", tmp_path / "mirror",
    )  # fmt: skip
    assert_one_error(result, str(tmp_path / "mirror" / "simplified" / "cat.ndjson"))
    assert not (tmp_path / "d" / "simplified" / "cat.ndjson").exists()


@pytest.mark.parametrize("status", [404, 403])
def test_download_http_client_error_is_one_line(tmp_path, status):
    with FileServer(tmp_path, status=status) as server:
        result = invoke(
            "download", "--format", "bitmap", "--classes", "The Eiffel Tower",
            "--out", tmp_path / "d", "--base-url", server.url,
        )  # fmt: skip
    assert_one_error(result, f"HTTP {status}", "The%20Eiffel%20Tower.npy")
    assert len(server.requests) == 1  # a client error is not retried
    assert list((tmp_path / "d" / "numpy_bitmap").iterdir()) == []


def test_download_server_that_keeps_failing_is_one_line(tmp_path):
    from seqdoodle.datasets.sources import download
    from seqdoodle.errors import DownloadError

    with FileServer(tmp_path, status=503) as server:
        with pytest.raises(DownloadError) as info:
            download("cat", "raw", tmp_path / "d", base_url=server.url, retries=2, backoff=0)
    assert "HTTP 503" in str(info.value) and "(3 tries)" in str(info.value)
    assert len(server.requests) == 3


def test_download_connection_refused_is_one_line(tmp_path):
    import socket

    from seqdoodle.datasets.sources import download
    from seqdoodle.errors import DownloadError

    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match="cannot reach") as info:
        download("cat", "raw", tmp_path / "d", base_url=f"http://127.0.0.1:{port}", backoff=0)
    assert "\n" not in str(info.value)


def test_download_short_body_is_resumed_and_checked(tmp_path):
    """The server announces the whole size but drops the connection half-way: resumed, complete."""
    from seqdoodle.datasets.sources import download

    mirror = tmp_path / "mirror"
    data = np.random.default_rng(0).integers(0, 256, 300_000, dtype=np.uint8).tobytes()
    write_bytes(mirror / "raw" / "cat.ndjson", data)
    with FileServer(mirror, cut_after=100_000) as server:
        (path,) = download("cat", "raw", tmp_path / "d", base_url=server.url, backoff=0)
    assert path.read_bytes() == data
    assert [r for _, r in server.requests] == [None, "bytes=100000-"]


def test_download_that_never_completes_leaves_no_final_file(tmp_path):
    from seqdoodle.datasets.sources import download
    from seqdoodle.errors import DownloadError

    mirror = tmp_path / "mirror"
    write_bytes(mirror / "raw" / "cat.ndjson", b"x" * 50_000)
    with FileServer(mirror, cut_after=10_000, always_cut=True) as server:
        with pytest.raises(DownloadError, match="connection closed at byte"):
            download("cat", "raw", tmp_path / "d", base_url=server.url, retries=1, backoff=0)
    assert not (tmp_path / "d" / "raw" / "cat.ndjson").exists()
    assert (tmp_path / "d" / "raw" / "cat.ndjson.part").stat().st_size == 20_000  # kept to resume


@pytest.mark.parametrize("extra", [0, 1000], ids=["part-complete", "part-too-long"])
def test_download_stale_part_is_finished_or_restarted(tmp_path, extra):
    """A `.part` as long as the file is completed; a longer one (stale) is fetched again."""
    from seqdoodle.datasets.sources import download

    mirror = tmp_path / "mirror"
    data = bytes(range(256)) * 400
    write_bytes(mirror / "raw" / "cat.ndjson", data)
    part = write_bytes(tmp_path / "d" / "raw" / "cat.ndjson.part", data + b"\0" * extra)
    with FileServer(mirror) as server:
        (path,) = download("cat", "raw", tmp_path / "d", base_url=server.url, backoff=0)
    assert path.read_bytes() == data and not part.exists()
    assert server.requests[0][1] == f"bytes={len(data) + extra}-"


# ----------------------------------------------------------------------------- names with spaces


def test_class_and_folder_names_with_spaces_end_to_end(tmp_path, cnn_run):
    """'The Eiffel Tower' through download (local and HTTP), prepare, analyze and predict."""
    mirror = tmp_path / "my mirror"
    lines = "".join(good_line(i, "The Eiffel Tower") + "\n" for i in range(6)).encode()
    write_bytes(mirror / "simplified" / "The Eiffel Tower.ndjson", lines)
    write_bytes(
        mirror / "simplified" / "cat.ndjson",
        "".join(good_line(i) + "\n" for i in range(6)).encode(),
    )
    data = tmp_path / "my data"
    classes = "The Eiffel Tower,cat"
    out = assert_ok(
        invoke("download", "--format", "simplified", "--classes", classes, "--out", data,
               "--base-url", mirror)
    )  # fmt: skip
    assert str(data / "simplified" / "The Eiffel Tower.ndjson") in out
    with FileServer(mirror) as server:
        assert_ok(
            invoke("download", "--format", "simplified", "--classes", classes,
                   "--out", tmp_path / "over http", "--base-url", server.url)
        )  # fmt: skip
    assert server.requests[0][0] == "/simplified/The%20Eiffel%20Tower.ndjson"
    got = (tmp_path / "over http" / "simplified" / "The Eiffel Tower.ndjson").read_bytes()
    assert got == lines

    ds = tmp_path / "my dataset"
    assert_ok(invoke("prepare", "--source", data / "simplified", "--out", ds, "--no-progress"))
    manifest = json.loads((ds / "manifest.json").read_text())
    order = list(all_categories())
    assert manifest["classes"] == sorted(["The Eiffel Tower", "cat"], key=order.index)
    eda = tmp_path / "my analysis"
    assert_ok(invoke("analyze", "--source", data / "simplified", "--out", eda, "--no-progress"))
    summary = json.loads((eda / "summary.json").read_text())
    assert set(summary["kinds"]["simplified"]["classes"]) == {"The Eiffel Tower", "cat"}
    text = assert_ok(
        invoke("predict", cnn_run, data / "simplified" / "The Eiffel Tower.ndjson", "--json", "-")
    )
    assert [r["word"] for r in json.loads(text)] == ["The Eiffel Tower"] * 6


# ----------------------------------------------------------------------------- real entry point


def test_real_entry_point_success_and_usage(tmp_path):
    result = run_cli("classes")
    assert result.returncode == 0 and result.stdout.splitlines() == list(all_categories())
    assert_usage_error(
        run_cli("prepare", "--out", tmp_path / "x", "--per-class", "0"), "--per-class"
    )


@pytest.mark.parametrize(
    "case, args, fragment",
    [
        ("prepare-missing-source", ["prepare", "--source", "{t}/absent", "--out", "{t}/ds"],
         "no such source folder"),
        ("download-misspelt-class", ["download", "--format", "bitmap", "--classes", "catt",
                                     "--out", "{t}/d"], "Did you mean: cat"),
        ("train-missing-dataset", ["train", "cnn", "--data", "{t}/absent", "--out", "{t}/r"],
         "no such dataset folder"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)  # fmt: skip
def test_real_entry_point_bad_input_is_one_line(tmp_path, case, args, fragment):
    if case.startswith("train"):
        pytest.importorskip("seqdoodle.training")
    args = [a.replace("{t}", str(tmp_path)) for a in args]
    assert_one_error(run_cli(*args), fragment)


def test_real_entry_point_truncated_model_is_one_line(tmp_path, cnn_run):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(cnn_run, run)
    model = run / "model.keras"
    model.write_bytes(model.read_bytes()[:1000])
    image = write_bytes(tmp_path / "a.ndjson", (good_line() + "\n").encode())
    result = run_cli("predict", run, image)
    assert_one_error(result, str(model), "corrupt or truncated")
    assert output_lines(result.stdout) == []  # the error goes to stderr

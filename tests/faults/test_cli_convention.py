"""One command-line convention across the commands.

- `--out` names every output location (`download --dest` is a deprecated alias).
- `--json PATH` writes JSON to a file, `--json -` to stdout.
- Options that cannot go together are refused before anything runs: exit 2, one line
  `Error: ...` naming both.
- PNG/JPEG inputs are turned into bitmaps at the run's own size; `predict` streams its inputs.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.faults.helpers import assert_ok, invoke, output_lines, write_bytes
from tests.faults.test_bad_images import doodle, encoded

# (case, arguments, fragments of the one error line). `{t}` is a scratch folder; nothing in it
# needs to exist: the conflict is found before any file is opened.
CONFLICTS = [
    ("evaluate-data-and-source", ["evaluate", "{t}/run", "--data", "{t}/d", "--source", "{t}/s"],
     ["--data", "--source"]),
    ("evaluate-split-with-source", ["evaluate", "{t}/run", "--source", "{t}/s", "--split", "val"],
     ["--split", "--source"]),
    ("evaluate-per-class-with-data", ["evaluate", "{t}/run", "--data", "{t}/d", "--per-class", "3"],
     ["--per-class", "--source"]),
    ("compare-data-and-source", ["compare", "--data", "{t}/d", "--source", "{t}/s"],
     ["--data", "--source"]),
    ("compare-runs-cnn-arch", ["compare", "--runs", "{t}/a,{t}/b", "--cnn-arch", "baseline"],
     ["--cnn-arch", "--runs"]),
    ("compare-runs-rnn-arch", ["compare", "--runs", "{t}/a,{t}/b", "--rnn-arch", "tutorial"],
     ["--rnn-arch", "--runs"]),
    ("compare-runs-epochs", ["compare", "--runs", "{t}/a,{t}/b", "--epochs", "3"],
     ["--epochs", "--runs"]),
    ("compare-runs-time-limit", ["compare", "--runs", "{t}/a,{t}/b", "--time-limit", "1"],
     ["--time-limit", "--runs"]),
    ("compare-runs-kinds", ["compare", "--runs", "{t}/a,{t}/b", "--kinds", "cnn"],
     ["--kinds", "--runs"]),
    ("download-classes-and-all", ["download", "-f", "raw", "--classes", "cat", "--all"],
     ["--classes", "--all"]),
    ("download-neither", ["download", "-f", "raw"], ["--classes", "--all"]),
    ("download-out-and-dest", ["download", "-f", "raw", "--classes", "cat", "--out", "{t}/a",
                               "--dest", "{t}/b"], ["--out", "--dest"]),
    ("prepare-classes-and-all", ["prepare", "--out", "{t}/d", "--classes", "cat", "--all"],
     ["--classes", "--all"]),
    ("train-freeze-without-init", ["train", "cnn", "--data", "{t}/d", "--out", "{t}/r",
                                   "--freeze-backbone"], ["--freeze-backbone", "--init-from"]),
    ("predict-submission-two-inputs", ["predict", "{t}/run", "{t}/a.csv", "{t}/b.csv",
                                       "--submission", "{t}/s.csv"], ["--submission"]),
    ("predict-submission-and-json", ["predict", "{t}/run", "{t}/a.csv", "--submission",
                                     "{t}/s.csv", "--json", "-"], ["--submission", "--json"]),
]  # fmt: skip


@pytest.mark.parametrize("args, fragments", [pytest.param(a, f, id=c) for c, a, f in CONFLICTS])
def test_conflicting_options_are_one_line_exit_2(tmp_path, args, fragments):
    result = invoke(*[a.replace("{t}", str(tmp_path)) for a in args])
    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    lines = output_lines(result.output)
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert list(tmp_path.iterdir()) == []  # nothing was written


def test_predict_json_refuses_to_overwrite_an_input(tmp_path, cnn_run):
    image = write_bytes(tmp_path / "cat.png", encoded(doodle()))
    result = invoke("predict", cnn_run, image, "--json", image)
    assert result.exit_code == 2, result.output
    (line,) = output_lines(result.output)
    assert line.startswith("Error: ") and "--json" in line and str(image) in line
    assert image.read_bytes() == encoded(doodle())


# ----------------------------------------------------------------------------- --out


def _mirror(tmp_path):
    lines = "".join(
        json.dumps({"word": "cat", "drawing": [[[0, 100], [0, 100]]]}) + "\n" for _ in range(3)
    )
    return write_bytes(tmp_path / "mirror" / "simplified" / "cat.ndjson", lines.encode()).parents[1]


def test_download_writes_to_out(tmp_path):
    mirror = _mirror(tmp_path)
    out = tmp_path / "data"
    args = ["download", "-f", "simplified", "--classes", "cat", "--base-url", mirror]
    result = invoke(*args, "--out", out)
    assert_ok(result)
    assert (out / "simplified" / "cat.ndjson").read_bytes() == (
        mirror / "simplified" / "cat.ndjson"
    ).read_bytes()
    assert "deprecated" not in result.output


def test_download_dest_still_works_with_a_note(tmp_path):
    mirror = _mirror(tmp_path)
    out = tmp_path / "data"
    result = invoke("download", "-f", "simplified", "--classes", "cat", "--base-url", mirror,
                    "--dest", out)  # fmt: skip
    assert_ok(result)
    assert (out / "simplified" / "cat.ndjson").is_file()
    assert "Note: --dest is deprecated; use --out" in result.stderr
    assert "deprecated" not in result.stdout


def test_every_output_option_is_called_out():
    """No command names an output folder or file `--dest` in its help any more."""
    from tests.test_docs_options import commands, help_options

    assert all("--dest" not in help_options(path) for path in commands())


# ----------------------------------------------------------------------------- --json


def test_predict_json_to_a_file_or_stdout(tmp_path, cnn_run):
    image = write_bytes(tmp_path / "cat.png", encoded(doodle()))
    to_stdout = invoke("predict", cnn_run, image, "--json", "-")
    assert_ok(to_stdout)
    rows = json.loads(to_stdout.stdout)
    assert [r["source"] for r in rows] == ["cat.png"]
    assert len(rows[0]["top"]) == 3
    path = tmp_path / "out" / "predictions.json"
    to_file = invoke("predict", cnn_run, image, "--json", path)
    assert_ok(to_file)
    assert json.loads(path.read_text()) == rows
    assert str(path) in to_file.stdout and "[" not in to_file.stdout


def test_evaluate_json_to_stdout(shape_dataset, cnn_run):
    result = invoke("evaluate", cnn_run, "--data", shape_dataset, "--json", "-", "--no-progress")
    assert_ok(result)
    report = json.loads(result.stdout)  # stdout holds the JSON only
    assert 0.0 <= report["top1"] <= 1.0 and report["n"] > 0


# ----------------------------------------------------------------------------- images, streaming


@pytest.fixture(scope="module")
def run_32(tmp_path_factory):
    """A CNN run trained (1 epoch) on 32x32 bitmaps."""
    from seqdoodle import prepare, train

    root = tmp_path_factory.mktemp("size32")
    classes = ["circle", "square", "star"]
    data = prepare("synthetic", root / "ds", classes=classes, per_class=12, size=32,
                   progress=False)  # fmt: skip
    train("cnn", data.path, root / "run", arch="baseline", epochs=1, batch_size=16,
          progress=False)  # fmt: skip
    return root / "run"


def test_images_are_predicted_at_the_runs_own_size(tmp_path, run_32):
    from seqdoodle import load_run
    from seqdoodle.runs.inputs import load_inputs

    image = write_bytes(tmp_path / "cross.png", encoded(doodle(size=(90, 60))))
    result = invoke("predict", run_32, image, "--json", "-")
    rows = json.loads(assert_ok(result))
    assert rows[0]["source"] == "cross.png" and len(rows[0]["top"]) == 3
    run = load_run(run_32)
    (drawing,) = load_inputs([image], size=run.input_config["size"])
    assert drawing.bitmap.shape == (32, 32) and drawing.bitmap.max() > 0


def test_predict_streams_its_inputs_in_batches(tmp_path, cnn_run, monkeypatch):
    """Drawings are read and predicted a batch at a time, results come out in input order."""
    from seqdoodle import inference, load_run

    lines = [json.dumps({"word": "cat", "drawing": [[[i, 200], [0, 255 - i]]]}) for i in range(10)]
    first = write_bytes(tmp_path / "a.ndjson", ("\n".join(lines) + "\n").encode())
    second = write_bytes(tmp_path / "b.ndjson", ("\n".join(lines[:3]) + "\n").encode())
    run = load_run(cnn_run)
    sizes = []
    original = run.predict_proba

    def spy(drawings, *args, **kwargs):
        sizes.append(len(drawings))
        return original(drawings, *args, **kwargs)

    monkeypatch.setattr(run, "predict_proba", spy)
    results = inference.iter_predictions(run, [first, second], batch_size=4)
    head = next(results)
    assert sizes == [4]  # one batch done, nothing else read or predicted yet
    rest = list(results)
    assert sizes == [4, 4, 4, 1]
    sources = [r["source"] for r in [head, *rest]]
    assert sources == [f"a.ndjson:{i}" for i in range(1, 11)] + [f"b.ndjson:{i}" for i in (1, 2, 3)]
    expected = inference.predict(load_run(cnn_run), [first, second])
    assert [r["top"][0][0] for r in [head, *rest]] == [r["top"][0][0] for r in expected]
    probs = np.array([r["top"][0][1] for r in [head, *rest]])
    assert np.allclose(probs, [r["top"][0][1] for r in expected], atol=1e-5)


def test_evaluate_out_folder_holds_every_output(tmp_path, shape_dataset, cnn_run):
    out = tmp_path / "eval"
    result = invoke("evaluate", cnn_run, "--data", shape_dataset, "--out", out, "--no-progress")
    assert_ok(result)
    report = json.loads((out / "report.json").read_text())
    assert (out / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    with np.load(out / "predictions.npz", allow_pickle=False) as f:
        assert len(f["y_true"]) == report["n"]


def test_compare_json_to_stdout(tmp_path, shape_dataset, cnn_run, rnn_run):
    out = tmp_path / "report"
    runs = f"{cnn_run},{rnn_run}"
    result = invoke("compare", "--runs", runs, "--data", shape_dataset, "--out", out,
                    "--json", "-", "--no-progress")  # fmt: skip
    assert_ok(result)
    report = json.loads(result.stdout)  # stdout holds the JSON only
    assert report == json.loads((out / "report.json").read_text())

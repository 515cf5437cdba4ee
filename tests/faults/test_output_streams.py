"""Which stream each kind of CLI output goes to (docs/reliability.md, the exit-code table).

Results (the `skipped bad lines: N` count of `prepare` and `analyze` included) go to stdout;
`Note: ...` lines, `Error: ...` lines and the Ctrl-C resume line go to stderr.
"""

from __future__ import annotations

from tests.faults.helpers import good_line, invoke, output_lines, write_bytes

BAD_LINE = b'{"word": "cat", "drawing": "not strokes"}'


def _source(folder):
    lines = [good_line(i).encode() for i in range(6)]
    write_bytes(folder / "cat.ndjson", b"\n".join([*lines[:3], BAD_LINE, *lines[3:]]) + b"\n")
    dog = "".join(good_line(i, "dog") + "\n" for i in range(6)).encode()
    write_bytes(folder / "dog.ndjson", dog)
    return folder


def test_prepare_counts_skipped_lines_on_stdout(tmp_path):
    source = _source(tmp_path / "src")
    result = invoke("prepare", "--source", source, "--out", tmp_path / "ds", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "skipped bad lines: 1 (see manifest.json)" in output_lines(result.stdout)
    assert "skipped bad lines" not in result.stderr


def test_analyze_counts_skipped_lines_on_stdout(tmp_path):
    source = _source(tmp_path / "src")
    result = invoke("analyze", "--source", source, "--out", tmp_path / "eda")
    assert result.exit_code == 0, result.output
    assert any(line.startswith("skipped bad lines: 1") for line in output_lines(result.stdout))
    assert "skipped bad lines" not in result.stderr


def test_predict_notes_go_to_stderr_results_to_stdout(tmp_path, cnn_run):
    source = _source(tmp_path / "src")
    result = invoke("predict", cnn_run, source / "cat.ndjson")
    assert result.exit_code == 0, result.output
    notes = [line for line in output_lines(result.stderr) if line.startswith("Note: ")]
    assert len(notes) == 1 and "cat.ndjson" in notes[0], result.stderr
    assert "Note:" not in result.stdout
    assert len(output_lines(result.stdout)) >= 6  # a table row per valid drawing (+ header)


def test_errors_go_to_stderr_and_nothing_to_stdout(tmp_path):
    result = invoke("prepare", "--source", tmp_path / "absent", "--out", tmp_path / "ds")
    assert result.exit_code == 1
    assert result.stdout == ""
    (line,) = output_lines(result.stderr)
    assert line.startswith("Error: ") and "absent" in line

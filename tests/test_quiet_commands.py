"""Every command's output is its own: no TensorFlow log line unless `seqdoodle --verbose`.

TensorFlow's C++ runtime writes start-up lines (absl's `I0000 ...`: CUDA probing, CPU-instruction
notices) to stderr while it loads, before any log level applies. Each command here runs as a real
subprocess with a clean environment (PATH and HOME only, as in a plain shell), so nothing the test
session set (TF_CPP_MIN_LOG_LEVEL, say) hides what a user would see.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_artifacts import SHAPE_CLASSES, shape_drawings

pytestmark = pytest.mark.slow  # each command that loads TensorFlow takes seconds

REPO = Path(__file__).resolve().parents[1]
TF_LOG = re.compile(
    r"^[IWEF]\d{4} \d\d:\d\d:\d\d"  # absl: I0000 00:00:1712... or I0612 10:11:12...
    r"|I0000|W0000|E0000|oneDNN|cuda|tensorflow/|WARNING: All log messages before absl"
    r"|This TensorFlow binary is optimized|To enable the following instructions",
    re.IGNORECASE,
)


def tf_log_lines(text: str) -> list[str]:
    """The lines of `text` that look like TensorFlow's or absl's own log."""
    return [line for line in text.splitlines() if TF_LOG.search(line)]


def test_the_pattern_knows_the_log_it_hides():
    log = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1796616078.630564    8848 cudart_stub.cc:31] Could not find cuda drivers on "
        "your machine, GPU will not be used.\n"
        "E0612 10:11:12.300373    8848 cuda_platform.cc:52] failed call to cuInit\n"
        "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow\n"
    )
    assert len(tf_log_lines(log)) == 4
    assert tf_log_lines("source  word  top-1\nx.ndjson:1  circle  circle 90.8%\n") == []


def seqdoodle(*args, home: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m seqdoodle ARGS` in a clean environment: PATH and HOME only."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "seqdoodle", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=timeout,
    )


def assert_quiet(result: subprocess.CompletedProcess, code: int = 0) -> None:
    """Exit `code`, no traceback, and not one TensorFlow log line on stdout or stderr."""
    text = result.stdout + result.stderr
    assert result.returncode == code, f"exit {result.returncode}, expected {code}:\n{text}"
    assert "Traceback" not in text, text
    assert tf_log_lines(text) == [], text


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """One HOME for the module (Keras and matplotlib write their settings there once)."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    """A run trained for 1 epoch by `train` (baseline CNN, 3 synthetic classes); its data in ds/."""
    from seqdoodle.datasets.prepare import prepare
    from seqdoodle.training import train

    root = tmp_path_factory.mktemp("trained")
    data = prepare(
        "synthetic", root / "ds", classes=["circle", "square", "star"], per_class=20, progress=False
    ).path
    train("cnn", data, root / "run", arch="baseline", epochs=1, batch_size=16, progress=False)
    return root / "run"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict:
    """Drawings as .ndjson, and a file named .png that is no image."""
    folder = tmp_path_factory.mktemp("inputs")
    drawings = shape_drawings(SHAPE_CLASSES[:2], per_class=2, seed=4)
    lines = [json.dumps({"word": d.word, "drawing": d.strokes}) for d in drawings]
    (folder / "x.ndjson").write_text("\n".join(lines) + "\n")
    (folder / "notimage.png").write_text("not a picture\n")
    return {"ndjson": folder / "x.ndjson", "notimage": folder / "notimage.png", "n": len(lines)}


@pytest.mark.parametrize(
    "args",
    [("--help",), ("classes",), ("train", "cnn", "--help"), ("export", "--help")],
    ids=["help", "classes", "train-help", "export-help"],
)
def test_commands_without_tensorflow_print_only_their_own(args, home):
    result = seqdoodle(*args, home=home)
    assert_quiet(result)
    assert result.stderr == ""
    if args == ("classes",):
        assert len(result.stdout.splitlines()) == 345
    else:
        assert "Usage:" in result.stdout


def test_predict_prints_its_table_and_nothing_else(trained_run, inputs, home):
    result = seqdoodle("predict", trained_run, inputs["ndjson"], home=home)
    assert_quiet(result)
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["source", "word", "top-1"]
    assert [line.split()[0] for line in lines[1:]] == [
        f"x.ndjson:{i + 1}" for i in range(inputs["n"])
    ]


def test_predict_bad_image_is_one_line(trained_run, inputs, home):
    result = seqdoodle("predict", trained_run, inputs["notimage"], home=home)
    assert_quiet(result, code=1)
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: {inputs['notimage']}: not a readable PNG/JPEG image"
    ]


def test_evaluate_prints_no_tensorflow_log(trained_run, home):
    dataset = trained_run.parent / "ds"  # what `trained_run` was trained on
    result = seqdoodle("evaluate", trained_run, "--data", dataset, "--json", "-", home=home)
    assert_quiet(result)
    report = json.loads(result.stdout)
    assert 0.0 <= report["top1"] <= 1.0


def test_verbose_lets_tensorflow_log_through(trained_run, inputs, home):
    """Where TensorFlow logs anything when it loads, `--verbose` shows it; the error stays last."""
    plain = subprocess.run(
        [sys.executable, "-c", "import tensorflow"],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)},
        timeout=300,
    )
    if not tf_log_lines(plain.stderr):
        pytest.skip("TensorFlow logs nothing when it loads on this machine")
    result = seqdoodle("--verbose", "predict", trained_run, inputs["notimage"], home=home)
    assert result.returncode == 1, result.stderr
    assert tf_log_lines(result.stderr)
    assert result.stderr.splitlines()[-1].startswith(f"Error: {inputs['notimage']}")


def test_use_onednn_asks_for_onednn_on_x86_and_leaves_a_users_choice(monkeypatch):
    import platform
    import sys

    from seqdoodle.models import runtime

    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    assert runtime.use_onednn() is True
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "1"
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")  # the user's Eigen kernels stay
    assert runtime.use_onednn() is False
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "0"
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS")
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")  # not asked for elsewhere
    assert runtime.use_onednn() is False
    assert "TF_ENABLE_ONEDNN_OPTS" not in os.environ

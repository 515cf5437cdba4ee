"""The real-data gate: tests that need ../shared/quickdraw skip locally and fail in CI."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO, missing_real_data, real_data_required

# A test that takes the real data and checks one drawing of it.
REAL_TEST = "tests/datasets/test_readers.py::test_real_raw"


def _pytest(tmp_path, **env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SEQDOODLE_")}
    environ.update(SEQDOODLE_SHARED_QUICKDRAW=str(tmp_path / "absent"), **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", REAL_TEST],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=environ,
        timeout=300,
    )


def test_missing_data_skips_with_the_reason_locally(tmp_path):
    result = _pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert f"real data not found at {tmp_path / 'absent'}" in result.stdout  # -rs summary


@pytest.mark.parametrize("value", ["1", "true"])
def test_missing_data_fails_when_required(tmp_path, value):
    result = _pytest(tmp_path, SEQDOODLE_REQUIRE_REAL_DATA=value)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 error" in result.stdout or "1 failed" in result.stdout, result.stdout
    assert "SEQDOODLE_REQUIRE_REAL_DATA=1 requires it" in result.stdout
    assert "skipped" not in result.stdout


def test_gate_helpers(tmp_path):
    assert not real_data_required({})
    assert not real_data_required({"SEQDOODLE_REQUIRE_REAL_DATA": "0"})
    assert real_data_required({"SEQDOODLE_REQUIRE_REAL_DATA": "1"})
    (tmp_path / "simplified").mkdir()
    reason = missing_real_data(tmp_path)
    assert "raw/" in reason and "bitmap/" in reason and "simplified/," not in reason
    for name in ("simplified_nokeyid", "raw", "bitmap"):
        (tmp_path / name).mkdir()
    assert missing_real_data(tmp_path) is None

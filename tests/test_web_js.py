"""The JavaScript package's own tests (`web/`, node's test runner), run as part of the suite.

They prove the browser preprocessing identical to the Python functions on fixtures those
functions made from real drawings. Without node the test skips, except under CI (`CI` or
`SEQDOODLE_REQUIRE_REAL_DATA` set), where a missing tool is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.conftest import REPO, SHARED_QUICKDRAW, real_data_required

WEB = REPO / "web"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        if real_data_required() or os.environ.get("CI"):
            pytest.fail("node is not installed; the web/ tests need Node.js 20", pytrace=False)
        pytest.skip("node is not installed (the web/ tests need Node.js 20)")
    return node


@pytest.mark.slow
def test_the_javascript_preprocessing_passes_its_tests():
    node = _node()
    env = {**os.environ, "SEQDOODLE_SHARED_QUICKDRAW": str(SHARED_QUICKDRAW)}
    done = subprocess.run(
        [node, "--test", "test/"], cwd=WEB, env=env, capture_output=True, text=True, timeout=600
    )
    counts = dict(re.findall(r"^# (pass|fail|skipped|todo) (\d+)$", done.stdout, re.M))
    assert done.returncode == 0 and counts.get("fail") == "0", done.stdout[-3000:] + done.stderr
    assert int(counts.get("pass", 0)) >= 17, done.stdout[-2000:]
    if real_data_required():  # the full comparison over every real raw drawing must have run
        assert counts.get("skipped", "0") == "0", done.stdout[-2000:]

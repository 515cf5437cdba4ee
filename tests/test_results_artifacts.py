"""The committed results behind the docs' figures: small JSON files that name their command.

`experiments/results/*.json` are tracked (everything else there is ignored, and so are the
experiments' work folders under `experiments/work/`). Each must be valid JSON and small; that each
names the `python -m experiments...` command that remakes it is checked by
`tests/test_experiments.py`. Figures the README quotes from such a file are checked against it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "experiments" / "results"
MAX_BYTES = 200_000


def tracked_results() -> list[Path]:
    """The result files git tracks (or would, once added); local leftovers are not checked."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "experiments/results"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        pytest.skip("not a git checkout: cannot tell committed results from local ones")
    return sorted(REPO / name for name in listed if name.endswith(".json"))


def test_gitignore_keeps_small_json_results_and_drops_the_rest():
    def ignored(name: str) -> bool:
        result = subprocess.run(
            ["git", "check-ignore", "-q", "--no-index", name], cwd=REPO, timeout=30
        )
        return result.returncode == 0

    try:
        assert not ignored("experiments/results/simplify_report.json")
    except (OSError, subprocess.SubprocessError):
        pytest.skip("git is not available")
    assert ignored("experiments/results/learning_curve.png")
    assert ignored("experiments/work/compare_26_defaults/runs/cnn/model.keras")
    assert ignored("experiments/work/compare_26_defaults/data/manifest.json")
    assert not ignored("experiments/common.py")


@pytest.mark.parametrize("path", tracked_results(), ids=lambda p: p.name)
def test_result_json_is_small_and_an_object(path):
    assert path.stat().st_size <= MAX_BYTES, f"{path.name}: keep large artifacts out of git"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path.name


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def test_readme_simplifier_figure_is_the_committed_one():
    path = RESULTS / "simplify_report.json"
    if path not in tracked_results():
        pytest.skip("experiments/results/simplify_report.json is not committed")
    report = json.loads(path.read_text(encoding="utf-8"))
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    match = re.search(r"exactly for ([\d,]+) of ([\d,]+) real raw drawings", readme)
    assert match, "the README no longer quotes the simplifier figure"
    assert (_number(match[1]), _number(match[2])) == (report["exact_count"], report["drawings"])

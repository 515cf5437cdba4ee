"""The committed results behind the docs' figures: small JSON files that name their command.

`experiments/results/*.json` are tracked (everything else there is ignored). Each must be valid
JSON, small, and say which command made it (`"command": "python experiments/<script>.py ..."`
or `"seqdoodle ..."`; in a file several scripts merge into, such as `benchmarks.json`, each
top-level section names its own), so a figure can be traced and remade. Figures the README
quotes from such a file are checked against it.
"""

from __future__ import annotations

import json
import re
import shlex
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
    assert ignored("experiments/results/work/runs/cnn/model.keras")


@pytest.mark.parametrize("path", tracked_results(), ids=lambda p: p.name)
def test_result_json_is_small_and_names_its_command(path):
    assert path.stat().st_size <= MAX_BYTES, f"{path.name}: keep large artifacts out of git"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path.name
    if "command" in data:
        commands = {"": data["command"]}
    elif isinstance(data.get("commands"), dict):  # {section: command} of a merged file
        commands = dict(data["commands"])
        commands.update(
            {k: v["command"] for k, v in data.items() if isinstance(v, dict) and "command" in v}
        )
    else:  # a file that several scripts merge into: one command per top-level section
        commands = {k: v.get("command") for k, v in data.items() if isinstance(v, dict)}
    assert commands, f"{path.name}: no 'command' key"
    for section, command in commands.items():
        where = f"{path.name}{'[' + section + ']' if section else ''}"
        assert isinstance(command, str) and command, f"{where}: no 'command' key"
        tokens = shlex.split(command)
        if tokens[0] == "seqdoodle":
            continue
        assert tokens[0] in ("python", "python3"), f"{where}: {command}"
        script = tokens[1] if tokens[1] != "-m" else None
        assert script is not None and (REPO / script).is_file(), f"{where}: {command}"


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

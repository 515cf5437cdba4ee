"""Shared fixtures. Real data comes from ../shared/quickdraw beside the checkout when present.

Tests that need the real data take the `shared_quickdraw` fixture. Without the data they skip
with the reason; with `SEQDOODLE_REQUIRE_REAL_DATA=1` in the environment (CI sets it) they fail
instead, so a missing data folder cannot pass as a green run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seqdoodle.models.runtime import use_onednn  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
use_onednn()  # the CPU kernels of the commands, before any test loads TensorFlow

REPO = Path(__file__).resolve().parents[1]
SHARED_QUICKDRAW = Path(
    os.environ.get("SEQDOODLE_SHARED_QUICKDRAW", REPO.parent / "shared" / "quickdraw")
)
REQUIRE_REAL_DATA = "SEQDOODLE_REQUIRE_REAL_DATA"
REAL_DATA_FOLDERS = ("simplified", "simplified_nokeyid", "raw", "bitmap")


def real_data_required(environ=os.environ) -> bool:
    """Whether `SEQDOODLE_REQUIRE_REAL_DATA` asks for the real data (1, true, yes, on)."""
    return environ.get(REQUIRE_REAL_DATA, "").strip().lower() in ("1", "true", "yes", "on")


def missing_real_data(root: Path) -> str | None:
    """Why `root` is not a usable real-data folder, or None when it is."""
    missing = [name for name in REAL_DATA_FOLDERS if not (root / name).is_dir()]
    if missing:
        return f"real data not found at {root} (missing {', '.join(f'{m}/' for m in missing)})"
    return None


@pytest.fixture(scope="session")
def shared_quickdraw() -> Path:
    """The real Quick, Draw! subset folder; the test skips when it is absent, or fails when
    `SEQDOODLE_REQUIRE_REAL_DATA=1`."""
    reason = missing_real_data(SHARED_QUICKDRAW)
    if reason is not None:
        if real_data_required():
            pytest.fail(f"{reason}; {REQUIRE_REAL_DATA}=1 requires it", pytrace=False)
        pytest.skip(f"{reason}; set SEQDOODLE_SHARED_QUICKDRAW to its folder")
    return SHARED_QUICKDRAW


# The trained runs of today's format (tests/fixtures/make_trained_runs.py): one per registered kind,
# trained above chance on a few real classes; serve, export and ensemble tests use them.
CURRENT_RUNS = REPO / "tests" / "fixtures" / "runs_current"


def current_expected() -> dict:
    """`runs_current/expected.json`: the dataset recipe, check drawings, words, probabilities."""
    import json

    path = CURRENT_RUNS / "expected.json"
    if not path.is_file():
        pytest.fail(
            f"{path}: missing; run tests/fixtures/make_trained_runs.py to make it", pytrace=False
        )
    return json.loads(path.read_text("utf-8"))


@pytest.fixture(scope="session")
def current_runs(tmp_path_factory) -> dict[str, Path]:
    """Copies of the trained current runs, `{kind name: run folder}` in registry order.

    Copies, so that what serving or export writes into a run folder (caches) never touches the
    committed fixture.
    """
    import shutil

    from seqdoodle.kinds import kind_names

    expected = current_expected()
    root = tmp_path_factory.mktemp("runs_current")
    out = {}
    for name in kind_names():
        if name not in expected["runs"]:
            pytest.fail(
                f"{CURRENT_RUNS}: no run of kind {name!r}; rerun "
                "tests/fixtures/make_trained_runs.py",
                pytrace=False,
            )
        shutil.copytree(CURRENT_RUNS / name, root / name, ignore=shutil.ignore_patterns(".lock"))
        out[name] = root / name
    return out


@pytest.fixture(scope="session")
def current_dataset(shared_quickdraw, tmp_path_factory) -> Path:
    """The prepared dataset the current runs were trained on, remade from ../shared/quickdraw.

    Its arrays are checked against the sha256 recorded in `expected.json` (the same drawings,
    splits and labels the runs saw), so `compare` and ensemble fits on it match the runs.
    """
    import json

    from seqdoodle.datasets.prepare import prepare

    recipe = current_expected()["dataset"]
    out = tmp_path_factory.mktemp("current_dataset") / "data"
    prepare(
        [shared_quickdraw / s for s in recipe["sources"]],
        out,
        classes=recipe["classes"],
        per_class=recipe["per_class"],
        seed=recipe["seed"],
        progress=False,
    )
    files = json.loads((out / "manifest.json").read_text("utf-8"))["files"]
    if files != recipe["files"]:
        pytest.fail(
            f"{out}: the remade dataset differs from the one the current runs were trained on "
            f"(arrays {sorted(k for k in files if files[k] != recipe['files'].get(k))})",
            pytrace=False,
        )
    return out

"""Shared fixtures. Real data comes from ../shared/quickdraw beside the checkout when present.

Tests that need the real data take the `shared_quickdraw` fixture. Without the data they skip
with the reason; with `SEQDOODLE_REQUIRE_REAL_DATA=1` in the environment (CI sets it) they fail
instead, so a missing data folder cannot pass as a green run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

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

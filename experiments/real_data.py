"""The real stroke subset the experiments use by default: `../shared/quickdraw` beside the checkout.

The 8 classes with 500+ stroke drawings: `simplified/monkey.ndjson` and `simplified_nokeyid/*`.
Both folders are read in that order, so a class present in both gets the drawings of both.
"""

from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "quickdraw"
STROKE_CLASSES = [
    "monkey",
    "cake",
    "necklace",
    "piano",
    "power outlet",
    "smiley face",
    "snowman",
    "teapot",
]
STROKE_FOLDERS = ("simplified", "simplified_nokeyid")


def stroke_sources(shared: Path = SHARED) -> list[Path]:
    """The source folders of the 8-class stroke set under `shared`."""
    return [Path(shared) / folder for folder in STROKE_FOLDERS]

"""The real stroke subset the experiments use by default: `../shared/quickdraw` beside the checkout.

The 8 classes of the first stroke set: `simplified/monkey.ndjson` and `simplified_nokeyid/*`; and
`stroke_classes`, every class with 500+ drawings in the two folders (the 26-class set). Both folders
are read in that order, so a class present in both gets the drawings of both.
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


def stroke_classes(root: Path = SHARED, minimum: int = 500) -> list[str]:
    """Classes with at least `minimum` drawings (lines) in `simplified/` + `simplified_nokeyid/`."""
    counts: dict[str, int] = {}
    for folder in STROKE_FOLDERS:
        for path in sorted((Path(root) / folder).glob("*.ndjson")):
            with open(path, "rb") as f:
                counts[path.stem] = counts.get(path.stem, 0) + sum(1 for _ in f)
    return sorted(c for c, n in counts.items() if n >= minimum)

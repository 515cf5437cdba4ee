"""Old path of `seqdoodle.datasets.formats.sketchrnn` (sketch-rnn `.npz` files), kept for one
release.

Importing it warns with a `DeprecationWarning`; import from the format module instead.
"""

from __future__ import annotations

import warnings

from seqdoodle.datasets.formats.sketchrnn import (  # noqa: F401 (the old names)
    SPLITS,
    RefusedPickle,
    SketchRnnReader,
    read_sketchrnn,
    split_sizes,
    stroke3_to_strokes,
    strokes_to_stroke3,
    write_sketchrnn,
)

warnings.warn(
    "seqdoodle.datasets.sketchrnn is deprecated and will be removed in the next release; "
    "import from seqdoodle.datasets.formats.sketchrnn",
    DeprecationWarning,
    stacklevel=2,
)

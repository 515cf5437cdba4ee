"""Old path of `seqdoodle.datasets.formats.binary` (Google's binary files), kept for one release.

Importing it warns with a `DeprecationWarning`; import from the format module instead.
"""

from __future__ import annotations

import warnings

from seqdoodle.datasets.formats.binary import (  # noqa: F401 (the old names)
    HEADER,
    BinaryReader,
    pack_drawing,
    read_binary,
    write_binary,
)

warnings.warn(
    "seqdoodle.datasets.binary is deprecated and will be removed in the next release; "
    "import from seqdoodle.datasets.formats.binary",
    DeprecationWarning,
    stacklevel=2,
)

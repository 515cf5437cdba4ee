"""Error types. Every message is one line that names the file (or value) and what is wrong.

The CLI prints a `SeqdoodleError` as one red line and exits with code 1; library users can catch
the standard base classes (`ValueError`, `FileNotFoundError`, `OSError`) as well.
"""


class SeqdoodleError(Exception):
    """Base class of all errors seqdoodle raises on bad input or a failed operation."""


class DataFormatError(SeqdoodleError, ValueError):
    """A file or value has the wrong format, shape, dtype or content."""


class UnknownClassError(SeqdoodleError, ValueError):
    """A class name is not one of the 345 Quick, Draw! categories (or of a model's classes)."""


class MissingFileError(SeqdoodleError, FileNotFoundError):
    """A file or folder that is needed does not exist."""


class DownloadError(SeqdoodleError, OSError):
    """A download failed after its retries (network down, HTTP error, size mismatch)."""


class LockedError(SeqdoodleError):
    """Another seqdoodle process holds the lock on a folder."""


class IntegrityError(SeqdoodleError, ValueError):
    """A file does not match the hash or size recorded for it (edited or truncated)."""

"""Exceptions of the insole package.

Every error a user can cause derives from :class:`InsoleError`; its message is
one line that names the problem and the fix.  The CLI prints it and exits with
code 2, never with a traceback.
"""

from __future__ import annotations


class InsoleError(Exception):
    """Base class of all user-facing errors (bad input, bad options, bad files)."""

    exit_code = 2


class UnknownLayoutError(InsoleError, KeyError):
    """A layout name that is not in the registry."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "unknown layout"


class LayoutError(InsoleError):
    """A layout file or definition that is malformed."""


class RecordingFileError(InsoleError):
    """A recording file that cannot be read: truncated, foreign, or of a newer schema."""


class SchemaVersionError(RecordingFileError):
    """A recording file written with a newer major schema version."""


class UnknownFormatError(InsoleError):
    """An input file whose format is not recognised."""


class FormatError(InsoleError):
    """An input file in a known format that is malformed (truncated, wrong dialect, ...)."""


class CalibrationError(InsoleError):
    """A calibration file or procedure that cannot be used."""


class AcquisitionError(InsoleError):
    """A device or port problem during recording."""

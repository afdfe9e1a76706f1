"""The recording file: an HDF5 schema (docs/format.md), a streaming writer and a lazy reader."""

from typing import Any

_LAZY = {
    "FootReader": "insole.store.reader",
    "RecordingFile": "insole.store.reader",
    "open_recording": "insole.store.reader",
    "read_recording": "insole.store.reader",
    "FootSpec": "insole.store.writer",
    "RecordingWriter": "insole.store.writer",
    "write_recording": "insole.store.writer",
}


def __getattr__(name: str) -> Any:
    # Lazy so that insole.recording can import insole.store.schema without a cycle.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'insole.store' has no attribute {name!r}")


def repair(path) -> bool:
    """Make a recording whose writer crashed writable again; True if it needed it.

    Raises :class:`~insole.exceptions.RecordingFileError` when the file is not
    an HDF5 file or its superblock is damaged.
    """
    from insole.exceptions import RecordingFileError
    from insole.store._repair import clear_consistency_flags

    try:
        changed = clear_consistency_flags(path)
    except FileNotFoundError:
        raise RecordingFileError(f"{path} does not exist") from None
    except ValueError as exc:
        raise RecordingFileError(f"{path} cannot be repaired: {exc}") from None
    from insole.store.reader import open_recording

    with open_recording(path, "r+"):
        pass
    return changed


__all__ = [
    "FootReader",
    "FootSpec",
    "RecordingFile",
    "RecordingWriter",
    "open_recording",
    "read_recording",
    "repair",
    "write_recording",
]

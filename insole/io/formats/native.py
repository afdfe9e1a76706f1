"""Our own recording file (``.h5``, docs/format.md) as an import format."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from insole.exceptions import InsoleError
from insole.io import FormatSpec
from insole.io._common import check_paths
from insole.recording import Recording

if TYPE_CHECKING:
    from insole.layout import SensorLayout

#: The 8-byte HDF5 superblock signature.
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def identify(path: Path, head: bytes) -> bool:
    """An HDF5 file (whether it is an insole recording is checked on read)."""
    return head.startswith(HDF5_SIGNATURE)


def read(paths: Sequence[Path], *, layout: str | SensorLayout | None = None) -> Recording:
    """Load an insole recording file; the layout stored in it is kept."""
    from insole.store import read_recording

    (path,) = check_paths(paths, "native", n=1)
    if layout is not None:
        raise InsoleError(
            f"{path} is an insole recording with its own layout; --layout applies to vendor files only"
        )
    return read_recording(path)


FORMAT = FormatSpec(
    name="native",
    description="insole recording file (HDF5, docs/format.md)",
    suffixes=(".h5", ".hdf5"),
    identify=identify,
    read=read,
)

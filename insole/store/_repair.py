"""Clear the "open for writing" flags of an HDF5 file whose writer crashed.

A file written in SWMR mode keeps, in its version-2/3 superblock, a byte of
*file consistency flags* while a writer has it open.  If the writer dies
(SIGKILL, power loss) the flags stay set: readers can still open the file with
``swmr=True`` (we do that transparently), but nothing can open it for writing.
``insole repair`` clears the flags, moves the end-of-file address past every
byte on disk (so new allocations never overwrite old data) and rewrites the
superblock checksum, like ``h5clear -s --increment`` of the HDF5 tools.

Superblock v2/3 layout (HDF5 file format specification, "Superblock Version 2/3"):
signature(8) version(1) size_of_offsets(1) size_of_lengths(1) flags(1)
base_address(O) extension_address(O) end_of_file_address(O) root_object_header(O)
checksum(4, Jenkins lookup3 over everything before it).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_MASK = 0xFFFFFFFF


def _rot(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & _MASK


def lookup3(data: bytes, initval: int = 0) -> int:
    """Bob Jenkins' lookup3 ``hashlittle``, as HDF5 uses for metadata checksums."""
    length = len(data)
    a = b = c = (0xDEADBEEF + length + initval) & _MASK
    i = 0
    while length - i > 12:
        a = (a + int.from_bytes(data[i : i + 4], "little")) & _MASK
        b = (b + int.from_bytes(data[i + 4 : i + 8], "little")) & _MASK
        c = (c + int.from_bytes(data[i + 8 : i + 12], "little")) & _MASK
        a = (a - c) & _MASK; a ^= _rot(c, 4); c = (c + b) & _MASK  # noqa: E702
        b = (b - a) & _MASK; b ^= _rot(a, 6); a = (a + c) & _MASK  # noqa: E702
        c = (c - b) & _MASK; c ^= _rot(b, 8); b = (b + a) & _MASK  # noqa: E702
        a = (a - c) & _MASK; a ^= _rot(c, 16); c = (c + b) & _MASK  # noqa: E702
        b = (b - a) & _MASK; b ^= _rot(a, 19); a = (a + c) & _MASK  # noqa: E702
        c = (c - b) & _MASK; c ^= _rot(b, 4); b = (b + a) & _MASK  # noqa: E702
        i += 12
    tail = data[i:]
    if not tail:
        return c
    tail = tail + b"\0" * (12 - len(tail))
    a = (a + int.from_bytes(tail[0:4], "little")) & _MASK
    b = (b + int.from_bytes(tail[4:8], "little")) & _MASK
    c = (c + int.from_bytes(tail[8:12], "little")) & _MASK
    c ^= b; c = (c - _rot(b, 14)) & _MASK  # noqa: E702
    a ^= c; a = (a - _rot(c, 11)) & _MASK  # noqa: E702
    b ^= a; b = (b - _rot(a, 25)) & _MASK  # noqa: E702
    c ^= b; c = (c - _rot(b, 16)) & _MASK  # noqa: E702
    a ^= c; a = (a - _rot(c, 4)) & _MASK  # noqa: E702
    b ^= a; b = (b - _rot(a, 14)) & _MASK  # noqa: E702
    c ^= b; c = (c - _rot(b, 24)) & _MASK  # noqa: E702
    return c


def read_superblock_flags(path: str | os.PathLike) -> int | None:
    """The consistency flags byte, or None when the superblock has none (version 0/1)."""
    with open(path, "rb") as fh:
        head = fh.read(12)
    if len(head) < 12 or head[:8] != HDF5_SIGNATURE:
        raise ValueError("not an HDF5 file (no HDF5 signature at offset 0)")
    if head[8] not in (2, 3):
        return None
    return head[11]


def clear_consistency_flags(path: str | os.PathLike) -> bool:
    """Clear the flags and fix the end-of-file address; True when something changed."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:8] != HDF5_SIGNATURE:
            raise ValueError("not an HDF5 file (no HDF5 signature at offset 0)")
        version, size_offsets = head[8], head[9]
        if version not in (2, 3):
            return False  # older superblocks have no consistency flags
        fmt = {4: "<I", 8: "<Q"}[size_offsets]
        n_body = 12 + 4 * size_offsets
        fh.seek(0)
        body = bytearray(fh.read(n_body + 4))
        stored = struct.unpack("<I", bytes(body[n_body:]))[0]
        if lookup3(bytes(body[:n_body])) != stored:
            raise ValueError("superblock checksum does not match: the file is damaged beyond this repair")
        eof_pos = 12 + 2 * size_offsets
        eof = struct.unpack(fmt, bytes(body[eof_pos : eof_pos + size_offsets]))[0]
        if body[11] == 0 and eof >= size:
            return False
        body[11] = 0
        body[eof_pos : eof_pos + size_offsets] = struct.pack(fmt, max(eof, size))
        body[n_body:] = struct.pack("<I", lookup3(bytes(body[:n_body])))
        fh.seek(0)
        fh.write(bytes(body))
        fh.flush()
        os.fsync(fh.fileno())
    return True

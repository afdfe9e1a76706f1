"""Readable twin of the compiled protocol-v1 decoder (``ext/protocol_v1.pyx``): the specification.

:func:`decode_v1` has the same name, signature and results as
``insole._ext.protocol_v1.decode_v1``; tests hold the two equal.  The receiver
algorithm is the one docs/protocol.md ("Receiving") describes, step by step;
the public, stateful wrapper is :class:`insole.protocol.V1Decoder`.
"""

from __future__ import annotations

import binascii
import struct

import numpy as np

from insole.protocol._wire import CRC_INIT, CRC_LEN, HEADER_LEN, MAX_SENSORS, SYNC, VERSION

#: A frame start for resynchronisation: sync followed by the version byte.
_START = SYNC + bytes([VERSION])
#: Header fields after the sync: version, foot, format, n_sensors, seq, t_device_us.
_HEADER = struct.Struct("<BBBHII")


def _frame_len(foot: int, bits: int, n_sensors: int) -> int:
    """Frame length in bytes from header fields, or 0 when a field is invalid."""
    if foot > 2 or bits not in (8, 12, 16) or not 1 <= n_sensors <= MAX_SENSORS:
        return 0
    per_block = {8: n_sensors, 12: 3 * ((n_sensors + 1) // 2), 16: 2 * n_sensors}[bits]
    return HEADER_LEN + (2 if foot == 2 else 1) * per_block + CRC_LEN


def _next_start(buf: bytes, lo: int, hi: int) -> int:
    """First position in ``[lo, hi)`` where all three bytes A5 5A 01 are in ``buf``; -1 if none."""
    return buf.find(_START, lo, min(hi + 2, len(buf)))


def _unpack_block(block: bytes, n_sensors: int, bits: int) -> np.ndarray:
    """One foot's samples as uint16 (docs/protocol.md, "Sample formats")."""
    raw = np.frombuffer(block, dtype=np.uint8)
    if bits == 8:
        return raw.astype(np.uint16)
    if bits == 16:
        return np.frombuffer(block, dtype="<u2").astype(np.uint16)
    # u12: each 3-byte group is the 24-bit little-endian integer  a | b << 12
    groups = raw.reshape(-1, 3).astype(np.uint16)
    a = groups[:, 0] | ((groups[:, 1] & 0x0F) << 8)
    b = (groups[:, 1] >> 4) | (groups[:, 2] << 4)
    return np.column_stack([a, b]).reshape(-1)[:n_sensors]


def decode_v1(
    data: bytes | bytearray | memoryview,
    final: bool,
    n_sensors: int,
    bits: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int, int]:
    """Decode every complete protocol-v1 frame in ``data``.

    Parameters
    ----------
    data : bytes-like
        Received bytes, starting where the previous call stopped (its unconsumed tail first).
    final : bool
        The stream ends here: resolve what would otherwise wait for more bytes
        (an incomplete frame is a truncated frame; leftover bytes are garbage).
    n_sensors, bits : int
        The decoder's lock: sensor count and bits per sample of the frames to
        keep, or 0 and 0 to lock onto the first CRC-valid frame.

    Returns
    -------
    foot : (n_rows,) uint8
        0 (left) or 1 (right); a both-feet frame gives two rows, left then right.
    seq : (n_rows,) uint32
        Sequence numbers.
    t_device_us : (n_rows,) uint32
        Device timestamps as sent (wrapping).
    values : (n_rows, n_sensors) uint16
        Samples.
    counters : (5,) int64
        frames_ok, crc_errors, garbage_bytes, truncated_frames, mismatched_frames.
    consumed : int
        Bytes of ``data`` that are decided; the caller keeps ``data[consumed:]``.
    n_sensors, bits : int
        The lock after this call (0, 0 while no valid frame was seen).
    """
    buf = bytes(data)
    n = len(buf)
    frames_ok = crc_errors = garbage = truncated = mismatched = 0
    starts: list[int] = []
    p = 0
    while True:
        # 1. Hunt for the sync pair; bytes skipped on the way are garbage.
        s = buf.find(SYNC, p)
        if s < 0:
            keep = 1 if (not final and n > p and buf[-1] == SYNC[0]) else 0  # may begin a sync
            garbage += n - keep - p
            p = n - keep
            break
        garbage += s - p
        p = s
        # 2. The header.
        if n - s < HEADER_LEN:
            if not final:
                break  # wait for the rest of the header
            if n - s > 2 and buf[s + 2] != VERSION:
                garbage += 1
                p = s + 1
                continue
            truncated += 1  # the stream ends inside a header
            p = n
            break
        version, foot, fbits, nsens, _, _ = _HEADER.unpack_from(buf, s + 2)
        if version != VERSION:  # not a v1 frame start: a sync pattern in garbage
            garbage += 1
            p = s + 1
            continue
        length = _frame_len(foot, fbits, nsens)
        if length == 0:  # a v1 header with an invalid foot, format or length
            truncated += 1
            p = s + 2
            continue
        # 3. The whole frame.
        if n - s < length:
            if not final:
                break  # wait for the rest of the frame
            truncated += 1  # cut by the end of the stream
            s2 = _next_start(buf, s + 1, n)
            p = s2 if s2 >= 0 else n
            continue
        body_end = s + length - CRC_LEN
        if binascii.crc_hqx(buf[s + 2 : body_end], CRC_INIT) == int.from_bytes(buf[body_end : s + length], "little"):
            if n_sensors == 0:
                n_sensors, bits = nsens, fbits  # lock onto the first valid frame
            if nsens == n_sensors and fbits == bits:
                starts.append(s)
                frames_ok += 1
            else:
                mismatched += 1
            p = s + length
            continue
        # 4. CRC failed: a frame start inside the frame means it was cut short.
        if not final and n < s + length + 2:
            break  # look-ahead: a start may straddle the frame's last byte
        s2 = _next_start(buf, s + 1, s + length)
        if s2 >= 0:
            truncated += 1
            p = s2
        else:
            crc_errors += 1
            p = s + length

    # 5. Decode the kept frames: a both-feet frame gives a left row and a right row.
    feet: list[int] = []
    seqs: list[int] = []
    times: list[int] = []
    rows: list[np.ndarray] = []
    for s in starts:
        _, foot, fbits, nsens, seq, t_us = _HEADER.unpack_from(buf, s + 2)
        per_block = _frame_len(0, fbits, nsens) - HEADER_LEN - CRC_LEN
        for block in range(2 if foot == 2 else 1):
            off = s + HEADER_LEN + block * per_block
            feet.append(block if foot == 2 else foot)
            seqs.append(seq)
            times.append(t_us)
            rows.append(_unpack_block(buf[off : off + per_block], nsens, fbits))
    values = np.array(rows, dtype=np.uint16).reshape(len(rows), n_sensors)
    counters = np.array([frames_ok, crc_errors, garbage, truncated, mismatched], dtype=np.int64)
    return (
        np.array(feet, dtype=np.uint8),
        np.array(seqs, dtype=np.uint32),
        np.array(times, dtype=np.uint32),
        values,
        counters,
        p,
        n_sensors,
        bits,
    )


__all__ = ["decode_v1"]

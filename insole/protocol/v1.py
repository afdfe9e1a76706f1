"""Insole frame protocol v1 (docs/protocol.md): encoder, incremental decoder and capture reader."""

from __future__ import annotations

import binascii
import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from insole.protocol._dispatch import decode_kernel
from insole.protocol._wire import (
    COUNTERS,
    CRC_INIT,
    CRC_LEN,
    HEADER_LEN,
    MAX_SENSORS,
    SYNC,
    VERSION,
    Foot,
    SampleFormat,
    block_len,
)

_U32_MASK = 0xFFFFFFFF


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class FrameBatch:
    """Frames decoded by one :meth:`V1Decoder.feed` call, as arrays (one row per foot block).

    A single-foot frame gives one row; a both-feet frame gives two rows (left,
    then right) with the same ``seq`` and ``t_device_us``.  The counters
    describe the byte stream of that call.

    Attributes
    ----------
    foot : (n_rows,) uint8
        0 = left, 1 = right (:class:`Foot`).
    seq : (n_rows,) uint32
        Frame sequence numbers as sent.
    t_device_us : (n_rows,) uint32
        Device timestamps in microseconds as sent (they wrap every 2**32 us,
        about 71.6 min; :class:`~insole.protocol.TimestampUnwrapper` unwraps).
    values : (n_rows, n_sensors) uint16
        Samples, whatever the wire format.
    n_sensors : int
        Sensors per foot (0 while the decoder has not seen a valid frame).
    fmt : SampleFormat or None
        Wire sample format (None while the decoder has not seen a valid frame).
    frames_ok : int
        Wire frames with a valid CRC that were decoded into rows.
    crc_errors : int
        Complete frames whose CRC did not match (skipped whole).
    garbage_bytes : int
        Bytes skipped while hunting for sync (not part of any frame).
    truncated_frames : int
        Frames cut short by the next frame start or by the end of the stream,
        and v1 headers with an invalid foot, format or sensor count.
    mismatched_frames : int
        CRC-valid frames whose sensor count or format differs from the
        decoder's lock (dropped; see :class:`V1Decoder`).
    """

    foot: np.ndarray
    seq: np.ndarray
    t_device_us: np.ndarray
    values: np.ndarray
    n_sensors: int
    fmt: SampleFormat | None
    frames_ok: int = 0
    crc_errors: int = 0
    garbage_bytes: int = 0
    truncated_frames: int = 0
    mismatched_frames: int = 0

    def __len__(self) -> int:
        return int(self.seq.shape[0])

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={getattr(self, name)}" for name in COUNTERS)
        fmt = self.fmt.label if self.fmt else None
        return f"FrameBatch(n_rows={len(self)}, n_sensors={self.n_sensors}, fmt={fmt}, {counts})"

    @property
    def n_rows(self) -> int:
        """Rows (foot blocks) in the batch."""
        return len(self)

    @property
    def counters(self) -> dict[str, int]:
        """The link counters by name, in :data:`COUNTERS` order."""
        return {name: int(getattr(self, name)) for name in COUNTERS}

    @classmethod
    def empty(cls, n_sensors: int = 0, fmt: SampleFormat | None = None) -> FrameBatch:
        """A batch without rows and with zero counters."""
        return cls(
            np.zeros(0, np.uint8),
            np.zeros(0, np.uint32),
            np.zeros(0, np.uint32),
            np.zeros((0, n_sensors), np.uint16),
            n_sensors,
            fmt,
        )

    def select(self, foot: Foot | int | str) -> FrameBatch:
        """The rows of one foot.

        The link counters describe the byte stream, not a foot, so the
        selection carries zero counters (sum the unselected batches instead).
        """
        code = Foot.parse(foot)
        if code is Foot.BOTH:
            raise ValueError("select 'left' or 'right': rows of both-feet frames are split per foot")
        mask = self.foot == int(code)
        return FrameBatch(
            self.foot[mask], self.seq[mask], self.t_device_us[mask], self.values[mask], self.n_sensors, self.fmt
        )

    @classmethod
    def concatenate(cls, batches: Iterable[FrameBatch]) -> FrameBatch:
        """Rows of several batches of one decoder, in order, with summed counters.

        Raises
        ------
        ValueError
            If batches with rows have different sensor counts or formats.
        """
        batches = list(batches)
        with_rows = [b for b in batches if len(b)]
        configs = {(b.n_sensors, b.fmt) for b in with_rows}
        if len(configs) > 1:
            raise ValueError(f"cannot concatenate batches of different sensor counts/formats: {sorted(configs)}")
        known = [b for b in batches if b.n_sensors]
        n_sensors, fmt = (known[-1].n_sensors, known[-1].fmt) if known else (0, None)
        if not with_rows:
            out = cls.empty(n_sensors, fmt)
        else:
            out = cls(
                np.concatenate([b.foot for b in with_rows]),
                np.concatenate([b.seq for b in with_rows]),
                np.concatenate([b.t_device_us for b in with_rows]),
                np.concatenate([b.values for b in with_rows]),
                n_sensors,
                fmt,
            )
        return replace(out, **{name: sum(getattr(b, name) for b in batches) for name in COUNTERS})


# --------------------------------------------------------------------------- decoder


class V1Decoder:
    """Incremental, resynchronising decoder of a protocol-v1 byte stream.

    :meth:`feed` takes bytes as they arrive (any split: partial frames are kept
    between calls) and returns the complete frames as a :class:`FrameBatch` of
    arrays.  Garbage between frames, CRC failures and truncated frames are
    counted, never raised.  Lost frames are not interpolated: track them per
    foot with :class:`~insole.protocol.SequenceTracker`.

    The decoder locks onto one sensor count and sample format (given here, or
    those of the first CRC-valid frame), so every batch is rectangular; later
    CRC-valid frames with another count or format are dropped and counted as
    ``mismatched_frames``.  A decision about a frame may wait for up to two
    bytes after it (to tell a cut frame from a corrupted one); :meth:`flush`
    resolves the tail when the stream ends.

    Parameters
    ----------
    n_sensors : int, optional
        Sensors per foot to expect (1..1024).  Give it together with ``fmt``.
    fmt : SampleFormat, int or str, optional
        Sample format to expect (``"u8"``, ``"u12"``, ``"u16"`` or bits).
    backend : {"cython", "numpy"}, optional
        Decode kernel; default :data:`insole.kernels.BACKEND`.

    Attributes
    ----------
    backend : str
        The kernel in use: ``"cython"`` or ``"numpy"`` (the readable twin).
    totals : dict of str to int
        Counters summed over all calls (:data:`COUNTERS`), plus ``bytes_fed``.

    Examples
    --------
    >>> from insole.protocol import V1Decoder, encode_v1
    >>> wire = encode_v1("left", 7, 1000, [1, 2, 3], "u12")
    >>> dec = V1Decoder()
    >>> len(dec.feed(b"\\x00junk" + wire[:10])), len(dec.feed(wire[10:]))
    (0, 1)
    >>> dec.totals["garbage_bytes"], dec.totals["frames_ok"]
    (5, 1)
    """

    def __init__(
        self,
        *,
        n_sensors: int | None = None,
        fmt: SampleFormat | int | str | None = None,
        backend: str | None = None,
    ) -> None:
        if (n_sensors is None) != (fmt is None):
            raise ValueError("give both n_sensors and fmt, or neither (then the first valid frame sets them)")
        if n_sensors is not None and not 1 <= int(n_sensors) <= MAX_SENSORS:
            raise ValueError(f"n_sensors must be in 1..{MAX_SENSORS}, got {n_sensors}")
        self.n_sensors = n_sensors
        self.fmt = fmt
        self._kernel = decode_kernel(backend)
        from insole import kernels

        self.backend: str = kernels.BACKEND if backend is None else backend
        self._lock = (0, 0) if n_sensors is None else (int(n_sensors), int(SampleFormat.parse(fmt)))
        self._pending = b""
        self.totals: dict[str, int] = dict.fromkeys((*COUNTERS, "bytes_fed"), 0)

    @property
    def pending_bytes(self) -> int:
        """Received bytes not decided yet (a partial frame or header)."""
        return len(self._pending)

    @property
    def locked(self) -> tuple[int, SampleFormat | None]:
        """The sensor count and format frames must have (0 and None before the first valid frame)."""
        n, bits = self._lock
        return n, SampleFormat(bits) if bits else None

    def feed(self, data: bytes | bytearray | memoryview) -> FrameBatch:
        """Decode the complete frames of the stream so far.

        Parameters
        ----------
        data : bytes-like
            The next bytes of the stream, split anywhere.

        Returns
        -------
        FrameBatch
            Frames completed by these bytes and the counters of this call.
        """
        return self._run(data, final=False)

    def flush(self) -> FrameBatch:
        """End of stream: resolve the pending bytes (an incomplete frame counts as truncated).

        The decoder stays usable (and locked) for a new stream.
        """
        return self._run(b"", final=True)

    def _run(self, data: bytes | bytearray | memoryview, *, final: bool) -> FrameBatch:
        view = memoryview(data)
        view = view.cast("B") if view.c_contiguous else memoryview(view.tobytes())
        # one copy joins the undecided tail of the previous call to the new bytes; none without a tail
        buf: bytes | memoryview = b"".join((self._pending, view)) if self._pending else view
        self.totals["bytes_fed"] += view.nbytes
        foot, seq, t_us, values, counters, consumed, n_sensors, bits = self._kernel(buf, final, *self._lock)
        self._pending = bytes(buf[consumed:])
        self._lock = (int(n_sensors), int(bits))
        counts = {name: int(c) for name, c in zip(COUNTERS, counters.tolist())}
        for name, c in counts.items():
            self.totals[name] += c
        return FrameBatch(foot, seq, t_us, values, int(n_sensors), SampleFormat(bits) if bits else None, **counts)

    def __repr__(self) -> str:
        n, fmt = self.locked
        return (f"V1Decoder(backend={self.backend!r}, locked=({n}, {fmt.label if fmt else None}), "
                f"pending_bytes={self.pending_bytes})")


def iter_capture(
    path: str | PathLike[str],
    *,
    chunk_bytes: int = 1 << 20,
    n_sensors: int | None = None,
    fmt: SampleFormat | int | str | None = None,
    backend: str | None = None,
) -> Iterator[FrameBatch]:
    """Decode a raw ``.bin`` capture of a protocol-v1 stream chunk by chunk.

    Parameters
    ----------
    path : path-like
        File holding the bytes exactly as received from the port.
    chunk_bytes : int
        Bytes read and decoded per step (memory bound: about 3x this).
    n_sensors, fmt, backend
        As for :class:`V1Decoder`.

    Yields
    ------
    FrameBatch
        One per chunk, then the :meth:`V1Decoder.flush` batch of the tail.
    """
    if chunk_bytes < 1:
        raise ValueError(f"chunk_bytes must be positive, got {chunk_bytes}")
    decoder = V1Decoder(n_sensors=n_sensors, fmt=fmt, backend=backend)
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_bytes):
            yield decoder.feed(chunk)
    yield decoder.flush()


def read_capture(
    path: str | PathLike[str],
    *,
    chunk_bytes: int = 1 << 20,
    n_sensors: int | None = None,
    fmt: SampleFormat | int | str | None = None,
    backend: str | None = None,
) -> FrameBatch:
    """All frames and link counters of a raw ``.bin`` capture, as one :class:`FrameBatch`.

    See :func:`iter_capture` for the parameters; this concatenates its batches.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from insole.protocol import encode_v1, read_capture
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "walk.bin"
    >>> _ = path.write_bytes(encode_v1("right", 1, 10, [5, 6], "u8") + b"\\xa5\\x5a\\x01")
    >>> batch = read_capture(path)
    >>> batch.values.tolist(), batch.truncated_frames
    ([[5, 6]], 1)
    """
    return FrameBatch.concatenate(
        iter_capture(Path(path), chunk_bytes=chunk_bytes, n_sensors=n_sensors, fmt=fmt, backend=backend)
    )


# --------------------------------------------------------------------------- encoder


def _crc_table() -> np.ndarray:
    table = np.zeros(256, np.uint16)
    for i in range(256):
        crc = i << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table[i] = crc
    return table


_CRC_TABLE = _crc_table()


def _crc16_rows(body: np.ndarray) -> np.ndarray:
    """CRC-16/CCITT-FALSE of every row of a (m, k) uint8 array."""
    m, k = body.shape
    if m < 64:  # few long rows: per row in C
        return np.array([binascii.crc_hqx(row.tobytes(), CRC_INIT) for row in body], dtype=np.uint16)
    crc = np.full(m, CRC_INIT, np.uint16)
    table = _CRC_TABLE
    for j in range(k):  # many rows: one table step per byte column, across all rows
        crc = (crc << 8) ^ table[(crc >> 8) ^ body[:, j]]
    return crc


def _pack_blocks(values: np.ndarray, fmt: SampleFormat) -> np.ndarray:
    """(m, n) samples -> (m, block_len) wire bytes (docs/protocol.md, "Sample formats")."""
    m, n = values.shape
    if fmt is SampleFormat.U8:
        return values.astype(np.uint8)
    if fmt is SampleFormat.U16:
        return np.ascontiguousarray(values, dtype="<u2").view(np.uint8).reshape(m, 2 * n)
    if n % 2:  # u12: pad an odd count with one zero sample
        values = np.concatenate([values, np.zeros((m, 1), values.dtype)], axis=1)
    a = values[:, 0::2].astype(np.uint16)
    b = values[:, 1::2].astype(np.uint16)
    out = np.empty((m, a.shape[1], 3), np.uint8)
    out[..., 0] = a & 0xFF  # a bits 0-7
    out[..., 1] = (a >> 8) | ((b & 0x0F) << 4)  # a bits 8-11, b bits 0-3
    out[..., 2] = b >> 4  # b bits 4-11
    return out.reshape(m, -1)


def _as_u32(x: ArrayLike, m: int, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integers, got dtype {arr.dtype}")
    arr = np.broadcast_to(arr, (m,))
    return (arr.astype(np.uint64) & _U32_MASK).astype("<u4")


def _check_values(values: ArrayLike, foot: Foot, fmt: SampleFormat, *, batch: bool) -> np.ndarray:
    """Values as (m, n_blocks, n_sensors) uint16, validated."""
    arr = np.asarray(values)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"values must be integers (counts), got dtype {arr.dtype}")
    want_ndim = (3 if foot is Foot.BOTH else 2) if batch else (2 if foot is Foot.BOTH else 1)
    shape_hint = {(True, True): "(n_frames, 2, n_sensors)", (True, False): "(n_frames, n_sensors)",
                  (False, True): "(2, n_sensors)", (False, False): "(n_sensors,)"}[batch, foot is Foot.BOTH]
    if arr.ndim != want_ndim or (foot is Foot.BOTH and arr.shape[-2] != 2):
        raise ValueError(f"values for foot {foot.name.lower()} must have shape {shape_hint}, got {arr.shape}")
    if not batch:
        arr = arr[None]
    arr = arr.reshape(arr.shape[0], foot.n_blocks, arr.shape[-1])
    if not 1 <= arr.shape[-1] <= MAX_SENSORS:
        raise ValueError(f"n_sensors must be in 1..{MAX_SENSORS}, got {arr.shape[-1]}")
    if arr.size and (arr.min() < 0 or arr.max() > fmt.max_value):
        raise ValueError(f"values must be in 0..{fmt.max_value} for {fmt.label}, got {arr.min()}..{arr.max()}")
    return arr.astype(np.uint16)


def encode_v1_batch(
    foot: Foot | int | str,
    seq: ArrayLike,
    t_us: ArrayLike,
    values: ArrayLike,
    fmt: SampleFormat | int | str,
) -> bytes:
    """Encode many frames of one foot code at once (vectorised; for emulators and benchmarks).

    Parameters
    ----------
    foot : Foot, int or str
        ``"left"``, ``"right"`` or ``"both"`` (codes 0, 1, 2), for every frame.
    seq, t_us : (n_frames,) array_like of int
        Sequence numbers and device timestamps in microseconds, taken modulo
        2**32 as a device counter wraps (a scalar is broadcast).
    values : array_like of int
        ``(n_frames, n_sensors)``, or ``(n_frames, 2, n_sensors)`` (left, right) for ``"both"``.
    fmt : SampleFormat, int or str
        ``"u8"``, ``"u12"`` or ``"u16"``; values must fit (0..255, 0..4095, 0..65535).

    Returns
    -------
    bytes
        The frames back to back.

    Raises
    ------
    ValueError, TypeError
        On a bad foot, format, shape, sensor count or out-of-range value.
    """
    foot = Foot.parse(foot)
    fmt = SampleFormat.parse(fmt)
    vals = _check_values(values, foot, fmt, batch=True)
    m, n_blocks, n = vals.shape
    seq32 = _as_u32(seq, m, "seq")
    t32 = _as_u32(t_us, m, "t_us")
    per_block = block_len(n, fmt)
    length = HEADER_LEN + n_blocks * per_block + CRC_LEN
    out = np.empty((m, length), np.uint8)
    out[:, 0:2] = np.frombuffer(SYNC, np.uint8)
    out[:, 2] = VERSION
    out[:, 3] = int(foot)
    out[:, 4] = int(fmt)
    out[:, 5:7] = np.frombuffer(int(n).to_bytes(2, "little"), np.uint8)
    out[:, 7:11] = seq32.view(np.uint8).reshape(m, 4)
    out[:, 11:15] = t32.view(np.uint8).reshape(m, 4)
    for b in range(n_blocks):
        lo = HEADER_LEN + b * per_block
        out[:, lo : lo + per_block] = _pack_blocks(vals[:, b, :], fmt)
    crc = _crc16_rows(out[:, 2 : length - CRC_LEN])
    out[:, length - 2 :] = crc.astype("<u2").view(np.uint8).reshape(m, 2)
    return out.tobytes()


def encode_v1(
    foot: Foot | int | str,
    seq: int,
    t_us: int,
    values: ArrayLike,
    fmt: SampleFormat | int | str,
) -> bytes:
    """Encode one protocol-v1 frame.

    Parameters
    ----------
    foot : Foot, int or str
        ``"left"``, ``"right"`` or ``"both"`` (codes 0, 1, 2).
    seq : int
        Sequence number, taken modulo 2**32.
    t_us : int
        Device timestamp in microseconds, taken modulo 2**32.
    values : array_like of int
        ``(n_sensors,)`` samples, or ``(2, n_sensors)`` (left row, right row) for ``"both"``.
    fmt : SampleFormat, int or str
        ``"u8"``, ``"u12"`` or ``"u16"``; values must fit.

    Returns
    -------
    bytes
        The frame: header, sample block(s), CRC.

    Examples
    --------
    >>> encode_v1("left", 1, 1000, [0, 1, 128, 255], "u8").hex(" ")
    'a5 5a 01 00 08 04 00 01 00 00 00 e8 03 00 00 00 01 80 ff a2 8a'
    """
    foot = Foot.parse(foot)
    vals = _check_values(values, foot, SampleFormat.parse(fmt), batch=False)
    if foot is not Foot.BOTH:
        vals = vals[:, 0, :]
    return encode_v1_batch(foot, [operator.index(seq) & _U32_MASK], [operator.index(t_us) & _U32_MASK], vals, fmt)

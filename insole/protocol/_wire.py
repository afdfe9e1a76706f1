"""Wire constants of insole frame protocol v1 (docs/protocol.md), shared by encoder and decoders."""

from __future__ import annotations

from enum import IntEnum
from typing import Final

#: The two sync bytes that start every frame.
SYNC: Final = b"\xa5\x5a"
#: Protocol version byte (offset 2).
VERSION: Final = 1
#: Sync + version + foot + format + n_sensors + seq + t_device_us, in bytes.
HEADER_LEN: Final = 15
#: CRC-16 trailer, in bytes.
CRC_LEN: Final = 2
#: Largest sensor count per foot.
MAX_SENSORS: Final = 1024
#: Initial value of the CRC-16/CCITT-FALSE register.
CRC_INIT: Final = 0xFFFF
#: CRC-16/CCITT-FALSE generator polynomial (x^16 + x^12 + x^5 + 1), MSB first.
CRC_POLY: Final = 0x1021
#: Per-call decoder counters, in the order the kernels return them.
COUNTERS: Final = ("frames_ok", "crc_errors", "garbage_bytes", "truncated_frames", "mismatched_frames")


class Foot(IntEnum):
    """Foot code of the header byte at offset 3."""

    LEFT = 0
    RIGHT = 1
    BOTH = 2

    @classmethod
    def parse(cls, foot: Foot | int | str) -> Foot:
        """A :class:`Foot` from a code (0, 1, 2) or a name (``"left"``, ``"right"``, ``"both"``)."""
        if isinstance(foot, str):
            try:
                return cls[foot.upper()]
            except KeyError:
                raise ValueError(f"foot must be one of 'left', 'right', 'both', got {foot!r}") from None
        try:
            return cls(int(foot))
        except ValueError:
            raise ValueError(f"foot code must be 0 (left), 1 (right) or 2 (both), got {foot!r}") from None

    @property
    def n_blocks(self) -> int:
        """Sensor blocks in the payload: 2 for :attr:`BOTH`, else 1."""
        return 2 if self is Foot.BOTH else 1


class SampleFormat(IntEnum):
    """Sample format of the header byte at offset 4: its value is the bits per sample."""

    U8 = 8
    U12 = 12
    U16 = 16

    @classmethod
    def parse(cls, fmt: SampleFormat | int | str) -> SampleFormat:
        """A :class:`SampleFormat` from bits (8, 12, 16) or a name (``"u8"``, ``"u12"``, ``"u16"``)."""
        if isinstance(fmt, str):
            try:
                return cls[fmt.upper()]
            except KeyError:
                raise ValueError(f"format must be one of 'u8', 'u12', 'u16', got {fmt!r}") from None
        try:
            return cls(int(fmt))
        except ValueError:
            raise ValueError(f"format must be 8, 12 or 16 bits per sample, got {fmt!r}") from None

    @property
    def max_value(self) -> int:
        """Largest sample value the format carries (255, 4095 or 65535)."""
        return (1 << int(self)) - 1

    @property
    def label(self) -> str:
        """``"u8"``, ``"u12"`` or ``"u16"``."""
        return self.name.lower()


def block_len(n_sensors: int, fmt: SampleFormat | int | str) -> int:
    """Bytes of one foot's sample block.

    Parameters
    ----------
    n_sensors : int
        Samples in the block (1..1024).
    fmt : SampleFormat, int or str
        Sample format.

    Returns
    -------
    int
        ``n`` for u8, ``3 * ceil(n / 2)`` for u12 (an odd count is padded with
        one zero sample), ``2 * n`` for u16.

    Examples
    --------
    >>> block_len(5, "u12"), block_len(5, "u16")
    (9, 10)
    """
    bits = SampleFormat.parse(fmt)
    if bits is SampleFormat.U8:
        return n_sensors
    if bits is SampleFormat.U12:
        return 3 * ((n_sensors + 1) // 2)
    return 2 * n_sensors


def frame_len(foot: Foot | int | str, n_sensors: int, fmt: SampleFormat | int | str) -> int:
    """Bytes of a whole frame: header, one or two sample blocks, CRC.

    Examples
    --------
    >>> frame_len("left", 16, "u16"), frame_len("both", 16, "u12")
    (49, 65)
    """
    return HEADER_LEN + Foot.parse(foot).n_blocks * block_len(n_sensors, fmt) + CRC_LEN


#: Longest possible frame: both feet, 1024 u16 samples each.
MAX_FRAME_LEN: Final = HEADER_LEN + 2 * 2 * MAX_SENSORS + CRC_LEN
#: Shortest possible frame: one foot, one u8 sample.
MIN_FRAME_LEN: Final = HEADER_LEN + 1 + CRC_LEN


def crc16_ccitt_false(data: bytes | bytearray | memoryview, crc: int = CRC_INIT) -> int:
    """CRC-16/CCITT-FALSE, bit by bit: the readable definition.

    Polynomial 0x1021, initial value 0xFFFF, no bit reflection, no final XOR
    (check value 0x29B1 for ``b"123456789"``).  Protocol v1 computes it over the
    frame from the version byte to the last payload byte.  The decoders use
    equivalent table-driven forms (:func:`binascii.crc_hqx`, slicing-by-8 in
    the compiled kernel); tests hold them equal to this function.

    Parameters
    ----------
    data : bytes-like
        The bytes to checksum.
    crc : int
        Register value to start from (0xFFFF; pass a previous result to continue).

    Returns
    -------
    int
        The 16-bit CRC.

    Examples
    --------
    >>> hex(crc16_ccitt_false(b"123456789"))
    '0x29b1'
    """
    for byte in bytes(data):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ CRC_POLY) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc

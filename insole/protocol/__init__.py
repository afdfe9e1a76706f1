"""Bytes <-> frames: insole frame protocol v1, an open binary protocol any firmware can speak.

The wire format is specified in docs/protocol.md.  Decoding runs on the
compiled kernel ``insole._ext.protocol_v1`` or on its readable twin
:mod:`insole.protocol._v1_reference`, following :data:`insole.kernels.BACKEND`
(``INSOLE_PUREPYTHON=1`` selects the twin); :attr:`V1Decoder.backend` shows
which one a decoder uses.

Examples
--------
>>> from insole.protocol import SequenceTracker, V1Decoder, encode_v1
>>> wire = b"".join(encode_v1("both", seq, 1000 * seq, [[1, 2], [3, 4]], "u16") for seq in (0, 1, 3))
>>> batch = V1Decoder().feed(wire)
>>> batch.select("right").values.tolist()
[[3, 4], [3, 4], [3, 4]]
>>> SequenceTracker().update(batch.select("left").seq).tolist()
[(1, 1, 2)]
"""

from __future__ import annotations

from typing import Final

from insole.protocol._dispatch import decode_kernel
from insole.protocol._wire import (
    COUNTERS,
    CRC_LEN,
    HEADER_LEN,
    MAX_FRAME_LEN,
    MAX_SENSORS,
    MIN_FRAME_LEN,
    SYNC,
    VERSION,
    Foot,
    SampleFormat,
    block_len,
    crc16_ccitt_false,
    frame_len,
)
from insole.protocol.tracking import SEQUENCE_GAP_DTYPE, SequenceTracker, TimestampUnwrapper
from insole.protocol.v1 import (
    FrameBatch,
    V1Decoder,
    encode_v1,
    encode_v1_batch,
    iter_capture,
    read_capture,
)

#: Stream decoders by protocol name.
DECODERS: Final[dict[str, type[V1Decoder]]] = {"v1": V1Decoder}


def get_decoder(name: str) -> type[V1Decoder]:
    """The decoder class of a protocol name (``"v1"``).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known ones.
    """
    try:
        return DECODERS[name]
    except KeyError:
        raise ValueError(f"unknown protocol {name!r}; known: {', '.join(sorted(DECODERS))}") from None


__all__ = [
    "COUNTERS",
    "CRC_LEN",
    "DECODERS",
    "HEADER_LEN",
    "MAX_FRAME_LEN",
    "MAX_SENSORS",
    "MIN_FRAME_LEN",
    "SEQUENCE_GAP_DTYPE",
    "SYNC",
    "VERSION",
    "Foot",
    "FrameBatch",
    "SampleFormat",
    "SequenceTracker",
    "TimestampUnwrapper",
    "V1Decoder",
    "block_len",
    "crc16_ccitt_false",
    "decode_kernel",
    "encode_v1",
    "encode_v1_batch",
    "frame_len",
    "get_decoder",
    "iter_capture",
    "read_capture",
]

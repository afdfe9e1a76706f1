"""Protocol-v1 decoder throughput: compiled kernel vs its readable Python twin, in one run.

Run: ``python benchmarks/bench_protocol.py [--mb 8] [--chunk-bytes 1048576] [--json OUT.json]``

For u16 frames of one foot with 16, 99 and 1024 sensors it encodes about
``--mb`` MB of valid frames, then times :class:`insole.protocol.V1Decoder`
feeding them in ``--chunk-bytes`` chunks (plus the final flush), with the
compiled kernel (``backend="cython"``) and with the twin (``backend="numpy"``,
on a tenth of the stream).  Both go through the same public wrapper.  The
compiled decoder is timed again with its portable table CRC (the carry-less
multiplication path switched off), as non-x86 and MSVC builds run it.  The
decoder is sequential: one thread.  A ``bytearray`` copy of the stream is
timed as a yardstick.  Targets (issue 6): Cython >= 20x the twin, >= 100 MB/s for 99+
sensors, >= 1e6 frames/s for 16 sensors.  Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _harness import best_time_s, emit

from insole.protocol import V1Decoder, encode_v1_batch, frame_len

try:
    from insole._ext import protocol_v1
except ImportError:  # main() says so
    protocol_v1 = None

SENSOR_COUNTS = (16, 99, 1024)
TWIN_FRACTION = 10  # the twin decodes 1/10 of the stream (it is slower; time per frame is what counts)


def _stream(n_sensors: int, n_frames: int, rng: np.random.Generator) -> bytes:
    values = rng.integers(0, 65536, (n_frames, n_sensors))
    seq = np.arange(n_frames, dtype=np.uint64)
    return encode_v1_batch("left", seq, seq * 10_000, values, "u16")


def _decode(wire: bytes, backend: str, chunk_bytes: int) -> int:
    dec = V1Decoder(backend=backend)
    view = memoryview(wire)  # chunks without copies, as a reader thread would hand them over
    rows = 0
    for start in range(0, len(wire), chunk_bytes):
        rows += len(dec.feed(view[start : start + chunk_bytes]))
    rows += len(dec.flush())
    return rows


def _clmul() -> bool:
    return bool(protocol_v1.HAVE_CLMUL)


def main(argv: list[str] | None = None) -> list[dict]:
    """Time the decoders and print (and optionally save) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=8.0, help="MB of frames per case (default 8)")
    parser.add_argument("--chunk-bytes", type=int, default=1 << 20, help="bytes per feed() call (default 1 MiB)")
    parser.add_argument("--json", help="also write the rows and machine facts to this JSON file")
    args = parser.parse_args(argv)
    if protocol_v1 is None:
        sys.exit("the compiled decoder is not built; build it (pip install -e .) to benchmark")
    rng = np.random.default_rng(0)
    rows = []
    for n_sensors in SENSOR_COUNTS:
        length = frame_len("left", n_sensors, "u16")
        n_frames = max(TWIN_FRACTION, int(args.mb * 1e6 // length))
        wire = _stream(n_sensors, n_frames, rng)
        twin_wire = wire[: (n_frames // TWIN_FRACTION) * length]
        assert _decode(wire, "cython", args.chunk_bytes) == n_frames
        assert _decode(twin_wire, "numpy", args.chunk_bytes) == n_frames // TWIN_FRACTION
        t_copy = best_time_s(lambda: bytearray(wire))  # noqa: B023 (called within this iteration)
        t_c = best_time_s(lambda: _decode(wire, "cython", args.chunk_bytes))  # noqa: B023
        previous = protocol_v1._set_clmul(False)  # the portable CRC path (non-x86, MSVC builds)
        try:
            t_tables = best_time_s(lambda: _decode(wire, "cython", args.chunk_bytes))  # noqa: B023
        finally:
            protocol_v1._set_clmul(previous)
        t_py = best_time_s(lambda: _decode(twin_wire, "numpy", args.chunk_bytes), repeat=3)  # noqa: B023
        c_fps = n_frames / t_c
        py_fps = (n_frames // TWIN_FRACTION) / t_py
        rows.append({
            "sensors": n_sensors,
            "frame bytes": length,
            "frames": n_frames,
            "cython MB/s": len(wire) / t_c / 1e6,
            "cython frames/s": c_fps,
            "twin MB/s": len(twin_wire) / t_py / 1e6,
            "twin frames/s": py_fps,
            "cython / twin": c_fps / py_fps,
            "cython, CRC tables only MB/s": len(wire) / t_tables / 1e6,
            "copy MB/s": len(wire) / t_copy / 1e6,
        })
    emit(
        f"protocol v1 decoder: u16 frames, one foot, {args.chunk_bytes} B per feed(), 1 thread",
        rows,
        ["sensors", "frame bytes", "frames", "cython MB/s", "cython frames/s", "twin MB/s", "twin frames/s",
         "cython / twin", "cython, CRC tables only MB/s", "copy MB/s"],
        args.json,
        notes="V1Decoder.feed() + flush() on valid frames (sync hunt, header checks, CRC-16, decode to uint16 "
        "arrays); the decoder is single-threaded. twin = insole/protocol/_v1_reference.py (binascii.crc_hqx + "
        f"NumPy per frame) on 1/10 of the stream. CRC tables only = the compiled decoder with its portable "
        "slicing-by-16 CRC (what non-x86 and MSVC builds use). copy = bytearray(stream), a memory yardstick. CRC in the "
        f"kernel: {'carry-less multiply (PCLMULQDQ) folding' if _clmul() else 'slicing-by-16 tables'}. "
        "Targets: cython/twin >= 20, >= 100 MB/s at 99+ sensors, >= 1e6 frames/s at 16 sensors.",
    )
    return rows


if __name__ == "__main__":
    main()

"""Raw protocol-v1 captures (``.bin``): the bytes of a port exactly as received, as an import format.

A capture holds one stream of protocol-v1 frames (docs/protocol.md), with
whatever garbage, damaged frames and gaps the link produced.  Importing it
decodes every frame (:func:`insole.protocol.read_capture`), keeps the raw
counts (unit ``count``), unwraps the device clock, turns sequence jumps into
gap records (never interpolated) and stores the link counters (CRC errors,
garbage bytes, truncated frames, backward timestamps, duplicates).  Host time
is the device time in seconds: a capture has no receive times.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from insole.exceptions import FormatError
from insole.io import FormatSpec
from insole.io._common import check_paths, nominal_rate_hz, resolve_layout
from insole.recording import FootData, Metadata, Recording
from insole.store import schema

if TYPE_CHECKING:
    from insole.layout import SensorLayout

#: DIY layouts by sensor count, for captures read without ``--layout``.
DEFAULT_LAYOUTS = {8: "diy-fsr-8", 16: "diy-fsr-16"}


def identify(path: Path, head: bytes) -> bool:
    """The head holds at least one CRC-valid protocol-v1 frame."""
    from insole.protocol import V1Decoder

    if b"\xa5\x5a\x01" not in head:
        return False
    return V1Decoder().feed(head).frames_ok > 0


def read(paths: Sequence[Path], *, layout: str | SensorLayout | None = None) -> Recording:
    """Decode a raw protocol-v1 capture into a recording."""
    from insole.protocol import SequenceTracker, TimestampUnwrapper, read_capture

    (path,) = check_paths(paths, "v1-capture", n=1)
    batch = read_capture(path)
    if not len(batch):
        raise FormatError(f"{path}: no valid protocol-v1 frame in {path.stat().st_size} bytes; is it a capture of a v1 stream?")
    counters = batch.counters
    feet: dict[str, FootData] = {}
    for foot in ("left", "right"):
        rows = batch.select(foot)
        if not len(rows):
            continue
        default = DEFAULT_LAYOUTS.get(batch.n_sensors)
        if layout is None and default is None:
            raise FormatError(f"{path}: frames of {batch.n_sensors} sensors; give the sensor layout with --layout NAME")
        lay = resolve_layout(layout, default=default or "", side=foot, n_sensors=batch.n_sensors, what=str(path))
        unwrap = TimestampUnwrapper()
        t_us = unwrap.unwrap(rows.t_device_us)
        t_s = t_us * 1e-6
        tracker = SequenceTracker()
        found = tracker.update(rows.seq)
        gaps = np.zeros(found.size, dtype=schema.GAP_DTYPE)
        gaps["index"] = found["index"]
        gaps["n_missing"] = found["n_missing"]
        gaps["first_seq"] = found["first_seq"]
        gaps["t_host_s"] = t_s[np.clip(found["index"], 0, t_s.size - 1)]
        link = {
            "frames_received": float(tracker.frames_received),
            "frames_lost": float(tracker.frames_lost),
            "crc_errors": float(counters["crc_errors"]),
            "garbage_bytes": float(counters["garbage_bytes"]),
            "truncated_frames": float(counters["truncated_frames"]),
            "backwards_timestamps": float(unwrap.backwards_steps),
            "duplicate_frames": float(tracker.duplicate_frames),
        }
        feet[foot] = FootData(values=rows.values, unit="count", t_device_us=t_us, t_host_s=t_s, seq=rows.seq,
                              layout=lay, gaps=gaps, link={k: v for k, v in link.items() if v or k.startswith("frames")})
    t_all = next(iter(feet.values())).t_host_s
    meta = Metadata(device="protocol v1 device", sampling_rate_hz=nominal_rate_hz(t_all), source="v1-capture",
                    notes=f"protocol v1 capture, {batch.fmt.label if batch.fmt else '?'} samples")
    return Recording(feet=feet, metadata=meta)


FORMAT = FormatSpec(
    name="v1-capture",
    description="raw protocol-v1 capture (the bytes of a port, docs/protocol.md)",
    suffixes=(".bin",),
    identify=identify,
    read=read,
)

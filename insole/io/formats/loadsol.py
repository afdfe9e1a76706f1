"""novel loadsol text export: three force zones, a total and an IMU per insole.

Channels are matched by their names (``PGV247-L::heel``, ``::medial``,
``::lateral``; ``PGV247-L`` alone is the vendor's total), never by position:
the right insole lists its zones in reverse order.  Each block of channels
has its own ``Time[secs]`` column.  ``-`` and empty fields are missing; a row
whose three zones all read ``-1`` (with the IMU missing) is a lost sample.
Lost samples are left out and recorded as gaps; the zone forces (N) are stored
as the ``loadsol-3`` layout orders its sensors, the vendor total goes to
``reference["loadsol"][foot]["total_force_n"]``, and text in the trailing
unnamed column (``End measurement: ...``) becomes a time marker.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from insole.exceptions import FormatError
from insole.io import FormatSpec
from insole.io._common import (
    check_paths,
    check_times,
    gaps_from_seq,
    head_text,
    link_stats,
    nominal_rate_hz,
    one_line,
    read_text,
    resolve_layout,
)
from insole.recording import FootData, Metadata, Recording

if TYPE_CHECKING:
    from insole.layout import SensorLayout

LAYOUT = "loadsol-3"
ZONES = ("heel", "medial", "lateral")
_IMU = {"xAcc": "acc_x_g", "yAcc": "acc_y_g", "zAcc": "acc_z_g", "xGyro": "gyro_x_rad_s", "yGyro": "gyro_y_rad_s", "zGyro": "gyro_z_rad_s"}
#: Value the app writes into every zone of a lost sample.
LOST_SENTINEL = -1.0


def identify(path: Path, head: bytes) -> bool:
    """A loadsol export: ``Time[secs]`` units and ``::heel``-style channel names (or a ``.loadflux`` source)."""
    text = head_text(head)
    lines = text.splitlines()[:5]
    if len(lines) < 4 or "Time[secs]" not in lines[3]:
        return False
    return lines[0].strip().endswith(".loadflux") or any(f"::{z}" in lines[2] for z in ZONES)


@dataclass
class _Device:
    name: str
    zones: dict[str, int] = field(default_factory=dict)
    total: int | None = None
    imu: dict[str, int] = field(default_factory=dict)
    time: dict[str, int] = field(default_factory=dict)  # column -> its time column


def _recorded_at(source: str) -> str | None:
    m = re.search(r"(\d{4})_(\d{2})_(\d{2})_(\d{2})_(\d{2})_(\d{2})(?:_(\d{1,3}))?", source)
    if not m:
        return None
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    ms = int(m[7] or 0)
    try:
        return _dt.datetime(y, mo, d, h, mi, s, ms * 1000).isoformat(timespec="milliseconds")
    except ValueError:
        return None


def _side_of(device: str) -> str | None:
    tail = device.rsplit("-", 1)[-1].upper() if "-" in device else ""
    return {"L": "left", "R": "right"}.get(tail)


def read(paths: Sequence[Path], *, layout: str | SensorLayout | None = None, side: str | None = None) -> Recording:
    """Read a loadsol text export (one or both insoles)."""
    (path,) = check_paths(paths, "loadsol", n=1)
    if side is not None and side not in ("left", "right"):
        raise FormatError(f"side must be 'left' or 'right', not {side!r}")
    text = read_text(path, "loadsol export", encoding="latin-1")
    lines = text.splitlines()
    if len(lines) < 5:
        raise FormatError(f"{path}: fewer than 5 lines; the loadsol export is truncated")
    names = lines[2].split("\t")
    units = lines[3].split("\t")
    width = max(len(names), len(units))
    names += [""] * (width - len(names))
    units += [""] * (width - len(units))
    devices: dict[str, _Device] = {}
    marker_cols: list[int] = []
    time_col: int | None = None
    for j, (name, unit) in enumerate(zip(names, units)):
        name, unit = name.strip(), unit.strip()
        if unit.startswith("Time"):
            time_col = j
            continue
        if not name:
            if not unit:
                marker_cols.append(j)
            continue
        if time_col is None:
            raise FormatError(f"{path}: channel {name!r} has no Time[secs] column before it; is this a loadsol export?")
        dev_name, _, chan = name.partition("::")
        dev = devices.setdefault(dev_name, _Device(dev_name))
        if not chan:
            dev.total = j
        elif chan in ZONES:
            dev.zones[chan] = j
        elif chan in _IMU:
            dev.imu[chan] = j
        dev.time[name] = time_col
    devices = {k: d for k, d in devices.items() if d.zones}
    if not devices:
        raise FormatError(f"{path}: no ::heel/::medial/::lateral channels; is this a loadsol export?")

    data_lines = [ln for ln in lines[4:] if ln.strip()]
    if not data_lines:
        raise FormatError(f"{path}: no data lines; the loadsol export is empty or truncated")
    used = sorted({j for d in devices.values() for j in [*d.zones.values(), *d.imu.values(), *d.time.values()]} | {d.total for d in devices.values() if d.total is not None})
    rows = []
    markers: list[tuple[int, str]] = []
    for i, line in enumerate(data_lines):
        fields = line.split("\t")
        if len(fields) <= used[-1]:
            raise FormatError(
                f"{path}: line {i + 5} has {len(fields)} fields, expected {width}; the file is truncated or damaged"
            )
        rows.append([fields[j] for j in used])
        for j in marker_cols:
            if j < len(fields) and fields[j].strip():
                markers.append((i, fields[j].strip()))
    table = np.array(rows, dtype=str)
    table = np.where(np.isin(np.char.strip(table), ["", "-"]), "nan", table)
    try:
        num = table.astype(np.float64)
    except ValueError as exc:
        raise FormatError(f"{path}: a value is not a number ({one_line(exc)}); the file is damaged") from None
    column = {j: num[:, k] for k, j in enumerate(used)}

    sides: dict[str, _Device] = {}
    for dev in devices.values():
        s = _side_of(dev.name) or (side if len(devices) == 1 else None)
        if s is None:
            raise FormatError(f"{path}: cannot tell which foot insole {dev.name!r} is on; name it with --side")
        if s in sides:
            raise FormatError(f"{path}: two insoles ({sides[s].name}, {dev.name}) on the {s} foot")
        sides[s] = dev

    n_rows = len(data_lines)
    feet: dict[str, FootData] = {}
    ref: dict[str, Any] = {"source": "novel loadsol text export"}
    marker_times: list[tuple[float, str]] = []
    for foot, dev in sorted(sides.items()):
        lay = resolve_layout(layout, default=LAYOUT, side=foot, n_sensors=None)
        missing_zone = [sid for sid in lay.sensor_ids if sid not in dev.zones]
        if missing_zone:
            raise FormatError(
                f"{path}: insole {dev.name} has no zone {missing_zone[0]!r} that layout {lay.name!r} needs"
            )
        extra_zone = sorted(set(dev.zones) - set(lay.sensor_ids))
        if extra_zone:
            raise FormatError(f"{path}: layout {lay.name!r} has no sensor for zone {extra_zone[0]!r}; give a layout with --layout")
        values = np.column_stack([column[dev.zones[sid]] for sid in lay.sensor_ids])
        total = column[dev.total] if dev.total is not None else None
        t = column[dev.time[f"{dev.name}::{lay.sensor_ids[0]}"]]
        lost = ~np.all(np.isfinite(values), axis=1) | np.all(values == LOST_SENTINEL, axis=1) | ~np.isfinite(t)
        if total is not None:
            lost |= ~np.isfinite(total)
        keep = ~lost
        if not keep.any():
            continue
        seq = np.flatnonzero(keep)
        t_kept = check_times(t[keep], path)
        if np.any(np.diff(t_kept) < 0):
            raise FormatError(f"{path}: the time of insole {dev.name} goes backwards; the file is damaged")
        rate = nominal_rate_hz(t_kept) or 200.0
        gaps = gaps_from_seq(seq, t_kept, first_expected=0, last_expected=n_rows - 1, rate_hz=rate)
        imu = None
        if dev.imu:
            chans = [c for c in _IMU if c in dev.imu]
            imu = np.column_stack([column[dev.imu[c]][keep] for c in chans]).astype(np.float32)
        feet[foot] = FootData(
            values=values[keep],
            unit="N",
            t_device_us=np.rint(t_kept * 1e6).astype(np.int64),
            t_host_s=t_kept,
            seq=seq.astype(np.uint32),
            layout=lay,
            imu=imu,
            imu_columns=tuple(_IMU[c] for c in _IMU if c in dev.imu) if imu is not None else (),
            gaps=gaps,
            link=link_stats(int(keep.sum()), gaps),
        )
        fref: dict[str, Any] = {"insole": dev.name}
        if total is not None:
            fref["total_force_n"] = total[keep]
        ref[foot] = fref
        if not marker_times:
            marker_times = [(float(t[i]) if np.isfinite(t[i]) else float("nan"), label) for i, label in markers]
    if not feet:
        raise FormatError(f"{path}: every sample is missing; nothing to import")
    comment = lines[1].strip()
    comment = comment[len("comment"):].strip() if comment.lower().startswith("comment") else comment
    first_t = next(iter(feet.values())).t_host_s
    meta = Metadata(
        device="novel loadsol (" + ", ".join(d.name for _, d in sorted(sides.items())) + ")",
        sampling_rate_hz=nominal_rate_hz(first_t),
        recorded_at=_recorded_at(lines[0]),
        source="loadsol",
        notes=comment or None,
    )
    return Recording(feet=feet, metadata=meta, markers=marker_times, reference={"loadsol": ref})


FORMAT = FormatSpec(
    name="loadsol",
    description="novel loadsol text export: heel/medial/lateral force zones, total and IMU per insole",
    suffixes=(".txt",),
    identify=identify,
    read=read,
    options=("side",),
)

"""Tekscan F-Scan ASCII movie export (``.asf``): one pressure image per frame, one file per foot.

The header gives the grid (``ROWS``, ``COLS``, spacing, sensel area, units);
``B`` cells lie outside the trimmed insole outline and are stored as 0 and
marked inactive in the layout.  Export orientation varies, so it is detected
from the data (science.md 10.4): the heel is the end that loads first in each
stance, and the medial side is where the centre of pressure moves at push-off
(through the hallux) from midstance; frames are then stored heel-first
(row 0 = heel) and medial-first (column 0 = medial), row-major, as the
``fscan-60x21`` layout expects.  The side follows from the handedness of the
image (a top view unless ``MIRROR_ROW``/``MIRROR_COL`` say otherwise).  The
header (with the vendor's calibration lines) and the orientation evidence go
to ``reference["tekscan"][foot]``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
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
    one_line,
    read_text,
    resolve_layout,
    side_from_name,
)
from insole.recording import FootData, Metadata, Recording

if TYPE_CHECKING:
    from insole.layout import SensorLayout

_KEY = re.compile(r"^([A-Z][A-Z0-9_]*)(?:\s+(.*))?$")
_UNITS = {"kpa": "kPa", "psi": "psi", "mpa": "MPa", "n/cm2": "N/cm2", "raw": "count", "kg/cm2": "kgf/cm2"}
_LENGTH_MM = {"mm": 1.0, "cm": 10.0, "in": 25.4, "inch": 25.4, "inches": 25.4}
#: Fraction of the peak total load that counts as "loaded" when finding stances.
STANCE_FRACTION = 0.1
#: Smallest COP shift (in sensels) that decides the medial side; below it the outline decides.
MIN_MEDIAL_SHIFT = 0.25


def identify(path: Path, head: bytes) -> bool:
    """A Tekscan ASCII export: ``ROWS``/``COLS`` header keys and an ``ASCII_DATA`` marker or ``SENSOR_TYPE``."""
    text = head_text(head)
    return bool(re.search(r"^ROWS\s+\d+", text, re.MULTILINE) and re.search(r"^COLS\s+\d+", text, re.MULTILINE)) and (
        "ASCII_DATA" in text or "SENSOR_TYPE" in text or "DATA_TYPE" in text
    )


@dataclass
class _Parsed:
    path: Path
    header: dict[str, str]
    comments: str
    frames: np.ndarray  # (n, rows, cols) float32 as in the file, B -> 0
    active: np.ndarray  # (rows, cols) bool
    frame_numbers: np.ndarray  # (n,) int64
    seconds_per_frame: float
    unit: str
    pitch_mm: float
    start_frame: int


def _length_mm(text: str | None, path: Path, key: str) -> float | None:
    if not text:
        return None
    parts = text.split()
    try:
        value = float(parts[0])
    except (ValueError, IndexError):
        raise FormatError(f"{path}: {key} {text!r} is not a length") from None
    unit = parts[1].lower() if len(parts) > 1 else "mm"
    return value * _LENGTH_MM.get(unit, 1.0)


def _parse(path: Path) -> _Parsed:
    text = read_text(path, "Tekscan ASCII export", encoding="latin-1")
    head_part, marker, body = text.partition("ASCII_DATA")
    if not marker:
        raise FormatError(f"{path}: no ASCII_DATA section; the file is truncated or not a Tekscan ASCII export")
    header: dict[str, str] = {}
    comments: list[str] = []
    in_comments = False
    for line in head_part.splitlines():
        line = line.strip()
        if not line:
            continue
        m = _KEY.match(line)
        if m and not line.endswith(":"):
            header[m[1]] = (m[2] or "").strip()
            in_comments = False
        elif line.upper().startswith("COMMENTS"):
            in_comments = True
        elif in_comments:
            comments.append(line)
    try:
        rows, cols = int(header["ROWS"]), int(header["COLS"])
    except (KeyError, ValueError):
        raise FormatError(f"{path}: the header lacks ROWS/COLS; is this a Tekscan ASCII export?") from None
    if not (0 < rows <= 1000 and 0 < cols <= 1000):
        raise FormatError(f"{path}: implausible grid {rows} x {cols} in the header")
    spf = header.get("SECONDS_PER_FRAME")
    try:
        seconds_per_frame = float(spf.split()[0]) if spf else float("nan")
    except ValueError:
        seconds_per_frame = float("nan")
    if not (seconds_per_frame > 0):
        raise FormatError(f"{path}: SECONDS_PER_FRAME is missing or not positive; the header is damaged")
    body = body.split("\n", 1)[1] if "\n" in body else ""
    data, end, _ = body.partition("@@")
    if not end:
        raise FormatError(f"{path}: the data has no closing '@@'; the file is truncated")
    lines = [ln.strip() for ln in data.splitlines() if ln.strip()]
    is_frame = np.array([ln.startswith("Frame") for ln in lines], dtype=bool)
    n = int(is_frame.sum())
    if n == 0:
        raise FormatError(f"{path}: no frames after ASCII_DATA; the export is empty")
    starts = np.flatnonzero(is_frame)
    if starts[0] != 0:
        raise FormatError(f"{path}: values before the first 'Frame' line; the file is damaged")
    sizes = np.diff(np.r_[starts, len(lines)])
    if np.any(sizes != rows + 1):
        bad = int(np.flatnonzero(sizes != rows + 1)[0])
        raise FormatError(
            f"{path}: frame {bad + 1} has {sizes[bad] - 1} rows, not {rows}; the file is truncated or damaged"
        )
    try:
        numbers = np.array([int(lines[i].split()[1]) for i in starts], dtype=np.int64)
    except (IndexError, ValueError, OverflowError):
        raise FormatError(f"{path}: a 'Frame' line has no frame number; the file is damaged") from None
    row_lines = [ln for ln, f in zip(lines, is_frame) if not f]
    widths = np.fromiter((ln.count(",") + 1 for ln in row_lines), dtype=np.int64, count=len(row_lines))
    if np.any(widths != cols):
        i = int(np.flatnonzero(widths != cols)[0])
        raise FormatError(
            f"{path}: row {i % rows} of frame {i // rows + 1} has {widths[i]} values, expected {cols}; the file is damaged"
        )
    tokens = np.array(",".join(row_lines).split(","))
    blank = np.char.strip(tokens) == "B"
    try:
        values = np.where(blank, "0", tokens).astype(np.float64)
    except ValueError as exc:
        raise FormatError(f"{path}: a sensel value is not a number ({one_line(exc)}); the file is damaged") from None
    if not np.all(np.isfinite(values)):
        raise FormatError(f"{path}: a sensel value is not finite; the file is damaged")
    frames = values.reshape(n, rows, cols).astype(np.float32)
    active = ~blank.reshape(n, rows, cols).all(axis=0)
    unit_text = header.get("UNITS", "KPa").strip()
    unit = _UNITS.get(unit_text.lower(), unit_text)
    pitch = _length_mm(header.get("ROW_SPACING"), path, "ROW_SPACING") or 5.08
    try:
        start = int(header.get("START_FRAME", "").split()[0]) if header.get("START_FRAME") else int(numbers[0])
    except ValueError:
        raise FormatError(f"{path}: START_FRAME {header['START_FRAME']!r} is not a frame number") from None
    return _Parsed(path, header, " ".join(comments), frames, active, numbers, seconds_per_frame, unit, pitch, start)


def _stances(total: np.ndarray) -> list[tuple[int, int]]:
    if total.size == 0 or total.max() <= 0:
        return []
    on = total > STANCE_FRACTION * total.max()
    edges = np.diff(np.r_[0, on.astype(np.int8), 0])
    return [(int(s), int(e)) for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)) if e - s >= 5]


def detect_orientation(frames: np.ndarray, active: np.ndarray) -> dict[str, Any]:
    """Where the heel and the medial side are in an F-Scan movie, from the data.

    Parameters
    ----------
    frames : (n, rows, cols) array
        Pressures as exported.
    active : (rows, cols) bool array
        Sensels inside the trimmed outline.

    Returns
    -------
    dict
        ``heel_at_high_rows`` and ``medial_at_high_cols`` (bool), the evidence
        (``heel_row_shift``: early-minus-late stance row centroid, in rows;
        ``medial_col_shift``: push-off-minus-midstance COP column, in
        sensels), the number of stances used and how each side was decided
        (``"data"``, ``"outline"`` or ``"default"``).
    """
    n, rows, cols = frames.shape
    r_idx, c_idx = np.arange(rows), np.arange(cols)
    stances = _stances(frames.reshape(n, -1).sum(axis=1))
    heel_shift, medial_shift = [], []
    for s, e in stances:
        length = e - s
        k = max(1, length // 5)
        early, late = frames[s : s + k].sum(axis=(0, 2)), frames[e - k : e].sum(axis=(0, 2))
        heel_shift.append((early @ r_idx) / early.sum() - (late @ r_idx) / late.sum())
        mid = frames[s + int(0.3 * length) : s + int(0.6 * length) + 1].sum(axis=(0, 1))
        push = frames[e - max(1, length // 10) : e].sum(axis=(0, 1))
        if mid.sum() > 0 and push.sum() > 0:
            medial_shift.append((push @ c_idx) / push.sum() - (mid @ c_idx) / mid.sum())
    out: dict[str, Any] = {"n_stances": len(stances)}
    h = float(np.median(heel_shift)) if heel_shift else 0.0
    out["heel_row_shift"] = h
    if abs(h) >= 1.0:
        out["heel_at_high_rows"], out["heel_method"] = bool(h > 0), "data"
    else:  # no walking to go by: Tekscan's default view has the toes at row 0
        out["heel_at_high_rows"], out["heel_method"] = True, "default"
    m = float(np.median(medial_shift)) if medial_shift else 0.0
    out["medial_col_shift"] = m
    if abs(m) >= MIN_MEDIAL_SHIFT:
        out["medial_at_high_cols"], out["medial_method"] = bool(m > 0), "data"
    else:  # the toe end of a trimmed outline leans to the hallux (medial) side
        rows_any = np.flatnonzero(active.any(axis=1))
        toe_rows = rows_any[:8] if out["heel_at_high_rows"] else rows_any[-8:]
        toe = active[toe_rows]
        lean = (toe @ c_idx).sum() / max(1, toe.sum()) - (active @ c_idx).sum() / max(1, active.sum())
        out["outline_col_lean"] = float(lean)
        if abs(lean) >= MIN_MEDIAL_SHIFT:
            out["medial_at_high_cols"], out["medial_method"] = bool(lean > 0), "outline"
        else:
            out["medial_at_high_cols"], out["medial_method"] = True, "default"
    return out


def _recorded_at(text: str | None) -> str | None:
    if not text:
        return None
    clean = re.sub(r"\ba\.?m\.?$", "AM", text.strip(), flags=re.IGNORECASE)
    clean = re.sub(r"\bp\.?m\.?$", "PM", clean, flags=re.IGNORECASE)
    for fmt in ("%A, %d %B %Y %I:%M:%S %p", "%A, %B %d, %Y %I:%M:%S %p", "%d %B %Y %H:%M:%S"):
        try:
            return _dt.datetime.strptime(clean, fmt).isoformat()
        except ValueError:
            continue
    return None


def _side(p: _Parsed, orient: dict[str, Any]) -> str:
    mirrored = (p.header.get("MIRROR_ROW", "0").strip() == "1") != (p.header.get("MIRROR_COL", "0").strip() == "1")
    left = (orient["heel_at_high_rows"] == orient["medial_at_high_cols"]) != mirrored
    return "left" if left else "right"


def read(paths: Sequence[Path], *, layout: str | SensorLayout | None = None, side: str | None = None) -> Recording:
    """Read one F-Scan ASCII file per foot (one or two files)."""
    paths = check_paths(paths, "fscan", max_n=2)
    if side is not None and side not in ("left", "right"):
        raise FormatError(f"side must be 'left' or 'right', not {side!r}")
    if side is not None and len(paths) > 1:
        raise FormatError("--side names the foot of a single file; with two files each side comes from its data")
    parsed = [_parse(p) for p in paths]
    orients = [detect_orientation(p.frames, p.active) for p in parsed]
    sides = [side or _side(p, o) for p, o in zip(parsed, orients)]
    if len(sides) == 2 and sides[0] == sides[1]:
        by_name = [side_from_name(p) for p in paths]
        if None in by_name or by_name[0] == by_name[1]:
            raise FormatError(
                f"both files look like the {sides[0]} foot from their data; import them one at a time with --side"
            )
        sides = by_name
    feet: dict[str, FootData] = {}
    ref: dict[str, Any] = {}
    for p, o, foot in zip(parsed, orients, sides):
        frames = p.frames
        if o["heel_at_high_rows"]:
            frames = frames[:, ::-1, :]
        if o["medial_at_high_cols"]:
            frames = frames[:, :, ::-1]
        act = p.active[::-1] if o["heel_at_high_rows"] else p.active
        act = act[:, ::-1] if o["medial_at_high_cols"] else act
        n, rows, cols = frames.shape
        default = "fscan-60x21" if (rows, cols) == (60, 21) else f"grid-{rows}x{cols}-{p.pitch_mm:g}"
        lay = resolve_layout(layout, default=default, side=foot, n_sensors=rows * cols)
        lay = _with_active(lay, act.reshape(-1))
        start = p.start_frame
        t = check_times((p.frame_numbers - start) * p.seconds_per_frame, p.path, "frame number")
        if np.any(np.diff(p.frame_numbers) <= 0):
            raise FormatError(f"{p.path}: frame numbers do not increase; the file is damaged")
        gaps = gaps_from_seq(p.frame_numbers, t)
        feet[foot] = FootData(
            values=np.ascontiguousarray(frames.reshape(n, rows * cols)),
            unit=p.unit,
            t_device_us=np.rint(t * 1e6).astype(np.int64),
            t_host_s=t,
            seq=p.frame_numbers.astype(np.uint32),
            layout=lay,
            gaps=gaps,
            link=link_stats(n, gaps),
        )
        orient = dict(o)
        orient["side_from_data"] = _side(p, o)
        orient["stored_as"] = "row 0 = heel, column 0 = medial, row-major"
        dropped = act.reshape(-1) & ~lay.active
        orient["load_outside_layout"] = float(frames.reshape(n, -1)[:, dropped].sum() / max(frames.sum(), 1e-12))
        ref[foot] = {"file": p.path.name, "header": dict(p.header), "orientation": orient, "trim_mask": act.copy()}
        if p.comments:
            ref[foot]["comments"] = p.comments
    first = parsed[0]
    hw = ", ".join(sorted({p.header.get("HARDWARE", "") for p in parsed} - {""}))
    meta = Metadata(
        device=f"Tekscan F-Scan ({hw})" if hw else "Tekscan F-Scan",
        firmware=first.header.get("VERSION") or None,
        sampling_rate_hz=float(np.round(1.0 / first.seconds_per_frame, 4)),
        recorded_at=_recorded_at(first.header.get("TIME")),
        source="fscan",
        notes=first.comments or None,
    )
    return Recording(feet=feet, metadata=meta, reference={"tekscan": ref})


def _with_active(layout: SensorLayout, active: np.ndarray) -> SensorLayout:
    """The layout with the trimmed outline as its active mask (region weights of dropped sensors zeroed)."""
    mask = np.asarray(layout.active, dtype=bool) & active
    weights = np.asarray(layout.region_weights) * mask[:, None]
    return dataclasses.replace(layout, active=mask, region_weights=weights)


FORMAT = FormatSpec(
    name="fscan",
    description="Tekscan F-Scan ASCII movie (.asf): pressure grid per frame, one file per foot",
    suffixes=(".asf",),
    identify=identify,
    read=read,
    multi_file=True,
    options=("side",),
)

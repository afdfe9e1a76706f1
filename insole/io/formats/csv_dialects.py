"""CSV files: the DIY insole dialects, a generic column-mapped CSV, and our own export.

Dialects (docs/formats.md has an example line of each):

``csv-time``
    ``time_ms,ch0,...,chN-1``: one foot per file.
``csv-frame``
    ``frame_id,time_ms,ch0,...,chN-1``: one foot per file, with frame ids.
``csv-lr``
    ``time_ms,frame_id,R_ch0..R_chN-1,L_ch0..L_chN-1,flags``: both feet in one
    line, as the DIY ESP32 logger writes it.  ``flags`` bit 0 = the left frame
    is missing (its channels hold zeros: lost, not loaded), bit 1 = the logger
    waited 30 ms for the left frame (with bit 0 it never came; without, it came
    late and the line may be written after its successor, but its data are
    valid), bit 2 = the right frame is missing (our extension; the ESP32
    firmware never sets it).
``csv-generic``
    Any delimited file with a header, read through a column map
    (``--columns map.json``); never chosen automatically.
``csv-insole``
    What ``insole export --to csv`` writes: one file per foot, ``#`` lines
    with the layout, unit, rate, calibration and metadata, then
    ``t_host_s,t_device_us,seq,<sensor ids>[,imu:<channel>...]``.  Importing
    it gives back every value of the exported recording's frames.

The DIY dialects are line-oriented classes (:class:`CsvTime`,
:class:`CsvFrame`, :class:`CsvLR`) with ``parse_header``/``parse_line`` for
incremental use (the recorder and the virtual insole share them, with
``header_line``/``format_line`` to write) and ``parse_lines`` for a batch.
Every line may start with optional ``#`` comment lines whose ``key=value``
tokens (``fw=v3.1.0``, ``side=right``, ``layout=diy-fsr-16``) are kept; a
header line is optional (without it, the columns are in the order above and
milliseconds are assumed).  DIY values are ADC counts, stored verbatim as
``uint16`` with unit ``count``: physical values need a calibration
(``insole calibrate``), and asking for them without one is a one-line error.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from insole.exceptions import FormatError, InsoleError
from insole.io import FormatSpec
from insole.io._common import (
    HEAD_BYTES,
    MAX_TIME_S,
    check_paths,
    gaps_from_seq,
    head_text,
    link_stats,
    nominal_rate_hz,
    one_line,
    read_text,
    resolve_layout,
    seq_from_time,
    side_from_name,
)
from insole.recording import FootData, Metadata, Recording
from insole.store import schema

if TYPE_CHECKING:
    from insole.layout import SensorLayout

#: ``flags`` bits of the ``csv-lr`` dialect.
FLAG_LEFT_MISSING = 1
FLAG_LATE = 2
FLAG_RIGHT_MISSING = 4
#: DIY layouts by number of channels.
DIY_LAYOUTS = {8: "diy-fsr-8", 16: "diy-fsr-16"}
#: Time column names and their factor to milliseconds.
_TIME = re.compile(r"^(?:time|t|timestamp|millis)(?:_(ms|us|s))?$", re.IGNORECASE)
_TIME_FACTOR_MS = {None: 1.0, "ms": 1.0, "us": 1e-3, "s": 1e3}
_FRAME_NAMES = ("frame", "frame_id", "frameid", "seq")
_CH = re.compile(r"^ch(\d+)$", re.IGNORECASE)
_LR_CH = re.compile(r"^([LR])_ch(\d+)$", re.IGNORECASE)
_COMMENT_KEYS = {"fw": "firmware", "firmware": "firmware", "side": "side", "layout": "layout", "rate": "rate_hz", "rate_hz": "rate_hz", "device": "device"}
INSOLE_CSV_MAGIC = "# insole-csv"


@dataclass
class CsvLine:
    """One parsed data line of a DIY dialect.

    Attributes
    ----------
    time_ms : float
        Device time in milliseconds.
    frame_id : int or None
        Frame counter, when the dialect has one.
    values : dict
        ``{foot: (n_channels,) float array}``; a foot whose frame is missing
        (``csv-lr`` flags) maps to None.
    flags : int
        The ``csv-lr`` flags (0 for the other dialects).
    """

    time_ms: float
    frame_id: int | None
    values: dict[str, np.ndarray | None]
    flags: int = 0


@dataclass
class CsvBlock:
    """Many data lines of a DIY dialect, as arrays (what :meth:`CsvDialect.parse_lines` returns).

    Attributes
    ----------
    time_ms : (n,) float64
    frame_id : (n,) int64 or None
    values : dict
        ``{foot: (n, n_channels) float64}``.
    present : dict
        ``{foot: (n,) bool}``: False where the frame of that foot is missing.
    flags : (n,) int64
    comments : dict
        ``key=value`` tokens of the ``#`` lines.
    """

    time_ms: np.ndarray
    frame_id: np.ndarray | None
    values: dict[str, np.ndarray]
    present: dict[str, np.ndarray]
    flags: np.ndarray
    comments: dict[str, str] = field(default_factory=dict)


def _parse_comment(line: str, into: dict[str, str]) -> None:
    for token in line.lstrip("#").split():
        key, sep, value = token.partition("=")
        if sep:
            into[key.strip().lower()] = value.strip()


class CsvDialect:
    """Base class of the DIY CSV dialects; one instance parses (or writes) one stream.

    Parameters
    ----------
    n_channels : int, optional
        Sensor channels per foot; learnt from the header or the first line
        when not given.

    Examples
    --------
    >>> d = CsvLR(2)
    >>> d.header_line()
    'time_ms,frame_id,R_ch0,R_ch1,L_ch0,L_ch1,flags'
    >>> d.format_line(CsvLine(10.0, 1, {"right": np.array([5.0, 6.0]), "left": None}))
    '10,1,5,6,0,0,1'
    >>> CsvLR().parse_line("10,1,5,6,7,8,0").values["left"]
    array([7., 8.])
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    has_frame_id: ClassVar[bool] = False
    feet: ClassVar[tuple[str, ...]] = ("left",)

    def __init__(self, n_channels: int | None = None) -> None:
        self.n_channels = n_channels
        self.comments: dict[str, str] = {}
        self._map: dict[str, Any] | None = None
        self._time_factor_ms = 1.0
        if n_channels is not None:
            self._map = self._default_map(len(self.columns()))

    # -------------------------------------------------------------- layout of a line
    def columns(self) -> list[str]:
        """Header names for :attr:`n_channels` channels."""
        raise NotImplementedError

    def _default_map(self, n_cols: int) -> dict[str, Any]:
        """Column indices for a headerless line of ``n_cols`` fields."""
        raise NotImplementedError

    def _map_from_names(self, names: list[str]) -> dict[str, Any]:
        raise NotImplementedError

    # -------------------------------------------------------------- writing
    def header_line(self) -> str:
        """The header line (no newline)."""
        if self.n_channels is None:
            raise ValueError("n_channels is needed to write a header")
        return ",".join(self.columns())

    def format_line(self, line: CsvLine) -> str:
        """One data line (no newline) for :class:`CsvLine` ``line``."""
        raise NotImplementedError

    # -------------------------------------------------------------- reading
    @staticmethod
    def is_header(line: str) -> bool:
        """True when ``line`` names columns rather than holding numbers."""
        first = line.split(",")[0].strip().strip('"')
        return first[:1].isalpha() or first[:1] == "_"

    def parse_header(self, line: str) -> bool:
        """Take a header line (True), or tell that ``line`` is not one (False).

        Raises
        ------
        FormatError
            A header whose columns do not fit this dialect.
        """
        if not self.is_header(line):
            return False
        names = [n.strip() for n in line.strip().split(",")]
        self._map = self._map_from_names(names)
        return True

    def _ensure_map(self, n_fields: int) -> dict[str, Any]:
        if self._map is None:
            self._map = self._default_map(n_fields)
        return self._map

    def parse_line(self, line: str) -> CsvLine | None:
        """Parse one line; None for blank, comment and header lines.

        Raises
        ------
        FormatError
            A line that does not fit the dialect (wrong number of fields,
            not numbers).
        """
        text = line.strip()
        if not text:
            return None
        if text.startswith("#"):
            _parse_comment(text, self.comments)
            return None
        if self.parse_header(text):
            return None
        fields = text.split(",")
        m = self._ensure_map(len(fields))
        if len(fields) != m["n_fields"]:
            raise FormatError(f"{self.name}: a line has {len(fields)} fields, expected {m['n_fields']}")
        try:
            row = np.array(fields, dtype=np.float64)
        except ValueError as exc:
            raise FormatError(f"{self.name}: a field is not a number ({one_line(exc)})") from None
        block = self._block(row[None, :], m)
        return CsvLine(
            time_ms=float(block.time_ms[0]),
            frame_id=int(block.frame_id[0]) if block.frame_id is not None else None,
            values={f: (block.values[f][0] if block.present[f][0] else None) for f in block.values},
            flags=int(block.flags[0]),
        )

    def parse_lines(self, lines: Iterable[str], *, source: str = "") -> CsvBlock:
        """Parse many lines at once (vectorised); comments and a header may lead.

        Raises
        ------
        FormatError
            No data, or lines that do not fit the dialect (the message names
            the first bad line).
        """
        where = f"{source}: " if source else ""
        data: list[str] = []
        first_data = 0
        for i, raw in enumerate(lines):
            text = raw.strip()
            if not text:
                continue
            if not data:
                if text.startswith("#"):
                    _parse_comment(text, self.comments)
                    continue
                if self.parse_header(text):
                    continue
                first_data = i + 1
            data.append(text)
        if not data:
            raise FormatError(f"{where}no data lines; the {self.name} file is empty or truncated")
        m = self._ensure_map(data[0].count(",") + 1)
        counts = np.fromiter((ln.count(",") + 1 for ln in data), dtype=np.int64, count=len(data))
        if np.any(counts != m["n_fields"]):
            i = int(np.flatnonzero(counts != m["n_fields"])[0])
            raise FormatError(
                f"{where}line {first_data + i} has {counts[i]} fields, {self.name} expects {m['n_fields']}; "
                "the file is truncated or of another dialect (see --format)"
            )
        try:
            rows = np.array(",".join(data).split(","), dtype=np.float64).reshape(len(data), m["n_fields"])
        except ValueError as exc:
            raise FormatError(f"{where}a field is not a number ({one_line(exc)}); the file is not {self.name}") from None
        block = self._block(rows, m)
        block.comments = dict(self.comments)
        return block

    def _block(self, rows: np.ndarray, m: dict[str, Any]) -> CsvBlock:
        n = rows.shape[0]
        if not np.all(np.isfinite(rows)):
            raise FormatError(f"{self.name}: a field is not a finite number (nan or inf); the file is damaged")
        ints = [m[k] for k in ("frame", "flags") if m.get(k) is not None]
        if ints and (np.any(rows[:, ints] != np.rint(rows[:, ints])) or np.any(np.abs(rows[:, ints]) >= 2**53)):
            raise FormatError(f"{self.name}: a frame id or flags field is not a whole number; the file is damaged")
        time_ms = rows[:, m["time"]] * self._time_factor_ms
        if np.any(np.abs(time_ms) > MAX_TIME_S * 1e3):
            raise FormatError(f"{self.name}: a time is out of range (more than 30 years); is the time unit right?")
        frame_id = rows[:, m["frame"]].astype(np.int64) if m.get("frame") is not None else None
        flags = rows[:, m["flags"]].astype(np.int64) if m.get("flags") is not None else np.zeros(n, np.int64)
        values = {foot: rows[:, idx] for foot, idx in m["channels"].items()}
        present = {foot: np.ones(n, dtype=bool) for foot in values}
        if "left" in present and m.get("flags") is not None:
            present["left"] = (flags & FLAG_LEFT_MISSING) == 0
        if "right" in present and m.get("flags") is not None:
            present["right"] = (flags & FLAG_RIGHT_MISSING) == 0
        return CsvBlock(time_ms, frame_id, values, present, flags)

    def _time_index(self, names: list[str]) -> int:
        for j, name in enumerate(names):
            m = _TIME.match(name)
            if m:
                self._time_factor_ms = _TIME_FACTOR_MS[(m[1] or "").lower() or None]
                return j
        raise FormatError(f"{self.name}: the header has no time column (time_ms); is the dialect right? (see --format)")

    def _channels(self, names: list[str], rx: re.Pattern, want: str | None = None) -> list[int]:
        found = []
        for j, name in enumerate(names):
            m = rx.match(name)
            if m and (want is None or m[1].upper() == want):
                found.append((int(m[m.lastindex]), j))
        found.sort()
        if not found:
            raise FormatError(f"{self.name}: the header names no channels (ch0, ch1, ...); is the dialect right? (see --format)")
        idx = [k for k, _ in found]
        if idx != list(range(len(idx))):
            raise FormatError(f"{self.name}: channel numbers in the header are not 0..{len(idx) - 1}")
        return [j for _, j in found]


class CsvTime(CsvDialect):
    """``time_ms,ch0,...,chN-1``: one foot per file."""

    name = "csv-time"
    description = "DIY CSV: time_ms,ch0..chN (one foot per file)"

    def columns(self) -> list[str]:
        """Header names for :attr:`n_channels` channels."""
        return ["time_ms", *(f"ch{i}" for i in range(self.n_channels or 0))]

    def _default_map(self, n_cols: int) -> dict[str, Any]:
        if n_cols < 2:
            raise FormatError(f"{self.name}: a line needs a time and at least one channel, got {n_cols} field(s)")
        self.n_channels = n_cols - 1
        return {"n_fields": n_cols, "time": 0, "channels": {"left": list(range(1, n_cols))}}

    def _map_from_names(self, names: list[str]) -> dict[str, Any]:
        if any(n.lower() in _FRAME_NAMES for n in names):
            raise FormatError(f"{self.name}: the header has a frame column, so this is not {self.name}; see --format")
        time = self._time_index(names)
        chans = self._channels(names, _CH)
        self.n_channels = len(chans)
        return {"n_fields": len(names), "time": time, "channels": {"left": chans}}

    def format_line(self, line: CsvLine) -> str:
        """One data line (no newline) for ``line``."""
        vals = next(iter(line.values.values()))
        return ",".join([_fmt_num(line.time_ms), *(_fmt_num(v) for v in vals)])


class CsvFrame(CsvDialect):
    """``frame_id,time_ms,ch0,...,chN-1``: one foot per file, with frame ids."""

    name = "csv-frame"
    description = "DIY CSV: frame_id,time_ms,ch0..chN (one foot per file)"
    has_frame_id = True

    def columns(self) -> list[str]:
        """Header names for :attr:`n_channels` channels."""
        return ["frame_id", "time_ms", *(f"ch{i}" for i in range(self.n_channels or 0))]

    def _default_map(self, n_cols: int) -> dict[str, Any]:
        if n_cols < 3:
            raise FormatError(f"{self.name}: a line needs a frame id, a time and a channel, got {n_cols} field(s)")
        self.n_channels = n_cols - 2
        return {"n_fields": n_cols, "frame": 0, "time": 1, "channels": {"left": list(range(2, n_cols))}}

    def _map_from_names(self, names: list[str]) -> dict[str, Any]:
        low = [n.lower() for n in names]
        frame = next((j for j, n in enumerate(low) if n in _FRAME_NAMES), None)
        if frame is None:
            raise FormatError(f"{self.name}: the header has no frame_id column, so this is not {self.name}; see --format")
        time = self._time_index(names)
        chans = self._channels(names, _CH)
        self.n_channels = len(chans)
        return {"n_fields": len(names), "frame": frame, "time": time, "channels": {"left": chans}}

    def format_line(self, line: CsvLine) -> str:
        """One data line (no newline) for ``line``."""
        vals = next(iter(line.values.values()))
        return ",".join([str(int(line.frame_id or 0)), _fmt_num(line.time_ms), *(_fmt_num(v) for v in vals)])


class CsvLR(CsvDialect):
    """``time_ms,frame_id,R_ch0..,L_ch0..,flags``: both feet per line (the DIY ESP32 log)."""

    name = "csv-lr"
    description = "DIY CSV: time_ms,frame_id,R_ch0..,L_ch0..,flags (both feet, ESP32 logger)"
    has_frame_id = True
    feet = ("left", "right")

    def columns(self) -> list[str]:
        """Header names for :attr:`n_channels` channels."""
        n = self.n_channels or 0
        return ["time_ms", "frame_id", *(f"R_ch{i}" for i in range(n)), *(f"L_ch{i}" for i in range(n)), "flags"]

    def _default_map(self, n_cols: int) -> dict[str, Any]:
        if n_cols < 5 or (n_cols - 3) % 2:
            raise FormatError(
                f"{self.name}: a line has {n_cols} fields; expected time_ms,frame_id, two equal channel blocks and flags"
            )
        k = (n_cols - 3) // 2
        self.n_channels = k
        return {
            "n_fields": n_cols, "time": 0, "frame": 1, "flags": n_cols - 1,
            "channels": {"right": list(range(2, 2 + k)), "left": list(range(2 + k, 2 + 2 * k))},
        }

    def _map_from_names(self, names: list[str]) -> dict[str, Any]:
        low = [n.lower() for n in names]
        if "flags" not in low:
            raise FormatError(f"{self.name}: the header has no flags column; is the dialect right? (see --format)")
        frame = next((j for j, n in enumerate(low) if n in _FRAME_NAMES), None)
        time = self._time_index(names)
        left, right = self._channels(names, _LR_CH, "L"), self._channels(names, _LR_CH, "R")
        if len(left) != len(right):
            raise FormatError(f"{self.name}: {len(left)} left but {len(right)} right channels in the header")
        self.n_channels = len(left)
        return {"n_fields": len(names), "time": time, "frame": frame, "flags": low.index("flags"),
                "channels": {"right": right, "left": left}}

    def format_line(self, line: CsvLine) -> str:
        """One data line (no newline) for ``line``."""
        n = self.n_channels or 0
        zeros = ["0"] * n
        right = line.values.get("right")
        left = line.values.get("left")
        flags = line.flags | (FLAG_LEFT_MISSING if left is None else 0) | (FLAG_RIGHT_MISSING if right is None else 0)
        return ",".join([
            _fmt_num(line.time_ms), str(int(line.frame_id or 0)),
            *(zeros if right is None else (_fmt_num(v) for v in right)),
            *(zeros if left is None else (_fmt_num(v) for v in left)),
            str(int(flags)),
        ])


#: The DIY dialects by name.
DIALECTS: dict[str, type[CsvDialect]] = {cls.name: cls for cls in (CsvTime, CsvFrame, CsvLR)}


def _fmt_num(value: float) -> str:
    v = float(value)
    return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)


# ------------------------------------------------------------------------------ identification
def _first_lines(head: bytes, n: int = 8) -> tuple[list[str], list[str]]:
    """(comment lines, other non-empty lines) of the head, the possibly cut last line dropped."""
    text = head_text(head)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(head) >= HEAD_BYTES and lines:
        lines = lines[:-1]
    comments = [ln for ln in lines if ln.startswith("#")]
    rest = [ln for ln in lines if not ln.startswith("#")]
    return comments, rest[:n]


def _numeric_rows(lines: list[str]) -> np.ndarray | None:
    try:
        rows = [[float(x) for x in ln.split(",")] for ln in lines]
    except ValueError:
        return None
    if not rows or len({len(r) for r in rows}) != 1 or len(rows[0]) < 2:
        return None
    return np.array(rows)


def _tokens(line: str) -> list[str]:
    return [t.strip().lower() for t in line.split(",")]


def _identify_dialect(head: bytes) -> str | None:
    comments, lines = _first_lines(head)
    if comments and comments[0].startswith(INSOLE_CSV_MAGIC):
        return "csv-insole"
    if not lines or "," not in lines[0]:
        return None
    first = lines[0]
    if CsvDialect.is_header(first):
        tok = _tokens(first)
        if _numeric_rows(lines[1:]) is None and len(lines) > 1:
            return None
        if "flags" in tok and any(_LR_CH.match(t) for t in tok):
            return "csv-lr"
        chans = [t for t in tok if _CH.match(t)]
        if not chans or len(chans) != len(tok) - (2 if tok[0] in _FRAME_NAMES else 1):
            return None
        if tok[0] in _FRAME_NAMES and _TIME.match(tok[1]):
            return "csv-frame"
        if _TIME.match(tok[0]):
            return "csv-time"
        return None
    rows = _numeric_rows(lines)
    if rows is None or rows.shape[0] < 2:
        return None
    c0, c1 = rows[:, 0], rows[:, 1]
    if rows.shape[1] >= 3 and np.all(np.diff(c0) == 1) and np.all(np.diff(c1) > 0):
        return "csv-frame"
    if np.all(np.diff(c0) > 0):
        return "csv-time"
    return None


def _identifier(name: str):
    def identify(path: Path, head: bytes) -> bool:
        return _identify_dialect(head) == name

    identify.__doc__ = f"True when the content looks like the {name} dialect."
    return identify


# ------------------------------------------------------------------------------ reading
def _raw_array(values: np.ndarray) -> np.ndarray:
    """Counts as uint16 when they are whole numbers in range, else float64 as parsed."""
    if values.size and np.all(np.isfinite(values)) and np.all(values == np.rint(values)) and values.min() >= 0 and values.max() <= 65535:
        return values.astype(np.uint16)
    return values


def _sort_frames(block: CsvBlock) -> tuple[np.ndarray, dict[str, float]]:
    """Row order by frame id (late frames are written out of order) and link counters."""
    n = block.time_ms.size
    backwards = int(np.count_nonzero(np.diff(block.time_ms) < 0))
    if block.frame_id is None:
        return np.arange(n), {"backwards_timestamps": backwards}
    order = np.argsort(block.frame_id, kind="stable")
    ids = block.frame_id[order]
    keep = np.r_[True, np.diff(ids) != 0]
    return order[keep], {"backwards_timestamps": backwards, "duplicate_frames": int(np.count_nonzero(~keep))}


def _foot_data(
    foot: str, block: CsvBlock, rows: np.ndarray, layout, link: dict[str, float],
    seq_all: np.ndarray, first: int, last: int, what: str, *, unit: str = "count", diy: bool = True,
) -> FootData | None:
    present = block.present[foot][rows]
    if not present.any():
        return None
    values = block.values[foot][rows][present]
    n_ch = values.shape[1]
    default = DIY_LAYOUTS.get(n_ch) if diy else None
    if layout is None and default is None:
        hint = "no DIY layout has" if diy else "a generic CSV does not say where its"
        raise FormatError(f"{hint} {n_ch} sensors; give the sensor layout with --layout NAME")
    lay = resolve_layout(layout, default=default or "", side=foot, n_sensors=n_ch, what=what)
    t_ms = block.time_ms[rows][present]
    seq = seq_all[present]
    t_s = t_ms / 1e3
    rate = nominal_rate_hz(t_s)
    gaps = gaps_from_seq(seq, t_s, first_expected=first, last_expected=last, rate_hz=rate)
    return FootData(
        values=_raw_array(values) if unit == "count" else values,
        unit=unit,
        t_device_us=np.rint(t_ms * 1e3).astype(np.int64),
        t_host_s=t_s,
        seq=(seq & 0xFFFFFFFF).astype(np.uint32),
        layout=lay,
        gaps=gaps,
        link=link_stats(int(present.sum()), gaps, **link),
    )


def _resolve_sides(paths: list[Path], blocks: list[CsvBlock], side: str | None) -> list[str]:
    if side is not None and side not in ("left", "right"):
        raise FormatError(f"side must be 'left' or 'right', not {side!r}")
    if side is not None and len(paths) > 1:
        raise FormatError("--side names the foot of a single file; for two files put 'side=left/right' in a '#' line or the names")
    sides = []
    for p, b in zip(paths, blocks):
        s = side or b.comments.get("side") or side_from_name(p) or ("left" if len(paths) == 1 else None)
        if s not in ("left", "right"):
            raise FormatError(f"{p}: cannot tell which foot it is; add '# side=right' or name it ..._left/..._right")
        sides.append(s)
    if len(set(sides)) != len(sides):
        raise FormatError(f"both files are for the {sides[0]} foot; add '# side=right' to one or rename it")
    return sides


def _read_dialect(cls: type[CsvDialect], paths: Sequence[Path], layout, side: str | None) -> Recording:
    paths = check_paths(paths, cls.name, max_n=1 if len(cls.feet) == 2 else 2)
    blocks = []
    for p in paths:
        text = read_text(p, f"{cls.name} CSV")
        blocks.append(cls().parse_lines(text.splitlines(), source=str(p)))
    feet: dict[str, FootData] = {}
    comments: dict[str, str] = {}
    late = 0
    if len(cls.feet) == 2:
        sides_for = [None]
    else:
        sides_for = _resolve_sides(list(paths), blocks, side)
    for p, block, s in zip(paths, blocks, sides_for):
        comments.update(block.comments)
        rows, link = _sort_frames(block)
        if block.frame_id is not None:
            seq_all = block.frame_id[rows]
        else:
            seq_all = seq_from_time(block.time_ms[rows])
        first, last = int(seq_all[0]), int(seq_all[-1])
        layout_name = layout or block.comments.get("layout")
        if s is not None:  # single-foot dialect: the block's one channel set is this foot
            block.values = {s: block.values.pop("left")}
            block.present = {s: block.present.pop("left")}
        late += int(np.count_nonzero((block.flags & FLAG_LATE) & ~(block.flags & FLAG_LEFT_MISSING)))
        for foot in ("left", "right"):
            if foot not in block.values:
                continue
            fd = _foot_data(foot, block, rows, layout_name, link, seq_all, first, last, str(p))
            if fd is not None:
                feet[foot] = fd
    if not feet:
        raise FormatError(f"{paths[0]}: every frame is flagged missing; nothing to import")
    t_all = next(iter(feet.values())).t_host_s
    notes = [f"dialect {cls.name}"]
    if late:
        notes.append(f"{late} frames flagged late (flag bit 1); rows are in frame-id order")
    meta = Metadata(
        device=comments.get("device") or "DIY insole",
        firmware=comments.get("fw") or comments.get("firmware"),
        sampling_rate_hz=float(comments["rate_hz"]) if "rate_hz" in comments else nominal_rate_hz(t_all),
        source=cls.name,
        notes="; ".join(notes),
    )
    return Recording(feet=feet, metadata=meta)


def _dialect_reader(cls: type[CsvDialect]):
    def read(paths: Sequence[Path], *, layout: str | SensorLayout | None = None, side: str | None = None) -> Recording:
        return _read_dialect(cls, paths, layout, side)

    read.__doc__ = f"Read {cls.name} files ({cls.description})."
    return read


# ------------------------------------------------------------------------------ csv-generic
def load_column_map(columns: str | os.PathLike | Mapping[str, Any]) -> dict[str, Any]:
    """A column map from a JSON file, JSON text or a mapping (docs/formats.md, ``csv-generic``)."""
    if isinstance(columns, Mapping):
        cmap = dict(columns)
    else:
        text = str(columns)
        if not text.lstrip().startswith("{"):
            p = Path(text)
            if not p.is_file():
                raise InsoleError(f"column map {p} does not exist; give a JSON file or JSON text to --columns")
            text = p.read_text(encoding="utf-8")
        try:
            cmap = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InsoleError(f"the column map is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(cmap, dict) or "time" not in cmap or not ({"left", "right"} & set(cmap)):
        raise InsoleError('the column map needs "time" and "left" and/or "right" (see docs/formats.md)')
    return cmap


def _select(names: list[str], spec: Any, what: str, path: Path) -> list[int]:
    patterns = [spec] if isinstance(spec, str) else list(spec)
    out: list[int] = []
    for pat in patterns:
        hits = [j for j, n in enumerate(names) if fnmatchcase(n, str(pat))]
        if not hits:
            raise FormatError(f"{path}: no column matches {pat!r} ({what}); the header has {', '.join(names[:8])}...")
        out.extend(j for j in hits if j not in out)
    return out


def read_generic(paths: Sequence[Path], *, layout: str | SensorLayout | None = None, columns: Any = None) -> Recording:
    """Read any delimited file with a header through a column map (``columns``)."""
    (path,) = check_paths(paths, "csv-generic", n=1)
    if columns is None:
        raise InsoleError("csv-generic needs a column map: --columns map.json (see docs/formats.md)")
    cmap = load_column_map(columns)
    delim = cmap.get("delimiter", ",")
    comment = cmap.get("comment", "#")
    text = read_text(path, "CSV")
    lines = [ln for ln in text.splitlines()[int(cmap.get("skip_rows", 0)):] if ln.strip() and not (comment and ln.startswith(comment))]
    if len(lines) < 2:
        raise FormatError(f"{path}: needs a header line and data; the file is empty or truncated")
    names = [n.strip().strip('"') for n in lines[0].split(delim)]
    time_j = _select(names, cmap["time"], "time", path)[0]
    frame_j = _select(names, cmap["frame"], "frame", path)[0] if cmap.get("frame") else None
    chans = {foot: _select(names, cmap[foot], foot, path) for foot in ("left", "right") if cmap.get(foot)}
    body = lines[1:]
    counts = np.fromiter((ln.count(delim) + 1 for ln in body), dtype=np.int64, count=len(body))
    if np.any(counts != len(names)):
        i = int(np.flatnonzero(counts != len(names))[0])
        raise FormatError(f"{path}: line {i + 2} has {counts[i]} fields, the header {len(names)}; the file is truncated")
    table = np.array(delim.join(body).split(delim), dtype=str).reshape(len(body), len(names))
    used = sorted({time_j, *(j for js in chans.values() for j in js), *([frame_j] if frame_j is not None else [])})
    sub = np.char.strip(np.char.strip(table[:, used]), '"')
    sub = np.where(np.isin(sub, ["", "-", "NA", "NaN", "nan"]), "nan", sub)
    try:
        num = sub.astype(np.float64)
    except ValueError as exc:
        raise FormatError(f"{path}: a mapped column holds text ({one_line(exc)}); fix the column map") from None
    col = {j: num[:, k] for k, j in enumerate(used)}
    factor = {"s": 1e3, "ms": 1.0, "us": 1e-3}.get(cmap.get("time_unit", "s"))
    if factor is None:
        raise InsoleError('time_unit must be "s", "ms" or "us" in the column map')
    time_ms = col[time_j] * factor
    if not np.all(np.isfinite(time_ms)):
        raise FormatError(f"{path}: the time column has empty or non-numeric values")
    values = {foot: np.column_stack([col[j] for j in js]) for foot, js in chans.items()}
    block = CsvBlock(
        time_ms=time_ms,
        frame_id=col[frame_j].astype(np.int64) if frame_j is not None else None,
        values=values,
        present={foot: np.all(np.isfinite(v), axis=1) for foot, v in values.items()},
        flags=np.zeros(len(body), np.int64),
    )
    rows, link = _sort_frames(block)
    seq_all = block.frame_id[rows] if block.frame_id is not None else seq_from_time(time_ms[rows])
    unit = str(cmap.get("unit", "count"))
    feet = {}
    lay_map = cmap.get("layout") if layout is None else layout
    for foot in chans:
        fd = _foot_data(foot, block, rows, lay_map, link, seq_all, int(seq_all[0]), int(seq_all[-1]), str(path),
                        unit=unit, diy=False)
        if fd is not None:
            feet[foot] = fd
    if not feet:
        raise FormatError(f"{path}: the mapped columns hold no complete frame")
    t_all = next(iter(feet.values())).t_host_s
    meta = Metadata(device=cmap.get("device") or None, sampling_rate_hz=nominal_rate_hz(t_all), source="csv-generic")
    return Recording(feet=feet, metadata=meta)


# ------------------------------------------------------------------------------ csv-insole (export)
def _header_fields(line: str) -> dict[str, str]:
    out = {}
    for token in line[len(INSOLE_CSV_MAGIC):].split():
        key, sep, value = token.partition("=")
        if sep:
            out[key] = value
    return out


def read_insole_csv(paths: Sequence[Path], *, layout: str | SensorLayout | None = None) -> Recording:
    """Read the per-foot CSV files written by :func:`export_csv` back into a recording."""
    from insole.calibration import Calibration
    from insole.layout import SensorLayout

    paths = check_paths(paths, "csv-insole", max_n=2)
    if layout is not None:
        raise InsoleError("insole CSV exports carry their own layout; --layout does not apply")
    feet: dict[str, FootData] = {}
    meta = None
    markers: list[tuple[float, str]] = []
    for p in paths:
        text = read_text(p, "insole CSV export")
        lines = text.splitlines()
        head: dict[str, Any] = {}
        i = 0
        while i < len(lines) and lines[i].startswith("#"):
            line = lines[i]
            if line.startswith(INSOLE_CSV_MAGIC):
                head.update(_header_fields(line))
            else:
                key, sep, value = line[1:].strip().partition(": ")
                if sep:
                    head[key] = value
            i += 1
        try:
            foot = head["foot"]
            lay = SensorLayout.from_json(head["layout"])
            dtype = np.dtype(str(head["dtype"]))
            unit = head["unit"]
            meta_dict = json.loads(head.get("metadata", "{}"))
            gaps_rows = json.loads(head.get("gaps", "[]"))
            link = json.loads(head.get("link", "{}"))
            sync = json.loads(head["sync"]) if "sync" in head else None
            markers = [tuple(x) for x in json.loads(head.get("markers", "[]"))] or markers
            cal = Calibration.from_json(head["calibration"]) if "calibration" in head else None
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"{p}: the '#' header of the insole CSV is damaged ({one_line(exc)}); export it again") from None
        if foot not in schema.FEET or foot in feet:
            raise FormatError(f"{p}: foot {foot!r} is invalid or given twice")
        if i >= len(lines):
            raise FormatError(f"{p}: no column line after the '#' header; the file is truncated")
        names = lines[i].split(",")
        body = [ln for ln in lines[i + 1:] if ln.strip()]
        n_s = lay.n_sensors
        imu_cols = [n[len("imu:"):] for n in names if n.startswith("imu:")]
        if names[:3] != ["t_host_s", "t_device_us", "seq"] or len(names) != 3 + n_s + len(imu_cols):
            raise FormatError(f"{p}: the column line does not match the layout ({n_s} sensors); the file is damaged")
        counts = np.fromiter((ln.count(",") + 1 for ln in body), dtype=np.int64, count=len(body))
        if np.any(counts != len(names)):
            j = int(np.flatnonzero(counts != len(names))[0])
            raise FormatError(f"{p}: line {i + 2 + j} has {counts[j]} fields, expected {len(names)}; the file is truncated")
        tokens = np.array(",".join(body).split(","), dtype=str).reshape(len(body), len(names)) if body else np.zeros((0, len(names)), str)
        if dtype.kind not in "fiu":
            raise FormatError(f"{p}: dtype {dtype.str!r} in the header is not numeric; the file is damaged")
        try:
            t_host = tokens[:, 0].astype(np.float64)
            t_dev = tokens[:, 1].astype(np.int64)
            seq = tokens[:, 2].astype(np.int64)
            if np.any((seq < 0) | (seq > 0xFFFFFFFF)):
                raise ValueError("seq out of range")
            values = tokens[:, 3 : 3 + n_s].astype(dtype)
            imu = tokens[:, 3 + n_s :].astype(np.float32) if imu_cols else None
            feet[foot] = FootData(
                values=values, unit=unit, t_device_us=t_dev, t_host_s=t_host, seq=seq.astype(np.uint32), layout=lay,
                calibration=cal, imu=imu, imu_columns=tuple(imu_cols),
                gaps=np.array([tuple(g) for g in gaps_rows], dtype=schema.GAP_DTYPE),
                link={k: float(v) for k, v in link.items()}, sync=sync,
            )
            if meta is None:
                meta = Metadata.from_attrs(meta_dict)
        except (ValueError, OverflowError, TypeError, AttributeError) as exc:
            raise FormatError(f"{p}: a value is not valid ({one_line(exc)}); the file is damaged") from None
    return Recording(feet=feet, metadata=meta or Metadata(), markers=[(float(t), str(lab)) for t, lab in markers])


def _as_text(a: np.ndarray) -> np.ndarray:
    """Shortest text that reads back to the same value (floats) or the integer."""
    return np.asarray(a).astype(str)


def export_csv(rec: Recording, prefix: str | os.PathLike, *, overwrite: bool = False) -> list[Path]:
    """Write one CSV per foot (``<prefix>_left.csv``, ``<prefix>_right.csv``).

    Each file starts with ``#`` lines (``# insole-csv 1 foot=... unit=...``,
    then the layout, calibration, metadata, gaps and link counters as JSON),
    then ``t_host_s,t_device_us,seq,<sensor ids>[,imu:<channel>...]`` and one
    line per frame.  Values are written in their shortest exact form, so
    importing the files gives back every value.  Files appear only when all
    are complete.

    Returns
    -------
    list of Path
        The files written.
    """
    prefix = Path(prefix)
    targets = {foot: prefix.with_name(f"{prefix.name}_{foot}.csv") for foot in rec.feet}
    for p in targets.values():
        if p.exists() and not overwrite:
            raise InsoleError(f"{p} exists; choose another name or pass --overwrite")
        if not p.parent.is_dir():
            raise InsoleError(f"cannot write {p}: folder {p.parent} does not exist")
    partial = {foot: p.with_name(p.name + ".partial") for foot, p in targets.items()}
    try:
        for foot, fd in rec.feet.items():
            _write_foot(fd, foot, rec, partial[foot])
        for foot in rec.feet:
            os.replace(partial[foot], targets[foot])
    except BaseException:
        for p in partial.values():
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        raise
    return list(targets.values())


def _write_foot(fd: FootData, foot: str, rec: Recording, path: Path) -> None:
    rate = rec.metadata.sampling_rate_hz
    head = [
        f"{INSOLE_CSV_MAGIC} 1 foot={foot} layout={fd.layout.name} unit={fd.unit} dtype={fd.values.dtype.str}"
        + (f" sampling_rate_hz={rate:g}" if rate else ""),
        f"# layout: {fd.layout.to_json()}",
        f"# metadata: {json.dumps(rec.metadata.to_attrs())}",
        f"# gaps: {json.dumps([[int(g['index']), int(g['n_missing']), float(g['t_host_s']), int(g['first_seq'])] for g in fd.gaps])}",
        f"# link: {json.dumps(fd.link)}",
    ]
    if fd.calibration is not None:
        head.append(f"# calibration: {fd.calibration.to_json()}")
    if fd.sync:
        head.append(f"# sync: {json.dumps(fd.sync)}")
    if rec.markers:
        head.append(f"# markers: {json.dumps([[t, lab] for t, lab in rec.markers])}")
    imu_cols = list(fd.imu_columns) if fd.imu is not None else []
    head.append(",".join(["t_host_s", "t_device_us", "seq", *map(str, fd.layout.sensor_ids), *(f"imu:{c}" for c in imu_cols)]))
    parts = [_as_text(fd.t_host_s)[:, None], _as_text(fd.t_device_us)[:, None], _as_text(fd.seq)[:, None], _as_text(fd.values)]
    if imu_cols:
        parts.append(_as_text(fd.imu))
    table = np.concatenate(parts, axis=1) if fd.n_frames else np.zeros((0, len(head[-1].split(","))), str)
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(head) + "\n")
            for i0 in range(0, table.shape[0], 8192):
                fh.write("".join(",".join(row) + "\n" for row in table[i0 : i0 + 8192].tolist()))
    except OSError as exc:
        raise InsoleError(f"cannot write {path}: {exc.strerror or exc}") from None


# ------------------------------------------------------------------------------ registry entries
FORMATS = [
    FormatSpec("csv-insole", "insole CSV export (insole export --to csv), one file per foot", (".csv",),
               _identifier("csv-insole"), read_insole_csv, multi_file=True),
    FormatSpec("csv-lr", CsvLR.description, (".csv",), _identifier("csv-lr"), _dialect_reader(CsvLR), options=()),
    FormatSpec("csv-frame", CsvFrame.description, (".csv",), _identifier("csv-frame"), _dialect_reader(CsvFrame),
               multi_file=True, options=("side",)),
    FormatSpec("csv-time", CsvTime.description, (".csv",), _identifier("csv-time"), _dialect_reader(CsvTime),
               multi_file=True, options=("side",)),
    FormatSpec("csv-generic", "any delimited file with a header, read through a column map (--columns)",
               (".csv", ".tsv", ".txt"), lambda path, head: False, read_generic, options=("columns",), auto=False),
]

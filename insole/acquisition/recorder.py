"""The recorder: ports -> reader threads -> decoded frames -> a crash-safe SWMR recording.

:class:`Recorder` checks everything it can before opening a port (the output
path, the layout, the calibration, the channel map), opens the ports, starts a
:class:`~insole.acquisition.readers.PortReader` thread per port and consumes
their frames in the calling thread:

- per foot, sequence numbers become gap records
  (:class:`~insole.protocol.SequenceTracker`), device times are unwrapped
  (:class:`~insole.protocol.TimestampUnwrapper`) and mapped to host time by a
  robust online clock fit (:class:`~insole.acquisition.clock.ClockFit`);
- frames, gaps and markers go to a :class:`~insole.store.RecordingWriter` in
  SWMR mode, flushed at least every ``flush_interval_s`` (0.5 s), with the link
  counters (``/gaps/<foot>_link``) and the clock fits (``/sync/<foot>``), so a
  crash of the recorder keeps every frame up to the last flush;
- the recording ends on ``duration_s``, :meth:`Recorder.stop`, Ctrl-C
  (SIGINT/SIGTERM), a port that closes (an unplugged device, the end of a
  replay) or a write error (a full disk, a file-size limit): never with a
  traceback.  A clean end refits every frame's host time with the final clock
  fit and states the left/right synchronisation error in ``/sync``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import math
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from insole.acquisition.check import ChannelMap
from insole.acquisition.clock import ClockFit, SyncReport, sync_report
from insole.acquisition.readers import STREAM_FORMATS, Chunk, PortEnd, PortReader, make_decoder
from insole.exceptions import AcquisitionError, CalibrationError, InsoleError
from insole.protocol import COUNTERS, FrameBatch, SequenceTracker, TimestampUnwrapper
from insole.recording import Metadata
from insole.store import schema

FEET: Final = ("left", "right")
_CODE = {"left": 0, "right": 1}
_NAME = {0: "left", 1: "right"}
_U32: Final = 0xFFFFFFFF
#: Longest wait for the second foot of a port before the file is created.
FEET_WAIT_S: Final = 0.3
#: After one port closes, how long the others may go on before they are stopped, in seconds.
CLOSE_GRACE_S: Final = 0.5
#: How long the main thread lets reads accumulate before processing them, in seconds.
BATCH_WAIT_S: Final = 0.02
#: Free disk space kept in reserve (closing the file needs some), in bytes.
DISK_RESERVE_BYTES: Final = 4 << 20
#: Room kept below a file-size limit (RLIMIT_FSIZE), in bytes.
FSIZE_RESERVE_BYTES: Final = 128 << 10
#: Room a flush needs beyond the frames themselves (chunk index, metadata), in bytes.
METADATA_BYTES: Final = 256 << 10
#: Ways a recording ends (:attr:`RecordResult.ended_by`).
END_REASONS: Final = ("duration", "interrupted", "stopped", "unplugged", "disk full", "write error", "error")


@dataclass(frozen=True)
class PortSpec:
    """A port to record from.

    Attributes
    ----------
    url : str
        Device, COM name or pyserial URL.
    foot : {"left", "right"} or None
        The foot this port carries when its frames do not say (``--left`` /
        ``--right``); None when the frames say it.
    """

    url: str
    foot: str | None = None


@dataclass
class FootStatus:
    """Live numbers of one foot (see :class:`RecorderStatus`)."""

    frames: int = 0
    frames_per_s: float = 0.0
    frames_lost: int = 0
    load: float | None = None
    load_unit: str = ""


@dataclass
class RecorderStatus:
    """What the status line shows, every ``status_interval_s``.

    Attributes
    ----------
    state : str
        ``"waiting"`` (no frames yet) or ``"recording"``.
    elapsed_s : float
        Seconds since the first frame.
    feet : dict of str to FootStatus
    crc_errors, garbage_bytes, truncated_frames : int
        Link counters summed over the ports.
    markers : int
        Markers dropped so far.
    sync_error_ms : float or None
        Current left/right synchronisation error (two clocks only).
    """

    state: str
    elapsed_s: float
    feet: dict[str, FootStatus]
    crc_errors: int = 0
    garbage_bytes: int = 0
    truncated_frames: int = 0
    markers: int = 0
    sync_error_ms: float | None = None


def format_status(status: RecorderStatus) -> str:
    """The one-line status: time, frames/s, lost frames and load per foot, link errors, sync error."""
    m, s = divmod(status.elapsed_s, 60)
    parts = [f"{int(m):02d}:{s:04.1f}"]
    if status.state == "waiting":
        parts.append("waiting for frames")
    for foot, fs in status.feet.items():
        load = "" if fs.load is None else f" {fs.load:.0f} {fs.load_unit}"
        parts.append(f"{foot[0].upper()} {fs.frames_per_s:5.0f}/s lost {fs.frames_lost}{load}")
    parts.append(f"crc {status.crc_errors} garbage {status.garbage_bytes} B cut {status.truncated_frames}")
    if status.sync_error_ms is not None:
        parts.append(f"sync {status.sync_error_ms:.1f} ms")
    if status.markers:
        parts.append(f"markers {status.markers}")
    return " | ".join(parts)


@dataclass
class RecordResult:
    """How a recording went.

    Attributes
    ----------
    path : Path or None
        The file (None when no frame arrived, so no file was made).
    ended_by : str
        One of :data:`END_REASONS`.
    message : str
        One line on why it ended (empty for a planned end).
    frames : dict of str to int
        Frames in the file per foot.
    frames_lost : dict of str to int
        Frames the sequence numbers say were lost, per foot.
    gaps : dict of str to int
        Gap records per foot.
    link : dict of str to dict
        Link counters per foot (:data:`insole.store.schema.LINK_COUNTERS`).
    ports : list of dict
        Per port: ``url``, ``format``, ``feet``, ``bytes`` and the decoder counters.
    sync : SyncReport or None
        Left/right synchronisation (two clocks).
    duration_s : float
        Seconds from the first frame to the end.
    markers : int
        Markers stored.
    """

    path: Path | None
    ended_by: str
    message: str = ""
    frames: dict[str, int] = field(default_factory=dict)
    frames_lost: dict[str, int] = field(default_factory=dict)
    gaps: dict[str, int] = field(default_factory=dict)
    link: dict[str, dict[str, float]] = field(default_factory=dict)
    ports: list[dict[str, Any]] = field(default_factory=list)
    sync: SyncReport | None = None
    duration_s: float = 0.0
    markers: int = 0

    @property
    def ok(self) -> bool:
        """True unless the recording ended on a write or port error."""
        return self.path is not None and self.ended_by in ("duration", "interrupted", "stopped", "unplugged")

    def summary(self) -> str:
        """A few lines for the terminal."""
        if self.path is None:
            return f"no recording: {self.message or self.ended_by}"
        lines = [f"wrote {self.path} ({self.duration_s:.1f} s, ended: {self.ended_by})"]
        for foot in self.frames:
            link = self.link.get(foot, {})
            lines.append(
                f"{foot}: {self.frames[foot]} frames, {self.frames_lost.get(foot, 0)} lost in {self.gaps.get(foot, 0)} gaps"
                + "".join(f", {k.replace('_', ' ')} {int(v)}" for k, v in link.items()
                          if v and k in ("crc_errors", "garbage_bytes", "truncated_frames", "backwards_timestamps",
                                         "duplicate_frames"))
            )
        if self.sync is not None:
            lines.append(f"left/right sync error {self.sync.error_ms:.2f} ms (the device clocks drifted apart "
                         f"{self.sync.drift_ms:.1f} ms, {self.sync.drift_ppm:+.0f} ppm)")
        if self.markers:
            lines.append(f"markers: {self.markers}")
        if self.message:
            lines.append(self.message)
        return "\n".join(lines)


@dataclass
class _Marker:
    t_monotonic_s: float
    label: str


class _FootState:
    def __init__(self, port: int, clock: ClockFit) -> None:
        self.port = port
        self.tracker = SequenceTracker()
        self.unwrap = TimestampUnwrapper()
        self.clock = clock
        self.last_t_host: float | None = None
        self.last_values: np.ndarray | None = None
        self.frames_at_status = 0
        self.gaps = 0
        self.trailing_lost = 0


class _PortState:
    def __init__(self, index: int, spec: PortSpec) -> None:
        self.index = index
        self.spec = spec
        self.url = spec.url
        self.forced = spec.foot
        self.feet: set[str] = {spec.foot} if spec.foot else set()
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.extra: dict[str, int] = {}
        self.n_bytes = 0
        self.first_seq: int | None = None
        self.first_frame_t: float | None = None
        self.ended: PortEnd | None = None
        self.reader: PortReader | None = None
        self.port: Any = None


class _NoFile:
    """Stands in for the :class:`~insole.store.RecordingWriter` of a recorder without a file (``path=None``).

    It counts the frames; everything else is dropped, so frames reach only ``on_frames``.
    """

    def __init__(self) -> None:
        self._frames: dict[str, int] = {}

    def append(self, foot: str, values: np.ndarray, **columns: Any) -> None:
        self._frames[foot] = self._frames.get(foot, 0) + len(values)

    def frames_written(self, foot: str) -> int:
        return self._frames.get(foot, 0)

    def _ignore(self, *args: Any, **kwargs: Any) -> None:
        return None

    add_gap = add_marker = set_link_stats = set_sync = flush = close = abort = _ignore


def check_output_path(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Raise :class:`InsoleError` (one line) unless a recording can be written at ``path``.

    Checks that the folder exists and is writable, that ``path`` is not a
    folder and does not exist (unless ``overwrite``), before any port opens.
    """
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise InsoleError(f"{p} is a folder; give the recording's file name, e.g. {p / 'walk.h5'}")
    if p.exists() and not overwrite:
        raise InsoleError(f"{p} exists; choose another name or pass --overwrite")
    if p.exists() and not os.access(p, os.W_OK):
        raise InsoleError(f"cannot write {p}: the file is read-only")
    if not parent.is_dir():
        raise InsoleError(f"cannot write {p}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InsoleError(f"cannot write {p}: folder {parent} is not writable")
    return p


class Recorder:
    """Record one or two ports into a recording file.

    Parameters
    ----------
    path : str, Path or None
        Output ``.h5`` file; None records no file (the frames only go to
        ``on_frames``: a live view without recording).
    ports : sequence of PortSpec or str
        One port carrying both feet (or one foot), or one port per foot.
    layout : str
        Sensor layout preset; its sensor count must match the device's.
    fmt : str
        ``"auto"``, ``"v1"`` or a CSV dialect (``csv-time``, ``csv-frame``, ``csv-lr``).
    baud : int
        Baud rate of serial ports.
    duration_s : float, optional
        Stop this long after the first frame (or after opening the ports, if no frame comes).
    calibration : str, Path or dict, optional
        A calibration file (``insole calibrate``) or ``{foot: Calibration}``, stored with the raw counts.
    channel_map : str, Path or ChannelMap, optional
        Channel permutation (``insole check --map-out``) applied to every frame.
    metadata : Metadata, optional
        Subject, task, body mass, ...
    overwrite : bool
        Replace an existing file.
    flush_interval_s : float
        Flush to disk at least this often (at most 0.5 s).
    compression : {"gzip", "lzf", "none"}
        Compression of the raw values.
    status_interval_s : float
        How often ``on_status`` is called (and the clock fits refitted).
    on_status : callable, optional
        ``on_status(RecorderStatus)``.
    on_frames : callable, optional
        ``on_frames(foot, t_host_s, values)`` with every block of frames as it is
        written (host time in s since the recording began, raw values after the
        channel map, shape ``(n, n_sensors)``): the tap live views and guided
        tests read. It runs in the recording loop, so it must be quick.
    refit_at_close : bool
        On a clean end, rewrite every frame's host time with the final clock fit.
    backend : str, optional
        Protocol-v1 decode kernel (default: :data:`insole.kernels.BACKEND`).

    Examples
    --------
    >>> rec = Recorder("walk.h5", ["/dev/ttyUSB0"], "diy-fsr-16", duration_s=60)  # doctest: +SKIP
    >>> print(rec.run().summary())                                                 # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | os.PathLike | None,
        ports: Sequence[PortSpec | str],
        layout: str,
        *,
        fmt: str = "auto",
        baud: int = 115200,
        duration_s: float | None = None,
        calibration: Any = None,
        channel_map: str | os.PathLike | ChannelMap | None = None,
        metadata: Metadata | None = None,
        overwrite: bool = False,
        flush_interval_s: float = 0.5,
        compression: str | None = "gzip",
        status_interval_s: float = 0.5,
        on_status: Callable[[RecorderStatus], None] | None = None,
        on_frames: Callable[[str, np.ndarray, np.ndarray], None] | None = None,
        refit_at_close: bool = True,
        backend: str | None = None,
    ) -> None:
        from insole.layout import get_layout

        self.path = None if path is None else check_output_path(path, overwrite=overwrite)
        self.overwrite = overwrite
        specs = [p if isinstance(p, PortSpec) else PortSpec(str(p)) for p in ports]
        if not 1 <= len(specs) <= 2:
            raise InsoleError(f"record from one or two ports (one per foot), not {len(specs)}")
        forced = [s.foot for s in specs if s.foot]
        if any(f not in FEET for f in forced) or len(set(forced)) != len(forced):
            raise InsoleError("give at most one --left and one --right port")
        if len({s.url for s in specs}) != len(specs):
            raise InsoleError("the same port is given twice; give each port once")
        if fmt not in ("auto", *STREAM_FORMATS):
            raise InsoleError(f"--format must be auto or one of {', '.join(STREAM_FORMATS)}, not {fmt!r}")
        if fmt in ("csv-time", "csv-frame"):
            unnamed = [s.url for s in specs if not s.foot]
            if unnamed:
                raise InsoleError(f"{fmt} carries one foot and does not say which; give {unnamed[0]} as --left or --right")
        if duration_s is not None and not duration_s > 0:
            raise InsoleError("--duration must be positive")
        self.specs = specs
        self.fmt = fmt
        self.baud = int(baud)
        self.duration_s = duration_s
        self.layout_name = layout
        self.layouts = {foot: get_layout(layout, side=foot) for foot in FEET}
        self.n_sensors = self.layouts["left"].n_sensors
        self.calibrations = self._calibrations(calibration)
        self.channel_map = self._channel_map(channel_map)
        self.metadata = metadata or Metadata()
        self.flush_interval_s = min(float(flush_interval_s), 0.5)
        if compression not in ("gzip", "lzf", "none", None):
            raise InsoleError(f"--compression must be gzip, lzf or none, not {compression!r}")
        self.compression = None if compression == "none" else compression
        self.status_interval_s = float(status_interval_s)
        self.on_status = on_status
        self.on_frames = on_frames
        self.refit_at_close = refit_at_close
        self.backend = backend
        self._queue: queue.Queue = queue.Queue(maxsize=4096)
        self._stop_reason: str | None = None
        self._stop_message = ""
        self.writer: Any = None
        self._feet: dict[str, _FootState] = {}
        self._ports: list[_PortState] = []
        self._pending: list[Chunk] = []
        self._markers: list[_Marker] = []
        self._n_markers = 0
        self._flushed: dict[str, int] = {}
        self.host_t0 = time.monotonic()
        self.host_t0_unix = time.time()
        self._t_first: float | None = None
        self._t_open = self.host_t0
        self._last_status = self.host_t0
        self._grace_until = 0.0

    # ------------------------------------------------------------------ setup
    def _calibrations(self, calibration: Any) -> dict[str, Any]:
        from insole.calibration import Calibration, calibration_for_foot, load_calibration

        if calibration is None:
            return {}
        if isinstance(calibration, (str, os.PathLike)):
            cals = load_calibration(calibration)
        elif isinstance(calibration, Calibration):
            cals = {foot: calibration for foot in FEET}
        else:
            cals = dict(calibration)
        out = {}
        for foot in FEET:
            cal = calibration_for_foot(cals, foot)
            if cal is None:
                continue
            lay = self.layouts[foot]
            if cal.n_sensors != lay.n_sensors:
                raise CalibrationError(f"the calibration has {cal.n_sensors} sensors but layout {lay.name!r} has "
                                       f"{lay.n_sensors}; use a calibration built for this layout")
            expected = "kPa" if lay.kind == "pressure_kpa" else "N"
            if cal.unit != expected:
                raise CalibrationError(f"the calibration gives {cal.unit} but layout {lay.name!r} needs {expected}; "
                                       "rebuild it with 'insole calibrate --layout'")
            out[foot] = cal
        return out

    def _channel_map(self, channel_map: Any) -> ChannelMap | None:
        if channel_map is None:
            return None
        cmap = channel_map if isinstance(channel_map, ChannelMap) else ChannelMap.load(channel_map)
        cmap.validate(self.n_sensors)
        return cmap

    # ------------------------------------------------------------------ control (thread-safe)
    def stop(self, reason: str = "stopped") -> None:
        """End the recording from another thread or a signal handler."""
        if self._stop_reason is None:
            self._stop_reason = reason

    def add_marker(self, label: str = "marker") -> None:
        """Drop a time marker (e.g. the start of a trial) at the current host time (thread-safe)."""
        self._markers.append(_Marker(time.monotonic(), str(label)))

    # ------------------------------------------------------------------ run
    def run(self) -> RecordResult:
        """Open the ports, record until the end, close the file; return what happened.

        Raises
        ------
        AcquisitionError
            A port cannot be opened (nothing is written then).
        """
        from insole.acquisition.ports import open_port

        restore = self._install_signals()
        try:
            for i, spec in enumerate(self.specs):
                st = _PortState(i, spec)
                st.port = open_port(spec.url, self.baud)
                self._ports.append(st)
            self._t_open = time.monotonic()
            for st in self._ports:
                decoder = make_decoder(self.fmt, self.n_sensors, backend=self.backend)
                st.reader = PortReader(st.index, st.url, st.port, decoder, self._queue)
                st.reader.start()
            self._loop()
            return self._finish()
        except BaseException:
            self._shutdown_readers()
            if self.writer is not None:
                self.writer.abort()
            raise
        finally:
            self._close_ports()
            restore()

    def _install_signals(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        saved: dict[int, Any] = {}

        def on_signal(signum: int, frame: object) -> None:
            self.stop("interrupted")

        for sig in (signal.SIGINT, signal.SIGTERM):
            saved[sig] = signal.signal(sig, on_signal)
        if hasattr(signal, "SIGXFSZ"):  # a file-size limit then fails a write (EFBIG) instead of killing us
            saved[signal.SIGXFSZ] = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

        def restore() -> None:
            for sig, handler in saved.items():
                with contextlib.suppress(Exception):
                    signal.signal(sig, handler)

        return restore

    def _loop(self) -> None:
        next_status = time.monotonic() + self.status_interval_s
        next_flush = time.monotonic() + self.flush_interval_s
        while True:
            items: list[object] = []
            with contextlib.suppress(queue.Empty):
                items.append(self._queue.get(timeout=0.05))
                time.sleep(BATCH_WAIT_S)  # let a few reads pile up: one numpy pass per batch, not per read
                while len(items) < 2048:
                    items.append(self._queue.get_nowait())
            if items:
                self._handle(items)
            now = time.monotonic()
            if self._stop_reason is None and self.duration_s is not None \
                    and now - (self._t_first or self._t_open) >= self.duration_s:
                self.stop("duration")
            if self._markers and self.writer is not None:
                self._write_markers()
            if now >= next_status:
                next_status = now + self.status_interval_s
                self._refit()
                self._emit_status(now)
            if now >= next_flush and self.writer is not None and self._stop_reason not in ("disk full", "write error"):
                next_flush = now + self.flush_interval_s
                self._flush()
            if self._stop_reason is not None:
                if self._stop_reason != "unplugged" or now >= self._grace_until:
                    self._shutdown_readers()
                if all(p.ended is not None for p in self._ports):
                    break
            elif all(p.ended is not None for p in self._ports):
                break

    def _handle(self, items: list[object]) -> None:
        per_port: dict[int, list[Chunk]] = {}
        ends: list[PortEnd] = []
        for item in items:  # one group per port (a port's end always follows its last chunk)
            if isinstance(item, Chunk):
                per_port.setdefault(item.port, []).append(item)
            elif isinstance(item, PortEnd):
                ends.append(item)
        for chunks in per_port.values():
            self._chunks(chunks)
        for end in ends:
            self._port_end(end)

    def _port_end(self, end: PortEnd) -> None:
        st = self._ports[end.port]
        st.ended = end
        st.extra.update(end.extra)
        if self._stop_reason is not None and end.reason == "stopped":
            return
        if end.reason == "closed":
            known = any(k in end.message for k in ("returned no data", "disconnected", "Errno 5", "Input/output"))
            detail = "" if known or not end.message else f" ({end.message[:80]})"
            self._set_end("unplugged", f"port {st.url} closed: the device was unplugged or its stream ended{detail}; "
                                       "recording ended, file kept")
            self._grace_until = time.monotonic() + CLOSE_GRACE_S  # the other foot's stream may be ending too
        elif end.reason == "error":
            self._set_end("error", end.message)

    def _set_end(self, reason: str, message: str) -> None:
        if self._stop_reason is None:
            self._stop_reason = reason
            self._stop_message = message

    # ------------------------------------------------------------------ frames
    def _chunks(self, chunks: list[Chunk]) -> None:
        if self._stop_reason in ("disk full", "write error", "error"):
            return
        st = self._ports[chunks[0].port]
        for c in chunks:
            b = c.batch
            st.n_bytes += c.n_bytes
            for name in COUNTERS:
                st.counters[name] += int(getattr(b, name))
        try:
            if self.writer is None:
                self._pending.extend(chunks)
                self._learn_feet(st, chunks)
                if self._ready():
                    self._create_writer()
                    pending, self._pending = self._pending, []
                    by_port: list[Chunk] = []
                    for c in pending:
                        if by_port and by_port[-1].port != c.port:
                            self._ingest(self._ports[by_port[0].port], by_port)
                            by_port = []
                        by_port.append(c)
                    if by_port:
                        self._ingest(self._ports[by_port[0].port], by_port)
            else:
                self._ingest(st, chunks)
        except AcquisitionError as exc:
            self._set_end("error", str(exc))
        except (InsoleError, OSError, RuntimeError) as exc:
            self._write_failed(exc, mid_write=True)

    def _learn_feet(self, st: _PortState, chunks: list[Chunk]) -> None:
        for c in chunks:
            b = c.batch
            if not len(b):
                continue
            if b.n_sensors != self.n_sensors:
                raise AcquisitionError(
                    f"{st.url} sends {b.n_sensors} sensors per foot but layout {self.layout_name!r} has "
                    f"{self.n_sensors}; choose a layout with {b.n_sensors} sensors ('insole layouts')"
                )
            if st.first_frame_t is None:
                st.first_frame_t = c.t_recv_s
            decoder = st.reader.decoder if st.reader is not None else None
            name = getattr(decoder, "name", "")
            if st.forced is None and name in ("csv-time", "csv-frame"):
                side = decoder.comments.get("side") if decoder is not None else None
                if side not in FEET:
                    raise AcquisitionError(f"{st.url} sends {name}, one foot that it does not name; "
                                           f"give it as --left {st.url} or --right {st.url}")
                st.forced = side
                st.feet = {side}
            if st.forced is None:
                st.feet |= {_NAME[int(code)] for code in np.unique(b.foot)}
            if name == "csv-lr":
                st.feet = {"left", "right"} if st.forced is None else st.feet

    def _ready(self) -> bool:
        now = time.monotonic()
        for st in self._ports:
            if not st.feet:
                return False
            if st.forced is None and len(st.feet) < 2 and st.first_frame_t is not None \
                    and now - st.first_frame_t < FEET_WAIT_S and self._stop_reason is None:
                return False
        return True

    def _create_writer(self) -> None:
        from insole.store import FootSpec, RecordingWriter

        owner: dict[str, str] = {}
        for st in self._ports:
            for foot in st.feet:
                if foot in owner:
                    raise AcquisitionError(f"{owner[foot]} and {st.url} both send the {foot} foot; "
                                           "give the ports as --left URL --right URL")
                owner[foot] = st.url
        feet = [f for f in FEET if f in owner]
        specs = {f: FootSpec(self.layouts[f], np.uint16, "count", self.calibrations.get(f)) for f in feet}
        comments: dict[str, str] = {}
        fmts = []
        for st in self._ports:
            dec = st.reader.decoder if st.reader is not None else None
            comments.update(getattr(dec, "comments", {}) or {})
            fmts.append(getattr(dec, "name", self.fmt))
        md = self.metadata
        urls = ", ".join(f"{st.url} ({fmt})" for st, fmt in zip(self._ports, fmts))
        md = md.replace(
            device=md.device or comments.get("device") or "insole record",
            firmware=md.firmware or comments.get("fw") or comments.get("firmware"),
            source=md.source or "insole record",
            recorded_at=md.recorded_at or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            notes=(md.notes + "; " if md.notes else "") + f"recorded from {urls}",
        )
        self.metadata = md
        for f in feet:
            st = next(p for p in self._ports if f in p.feet)
            self._feet[f] = _FootState(st.index, ClockFit())
            self._flushed[f] = 0
        if self.path is None:
            self.writer = _NoFile()
        else:
            self.writer = RecordingWriter(self.path, specs, md, swmr=True, overwrite=self.overwrite,
                                          flush_frames=1 << 40, flush_interval_s=1e9, compression=self.compression)
        self._t_first = time.monotonic()

    def _ingest(self, st: _PortState, chunks: list[Chunk]) -> None:
        batch = FrameBatch.concatenate([c.batch for c in chunks]) if len(chunks) > 1 else chunks[0].batch
        if len(batch):
            if batch.n_sensors != self.n_sensors:
                raise AcquisitionError(f"{st.url} switched to {batch.n_sensors} sensors per foot; "
                                       f"layout {self.layout_name!r} has {self.n_sensors}")
            name = getattr(st.reader.decoder, "name", "") if st.reader is not None else ""
            if st.first_seq is None:
                st.first_seq = int(batch.seq[0])
                if name == "csv-lr":  # shared frame ids: frames missing before a foot's first one are a gap
                    for foot in st.feet:
                        fs = self._feet.get(foot)
                        if fs is not None and fs.tracker.last_seq is None:
                            fs.tracker.last_seq = (st.first_seq - 1) & _U32
            codes = np.unique(batch.foot)
            if st.forced is not None:
                if codes.size > 1:
                    raise AcquisitionError(f"{st.url} carries both feet; give it as a plain URL, not --{st.forced}")
                self._ingest_foot(st.forced, batch.seq, batch.t_device_us, batch.values, chunks[-1].t_recv_s)
            else:
                for code in codes.tolist():
                    foot = _NAME[int(code)]
                    if foot not in self._feet or self._feet[foot].port != st.index:
                        st.counters["mismatched_frames"] += int(np.count_nonzero(batch.foot == code))
                        continue
                    mask = batch.foot == code
                    self._ingest_foot(foot, batch.seq[mask], batch.t_device_us[mask], batch.values[mask],
                                      chunks[-1].t_recv_s)
        # clock points: the newest frame of each foot in each read, against when the read returned
        for c in chunks:
            for code, raw in c.last_device_us.items():
                foot = st.forced or _NAME[int(code)]
                fs = self._feet.get(foot)
                if fs is None or fs.unwrap.last_raw_us is None or fs.port != st.index:
                    continue
                step = ((int(raw) - fs.unwrap.last_raw_us + (1 << 31)) & _U32) - (1 << 31)
                fs.clock.add(fs.unwrap.last_us + step, c.t_recv_s - self.host_t0)

    def _ingest_foot(self, foot: str, seq: np.ndarray, t_raw: np.ndarray, values: np.ndarray,
                     t_recv_s: float) -> None:
        fs = self._feet[foot]
        t_us = fs.unwrap.unwrap(t_raw)
        if fs.clock.model is None:  # the very first frames: their arrival is the first clock point
            fs.clock.add(int(t_us[-1]), t_recv_s - self.host_t0)
        t_host = fs.clock.to_host_s(t_us)
        if fs.last_t_host is not None:
            t_host = np.maximum.accumulate(np.r_[fs.last_t_host, t_host])[1:]
        else:
            t_host = np.maximum.accumulate(t_host)
        if self.channel_map is not None:
            values = self.channel_map.apply(foot, values)
        n_before = fs.tracker.frames_received
        gaps = fs.tracker.update(seq)
        self.writer.append(foot, values, t_device_us=t_us, t_host_s=t_host, seq=seq)
        for g in gaps:
            local = int(g["index"]) - n_before
            if 0 <= local < t_host.size:
                t_gap = float(t_host[local])
            elif local < 0 and fs.last_t_host is not None:
                t_gap = fs.last_t_host
            else:
                t_gap = float(t_host[0])
            self.writer.add_gap(foot, int(g["index"]), int(g["n_missing"]), t_gap, int(g["first_seq"]))
            fs.gaps += 1
        fs.last_t_host = float(t_host[-1])
        fs.last_values = values[-1]
        if self.on_frames is not None:
            try:
                self.on_frames(foot, t_host, values)
            except Exception as exc:
                self.on_frames = None
                print(f"warning: the live display stopped ({type(exc).__name__}: {exc}); still recording",
                      file=sys.stderr, flush=True)

    def _write_markers(self) -> None:
        while self._markers:
            m = self._markers.pop(0)
            self.writer.add_marker(m.t_monotonic_s - self.host_t0, m.label)
            self._n_markers += 1

    # ------------------------------------------------------------------ bookkeeping
    def _refit(self) -> None:
        for fs in self._feet.values():
            fs.clock.fit()

    def link_stats(self, foot: str) -> dict[str, float]:
        """The link counters of ``foot`` so far (:data:`insole.store.schema.LINK_COUNTERS`).

        The stream counters (CRC errors, garbage, truncated frames) belong to
        the port that carried the foot: with one port for both feet, both
        feet show that port's counters.
        """
        fs = self._feet[foot]
        st = self._ports[fs.port]
        decoder = st.reader.decoder if st.reader is not None else None
        if decoder is not None and getattr(decoder, "counts_backwards", False):
            backwards = decoder.extra.get("backwards_timestamps", 0)  # CSV: counted in arrival order
        else:
            backwards = fs.unwrap.backwards_steps
        return {
            "frames_received": float(fs.tracker.frames_received),
            "frames_lost": float(fs.tracker.frames_lost + fs.trailing_lost),
            "crc_errors": float(st.counters["crc_errors"]),
            "garbage_bytes": float(st.counters["garbage_bytes"]),
            "truncated_frames": float(st.counters["truncated_frames"]),
            "backwards_timestamps": float(backwards),
            "duplicate_frames": float(fs.tracker.duplicate_frames),
        }

    def _room_bytes(self) -> float:
        """Bytes the file may still grow by: free disk space and the file-size limit, less reserves."""
        room = math.inf
        if self.path is None:
            return room
        with contextlib.suppress(OSError):
            vfs = os.statvfs(self.path.parent)
            room = vfs.f_bavail * vfs.f_frsize - DISK_RESERVE_BYTES
        try:
            import resource

            soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        except (ImportError, OSError, ValueError):
            soft = -1
        if soft not in (-1, getattr(sys.modules.get("resource"), "RLIM_INFINITY", -1)):
            with contextlib.suppress(OSError):
                room = min(room, soft - os.path.getsize(self.path) - FSIZE_RESERVE_BYTES)
        return room

    def _flush_need_bytes(self) -> float:
        """Worst case the next flush adds to the file: the chunks it allocates, uncompressed, plus metadata.

        HDF5 allocates whole chunks; an uncompressed chunk is then rewritten in
        place, but a compressed one that grows may move, so with compression
        the partial chunk at the end counts in full too.
        """
        from insole.store.writer import _chunk_rows

        need = float(METADATA_BYTES)
        moves = self.compression is not None
        for foot in self._feet:
            w0 = self._flushed[foot]
            w1 = self.writer.frames_written(foot)
            if w1 == w0:
                continue
            for rows, row_bytes in ((_chunk_rows(self.n_sensors, 2), 2 * self.n_sensors), (8192, 20)):
                first = w0 // rows if moves else math.ceil(w0 / rows)
                need += max(0, math.ceil(w1 / rows) - first) * rows * row_bytes
        return need

    def _flush(self) -> None:
        """Link counters, clock fits and buffered frames to disk -- unless they would not fit."""
        try:
            for foot, fs in self._feet.items():
                self.writer.set_link_stats(foot, **self.link_stats(foot))
                if fs.clock.model is not None:
                    self.writer.set_sync(foot, **fs.clock.model.as_fields())
            if self._flush_need_bytes() > self._room_bytes():
                # stop before a write can fail half-way: the file keeps exactly what was flushed
                self._write_failed(OSError(errno.ENOSPC, "not enough room for the next flush"))
                return
            self.writer.flush()
        except (InsoleError, OSError, RuntimeError) as exc:
            self._write_failed(exc, mid_write=True)
            return
        for foot in self._feet:
            self._flushed[foot] = self.writer.frames_written(foot)

    def _write_failed(self, exc: BaseException, *, mid_write: bool = False) -> None:
        text = str(exc)
        full = isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
        full = full or any(k in text for k in ("disk full", "No space", "File too large", "errno = 27", "errno = 28"))
        kept = ", ".join(f"{f} {n}" for f, n in self._flushed.items())
        tail = "; a write failed half-way: check the file with 'insole info'" if mid_write else ""
        if full:
            self._set_end("disk full", f"disk full while writing {self.path}: the frames flushed before are kept "
                                       f"({kept}); free space and record again{tail}")
        else:
            first = text.splitlines()[0][:160] if text else type(exc).__name__
            self._set_end("write error", f"cannot write {self.path} ({first}); the frames flushed before are kept "
                                         f"({kept}){tail}")

    def _sync(self) -> SyncReport | None:
        if len(self._feet) != 2:
            return None
        ports = {fs.port for fs in self._feet.values()}
        models = [self._feet[f].clock.model for f in FEET]
        if len(ports) != 2 or any(m is None for m in models):
            return None
        duration = 0.0 if self._t_first is None else time.monotonic() - self._t_first
        return sync_report(models[0], models[1], duration)  # type: ignore[arg-type]

    def _load(self, foot: str, row: np.ndarray | None) -> tuple[float | None, str]:
        if row is None:
            return None, ""
        cal = self.calibrations.get(foot)
        if cal is None:
            return float(np.sum(row, dtype=np.float64)), "counts"
        phys = cal.apply(np.asarray(row, np.float64)[None, :])[0]
        lay = self.layouts[foot]
        if lay.kind == "pressure_kpa":
            return float(np.sum(phys * np.asarray(lay.area_mm2)) * 1e-3), "N"
        return float(np.sum(phys)), "N"

    def _emit_status(self, now: float) -> None:
        if self.on_status is None:
            return
        feet: dict[str, FootStatus] = {}
        dt = now - self._last_status
        self._last_status = now
        for foot, fs in self._feet.items():
            n = fs.tracker.frames_received
            fps = (n - fs.frames_at_status) / dt if dt > 0 else 0.0
            fs.frames_at_status = n
            load, unit = self._load(foot, fs.last_values)
            feet[foot] = FootStatus(n, fps, fs.tracker.frames_lost, load, unit)
        tot = {k: sum(p.counters[k] for p in self._ports) for k in ("crc_errors", "garbage_bytes", "truncated_frames")}
        sync = self._sync()
        status = RecorderStatus("recording" if self.writer is not None else "waiting",
                                0.0 if self._t_first is None else now - self._t_first, feet,
                                markers=self._n_markers, sync_error_ms=None if sync is None else sync.error_ms, **tot)
        with contextlib.suppress(Exception):  # a broken status display must not stop a recording
            self.on_status(status)

    # ------------------------------------------------------------------ ending
    def _shutdown_readers(self) -> None:
        for st in self._ports:
            if st.reader is not None and not st.reader.stopping:
                st.reader.stop()

    def _close_ports(self) -> None:
        for st in self._ports:
            if st.reader is not None:
                st.reader.stop()
                st.reader.join(timeout=2.0)
            with contextlib.suppress(Exception):
                st.port.close()

    def _trailing_gaps(self) -> None:
        for st in self._ports:
            name = getattr(st.reader.decoder, "name", "") if st.reader is not None else ""
            if name != "csv-lr":
                continue
            feet = [self._feet[f] for f in st.feet if f in self._feet]
            lasts = [fs.tracker.last_seq for fs in feet if fs.tracker.last_seq is not None]
            if len(lasts) < 2:
                continue
            top = max(lasts)
            for fs, foot in zip(feet, [f for f in st.feet if f in self._feet]):
                last = fs.tracker.last_seq
                if last is not None and last < top:
                    n = top - last
                    self.writer.add_gap(foot, fs.tracker.frames_received - 1, n, fs.last_t_host or 0.0, (last + 1) & _U32)
                    fs.trailing_lost += n
                    fs.gaps += 1

    def _finish(self) -> RecordResult:
        reason = self._stop_reason or "stopped"
        result = RecordResult(None, reason, self._stop_message)
        result.ports = [{"url": p.url, "format": getattr(p.reader.decoder, "name", self.fmt) if p.reader else self.fmt,
                         "feet": sorted(p.feet), "bytes": p.n_bytes, **p.counters, **p.extra} for p in self._ports]
        if self.writer is None:
            if reason in ("error",):
                raise AcquisitionError(self._stop_message)
            urls = ", ".join(p.url for p in self._ports)
            result.message = result.message or (f"no frames received from {urls}; check the port, the baud rate "
                                                "and --format (no file was written)")
            return result
        result.path = self.path
        result.duration_s = 0.0 if self._t_first is None else time.monotonic() - self._t_first
        if self._markers and reason not in ("disk full", "write error"):
            with contextlib.suppress(Exception):
                self._write_markers()
        self._refit()
        sync = self._sync()
        clean = reason not in ("disk full", "write error")
        if clean:
            try:
                self._trailing_gaps()
                self._flush()
                clean = self._stop_reason not in ("disk full", "write error")
                if clean:
                    self.writer.close()
            except (InsoleError, OSError, RuntimeError) as exc:
                self._write_failed(exc, mid_write=True)
                clean = False
        if not clean:
            self.writer.abort()  # the frames still buffered are dropped: the file keeps what was flushed
            result.ended_by = self._stop_reason or "write error"
            result.message = self._stop_message
        elif self.refit_at_close and self.path is not None:
            with contextlib.suppress(OSError, KeyError, ValueError):
                self._finalise_file(sync)
        for foot, fs in self._feet.items():
            result.frames[foot] = self._flushed[foot] if not clean else fs.tracker.frames_received
            result.frames_lost[foot] = fs.tracker.frames_lost + fs.trailing_lost
            result.gaps[foot] = fs.gaps
            result.link[foot] = self.link_stats(foot)
        result.sync = sync
        result.markers = self._n_markers
        return result

    def _finalise_file(self, sync: SyncReport | None) -> None:
        """After a clean close: host times from the final clock fits, sync attributes, the measured rate."""
        import h5py

        from insole.io._common import nominal_rate_hz

        rates = []
        with h5py.File(self.path, "r+") as f:
            for foot, fs in self._feet.items():
                model = fs.clock.fit()
                raw = f[f"{schema.RAW}/{foot}"]
                t_dev = raw[schema.T_DEVICE_US]
                n = t_dev.shape[0]
                if model is None or n == 0:
                    continue
                last = -math.inf
                for i0 in range(0, n, 1 << 20):
                    d = t_dev[i0:i0 + (1 << 20)]
                    t = np.maximum.accumulate(np.r_[last, model.to_host_s(d)])[1:]
                    raw[schema.T_HOST_S][i0:i0 + d.size] = t
                    last = float(t[-1])
                f[f"{schema.SYNC}/{foot}"][...] = [model.as_fields()[k] for k in schema.SYNC_FIELDS]
                rate = nominal_rate_hz(t_dev[: min(n, 200_000)] * 1e-6)
                if rate:
                    rates.append(rate)
                if f"{schema.GAPS}/{foot}" in f:  # gap times on the refitted timeline
                    gaps = f[f"{schema.GAPS}/{foot}"]
                    if gaps.shape[0]:
                        g = gaps[...]
                        idx = np.clip(g["index"], 0, n - 1)
                        g["t_host_s"] = raw[schema.T_HOST_S][np.unique(idx)][np.searchsorted(np.unique(idx), idx)]
                        gaps[...] = g
            grp = f[schema.SYNC]
            grp.attrs["host_t0_unix_s"] = self.host_t0_unix
            grp.attrs["host_t0_monotonic_s"] = self.host_t0
            grp.attrs["method"] = "lower support line of the per-bin fastest (receive - device) times (insole.acquisition.clock)"
            md = f[schema.METADATA]
            if rates and "sampling_rate_hz" not in md.attrs:
                md.attrs["sampling_rate_hz"] = float(np.median(rates))
            if sync is not None:
                for k, v in sync.as_attrs().items():
                    grp.attrs[k] = v
                md.attrs["notes"] = str(md.attrs.get("notes", "")) + f"; left/right sync error {sync.error_ms:.2f} ms"


__all__ = ["END_REASONS", "FootStatus", "PortSpec", "RecordResult", "Recorder", "RecorderStatus",
           "check_output_path", "format_status"]

"""Stream decoders (protocol v1, the DIY CSV dialects, auto-detection) and the reader thread per port.

A stream decoder turns bytes, split anywhere, into :class:`~insole.protocol.FrameBatch`
arrays with link counters, exactly like :class:`~insole.protocol.V1Decoder`:

- :class:`V1Stream` wraps the protocol-v1 decoder (Cython kernel or its twin);
- :class:`CsvStream` streams a DIY CSV dialect (``csv-time``, ``csv-frame``,
  ``csv-lr``) with the dialect classes of :mod:`insole.io.formats.csv_dialects`,
  many lines per call (vectorised), isolating bad lines only when a chunk has one;
- :class:`AutoStream` looks at the first bytes and becomes one of the two.

:class:`PortReader` is the thread that reads one port in large chunks, feeds its
decoder and puts :class:`Chunk` items (frames, receive time, newest device
time per foot) on a queue; when the port closes or the device disappears it
resolves the decoder's tail and puts a :class:`PortEnd`.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from insole.exceptions import AcquisitionError, FormatError
from insole.protocol import COUNTERS, Foot, FrameBatch, V1Decoder

#: Stream formats by name: protocol v1 and the line-oriented DIY CSV dialects.
STREAM_FORMATS: Final = ("v1", "csv-time", "csv-frame", "csv-lr")
#: Largest CSV line kept while waiting for its newline; longer runs are garbage.
MAX_LINE_BYTES: Final = 1 << 16
#: Bytes ``auto`` looks at before giving up.
AUTO_LIMIT_BYTES: Final = 1 << 18
_U32: Final = 0xFFFFFFFF
#: A frame id this far below the highest one seen is a device reset, not a late frame.
RESET_FRAMES: Final = 1000


def _last_per_foot(foot: np.ndarray, t_device_us: np.ndarray) -> dict[int, int]:
    """Raw device time of the last row of each foot code present (arrival order)."""
    out: dict[int, int] = {}
    n = foot.size
    if n == 0:
        return out
    for code in (0, 1):
        hits = np.flatnonzero(foot == code)
        if hits.size:
            out[code] = int(t_device_us[hits[-1]])
    return out


class V1Stream:
    """Protocol-v1 stream decoder (:class:`~insole.protocol.V1Decoder`) with the recorder's extras.

    Attributes
    ----------
    last_device_us : dict of int to int
        Raw device time of the newest frame of each foot code in the last call.
    extra : dict of str to int
        Counters beyond :data:`insole.protocol.COUNTERS` (none for v1).
    comments : dict of str to str
        Stream comments (none for v1).
    counts_backwards : bool
        False: backward device times are counted by the recorder's unwrapper.
    """

    name = "v1"
    counts_backwards = False

    def __init__(self, *, backend: str | None = None) -> None:
        self.decoder = V1Decoder(backend=backend)
        self.last_device_us: dict[int, int] = {}
        self.extra: dict[str, int] = {}
        self.comments: dict[str, str] = {}

    def feed(self, data: bytes) -> FrameBatch:
        """Decode the frames these bytes complete."""
        batch = self.decoder.feed(data)
        self.last_device_us = _last_per_foot(batch.foot, batch.t_device_us)
        return batch

    def flush(self) -> FrameBatch:
        """End of stream: resolve the pending bytes."""
        batch = self.decoder.flush()
        self.last_device_us = _last_per_foot(batch.foot, batch.t_device_us)
        return batch


@dataclass
class _Lines:
    """Good data lines of a CSV chunk, as arrays (one entry per line)."""

    time_ms: np.ndarray
    seq: np.ndarray | None
    values: dict[str, np.ndarray]
    present: dict[str, np.ndarray]

    @classmethod
    def empty(cls, feet: tuple[str, ...], n: int) -> _Lines:
        return cls(np.zeros(0), np.zeros(0, np.int64), {f: np.zeros((0, n)) for f in feet},
                   {f: np.zeros(0, bool) for f in feet})

    def take(self, idx: np.ndarray) -> _Lines:
        return _Lines(self.time_ms[idx], None if self.seq is None else self.seq[idx],
                      {f: v[idx] for f, v in self.values.items()}, {f: p[idx] for f, p in self.present.items()})

    @staticmethod
    def cat(parts: list[_Lines]) -> _Lines:
        first = parts[0]
        return _Lines(
            np.concatenate([p.time_ms for p in parts]),
            None if first.seq is None else np.concatenate([p.seq for p in parts]),
            {f: np.concatenate([p.values[f] for p in parts]) for f in first.values},
            {f: np.concatenate([p.present[f] for p in parts]) for f in first.present},
        )


class CsvStream:
    """Streaming decoder of a DIY CSV dialect, line by line, many lines per call.

    Each data line is one frame; ``csv-lr`` lines carry both feet (a foot
    flagged missing gives no row).  Sequence numbers are the frame ids, or for
    ``csv-time`` are counted from the time column (a step of about two periods
    is one lost frame, as the importer counts them).  Frames with frame ids
    pass a small reorder buffer (``reorder_frames``), so a frame the logger
    wrote late (``csv-lr`` flag bit 1) lands in order, as the importer sorts it.

    Counters: a data line that does not parse (cut short, damaged) counts as a
    truncated frame -- CSV has no checksum, so a damaged digit that still
    parses cannot be caught; a non-comment text line that is not a valid
    header counts its bytes (with the newline) as garbage.  Backward steps of
    the time column are counted in arrival order (``extra["backwards_timestamps"]``,
    as the importer counts them), once per line.

    Parameters
    ----------
    dialect : str
        ``"csv-time"``, ``"csv-frame"`` or ``"csv-lr"``.
    n_channels : int, optional
        Channels per foot; fixes the columns of headerless lines (a header
        line in the stream takes precedence).
    reorder_frames : int
        Frames held back to put late lines in frame-id order.
    period_lines : int
        ``csv-time``: lines used to learn the sampling period.
    """

    counts_backwards = True

    def __init__(self, dialect: str, n_channels: int | None = None, *, reorder_frames: int = 8,
                 period_lines: int = 8) -> None:
        from insole.io.formats.csv_dialects import DIALECTS

        if dialect not in DIALECTS:
            raise AcquisitionError(f"unknown CSV dialect {dialect!r}; use one of {', '.join(DIALECTS)}")
        self.name = dialect
        self.dialect = DIALECTS[dialect](n_channels)
        self.feet: tuple[str, ...] = self.dialect.feet
        self.n_channels = n_channels
        self.reorder_frames = int(reorder_frames) if self.dialect.has_frame_id else 0
        self.period_lines = int(period_lines)
        self._tail = ""
        self._pending: list[_Lines] = []  # held for reordering (frame ids) or period learning (csv-time)
        self._max_seq: int | None = None
        self._last_time_ms: float | None = None
        self._period_ms: float | None = None
        self._prev_seq: int | None = None
        self._last_released_t = 0.0
        self.last_device_us: dict[int, int] = {}
        self.extra: dict[str, int] = {"backwards_timestamps": 0}

    @property
    def comments(self) -> dict[str, str]:
        """``key=value`` tokens of the stream's ``#`` lines (``fw``, ``side``, ``layout``)."""
        return self.dialect.comments

    # ------------------------------------------------------------------ feeding
    def feed(self, data: bytes) -> FrameBatch:
        """Decode the complete lines these bytes finish."""
        text = self._tail + bytes(data).decode("latin-1")  # 1 byte = 1 char: garbage counts stay exact
        lines = text.split("\n")
        self._tail = lines.pop()
        counts = dict.fromkeys(COUNTERS, 0)
        if len(self._tail) > MAX_LINE_BYTES:
            counts["garbage_bytes"] += len(self._tail)
            self._tail = ""
        return self._process(lines, counts, final=False)

    def flush(self) -> FrameBatch:
        """End of stream: a last line without newline is parsed; everything held is released."""
        lines = [self._tail] if self._tail.strip() else []
        self._tail = ""
        return self._process(lines, dict.fromkeys(COUNTERS, 0), final=True)

    def _process(self, lines: list[str], counts: dict[str, int], *, final: bool) -> FrameBatch:
        parts: list[_Lines] = []
        run: list[str] = []
        for raw in lines:
            line = raw.strip()
            if not line:
                continue
            c = line[0]
            if c.isdigit() or c in "-+.":
                run.append(line)
                continue
            if run:
                parts.append(self._parse_run(run, counts))
                run = []
            if c == "#":
                self.dialect.parse_line(line)
                continue
            try:
                ok = self.dialect.parse_header(line)
            except FormatError:
                ok = False
            if not ok:
                counts["garbage_bytes"] += len(raw) + 1
        if run:
            parts.append(self._parse_run(run, counts))
        good = [p for p in parts if p.time_ms.size]
        if good:
            block = _Lines.cat(good)
            counts["frames_ok"] += int(block.time_ms.size)
            self._note_arrivals(block)
            self._pending.append(block)
        else:
            self.last_device_us = {}
        out = self._release(final)
        return self._to_batch(out, counts)

    def _parse_run(self, run: list[str], counts: dict[str, int]) -> _Lines:
        """Data lines -> arrays; bad lines are isolated only when the vectorised parse fails."""
        d = self.dialect
        try:
            block = d.parse_lines(run)
            lines = _Lines(block.time_ms, block.frame_id, block.values, block.present)
        except FormatError:
            lines = self._parse_one_by_one(run, counts)
        # values must be device counts: whole numbers 0..65535
        if lines.time_ms.size:
            ok = np.ones(lines.time_ms.size, bool)
            for f, v in lines.values.items():
                ok &= np.all((v == np.rint(v)) & (v >= 0) & (v <= 65535), axis=1) | ~lines.present[f]
            if not ok.all():
                counts["truncated_frames"] += int(np.count_nonzero(~ok))
                lines = lines.take(np.flatnonzero(ok))
        return lines

    def _parse_one_by_one(self, run: list[str], counts: dict[str, int]) -> _Lines:
        parsed = []
        for line in run:  # only for chunks holding a damaged line
            try:
                cl = self.dialect.parse_line(line)
            except FormatError:
                counts["truncated_frames"] += 1
                continue
            if cl is not None:
                parsed.append(cl)
        n = self.dialect.n_channels or 0
        if not parsed:
            return _Lines.empty(self.feet, n)
        feet = tuple(parsed[0].values)
        values = {f: np.array([cl.values[f] if cl.values[f] is not None else np.zeros(n) for cl in parsed]) for f in feet}
        present = {f: np.array([cl.values[f] is not None for cl in parsed]) for f in feet}
        seq = np.array([cl.frame_id for cl in parsed], np.int64) if self.dialect.has_frame_id else None
        return _Lines(np.array([cl.time_ms for cl in parsed]), seq, values, present)

    def _note_arrivals(self, block: _Lines) -> None:
        t = block.time_ms
        prev = np.r_[self._last_time_ms if self._last_time_ms is not None else t[0], t[:-1]]
        self.extra["backwards_timestamps"] += int(np.count_nonzero(t < prev))
        self._last_time_ms = float(t[-1])
        raw = int(np.rint(t[-1] * 1e3)) & _U32
        self.last_device_us = {int(Foot.parse(f)): raw for f, p in block.present.items() if p[-1]}

    # ------------------------------------------------------------------ ordering and sequence numbers
    def _release(self, final: bool) -> _Lines | None:
        if not self._pending:
            return None
        held = _Lines.cat(self._pending)
        self._pending = []
        if held.seq is not None:  # frame ids: reorder within the window
            return self._release_ordered(held, final)
        return self._release_timed(held, final)

    def _release_ordered(self, held: _Lines, final: bool) -> _Lines | None:
        seq = held.seq
        assert seq is not None
        # a big step back is a device reset: what came before it is released first, in its own order
        top = seq[0] if self._max_seq is None else self._max_seq
        running = np.maximum.accumulate(np.r_[top, seq])[:-1]
        back = np.flatnonzero(seq < running - RESET_FRAMES)
        if back.size:
            cut = int(back[0])
            before = self._release_ordered(held.take(np.arange(cut)), True) if cut else None
            self._max_seq = None
            after = self._release_ordered(held.take(np.arange(cut, seq.size)), final)
            parts = [p for p in (before, after) if p is not None]
            return _Lines.cat(parts) if parts else None
        held = held.take(np.argsort(seq, kind="stable"))
        seq = held.seq
        assert seq is not None
        self._max_seq = int(seq[-1]) if self._max_seq is None else max(self._max_seq, int(seq[-1]))
        n_out = seq.size if final else int(np.searchsorted(seq, self._max_seq - self.reorder_frames, side="right"))
        if n_out < seq.size:
            self._pending = [held.take(np.arange(n_out, seq.size))]
        return held.take(np.arange(n_out)) if n_out else None

    def _release_timed(self, held: _Lines, final: bool) -> _Lines | None:
        t = held.time_ms
        if self._period_ms is None:
            if t.size < self.period_lines and not final:
                self._pending = [held]
                return None
            dt = np.diff(t)
            pos = dt[dt > 0]
            self._period_ms = float(np.median(pos)) if pos.size else 1.0
        prev_t = self._last_released_t if self._prev_seq is not None else t[0]
        dt = np.diff(np.r_[prev_t, t])
        steps = np.maximum(1, np.rint(dt / self._period_ms)).astype(np.int64)
        if self._prev_seq is None:
            steps[0] = 0
            base = 0
        else:
            base = self._prev_seq
        held.seq = base + np.cumsum(steps)
        self._prev_seq = int(held.seq[-1])
        self._last_released_t = float(t[-1])
        return held

    def _to_batch(self, lines: _Lines | None, counts: dict[str, int]) -> FrameBatch:
        n = self.dialect.n_channels or self.n_channels or 0
        if lines is None or lines.time_ms.size == 0:
            return _empty_batch(n, counts)
        feet = [f for f in ("left", "right") if f in lines.values]
        foot_parts, line_parts, codes = [], [], []
        for f in feet:
            idx = np.flatnonzero(lines.present[f])
            line_parts.append(idx)
            codes.append(np.full(idx.size, int(Foot.parse(f)), np.uint8))
            foot_parts.append(lines.values[f][idx])
        line_idx = np.concatenate(line_parts)
        foot = np.concatenate(codes)
        order = np.lexsort((foot, line_idx))  # by line, left before right
        line_idx, foot = line_idx[order], foot[order]
        values = np.concatenate(foot_parts)[order].astype(np.uint16)
        assert lines.seq is not None
        seq = (lines.seq[line_idx] & _U32).astype(np.uint32)
        t_us = (np.rint(lines.time_ms[line_idx] * 1e3).astype(np.int64) & _U32).astype(np.uint32)
        return FrameBatch(foot, seq, t_us, values, values.shape[1], None, **counts)


def _empty_batch(n: int, counts: dict[str, int]) -> FrameBatch:
    e = FrameBatch.empty(n)
    return FrameBatch(e.foot, e.seq, e.t_device_us, e.values, n, None, **counts)


class AutoStream:
    """Detects protocol v1 or a DIY CSV dialect from the first bytes, then decodes with it.

    v1 is chosen at the first CRC-valid frame; a CSV dialect once a few
    complete lines identify it (:mod:`insole.io.formats.csv_dialects`; a
    headerless ``csv-lr`` stream cannot be told from ``csv-time``: name it).

    Raises
    ------
    AcquisitionError
        From :meth:`feed`, when :data:`AUTO_LIMIT_BYTES` pass without a decision.
    """

    counts_backwards = False

    def __init__(self, n_channels: int | None = None, *, backend: str | None = None) -> None:
        self.n_channels = n_channels
        self.backend = backend
        self._buf = bytearray()
        self.inner: V1Stream | CsvStream | None = None
        self.last_device_us: dict[int, int] = {}
        self.extra: dict[str, int] = {}
        self.comments: dict[str, str] = {}

    @property
    def name(self) -> str:
        """The detected format (``"auto"`` before the decision)."""
        return self.inner.name if self.inner is not None else "auto"

    def _decide(self, final: bool) -> None:
        from insole.io.formats.csv_dialects import _identify_dialect

        buf = bytes(self._buf)
        probe = V1Decoder(backend=self.backend)
        probe.feed(buf)
        if probe.totals["frames_ok"]:
            self.inner = V1Stream(backend=self.backend)
        else:
            head = _clean_csv_head(buf, 1 if final else 6)
            if head is not None:
                name = _identify_dialect(head)
                if name in STREAM_FORMATS:
                    self.inner = CsvStream(name, self.n_channels)
        if self.inner is None and (final or len(buf) > AUTO_LIMIT_BYTES):
            raise AcquisitionError(
                f"cannot tell the stream's format from its first {len(buf)} bytes; "
                f"give --format ({', '.join(STREAM_FORMATS)})"
            )

    def _adopt(self) -> None:
        assert self.inner is not None
        self.counts_backwards = self.inner.counts_backwards
        self.extra = self.inner.extra

    def feed(self, data: bytes) -> FrameBatch:
        """Decode (once the format is known) or keep the bytes."""
        if self.inner is None:
            self._buf += data
            self._decide(final=False)
            if self.inner is None:
                return _empty_batch(self.n_channels or 0, dict.fromkeys(COUNTERS, 0))
            self._adopt()
            data, self._buf = bytes(self._buf), bytearray()
        batch = self.inner.feed(data)
        self.last_device_us = self.inner.last_device_us
        self.comments = self.inner.comments
        return batch

    def flush(self) -> FrameBatch:
        """End of stream."""
        if self.inner is None:
            if not self._buf:
                return _empty_batch(self.n_channels or 0, dict.fromkeys(COUNTERS, 0))
            self._decide(final=True)
            self._adopt()
            self.inner.feed(bytes(self._buf))  # type: ignore[union-attr]
        batch = self.inner.flush()  # type: ignore[union-attr]
        self.last_device_us = self.inner.last_device_us  # type: ignore[union-attr]
        return batch


def _clean_csv_head(buf: bytes, n_data: int = 6) -> bytes | None:
    """The start of a CSV stream without its damaged lines, for identification (None: too little yet).

    Keeps ``#`` lines, the last line that looks like a header and the first
    ``n_data`` numeric lines with the most common number of fields.
    """
    if b"\n" not in buf:
        return None
    text = buf.rsplit(b"\n", 1)[0].decode("latin-1")
    comments, headers, data = [], [], []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            comments.append(line)
        elif line[0].isdigit() or line[0] in "-+.":
            data.append(line)
        elif "," in line:
            headers.append(line)
    if len(data) < n_data:
        return None
    counts = [ln.count(",") for ln in data]
    mode = max(set(counts), key=counts.count)
    good = [ln for ln, c in zip(data, counts) if c == mode]
    if headers and headers[-1].count(",") != mode:
        headers = []
    return "\n".join([*comments, *headers[-1:], *good[:n_data], ""]).encode("latin-1")


def make_decoder(fmt: str, n_channels: int | None = None, *, backend: str | None = None) -> V1Stream | CsvStream | AutoStream:
    """The stream decoder of a format name: ``v1``, a CSV dialect or ``auto``.

    Raises
    ------
    AcquisitionError
        For an unknown name (the message lists the known ones).
    """
    if fmt == "v1":
        return V1Stream(backend=backend)
    if fmt == "auto":
        return AutoStream(n_channels, backend=backend)
    if fmt in STREAM_FORMATS:
        return CsvStream(fmt, n_channels)
    raise AcquisitionError(f"unknown stream format {fmt!r}; use auto, {', '.join(STREAM_FORMATS)}")


# =============================================================================== reader thread
@dataclass
class Chunk:
    """What one read of a port gave: decoded frames, the receive time and the newest device times.

    Attributes
    ----------
    port : int
        Index of the port.
    t_recv_s : float
        ``time.monotonic()`` right after the read returned.
    batch : FrameBatch
        Frames and link counters.
    last_device_us : dict of int to int
        Raw device time of the newest frame of each foot code in this read
        (arrival order), for the clock fit.
    n_bytes : int
        Bytes read.
    """

    port: int
    t_recv_s: float
    batch: FrameBatch
    last_device_us: dict[int, int]
    n_bytes: int


@dataclass
class PortEnd:
    """A port stopped: ``reason`` is ``"stopped"`` (we asked), ``"closed"`` (unplugged, EOF) or ``"error"``."""

    port: int
    reason: str
    message: str = ""
    extra: dict[str, int] = field(default_factory=dict)


class PortReader(threading.Thread):
    """Reads one port in a thread, decodes, and queues :class:`Chunk` and finally :class:`PortEnd` items.

    Parameters
    ----------
    index : int
        Port index put on every item.
    url : str
        For messages.
    port : serial.SerialBase
        An open port (:func:`insole.acquisition.ports.open_port`).
    decoder : V1Stream, CsvStream or AutoStream
        Stream decoder.
    out : queue.Queue
        Where items go (a bounded queue applies back-pressure to the port).
    chunk_bytes : int
        Largest read.
    min_interval_s : float
        Reads are at least this far apart (0: read as soon as bytes arrive).
        Bytes accumulate in the OS buffer meanwhile -- but a pseudo-terminal
        holds only 4 KB, so a pause throttles a fast sender.
    """

    def __init__(self, index: int, url: str, port: Any, decoder: Any, out: queue.Queue, *,
                 chunk_bytes: int = 1 << 18, min_interval_s: float = 0.0) -> None:
        super().__init__(name=f"insole-reader-{index}", daemon=True)
        self.index = index
        self.url = url
        self.port = port
        self.decoder = decoder
        self.out = out
        self.chunk_bytes = int(chunk_bytes)
        self.min_interval_s = float(min_interval_s)
        self.bytes_read = 0
        self._stop_event = threading.Event()

    def stop(self) -> None:
        """Ask the thread to stop; it resolves the decoder's tail and queues a :class:`PortEnd`."""
        self._stop_event.set()
        with contextlib.suppress(Exception):
            self.port.cancel_read()

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop_event.is_set()

    def _put(self, item: object) -> None:
        self.out.put(item)  # blocks while the queue is full: back-pressure onto the port

    def run(self) -> None:
        """Read, decode, queue; end with a :class:`PortEnd`."""
        import serial

        reason, message = "stopped", ""
        last_read = 0.0
        try:
            while not self._stop_event.is_set():
                wait = self.min_interval_s - (time.monotonic() - last_read)
                if wait > 0:
                    time.sleep(wait)
                data = _read(self.port, self.chunk_bytes)
                last_read = time.monotonic()
                if not data:
                    continue
                self.bytes_read += len(data)
                batch = self.decoder.feed(data)
                self._put(Chunk(self.index, last_read, batch, dict(self.decoder.last_device_us), len(data)))
        except (serial.SerialException, OSError) as exc:
            if not self._stop_event.is_set():
                reason, message = "closed", _short(exc)
        except AcquisitionError as exc:
            reason, message = "error", str(exc)
        except Exception as exc:  # a bug in a decoder: end this port with a one-line message
            reason, message = "error", f"internal error reading {self.url}: {type(exc).__name__}: {exc}"
        try:
            tail = self.decoder.flush()
            if len(tail) or any(tail.counters.values()):
                self._put(Chunk(self.index, time.monotonic(), tail, dict(self.decoder.last_device_us), 0))
        except AcquisitionError as exc:
            if reason != "error":
                reason, message = "error", str(exc)
        self._put(PortEnd(self.index, reason, message, dict(getattr(self.decoder, "extra", {}))))


def _read(port: Any, max_bytes: int) -> bytes:
    from insole.acquisition.ports import read_available

    return read_available(port, max_bytes)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


__all__ = [
    "AUTO_LIMIT_BYTES",
    "STREAM_FORMATS",
    "AutoStream",
    "Chunk",
    "CsvStream",
    "PortEnd",
    "PortReader",
    "V1Stream",
    "make_decoder",
]

"""Append-only, chunked HDF5 writer for recordings, with optional SWMR mode.

The writer creates every dataset up front (SWMR forbids creating objects once
it is on), buffers frames in memory and flushes them by frame count or time.
A file written in SWMR mode survives a crash of the writer: every frame up to
the last flush can be read back (see :mod:`insole.store.reader`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from insole._version import __version__
from insole.calibration import Calibration
from insole.exceptions import InsoleError
from insole.recording import Metadata
from insole.store import schema

#: Target size of one HDF5 chunk of sensor values, in bytes.
CHUNK_BYTES = 512 * 1024


@dataclass(frozen=True)
class FootSpec:
    """What the writer needs to know about one foot before the first frame.

    Parameters
    ----------
    layout : SensorLayout
        Sensor layout (embedded in the file).
    dtype : numpy dtype
        dtype of the raw values as the device sends them.
    unit : str
        Unit of the raw values (``"count"``, ``"kPa"``, ``"N/cm2"``, ``"N"``).
    calibration : Calibration, optional
        Stored so the reader can compute physical values.
    imu_columns : tuple of str
        Names of IMU channels (empty: no IMU dataset).
    """

    layout: Any
    dtype: Any = np.float32
    unit: str = "kPa"
    calibration: Calibration | None = None
    imu_columns: tuple[str, ...] = ()


def _chunk_rows(n_cols: int, itemsize: int) -> int:
    return int(np.clip(CHUNK_BYTES // max(1, n_cols * itemsize), 64, 16384))


def _compression_kwargs(compression: str | None) -> dict[str, Any]:
    if compression in (None, "none"):
        return {}
    if compression == "gzip":
        return {"compression": "gzip", "compression_opts": 1, "shuffle": True}
    if compression == "lzf":
        return {"compression": "lzf", "shuffle": True}
    raise ValueError(f"compression must be 'gzip', 'lzf' or 'none', not {compression!r}")


def write_tree(group: h5py.Group, tree: dict[str, Any]) -> None:
    """Store a nested dict: arrays as datasets, scalars and strings as attributes."""
    for key, value in tree.items():
        key = str(key)
        if isinstance(value, dict):
            write_tree(group.require_group(key), value)
        elif isinstance(value, np.ndarray) and value.ndim > 0:
            if value.dtype.kind == "U":
                value = np.char.encode(value, "utf-8")
            if key in group:
                del group[key]
            group.create_dataset(key, data=value, **(_compression_kwargs("gzip") if value.size > 4096 else {}))
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
            group.attrs[key] = np.array([v.encode() for v in value])
        elif isinstance(value, (list, tuple)):
            if key in group:
                del group[key]
            group.create_dataset(key, data=np.asarray(value))
        elif value is None:
            continue
        else:
            group.attrs[key] = value


def _raise_disk_error(exc: OSError, path: Path) -> None:
    if getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "No space" in str(exc):
        raise InsoleError(f"disk full while writing {path}; free space and try again") from None
    raise InsoleError(f"cannot write {path}: {exc}") from None


class RecordingWriter:
    """Write a recording frame block by frame block.

    Parameters
    ----------
    path : str or Path
        Output file.
    feet : dict
        ``{"left": FootSpec, "right": FootSpec}`` (one or both).
    metadata : Metadata
        Session metadata.
    swmr : bool
        Single-writer/multiple-reader mode: readers can follow the file while
        it grows, and a crash leaves every flushed frame readable.
    flush_frames : int
        Flush when this many frames are buffered for any foot.
    flush_interval_s : float
        Flush at least this often while frames arrive.
    compression : {"gzip", "lzf", "none"}
        Compression of the raw values.
    overwrite : bool
        Replace an existing file.
    atomic : bool
        Write to ``<path>.partial`` and rename on a clean close; on error the
        partial file is removed, so no half-written recording is left.  Not
        combinable with ``swmr`` (a crash-safe recording must stay where it is).

    Examples
    --------
    >>> with RecordingWriter("walk.h5", {"left": FootSpec(layout)}, Metadata()) as w:  # doctest: +SKIP
    ...     w.append("left", block, t_device_us=t_us)
    """

    def __init__(
        self,
        path: str | os.PathLike,
        feet: dict[str, FootSpec],
        metadata: Metadata | None = None,
        *,
        swmr: bool = False,
        flush_frames: int = 4096,
        flush_interval_s: float = 0.5,
        compression: str | None = "gzip",
        overwrite: bool = False,
        atomic: bool = False,
    ) -> None:
        if atomic and swmr:
            raise ValueError("atomic and swmr cannot be combined")
        if not feet:
            raise ValueError("a recording needs at least one foot")
        self.path = Path(path)
        if self.path.exists() and not overwrite:
            raise InsoleError(f"{self.path} exists; choose another name or pass --overwrite")
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if not parent.is_dir():
            raise InsoleError(f"cannot write {self.path}: folder {parent} does not exist")
        if not os.access(parent, os.W_OK):
            raise InsoleError(f"cannot write {self.path}: folder {parent} is not writable")
        self.swmr = swmr
        self.atomic = atomic
        self.flush_frames = int(flush_frames)
        self.flush_interval_s = float(flush_interval_s)
        self._target = self.path
        self._file_path = self.path.with_name(self.path.name + ".partial") if atomic else self.path
        self.feet = dict(feet)
        self._buffers: dict[str, list[dict[str, np.ndarray]]] = {foot: [] for foot in feet}
        self._buffered = dict.fromkeys(feet, 0)
        self._written = dict.fromkeys(feet, 0)
        self._gaps: dict[str, list[tuple]] = {foot: [] for foot in feet}
        self._markers: list[tuple[float, str]] = []
        self._last_flush = time.monotonic()
        self.closed = False
        try:
            self._h5 = h5py.File(self._file_path, "w", libver="latest" if swmr else "earliest")
            self._create(metadata or Metadata(), compression)
            if swmr:
                self._h5.swmr_mode = True
        except OSError as exc:
            self._discard()
            _raise_disk_error(exc, self.path)

    # ------------------------------------------------------------------ setup
    def _create(self, metadata: Metadata, compression: str | None) -> None:
        f = self._h5
        f.attrs[schema.ATTR_FORMAT] = schema.FORMAT_NAME
        f.attrs[schema.ATTR_SCHEMA] = schema.format_version(schema.SCHEMA_VERSION)
        f.attrs[schema.ATTR_WRITER] = __version__
        f.attrs[schema.ATTR_CREATED] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        meta = f.create_group(schema.METADATA)
        for key, value in metadata.to_attrs().items():
            meta.attrs[key] = value
        comp = _compression_kwargs(compression)
        for foot, spec in self.feet.items():
            if foot not in schema.FEET:
                raise ValueError(f"foot must be 'left' or 'right', not {foot!r}")
            n = spec.layout.n_sensors
            dtype = np.dtype(spec.dtype)
            raw = f.create_group(f"{schema.RAW}/{foot}")
            rows = _chunk_rows(n, dtype.itemsize)
            ds = raw.create_dataset(schema.VALUES, shape=(0, n), maxshape=(None, n), dtype=dtype, chunks=(rows, n), **comp)
            ds.attrs["unit"] = spec.unit
            for name, dt in ((schema.T_DEVICE_US, "<i8"), (schema.T_HOST_S, "<f8"), (schema.SEQ, "<u4")):
                raw.create_dataset(name, shape=(0,), maxshape=(None,), dtype=dt, chunks=(8192,), **comp)
            if spec.imu_columns:
                k = len(spec.imu_columns)
                imu = raw.create_dataset(schema.IMU, shape=(0, k), maxshape=(None, k), dtype="<f4", chunks=(4096, k), **comp)
                imu.attrs["columns"] = np.array([c.encode() for c in spec.imu_columns])
            lay = f.require_group(schema.LAYOUT).create_dataset(foot, data=np.bytes_(spec.layout.to_json().encode()))
            lay.attrs["name"] = spec.layout.name
            if spec.calibration is not None:
                cal = f.require_group(schema.CALIBRATION).create_dataset(
                    foot, data=np.bytes_(spec.calibration.to_json().encode())
                )
                cal.attrs["unit"] = spec.calibration.unit
            gaps = f.require_group(schema.GAPS)
            gaps.create_dataset(foot, shape=(0,), maxshape=(None,), dtype=schema.GAP_DTYPE, chunks=(256,))
            gaps.create_dataset(f"{foot}_link", data=np.zeros(len(schema.LINK_COUNTERS)))
            gaps[f"{foot}_link"].attrs["fields"] = np.array([c.encode() for c in schema.LINK_COUNTERS])
            sync = f.require_group(schema.SYNC).create_dataset(foot, data=np.full(len(schema.SYNC_FIELDS), np.nan))
            sync.attrs["fields"] = np.array([c.encode() for c in schema.SYNC_FIELDS])
        f.create_dataset(schema.MARKERS, shape=(0,), maxshape=(None,), dtype=schema.MARKER_DTYPE, chunks=(64,))

    # ------------------------------------------------------------------ data
    def append(
        self,
        foot: str,
        values: np.ndarray,
        *,
        t_device_us: np.ndarray,
        t_host_s: np.ndarray | None = None,
        seq: np.ndarray | None = None,
        imu: np.ndarray | None = None,
    ) -> None:
        """Buffer a block of frames of one foot; flushes when due.

        ``t_host_s`` defaults to the device time in seconds; ``seq`` to a
        running frame count.
        """
        if foot not in self.feet:
            raise ValueError(f"this recording has no {foot} foot")
        spec = self.feet[foot]
        values = np.asarray(values, dtype=spec.dtype)
        if values.ndim == 1:
            values = values[None, :]
        n = values.shape[0]
        if values.shape[1] != spec.layout.n_sensors:
            raise ValueError(f"{foot}: expected {spec.layout.n_sensors} sensor values per frame, got {values.shape[1]}")
        t_dev = np.asarray(t_device_us, dtype=np.int64).reshape(-1)
        t_host = t_dev * 1e-6 if t_host_s is None else np.asarray(t_host_s, dtype=np.float64).reshape(-1)
        if seq is None:
            start = self._written[foot] + self._buffered[foot]
            seq = np.arange(start, start + n, dtype=np.uint64) & 0xFFFFFFFF
        block = {"values": values, "t_dev": t_dev, "t_host": t_host, "seq": np.asarray(seq, dtype=np.uint32).reshape(-1)}
        if spec.imu_columns:
            if imu is None:
                imu = np.full((n, len(spec.imu_columns)), np.nan, dtype=np.float32)
            block["imu"] = np.asarray(imu, dtype=np.float32).reshape(n, len(spec.imu_columns))
        for key in ("t_dev", "t_host", "seq"):
            if block[key].shape != (n,):
                raise ValueError(f"{key} must have one entry per frame")
        self._buffers[foot].append(block)
        self._buffered[foot] += n
        if max(self._buffered.values()) >= self.flush_frames or (
            time.monotonic() - self._last_flush >= self.flush_interval_s
        ):
            self.flush()

    def add_gap(self, foot: str, index: int, n_missing: int, t_host_s: float, first_seq: int = -1) -> None:
        """Record ``n_missing`` lost frames after frame ``index`` of ``foot``."""
        self._gaps[foot].append((int(index), int(n_missing), float(t_host_s), int(first_seq)))

    def add_marker(self, time_s: float, label: str) -> None:
        """Drop a time marker (e.g. start of a trial) into the recording."""
        self._markers.append((float(time_s), str(label)[:64]))

    def set_link_stats(self, foot: str, **counters: float) -> None:
        """Overwrite link counters of ``foot`` (names from ``schema.LINK_COUNTERS``)."""
        ds = self._h5[f"{schema.GAPS}/{foot}_link"]
        vec = ds[...]
        for name, value in counters.items():
            vec[schema.LINK_COUNTERS.index(name)] = float(value)
        ds[...] = vec

    def set_sync(self, foot: str, **fields: float) -> None:
        """Overwrite the clock fit of ``foot`` (names from ``schema.SYNC_FIELDS``)."""
        ds = self._h5[f"{schema.SYNC}/{foot}"]
        vec = ds[...]
        for name, value in fields.items():
            vec[schema.SYNC_FIELDS.index(name)] = float(value)
        ds[...] = vec

    def frames_written(self, foot: str) -> int:
        """Frames of ``foot`` written or buffered so far."""
        return self._written[foot] + self._buffered[foot]

    def flush(self) -> None:
        """Write buffered frames, gaps and markers, and flush the file to disk."""
        try:
            self._flush()
        except OSError as exc:
            _raise_disk_error(exc, self.path)

    def _flush(self) -> None:
        f = self._h5
        for foot, blocks in self._buffers.items():
            if not blocks:
                continue
            raw = f[f"{schema.RAW}/{foot}"]
            cat = {key: np.concatenate([b[key] for b in blocks]) for key in blocks[0]}
            n0 = self._written[foot]
            n1 = n0 + cat["values"].shape[0]
            for name, key in ((schema.VALUES, "values"), (schema.T_DEVICE_US, "t_dev"), (schema.T_HOST_S, "t_host"), (schema.SEQ, "seq"), (schema.IMU, "imu")):
                if key not in cat:
                    continue
                ds = raw[name]
                ds.resize(n1, axis=0)
                ds[n0:n1] = cat[key]
            self._written[foot] = n1
            self._buffers[foot] = []
            self._buffered[foot] = 0
        for foot, gaps in self._gaps.items():
            if gaps:
                ds = f[f"{schema.GAPS}/{foot}"]
                n0 = ds.shape[0]
                ds.resize(n0 + len(gaps), axis=0)
                ds[n0:] = np.array(gaps, dtype=schema.GAP_DTYPE)
                self._gaps[foot] = []
        if self._markers:
            ds = f[schema.MARKERS]
            n0 = ds.shape[0]
            ds.resize(n0 + len(self._markers), axis=0)
            ds[n0:] = np.array([(t, lab.encode()) for t, lab in self._markers], dtype=schema.MARKER_DTYPE)
            self._markers = []
        f.flush()
        self._last_flush = time.monotonic()

    def write_tree(self, path: str, tree: dict[str, Any]) -> None:
        """Store a tree under ``path`` (e.g. ``"truth"``); not allowed in SWMR mode."""
        if self.swmr:
            raise RuntimeError("trees cannot be added in SWMR mode; add them after closing")
        write_tree(self._h5.require_group(path), tree)

    # ------------------------------------------------------------------ close
    def close(self) -> None:
        """Flush what is left and close; an atomic file is moved into place."""
        if self.closed:
            return
        try:
            self._flush()
            self._h5.close()
        except OSError as exc:
            self.closed = True
            with contextlib.suppress(Exception):
                self._h5.close()
            if self.atomic:
                self._discard()
            _raise_disk_error(exc, self.path)
        self.closed = True
        if self.atomic:
            os.replace(self._file_path, self._target)

    def abort(self) -> None:
        """Close without keeping anything of an atomic file (used on errors)."""
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):
                self._h5.close()
        if self.atomic:
            self._discard()

    def _discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._file_path.unlink()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None and self.atomic:
            self.abort()
        else:
            self.close()


def write_recording(rec, path: str | os.PathLike, *, overwrite: bool = False, compression: str | None = "gzip") -> None:
    """Write an in-memory :class:`~insole.recording.Recording` atomically.

    The file appears only once complete: an error (bad data, a full disk)
    leaves no file behind.
    """
    specs = {
        foot: FootSpec(fd.layout, fd.values.dtype, fd.unit, fd.calibration, tuple(fd.imu_columns) if fd.imu is not None else ())
        for foot, fd in rec.feet.items()
    }
    writer = RecordingWriter(path, specs, rec.metadata, compression=compression, overwrite=overwrite, atomic=True, flush_frames=1 << 62)
    try:
        for foot, fd in rec.feet.items():
            if fd.n_frames:
                writer.append(foot, fd.values, t_device_us=fd.t_device_us, t_host_s=fd.t_host_s, seq=fd.seq, imu=fd.imu)
            for g in fd.gaps:
                writer.add_gap(foot, int(g["index"]), int(g["n_missing"]), float(g["t_host_s"]), int(g["first_seq"]))
            if fd.link:
                writer.set_link_stats(foot, **fd.link)
            if fd.sync:
                writer.set_sync(foot, **fd.sync)
        for t, label in rec.markers:
            writer.add_marker(t, label)
        for group, tree in ((schema.TRUTH, rec.truth), (schema.REFERENCE, rec.reference), (schema.DERIVED, rec.derived)):
            if tree:
                writer.write_tree(group, tree)
        writer.close()
    except BaseException:
        writer.abort()
        raise

"""Lazy, chunked reader of recording files.

:func:`open_recording` validates the file (an HDF5 file, ours, of a schema
major version we know) and gives :class:`RecordingFile`, whose feet expose
their raw datasets without loading them, iterate over them in blocks
(:meth:`FootReader.iter_blocks`), or load everything into a
:class:`~insole.recording.Recording`.  A recording whose writer crashed
(SWMR consistency flags still set) opens transparently for reading.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from insole.calibration import Calibration
from insole.exceptions import RecordingFileError, SchemaVersionError
from insole.recording import FootData, Metadata, Recording
from insole.store import schema
from insole.store._repair import HDF5_SIGNATURE


def _decode(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray) and value.dtype.kind == "S":
        return [v.decode("utf-8", "replace") for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def read_tree(group: h5py.Group) -> dict[str, Any]:
    """Load a group written by :func:`insole.store.writer.write_tree` into a nested dict."""
    out: dict[str, Any] = {key: _decode(val) for key, val in group.attrs.items()}
    for key, item in group.items():
        if isinstance(item, h5py.Group):
            out[key] = read_tree(item)
        else:
            data = item[()]
            if isinstance(data, np.ndarray) and data.dtype.kind == "S":
                data = np.char.decode(data, "utf-8")
            out[key] = data
    return out


class FootReader:
    """Lazy access to one foot of a recording file."""

    def __init__(self, h5: h5py.File, foot: str, path: Path) -> None:
        from insole.layout import SensorLayout

        self.name = foot
        self._h5 = h5
        try:
            raw = h5[f"{schema.RAW}/{foot}"]
            self.raw: h5py.Dataset = raw[schema.VALUES]
            self.t_device_us_ds: h5py.Dataset = raw[schema.T_DEVICE_US]
            self.t_host_s_ds: h5py.Dataset = raw[schema.T_HOST_S]
            self.seq_ds: h5py.Dataset = raw[schema.SEQ]
            self.imu_ds: h5py.Dataset | None = raw.get(schema.IMU)
            layout_json = h5[f"{schema.LAYOUT}/{foot}"][()]
        except KeyError as exc:
            raise RecordingFileError(
                f"{path} is incomplete: the {foot} foot lacks {exc.args[0] if exc.args else 'a dataset'}; "
                "re-import or re-record it"
            ) from None
        self.layout = SensorLayout.from_json(_decode(layout_json))
        if foot == "right" and self.layout.side != "right":
            self.layout = self.layout.mirrored()
        self.unit: str = _decode(self.raw.attrs.get("unit", "kPa"))
        cal = h5.get(f"{schema.CALIBRATION}/{foot}")
        self.calibration: Calibration | None = Calibration.from_json(_decode(cal[()])) if cal is not None else None
        self.imu_columns: tuple[str, ...] = (
            tuple(_decode(self.imu_ds.attrs.get("columns", np.array([])))) if self.imu_ds is not None else ()
        )

    # ---------------------------------------------------------------- sizes
    @property
    def n_frames(self) -> int:
        """Frames stored (consistent across the per-frame datasets)."""
        return int(min(self.raw.shape[0], self.t_host_s_ds.shape[0], self.seq_ds.shape[0], self.t_device_us_ds.shape[0]))

    @property
    def n_sensors(self) -> int:
        """Number of sensors."""
        return int(self.raw.shape[1])

    @property
    def block_frames(self) -> int:
        """A good block size for iteration: a whole number of HDF5 chunks, ~8 MB."""
        chunk = self.raw.chunks[0] if self.raw.chunks else 4096
        per_frame = max(1, self.n_sensors * self.raw.dtype.itemsize)
        return int(max(1, (8 << 20) // (per_frame * chunk)) * chunk)

    # ---------------------------------------------------------------- data
    def effective_calibration(self) -> Calibration:
        """The stored calibration, or the fixed conversion from the raw unit."""
        if self.calibration is not None:
            return self.calibration
        physical = "kPa" if self.layout.kind == "pressure_kpa" else "N"
        return Calibration.for_raw_unit(self.n_sensors, self.unit, physical)

    def iter_blocks(self, block_frames: int | None = None, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(first_frame_index, raw_block)`` over ``[start, stop)`` in bounded memory."""
        stop = self.n_frames if stop is None else min(stop, self.n_frames)
        step = int(block_frames or self.block_frames)
        fast = _DeflateRows.for_dataset(self.raw)
        try:
            for i0 in range(start, stop, step):
                i1 = min(stop, i0 + step)
                yield i0, (fast.read(i0, i1) if fast is not None else self.raw[i0:i1])
        finally:
            if fast is not None:
                fast.pool.shutdown(wait=False, cancel_futures=True)

    def t_host_s(self) -> np.ndarray:
        """Host time of every frame (float64, s)."""
        return self.t_host_s_ds[: self.n_frames]

    def t_device_us(self) -> np.ndarray:
        """Device time of every frame (int64, us)."""
        return self.t_device_us_ds[: self.n_frames]

    def seq(self) -> np.ndarray:
        """Sequence number of every frame (uint32)."""
        return self.seq_ds[: self.n_frames]

    @property
    def gaps(self) -> np.ndarray:
        """Lost-frame records (structured array, :data:`schema.GAP_DTYPE`)."""
        ds = self._h5.get(f"{schema.GAPS}/{self.name}")
        return ds[()] if ds is not None else np.zeros(0, dtype=schema.GAP_DTYPE)

    @property
    def link(self) -> dict[str, float]:
        """Link counters (frames received, lost, CRC errors, ...)."""
        ds = self._h5.get(f"{schema.GAPS}/{self.name}_link")
        if ds is None:
            return {}
        names = _decode(ds.attrs.get("fields", np.array([c.encode() for c in schema.LINK_COUNTERS])))
        return {n: float(v) for n, v in zip(names, ds[()])}

    @property
    def sync(self) -> dict[str, float] | None:
        """Device-to-host clock fit, or None when none was made."""
        ds = self._h5.get(f"{schema.SYNC}/{self.name}")
        if ds is None:
            return None
        names = _decode(ds.attrs.get("fields", np.array([c.encode() for c in schema.SYNC_FIELDS])))
        vals = dict(zip(names, (float(v) for v in ds[()])))
        return None if all(np.isnan(v) for v in vals.values()) else vals

    def load(self) -> FootData:
        """All frames of this foot in memory."""
        n = self.n_frames
        return FootData(
            values=self.raw[:n],
            unit=self.unit,
            t_device_us=self.t_device_us_ds[:n],
            t_host_s=self.t_host_s_ds[:n],
            seq=self.seq_ds[:n],
            layout=self.layout,
            calibration=self.calibration,
            imu=self.imu_ds[:n] if self.imu_ds is not None else None,
            imu_columns=self.imu_columns,
            gaps=self.gaps,
            link=self.link,
            sync=self.sync,
        )


class RecordingFile:
    """An open recording file (use :func:`open_recording`).

    Attributes
    ----------
    path : Path
    schema_version : tuple of int
    metadata : Metadata
    feet : tuple of str
        The feet present, ``"left"`` before ``"right"``.
    recovered : bool
        True when the writer crashed and the file was opened through SWMR.
    """

    def __init__(self, path: str | os.PathLike, mode: str = "r") -> None:
        self.path = Path(path)
        self.recovered = False
        self._h5 = _open_h5(self.path, mode)
        try:
            self._validate()
            self.metadata = Metadata.from_attrs(dict(self._h5[schema.METADATA].attrs)) if schema.METADATA in self._h5 else Metadata()
            raw = self._h5.get(schema.RAW)
            self.feet: tuple[str, ...] = tuple(f for f in schema.FEET if raw is not None and f in raw)
            if not self.feet:
                raise RecordingFileError(f"{self.path} holds no foot data; re-import or re-record it")
            self._feet = {foot: FootReader(self._h5, foot, self.path) for foot in self.feet}
        except Exception:
            self._h5.close()
            raise

    def _validate(self) -> None:
        attrs = self._h5.attrs
        if _decode(attrs.get(schema.ATTR_FORMAT)) != schema.FORMAT_NAME:
            raise RecordingFileError(
                f"{self.path} is an HDF5 file but not an insole recording; convert data with 'insole import'"
            )
        text = _decode(attrs.get(schema.ATTR_SCHEMA, ""))
        try:
            version = schema.parse_version(text)
        except ValueError:
            raise RecordingFileError(f"{self.path} has an unreadable schema version {text!r}") from None
        if version[0] > schema.SCHEMA_VERSION[0]:
            raise SchemaVersionError(
                f"{self.path} uses recording schema {text}, newer than this insole reads "
                f"({schema.format_version(schema.SCHEMA_VERSION)}); upgrade insole"
            )
        self.schema_version = version

    def foot(self, name: str) -> FootReader:
        """The reader of one foot; raises a one-line error when it is absent."""
        try:
            return self._feet[name]
        except KeyError:
            raise RecordingFileError(f"{self.path} has no {name} foot (it has: {', '.join(self.feet)})") from None

    @property
    def sampling_rate_hz(self) -> float | None:
        """Nominal sampling rate from the metadata."""
        return self.metadata.sampling_rate_hz

    @property
    def markers(self) -> list[tuple[float, str]]:
        """Time markers as (time_s, label)."""
        ds = self._h5.get(schema.MARKERS)
        if ds is None:
            return []
        return [(float(t), _decode(lab)) for t, lab in ds[()]]

    def tree(self, group: str) -> dict[str, Any]:
        """A stored tree (``"truth"``, ``"reference/moticon"``, ``"derived/analyze"``), or {}."""
        g = self._h5.get(group)
        return read_tree(g) if isinstance(g, h5py.Group) else {}

    @property
    def truth(self) -> dict[str, Any]:
        """Simulated ground truth, or {}."""
        return self.tree(schema.TRUTH)

    def load(self) -> Recording:
        """The whole recording in memory."""
        return Recording(
            feet={foot: self._feet[foot].load() for foot in self.feet},
            metadata=self.metadata,
            markers=self.markers,
            truth=self.truth,
            reference=self.tree(schema.REFERENCE),
            derived=self.tree(schema.DERIVED),
        )

    @property
    def h5(self) -> h5py.File:
        """The underlying h5py file (for advanced use)."""
        return self._h5

    def close(self) -> None:
        """Close the file."""
        self._h5.close()

    def __enter__(self) -> RecordingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _DeflateRows:
    """Rows of a (shuffle +) deflate dataset, its chunks inflated on several threads.

    h5py serialises every HDF5 call, so a plain slice inflates one chunk after
    another on one core; the 500 Hz grid recordings spend most of their analysis
    there.  Here the compressed chunks are read as they are stored
    (``read_direct_chunk``, cheap) and inflated by :func:`zlib.decompress`, which
    releases the GIL, on a small thread pool; the byte shuffle is undone with
    NumPy.  The result is byte for byte what ``dataset[i0:i1]`` gives; any chunk
    this cannot handle (a filter skipped, an unexpected size) is read the plain way.
    """

    def __init__(self, ds: h5py.Dataset, shuffle: bool, threads: int) -> None:
        self.ds = ds
        self.shuffle = shuffle
        self.rows_per_chunk = int(ds.chunks[0])
        self.itemsize = ds.dtype.itemsize
        self.chunk_items = self.rows_per_chunk * int(ds.shape[1])
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(max_workers=threads)

    @classmethod
    def for_dataset(cls, ds: h5py.Dataset) -> _DeflateRows | None:
        """A parallel reader for ``ds``, or None when the plain read is as good (or the only way)."""
        if os.environ.get("INSOLE_PLAIN_READ") or ds.ndim != 2 or ds.chunks is None or ds.chunks[1] != ds.shape[1]:
            return None
        from insole import kernels

        threads = kernels.default_num_threads()
        if threads < 2:
            return None
        names = []
        plist = ds.id.get_create_plist()
        for i in range(plist.get_nfilters()):
            names.append(plist.get_filter(i)[0])
        if names == [h5py.h5z.FILTER_SHUFFLE, h5py.h5z.FILTER_DEFLATE]:
            return cls(ds, True, threads)
        if names == [h5py.h5z.FILTER_DEFLATE]:
            return cls(ds, False, threads)
        return None

    def _inflate(self, raw: bytes) -> np.ndarray | None:
        import zlib

        try:
            data = zlib.decompress(raw)
        except zlib.error:  # a damaged chunk: the plain read reports it as HDF5 does
            return None
        if len(data) != self.chunk_items * self.itemsize:
            return None
        buf = np.frombuffer(data, dtype=np.uint8)
        if self.shuffle and self.itemsize > 1:  # byte k of every item is stored in plane k
            planes = buf.reshape(self.itemsize, self.chunk_items)
            items = np.empty((self.chunk_items, self.itemsize), dtype=np.uint8)
            for k in range(self.itemsize):  # one strided copy per byte plane (a transpose is 4x slower)
                items[:, k] = planes[k]
            buf = items
        return buf.view(self.ds.dtype).reshape(self.rows_per_chunk, -1)

    def read(self, i0: int, i1: int) -> np.ndarray:
        """Rows ``[i0, i1)``, as ``ds[i0:i1]`` would give them."""
        out = np.empty((i1 - i0, self.ds.shape[1]), dtype=self.ds.dtype)
        if i1 <= i0:
            return out
        rpc = self.rows_per_chunk
        jobs = []
        for c0 in range(i0 - i0 % rpc, i1, rpc):
            try:
                mask, raw = self.ds.id.read_direct_chunk((c0, 0))
            except Exception:  # not allocated (fill value) or unreadable: the plain way
                mask, raw = -1, None
            jobs.append((c0, self.pool.submit(self._inflate, raw) if mask == 0 and raw is not None else None))
        for c0, job in jobs:
            a, b = max(i0, c0), min(i1, c0 + rpc)
            block = job.result() if job is not None else None
            if block is None:
                out[a - i0:b - i0] = self.ds[a:b]
            else:
                out[a - i0:b - i0] = block[a - c0:b - c0]
        return out


def _open_h5(path: Path, mode: str) -> h5py.File:
    if not path.exists():
        raise RecordingFileError(f"{path} does not exist")
    if path.is_dir():
        raise RecordingFileError(f"{path} is a folder, not a recording file")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head != HDF5_SIGNATURE:
        raise RecordingFileError(
            f"{path} is not an insole recording (not HDF5); vendor exports are read with 'insole import'"
        )
    try:
        return h5py.File(path, mode)
    except OSError as exc:
        msg = str(exc)
        if "already open for write" in msg and mode == "r":
            try:
                f = h5py.File(path, "r", swmr=True)
            except OSError as exc2:
                raise RecordingFileError(f"{path} is damaged ({_short(exc2)}); try 'insole repair {path}'") from None
            return f
        if "already open for write" in msg:
            raise RecordingFileError(
                f"{path} was not closed by its writer (a crash, or still recording); "
                f"run 'insole repair {path}' once no recorder is writing it"
            ) from None
        if "truncated" in msg.lower():
            raise RecordingFileError(f"{path} is truncated ({_short(exc)}); the copy is incomplete") from None
        raise RecordingFileError(f"{path} cannot be opened ({_short(exc)})") from None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def open_recording(path: str | os.PathLike, mode: str = "r") -> RecordingFile:
    """Open and validate a recording file.

    Parameters
    ----------
    path : str or Path
        An ``.h5`` file written by insole.
    mode : {"r", "r+"}
        Read only, or read/write (for ``/derived`` results).

    Raises
    ------
    RecordingFileError
        Missing, foreign, truncated or damaged file, with a one-line message.
    SchemaVersionError
        The file was written with a newer major schema version.
    """
    f = RecordingFile(path, mode)
    f.recovered = bool(mode == "r" and f.h5.swmr_mode)
    return f


def read_recording(path: str | os.PathLike) -> Recording:
    """Load a recording file into memory."""
    with open_recording(path) as f:
        return f.load()

"""In-memory recordings: what importers and the simulator produce and the store writes.

A :class:`Recording` holds one or both feet (:class:`FootData`), the session
:class:`Metadata`, time markers and the optional ``truth`` (simulated ground
truth), ``reference`` (vendor-computed values) and ``derived`` trees.  Trees
are nested dicts of NumPy arrays (stored as datasets) and scalars or strings
(stored as attributes).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from insole.calibration import Calibration
from insole.store import schema

if TYPE_CHECKING:
    from insole.layout import SensorLayout


@dataclass
class Metadata:
    """Session metadata; every field is optional.

    Parameters
    ----------
    subject_id : str
        Pseudonymous subject id (never a name).
    age_years, sex, body_mass_kg, foot_length_mm, insole_size
        Subject and insole.
    footwear : str
        ``"barefoot"``, ``"shod"`` or a shoe description.
    task : str
        One of ``walk``, ``run``, ``heel-raise``, ``balance``, ``static``.
    speed_m_s : float
        Walking or running speed when known.
    red_flags : dict
        Answers to ``pain``, ``diabetes_or_neuropathy``, ``recent_injury``
        (True, False or missing for unknown).
    device, firmware, sampling_rate_hz, notes, recorded_at, source, group
        Device and provenance.
    """

    subject_id: str | None = None
    age_years: float | None = None
    sex: str | None = None
    body_mass_kg: float | None = None
    foot_length_mm: float | None = None
    insole_size: str | None = None
    footwear: str | None = None
    task: str | None = None
    speed_m_s: float | None = None
    red_flags: dict[str, bool] = field(default_factory=dict)
    device: str | None = None
    firmware: str | None = None
    sampling_rate_hz: float | None = None
    notes: str | None = None
    recorded_at: str | None = None
    source: str | None = None
    group: str | None = None

    def to_attrs(self) -> dict[str, Any]:
        """Flat attribute dict (missing values left out; red flags as ``red_flag_<name>``)."""
        out: dict[str, Any] = {}
        for name, typ in schema.METADATA_FIELDS.items():
            value = getattr(self, name)
            if value is not None:
                out[name] = typ(value)
        for flag, value in self.red_flags.items():
            if flag not in schema.RED_FLAGS:
                raise ValueError(f"unknown red flag {flag!r}; use one of {', '.join(schema.RED_FLAGS)}")
            if value is not None:
                out[f"red_flag_{flag}"] = bool(value)
        return out

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any]) -> Metadata:
        """Inverse of :meth:`to_attrs`; unknown attributes (a newer minor schema) are ignored."""
        kwargs: dict[str, Any] = {}
        for name, typ in schema.METADATA_FIELDS.items():
            if name in attrs:
                value = attrs[name]
                if isinstance(value, bytes):
                    value = value.decode()
                kwargs[name] = typ(value.item() if hasattr(value, "item") else value)
        flags = {
            flag: bool(attrs[f"red_flag_{flag}"]) for flag in schema.RED_FLAGS if f"red_flag_{flag}" in attrs
        }
        return cls(**kwargs, red_flags=flags)

    def replace(self, **changes: Any) -> Metadata:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass
class FootData:
    """The frames of one foot.

    Parameters
    ----------
    values : (n_frames, n_sensors) ndarray
        Values exactly as the device sent them (counts, N/cm^2, kPa, N).
    unit : str
        Unit of ``values`` (``"count"`` for raw ADC counts).
    t_device_us : (n_frames,) int64
        Device timestamps in microseconds, unwrapped.
    t_host_s : (n_frames,) float64
        Host (or file) time in seconds.
    seq : (n_frames,) uint32
        Frame sequence numbers.
    layout : SensorLayout
        Where each sensor sits.
    calibration : Calibration, optional
        How ``values`` become physical units; None when they already are.
    imu : (n_frames, k) ndarray, optional
        IMU channels, named by ``imu_columns``.
    gaps : structured ndarray
        Lost frames (:data:`insole.store.schema.GAP_DTYPE`).
    link : dict
        Link counters (:data:`insole.store.schema.LINK_COUNTERS`).
    sync : dict, optional
        Clock fit (:data:`insole.store.schema.SYNC_FIELDS`).
    """

    values: np.ndarray
    unit: str
    t_device_us: np.ndarray
    t_host_s: np.ndarray
    seq: np.ndarray
    layout: SensorLayout
    calibration: Calibration | None = None
    imu: np.ndarray | None = None
    imu_columns: tuple[str, ...] = ()
    gaps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=schema.GAP_DTYPE))
    link: dict[str, float] = field(default_factory=dict)
    sync: dict[str, float] | None = None

    def __post_init__(self) -> None:
        self.values = np.asarray(self.values)
        n = self.values.shape[0]
        if self.values.ndim != 2:
            raise ValueError("values must be (n_frames, n_sensors)")
        self.t_device_us = np.asarray(self.t_device_us, dtype=np.int64)
        self.t_host_s = np.asarray(self.t_host_s, dtype=np.float64)
        self.seq = np.asarray(self.seq, dtype=np.uint32)
        for name in ("t_device_us", "t_host_s", "seq"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must have one entry per frame ({n})")
        if self.values.shape[1] != self.layout.n_sensors:
            raise ValueError(
                f"{self.values.shape[1]} sensor columns but layout {self.layout.name!r} "
                f"has {self.layout.n_sensors} sensors"
            )
        if self.imu is not None:
            self.imu = np.asarray(self.imu)
            if self.imu.shape[0] != n:
                raise ValueError("imu must have one row per frame")

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.values.shape[0])

    @property
    def physical_unit(self) -> str:
        """``"kPa"`` or ``"N"``, from the layout's sensor kind."""
        return "kPa" if self.layout.kind == "pressure_kpa" else "N"

    def effective_calibration(self) -> Calibration:
        """The calibration to use: the stored one, or the fixed unit conversion."""
        if self.calibration is not None:
            return self.calibration
        return Calibration.for_raw_unit(self.layout.n_sensors, self.unit, self.physical_unit)

    def physical(self) -> np.ndarray:
        """Values in kPa (pressure layouts) or N (force layouts), float64."""
        return self.effective_calibration().apply(self.values)


@dataclass
class Recording:
    """A whole recording in memory.

    Parameters
    ----------
    feet : dict
        ``{"left": FootData, "right": FootData}`` (one or both).
    metadata : Metadata
        Session metadata.
    markers : list of (time_s, label)
        Time markers (e.g. start of a trial).
    truth, reference, derived : dict
        Trees of arrays and scalars (``reference`` keyed by vendor).
    """

    feet: dict[str, FootData]
    metadata: Metadata = field(default_factory=Metadata)
    markers: list[tuple[float, str]] = field(default_factory=list)
    truth: dict[str, Any] = field(default_factory=dict)
    reference: dict[str, Any] = field(default_factory=dict)
    derived: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for foot in self.feet:
            if foot not in schema.FEET:
                raise ValueError(f"foot must be 'left' or 'right', not {foot!r}")

    @property
    def sampling_rate_hz(self) -> float | None:
        """Nominal sampling rate (from the metadata)."""
        return self.metadata.sampling_rate_hz

    def save(self, path, *, overwrite: bool = False, compression: str | None = "gzip") -> None:
        """Write to an HDF5 recording file (atomically: no half-written file on error)."""
        from insole.store import write_recording

        write_recording(self, path, overwrite=overwrite, compression=compression)

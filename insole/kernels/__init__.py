"""Kernel dispatch: the compiled Cython kernels, or their readable NumPy twins.

The compiled kernels (``insole._ext.*``) are used when they import, unless the
environment variable ``INSOLE_PUREPYTHON=1`` asks for the NumPy twins in
:mod:`insole.kernels._reference`.  The choice is never silent: it is stored in
:data:`BACKEND` and :data:`BACKEND_REASON`, printed by ``insole info --backend``
and in the pytest header.

The wrappers here own validation, dtype handling and output allocation; the
kernels assume clean input.
"""

from __future__ import annotations

import os
from typing import Final, NamedTuple

import numpy as np

from insole.kernels import _reference

#: Names of the compiled modules under ``insole._ext`` the Cython backend needs.
COMPILED_MODULES: Final = ("frame_features",)

#: Integer dtypes accepted as raw counts (anything else is converted to float64).
COUNT_DTYPES: Final = (np.uint8, np.uint16, np.int16, np.int32)
_FLOAT_DTYPES: Final = (np.float32, np.float64)


def _select_backend() -> tuple[str, str, dict[str, object]]:
    if os.environ.get("INSOLE_PUREPYTHON", "0") not in ("", "0"):
        return "numpy", "INSOLE_PUREPYTHON=1 is set", {}
    modules: dict[str, object] = {}
    try:
        import importlib

        for name in COMPILED_MODULES:
            modules[name] = importlib.import_module(f"insole._ext.{name}")
    except ImportError as exc:  # a broken or missing build: fall back, visibly
        return "numpy", f"compiled kernels not importable ({exc}); reinstall to build them", {}
    return "cython", "compiled kernels imported", modules


#: ``"cython"`` or ``"numpy"``: the backend the kernels below run on.
BACKEND: str
#: Why that backend was chosen (shown by ``insole info --backend``).
BACKEND_REASON: str
BACKEND, BACKEND_REASON, _COMPILED = _select_backend()


def _impl(name: str, module: str | None = None):
    """The kernel ``name`` of the active backend (compiled module ``module``, default ``name``)."""
    if BACKEND == "cython":
        return getattr(_COMPILED[module or name], name)
    return getattr(_reference, name)


def default_num_threads() -> int:
    """Threads the parallel kernels use: ``INSOLE_NUM_THREADS``, else ``OMP_NUM_THREADS``, else all cores."""
    for var in ("INSOLE_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.strip().isdigit() and int(value) > 0:
            return int(value)
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


class RegionCSR(NamedTuple):
    """Sensor-to-region weights in compressed sparse rows: one row per region."""

    ptr: np.ndarray  #: (n_regions + 1,) intp
    idx: np.ndarray  #: (n_entries,) intp, sensor indices
    weight: np.ndarray  #: (n_entries,) float64

    @classmethod
    def from_dense(cls, weights: np.ndarray) -> RegionCSR:
        """Build from a dense (n_sensors, n_regions) weight matrix, dropping zeros."""
        weights = np.asarray(weights, dtype=np.float64)
        ptr = [0]
        idx: list[np.ndarray] = []
        wts: list[np.ndarray] = []
        for r in range(weights.shape[1]):
            nz = np.flatnonzero(weights[:, r])
            idx.append(nz)
            wts.append(weights[nz, r])
            ptr.append(ptr[-1] + nz.size)
        return cls(
            np.asarray(ptr, dtype=np.intp),
            np.concatenate(idx).astype(np.intp) if idx else np.zeros(0, np.intp),
            np.concatenate(wts) if wts else np.zeros(0),
        )

    @property
    def n_regions(self) -> int:
        """Number of regions."""
        return len(self.ptr) - 1


class FrameFeatures(NamedTuple):
    """Per-frame features: total force, centre of pressure and region forces."""

    force_n: np.ndarray  #: (n_frames,) float64, N
    cop: np.ndarray  #: (n_frames, 2) float64, (ap, ml) normalised; NaN where invalid
    region_force_n: np.ndarray  #: (n_frames, n_regions) float64, N


def _vector(a: np.ndarray | None, n: int, name: str, default: float) -> np.ndarray:
    if a is None:
        return np.full(n, default)
    out = np.ascontiguousarray(a, dtype=np.float64)
    if out.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {out.shape}")
    return out


def frame_features(
    values: np.ndarray,
    scale: np.ndarray,
    ap: np.ndarray,
    ml: np.ndarray,
    regions: RegionCSR,
    *,
    floor_value: float = 0.0,
    cop_min_force_n: float = 0.0,
    min_active: int = 1,
    offset: np.ndarray | None = None,
    gain: np.ndarray | None = None,
    num_threads: int | None = None,
) -> FrameFeatures:
    """Total force, COP and force per region of every frame, in one pass.

    Parameters
    ----------
    values : (n_frames, n_sensors) array_like
        Physical values (float32/float64: kPa or N) or raw counts
        (uint8/uint16/int16/int32) to be calibrated with ``offset``/``gain``.
        Read-only and non-contiguous arrays are accepted.
    scale : (n_sensors,) array_like
        Newtons per physical unit (``area_mm2 * 1e-3`` for kPa sensors, 1 for N).
    ap, ml : (n_sensors,) array_like
        Sensor centroids in the normalised insole frame.
    regions : RegionCSR
        Sensor-to-region weights.
    floor_value : float
        Noise floor in physical units: smaller values count as unloaded.
    cop_min_force_n : float
        COP validity threshold (science.md 1.2): below it the COP is NaN.
    min_active : int
        Minimum number of loaded sensors for a valid COP.
    offset, gain : (n_sensors,) array_like, optional
        Per-sensor linear calibration ``physical = (count - offset) * gain``,
        fused into the kernel.  Give both or neither.
    num_threads : int, optional
        Threads for the compiled kernel; default :func:`default_num_threads`.

    Returns
    -------
    FrameFeatures
        float64 arrays; the COP is NaN (never 0) where it is not valid.

    Examples
    --------
    >>> import numpy as np
    >>> csr = RegionCSR.from_dense(np.eye(2))
    >>> ff = frame_features(np.array([[100.0, 300.0]]), np.ones(2), np.array([0.0, 1.0]),
    ...                     np.zeros(2), csr)
    >>> float(ff.force_n[0]), float(ff.cop[0, 0])
    (400.0, 0.75)
    """
    arr = np.asarray(values)
    if arr.ndim != 2:
        raise ValueError(f"values must be 2-D (n_frames, n_sensors), got shape {arr.shape}")
    n_frames, n_sensors = arr.shape
    if (offset is None) != (gain is None):
        raise ValueError("give both offset and gain, or neither")
    calibrated = offset is not None
    if arr.dtype not in _FLOAT_DTYPES and arr.dtype not in COUNT_DTYPES:
        arr = arr.astype(np.float64)
    arr = np.ascontiguousarray(arr)
    scale_v = _vector(scale, n_sensors, "scale", 1.0)
    ap_v = _vector(ap, n_sensors, "ap", 0.0)
    ml_v = _vector(ml, n_sensors, "ml", 0.0)
    offset_v = _vector(offset, n_sensors, "offset", 0.0)
    gain_v = _vector(gain, n_sensors, "gain", 1.0)
    if regions.idx.size and (regions.idx.min() < 0 or regions.idx.max() >= n_sensors):
        raise ValueError("region sensor index out of range for this many sensors")
    force = np.empty(n_frames)
    cop = np.empty((n_frames, 2))
    region = np.empty((n_frames, regions.n_regions))
    _impl("frame_features")(
        arr,
        scale_v,
        ap_v,
        ml_v,
        np.ascontiguousarray(regions.ptr, dtype=np.intp),
        np.ascontiguousarray(regions.idx, dtype=np.intp),
        np.ascontiguousarray(regions.weight, dtype=np.float64),
        float(floor_value),
        float(cop_min_force_n),
        int(min_active),
        bool(calibrated),
        offset_v,
        gain_v,
        force,
        cop,
        region,
        int(num_threads or default_num_threads()),
    )
    return FrameFeatures(force, cop, region)


__all__ = [
    "BACKEND",
    "BACKEND_REASON",
    "FrameFeatures",
    "RegionCSR",
    "default_num_threads",
    "frame_features",
]

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
COMPILED_MODULES: Final = ("frame_features", "protocol_v1", "stance", "segments", "region_pressure", "step_kernels")

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


def simd_path() -> str:
    """The vector path of the per-frame kernels: ``"avx2"``, ``"sse2"`` or ``"none"`` (NumPy twins).

    The compiled frame-features kernel runs four frames per AVX2 register where the CPU has it
    (``INSOLE_NO_AVX=1`` turns that off) and two per SSE2 register otherwise; both give
    bit-identical results.
    """
    if BACKEND != "cython":
        return "none"
    mod = _COMPILED.get("frame_features")
    return "avx2" if mod is not None and getattr(mod, "avx_in_use", lambda: False)() else "sse2"


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


class RegionPressure(NamedTuple):
    """Per-frame, per-region peak value and loaded area (:func:`region_pressure`)."""

    peak: np.ndarray  #: (n_frames, n_regions) highest loaded sensor value (kPa or N), 0 if none
    loaded_area_mm2: np.ndarray  #: (n_frames, n_regions) loaded area, mm^2


def region_pressure(
    values: np.ndarray,
    area_mm2: np.ndarray,
    regions: RegionCSR,
    *,
    floor_value: float = 0.0,
    offset: np.ndarray | None = None,
    gain: np.ndarray | None = None,
    num_threads: int | None = None,
) -> RegionPressure:
    """Peak sensor value and loaded area of every region in every frame.

    Parameters
    ----------
    values : (n_frames, n_sensors) array_like
        Physical values or raw counts (calibrated with ``offset``/``gain``).
    area_mm2 : (n_sensors,) array_like
        Sensor areas.
    regions : RegionCSR
        Sensor-to-region weights; a sensor belongs to a region when its weight is > 0.
    floor_value : float
        Noise floor: smaller values are unloaded.
    offset, gain : (n_sensors,) array_like, optional
        Per-sensor linear calibration fused into the kernel.
    num_threads : int, optional
        Threads for the compiled kernel.

    Returns
    -------
    RegionPressure
    """
    arr = np.asarray(values)
    if arr.ndim != 2:
        raise ValueError(f"values must be 2-D (n_frames, n_sensors), got shape {arr.shape}")
    n, m = arr.shape
    if (offset is None) != (gain is None):
        raise ValueError("give both offset and gain, or neither")
    if arr.dtype not in _FLOAT_DTYPES and arr.dtype not in COUNT_DTYPES:
        arr = arr.astype(np.float64)
    arr = np.ascontiguousarray(arr)
    peak = np.empty((n, regions.n_regions))
    area = np.empty((n, regions.n_regions))
    _impl("region_pressure")(
        arr,
        offset is not None,
        _vector(offset, m, "offset", 0.0),
        _vector(gain, m, "gain", 1.0),
        float(floor_value),
        _vector(area_mm2, m, "area_mm2", 1.0),
        np.ascontiguousarray(regions.ptr, dtype=np.intp),
        np.ascontiguousarray(regions.idx, dtype=np.intp),
        np.ascontiguousarray(regions.weight, dtype=np.float64),
        peak,
        area,
        int(num_threads or default_num_threads()),
    )
    return RegionPressure(peak, area)


class StanceEvents(NamedTuple):
    """Stances found by :func:`stance_events` (indices into the force series)."""

    on_idx: np.ndarray  #: (k,) intp, first sample above the on-threshold
    off_idx: np.ndarray  #: (k,) intp, first sample below the off-threshold (n if never)
    ic_idx: np.ndarray  #: (k,) float64 fractional sample of initial contact (NaN if cut off)
    to_idx: np.ndarray  #: (k,) float64 fractional sample of toe-off (NaN if cut off)


def stance_events(force: np.ndarray, on: np.ndarray, off: np.ndarray, evt: np.ndarray) -> StanceEvents:
    """Hysteresis stance detection with sub-sample event timing (science.md 2.2).

    Parameters
    ----------
    force : (n,) array_like
        Total force per frame (N).
    on, off, evt : (n,) array_like or float
        Per-frame thresholds: enter stance above ``on``, leave below ``off``;
        events are timed where the force crosses ``evt``.

    Returns
    -------
    StanceEvents

    Examples
    --------
    >>> ev = stance_events(np.array([0, 0, 50, 100, 100, 40, 0, 0.0]), 60.0, 30.0, 20.0)
    >>> ev.ic_idx.round(2).tolist(), ev.to_idx.round(2).tolist()
    ([1.4], [5.5])
    """
    f = np.ascontiguousarray(force, dtype=np.float64)
    if f.ndim != 1:
        raise ValueError("force must be 1-D")
    n = f.size
    th = [np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=np.float64), (n,))) for a in (on, off, evt)]
    cap = n // 2 + 2
    on_idx = np.empty(cap, dtype=np.intp)
    off_idx = np.empty(cap, dtype=np.intp)
    ic_idx = np.empty(cap)
    to_idx = np.empty(cap)
    k = _impl("stance_events", "stance")(f, *th, on_idx, off_idx, ic_idx, to_idx)
    return StanceEvents(on_idx[:k].copy(), off_idx[:k].copy(), ic_idx[:k].copy(), to_idx[:k].copy())


class SegmentStats(NamedTuple):
    """Per-segment reductions from :func:`segment_reduce`."""

    sums: np.ndarray  #: (n_segments, n_columns) NaN-ignoring sums
    maxima: np.ndarray  #: (n_segments, n_columns) NaN-ignoring maxima (NaN if none)
    argmax: np.ndarray  #: (n_segments, n_columns) frame index of the maximum (-1 if none)


def segment_reduce(x: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> SegmentStats:
    """NaN-ignoring sum, maximum and argmax of each column of ``x`` over frame ranges.

    Parameters
    ----------
    x : (n_frames, n_columns) or (n_frames,) array_like
        Per-frame series (e.g. region forces).
    starts, stops : (n_segments,) array_like of int
        Half-open frame ranges, one per step.

    Returns
    -------
    SegmentStats
    """
    arr = np.asarray(x, dtype=np.float64)
    one_d = arr.ndim == 1
    arr = np.ascontiguousarray(arr[:, None] if one_d else arr)
    st = np.ascontiguousarray(starts, dtype=np.intp)
    sp = np.ascontiguousarray(stops, dtype=np.intp)
    if st.shape != sp.shape or st.ndim != 1:
        raise ValueError("starts and stops must be 1-D of equal length")
    if st.size and (st.min() < 0 or sp.max() > arr.shape[0] or np.any(sp < st)):
        raise ValueError("segment ranges must lie inside the series and have stop >= start")
    m, c = st.size, arr.shape[1]
    sums, maxima, argmax = np.empty((m, c)), np.empty((m, c)), np.empty((m, c), dtype=np.intp)
    _impl("segment_reduce", "segments")(arr, st, sp, sums, maxima, argmax)
    if one_d:
        return SegmentStats(sums[:, 0], maxima[:, 0], argmax[:, 0])
    return SegmentStats(sums, maxima, argmax)


def _ranges(starts: np.ndarray, stops: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    st = np.ascontiguousarray(starts, dtype=np.intp)
    sp = np.ascontiguousarray(stops, dtype=np.intp)
    if st.shape != sp.shape or st.ndim != 1:
        raise ValueError("starts and stops must be 1-D of equal length")
    if st.size and (st.min() < 0 or sp.max() > n or np.any(sp < st)):
        raise ValueError("segment ranges must lie inside the series and have stop >= start")
    return st, sp


def _series(x: np.ndarray, name: str = "x") -> np.ndarray:
    arr = np.ascontiguousarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr


def segment_sum(x: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Sum of each column of ``x`` over frame ranges, exactly as NumPy sums a slice.

    Equal, bit for bit, to ``x[a:b, j].sum()`` (NumPy's pairwise summation), so a
    vectorised computation can replace per-step ``np.sum``/``np.mean`` calls without
    changing a result.

    Parameters
    ----------
    x : (n_frames, n_columns) or (n_frames,) array_like
        Per-frame series; NaN propagates (replace it first for a NaN-ignoring sum).
    starts, stops : (n_segments,) array_like of int
        Half-open frame ranges.

    Returns
    -------
    ndarray
        (n_segments, n_columns) float64, or (n_segments,) for 1-D ``x``; 0 for an empty range.

    Examples
    --------
    >>> segment_sum(np.arange(6.0), [0, 2, 5], [2, 5, 5]).tolist()
    [1.0, 9.0, 0.0]
    """
    arr = np.asarray(x, dtype=np.float64)
    one_d = arr.ndim == 1
    arr = np.ascontiguousarray(arr[:, None] if one_d else arr)
    if arr.ndim != 2:
        raise ValueError(f"x must be 1-D or 2-D, got shape {arr.shape}")
    st, sp = _ranges(starts, stops, arr.shape[0])
    sums = np.empty((st.size, arr.shape[1]))
    _impl("segment_sum", "step_kernels")(arr, st, sp, sums)
    return sums[:, 0] if one_d else sums


class SegmentSummary(NamedTuple):
    """Per-segment reductions from :func:`segment_stats`."""

    sums: np.ndarray  #: (n_segments, n_columns) NaN-ignoring sums, frame by frame in order
    maxima: np.ndarray  #: (n_segments, n_columns) NaN-ignoring maxima (NaN if none)
    argmax: np.ndarray  #: (n_segments, n_columns) frame index of the first maximum (-1 if none)
    minima: np.ndarray  #: (n_segments, n_columns) NaN-ignoring minima (NaN if none)


def segment_stats(x: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> SegmentSummary:
    """NaN-ignoring sum, maximum, argmax and minimum of each column of ``x`` over frame ranges.

    The single-threaded sibling of :func:`segment_reduce` (same sums, maxima and
    argmax) for the many small reductions of the per-step analysis, where starting
    threads would cost more than the work.

    Parameters
    ----------
    x : (n_frames, n_columns) or (n_frames,) array_like
        Per-frame series.
    starts, stops : (n_segments,) array_like of int
        Half-open frame ranges.

    Returns
    -------
    SegmentSummary
        1-D fields for 1-D ``x``.

    Examples
    --------
    >>> r = segment_stats(np.array([2.0, np.nan, 5.0, 1.0]), [0, 1], [4, 2])
    >>> r.sums.tolist(), r.maxima.tolist(), r.argmax.tolist(), r.minima.tolist()
    ([8.0, 0.0], [5.0, nan], [2, -1], [1.0, nan])
    """
    arr = np.asarray(x, dtype=np.float64)
    one_d = arr.ndim == 1
    arr = np.ascontiguousarray(arr[:, None] if one_d else arr)
    if arr.ndim != 2:
        raise ValueError(f"x must be 1-D or 2-D, got shape {arr.shape}")
    st, sp = _ranges(starts, stops, arr.shape[0])
    m, c = st.size, arr.shape[1]
    out = (np.empty((m, c)), np.empty((m, c)), np.empty((m, c), dtype=np.intp), np.empty((m, c)))
    _impl("segment_stats", "step_kernels")(arr, st, sp, *out)
    return SegmentSummary(*(o[:, 0] for o in out)) if one_d else SegmentSummary(*out)


class SegmentFirst(NamedTuple):
    """Threshold crossings from :func:`segment_first`."""

    first: np.ndarray  #: (n_segments,) intp, first frame index meeting the test, -1 if none
    count: np.ndarray | None  #: (n_segments,) intp, frames meeting the test (when asked for)


def segment_first(x: np.ndarray, starts: np.ndarray, stops: np.ndarray, thresholds, *, below: bool = False,
                  count: bool = False) -> SegmentFirst:
    """First frame of each range where ``x >= threshold`` (or ``x < threshold``).

    Parameters
    ----------
    x : (n_frames,) array_like
        Per-frame series; NaN never meets the test.
    starts, stops : (n_segments,) array_like of int
        Half-open frame ranges.
    thresholds : float or (n_segments,) array_like
        One threshold per range.
    below : bool
        Test ``x < threshold`` instead of ``x >= threshold``.
    count : bool
        Also count the frames of each range that meet the test.

    Returns
    -------
    SegmentFirst

    Examples
    --------
    >>> r = segment_first(np.array([1.0, 5.0, 2.0, 7.0]), [0, 2], [4, 3], [5.0, 5.0], count=True)
    >>> r.first.tolist(), r.count.tolist()
    ([1, -1], [2, 0])
    """
    arr = _series(x)
    st, sp = _ranges(starts, stops, arr.size)
    thr = np.ascontiguousarray(np.broadcast_to(np.asarray(thresholds, dtype=np.float64), st.shape))
    first = np.empty(st.size, dtype=np.intp)
    hits = np.empty(st.size if count else 0, dtype=np.intp)
    _impl("segment_first", "step_kernels")(arr, st, sp, thr, bool(below), bool(count), first, hits)
    return SegmentFirst(first, hits if count else None)


def segment_resample(x: np.ndarray, y: np.ndarray, starts: np.ndarray, stops: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``y(x)`` at ``grid`` within each frame range, never extrapolating.

    Per range, the frames where both ``x`` and ``y`` are finite are interpolated
    exactly as ``np.interp(grid, x[ok], y[ok])``; grid points outside
    ``[x[ok][0], x[ok][-1]]`` are NaN, and so is a range with fewer than 2 such frames.

    Parameters
    ----------
    x, y : (n_frames,) array_like
        Abscissa (non-decreasing within a range, e.g. time or % of stance) and values.
    starts, stops : (n_segments,) array_like of int
        Half-open frame ranges.
    grid : (n_grid,) array_like
        Where to interpolate.

    Returns
    -------
    ndarray
        (n_segments, n_grid) float64.

    Examples
    --------
    >>> segment_resample(np.arange(4.0), np.array([0.0, 10.0, np.nan, 30.0]), [0], [4], [0.5, 2.0, 3.5]).tolist()
    [[5.0, 20.0, nan]]
    """
    xs, ys = _series(x, "x"), _series(y, "y")
    if xs.shape != ys.shape:
        raise ValueError("x and y must have the same length")
    st, sp = _ranges(starts, stops, xs.size)
    g = _series(grid, "grid")
    out = np.empty((st.size, g.size))
    unsorted = np.zeros(st.size, dtype=np.uint8)
    _impl("segment_resample", "step_kernels")(xs, ys, st, sp, g, out, unsorted)
    if BACKEND == "cython" and unsorted.any():  # x decreases somewhere: np.interp's own answer
        redo = np.flatnonzero(unsorted)
        sub = np.empty((redo.size, g.size))
        _reference.segment_resample(xs, ys, st[redo], sp[redo], g, sub, np.zeros(redo.size, np.uint8))
        out[redo] = sub
    return out


def sosfilt_padlen(sos: np.ndarray) -> int:
    """The default ``padlen`` of ``scipy.signal.sosfiltfilt`` for ``sos``."""
    sos = np.asarray(sos, dtype=np.float64)
    ntaps = 2 * sos.shape[0] + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * ntaps


def segment_sosfiltfilt(sos: np.ndarray, x: np.ndarray, starts: np.ndarray, stops: np.ndarray, *,
                        out: np.ndarray | None = None) -> np.ndarray:
    """Zero-phase filtering of each frame range on its own, as ``scipy.signal.sosfiltfilt``.

    Every range ``[a, b)`` of every column becomes ``sosfiltfilt(sos, x[a:b], axis=0)``
    with SciPy's defaults (odd extension, ``padlen`` of :func:`sosfilt_padlen`); the
    filter's initial state (``sosfilt_zi``) is computed once for all ranges.

    Parameters
    ----------
    sos : (n_sections, 6) array_like
        Second-order sections (``scipy.signal.butter(..., output="sos")``).
    x : (n_frames, n_columns) array_like
        Per-frame series.
    starts, stops : (n_segments,) array_like of int
        Half-open, non-overlapping frame ranges, each longer than ``padlen``.
    out : (n_frames, n_columns) ndarray, optional
        Where to write; frames outside the ranges keep their content (default: a copy of ``x``).

    Returns
    -------
    ndarray
        ``out``.
    """
    from scipy.signal import sosfilt_zi

    sos_a = np.ascontiguousarray(sos, dtype=np.float64)
    if sos_a.ndim != 2 or sos_a.shape[1] != 6:
        raise ValueError(f"sos must have shape (n_sections, 6), got {sos_a.shape}")
    arr = np.ascontiguousarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"x must be 2-D (n_frames, n_columns), got shape {arr.shape}")
    st, sp = _ranges(starts, stops, arr.shape[0])
    padlen = sosfilt_padlen(sos_a)
    if st.size and np.min(sp - st) <= padlen:
        raise ValueError(f"every range must be longer than padlen={padlen}")
    if out is None:
        out = arr.copy()
    elif out.shape != arr.shape or out.dtype != np.float64 or not out.flags.c_contiguous:
        raise ValueError("out must be a C-contiguous float64 array shaped like x")
    zi = np.ascontiguousarray(sosfilt_zi(sos_a), dtype=np.float64)
    _impl("segment_sosfiltfilt", "step_kernels")(sos_a, zi, arr, st, sp, padlen, out)
    return out


def segment_first_peak(x: np.ndarray, starts: np.ndarray, stops: np.ndarray, min_prominence: float) -> np.ndarray:
    """First peak of each frame range whose prominence reaches ``min_prominence``.

    Equal to ``a + scipy.signal.find_peaks(x[a:b], prominence=min_prominence)[0][0]``
    (flat peaks at their middle sample; the prominence is measured within the range).

    Parameters
    ----------
    x : (n_frames,) array_like
    starts, stops : (n_segments,) array_like of int
        Half-open frame ranges.
    min_prominence : float

    Returns
    -------
    ndarray
        (n_segments,) intp frame indices, -1 where there is no such peak.

    Examples
    --------
    >>> segment_first_peak(np.array([0, 1.0, 0.95, 3, 0, 2, 2, 0]), [0, 4], [8, 8], 0.1).tolist()
    [3, 5]
    """
    arr = _series(x)
    st, sp = _ranges(starts, stops, arr.size)
    out = np.empty(st.size, dtype=np.intp)
    _impl("segment_first_peak", "step_kernels")(arr, st, sp, float(min_prominence), out)
    return out


def sensor_accumulate(values: np.ndarray, loaded: np.ndarray, peak: np.ndarray, sums: np.ndarray, *,
                      floor_value: float = 0.0, offset: np.ndarray | None = None, gain: np.ndarray | None = None) -> None:
    """Accumulate per-sensor peak and sum of the physical values of the loaded frames.

    For every frame flagged in ``loaded``, each sensor's physical value ``p``
    (``(count - offset) * gain`` when calibrated), counted as 0 unless
    ``p >= floor_value``, raises ``peak`` and is added to ``sums`` (frame by frame,
    in order, so results do not depend on how a recording is split into blocks).

    Parameters
    ----------
    values : (n_frames, n_sensors) array_like
        Physical values (float32/float64) or raw counts with ``offset``/``gain``.
    loaded : (n_frames,) array_like of bool
        Frames to include.
    peak, sums : (n_sensors,) float64 ndarray
        Updated in place.
    floor_value : float
        Smaller values (and NaN) count as 0.
    offset, gain : (n_sensors,) array_like, optional
        Linear calibration fused into the kernel; give both or neither.
    """
    arr = np.asarray(values)
    if arr.ndim != 2:
        raise ValueError(f"values must be 2-D (n_frames, n_sensors), got shape {arr.shape}")
    n, m = arr.shape
    if (offset is None) != (gain is None):
        raise ValueError("give both offset and gain, or neither")
    if arr.dtype not in _FLOAT_DTYPES and arr.dtype not in COUNT_DTYPES:
        arr = arr.astype(np.float64)
    arr = np.ascontiguousarray(arr)
    mask = np.ascontiguousarray(loaded, dtype=np.uint8)
    if mask.shape != (n,):
        raise ValueError(f"loaded must have shape ({n},), got {mask.shape}")
    for name, a in (("peak", peak), ("sums", sums)):
        if not isinstance(a, np.ndarray) or a.shape != (m,) or a.dtype != np.float64 or not a.flags.c_contiguous:
            raise ValueError(f"{name} must be a C-contiguous float64 array of shape ({m},)")
    _impl("sensor_accumulate", "step_kernels")(arr, mask, offset is not None, _vector(offset, m, "offset", 0.0),
                                               _vector(gain, m, "gain", 1.0), float(floor_value), peak, sums)


__all__ = [
    "BACKEND",
    "BACKEND_REASON",
    "FrameFeatures",
    "RegionCSR",
    "SegmentFirst",
    "SegmentSummary",
    "default_num_threads",
    "frame_features",
    "region_pressure",
    "segment_first",
    "segment_first_peak",
    "segment_reduce",
    "segment_resample",
    "segment_sosfiltfilt",
    "segment_stats",
    "segment_sum",
    "sensor_accumulate",
    "simd_path",
    "sosfilt_padlen",
    "stance_events",
]

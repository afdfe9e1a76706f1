"""What a live view shows, kept up to date from blocks of frames in bounded memory.

:class:`LiveState` is fed by the recorder's tap (:meth:`LiveState.on_frames`,
one call per block of frames written, from the recording thread) and read by
the drawing loop through :meth:`LiveState.snapshot` (a copy, taken under a
lock): drawing never holds up the recording.  Per foot it keeps

- the latest pressure frame (physical units with a calibration, raw counts without);
- total force of the last ``window_s`` seconds (a ring buffer);
- the COP trail of the current step: the valid COP of the stance frames since
  the last initial contact (a ring buffer of at most ``trail_max_s`` seconds);
- counters: frames in, blocks in, steps (initial contacts) seen.

Stance is detected per block with the hysteresis of science.md §2.2:
``θ_on = b + 0.05·R`` and ``θ_off = b + 0.03·R``, re-estimated every
:data:`THRESHOLD_UPDATE_S`.  The baseline ``b`` is the sliding 5th percentile
of the force over the last :data:`BASELINE_WINDOW_S` seconds, whatever the
frame rate: the force is kept as the minimum of every 1/:data:`BASELINE_BIN_HZ`
s (a fixed-size ring of time bins, so memory is bounded), and ``b`` is the 5th
percentile of those minima.  Frames of a stance longer than ``T_stance_max``
(standing still) do not enter that history and ``b`` is not re-estimated
during such a stance, so standing never turns into the baseline.  ``R`` is
the body weight when it is known (a calibration in newtons and a body mass),
else the median of the last step peaks, else (before the first step) the
force range of the history, provided the history holds swing as well as
stance (a range of at least :data:`MIN_RANGE_FRACTION` of the largest force;
a person standing from the first frame gives no thresholds until a first
step).  A new initial contact within ``T_stance_min`` of the previous one is
ignored (refractory period).  Live detection does not low-pass the force nor reject
or merge stances: the trail is a display, the analysis (``insole analyze``)
uses the full algorithm.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np

from insole.features import GRAVITY_M_S2, FeatureSpec

FEET: Final = ("left", "right")
#: How often the stance thresholds (baseline, reference force) are re-estimated, in seconds.
THRESHOLD_UPDATE_S: Final = 0.25
#: Step peaks kept for the reference force ``R`` (their median).
PEAKS_KEPT: Final = 8
#: Length of the sliding baseline window, in seconds (science.md §2.2: re-estimate ``b`` over 30 s).
BASELINE_WINDOW_S: Final = 30.0
#: Time bins per second of the baseline history (each keeps the minimum and maximum force of its bin).
BASELINE_BIN_HZ: Final = 20.0
#: Before the first step, the force range of the history must be at least this fraction of its largest force.
MIN_RANGE_FRACTION: Final = 0.25


@dataclass(frozen=True)
class StanceThresholds:
    """Stance detection parameters (science.md §2.2 defaults).

    Attributes
    ----------
    on_fraction, off_fraction : float
        Hysteresis thresholds above the baseline, as fractions of the reference force ``R``.
    stance_min_s : float
        Refractory period: no new initial contact within this long of the previous one.
    stance_max_s : float
        ``T_stance_max``: a stance longer than this (standing) freezes the baseline.
    baseline_percentile : float
        Percentile of the force over the baseline window taken as the baseline ``b``.
    """

    on_fraction: float = 0.05
    off_fraction: float = 0.03
    stance_min_s: float = 0.080
    stance_max_s: float = 2.0
    baseline_percentile: float = 5.0


@dataclass(frozen=True)
class FootSnapshot:
    """One foot as the view draws it (copies: safe to read while frames keep coming).

    Attributes
    ----------
    values : (n_sensors,) ndarray or None
        Latest frame, in ``pressure_unit`` (None before the first frame).
    t_s, force : (n,) ndarray
        Host time (s since the recording began) and total force of the window, oldest first.
    trail_ap_ml : (m, 2) ndarray
        COP trail of the current step (normalised insole frame, ``(ap, ml)``).
    cop_ap_ml : (2,) ndarray or None
        Latest valid COP of the current stance (None in swing).
    in_stance : bool
    frames_in, steps : int
        Frames received and initial contacts seen.
    frames_per_s : float
        Input rate over the window.
    last_ic_s : float or None
        Host time of the latest initial contact (the start of the trail).
    threshold_on, threshold_off : float
        Current stance hysteresis thresholds, in ``force_unit`` (inf before they can be estimated).
    baseline : float or None
        Current baseline ``b`` (None before it can be estimated).
    """

    values: np.ndarray | None
    t_s: np.ndarray
    force: np.ndarray
    trail_ap_ml: np.ndarray
    cop_ap_ml: np.ndarray | None
    in_stance: bool
    frames_in: int
    steps: int
    frames_per_s: float
    last_ic_s: float | None = None
    threshold_on: float = math.inf
    threshold_off: float = math.inf
    baseline: float | None = None


@dataclass(frozen=True)
class LiveSnapshot:
    """Everything one drawn frame shows.

    Attributes
    ----------
    feet : dict of str to FootSnapshot
        The feet that sent frames so far.
    t_now_s : float
        Host time of the newest frame (s since the recording began).
    force_unit, pressure_unit : str
        ``"N"`` and ``"kPa"``/``"N"`` with a calibration, ``"counts"`` without.
    status : Any
        The recorder's latest :class:`~insole.acquisition.recorder.RecorderStatus` (link health), or None.
    draws : int
        Frames drawn so far.
    """

    feet: dict[str, FootSnapshot]
    t_now_s: float
    force_unit: str
    pressure_unit: str
    status: Any
    draws: int


def hysteresis(force: np.ndarray, on: float, off: float, state0: bool) -> np.ndarray:
    """Stance state of every sample: on above ``on``, off below ``off``, else unchanged (vectorised).

    Parameters
    ----------
    force : (n,) ndarray
    on, off : float
        High and low thresholds (``off <= on``).
    state0 : bool
        State before the first sample.

    Returns
    -------
    (n,) bool ndarray
    """
    f = np.asarray(force, np.float64)
    decided = np.full(f.shape, -1, np.int8)
    decided[f < off] = 0
    decided[f > on] = 1
    idx = np.where(decided >= 0, np.arange(f.size), -1)
    np.maximum.accumulate(idx, out=idx)
    return np.where(idx >= 0, decided[np.maximum(idx, 0)] == 1, bool(state0))


class _Ring:
    """Fixed-capacity ring buffer of rows (oldest overwritten), vectorised writes."""

    def __init__(self, capacity: int, width: int | None = None) -> None:
        shape = (capacity,) if width is None else (capacity, width)
        self.buf = np.full(shape, np.nan)
        self.capacity = capacity
        self.total = 0

    def clear(self) -> None:
        self.total = 0

    def push(self, rows: np.ndarray) -> None:
        n = len(rows)
        if n == 0:
            return
        if n > self.capacity:
            self.total += n - self.capacity
            rows = rows[-self.capacity:]
            n = self.capacity
        idx = (self.total + np.arange(n)) % self.capacity
        self.buf[idx] = rows
        self.total += n

    def __len__(self) -> int:
        return min(self.total, self.capacity)

    def ordered(self) -> np.ndarray:
        """A copy, oldest first."""
        if self.total <= self.capacity:
            return self.buf[: self.total].copy()
        k = self.total % self.capacity
        return np.concatenate([self.buf[k:], self.buf[:k]])


class _Foot:
    """Per-foot state (internal; guarded by the LiveState lock)."""

    def __init__(self, spec: FeatureSpec, calibration: Any, trace_n: int, trail_n: int) -> None:
        self.spec = spec
        self.calibration = calibration
        self.t = _Ring(trace_n)
        self.force = _Ring(trace_n)
        self.trail = _Ring(trail_n, 2)
        # baseline history: (bin start time, min force, max force) per 1/BASELINE_BIN_HZ s, oldest overwritten
        self.hist = _Ring(math.ceil(BASELINE_WINDOW_S * BASELINE_BIN_HZ) + 2, 3)
        self.bin_id: int | None = None  # the bin being filled (not yet in ``hist``)
        self.bin_min = math.nan
        self.bin_max = math.nan
        self.baseline: float | None = None
        self.reference = math.nan
        self.stance_start_t = -math.inf
        self.values: np.ndarray | None = None
        self.cop: np.ndarray | None = None
        self.in_stance = False
        self.last_ic_t = -math.inf
        self.stance_peak = -math.inf
        self.peaks: deque[float] = deque(maxlen=PEAKS_KEPT)
        self.on = math.inf
        self.off = math.inf
        self.next_threshold_t = -math.inf
        self.frames_in = 0
        self.blocks_in = 0
        self.steps = 0


class LiveState:
    """Latest frames, force traces and COP trails of both feet, fed block by block.

    Parameters
    ----------
    layouts : mapping of str to SensorLayout
        Layout per foot (``{"left": ..., "right": ...}``).
    calibrations : mapping of str to Calibration, optional
        Calibration per foot; without one, forces and pressures are raw counts.
    window_s : float
        Seconds of force trace kept.
    trail_max_s : float
        Longest COP trail kept (a long stance keeps its last ``trail_max_s``).
    max_rate_hz : float
        Highest frame rate per foot the buffers are sized for (beyond it the
        window is shorter, never the memory larger).
    body_mass_kg : float, optional
        Body weight as the reference force of stance detection (with a calibration in N).
    thresholds : StanceThresholds
        Stance detection parameters.

    Examples
    --------
    >>> from insole.layout import get_layout
    >>> state = LiveState({f: get_layout("diy-fsr-16", side=f) for f in ("left", "right")})
    >>> state.on_frames("left", np.arange(3) / 100, np.zeros((3, 16), np.uint16))
    >>> state.snapshot().feet["left"].frames_in
    3
    """

    def __init__(
        self,
        layouts: Mapping[str, Any],
        calibrations: Mapping[str, Any] | None = None,
        *,
        window_s: float = 5.0,
        trail_max_s: float = 3.0,
        max_rate_hz: float = 2000.0,
        body_mass_kg: float | None = None,
        thresholds: StanceThresholds = StanceThresholds(),
    ) -> None:
        if not window_s > 0 or not trail_max_s > 0 or not max_rate_hz > 0:
            raise ValueError("window_s, trail_max_s and max_rate_hz must be positive")
        self.layouts = dict(layouts)
        self.calibrations = dict(calibrations or {})
        self.window_s = float(window_s)
        self.trail_max_s = float(trail_max_s)
        self.max_rate_hz = float(max_rate_hz)
        self.thresholds = thresholds
        calibrated = bool(self.calibrations)
        self.force_unit = "N" if calibrated else "counts"
        if calibrated:
            self.pressure_unit = next(iter(self.calibrations.values())).unit
        else:
            self.pressure_unit = "counts"
        self.body_weight = None
        if body_mass_kg is not None and calibrated:
            self.body_weight = float(body_mass_kg) * GRAVITY_M_S2
        self._trace_n = max(2, math.ceil(self.window_s * self.max_rate_hz))
        self._trail_n = max(2, math.ceil(self.trail_max_s * self.max_rate_hz))
        self._lock = threading.Lock()
        self._feet: dict[str, _Foot] = {}
        self._t_now = 0.0
        self._status: Any = None
        self._draws = 0

    # ------------------------------------------------------------------ feeding (recording thread)
    def _foot(self, foot: str) -> _Foot:
        ft = self._feet.get(foot)
        if ft is None:
            layout = self.layouts[foot]
            cal = self.calibrations.get(foot)
            if cal is not None:
                spec = FeatureSpec.from_layout(layout, cal)
            else:  # raw counts: force is the sum of counts, the COP is valid whenever enough sensors are loaded
                spec = FeatureSpec.from_layout(layout, None, floor_value=0.0, cop_threshold_n=0.0)
                spec = replace(spec, scale=np.asarray(layout.active, bool).astype(np.float64))
            ft = self._feet[foot] = _Foot(spec, cal, self._trace_n, self._trail_n)
        return ft

    def on_frames(self, foot: str, t_host_s: np.ndarray, values: np.ndarray) -> None:
        """Take a block of frames of ``foot`` (the :class:`~insole.acquisition.Recorder` ``on_frames`` tap).

        Parameters
        ----------
        foot : {"left", "right"}
        t_host_s : (n,) ndarray
            Host time of each frame, s.
        values : (n, n_sensors) ndarray
            Raw values.
        """
        n = len(t_host_s)
        if n == 0:
            return
        t = np.asarray(t_host_s, np.float64)
        raw = np.asarray(values)
        with self._lock:
            ft = self._foot(foot)
        ff = ft.spec.compute(raw)  # outside the lock: the drawing thread never waits for the kernel
        force = ff.force_n
        cop = ff.cop
        latest = raw[-1].astype(np.float64) if ft.calibration is None else ft.calibration.apply(raw[-1:])[0]
        with self._lock:
            ft.frames_in += n
            ft.blocks_in += 1
            ft.t.push(t)
            ft.force.push(force)
            ft.values = latest
            self._t_now = max(self._t_now, float(t[-1]))
            self._push_history(ft, t, force)
            if t[-1] >= ft.next_threshold_t or not math.isfinite(ft.on):  # no thresholds yet: every block
                self._update_thresholds(ft, float(t[-1]))
                ft.next_threshold_t = float(t[-1]) + THRESHOLD_UPDATE_S
            self._stance(ft, t, force, cop)

    def _long_stance(self, ft: _Foot, t_s: float) -> bool:
        return ft.in_stance and t_s - ft.stance_start_t > self.thresholds.stance_max_s

    def _push_history(self, ft: _Foot, t: np.ndarray, force: np.ndarray) -> None:
        """Add a block to the baseline history: per-bin min/max, leaving out frames of a too long stance."""
        f = np.array(force, np.float64)
        if ft.in_stance and math.isfinite(ft.off):
            # the current stance goes on until the force drops below θ_off: its frames beyond T_stance_max are out
            below = np.flatnonzero(f < ft.off)
            end = int(below[0]) if below.size else f.size
            f[:end][t[:end] - ft.stance_start_t > self.thresholds.stance_max_s] = np.nan
        ids = np.floor(t * BASELINE_BIN_HZ).astype(np.int64)
        starts = np.r_[0, np.flatnonzero(np.diff(ids)) + 1]
        with np.errstate(invalid="ignore"):
            mins = np.fmin.reduceat(f, starts)
            maxs = np.fmax.reduceat(f, starts)
        bins = ids[starts]
        if ft.bin_id is not None and bins[0] == ft.bin_id:  # the block continues the open bin
            mins[0] = np.fmin(mins[0], ft.bin_min)
            maxs[0] = np.fmax(maxs[0], ft.bin_max)
        elif ft.bin_id is not None:  # the open bin is complete
            ft.hist.push(np.array([[ft.bin_id / BASELINE_BIN_HZ, ft.bin_min, ft.bin_max]]))
        if bins.size > 1:
            ft.hist.push(np.column_stack([bins[:-1] / BASELINE_BIN_HZ, mins[:-1], maxs[:-1]]))
        ft.bin_id, ft.bin_min, ft.bin_max = int(bins[-1]), float(mins[-1]), float(maxs[-1])

    def _update_thresholds(self, ft: _Foot, t_now_s: float) -> None:
        th = self.thresholds
        h = ft.hist.ordered()
        h = np.vstack([h, [[ft.bin_id / BASELINE_BIN_HZ, ft.bin_min, ft.bin_max]]])
        h = h[(h[:, 0] > t_now_s - BASELINE_WINDOW_S) & np.isfinite(h[:, 1])]
        if not self._long_stance(ft, t_now_s) and h.size:  # standing still: keep the baseline of before
            ft.baseline = float(np.percentile(h[:, 1], th.baseline_percentile))
        b = ft.baseline
        if b is None:
            return
        if self.body_weight is not None:
            r = self.body_weight
        elif ft.peaks:
            r = float(np.median(np.asarray(ft.peaks)))
        elif h.size:  # before the first step: the force range, if the history holds swing and stance
            top = float(h[:, 2].max())
            r = top - b
            if not r >= MIN_RANGE_FRACTION * abs(top):
                r = math.nan
        else:  # the history is all of one long stance: keep the reference of before
            r = ft.reference
        if not r > 0:
            ft.on = ft.off = math.inf
            return
        ft.reference = r
        ft.on = b + th.on_fraction * r
        ft.off = b + th.off_fraction * r

    def _stance(self, ft: _Foot, t: np.ndarray, force: np.ndarray, cop: np.ndarray) -> None:
        if not math.isfinite(ft.on):
            state = np.zeros(t.size, bool)
        else:
            state = hysteresis(force, ft.on, ft.off, ft.in_stance)
        prev = np.r_[ft.in_stance, state[:-1]]
        ics = np.flatnonzero(state & ~prev)
        fos = np.flatnonzero(~state & prev)
        # step peaks and initial contacts: a loop over the few events of the block
        start = 0 if ft.in_stance else None
        reset_at = None
        for i, kind in sorted([(int(i), "ic") for i in ics] + [(int(i), "fo") for i in fos]):
            if kind == "ic":
                start = i
                ft.stance_start_t = float(t[i])
                if t[i] - ft.last_ic_t >= self.thresholds.stance_min_s:
                    ft.last_ic_t = float(t[i])
                    ft.steps += 1
                    reset_at = i
                    ft.stance_peak = -math.inf
            else:
                if start is not None and i > start:
                    ft.stance_peak = max(ft.stance_peak, float(force[start:i].max()))
                if math.isfinite(ft.stance_peak):
                    ft.peaks.append(ft.stance_peak)
                ft.stance_peak = -math.inf
                start = None
        if start is not None and start < t.size:
            ft.stance_peak = max(ft.stance_peak, float(force[start:].max()))
        keep = state & np.isfinite(cop[:, 0])
        if reset_at is not None:
            ft.trail.clear()
            keep[:reset_at] = False
        ft.trail.push(cop[keep])
        ft.in_stance = bool(state[-1])
        last_valid = np.flatnonzero(keep)
        ft.cop = cop[last_valid[-1]].copy() if ft.in_stance and last_valid.size else None

    def on_status(self, status: Any) -> None:
        """Keep the recorder's latest status (the ``on_status`` callback): link health for the view."""
        with self._lock:
            self._status = status

    # ------------------------------------------------------------------ reading (drawing thread)
    def note_draw(self) -> int:
        """Count one drawn frame; return the count."""
        with self._lock:
            self._draws += 1
            return self._draws

    @property
    def draws(self) -> int:
        """Frames drawn so far."""
        return self._draws

    @property
    def frames_in(self) -> dict[str, int]:
        """Frames received per foot."""
        with self._lock:
            return {f: ft.frames_in for f, ft in self._feet.items()}

    def snapshot(self) -> LiveSnapshot:
        """A copy of what to draw now."""
        with self._lock:
            feet = {}
            for foot, ft in self._feet.items():
                t = ft.t.ordered()
                rate = 0.0
                if t.size > 1 and t[-1] > t[0]:
                    rate = (t.size - 1) / float(t[-1] - t[0])
                feet[foot] = FootSnapshot(
                    values=None if ft.values is None else ft.values.copy(),
                    t_s=t,
                    force=ft.force.ordered(),
                    trail_ap_ml=ft.trail.ordered(),
                    cop_ap_ml=None if ft.cop is None else ft.cop.copy(),
                    in_stance=ft.in_stance,
                    frames_in=ft.frames_in,
                    steps=ft.steps,
                    frames_per_s=rate,
                    last_ic_s=ft.last_ic_t if ft.steps else None,
                    threshold_on=ft.on,
                    threshold_off=ft.off,
                    baseline=ft.baseline,
                )
            return LiveSnapshot(feet, self._t_now, self.force_unit, self.pressure_unit, self._status, self._draws)

    def memory_bytes(self) -> int:
        """Bytes held by the ring buffers (bounded: independent of how long the session runs)."""
        with self._lock:
            return sum(r.buf.nbytes for ft in self._feet.values() for r in (ft.t, ft.force, ft.trail, ft.hist))


__all__ = ["BASELINE_WINDOW_S", "FootSnapshot", "LiveSnapshot", "LiveState", "StanceThresholds", "hysteresis"]

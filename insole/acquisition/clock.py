"""Device clock -> host time: a robust online linear fit per foot, and the left/right sync error.

Every frame carries the device clock (``t_device_us``); the host notes when the
bytes of each read arrived (``time.monotonic()``).  The receive time is the
send time plus a link latency that is never negative but varies (USB polling,
UART buffering, the scheduler, injected jitter).  The *lower envelope* of
``receive - device`` is therefore the device clock's offset plus the smallest
latency, and it moves linearly with the clock drift:

1. Points ``(device time, receive time)`` are binned by device time
   (``bin_s``, 1 s to start with); each bin keeps only its point with the
   smallest ``receive - device``: the frame that came through fastest.
2. The line is the lower support of those points (the linear-programming
   estimate of Moon, Skelly and Towsley for clock skew from one-way delays):
   the edge of their lower convex hull above the mean device time, so every
   bin minimum lies on or above it.  Bins whose frames all came late (a busy
   host, a burst after a stall) lie above the line and do not move it.  Until
   the bins span ``min_span_s`` the slope is taken as 1 (a crystal drifts by
   tens of ppm: a few tens of microseconds over that span).
3. The fit's residual is the lower quartile of the distances of the bin
   minima above the line, in milliseconds: a quarter of the seconds had a
   frame at least this close to it, so it says how sharply the fastest frames
   pin the line down (bins that were slow throughout, a busy host, do not
   inflate it).

The number of bins is bounded (``max_bins``: bins are merged pairwise when it
is reached), so memory and the cost of a refit stay flat however long the
recording runs.  A device clock that jumps back by more than ``reset_s`` (a
device reset) restarts the fit.

The fit maps device time to host seconds since the recording's host origin:
``t_host_s = intercept_s + slope * (t_device_s - t0_device_s)``, exactly the
fields of ``/sync/<foot>`` (:data:`insole.store.schema.SYNC_FIELDS`).

Examples
--------
>>> import numpy as np
>>> fit = ClockFit()
>>> t = np.arange(0, 20, 0.01)                       # host seconds of the true scans
>>> dev_us = np.rint(5e6 + t * (1 + 100e-6) * 1e6)   # a clock 100 ppm fast, booted 5 s earlier
>>> latency = np.random.default_rng(0).uniform(0, 0.004, t.size)
>>> for d, r in zip(dev_us, t + latency):
...     fit.add(int(d), float(r))
>>> model = fit.fit()
>>> abs(model.drift_ppm - 100) < 5                  # drift in ppm
True
>>> bool(np.abs(model.to_host_s(dev_us) - t).max() < 0.0005)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np

#: Largest drift accepted for a device clock (a cheap ceramic resonator is 0.5 %).
MAX_DRIFT: Final = 0.02


@dataclass(frozen=True)
class ClockModel:
    """A linear map from one device clock to host time.

    ``t_host_s = intercept_s + slope * (t_device_s - t0_device_s)``, host time in
    seconds since the recording's host origin.

    Attributes
    ----------
    slope : float
        Host seconds per device second (``1 / (1 + drift)``).
    intercept_s : float
        Host time at ``t0_device_s``.
    residual_ms : float
        Lower quartile of the distances of the envelope points above the line,
        in ms (NaN with fewer than 3 points).
    n_points : int
        Envelope points (bins) the fit used.
    t0_device_s : float
        Device time of the fit's origin, in seconds.
    """

    slope: float
    intercept_s: float
    residual_ms: float
    n_points: int
    t0_device_s: float

    def to_host_s(self, t_device_us: np.ndarray) -> np.ndarray:
        """Host seconds of device times (unwrapped microseconds)."""
        d = np.asarray(t_device_us, dtype=np.float64) * 1e-6 - self.t0_device_s
        return self.intercept_s + self.slope * d

    @property
    def drift_ppm(self) -> float:
        """How fast the device clock runs against the host, in parts per million."""
        return (1.0 / self.slope - 1.0) * 1e6

    def as_fields(self) -> dict[str, float]:
        """The ``/sync/<foot>`` fields (:data:`insole.store.schema.SYNC_FIELDS`)."""
        return {"slope": self.slope, "intercept_s": self.intercept_s, "residual_ms": self.residual_ms,
                "n_points": float(self.n_points), "t0_device_s": self.t0_device_s}


_PAIRS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    if n not in _PAIRS:
        _PAIRS[n] = np.triu_indices(n, 1)
    return _PAIRS[n]


def lower_support_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Slope of the line below all points that is highest at their mean ``x``.

    That line runs along the edge of the points' lower convex hull that spans
    the mean ``x`` (points sorted by ``x``; NaN with fewer than 2 distinct ``x``).
    """
    hull: list[int] = []
    for i in range(x.size):  # monotone chain over <= max_bins points
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            if (x[b] - x[a]) * (y[i] - y[a]) - (y[b] - y[a]) * (x[i] - x[a]) <= 0:
                hull.pop()
            else:
                break
        hull.append(i)
    if len(hull) < 2:
        return math.nan
    hx = x[hull]
    k = int(np.clip(np.searchsorted(hx, x.mean(), side="right") - 1, 0, len(hull) - 2))
    a, b = hull[k], hull[k + 1]
    return float((y[b] - y[a]) / (x[b] - x[a])) if x[b] != x[a] else math.nan


def theil_sen_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Median of the pairwise slopes of points with distinct ``x`` (NaN with fewer than 2)."""
    i, j = _pairs(x.size)
    dx = x[j] - x[i]
    ok = dx != 0
    if not ok.any():
        return math.nan
    return float(np.median((y[j] - y[i])[ok] / dx[ok]))


class ClockFit:
    """Robust online fit of one device clock against host receive times.

    Parameters
    ----------
    bin_s : float
        Initial width of an envelope bin, in device seconds.
    max_bins : int
        Bins kept; when exceeded, neighbouring bins merge and ``bin_s`` doubles.
    min_span_s : float
        Device-time span the bins must cover before the slope is estimated.
    reset_s : float
        A device time this much earlier than the latest one restarts the fit.

    Attributes
    ----------
    resets : int
        Times the device clock jumped back and the fit restarted.
    n_added : int
        Points added.
    """

    def __init__(self, bin_s: float = 1.0, max_bins: int = 256, min_span_s: float = 4.0, reset_s: float = 1.0) -> None:
        self.bin_s = float(bin_s)
        self.max_bins = int(max_bins)
        self.min_span_s = float(min_span_s)
        self.reset_s = float(reset_s)
        self.resets = 0
        self.n_added = 0
        self._bins: dict[int, tuple[float, float]] = {}  # bin -> (device s, host s) of the fastest point
        self._d0: float | None = None
        self._d_max = -math.inf
        self._model: ClockModel | None = None

    def add(self, t_device_us: int, t_host_s: float) -> None:
        """Add one point: a frame's device time (unwrapped us) and when its bytes arrived (host s)."""
        d = float(t_device_us) * 1e-6
        r = float(t_host_s)
        if self._d0 is None or d < self._d_max - self.reset_s:
            if self._d0 is not None:
                self.resets += 1
            self._bins.clear()
            self._d0 = d
            self._d_max = d
            self._model = None
        self.n_added += 1
        self._d_max = max(self._d_max, d)
        b = int((d - self._d0) // self.bin_s)
        old = self._bins.get(b)
        if old is None or r - d < old[1] - old[0]:
            self._bins[b] = (d, r)
            if len(self._bins) > self.max_bins:
                self._merge()
        if self._model is None:
            self.fit()

    def _merge(self) -> None:
        self.bin_s *= 2.0
        merged: dict[int, tuple[float, float]] = {}
        for b, (d, r) in self._bins.items():
            nb = b // 2
            old = merged.get(nb)
            if old is None or r - d < old[1] - old[0]:
                merged[nb] = (d, r)
        self._bins = merged

    @property
    def n_points(self) -> int:
        """Envelope points (bins) held."""
        return len(self._bins)

    @property
    def model(self) -> ClockModel | None:
        """The latest fit (None before the first point)."""
        return self._model

    def fit(self) -> ClockModel | None:
        """Refit from the envelope points and return the model (None without points)."""
        if not self._bins or self._d0 is None:
            return None
        pts = np.array(sorted(self._bins.values()))
        d, r = pts[:, 0] - self._d0, pts[:, 1]
        slope = 1.0
        if d.size >= 3 and d[-1] - d[0] >= self.min_span_s:
            est = lower_support_slope(d, r)
            if math.isfinite(est) and abs(est - 1.0) <= MAX_DRIFT:
                slope = est
        res = r - slope * d
        intercept = float(res.min())
        above = res - intercept
        resid_ms = float(np.percentile(above, 25) * 1e3) if d.size >= 3 else math.nan
        self._model = ClockModel(slope, intercept, resid_ms, int(d.size), self._d0)
        return self._model

    def to_host_s(self, t_device_us: np.ndarray) -> np.ndarray:
        """Host seconds of device times with the latest fit (fit first if there is none)."""
        model = self._model or self.fit()
        if model is None:
            raise ValueError("the clock fit has no points yet")
        return model.to_host_s(t_device_us)


@dataclass(frozen=True)
class SyncReport:
    """How well left and right are aligned on the host timeline.

    Attributes
    ----------
    error_ms : float
        Estimated left/right alignment error after mapping both clocks to host
        time: the two fits' residuals added in quadrature.  A constant
        difference between the two links' latencies is invisible to any
        host-side method and not included (identical links cancel).
    drift_ppm : float
        How fast the left device clock ran against the right one.
    drift_ms : float
        How far the two device clocks drifted apart over the recording: the
        error aligning by device time alone would have made (beyond their
        unknown start offsets).
    duration_s : float
        Host seconds the fits cover.
    """

    error_ms: float
    drift_ppm: float
    drift_ms: float
    duration_s: float

    def as_attrs(self) -> dict[str, float]:
        """Attributes of ``/sync`` (``lr_error_ms``, ``lr_drift_ppm``, ``lr_drift_ms``, ``lr_duration_s``)."""
        return {"lr_error_ms": self.error_ms, "lr_drift_ppm": self.drift_ppm, "lr_drift_ms": self.drift_ms,
                "lr_duration_s": self.duration_s}


def sync_report(left: ClockModel, right: ClockModel, duration_s: float) -> SyncReport:
    """The left/right synchronisation of two fitted clocks over ``duration_s`` host seconds."""
    res = [m.residual_ms if math.isfinite(m.residual_ms) else 0.0 for m in (left, right)]
    drift_ppm = left.drift_ppm - right.drift_ppm
    return SyncReport(
        error_ms=float(math.hypot(*res)),
        drift_ppm=float(drift_ppm),
        drift_ms=float(abs(drift_ppm) * 1e-6 * duration_s * 1e3),
        duration_s=float(duration_s),
    )


__all__ = ["MAX_DRIFT", "ClockFit", "ClockModel", "SyncReport", "lower_support_slope", "sync_report", "theil_sen_slope"]

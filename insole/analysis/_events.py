"""Stance detection and temporal parameters (science.md 2.2, 2.3).

The total force is low-passed (when the sampling rate allows), a sliding
baseline ``b`` (5th percentile per 30-s window, interpolated between window
centres) follows drift, and the compiled hysteresis kernel finds stances with
sub-sample initial contact and toe-off on ``b + 2 % R``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.signal import butter, sosfiltfilt

from insole import kernels
from insole.analysis._params import GRAVITY, AnalysisParams


@dataclass
class Steps:
    """Accepted stances of one foot (arrays of equal length)."""

    ic_s: np.ndarray
    to_s: np.ndarray
    ic_idx: np.ndarray  #: fractional frame index
    to_idx: np.ndarray
    k0: np.ndarray  #: first frame inside the stance
    k1: np.ndarray  #: one past the last frame inside
    peak_force_n: np.ndarray
    partial: np.ndarray  #: cut by the start or end of the recording (or the window)
    flags: list[list[str]] = field(default_factory=list)
    long_contact: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  #: longer than max_stance_s

    @property
    def n(self) -> int:
        """Number of steps."""
        return int(self.ic_s.size)


@dataclass
class Thresholds:
    """How stances were detected for one foot."""

    reference_n: float
    reference_source: str
    baseline_n: np.ndarray
    lowpass_hz: float | None


def sampling_rate_hz(t_s: np.ndarray, nominal: float | None) -> float:
    """Nominal rate when given, else the median frame interval."""
    if nominal:
        return float(nominal)
    if t_s.size < 2:
        return float("nan")
    return float(1.0 / np.median(np.diff(t_s)))


def _lowpass(force: np.ndarray, fs: float, running: bool, p: AnalysisParams) -> tuple[np.ndarray, float | None]:
    fc = p.lowpass_run_hz if running else p.lowpass_walk_hz
    if fs < 200.0 or force.size < 30:
        return force, None
    sos = butter(4, fc, fs=fs, output="sos")
    return sosfiltfilt(sos, force), fc


def sliding_baseline(force: np.ndarray, fs: float, p: AnalysisParams) -> np.ndarray:
    """5th percentile per window of ``baseline_window_s``, linearly interpolated between window centres."""
    n = force.size
    if n == 0:
        return np.zeros(0)
    w = max(1, round(p.baseline_window_s * fs))
    starts = np.arange(0, n, w)
    if starts.size == 1:
        return np.full(n, np.percentile(force, p.baseline_percentile))
    values = np.array([np.percentile(force[s:s + w], p.baseline_percentile) for s in starts])  # per window
    centres = np.minimum(starts + w / 2.0, n - 1)
    return np.interp(np.arange(n), centres, values)


def _detect(force: np.ndarray, base: np.ndarray, ref: float, p: AnalysisParams):
    return kernels.stance_events(force, base + p.on_fraction * ref, base + p.off_fraction * ref,
                                 base + p.event_fraction * ref)


def _at(t: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Time at fractional frame indices (linear between frames); NaN stays NaN."""
    out = np.full(idx.shape, np.nan)
    ok = np.isfinite(idx)
    if t.size:
        out[ok] = np.interp(idx[ok], np.arange(t.size), t)
    return out


def detect_steps(t_s: np.ndarray, force_n: np.ndarray, fs: float, *, body_mass_kg: float | None, running: bool,
                 p: AnalysisParams, warnings: list[str], foot: str) -> tuple[Steps, Thresholds]:
    """Stances of one foot from its total force (science.md 2.2)."""
    f, fc = _lowpass(force_n, fs, running, p)
    base = sliding_baseline(f, fs, p)
    n = f.size
    # reference force R: body weight if the insole reads it, else the median step peak
    provisional_ref = float(np.percentile(f - base, 99.0)) if n else 0.0
    peaks = np.zeros(0)
    if provisional_ref > 0:
        ev = _detect(f, base, provisional_ref, p)
        if ev.on_idx.size:
            peaks = kernels.segment_stats(f, ev.on_idx, np.maximum(ev.off_idx, ev.on_idx + 1)).maxima
            peaks = peaks[np.isfinite(peaks)]
    median_peak = float(np.median(peaks) - np.median(base)) if peaks.size else float("nan")
    bw = body_mass_kg * GRAVITY if body_mass_kg else None
    if bw and (not np.isfinite(median_peak) or median_peak >= 0.6 * bw):
        ref, source = bw, "body weight"
    elif np.isfinite(median_peak) and median_peak > 0:
        ref, source = median_peak, "median step peak"
        if bw:
            warnings.append(f"{foot}: the insole reads step peaks of {100 * median_peak / bw:.0f}% of body weight; "
                            "stance thresholds use the step peaks instead")
    else:
        ref, source = (bw or 0.0), "body weight" if bw else "none"
    th = Thresholds(ref, source, base, fc)
    if ref <= 0 or n < 3:
        return _empty_steps(), th
    ev = _detect(f, base, ref, p)
    ic_idx, to_idx = ev.ic_idx.copy(), ev.to_idx.copy()
    on_idx, off_idx = ev.on_idx.copy(), ev.off_idx.copy()
    ic_s, to_s = _at(t_s, ic_idx), _at(t_s, to_idx)
    min_peak = (p.min_peak_run if running else p.min_peak_walk) * ref
    # 1. fragments too weak to be a step (a toe tap, a light touch before the strike) go
    #    first, so that the chatter rule cannot merge them into the step next to them
    stats = kernels.segment_stats(f, on_idx, np.maximum(off_idx, on_idx + 1))
    peak = stats.maxima - base[np.clip(on_idx, 0, n - 1)]
    strong = peak >= min_peak
    ic_s, to_s, ic_idx, to_idx, on_idx, off_idx, peak = (a[strong] for a in (ic_s, to_s, ic_idx, to_idx, on_idx, off_idx, peak))
    # 2. merge stances separated by a swing shorter than min_swing (chatter)
    if ic_s.size > 1:
        keep = np.ones(ic_s.size, dtype=bool)
        swing = ic_s[1:] - to_s[:-1]
        merge = np.flatnonzero(swing < p.min_swing_s)
        for i in merge[::-1]:  # per merge, not per frame
            to_s[i], to_idx[i], off_idx[i] = to_s[i + 1], to_idx[i + 1], off_idx[i + 1]
            peak[i] = max(peak[i], peak[i + 1])
            keep[i + 1] = False
        ic_s, to_s, ic_idx, to_idx, on_idx, off_idx, peak = (a[keep] for a in (ic_s, to_s, ic_idx, to_idx, on_idx, off_idx, peak))
    partial = ~np.isfinite(ic_s) | ~np.isfinite(to_s)
    # 3. too short: chatter, rejected; too long: a real contact (a pivot turn, standing), kept
    #    as a step but flagged and left out of summaries
    accept = partial | ((to_s - ic_s) >= p.min_stance_s)
    ic_s, to_s, ic_idx, to_idx, on_idx, off_idx, peak, partial = (
        a[accept] for a in (ic_s, to_s, ic_idx, to_idx, on_idx, off_idx, peak, partial))
    # refractory: no new IC within min_stance of the previous one
    if ic_s.size > 1:
        ok = np.concatenate([[True], ~(np.diff(ic_s) < p.min_stance_s)])
        ic_s, to_s, ic_idx, to_idx, on_idx, off_idx, peak, partial = (
            a[ok] for a in (ic_s, to_s, ic_idx, to_idx, on_idx, off_idx, peak, partial))
    long_contact = ~partial & ((to_s - ic_s) > p.max_stance_s)
    k0 = np.where(np.isfinite(ic_idx), np.ceil(np.nan_to_num(ic_idx)), on_idx).astype(np.intp)
    k1 = np.where(np.isfinite(to_idx), np.floor(np.nan_to_num(to_idx)) + 1, off_idx).astype(np.intp)
    k1 = np.clip(np.maximum(k1, k0 + 1), 0, n)
    flags = [["long contact (turn or standing)"] if lc else [] for lc in long_contact]
    steps = Steps(ic_s, to_s, ic_idx, to_idx, k0, k1, peak, partial, flags, long_contact)
    return steps, th


def _empty_steps() -> Steps:
    z = np.zeros(0)
    zi = np.zeros(0, dtype=np.intp)
    return Steps(z, z, z, z, zi, zi, z, np.zeros(0, bool), [], np.zeros(0, bool))


def flag_exclusions(steps: Steps, p: AnalysisParams) -> np.ndarray:
    """Steps left out of summaries (flagged, never deleted): partial, initiation,
    termination and outlier strides (turns) beyond ``outlier_mads`` scaled MADs."""
    n = steps.n
    excluded = steps.partial.copy()
    if steps.long_contact.size:
        excluded |= steps.long_contact
    for i in np.flatnonzero(steps.partial):
        steps.flags[i].append("partial")
    if n < 3:
        return excluded
    stride = np.diff(steps.ic_s)
    good = np.isfinite(stride)
    if good.sum() < 3:
        return excluded
    med = np.median(stride[good])
    mad = 1.4826 * np.median(np.abs(stride[good] - med))
    mad = max(mad, 0.02 * med)
    # bouts: a pause longer than twice the median stride splits the walk
    pause = np.concatenate([[True], ~(stride < 2.0 * med)])  # True where a bout starts
    bout_start = np.flatnonzero(pause)
    bout_end = np.concatenate([bout_start[1:] - 1, [n - 1]])
    for s, e in zip(bout_start, bout_end):
        for i, flag in ((s, "initiation"), (e, "termination")):
            if flag not in steps.flags[i]:
                steps.flags[i].append(flag)
            excluded[i] = True
    outlier = np.zeros(n, bool)
    out_stride = good & (np.abs(stride - med) > p.outlier_mads * mad) & (stride < 2.0 * med)
    outlier[:-1] |= out_stride
    for i in np.flatnonzero(outlier):
        steps.flags[i].append("outlier stride (turn?)")
    excluded |= outlier
    return excluded

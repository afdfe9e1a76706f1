"""Readable NumPy twins of the compiled kernels: the specification they are tested against.

Each function has the same name, signature and edge-case behaviour as its
compiled counterpart in ``ext/``; the public, validating wrappers live in
:mod:`insole.kernels`.
"""

from __future__ import annotations

import numpy as np


def frame_features(
    values: np.ndarray,
    scale: np.ndarray,
    ap: np.ndarray,
    ml: np.ndarray,
    region_ptr: np.ndarray,
    region_idx: np.ndarray,
    region_w: np.ndarray,
    floor_value: float,
    cop_min_force_n: float,
    min_active: int,
    calibrated: bool,
    offset: np.ndarray,
    gain: np.ndarray,
    force_out: np.ndarray,
    cop_out: np.ndarray,
    region_out: np.ndarray,
    num_threads: int,
) -> None:
    """Total force, centre of pressure and region forces per frame (science.md 1.1, 1.2, 6.3).

    With ``p`` the physical value of sensor ``i`` (``(count - offset) * gain``
    when ``calibrated``), a sensor is loaded when ``p > 0`` and
    ``p >= floor_value``; its force is ``F_i = p * scale_i`` (0 when unloaded)::

        F   = sum_i F_i
        COP = (sum_i F_i * ap_i, sum_i F_i * ml_i) / F
        COP = NaN  if F <= 0 or F < cop_min_force_n or n_loaded < min_active
        F_r = sum over the CSR entries k of region r of F[region_idx[k]] * region_w[k]

    Outputs are written in place; ``num_threads`` is accepted for signature
    parity and ignored.
    """
    del num_threads
    p = np.asarray(values, dtype=np.float64)
    if calibrated:
        p = (p - offset) * gain
    loaded = (p > 0.0) & (p >= floor_value)
    force = np.where(loaded, p * scale, 0.0)
    total = force.sum(axis=1)
    n_loaded = loaded.sum(axis=1)
    # plain row sums, not BLAS products: a frame's result must not depend on where the frame
    # sits in memory (chunked analysis equals whole-file analysis bit for bit)
    with np.errstate(invalid="ignore", divide="ignore"):
        cop_ap = (force * ap).sum(axis=1) / total
        cop_ml = (force * ml).sum(axis=1) / total
    invalid = (total <= 0.0) | (total < cop_min_force_n) | (n_loaded < min_active)
    cop_ap[invalid] = np.nan
    cop_ml[invalid] = np.nan
    force_out[:] = total
    cop_out[:, 0] = cop_ap
    cop_out[:, 1] = cop_ml
    for r in range(region_out.shape[1]):  # per region, vectorised over frames
        sl = slice(region_ptr[r], region_ptr[r + 1])
        region_out[:, r] = (force[:, region_idx[sl]] * region_w[sl]).sum(axis=1)


def stance_events(
    force: np.ndarray,
    on: np.ndarray,
    off: np.ndarray,
    evt: np.ndarray,
    on_idx: np.ndarray,
    off_idx: np.ndarray,
    ic_idx: np.ndarray,
    to_idx: np.ndarray,
) -> int:
    """Hysteresis stance detection with sub-sample events (science.md 2.2); returns the stance count.

    State: swing -> stance when ``force > on``, stance -> swing when
    ``force < off`` (the recording starts in swing).  ``on_idx``: first stance
    sample; ``off_idx``: first swing sample (``n`` if the recording ends in
    stance).  Initial contact: linear crossing of ``evt`` after the last
    sample at or below ``evt`` since the previous stance ended; toe-off: the
    crossing before the first sample at or below ``evt`` before the next
    stance begins.  Without such a sample in that swing, the crossing of
    ``on`` (initial contact) or ``off`` (toe-off) is used instead; NaN when
    the recording starts or ends inside the stance.
    """
    n = force.size
    above_on = force > on
    below_off = force < off
    # hysteresis: the state is the last decisive sample (+1 above on, -1 below off)
    decisive = np.where(above_on, 1, np.where(below_off, -1, 0))
    idx = np.where(decisive != 0, np.arange(n), -1)
    last = np.maximum.accumulate(idx) if n else idx
    state = np.where(last >= 0, decisive[np.maximum(last, 0)], -1)
    stance = state == 1
    starts = np.flatnonzero(stance[1:] & ~stance[:-1]) + 1
    if n and stance[0]:
        starts = np.concatenate([[0], starts])
    ends = np.flatnonzero(~stance[1:] & stance[:-1]) + 1
    if n and stance[-1]:
        ends = np.concatenate([ends, [n]])
    count = starts.size
    le = force <= evt
    last_le = np.maximum.accumulate(np.where(le, np.arange(n), -1)) if n else np.zeros(0, int)
    next_le = np.minimum.accumulate(np.where(le, np.arange(n), n)[::-1])[::-1] if n else np.zeros(0, int)
    g_evt, g_on, g_off = force - evt, force - on, force - off

    def crossing(g: np.ndarray, j: int, rising: bool) -> float:
        g0, g1 = g[j], g[j + 1]
        if g0 == g1:
            return float(j if rising else j + 1)
        return j + ((0.0 - g0) / (g1 - g0) if rising else g0 / (g0 - g1))

    for s in range(count):  # per stance, not per frame
        i, e = starts[s], ends[s]
        on_idx[s], off_idx[s] = i, e
        previous_off = ends[s - 1] if s > 0 else 0
        if i == 0:
            ic_idx[s] = np.nan
        elif last_le[i - 1] >= previous_off:
            ic_idx[s] = crossing(g_evt, last_le[i - 1], rising=True)
        else:
            ic_idx[s] = crossing(g_on, i - 1, rising=True)
        if e >= n:
            to_idx[s] = np.nan
            continue
        next_start = starts[s + 1] if s + 1 < count else n
        k = next_le[e]
        if k < next_start:
            to_idx[s] = crossing(g_evt, k - 1, rising=False)
        else:
            to_idx[s] = crossing(g_off, e - 1, rising=False)
    return count


def segment_reduce(
    x: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    sums: np.ndarray,
    maxima: np.ndarray,
    argmax: np.ndarray,
) -> None:
    """NaN-ignoring sum, maximum and index of the maximum of ``x[starts[s]:stops[s]]`` per column.

    An empty range, or a column that is all NaN in it, gives sum 0, maximum
    NaN and argmax -1.
    """
    for s in range(starts.size):  # per step, vectorised over frames and columns
        seg = x[starts[s]:stops[s]]
        sums[s] = np.nansum(seg, axis=0) if seg.shape[0] else 0.0
        if seg.shape[0] == 0:
            maxima[s], argmax[s] = np.nan, -1
            continue
        valid = ~np.isnan(seg)
        filled = np.where(valid, seg, -np.inf)
        am = np.argmax(filled, axis=0)
        any_valid = valid.any(axis=0)
        maxima[s] = np.where(any_valid, filled[am, np.arange(seg.shape[1])], np.nan)
        argmax[s] = np.where(any_valid, am + starts[s], -1)


def region_pressure(
    values: np.ndarray,
    calibrated: bool,
    offset: np.ndarray,
    gain: np.ndarray,
    floor_value: float,
    area_mm2: np.ndarray,
    region_ptr: np.ndarray,
    region_idx: np.ndarray,
    region_w: np.ndarray,
    peak_out: np.ndarray,
    area_out: np.ndarray,
    num_threads: int,
) -> None:
    """Per frame and region: highest loaded value and loaded area.

    ``peak[i, r] = max(p[i, j] for sensors j of region r, loaded)`` (0 if none);
    ``area[i, r] = sum(w_jr * area_j for loaded sensors j)``, a sensor being
    loaded when ``p > 0`` and ``p >= floor_value``.
    """
    del num_threads
    p = np.asarray(values, dtype=np.float64)
    if calibrated:
        p = (p - offset) * gain
    loaded = (p > 0.0) & (p >= floor_value)
    lp = np.where(loaded, p, 0.0)
    for r in range(peak_out.shape[1]):  # per region, vectorised over frames
        sl = slice(region_ptr[r], region_ptr[r + 1])
        idx, w = region_idx[sl], region_w[sl]
        if idx.size == 0:
            peak_out[:, r] = 0.0
            area_out[:, r] = 0.0
            continue
        peak_out[:, r] = lp[:, idx].max(axis=1)
        area_out[:, r] = loaded[:, idx] @ (w * area_mm2[idx])


# ---------------------------------------------------------------------------- step kernels
# Twins of ext/step_kernels.pyx: one short NumPy/SciPy expression per frame range.


def segment_sum(x: np.ndarray, starts: np.ndarray, stops: np.ndarray, sums: np.ndarray) -> None:
    """Sum of each column of ``x[starts[s]:stops[s]]``, as ``x[a:b, j].sum()``.

    NumPy's pairwise summation, NaN propagates, an empty range sums to 0.
    """
    for s in range(starts.size):  # per range and column, vectorised over frames
        for c in range(x.shape[1]):
            sums[s, c] = x[starts[s]:stops[s], c].sum()



def segment_stats(
    x: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    sums: np.ndarray,
    maxima: np.ndarray,
    argmax: np.ndarray,
    minima: np.ndarray,
) -> None:
    """NaN-ignoring sum (frame by frame, in order), maximum, index of the first maximum and
    minimum of each column of ``x[starts[s]:stops[s]]``.

    An empty range, or a column that is all NaN in it, gives sum 0, maximum and minimum
    NaN and argmax -1 (sums, maxima and argmax as :func:`segment_reduce`).
    """
    segment_reduce(x, starts, stops, sums, maxima, argmax)
    for s in range(starts.size):  # per step, vectorised over frames and columns
        seg = x[starts[s]:stops[s]]
        if seg.shape[0] == 0:
            minima[s] = np.nan
            continue
        valid = ~np.isnan(seg)
        filled = np.where(valid, seg, np.inf)
        minima[s] = np.where(valid.any(axis=0), filled.min(axis=0), np.nan)
        # frame by frame, as the compiled kernel adds
        sums[s] = np.concatenate([np.zeros((1, seg.shape[1])), np.where(valid, seg, 0.0)]).cumsum(axis=0)[-1]


def segment_first(
    x: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    thresholds: np.ndarray,
    below: bool,
    count: bool,
    first_out: np.ndarray,
    count_out: np.ndarray,
) -> None:
    """First index ``i`` in ``[starts[s], stops[s])`` with ``x[i] >= thresholds[s]``
    (``x[i] < thresholds[s]`` when ``below``), -1 if none; with ``count`` also how many
    frames of the range satisfy the test.  NaN never satisfies either test.
    """
    for s in range(starts.size):  # per range, vectorised over frames
        seg = x[starts[s]:stops[s]]
        hit = seg < thresholds[s] if below else seg >= thresholds[s]
        idx = np.flatnonzero(hit)
        first_out[s] = starts[s] + idx[0] if idx.size else -1
        if count:
            count_out[s] = idx.size


def segment_resample(
    x: np.ndarray,
    y: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    grid: np.ndarray,
    out: np.ndarray,
    unsorted: np.ndarray,
) -> None:
    """``np.interp(grid, x[ok], y[ok])`` per range (``ok``: both finite), NaN outside
    ``[x[ok][0], x[ok][-1]]`` (never extrapolates) and when fewer than 2 points are ok.

    ``unsorted[s]`` flags ranges whose ``x[ok]`` decreases somewhere (interpolated all the same).
    """
    for s in range(starts.size):  # per range, vectorised over frames and grid points
        xs, ys = x[starts[s]:stops[s]], y[starts[s]:stops[s]]
        ok = np.isfinite(xs) & np.isfinite(ys)
        xs, ys = xs[ok], ys[ok]
        unsorted[s] = bool(np.any(np.diff(xs) < 0))
        if xs.size < 2:
            out[s] = np.nan
            continue
        row = np.interp(grid, xs, ys)
        row[(grid < xs[0]) | (grid > xs[-1])] = np.nan
        out[s] = row


def segment_sosfiltfilt(
    sos: np.ndarray,
    zi: np.ndarray,
    x: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    padlen: int,
    out: np.ndarray,
) -> None:
    """``scipy.signal.sosfiltfilt(sos, x[a:b], axis=0, padlen=padlen)`` into ``out[a:b]`` per
    range (``zi``, ``sosfilt_zi(sos)``, is recomputed by SciPy; every range must be longer
    than ``padlen``).  Rows outside the ranges are left untouched.
    """
    from scipy.signal import sosfiltfilt

    del zi
    for s in range(starts.size):  # per range
        out[starts[s]:stops[s]] = sosfiltfilt(sos, x[starts[s]:stops[s]], axis=0, padlen=padlen)


def segment_first_peak(x: np.ndarray, starts: np.ndarray, stops: np.ndarray, min_prominence: float, out: np.ndarray) -> None:
    """Index of the first peak of ``x[a:b]`` with prominence >= ``min_prominence``
    (``scipy.signal.find_peaks``, the whole range as window), -1 if none.
    """
    from scipy.signal import find_peaks

    for s in range(starts.size):  # per range
        peaks, _ = find_peaks(x[starts[s]:stops[s]], prominence=min_prominence)
        out[s] = starts[s] + peaks[0] if peaks.size else -1


def sensor_accumulate(
    values: np.ndarray,
    loaded: np.ndarray,
    calibrated: bool,
    offset: np.ndarray,
    gain: np.ndarray,
    floor_value: float,
    peak: np.ndarray,
    sums: np.ndarray,
) -> None:
    """Per-sensor maximum and sum, over the frames flagged in ``loaded``, of the physical
    value ``p`` (``(count - offset) * gain`` when ``calibrated``), with ``p`` counted as 0
    unless ``p >= floor_value``; accumulated into ``peak`` and ``sums`` frame by frame.
    """
    p = np.asarray(values[loaded.astype(bool)], dtype=np.float64)
    if calibrated:
        p = (p - offset) * gain
    p = np.where(p >= floor_value, p, 0.0)
    if p.shape[0]:
        np.maximum(peak, p.max(axis=0), out=peak)
        # frame by frame from the running sums (a cumulative sum adds in that order)
        sums[:] = np.concatenate([sums[None, :], p]).cumsum(axis=0)[-1]

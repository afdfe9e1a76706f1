"""Per-step kernels (``ext/step_kernels.pyx``, ``ext/stance.pyx``) against their NumPy twins, the best NumPy
formulation and one read of the data.

Run: ``python benchmarks/bench_step_kernels.py [--minutes 10] [--rounds 5] [--quick] [--json OUT.json]``

The per-step stage of the analysis reduces per-frame series of one foot over the frame
ranges of its steps.  This script builds such series for ``--minutes`` of walking (one
foot, 55 steps a minute, stance 62 % of a 1.09 s stride, a double-humped force curve, the
force shared among the layout's regions) at the two rates of the analysis benchmark:
``pedar-99`` at 100 Hz (9 regions) and ``fscan-60x21`` at 500 Hz (13 regions), and times,
on the same arrays:

- one read: ``np.sum`` over the input array(s) of the call (all frames, stance and swing);
- the compiled kernel (``insole._ext``; these kernels are single-threaded);
- the best NumPy formulation, checked against the kernel's result before timing:
  * ``segment_sum``: ``np.add.reduceat`` over the interleaved starts and stops;
  * ``segment_stats``: ``np.add.reduceat`` (NaN zeroed), ``np.fmax.reduceat`` and
    ``np.fmin.reduceat`` (no argmax: flatters NumPy);
  * ``segment_first``: the frames of all ranges gathered, compared with the repeated
    thresholds, first hit by ``np.minimum.reduceat``;
  * ``segment_resample``: one ``np.interp`` over all steps (each step's abscissa shifted so
    that the whole series increases; equal to the kernel's to about 1e-11), points outside a
    step's span set to NaN;
  * ``sensor_accumulate``: the loaded frames gathered, floored by ``np.where``, ``max`` and
    ``sum`` over frames (a pairwise sum: not frame by frame in order as the kernel adds);
  * ``segment_sosfiltfilt``, ``segment_first_peak``, ``stance_events``: none beyond the twin
    (SciPy's ``sosfiltfilt`` / ``find_peaks`` per range; a sequential hysteresis);
- the NumPy twin (``insole.kernels._reference``, the readable specification).

Ratios are reported: kernel time / one read (lower is better), NumPy time / kernel time
(higher is better).  ``--quick`` uses 0.5 minute and 2 rounds (a smoke run).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _harness import best_time_s, emit

from insole import kernels
from insole.features import FeatureSpec
from insole.kernels import _reference
from insole.layout import get_layout

#: (label, layout, rate_hz)
CASES = (("pedar-99, 100 Hz", "pedar-99", 100.0), ("fscan-60x21, 500 Hz", "fscan-60x21", 500.0))
STRIDE_S = 60.0 / 55.0  # one foot: 55 strides a minute
STANCE_FRACTION = 0.62
GRID_POINTS = 101  # the gait line's resampling grid (insole.analysis)


def _walk(minutes: float, rate_hz: float, n_regions: int, rng: np.random.Generator) -> dict:
    """Per-frame series of one walking foot, and its stance ranges ``[k0, k1)``."""
    n = round(minutes * 60.0 * rate_hz)
    stride = STRIDE_S * rate_hz
    n_steps = max(1, int((n - 2 * stride) // stride))
    k0 = (stride * (0.5 + np.arange(n_steps)) + rng.uniform(-0.03, 0.03, n_steps) * rate_hz).astype(np.intp)
    length = np.rint(STANCE_FRACTION * stride * rng.uniform(0.95, 1.05, n_steps)).astype(np.intp)
    k1 = k0 + length  # the last range ends well before the last frame (swing follows)
    tau = np.full(n, np.nan)  # fraction of stance, NaN in swing
    sid = np.repeat(np.arange(n_steps), length)
    frame = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length - k0, length)
    tau[frame] = (frame - k0[sid]) / (length[sid] - 1)
    bw = 700.0
    stance = ~np.isnan(tau)
    t = np.where(stance, tau, 0.0)
    hump = 1.1 * np.exp(-(((t - 0.22) / 0.13) ** 2)) + 1.08 * np.exp(-(((t - 0.76) / 0.13) ** 2))
    force = np.where(stance, bw * (0.72 * np.sin(np.pi * t) + 0.45 * hump), 0.0)
    force += rng.normal(0.0, 2.0, n)  # sensor noise
    # regions: heel early, midfoot in between, forefoot and toes late
    centre = np.linspace(0.1, 0.95, n_regions)
    share = np.exp(-(((t[:, None] - centre[None, :]) / 0.25) ** 2))
    share /= share.sum(axis=1, keepdims=True)
    region = np.where(stance[:, None], force[:, None] * share, 0.0)
    ap = np.where(stance & (force > 20.0), 0.05 + 0.85 * t + rng.normal(0, 0.005, n), np.nan)
    return {"n": n, "k0": k0, "k1": k1, "length": length, "frame": frame, "tau": tau, "force": force,
            "region": np.ascontiguousarray(region), "ap": ap}


def _interleave(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Indices for ``ufunc.reduceat`` (non-empty, sorted, non-overlapping ranges ending before the end)."""
    idx = np.empty(2 * starts.size, dtype=np.intp)
    idx[0::2], idx[1::2] = starts, stops
    return idx


def _timed(fn, rounds: int, min_time_s: float) -> float:
    """Best time of one call over ``rounds`` rounds, each looping to ``min_time_s``."""
    return best_time_s(fn, repeat=rounds, min_time_s=min_time_s)


def _kernel_cases(w: dict, layout, rate_hz: float, block_frames: int, rng: np.random.Generator) -> list[tuple]:
    """(name, compiled call, twin call, best NumPy call or None, check, one-read call, segments, frames)."""
    step = kernels._COMPILED["step_kernels"]
    stance = kernels._COMPILED["stance"]
    k0, k1, n = w["k0"], w["k1"], w["n"]
    m_seg = k0.size
    in_steps = int((k1 - k0).sum())
    rf = w["region"]
    c = rf.shape[1]
    idx = _interleave(k0, k1)
    out = []

    # segment_sum: region forces over each stance (mean force per region)
    sums = np.empty((m_seg, c))
    out.append(("segment_sum", lambda: step.segment_sum(rf, k0, k1, sums),
                lambda: _reference.segment_sum(rf, k0, k1, sums),
                lambda: np.add.reduceat(rf, idx, axis=0)[0::2],
                lambda r: np.testing.assert_allclose(r, kernels.segment_sum(rf, k0, k1), rtol=1e-12),
                rf.sum, m_seg, in_steps))

    # segment_stats: sum, max, argmax, min of the region forces (force-time integral, peaks)
    st_out = (np.empty((m_seg, c)), np.empty((m_seg, c)), np.empty((m_seg, c), np.intp), np.empty((m_seg, c)))

    def np_stats():
        z = np.where(np.isnan(rf), 0.0, rf)
        return (np.add.reduceat(z, idx, axis=0)[0::2], np.fmax.reduceat(rf, idx, axis=0)[0::2],
                np.fmin.reduceat(rf, idx, axis=0)[0::2])

    def check_stats(r):
        ref = kernels.segment_stats(rf, k0, k1)
        np.testing.assert_allclose(r[0], ref.sums, rtol=1e-12)
        np.testing.assert_array_equal(r[1], ref.maxima)
        np.testing.assert_array_equal(r[2], ref.minima)

    out.append(("segment_stats", lambda: step.segment_stats(rf, k0, k1, *st_out),
                lambda: _reference.segment_stats(rf, k0, k1, *st_out), np_stats, check_stats, rf.sum, m_seg, in_steps))

    # segment_first: first frame of each stance at 20 % of its peak force (loading-rate onset)
    force = w["force"]
    thr = 0.2 * np.add.reduceat(force, idx)[0::2] / w["length"]
    first, hits = np.empty(m_seg, np.intp), np.empty(0, np.intp)
    length = k1 - k0
    offsets = np.cumsum(length) - length

    def np_first():
        frames = np.arange(length.sum()) - np.repeat(offsets - k0, length)
        pos = np.where(force[frames] >= np.repeat(thr, length), frames, n)
        f = np.minimum.reduceat(pos, offsets)
        return np.where(f == n, -1, f)

    out.append(("segment_first", lambda: step.segment_first(force, k0, k1, thr, False, False, first, hits),
                lambda: _reference.segment_first(force, k0, k1, thr, False, False, first, hits), np_first,
                lambda r: np.testing.assert_array_equal(r, kernels.segment_first(force, k0, k1, thr).first),
                force.sum, m_seg, in_steps))

    # segment_resample: the gait line (COP ap against the fraction of stance) on 101 points, over the
    # gathered stance frames as the analysis does
    frame = w["frame"]
    tau, ap = np.ascontiguousarray(w["tau"][frame]), np.ascontiguousarray(w["ap"][frame])
    g_st, g_sp = offsets.astype(np.intp), (offsets + length).astype(np.intp)
    grid = np.linspace(0.0, 1.0, GRID_POINTS)
    res = np.empty((m_seg, GRID_POINTS))
    uns = np.zeros(m_seg, np.uint8)
    sid = np.repeat(np.arange(m_seg), length)

    def np_resample():
        ok = np.isfinite(tau) & np.isfinite(ap)
        shift = 4.0 * sid[ok]  # tau lies in [0, 1]: shifted steps never overlap
        x = tau[ok] + shift
        counts = np.bincount(sid[ok], minlength=m_seg)
        last = np.cumsum(counts) - 1
        lo, hi = np.full(m_seg, np.inf), np.full(m_seg, -np.inf)
        has = counts >= 2
        lo[has], hi[has] = x[last[has] - counts[has] + 1], x[last[has]]
        g = grid[None, :] + 4.0 * np.arange(m_seg)[:, None]
        r = np.interp(g.ravel(), x, ap[ok]).reshape(m_seg, GRID_POINTS)
        r[(g < lo[:, None]) | (g > hi[:, None])] = np.nan
        return r

    out.append(("segment_resample", lambda: step.segment_resample(tau, ap, g_st, g_sp, grid, res, uns),
                lambda: _reference.segment_resample(tau, ap, g_st, g_sp, grid, res, uns), np_resample,
                # the shift costs a few bits of the abscissa: equal to about 1e-11
                lambda r: np.testing.assert_allclose(r, kernels.segment_resample(tau, ap, g_st, g_sp, grid),
                                                     rtol=1e-9, atol=1e-9),
                lambda: tau.sum() + ap.sum(), m_seg, int(length.sum())))

    # segment_sosfiltfilt: zero-phase 4th-order low-pass of the COP (x, y) over each stance
    from scipy.signal import butter, sosfilt_zi

    sos = np.ascontiguousarray(butter(4, min(20.0, rate_hz / 5.0), fs=rate_hz, output="sos"))
    zi = np.ascontiguousarray(sosfilt_zi(sos))
    xy = np.ascontiguousarray(np.column_stack([np.nan_to_num(w["ap"]) * 260.0, np.nan_to_num(w["ap"]) * 12.0]))
    padlen = kernels.sosfilt_padlen(sos)
    long = length > padlen
    f_st, f_sp = np.ascontiguousarray(k0[long]), np.ascontiguousarray(k1[long])
    filt = xy.copy()
    out.append(("segment_sosfiltfilt", lambda: step.segment_sosfiltfilt(sos, zi, xy, f_st, f_sp, padlen, filt),
                lambda: _reference.segment_sosfiltfilt(sos, zi, xy, f_st, f_sp, padlen, filt), None, None,
                xy.sum, int(f_st.size), int((f_sp - f_st).sum())))

    # segment_first_peak: impact peak in the first quarter of each stance (prominence 0.1 BW)
    force_bw = force / 700.0
    early_stop = np.ascontiguousarray(k0 + np.maximum(3, (0.25 * length).astype(np.intp)))
    peaks = np.empty(m_seg, np.intp)
    out.append(("segment_first_peak", lambda: step.segment_first_peak(force_bw, k0, early_stop, 0.1, peaks),
                lambda: _reference.segment_first_peak(force_bw, k0, early_stop, 0.1, peaks), None, None,
                force_bw.sum, m_seg, int((early_stop - k0).sum())))

    # stance_events: hysteresis stance detection over the whole force series
    on, off, evt = (np.full(n, v) for v in (50.0, 30.0, 20.0))
    cap = n // 2 + 2
    ev_out = (np.empty(cap, np.intp), np.empty(cap, np.intp), np.empty(cap), np.empty(cap))
    out.append(("stance_events", lambda: stance.stance_events(force, on, off, evt, *ev_out),
                lambda: _reference.stance_events(force, on, off, evt, *ev_out), None, None,
                force.sum, m_seg, n))

    # sensor_accumulate: per-sensor peak and sum over the loaded frames of one block of raw frames
    m = layout.n_sensors
    active = np.asarray(layout.active)
    nb = min(n, block_frames)
    values = rng.gamma(0.8, 80.0, size=(nb, m)).astype(np.float32)
    values[rng.random(values.shape) < 0.5] = 0.0
    values[:, ~active] = 0.0
    loaded = np.ascontiguousarray(force[:nb] > 50.0, dtype=np.uint8)
    floor = 2.0
    peak, acc = np.zeros(m), np.zeros(m)
    zeros, ones = np.zeros(m), np.ones(m)

    def np_accumulate():
        p = values[loaded.view(bool)]
        p = np.where(p >= np.float32(floor), p, np.float32(0))
        return np.maximum(peak, p.max(axis=0)), p.sum(axis=0, dtype=np.float64)

    def check_accumulate(r):
        pk, sm = np.zeros(m), np.zeros(m)
        kernels.sensor_accumulate(values, loaded, pk, sm, floor_value=floor)
        np.testing.assert_array_equal(r[0], np.maximum(peak, pk))
        np.testing.assert_allclose(r[1], sm, rtol=1e-9)

    out.append(("sensor_accumulate", lambda: step.sensor_accumulate(values, loaded, False, zeros, ones, floor, peak, acc),
                lambda: _reference.sensor_accumulate(values, loaded, False, zeros, ones, floor, peak, acc),
                np_accumulate, check_accumulate, values.sum, int(loaded.sum()), nb))
    return out


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="walking time per case, one foot (default 10)")
    parser.add_argument("--rounds", type=int, default=5, help="timing rounds, best kept (default 5)")
    parser.add_argument("--block-frames", type=int, default=20_000,
                        help="frames of raw sensor data for sensor_accumulate (default 20000)")
    parser.add_argument("--quick", action="store_true", help="0.5 minute, 2 rounds: a smoke run")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if args.quick:
        args.minutes, args.rounds, args.block_frames = min(args.minutes, 0.5), min(args.rounds, 2), 2_000
    if kernels.BACKEND != "cython":
        sys.exit("the compiled kernels are not in use; build them (pip install -e .) to benchmark")
    rng = np.random.default_rng(0)
    rows = []
    for label, layout_name, rate_hz in CASES:
        layout = get_layout(layout_name)
        n_regions = FeatureSpec.from_layout(layout).regions.n_regions
        w = _walk(args.minutes, rate_hz, n_regions, rng)
        for name, compiled, twin, best_np, check, one_read, segments, frames in _kernel_cases(
                w, layout, rate_hz, args.block_frames, rng):
            if best_np is not None:
                check(best_np())  # the formulation must give the kernel's answer
            t_read = _timed(one_read, args.rounds, 0.05)
            t_c = _timed(compiled, args.rounds, 0.05)
            t_np = _timed(best_np, args.rounds, 0.05) if best_np is not None else float("nan")
            t_twin = _timed(twin, min(args.rounds, 3), 0.0)
            rows.append({
                "kernel": name,
                "case": label,
                "segments": segments,
                "frames": frames,
                "one read (ms)": t_read * 1e3,
                "cython (ms)": t_c * 1e3,
                "cython / one read": t_c / t_read,
                "best NumPy / cython": t_np / t_c,
                "NumPy twin / cython": t_twin / t_c,
                "segments/s (cython)": segments / t_c,
                "load (1 min)": os.getloadavg()[0],
            })
            print(f"  {name} {label}: done", file=sys.stderr, flush=True)
    emit(
        f"per-step kernels: {args.minutes:g} minutes of walking per case (one foot)",
        rows,
        ["kernel", "case", "segments", "frames", "one read (ms)", "cython (ms)", "cython / one read",
         "best NumPy / cython", "NumPy twin / cython", "segments/s (cython)", "load (1 min)"],
        args.json,
        notes="single-threaded kernels; one read = np.sum over the call's input array(s), all frames; best NumPy = "
        "reduceat / one np.interp formulations checked against the kernel (nan: none beyond the twin, which is "
        "SciPy per range or a sequential loop); segments = stances (sensor_accumulate: loaded frames of a "
        f"{args.block_frames}-frame block); best of {args.rounds} rounds; lower cython/one-read and higher "
        "NumPy/cython are better.",
    )
    return rows


if __name__ == "__main__":
    main()

"""Per-step metrics of one foot: COP path, strike, medial/lateral loading, hallux, regions, loading rate.

All steps of a foot are computed together, never in a loop over steps or frames.
The frames of every step are gathered once (a frame -> step map); each per-step
window of a metric (a stance sub-phase, the end of stance, the strike window, the
valid-COP frames, ...) is a mask over those frames, and the compiled kernels of
:mod:`insole.kernels` reduce the masked frames per step: sums exactly as NumPy sums
a slice (``segment_sum``), maxima, minima and their positions (``segment_stats``), the first
frame past a per-step threshold (``segment_first``), gait-line resampling
(``segment_resample``), zero-phase COP filtering of each contiguous valid-COP run
(``segment_sosfiltfilt``) and impact peaks (``segment_first_peak``).  Each metric
keeps the definition, and the floating-point operations, of the per-step
formulation in docs/analysis.md: results equal a step-by-step evaluation.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.signal import butter

from insole import kernels
from insole.analysis._events import Steps
from insole.analysis._frames import AXIS_REGIONS, FootFrames
from insole.analysis._params import RUN_PHASES, WALK_PHASES, AnalysisParams

GAIT_LINE_POINTS = 101
HEEL = ("heel_medial", "heel_lateral")
MTH = ("mth1", "mth2_3", "mth4_5")
TOES = ("hallux", "lesser_toes")
FOREFOOT_AND_TOES = MTH + TOES
CANONICAL = ("heel_medial", "heel_lateral", "midfoot_medial", "midfoot_lateral", *MTH, *TOES)
STRIKE_RFS_MAX, STRIKE_MFS_MAX = 100.0 / 3.0, 200.0 / 3.0
#: Keys of a step without a hallux region, in the order of the step dict.
HALLUX_KEYS = ("hallux_peak_pressure_kpa", "hallux_max_force_n", "hallux_max_force_bw", "hallux_fti_share",
               "hallux_toe_share", "hallux_mth1_ratio", "hallux_contact_pct", "hallux_onset_rel_heel_off_ms",
               "medial_pushoff_share", "cop_to_mean_s", "cop_to_mean_d")


def strike_pattern(si_pct: float) -> str | None:
    """RFS / MFS / FFS from a strike index (science.md 3.1); None when unknown."""
    if not np.isfinite(si_pct):
        return None
    return "RFS" if si_pct <= STRIKE_RFS_MAX else ("MFS" if si_pct <= STRIKE_MFS_MAX else "FFS")


class AxisGeometry:
    """Foot-axis geometry of a layout in mm, for CPEI (science.md 0.2, 4.1)."""

    def __init__(self, layout) -> None:
        w, length = layout.width_mm, layout.length_mm
        self.scale = np.array([w, length])  # (ml, ap) -> (x, y) mm
        h = np.asarray(layout.heel_point, float)
        t = np.asarray(layout.toe_point, float)
        self.h = np.array([h[1] * w, h[0] * length])
        tt = np.array([t[1] * w, t[0] * length])
        self.e = (tt - self.h) / np.linalg.norm(tt - self.h)
        n = np.array([-self.e[1], self.e[0]])
        self.n = n if n[0] > 0 else -n  # + medial (+x is medial in the side-agnostic frame)
        outline = np.asarray(layout.outline, float)
        self.outline = np.column_stack([outline[:, 1] * w, outline[:, 0] * length])
        so = (self.outline - self.h) @ self.e
        self.s_min, self.s_max = so.min(), so.max()
        self.s_q = self.s_min + (2.0 / 3.0) * (self.s_max - self.s_min)
        self.width_at_q = self._width_at(self.s_q)

    def project(self, ap: np.ndarray, ml: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(s, d) in mm along and across (+ medial) the axis."""
        p = np.column_stack([ml * self.scale[0], ap * self.scale[1]]) - self.h
        return p @ self.e, p @ self.n

    def _width_at(self, s: float) -> float:
        pts = self.outline
        nxt = np.roll(pts, -1, axis=0)
        s0, s1 = (pts - self.h) @ self.e, (nxt - self.h) @ self.e
        d0, d1 = (pts - self.h) @ self.n, (nxt - self.h) @ self.n
        cross = (s0 - s) * (s1 - s) <= 0
        cross &= s0 != s1
        if not cross.any():
            return float("nan")
        frac = (s - s0[cross]) / (s1[cross] - s0[cross])
        d = d0[cross] + frac * (d1[cross] - d0[cross])
        return float(d.max() - d.min())

    def cpei(self, s: np.ndarray, d: np.ndarray) -> float:
        """CPEI (%) of one stance's valid COP path (science.md 4.1); NaN when undefined."""
        out = self.cpei_steps(s, d, np.array([0]), np.array([s.size]))
        return float(out[0])

    def cpei_steps(self, s: np.ndarray, d: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
        """CPEI (%) of many stances at once: ``s[a:b], d[a:b]`` (from :meth:`project`) is one valid COP path.

        The COP crosses the line at ``s_q`` (2/3 of the outline along the axis) between its
        last point below and first point at or beyond it; CPEI is the distance of that
        crossing from the straight line joining the path's first and last points, in % of
        the outline width there.  NaN with fewer than 3 points, without a crossing, when
        the path starts beyond ``s_q`` or when its first and last points have the same ``s``.
        """
        n = starts.size
        if n == 0 or s.size == 0 or not np.isfinite(self.width_at_q) or self.width_at_q <= 0:
            return np.full(n, np.nan)
        k = kernels.segment_first(s, starts, stops, np.full(n, self.s_q)).first
        ok = (stops - starts >= 3) & (k > starts)
        k = np.where(ok, k, np.minimum(starts + 1, s.size - 1))
        km = np.maximum(k - 1, 0)
        last = np.clip(stops - 1, 0, s.size - 1)
        first = np.minimum(starts, s.size - 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            ds = s[k] - s[km]
            frac = np.where(ds != 0, (self.s_q - s[km]) / ds, 0.0)
            d_cop = d[km] + frac * (d[k] - d[km])
            s0, s1, d0, d1 = s[first], s[last], d[first], d[last]
            ok &= s1 != s0
            d_c = d0 + (self.s_q - s0) / (s1 - s0) * (d1 - d0)
            out = 100.0 * (d_c - d_cop) / self.width_at_q
        return np.where(ok, out, np.nan)


class _Gather(NamedTuple):
    """Positions of the selected frames (into the gathered frames), grouped by step."""

    pos: np.ndarray  #: positions, in step order
    starts: np.ndarray  #: (n_steps,) first entry of each step in ``pos``
    stops: np.ndarray  #: (n_steps,) one past its last entry
    counts: np.ndarray  #: (n_steps,) entries per step

    def first(self) -> np.ndarray:
        """Position of each step's first selected frame, -1 if none."""
        if self.pos.size == 0:
            return np.full(self.counts.size, -1, dtype=np.intp)
        return np.where(self.counts > 0, self.pos[np.minimum(self.starts, self.pos.size - 1)], -1)

    def last(self) -> np.ndarray:
        """Position of each step's last selected frame, -1 if none."""
        if self.pos.size == 0:
            return np.full(self.counts.size, -1, dtype=np.intp)
        return np.where(self.counts > 0, self.pos[np.maximum(self.stops - 1, 0)], -1)

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Per-step sum of ``values`` (over all gathered frames) at the selected frames, as NumPy sums."""
        return kernels.segment_sum(values[self.pos], self.starts, self.stops)

    def mean(self, values: np.ndarray) -> np.ndarray:
        """Per-step ``np.mean`` of the selected values; NaN for a step with none."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.counts > 0, self.sum(values) / self.counts, np.nan)


class _StepFrames:
    """The frames of all steps of a foot, gathered in step order (a step's frames stay in order)."""

    def __init__(self, k0: np.ndarray, k1: np.ndarray) -> None:
        self.n_steps = int(k0.size)
        self.k0, self.k1 = k0, k1
        self.lengths = (k1 - k0).astype(np.intp)
        self.stops = np.cumsum(self.lengths)
        self.starts = self.stops - self.lengths
        total = int(self.stops[-1]) if self.n_steps else 0
        self.sid = np.repeat(np.arange(self.n_steps, dtype=np.intp), self.lengths)  #: step of each gathered frame
        self.frame = np.arange(total, dtype=np.intp) - self.starts[self.sid] + k0[self.sid]  #: its frame index

    def select(self, mask: np.ndarray) -> _Gather:
        """Group the gathered frames where ``mask`` is true by step."""
        pos = np.flatnonzero(mask)
        counts = np.bincount(self.sid[pos], minlength=self.n_steps).astype(np.intp)
        stops = np.cumsum(counts)
        return _Gather(pos, stops - counts, stops, counts)

    def to_position(self, frame: np.ndarray) -> np.ndarray:
        """Gathered position of each step's frame index (-1 stays -1)."""
        return np.where(frame >= 0, frame - self.k0 + self.starts, -1)


def _take(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``values[idx]``, NaN where ``idx`` is -1."""
    if values.size == 0:
        return np.full(idx.shape, np.nan)
    return np.where(idx >= 0, values[np.maximum(idx, 0)], np.nan)


def _column_sum(x: np.ndarray, columns: list[int]) -> np.ndarray:
    """``sum(x[:, c] for c in columns)`` in Python's order (``0 + first + second ...``)."""
    out = 0 + x[:, columns[0]]
    for c in columns[1:]:
        out = out + x[:, c]
    return out


def _range_count(flags: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Number of true flags in each range."""
    before = np.concatenate([[0], np.cumsum(flags, dtype=np.intp)])
    return before[stops] - before[starts]


def _balance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """100 (a - b) / (a + b) (%) where both are finite and a + b > 0, else NaN."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.isfinite(a) & np.isfinite(b) & ((a + b) > 0)
        return np.where(ok, 100.0 * (a - b) / (a + b), np.nan)


def _none_where(values: np.ndarray, absent: bool) -> list:
    return [None] * values.size if absent else values.tolist()


def step_metrics(fr: FootFrames, steps: Steps, *, fs: float, body_weight_n: float | None, reference_n: float,
                 running: bool, p: AnalysisParams) -> tuple[list[dict], dict[str, np.ndarray]]:
    """Metrics of every step of one foot, and per-step curves for reports.

    Returns
    -------
    steps : list of dict
        One dict per step (keys documented in docs/analysis.md).
    curves : dict
        ``gait_line_insole`` (n, 101, 2) (ap, ml), ``gait_line_axis`` (n, 101, 2) (s, d),
        ``force_curve_n`` (n, 101).
    """
    lay = fr.layout
    n_steps = steps.n
    dt = 1.0 / fs
    bw = body_weight_n
    names = (*fr.region_names, *AXIS_REGIONS)
    col = {name: i for i, name in enumerate(names)}
    region_index = {name: i for i, name in enumerate(fr.region_names)}
    measured = set(lay.measured_regions())
    has = {r: (r in measured) for r in CANONICAL}
    kpa = fr.unit == "kPa"
    grid_sub = all(s in measured for s in ("mth2", "mth3", "mth4", "mth5"))
    curves = {
        "gait_line_insole": np.full((n_steps, GAIT_LINE_POINTS, 2), np.nan),
        "gait_line_axis": np.full((n_steps, GAIT_LINE_POINTS, 2), np.nan),
        "force_curve_n": np.full((n_steps, GAIT_LINE_POINTS), np.nan),
    }
    if n_steps == 0:
        return [], curves
    k0 = np.ascontiguousarray(steps.k0, dtype=np.intp)
    k1 = np.ascontiguousarray(steps.k1, dtype=np.intp)
    rf_all = np.ascontiguousarray(fr.region_force_n)
    region_stats = kernels.segment_stats(rf_all, k0, k1)
    peak_stats = kernels.segment_stats(fr.region_peak, k0, k1)
    area_stats = kernels.segment_stats(fr.region_area_mm2, k0, k1)
    fti = region_stats.sums * dt  # N s
    axis = AxisGeometry(lay)
    grid = np.linspace(0.0, 1.0, GAIT_LINE_POINTS)
    phases = RUN_PHASES if running else WALK_PHASES
    fc = p.cop_lowpass_run_hz if running else p.cop_lowpass_walk_hz
    sos = butter(4, fc, fs=fs, output="sos") if fs >= 4 * fc else None

    # ---- the frames of all steps, and per-frame series over them
    sf = _StepFrames(k0, k1)
    sid, frame = sf.sid, sf.frame
    ic, to = np.asarray(steps.ic_s, float), np.asarray(steps.to_s, float)
    contact = to - ic
    t = fr.t_s[frame]
    force = fr.force_n[frame]
    ap, ml = fr.cop[frame, 0], fr.cop[frame, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        good = np.isfinite(contact) & (contact > 0)
        tau = np.where(good[sid], (t - ic[sid]) / contact[sid], np.nan)
    valid = np.isfinite(ap)
    s_ax, d_ax = lay.foot_axis_frame(ap, ml)
    s_ax, d_ax = np.asarray(s_ax, float), np.asarray(d_ax, float)
    rcache: dict[str, np.ndarray] = {}

    def rf(name: str) -> np.ndarray:
        """Force of a region over the gathered frames."""
        if name not in rcache:
            rcache[name] = rf_all[frame, col[name]]
        return rcache[name]

    cols: dict[str, object] = {"ic_s": ic, "to_s": to, "contact_time_s": contact}
    peak_force = kernels.segment_stats(fr.force_n, k0, k1).maxima
    cols["peak_force_n"] = peak_force
    cols["peak_force_bw"] = peak_force / bw if bw else np.full(n_steps, np.nan)
    gap_idx = np.sort(np.asarray(fr.gaps["index"], dtype=np.int64)) if fr.gaps.size else np.zeros(0, np.int64)
    cols["lost_frames"] = np.searchsorted(gap_idx, k1, "left") - np.searchsorted(gap_idx, k0 - 1, "left")

    # ---- COP path (insole frame and foot axis), gait line, velocity (1.3-1.5)
    for out, y, j in ((curves["gait_line_insole"], ap, 0), (curves["gait_line_insole"], ml, 1),
                      (curves["gait_line_axis"], s_ax, 0), (curves["gait_line_axis"], d_ax, 1)):
        out[:, :, j] = kernels.segment_resample(tau, y, sf.starts, sf.stops, grid)
    curves["force_curve_n"][:] = kernels.segment_resample(tau, force, sf.starts, sf.stops, grid)
    xy = np.column_stack([ml * lay.width_mm, ap * lay.length_mm])
    vsel = sf.select(valid)
    v_first, v_last = vsel.first(), vsel.last()
    vpos = vsel.pos
    pair = sid[vpos[1:]] == sid[vpos[:-1]]  # consecutive valid frames of one step
    dxy = xy[vpos[1:][pair]] - xy[vpos[:-1][pair]]
    seg_len = np.sqrt(dxy[:, 0] * dxy[:, 0] + dxy[:, 1] * dxy[:, 1])
    n_pairs = np.maximum(vsel.counts - 1, 0)
    pair_stop = np.cumsum(n_pairs)
    path = kernels.segment_sum(seg_len, pair_stop - n_pairs, pair_stop)
    cols["cop_path_length_mm"] = np.where(vsel.counts > 1, path, np.nan)
    cols["cop_ap_progression"] = np.where(vsel.counts > 1, _take(s_ax, v_last) - _take(s_ax, v_first), np.nan)
    # velocity: each step's run from its first to its last valid COP, when the COP is valid throughout
    speed = np.full(t.size, np.nan)
    finite_xy = np.isfinite(xy).all(axis=1)
    bad_before = np.concatenate([[0], np.cumsum(~finite_xy)])
    run_a, run_b = np.maximum(v_first, 0), v_last + 1
    clean = (vsel.counts >= 5) & (bad_before[run_b] - bad_before[run_a] == 0)
    run_a, run_b = run_a[clean], run_b[clean]
    if run_a.size:
        filt = xy
        if sos is not None:
            long = (run_b - run_a) > 27
            if long.any():
                filt = kernels.segment_sosfiltfilt(sos, xy, run_a[long], run_b[long])
        run_len = run_b - run_a
        rid = np.repeat(np.arange(run_a.size), run_len)
        rpos = np.arange(int(run_len.sum())) - (np.cumsum(run_len) - run_len)[rid] + run_a[rid]
        is_first, is_last = rpos == run_a[rid], rpos == run_b[rid] - 1
        inner = ~(is_first | is_last)
        vel = np.empty((rpos.size, 2))  # np.gradient(filt, dt, axis=0) of each run
        vel[inner] = (filt[rpos[inner] + 1] - filt[rpos[inner] - 1]) / (2.0 * dt)
        vel[is_first] = (filt[rpos[is_first] + 1] - filt[rpos[is_first]]) / dt
        vel[is_last] = (filt[rpos[is_last]] - filt[rpos[is_last] - 1]) / dt
        speed[rpos] = np.sqrt(vel[:, 0] * vel[:, 0] + vel[:, 1] * vel[:, 1])
    core = sf.select((tau >= p.velocity_trim) & (tau <= 1.0 - p.velocity_trim))
    sv = speed[core.pos]
    nan_sv = np.isnan(sv)
    n_num = np.bincount(sid[core.pos][~nan_sv], minlength=n_steps)
    n_fin = np.bincount(sid[core.pos][np.isfinite(sv)], minlength=n_steps)
    with np.errstate(invalid="ignore", divide="ignore"):
        v_mean = kernels.segment_sum(np.where(nan_sv, 0.0, sv), core.starts, core.stops) / n_num
    cols["cop_velocity_mean_mm_s"] = np.where(n_fin > 0, v_mean, np.nan)
    cols["cop_velocity_max_mm_s"] = np.where(n_fin > 0, kernels.segment_stats(sv, core.starts, core.stops).maxima, np.nan)

    # ---- strike (3.1, 3.2)
    si = 100.0 * _take(ap, v_first)
    t_first = _take(t, v_first)
    t_end = t_first + p.strike_window_s
    win = sf.select(valid & (t >= t_first[sid]) & (t <= t_end[sid]))
    si10 = 100.0 * win.mean(ap)
    cols["strike_index_pct"] = si
    cols["strike_index_10ms_pct"] = si10
    patterns = [strike_pattern(v) for v in si.tolist()]
    cols["strike_pattern"] = patterns
    with np.errstate(invalid="ignore"):
        cols["strike_index_unstable"] = np.isfinite(si) & (np.abs(si - si10) > p.strike_flag_pct)
    heel_cols = [col[r] for r in HEEL if has[r]]
    fore_cols = [col[r] for r in FOREFOOT_AND_TOES if has[r]]
    heel = _column_sum(rf_all, heel_cols) if heel_cols else None  # per frame of the recording
    heel_max = heel_argmax = None
    if heel is not None:
        hs = kernels.segment_stats(heel, k0, k1)
        heel_max, heel_argmax = hs.maxima, hs.argmax
    onset: list[str | None] = [None] * n_steps
    if heel is not None and fore_cols:
        fore = _column_sum(rf_all, fore_cols)
        fore_max = kernels.segment_stats(fore, k0, k1).maxima
        t_heel = kernels.segment_first(heel, k0, k1, np.maximum(p.onset_min_n, p.onset_fraction * heel_max)).first
        t_fore = kernels.segment_first(fore, k0, k1, np.maximum(p.onset_min_n, p.onset_fraction * fore_max)).first
        t_heel = np.where(heel_max > 0, t_heel, -1)
        t_fore = np.where(fore_max > 0, t_fore, -1)
        ffs = (t_heel < 0) | (heel_max < p.onset_min_n)
        delta = fr.t_s[np.maximum(t_fore, 0)] - fr.t_s[np.maximum(t_heel, 0)]
        onset = ["FFS" if f else (None if tf < 0 else ("RFS" if d > p.onset_delta_s else ("FFS" if d < -p.onset_delta_s else "MFS")))
                 for f, tf, d in zip(ffs.tolist(), t_fore.tolist(), delta.tolist())]
    cols["onset_pattern"] = onset
    cols["strike_methods_disagree"] = [o is not None and s is not None and o != s for o, s in zip(onset, patterns)]

    # ---- medial / lateral loading (4.2-4.4)
    fmed, flat = rf_all[:, col["medial_of_axis"]], rf_all[:, col["lateral_of_axis"]]
    tot = fmed + flat
    with np.errstate(invalid="ignore", divide="ignore"):
        lmfi_all = np.where(tot > 0, (flat - fmed) / tot, np.nan)
    nan_lmfi = np.isnan(lmfi_all)
    n_num = _range_count(~nan_lmfi, k0, k1)
    n_fin = _range_count(np.isfinite(lmfi_all), k0, k1)
    with np.errstate(invalid="ignore", divide="ignore"):
        lmfi_mean = kernels.segment_sum(np.where(nan_lmfi, 0.0, lmfi_all), k0, k1) / n_num
    cols["lmfi_mean"] = np.where(n_fin > 0, lmfi_mean, np.nan)
    lmfi = lmfi_all[frame]
    lmfi_ok = np.isfinite(lmfi)
    for name, a, b in phases:
        in_phase = (tau >= a / 100.0) & (tau < b / 100.0 if b < 100 else tau <= 1.0)
        ph = sf.select(in_phase & lmfi_ok)
        x = lmfi[ph.pos]
        ext = kernels.segment_stats(x, ph.starts, ph.stops)
        mx, mn = ext.maxima, ext.minima
        cols[f"lmfi_{name}_mean"], cols[f"lmfi_{name}_max"] = ph.mean(lmfi), mx
        cols[f"lmfi_{name}_min"], cols[f"lmfi_{name}_range"] = mn, mx - mn
    nan_col = np.full(n_steps, np.nan)
    f_ = {r: (fti[:, col[r]] if has.get(r, r in measured) else nan_col)
          for r in (*CANONICAL, *[s for s in ("mth2", "mth3", "mth4", "mth5") if s in col])}
    m1 = f_["mth1"]
    m2 = f_["mth2"] if grid_sub else 0.5 * f_["mth2_3"]
    m3 = f_["mth3"] if grid_sub else 0.5 * f_["mth2_3"]
    m4 = f_["mth4"] if grid_sub else 0.5 * f_["mth4_5"]
    m5 = f_["mth5"] if grid_sub else 0.5 * f_["mth4_5"]
    cols["foot_balance_pct"] = _balance(m1 + m2 + f_["heel_medial"], m3 + m4 + m5 + f_["heel_lateral"])
    cols["forefoot_balance_pct"] = _balance(m1 + m2, m3 + m4 + m5)
    cols["medial_forefoot_balance_pct"] = _balance(m2, m1) if grid_sub else nan_col
    cols["toe_m1_balance_pct"] = _balance(f_["hallux"], m1)
    # CPEI and ML COP excursion in the foot-axis frame
    s_mm, d_mm = axis.project(ap[vpos], ml[vpos])
    cols["cpei_pct"] = axis.cpei_steps(s_mm, d_mm, vsel.starts, vsel.stops)
    cols["d_ic"] = _take(d_ax, v_first)
    cols["d_to"] = _take(d_ax, v_last)
    d_valid = np.where(valid, d_ax, np.nan)
    ext = kernels.segment_stats(d_valid, sf.starts, sf.stops)
    cols["ml_range_d"] = ext.maxima - ext.minima
    heel_off = np.full(n_steps, -1, dtype=np.intp)  # frame index of heel-off, -1 if none
    d_heel_off = nan_col
    if heel is not None:
        loaded_heel = heel_max > 0
        from_peak = np.where(loaded_heel, heel_argmax, k1)
        heel_off = kernels.segment_first(heel, from_peak, k1, 0.05 * heel_max, below=True).first
        heel_off = np.where(loaded_heel, heel_off, -1)
        off_pos = sf.to_position(heel_off)
        d_heel_off = np.where((off_pos >= 0) & valid[np.maximum(off_pos, 0)], _take(d_ax, off_pos), np.nan)
    d_flat = nan_col
    mths = [r for r in MTH if has[r]]
    if mths:
        loaded = valid.copy()
        for r in mths:
            thr = np.maximum(p.onset_min_n, 0.05 * region_stats.maxima[:, col[r]])
            loaded &= rf(r) >= thr[sid]
        d_flat = _take(d_ax, sf.select(loaded).first())
    cols["d_foot_flat"], cols["d_heel_off"] = d_flat, d_heel_off

    # ---- hallux and windlass (5.1)
    if has["hallux"]:
        fti_meas = np.column_stack([f_[r] for r in CANONICAL if has[r]])
        total_fti = np.nansum(fti_meas, axis=1)
        f_h = f_["hallux"]
        hpk = region_stats.maxima[:, col["hallux"]]
        hallux_sensors = int(np.count_nonzero(np.asarray(lay.region_weights)[:, region_index["hallux"]] > 0))
        with np.errstate(invalid="ignore", divide="ignore"):
            cols["hallux_peak_pressure_kpa"] = _none_where(peak_stats.maxima[:, region_index["hallux"]], not (hallux_sensors >= 2 and kpa))
            cols["hallux_max_force_n"] = hpk
            cols["hallux_max_force_bw"] = hpk / bw if bw else nan_col
            cols["hallux_fti_share"] = np.where(total_fti > 0, f_h / total_fti, np.nan)
            toes = f_h + f_["lesser_toes"] if has["lesser_toes"] else nan_col
            cols["hallux_toe_share"] = np.where(np.isfinite(toes) & (toes > 0), f_h / toes, np.nan)
            cols["hallux_mth1_ratio"] = np.where(np.isfinite(m1) & (m1 > 0), f_h / m1, np.nan)
        thr = np.where(np.isfinite(hpk), np.maximum(p.hallux_contact_min_n, p.hallux_contact_fraction * hpk), np.inf)
        h_on, h_count = kernels.segment_first(rf_all[:, col["hallux"]], k0, k1, thr, count=True)
        cols["hallux_contact_pct"] = np.where(sf.lengths > 0, 100.0 * (h_count / np.maximum(sf.lengths, 1)), np.nan)
        if heel is not None:
            rel = 1000.0 * (fr.t_s[np.maximum(h_on, 0)] - fr.t_s[np.maximum(heel_off, 0)])
            cols["hallux_onset_rel_heel_off_ms"] = np.where((h_on >= 0) & (heel_off >= 0), rel, np.nan)
        else:
            cols["hallux_onset_rel_heel_off_ms"] = nan_col
        late = sf.select((tau >= 0.5) & (tau <= 1.0))
        medial_push = rf("hallux") + rf("mth1") * has["mth1"] + (
            rf("mth2") if grid_sub else 0.5 * rf("mth2_3") * has["mth2_3"])
        ff_toes = 0
        for r in FOREFOOT_AND_TOES:
            if has[r]:
                ff_toes = ff_toes + rf(r)
        push_sum, ff_sum = late.sum(medial_push), late.sum(ff_toes)
        with np.errstate(invalid="ignore", divide="ignore"):
            cols["medial_pushoff_share"] = np.where(ff_sum > 0, push_sum / ff_sum, np.nan)
        # toe-off route over the last 10 % of stance (valid COP only)
        last = sf.select(valid & (tau >= 1.0 - p.route_window))
        final = sf.select(tau >= 1.0 - p.route_final_window)
        fin_names = [r for r in CANONICAL if has[r]]
        fin = np.column_stack([final.sum(rf(r)) for r in fin_names])
        hallux_top = np.asarray(fin_names)[np.argmax(fin, axis=1)] == "hallux"
        zero = np.zeros(n_steps)
        lat_sum = (last.sum(rf("mth4_5")) if has["mth4_5"] else 0.0) + (last.sum(rf("lesser_toes")) if has["lesser_toes"] else 0.0)
        med_sum = last.sum(rf("hallux")) + (last.sum(rf("mth1")) if has["mth1"] else 0.0) + (
            last.sum(rf("mth2")) if grid_sub else (0.5 * last.sum(rf("mth2_3")) if has["mth2_3"] else 0.0))
        lat_sum, med_sum = lat_sum + zero, med_sum + zero
        d_mean = last.mean(d_ax)
        any_last = last.counts > 0
        route = [None if not any_ else ("first-ray" if (d >= 0 and top) else (
            "lateral" if (d <= -p.route_lateral_d or ls > ms) else "central"))
            for any_, d, top, ls, ms in zip(any_last.tolist(), d_mean.tolist(), hallux_top.tolist(), lat_sum.tolist(), med_sum.tolist())]
        cols["cop_to_mean_s"], cols["cop_to_mean_d"] = last.mean(s_ax), d_mean
        cols["toe_off_route"] = route
    else:
        for key in HALLUX_KEYS:
            cols[key] = [None] * n_steps
        cols["toe_off_route"] = ["not measured"] * n_steps
    cols["cop_to_s"] = _take(s_ax, v_last)
    cols["cop_to_d"] = _take(d_ax, v_last)

    # ---- regions (6): peak / mean pressure, PTI, FTI, contact area
    region_area_total = np.asarray(lay.region_weights).T @ np.where(np.asarray(lay.active, bool), np.asarray(lay.area_mm2, float), 0.0)
    mean_force = kernels.segment_sum(rf_all, k0, k1) / sf.lengths[:, None] if kpa else None
    region_cols: dict[str, list | None] = {}
    for r in CANONICAL:
        if not has[r]:
            region_cols[r] = None
            continue
        ri, c = region_index[r], col[r]
        if kpa and region_area_total[ri] > 0:
            mean_p = (mean_force[:, c] / (region_area_total[ri] * 1e-3)).tolist()
        else:
            mean_p = [np.nan if kpa else None] * n_steps
        region_cols[r] = [
            ("peak_pressure_kpa" if kpa else "peak_force_sensor_n", peak_stats.maxima[:, ri].tolist()),
            ("mean_pressure_kpa", mean_p),
            ("pti_kpa_s", _none_where(peak_stats.sums[:, ri] * dt, not kpa)),
            ("fti_n_s", fti[:, c].tolist()),
            ("max_force_n", region_stats.maxima[:, c].tolist()),
            ("contact_area_cm2", _none_where(area_stats.maxima[:, ri] / 100.0, not kpa)),
        ]
    cols["regions"] = _region_dicts(region_cols, n_steps)
    # toe data sufficiency (5.2): toe peak < 2 % BW
    toe_peak = None
    for r in TOES:
        if has[r]:
            v = region_stats.maxima[:, col[r]]
            toe_peak = v if toe_peak is None else np.where(v > toe_peak, v, toe_peak)  # Python's max()
    cols["toe_peak_force_n"] = [None] * n_steps if toe_peak is None else [x if np.isfinite(x) else None for x in toe_peak.tolist()]

    # ---- loading rate (7.1)
    if fs >= p.loading_rate_min_hz and bw:
        valr, vilr, method = _loading_rates(fr.force_n / bw, k0, sf.lengths, dt)
        cols["valr_bw_s"], cols["vilr_bw_s"] = valr, vilr
        cols["loading_rate_method"] = method if fs >= p.loading_rate_full_hz else [
            f"{m}, low resolution" if m else None for m in method]
    else:
        cols["valr_bw_s"] = cols["vilr_bw_s"] = [None] * n_steps
        cols["loading_rate_method"] = ["unavailable"] * n_steps
    return _rows(cols, n_steps), curves


def _loading_rates(force_bw: np.ndarray, k0: np.ndarray, n: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray, list]:
    """VALR, VILR (BW/s) and the method of each step (science.md 7.1).

    The impact peak is the first peak with a prominence of 0.1 BW in the first quarter of
    stance (at least 3 frames), else a surrogate at 13 % of stance; the loading rates run
    from the first frame at 20 % of it to the first at 80 %.  Steps under 8 frames, or with
    no positive impact force, have none.
    """
    n_steps = k0.size
    nan = np.full(n_steps, np.nan)
    enough = n >= 8
    early = np.maximum(3, (0.25 * n).astype(np.intp))
    pk = kernels.segment_first_peak(force_bw, k0, np.where(enough, k0 + np.minimum(early, n), k0), 0.1)
    found = pk >= 0
    ip_idx = np.where(found, pk - k0, np.rint(0.13 * (n - 1)).astype(np.intp))
    ip_at = np.where(enough, k0 + ip_idx, 0)
    ip = force_bw[ip_at]
    ok = enough & (ip > 0)
    seg_stop = np.where(ok, ip_at + 1, k0)
    i20 = kernels.segment_first(force_bw, k0, seg_stop, 0.2 * ip).first
    i80 = kernels.segment_first(force_bw, k0, seg_stop, 0.8 * ip).first
    rated = ok & (i20 >= 0) & (i80 > i20)
    a, b = np.where(rated, i20, 0), np.where(rated, i80, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        valr = np.where(rated, (force_bw[b] - force_bw[a]) / ((b - a).astype(float) * dt), nan)
        rise = np.diff(force_bw)
        vilr = np.where(rated, kernels.segment_stats(rise, a, np.where(rated, b, a)).maxima / dt, nan)
    method = [None if not o else ("impact peak" if f else "surrogate 13% stance") for o, f in zip(ok.tolist(), found.tolist())]
    return valr, vilr, method


def _region_dicts(region_cols: dict[str, list | None], n_steps: int) -> list[dict]:
    out = [{} for _ in range(n_steps)]
    for r, metrics in region_cols.items():
        if metrics is None:
            for d in out:
                d[r] = None
            continue
        keys = [k for k, _ in metrics]
        for d, values in zip(out, zip(*(v for _, v in metrics))):
            d[r] = dict(zip(keys, values))
    return out


def _rows(cols: dict[str, object], n_steps: int) -> list[dict]:
    """One dict per step from per-step columns, in the documented key order."""
    keys = list(cols)
    values = [v.tolist() if isinstance(v, np.ndarray) else v for v in cols.values()]
    for key, v in zip(keys, values):
        if len(v) != n_steps:
            raise AssertionError(f"{key}: {len(v)} values for {n_steps} steps")
    return [dict(zip(keys, row)) for row in zip(*values)]

"""Per-step metrics of one foot: COP path, strike, medial/lateral loading, hallux, regions, loading rate.

Sums, maxima and their positions over each step's frames come from the
compiled :func:`insole.kernels.segment_reduce`; the rest works on the short
per-step slices of per-frame series (a loop over steps, never over frames).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, find_peaks, sosfiltfilt

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
        if s.size < 3 or not np.isfinite(self.width_at_q) or self.width_at_q <= 0:
            return float("nan")
        above = np.flatnonzero(s >= self.s_q)
        if above.size == 0 or above[0] == 0:
            return float("nan")
        k = above[0]
        frac = (self.s_q - s[k - 1]) / (s[k] - s[k - 1]) if s[k] != s[k - 1] else 0.0
        d_cop = d[k - 1] + frac * (d[k] - d[k - 1])
        s0, s1, d0, d1 = s[0], s[-1], d[0], d[-1]
        if s1 == s0:
            return float("nan")
        d_c = d0 + (self.s_q - s0) / (s1 - s0) * (d1 - d0)
        return float(100.0 * (d_c - d_cop) / self.width_at_q)


def _nan_stats(x: np.ndarray) -> tuple[float, float, float, float]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (np.nan,) * 4
    return float(x.mean()), float(x.max()), float(x.min()), float(x.max() - x.min())


def _resample(tau: np.ndarray, y: np.ndarray, grid: np.ndarray) -> np.ndarray:
    ok = np.isfinite(y) & np.isfinite(tau)
    if ok.sum() < 2:
        return np.full(grid.size, np.nan)
    tt, yy = tau[ok], y[ok]
    out = np.interp(grid, tt, yy)
    out[(grid < tt[0]) | (grid > tt[-1])] = np.nan  # never extrapolate
    return out


def _first_at_least(x: np.ndarray, level: float) -> int:
    hit = np.flatnonzero(x >= level)
    return int(hit[0]) if hit.size else -1


def _loading_rate(force_bw: np.ndarray, dt: float, p: AnalysisParams) -> tuple[float, float, str | None]:
    """VALR, VILR (BW/s) and the method (science.md 7.1)."""
    n = force_bw.size
    if n < 8:
        return np.nan, np.nan, None
    early = force_bw[: max(3, int(0.25 * n))]
    pk, _ = find_peaks(early, prominence=0.1)
    if pk.size:
        ip_idx, method = int(pk[0]), "impact peak"
    else:
        ip_idx, method = round(0.13 * (n - 1)), "surrogate 13% stance"
    ip = force_bw[ip_idx]
    if ip <= 0:
        return np.nan, np.nan, None
    seg = force_bw[: ip_idx + 1]
    i20, i80 = _first_at_least(seg, 0.2 * ip), _first_at_least(seg, 0.8 * ip)
    if i20 < 0 or i80 <= i20:
        return np.nan, np.nan, method
    valr = (force_bw[i80] - force_bw[i20]) / ((i80 - i20) * dt)
    vilr = float(np.max(np.diff(force_bw[i20:i80 + 1])) / dt)
    return float(valr), vilr, method


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
    names = (*fr.region_names, *AXIS_REGIONS)
    col = {name: i for i, name in enumerate(names)}
    measured = set(lay.measured_regions())
    has = {r: (r in measured) for r in CANONICAL}
    region_stats = kernels.segment_reduce(fr.region_force_n, steps.k0, steps.k1)
    peak_stats = kernels.segment_reduce(fr.region_peak, steps.k0, steps.k1)
    area_stats = kernels.segment_reduce(fr.region_area_mm2, steps.k0, steps.k1)
    fti = region_stats.sums * dt  # N s
    axis = AxisGeometry(lay)
    grid = np.linspace(0.0, 1.0, GAIT_LINE_POINTS)
    curves = {
        "gait_line_insole": np.full((n_steps, GAIT_LINE_POINTS, 2), np.nan),
        "gait_line_axis": np.full((n_steps, GAIT_LINE_POINTS, 2), np.nan),
        "force_curve_n": np.full((n_steps, GAIT_LINE_POINTS), np.nan),
    }
    phases = RUN_PHASES if running else WALK_PHASES
    fc = p.cop_lowpass_run_hz if running else p.cop_lowpass_walk_hz
    sos = butter(4, fc, fs=fs, output="sos") if fs >= 4 * fc else None
    gap_idx = fr.gaps["index"] if fr.gaps.size else np.zeros(0, int)
    hallux_sensors = int(np.count_nonzero(np.asarray(lay.region_weights)[:, list(lay.region_names).index("hallux")] > 0)) if has["hallux"] else 0
    region_area_total = np.asarray(lay.region_weights).T @ np.where(np.asarray(lay.active, bool), np.asarray(lay.area_mm2, float), 0.0)
    out: list[dict] = []
    for k in range(n_steps):  # a loop over steps; all per-frame work inside is vectorised
        k0, k1 = int(steps.k0[k]), int(steps.k1[k])
        ic, to = steps.ic_s[k], steps.to_s[k]
        t = fr.t_s[k0:k1]
        force = fr.force_n[k0:k1]
        cop = fr.cop[k0:k1]
        rf = fr.region_force_n[k0:k1]
        contact = to - ic
        tau = (t - ic) / contact if np.isfinite(contact) and contact > 0 else np.full(t.size, np.nan)
        valid = np.isfinite(cop[:, 0])
        row: dict = {
            "ic_s": ic, "to_s": to, "contact_time_s": contact,
            "peak_force_n": float(force.max()) if force.size else np.nan,
            "peak_force_bw": float(force.max() / body_weight_n) if force.size and body_weight_n else np.nan,
            "lost_frames": int(np.count_nonzero((gap_idx >= k0 - 1) & (gap_idx < k1))),
        }
        # ---- COP path (insole frame and foot axis), gait line, velocity (1.3-1.5)
        ap, ml = cop[:, 0], cop[:, 1]
        s_ax, d_ax = lay.foot_axis_frame(ap, ml)
        s_ax, d_ax = np.asarray(s_ax, float), np.asarray(d_ax, float)
        curves["gait_line_insole"][k, :, 0] = _resample(tau, ap, grid)
        curves["gait_line_insole"][k, :, 1] = _resample(tau, ml, grid)
        curves["gait_line_axis"][k, :, 0] = _resample(tau, s_ax, grid)
        curves["gait_line_axis"][k, :, 1] = _resample(tau, d_ax, grid)
        curves["force_curve_n"][k] = _resample(tau, force, grid)
        xy = np.column_stack([ml * lay.width_mm, ap * lay.length_mm])
        vpath = xy[valid]
        row["cop_path_length_mm"] = float(np.sum(np.linalg.norm(np.diff(vpath, axis=0), axis=1))) if vpath.shape[0] > 1 else np.nan
        row["cop_ap_progression"] = float(s_ax[valid][-1] - s_ax[valid][0]) if valid.sum() > 1 else np.nan
        speed = np.full(t.size, np.nan)
        if valid.sum() >= 5:
            vi = np.flatnonzero(valid)
            run_xy = xy[vi[0]:vi[-1] + 1]
            if np.all(np.isfinite(run_xy)):
                filt = sosfiltfilt(sos, run_xy, axis=0) if sos is not None and run_xy.shape[0] > 27 else run_xy
                vel = np.gradient(filt, dt, axis=0)
                speed[vi[0]:vi[-1] + 1] = np.linalg.norm(vel, axis=1)
        core = (tau >= p.velocity_trim) & (tau <= 1.0 - p.velocity_trim)
        sv = speed[core]
        row["cop_velocity_mean_mm_s"] = float(np.nanmean(sv)) if np.isfinite(sv).any() else np.nan
        row["cop_velocity_max_mm_s"] = float(np.nanmax(sv)) if np.isfinite(sv).any() else np.nan
        # ---- strike (3.1, 3.2)
        first = np.flatnonzero(valid)
        if first.size:
            i0 = first[0]
            si = 100.0 * ap[i0]
            win = valid & (t >= t[i0]) & (t <= t[i0] + p.strike_window_s)
            si10 = 100.0 * float(np.mean(ap[win]))
        else:
            si = si10 = np.nan
        row["strike_index_pct"] = float(si)
        row["strike_index_10ms_pct"] = float(si10)
        row["strike_pattern"] = strike_pattern(si)
        row["strike_index_unstable"] = bool(np.isfinite(si) and abs(si - si10) > p.strike_flag_pct)
        onset = None
        if any(has[r] for r in HEEL) and any(has[r] for r in FOREFOOT_AND_TOES):
            heel = sum(rf[:, col[r]] for r in HEEL if has[r])
            fore = sum(rf[:, col[r]] for r in FOREFOOT_AND_TOES if has[r])
            t_heel = _first_at_least(heel, max(p.onset_min_n, p.onset_fraction * heel.max())) if heel.max() > 0 else -1
            t_fore = _first_at_least(fore, max(p.onset_min_n, p.onset_fraction * fore.max())) if fore.max() > 0 else -1
            if t_heel < 0 or heel.max() < p.onset_min_n:
                onset = "FFS"
            elif t_fore >= 0:
                delta = t[t_fore] - t[t_heel]
                onset = "RFS" if delta > p.onset_delta_s else ("FFS" if delta < -p.onset_delta_s else "MFS")
        row["onset_pattern"] = onset
        row["strike_methods_disagree"] = bool(onset is not None and row["strike_pattern"] is not None and onset != row["strike_pattern"])
        # ---- medial / lateral loading (4.2-4.4)
        fmed, flat = rf[:, col["medial_of_axis"]], rf[:, col["lateral_of_axis"]]
        tot = fmed + flat
        with np.errstate(invalid="ignore", divide="ignore"):
            lmfi = np.where(tot > 0, (flat - fmed) / tot, np.nan)
        row["lmfi_mean"] = float(np.nanmean(lmfi)) if np.isfinite(lmfi).any() else np.nan
        for name, a, b in phases:
            sel = (tau >= a / 100.0) & (tau < b / 100.0 if b < 100 else tau <= 1.0)
            mean, mx, mn, rng = _nan_stats(lmfi[sel])
            row[f"lmfi_{name}_mean"], row[f"lmfi_{name}_max"] = mean, mx
            row[f"lmfi_{name}_min"], row[f"lmfi_{name}_range"] = mn, rng
        f_ = {r: (fti[k, col[r]] if has.get(r, r in measured) else np.nan) for r in (*CANONICAL, *[s for s in ("mth2", "mth3", "mth4", "mth5") if s in col])}
        grid_sub = all(s in measured for s in ("mth2", "mth3", "mth4", "mth5"))
        m1 = f_["mth1"]
        m2 = f_["mth2"] if grid_sub else 0.5 * f_["mth2_3"]
        m3 = f_["mth3"] if grid_sub else 0.5 * f_["mth2_3"]
        m4 = f_["mth4"] if grid_sub else 0.5 * f_["mth4_5"]
        m5 = f_["mth5"] if grid_sub else 0.5 * f_["mth4_5"]

        def bal(a, b):
            return float(100.0 * (a - b) / (a + b)) if np.isfinite(a) and np.isfinite(b) and (a + b) > 0 else np.nan

        row["foot_balance_pct"] = bal(m1 + m2 + f_["heel_medial"], m3 + m4 + m5 + f_["heel_lateral"])
        row["forefoot_balance_pct"] = bal(m1 + m2, m3 + m4 + m5)
        row["medial_forefoot_balance_pct"] = bal(m2, m1) if grid_sub else np.nan
        row["toe_m1_balance_pct"] = bal(f_["hallux"], m1)
        # CPEI and ML COP excursion in the foot-axis frame
        s_mm, d_mm = axis.project(ap[valid], ml[valid])
        row["cpei_pct"] = axis.cpei(s_mm, d_mm)
        dv = d_ax[valid]
        row["d_ic"] = float(dv[0]) if dv.size else np.nan
        row["d_to"] = float(dv[-1]) if dv.size else np.nan
        row["ml_range_d"] = float(np.ptp(dv)) if dv.size else np.nan
        heel_f = sum(rf[:, col[r]] for r in HEEL if has[r]) if any(has[r] for r in HEEL) else None
        d_heel_off = d_flat = np.nan
        if heel_f is not None and heel_f.max() > 0:
            hp = int(np.argmax(heel_f))
            off = np.flatnonzero(heel_f[hp:] < 0.05 * heel_f.max())
            if off.size and valid[hp + off[0]]:
                d_heel_off = float(d_ax[hp + off[0]])
        mths = [r for r in MTH if has[r]]
        if mths:
            loaded = np.all([rf[:, col[r]] >= max(p.onset_min_n, 0.05 * rf[:, col[r]].max()) for r in mths], axis=0)
            ff_i = np.flatnonzero(loaded & valid)
            if ff_i.size:
                d_flat = float(d_ax[ff_i[0]])
        row["d_foot_flat"], row["d_heel_off"] = d_flat, d_heel_off
        # ---- hallux and windlass (5.1)
        total_fti = np.nansum([f_[r] for r in CANONICAL if has[r]])
        if has["hallux"]:
            fh = rf[:, col["hallux"]]
            hpk = float(fh.max()) if fh.size else np.nan
            row["hallux_peak_pressure_kpa"] = float(peak_stats.maxima[k, list(fr.region_names).index("hallux")]) if (hallux_sensors >= 2 and fr.unit == "kPa") else None
            row["hallux_max_force_n"] = hpk
            row["hallux_max_force_bw"] = hpk / body_weight_n if body_weight_n else np.nan
            row["hallux_fti_share"] = float(f_["hallux"] / total_fti) if total_fti > 0 else np.nan
            toes = f_["hallux"] + f_["lesser_toes"] if has["lesser_toes"] else np.nan
            row["hallux_toe_share"] = float(f_["hallux"] / toes) if np.isfinite(toes) and toes > 0 else np.nan
            row["hallux_mth1_ratio"] = float(f_["hallux"] / m1) if np.isfinite(m1) and m1 > 0 else np.nan
            thr = max(p.hallux_contact_min_n, p.hallux_contact_fraction * hpk) if np.isfinite(hpk) else np.inf
            row["hallux_contact_pct"] = float(100.0 * np.mean(fh >= thr)) if fh.size else np.nan
            h_on = _first_at_least(fh, thr)
            if heel_f is not None and h_on >= 0 and heel_f.max() > 0:
                hp = int(np.argmax(heel_f))
                off = np.flatnonzero(heel_f[hp:] < 0.05 * heel_f.max())
                row["hallux_onset_rel_heel_off_ms"] = float(1000.0 * (t[h_on] - t[hp + off[0]])) if off.size else np.nan
            else:
                row["hallux_onset_rel_heel_off_ms"] = np.nan
            late = (tau >= 0.5) & (tau <= 1.0)
            medial_push = rf[late, col["hallux"]] + rf[late, col["mth1"]] * has["mth1"] + (
                rf[late, col["mth2"]] if grid_sub else 0.5 * rf[late, col["mth2_3"]] * has["mth2_3"])
            ff_toes = sum(rf[late, col[r]] for r in FOREFOOT_AND_TOES if has[r])
            with np.errstate(invalid="ignore", divide="ignore"):
                row["medial_pushoff_share"] = float(np.sum(medial_push) / np.sum(ff_toes)) if np.sum(ff_toes) > 0 else np.nan
            # toe-off route over the last 10 % of stance (valid COP only)
            last = valid & (tau >= 1.0 - p.route_window)
            final = tau >= 1.0 - p.route_final_window
            route = None
            if last.any():
                d_mean = float(np.mean(d_ax[last]))
                fin = {r: rf[final, col[r]].sum() for r in CANONICAL if has[r]}
                hallux_top = bool(fin) and max(fin, key=fin.get) == "hallux"
                lat_sum = (rf[last, col["mth4_5"]].sum() if has["mth4_5"] else 0.0) + (rf[last, col["lesser_toes"]].sum() if has["lesser_toes"] else 0.0)
                med_sum = rf[last, col["hallux"]].sum() + (rf[last, col["mth1"]].sum() if has["mth1"] else 0.0) + (
                    rf[last, col["mth2"]].sum() if grid_sub else (0.5 * rf[last, col["mth2_3"]].sum() if has["mth2_3"] else 0.0))
                if d_mean >= 0 and hallux_top:
                    route = "first-ray"
                elif d_mean <= -p.route_lateral_d or lat_sum > med_sum:
                    route = "lateral"
                else:
                    route = "central"
                row["cop_to_mean_s"], row["cop_to_mean_d"] = float(np.mean(s_ax[last])), d_mean
            else:
                row["cop_to_mean_s"] = row["cop_to_mean_d"] = np.nan
            row["toe_off_route"] = route
        else:
            for key in ("hallux_peak_pressure_kpa", "hallux_max_force_n", "hallux_max_force_bw", "hallux_fti_share",
                        "hallux_toe_share", "hallux_mth1_ratio", "hallux_contact_pct", "hallux_onset_rel_heel_off_ms",
                        "medial_pushoff_share", "cop_to_mean_s", "cop_to_mean_d"):
                row[key] = None
            row["toe_off_route"] = "not measured"
        row["cop_to_s"] = float(s_ax[valid][-1]) if valid.any() else np.nan
        row["cop_to_d"] = float(d_ax[valid][-1]) if valid.any() else np.nan
        # ---- regions (6): peak / mean pressure, PTI, FTI, contact area
        regions = {}
        unit = fr.unit
        for r in CANONICAL:
            if not has[r]:
                regions[r] = None
                continue
            ri = list(fr.region_names).index(r)
            mean_p = float(np.mean(rf[:, col[r]]) / (region_area_total[ri] * 1e-3)) if unit == "kPa" and region_area_total[ri] > 0 and rf.shape[0] else np.nan
            regions[r] = {
                "peak_pressure_kpa" if unit == "kPa" else "peak_force_sensor_n": float(peak_stats.maxima[k, ri]),
                "mean_pressure_kpa": mean_p if unit == "kPa" else None,
                "pti_kpa_s": float(peak_stats.sums[k, ri] * dt) if unit == "kPa" else None,
                "fti_n_s": float(fti[k, col[r]]),
                "max_force_n": float(region_stats.maxima[k, col[r]]),
                "contact_area_cm2": float(area_stats.maxima[k, ri] / 100.0) if unit == "kPa" else None,
            }
        row["regions"] = regions
        # toe data sufficiency (5.2): toe peak < 2 % BW
        toe_peak = max((region_stats.maxima[k, col[r]] for r in TOES if has[r]), default=np.nan)
        row["toe_peak_force_n"] = float(toe_peak) if np.isfinite(toe_peak) else None
        # ---- loading rate (7.1)
        if fs >= p.loading_rate_min_hz and body_weight_n:
            valr, vilr, method = _loading_rate(force / body_weight_n, dt, p)
            row["valr_bw_s"], row["vilr_bw_s"] = valr, vilr
            row["loading_rate_method"] = method if fs >= p.loading_rate_full_hz else (f"{method}, low resolution" if method else None)
        else:
            row["valr_bw_s"] = row["vilr_bw_s"] = None
            row["loading_rate_method"] = "unavailable"
        out.append(row)
    return out, curves

"""Synthetic insole recordings with known truth (``insole simulate``).

:func:`simulate` generates physically plausible frames for any layout and
task (walk, run, heel-raise, balance, static) and stores beside them, in
``/truth``, what the generative model did: event times, strike index and
pattern, toe-off route, hallux share, heel-raise repetitions.  The truth is
defined from the model (see :mod:`insole.simulate._model`), never recomputed
with the analysis code; this package does not import :mod:`insole.analysis`.

Event truth: initial contact and toe-off are where the noise-free total force
crosses ``baseline + 2 % of body weight`` (science.md 2.2; the generative
baseline is 0 N), found by root finding on the continuous force curve.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from insole.simulate import _model as M
from insole.simulate._realism import Realism, RealismApplier
from insole.simulate._spread import LayoutGeometry, template

TASKS = ("walk", "run", "heel-raise", "balance", "static")
GRAVITY = 9.80665
#: Event threshold above the baseline, fraction of body weight (science.md 2.2).
EVENT_FRACTION_BW = 0.02
#: Normalised-stance samples per stance template.
TEMPLATE_ROWS = 65
#: Distinct stance templates per foot (steps cycle through them).
TEMPLATE_POOL = 12
CHUNK_FRAMES = 4096

_DEFAULT_DURATION_S = {"walk": 40.0, "run": 20.0, "balance": 30.0, "static": 10.0}


@dataclass(frozen=True)
class SimulationParams:
    """Parameters of a simulation; every field is stored in ``/truth/params``.

    Parameters
    ----------
    layout : str
        Layout preset name (e.g. ``"pedar-99"``).
    task : str
        ``walk``, ``run``, ``heel-raise``, ``balance`` or ``static``.
    duration_s : float, optional
        Length; default 40 s walk (>= 30 steps per foot), 20 s run, 30 s
        balance, 10 s static; heel-raise: as long as the repetitions take.
    rate_hz : float
        Sampling rate.
    seed : int
        Random seed: same seed, same recording.
    cadence_spm : float, optional
        Steps per minute (default 110 walk, 170 run).
    contact_time_s : float, optional
        Contact time between event-threshold crossings (default 62 % of the
        stride walking, 0.25 s running).
    strike_index_pct : float, optional
        Strike index in % of insole length; default from ``strike_pattern``.
    strike_pattern : str
        ``RFS``, ``MFS``, ``FFS`` or ``random`` (a random pattern and index
        drawn at least 3 % of length from the class boundaries).
    ml_bias : float
        -1..1: medially (+) or laterally (-) directed loading pattern.
    toe_off_route : str
        ``first-ray``, ``central`` or ``lateral``.
    hallux_share : float, optional
        Hallux share of the toe load at push-off (default per route).
    asymmetry : float
        Right foot: contact time x (1 + a), force x (1 - a/2).
    body_mass_kg : float
    subject : str
    reps : int
        Heel raises (task heel-raise).
    fatigue_drift : float
        0..1: heel-raise end position drifts toward the lateral toes over the reps.
    end_class : str
        Heel-raise end position before any drift.
    foot : str
        Foot of single-leg tasks.
    partial_reps, assists, touchdowns : int
        Heel-raise partial (too low) repetitions and other-foot assists;
        balance touch-downs of the other foot.
    static_left_share, static_forefoot_share : float
        Static standing load split.
    rpm : float
        Heel-raise metronome (reps/min; 30 = up on one beat, down on the next at 60 bpm).
    noise, drift, nonlinearity, hysteresis, crosstalk, saturation, drop_rate
        Realism knobs (:class:`insole.simulate._realism.Realism`); readings below three
        times the noise are zeroed, as devices with a noise threshold do.
    adc_bits : int, optional
        Store raw ADC counts of this many bits plus a calibration, like a DIY insole.
    """

    layout: str = "pedar-99"
    task: str = "walk"
    duration_s: float | None = None
    rate_hz: float = 100.0
    seed: int = 0
    cadence_spm: float | None = None
    contact_time_s: float | None = None
    strike_index_pct: float | None = None
    strike_pattern: str = "RFS"
    ml_bias: float = 0.0
    toe_off_route: str = "first-ray"
    hallux_share: float | None = None
    asymmetry: float = 0.0
    body_mass_kg: float = 70.0
    subject: str = "sim-001"
    reps: int = 10
    fatigue_drift: float = 0.0
    end_class: str = "hallux/first ray"
    foot: str = "left"
    partial_reps: int = 0
    assists: int = 0
    touchdowns: int = 0
    static_left_share: float = 0.5
    static_forefoot_share: float = 0.4
    rpm: float = 30.0
    noise: float = 1.0
    drift: float = 0.0
    nonlinearity: float = 0.0
    hysteresis: float = 0.0
    crosstalk: float = 0.0
    saturation: float | None = None
    drop_rate: float = 0.0
    adc_bits: int | None = None

    def __post_init__(self) -> None:
        from insole.exceptions import InsoleError

        def bad(msg: str) -> None:
            raise InsoleError(msg)

        if self.task not in TASKS:
            bad(f"unknown task {self.task!r}; use one of {', '.join(TASKS)}")
        if not (1.0 <= self.rate_hz <= 5000.0):
            bad("--rate must be between 1 and 5000 Hz")
        if self.duration_s is not None and not (0.5 <= self.duration_s <= 86400):
            bad("--duration must be between 0.5 s and 24 h")
        if self.strike_pattern not in (*M.STRIKE_PATTERNS, "random"):
            bad("--strike-pattern must be RFS, MFS, FFS or random")
        if self.strike_index_pct is not None and not (0.0 <= self.strike_index_pct <= 100.0):
            bad("--strike-index is a percentage of insole length (0-100)")
        if self.toe_off_route not in M.ROUTES:
            bad(f"--toe-off-route must be one of {', '.join(M.ROUTES)}")
        if self.end_class not in M.END_CLASSES:
            bad(f"end class must be one of {', '.join(M.END_CLASSES)}")
        if self.foot not in ("left", "right"):
            bad("--foot must be left or right")
        if not (-1.0 <= self.ml_bias <= 1.0):
            bad("--ml-bias must be between -1 (lateral) and 1 (medial)")
        if self.hallux_share is not None and not (0.0 <= self.hallux_share <= 1.0):
            bad("--hallux-share must be between 0 and 1")
        if not (0.0 <= self.fatigue_drift <= 1.0):
            bad("--fatigue-drift must be between 0 and 1")
        if not (0.0 <= abs(self.asymmetry) < 0.5):
            bad("--asymmetry must be between -0.5 and 0.5")
        if not (20.0 <= self.body_mass_kg <= 300.0):
            bad("--body-mass must be between 20 and 300 kg")
        if not (0.0 <= self.drop_rate < 0.5):
            bad("--drop-rate must be between 0 and 0.5")
        if self.reps < 0 or self.reps > 500:
            bad("--reps must be between 0 and 500")
        if self.adc_bits is not None and not (8 <= self.adc_bits <= 16):
            bad("--adc-bits must be between 8 and 16")

    @property
    def body_weight_n(self) -> float:
        """Body weight in newtons."""
        return self.body_mass_kg * GRAVITY

    @property
    def realism(self) -> Realism:
        """The imperfection knobs."""
        return Realism(self.noise, self.drift, self.nonlinearity, self.hysteresis, self.crosstalk,
                       self.saturation, self.drop_rate, dead_band=3.0 * self.noise)

    def resolved_duration_s(self) -> float:
        """Duration actually simulated."""
        if self.duration_s is not None:
            return float(self.duration_s)
        if self.task == "heel-raise":
            return 3.0 + (self.reps + self.partial_reps) * 120.0 / self.rpm / 2.0 + 2.0
        return _DEFAULT_DURATION_S[self.task]


# =============================================================================== segments
@dataclass
class _Segments:
    """Everything needed to generate one foot's frames, plus its truth."""

    kind: str  # "stance" (gather path) or "mix" (row-weights path)
    templates: np.ndarray  # (P, K, m) float32 values per newton
    # stance path
    onset_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    length_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    amp_n: np.ndarray = field(default_factory=lambda: np.zeros(0))
    template_id: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    shape: str = "walk"
    # mix path: callable t -> (row weights (n, K), force (n,))
    mix_fn: Any = None
    truth: dict[str, Any] = field(default_factory=dict)

    def values(self, t: np.ndarray) -> np.ndarray:
        m = self.templates.shape[-1]
        if self.kind == "mix":
            rw, force = self.mix_fn(t)
            return ((rw @ self.templates[0]) * force[:, None]).astype(np.float32)
        out = np.zeros((t.size, m), dtype=np.float32)
        if self.onset_s.size == 0:
            return out
        s = np.searchsorted(self.onset_s, t, side="right") - 1
        valid = s >= 0
        sv = np.where(valid, s, 0)
        tau = (t - self.onset_s[sv]) / self.length_s[sv]
        inside = valid & (tau >= 0.0) & (tau < 1.0)
        if not inside.any():
            return out
        idx = np.flatnonzero(inside)
        si, tau_i = sv[idx], tau[idx]
        force = self.amp_n[si] * M.shape_values(self.shape, tau_i)
        pos = tau_i * (self.templates.shape[1] - 1)
        k0 = np.minimum(pos.astype(np.intp), self.templates.shape[1] - 2)
        a = (pos - k0).astype(np.float32)[:, None]
        tid = self.template_id[si]
        lo = self.templates[tid, k0]
        hi = self.templates[tid, k0 + 1]
        out[idx] = (lo + a * (hi - lo)) * force.astype(np.float32)[:, None]
        return out


def _event_times(shape: str, onset: np.ndarray, length: np.ndarray, amp_n: np.ndarray, threshold_n: float) -> tuple[np.ndarray, np.ndarray]:
    ic, to = np.empty(onset.size), np.empty(onset.size)
    cache: dict[float, tuple[float, float]] = {}
    for k in range(onset.size):  # per step (not per frame): root finding on the continuous curve
        level = round(threshold_n / amp_n[k], 12)
        if level not in cache:
            cache[level] = M.crossing_tau(shape, level)
        on, off = cache[level]
        ic[k], to[k] = onset[k] + on * length[k], onset[k] + off * length[k]
    return ic, to


def _region_shares(geom: LayoutGeometry, tpl: np.ndarray, force_bw: np.ndarray) -> dict[str, float]:
    """Force-time integrals per region of one stance template (noise-free, from the model)."""
    lay = geom.layout
    per_n = tpl.astype(float) * geom.n_per_unit  # rows sum to 1: distribution of the force
    fti = (force_bw[:, None] * per_n).sum(axis=0) @ np.asarray(lay.region_weights)
    return dict(zip(lay.region_names, fti))


def _stance_segments(p: SimulationParams, geom: LayoutGeometry, foot: str, rng: np.random.Generator, duration: float) -> _Segments:
    run = p.task == "run"
    cadence = p.cadence_spm or (170.0 if run else 110.0)
    stride = 120.0 / cadence
    right = foot == "right"
    asym = p.asymmetry if right else 0.0
    contact = (p.contact_time_s or (0.25 if run else 0.62 * stride)) * (1.0 + asym)
    bw = p.body_weight_n
    threshold = EVENT_FRACTION_BW * bw

    # pattern and strike index of this recording
    pattern = p.strike_pattern
    if p.strike_index_pct is not None:
        si_base = float(p.strike_index_pct)
        pattern = M.strike_pattern(si_base)
    else:
        if pattern == "random":
            pattern = M.STRIKE_PATTERNS[int(rng.integers(3))]
            lo, hi = M.STRIKE_RANGE_PCT[pattern]
            si_base = float(rng.uniform(lo, hi))
        else:
            si_base = M.STRIKE_DEFAULT_PCT[pattern]
    shape = M.shape_name(p.task, pattern)
    route = p.toe_off_route
    hallux_share = M.ROUTE_HALLUX_SHARE[route] if p.hallux_share is None else p.hallux_share

    # stance templates: a pool with small per-template variation (strike index, ml bias)
    k_rows = np.linspace(0.0, 1.0, TEMPLATE_ROWS)
    force_bw_rows = M.shape_values(shape, k_rows)
    lo, hi = M.STRIKE_RANGE_PCT[pattern] if p.strike_index_pct is None else (si_base - 1.0, si_base + 1.0)
    templates, si_pool, hallux_pool = [], [], []
    for _ in range(TEMPLATE_POOL):
        si = float(np.clip(si_base + rng.normal(0.0, 1.0), lo, hi))
        bias = float(np.clip(p.ml_bias + rng.normal(0.0, 0.05), -1, 1))
        # a COP can only lie between the layout's first and last sensor (loadsol's forefoot
        # zones end at ap 0.73): the strike point is kept where the device can show it
        ap0 = float(np.clip(si / 100.0, *geom.reachable_ap()))
        strike = (ap0, geom.axis_ml(ap0) + 0.06 * bias)
        weights, _ = M.stance_site_weights(k_rows, pattern, route, bias, hallux_share)
        tpl, cop = template(geom, weights, strike)
        templates.append(tpl)
        si_pool.append(100.0 * float(cop[0, 0]))  # the generative COP at initial contact
        shares = _region_shares(geom, tpl, force_bw_rows)
        measured = geom.layout.measured_regions()
        if "hallux" in measured and "lesser_toes" in measured:
            toes = shares["hallux"] + shares["lesser_toes"]
            hallux_pool.append(shares["hallux"] / toes if toes > 0 else np.nan)
        else:
            hallux_pool.append(np.nan)
    templates_arr = np.stack(templates)

    # timeline: steady gait, left foot first, right half a stride later
    first = 0.35 + (0.5 * stride if right else 0.0)
    n_max = int(duration / stride) + 2
    strides = stride * (1.0 + rng.normal(0.0, 0.012, n_max))
    starts = first + np.concatenate([[0.0], np.cumsum(strides[:-1])])
    lengths = contact * (1.0 + rng.normal(0.0, 0.015, n_max))
    # generative stance length so that the threshold-to-threshold contact equals `contact`
    amp = bw * (1.0 - (asym / 2.0)) * (1.0 + rng.normal(0.0, 0.02, n_max))
    on_tau, off_tau = M.crossing_tau(shape, EVENT_FRACTION_BW)
    lengths = lengths / (off_tau - on_tau)
    keep = starts + lengths < duration - 0.2
    starts, lengths, amp = starts[keep], lengths[keep], amp[keep]
    tid = np.arange(starts.size) % TEMPLATE_POOL
    ic, to = _event_times(shape, starts, lengths, amp, threshold)
    si_steps = np.asarray(si_pool)[tid]
    truth = {
        "onset_s": starts,
        "offset_s": starts + lengths,
        "ic_s": ic,
        "to_s": to,
        "contact_time_s": to - ic,
        "strike_index_pct": si_steps,
        "strike_pattern": np.array([M.strike_pattern(s) for s in si_steps]),
        "toe_off_route": np.array([route] * starts.size),
        "hallux_share": np.asarray(hallux_pool)[tid],
        "peak_force_n": amp * force_bw_rows.max(),
    }
    return _Segments("stance", templates_arr, starts, lengths, amp, tid, shape, truth=truth)


def _mix_segments(geom: LayoutGeometry, mixes: list[dict[str, float]], targets_shift_mm: list[tuple[float, float]] | None,
                  fn_factory) -> tuple[_Segments, np.ndarray]:
    rows = np.vstack([M.mixture_weights(m) for m in mixes])
    dists, centres = geom.site_matrix(None)
    mix = rows @ dists
    target_mm = geom.to_mm(rows @ centres)
    if targets_shift_mm is not None:
        target_mm = target_mm + np.asarray(targets_shift_mm)
    target_mm = geom.project_into_hull(target_mm)
    from insole.simulate._spread import tilt

    tilted = tilt(mix, geom.xy_mm, target_mm)
    tpl = (tilted / np.where(geom.n_per_unit > 0, geom.n_per_unit, np.inf)).astype(np.float32)
    cop_norm = geom.to_norm(target_mm)
    return _Segments("mix", tpl[None], mix_fn=fn_factory), cop_norm


FLAT_MIX = {"heel": 0.45, "midfoot_lateral": 0.10, "mth1": 0.12, "mth2_3": 0.15, "mth4_5": 0.10, "hallux": 0.05, "lesser_toes": 0.03}


def _classify_top(geom: LayoutGeometry, mix: dict[str, float]) -> tuple[str, float, float]:
    """End-position class of a heel-raise top mixture by science.md 8.2 (from the model's own sites)."""
    w = M.mixture_weights(mix)[1:]
    names = M.SITE_NAMES
    share = dict(zip(names, w))
    fore = sum(share[n] for n in ("mth1", "mth2_3", "mth4_5", "hallux", "lesser_toes"))
    medial = (share["hallux"] + share["mth1"] + 0.5 * share["mth2_3"]) / fore
    lateral = (share["mth4_5"] + share["lesser_toes"]) / fore
    centres = np.array([geom.site_centres[n] for n in names])
    ap, ml = w @ centres
    _s, d = geom.layout.foot_axis_frame(np.array([ap]), np.array([ml]))
    d = float(np.asarray(d).ravel()[0])
    if d >= 0 and medial >= 0.5:
        return "hallux/first ray", d, medial
    if d <= -0.10 or lateral >= 0.5:
        return "lateral drift", d, medial
    return "central", d, medial


def _heel_raise(p: SimulationParams, geom: LayoutGeometry, rng: np.random.Generator, duration: float):
    bw = p.body_weight_n
    period = 60.0 / p.rpm  # 30 reps/min: 2 s per rep (up on one beat, down on the next at 60 bpm)
    # 30 reps/min = 2 s per rep: rise 20 %, hold 30 %, lower 20 %, rest 30 % of the period
    rise, hold, lower = 0.2 * period, 0.3 * period, 0.2 * period
    n_total = p.reps + p.partial_reps
    partial_at = set(rng.choice(np.arange(1, max(n_total, 2)), size=min(p.partial_reps, max(n_total - 1, 0)), replace=False).tolist()) if p.partial_reps else set()
    mixes = [FLAT_MIX]
    rep_rows, starts, heights, classes, d_top, med_top = [], [], [], [], [], []
    t = 3.0
    full_index = 0
    for r in range(n_total):
        partial = r in partial_at
        u = p.fatigue_drift * (full_index / max(p.reps - 1, 1)) if not partial else 0.0
        base = M.TOP_MIX[p.end_class]
        lat = M.TOP_MIX["lateral drift"]
        mix = {k: (1 - u) * base.get(k, 0.0) + u * lat.get(k, 0.0) for k in set(base) | set(lat)}
        mixes.append(mix)
        cls, d, med = _classify_top(geom, mix)
        rep_rows.append(len(mixes) - 1)
        starts.append(t)
        heights.append(0.4 if partial else 1.0)
        classes.append("partial" if partial else cls)
        d_top.append(d)
        med_top.append(med)
        if not partial:
            full_index += 1
        t += period
    starts_a = np.asarray(starts)
    heights_a = np.asarray(heights)
    rows_a = np.asarray(rep_rows)
    n_rows = len(mixes)

    def fn(tt: np.ndarray):
        rw = np.zeros((tt.size, n_rows), dtype=np.float32)
        u = np.zeros(tt.size)
        row = np.zeros(tt.size, dtype=np.intp)
        if starts_a.size:
            k = np.clip(np.searchsorted(starts_a, tt, side="right") - 1, 0, starts_a.size - 1)
            x = tt - starts_a[k]
            inside = (x >= 0) & (tt >= starts_a[0])
            up = M._ramp(x, 0.0, rise) * (1.0 - M._ramp(x, rise + hold, rise + hold + lower))
            u = np.where(inside, up * heights_a[k], 0.0)
            row = rows_a[k]
        rw[np.arange(tt.size), 0] = (1.0 - u).astype(np.float32)
        rw[np.arange(tt.size), row] += u.astype(np.float32)
        return rw, np.full(tt.size, bw)

    seg, _cop = _mix_segments(geom, mixes, None, fn)
    valid = np.array([c != "partial" for c in classes])
    truth = {
        "foot": p.foot,
        "rep_start_s": starts_a,
        "top_start_s": starts_a + rise,
        "top_end_s": starts_a + rise + hold,
        "rep_end_s": starts_a + rise + hold + lower,
        "valid": valid,
        "end_class": np.array(classes),
        "d_top": np.asarray(d_top),
        "medial_share_top": np.asarray(med_top),
        "n_valid_reps": int(valid.sum()),
        "fatigue_drift": bool(p.fatigue_drift >= 0.5 and p.reps >= 6),
    }
    return seg, truth


def _balance(p: SimulationParams, geom: LayoutGeometry, rng: np.random.Generator, duration: float):
    bw = p.body_weight_n
    sway_ml_mm, sway_ap_mm = 8.0, 12.0
    corners = [(-sway_ml_mm, -sway_ap_mm), (sway_ml_mm, -sway_ap_mm), (-sway_ml_mm, sway_ap_mm), (sway_ml_mm, sway_ap_mm)]
    # sway signals: low-passed noise mapped to [0, 1], drawn on a 50 Hz grid then interpolated
    grid_t = np.arange(0.0, duration + 1.0, 0.02)
    from scipy.signal import butter, sosfiltfilt

    sos = butter(2, 0.8, fs=50.0, output="sos")
    su = sosfiltfilt(sos, rng.standard_normal(grid_t.size))
    sv = sosfiltfilt(sos, rng.standard_normal(grid_t.size))
    su = 0.5 + 0.5 * np.tanh(su / (2 * su.std() + 1e-12))
    sv = 0.5 + 0.5 * np.tanh(sv / (2 * sv.std() + 1e-12))

    def fn(tt):
        u = np.interp(tt, grid_t, su)
        v = np.interp(tt, grid_t, sv)
        rw = np.column_stack([(1 - u) * (1 - v), u * (1 - v), (1 - u) * v, u * v]).astype(np.float32)
        return rw, np.full(tt.size, bw)

    seg, cop = _mix_segments(geom, [FLAT_MIX] * 4, corners, fn)
    tgrid = np.arange(0, duration, 0.01)
    u, v = np.interp(tgrid, grid_t, su), np.interp(tgrid, grid_t, sv)
    ml = (1 - u) * cop[0, 1] + u * cop[1, 1]
    ap = (1 - v) * cop[0, 0] + v * cop[2, 0]
    truth = {
        "foot": p.foot,
        "cop_ml_range_mm": float(np.ptp(ml) * geom.layout.width_mm),
        "cop_ap_range_mm": float(np.ptp(ap) * geom.layout.length_mm),
    }
    return seg, truth


def _touchdowns(n: int, duration: float, rng: np.random.Generator, bw: float, geom: LayoutGeometry):
    """Brief loadings of the other foot (assists / touch-downs)."""
    if n <= 0:
        times = np.zeros(0)
    else:
        times = np.sort(rng.uniform(4.0, max(duration - 1.0, 4.5), n))
    lengths = np.full(times.size, 0.4)
    seg, _ = _mix_segments(geom, [FLAT_MIX], None, None)

    def fn(tt):
        force = np.zeros(tt.size)
        if times.size:
            k = np.clip(np.searchsorted(times, tt, side="right") - 1, 0, times.size - 1)
            x = tt - times[k]
            inside = (x >= 0) & (x < lengths[k])
            force = np.where(inside, 0.3 * bw * np.sin(np.pi * np.clip(x / lengths[k], 0, 1)), 0.0)
        return np.ones((tt.size, 1), np.float32), force

    seg.mix_fn = fn
    return seg, times


def _static(p: SimulationParams, geoms: dict[str, LayoutGeometry], rng: np.random.Generator):
    bw = p.body_weight_n
    ff = p.static_forefoot_share
    mix = {"heel": (1 - ff) * 0.85, "midfoot_lateral": (1 - ff) * 0.15, "mth1": ff * 0.35, "mth2_3": ff * 0.4, "mth4_5": ff * 0.25}
    segs, truth = {}, {"left_share": p.static_left_share, "forefoot_share": ff}
    for foot, geom in geoms.items():
        share = p.static_left_share if foot == "left" else 1.0 - p.static_left_share
        phase = rng.uniform(0, 2 * np.pi)

        def fn(tt, share=share, phase=phase):
            return np.ones((tt.size, 1), np.float32), share * bw * (1.0 + 0.01 * np.sin(2 * np.pi * 0.3 * tt + phase))

        seg, cop = _mix_segments(geom, [mix], None, fn)
        segs[foot] = seg
        truth[foot] = {"cop_ap": float(cop[0, 0]), "cop_ml": float(cop[0, 1]), "force_n": share * bw}
    return segs, truth


# =============================================================================== public API
def _build(p: SimulationParams):
    from insole.layout import get_layout

    rng = np.random.default_rng(p.seed)
    duration = p.resolved_duration_s()
    layouts = {foot: get_layout(p.layout, side=foot) for foot in ("left", "right")}
    geoms = {foot: LayoutGeometry(lay) for foot, lay in layouts.items()}
    truth: dict[str, Any] = {"params": {k: v for k, v in dataclasses.asdict(p).items() if v is not None},
                             "event_threshold_n": EVENT_FRACTION_BW * p.body_weight_n, "baseline_n": 0.0,
                             "duration_s": duration}
    segs: dict[str, _Segments] = {}
    if p.task in ("walk", "run"):
        for foot in ("left", "right"):
            segs[foot] = _stance_segments(p, geoms[foot], foot, rng, duration)
            truth[foot] = segs[foot].truth
    elif p.task == "heel-raise":
        other = "right" if p.foot == "left" else "left"
        segs[p.foot], truth["heel_raise"] = _heel_raise(p, geoms[p.foot], rng, duration)
        segs[other], times = _touchdowns(p.assists, duration, rng, p.body_weight_n, geoms[other])
        truth["heel_raise"]["assist_s"] = times
    elif p.task == "balance":
        other = "right" if p.foot == "left" else "left"
        segs[p.foot], truth["balance"] = _balance(p, geoms[p.foot], rng, duration)
        segs[other], times = _touchdowns(p.touchdowns, duration, rng, p.body_weight_n, geoms[other])
        truth["balance"]["touchdown_s"] = times
    else:
        segs, truth["static"] = _static(p, geoms, rng)
    return layouts, segs, truth, duration, rng


def _adc(p: SimulationParams, layout) -> tuple[float, Any] | None:
    if p.adc_bits is None:
        return None
    from insole.calibration import Calibration

    # full scale: the saturation when given, else room for ~12 body weights spread over the
    # layout's sensing area (sparse layouts concentrate the load, so their sensors read high)
    area_m2 = float(np.sum(np.asarray(layout.area_mm2)[np.asarray(layout.active, bool)])) * 1e-6
    if layout.kind == "pressure_kpa":
        full = p.saturation or max(1000.0, 12.0 * p.body_weight_n / area_m2 * 1e-3)
    else:
        full = p.saturation or 4.0 * p.body_weight_n
    gain = full / (2**p.adc_bits - 1)
    unit = "kPa" if layout.kind == "pressure_kpa" else "N"
    return gain, Calibration(unit, np.zeros(layout.n_sensors), np.full(layout.n_sensors, gain), source="simulated ADC")


def _metadata(p: SimulationParams, duration: float):
    from insole.recording import Metadata

    return Metadata(subject_id=p.subject, body_mass_kg=p.body_mass_kg, task=p.task, sampling_rate_hz=p.rate_hz,
                    device="insole simulator", firmware="sim", source="simulate", footwear="shod",
                    notes=f"simulated {p.task}, seed {p.seed}, {duration:g} s")


def simulate(path: str | os.PathLike | None = None, *, overwrite: bool = False, compression: str | None = "gzip", **params: Any):
    """Simulate a recording with known truth.

    Parameters
    ----------
    path : str or Path, optional
        Stream the recording to this HDF5 file (bounded memory, written
        atomically) and return the path; without it the recording is returned
        in memory.
    overwrite : bool
        Replace an existing file.
    compression : {"gzip", "lzf", "none"}
        Compression of the raw values in the file.
    **params
        Fields of :class:`SimulationParams` (``layout``, ``task``, ``duration_s``,
        ``rate_hz``, ``seed``, ...).

    Returns
    -------
    Recording or Path

    Examples
    --------
    >>> rec = simulate(layout="moticon-16", task="walk", duration_s=10, seed=1)  # doctest: +SKIP
    >>> rec.truth["left"]["strike_pattern"][:3]  # doctest: +SKIP
    array(['RFS', 'RFS', 'RFS'], dtype='<U3')
    """
    p = params.pop("params") if "params" in params else SimulationParams(**params)
    layouts, segs, truth, duration, _rng = _build(p)
    n = round(duration * p.rate_hz)
    realism = p.realism
    appliers = {foot: RealismApplier(realism, layouts[foot].n_sensors, layouts[foot].grid_shape, p.rate_hz, duration,
                                     np.random.default_rng([p.seed, i + 1])) for i, foot in enumerate(("left", "right"))}
    adc = {foot: _adc(p, layouts[foot]) for foot in layouts}

    def blocks(foot: str):
        for i0 in range(0, n, CHUNK_FRAMES):
            i1 = min(n, i0 + CHUNK_FRAMES)
            k = np.arange(i0, i1)
            t = k / p.rate_hz
            vals = segs[foot].values(t)
            vals = appliers[foot].apply(vals, t)
            keep = appliers[foot].keep_mask(i1 - i0)
            if adc[foot] is not None:
                gain = adc[foot][0]
                vals = np.clip(np.rint(vals / gain), 0, 2**p.adc_bits - 1).astype(np.uint16)
            yield k[keep], t[keep], vals[keep]

    unit = {foot: ("count" if adc[foot] is not None else ("kPa" if layouts[foot].kind == "pressure_kpa" else "N")) for foot in layouts}
    metadata = _metadata(p, duration)
    if path is None:
        from insole.recording import FootData, Recording
        from insole.store import schema

        feet = {}
        for foot in ("left", "right"):
            parts = list(blocks(foot))
            k = np.concatenate([b[0] for b in parts]) if parts else np.zeros(0, int)
            t = np.concatenate([b[1] for b in parts]) if parts else np.zeros(0)
            v = np.concatenate([b[2] for b in parts]) if parts else np.zeros((0, layouts[foot].n_sensors), np.float32)
            feet[foot] = FootData(v, unit[foot], np.rint(t * 1e6).astype(np.int64), t, k.astype(np.uint32), layouts[foot],
                                  adc[foot][1] if adc[foot] else None, gaps=_gaps_from_seq(k, t, schema.GAP_DTYPE),
                                  link={"frames_received": float(k.size), "frames_lost": float(n - k.size)})
        return Recording(feet, metadata, truth=truth)
    return _stream(Path(path), p, layouts, unit, adc, metadata, truth, blocks, n, overwrite, compression)


def _gaps_from_seq(k: np.ndarray, t: np.ndarray, dtype) -> np.ndarray:
    if k.size < 2:
        return np.zeros(0, dtype=dtype)
    jump = np.flatnonzero(np.diff(k) > 1)
    gaps = np.zeros(jump.size, dtype=dtype)
    gaps["index"] = jump
    gaps["n_missing"] = k[jump + 1] - k[jump] - 1
    gaps["t_host_s"] = t[jump]
    gaps["first_seq"] = k[jump] + 1
    return gaps


def _stream(path: Path, p, layouts, unit, adc, metadata, truth, blocks, n, overwrite, compression) -> Path:
    from insole.store import FootSpec, RecordingWriter, schema

    specs = {foot: FootSpec(layouts[foot], np.uint16 if adc[foot] else np.float32, unit[foot],
                            adc[foot][1] if adc[foot] else None) for foot in layouts}
    writer = RecordingWriter(path, specs, metadata, overwrite=overwrite, atomic=True, compression=compression,
                             flush_frames=CHUNK_FRAMES * 4, flush_interval_s=1e9)
    try:
        for foot in ("left", "right"):
            received = 0
            last_k, last_t, idx = None, None, 0
            for k, t, v in blocks(foot):
                if k.size == 0:
                    continue
                writer.append(foot, v, t_device_us=np.rint(t * 1e6).astype(np.int64), t_host_s=t, seq=k.astype(np.uint32))
                if last_k is not None and k[0] > last_k + 1:
                    writer.add_gap(foot, idx - 1, int(k[0] - last_k - 1), float(last_t), int(last_k + 1))
                for g in _gaps_from_seq(k, t, schema.GAP_DTYPE):
                    writer.add_gap(foot, idx + int(g["index"]), int(g["n_missing"]), float(g["t_host_s"]), int(g["first_seq"]))
                idx += k.size
                received += k.size
                last_k, last_t = k[-1], t[-1]
            writer.set_link_stats(foot, frames_received=received, frames_lost=n - received)
        writer.write_tree("truth", truth)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return path


__all__ = ["TASKS", "SimulationParams", "simulate"]

"""Single-leg heel-raise test (science.md 8.1, 8.2).

Per frame: the heel fraction ``h = F_heel / F`` and the forefoot fraction
``ff = (F_MTH + F_toes) / F`` of the standing foot.  The state machine of 8.2
(DOWN -> UP when ``h < 0.05`` and ``F >= 0.8 F_ref`` for >= 100 ms; UP -> DOWN
when ``h > 0.30``) is resolved without a loop over frames: the frames where
the UP condition starts a long-enough run are "set" events, the frames with
``h > 0.30`` are "reset" events, and a frame is UP when its last set event
is later than its last reset event (``np.maximum.accumulate`` of the event
indices).  One repetition is DOWN -> UP -> DOWN; it is rejected when its UP
phase lasts < 150 ms or the force falls below ``0.6 F_ref`` during it.  A rise
that unloads the heel (``h`` below 75 % of the standing heel fraction for
>= 150 ms) but never reaches UP is a rejected partial repetition [H].

Each repetition's top window (UP frames with ``ap_COP >= max - 0.02``) gives
the COP in foot-axis coordinates (``s``, ``d``; science.md 0.2), the medial
share, the end-position class (same geometry as 5.1) and the ML stability
at the top.  Touch-downs of the other foot are assists (2.2's ``theta_off``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from insole.foot_tests._common import (
    GRAVITY_M_S2,
    FootSeries,
    FootTestError,
    TestInput,
    Touchdowns,
    check_single_leg,
    clean,
    load_input,
    other_foot_touchdowns,
    run_duration_s,
    runs,
    symmetry_angle_pct,
)

#: End-position classes (science.md 8.2), and the class when the layout has no hallux sensor.
HALLUX_FIRST_RAY = "hallux / first ray"
CENTRAL = "central"
LATERAL_DRIFT = "lateral drift"
NOT_MEASURED = "not measured"
END_CLASSES = (HALLUX_FIRST_RAY, CENTRAL, LATERAL_DRIFT)
#: ``end_class`` of a rejected partial repetition.
PARTIAL = "partial"

HEEL_REGIONS = ("heel_medial", "heel_lateral")
MTH_REGIONS = ("mth1", "mth2_3", "mth4_5")
TOE_REGIONS = ("hallux", "lesser_toes")


@dataclass(frozen=True)
class HeelRaiseParams:
    """Settings of the heel-raise analysis; defaults from science.md 8.2 or marked [H] in docs/foot_tests.md.

    Parameters
    ----------
    up_heel_fraction, down_heel_fraction : float
        DOWN -> UP below, UP -> DOWN above this heel fraction (8.2: 0.05, 0.30).
    up_force_fraction : float
        DOWN -> UP needs ``F >= this * F_ref`` (8.2: 0.8).
    up_confirm_s : float
        ... for at least this long (8.2: 100 ms).
    min_up_s : float
        Reject repetitions whose UP phase is shorter (8.2: 150 ms).
    min_force_fraction : float
        Reject repetitions whose force falls below ``this * F_ref`` while UP (8.2: 0.6).
    top_ap_margin : float
        Top window: UP frames with ``ap_COP >= max - this`` (8.2: 0.02).
    attempt_fraction, attempt_min_s : float
        A rise: heel fraction below ``this * h_standing`` for at least ``attempt_min_s`` [H: 0.75, 150 ms].
    rest_fraction : float
        A repetition starts and ends where ``h >= this * h_standing`` [H: 0.9].
    baseline_s : float
        Single-leg baseline before the first rise for ``F_ref`` (8.2: 3 s).
    drift_slope, drift_drop : float
        Fatigue drift: slope of ``d_top`` below this per repetition and the mean of the last three
        below the first three by more than ``drift_drop`` (8.2: -0.01, 0.05).
    drift_min_reps : int
        Fewest valid repetitions with a top COP for the drift rule (first and last three apart) [H: 6].
    lateral_d, lateral_share, medial_share : float
        End classes (8.2: -0.10, 0.5, 0.5).
    """

    up_heel_fraction: float = 0.05
    down_heel_fraction: float = 0.30
    up_force_fraction: float = 0.8
    up_confirm_s: float = 0.10
    min_up_s: float = 0.15
    min_force_fraction: float = 0.6
    top_ap_margin: float = 0.02
    attempt_fraction: float = 0.75
    attempt_min_s: float = 0.15
    rest_fraction: float = 0.9
    baseline_s: float = 3.0
    drift_slope: float = -0.01
    drift_drop: float = 0.05
    drift_min_reps: int = 6
    lateral_d: float = -0.10
    lateral_share: float = 0.5
    medial_share: float = 0.5


@dataclass
class Reference:
    """Reference forces of a test."""

    force_ref_n: float
    force_ref_source: str
    body_weight_n: float
    body_weight_source: str
    heel_fraction_standing: float
    ap_standing: float


@dataclass
class HeelRaiseResult:
    """One foot's heel-raise test.

    Attributes
    ----------
    foot : str
    reps : dict of str to ndarray
        One entry per repetition (valid or rejected), see :data:`REP_KEYS`.
    summary : dict
        Counts, classes, drift, cadence, reference forces (see docs/foot_tests.md).
    warnings : list of str
    """

    foot: str
    reps: dict[str, np.ndarray]
    summary: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    @property
    def n_valid_reps(self) -> int:
        """Valid repetitions."""
        return int(self.summary["n_valid_reps"])

    def to_tree(self) -> dict[str, Any]:
        """The ``/derived/heel_raise/<foot>`` tree (keys the report reads: docs/foot_tests.md)."""
        tree: dict[str, Any] = {k: v for k, v in self.summary.items() if v is not None}
        tree.update({k: np.asarray(v) for k, v in self.reps.items()})
        if self.warnings:
            tree["warnings"] = list(self.warnings)
        return tree

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return clean({"foot": self.foot, **self.summary, "reps": [dict(zip(self.reps, row)) for row in zip(*self.reps.values())]
                      if self.reps and len(self.reps["valid"]) else [], "warnings": self.warnings})


#: Per-repetition arrays of a result.
REP_KEYS = ("rep_start_s", "top_start_s", "top_end_s", "rep_end_s", "up_start_s", "up_end_s", "valid", "reject_reason",
            "assisted", "end_class", "duration_s", "rise_s", "hold_s", "lower_s", "up_s", "interval_s", "force_min_up_n",
            "peak_forefoot_pct_bw", "s_top", "d_top", "delta_ap_top", "medial_share_top", "lateral_share_top",
            "hallux_toe_share_top", "ml_range_top_mm", "ml_velocity_top_mm_s")


# =============================================================================== per-frame signals
@dataclass
class _Signals:
    t: np.ndarray
    force: np.ndarray
    heel: np.ndarray  # heel fraction, NaN where unloaded
    fore: np.ndarray  # F_MTH + F_toes
    medial: np.ndarray  # F_hallux + F_MTH1 + F_MTH2
    lateral: np.ndarray  # F_MTH4-5 + F_lesser toes
    hallux: np.ndarray
    lesser: np.ndarray
    ap: np.ndarray
    ml: np.ndarray
    loaded_min_n: float


def _signals(fs: FootSeries) -> _Signals:
    force = fs.force_n
    heel_f = sum(fs.region(r) for r in HEEL_REGIONS)
    fore = sum(fs.region(r) for r in (*MTH_REGIONS, *TOE_REGIONS))
    # science.md 5.1: grid layouts use their MTH2 region, discrete ones 0.5 * MTH2-3
    mth2 = fs.region("mth2") if fs.measured("mth2") else 0.5 * fs.region("mth2_3")
    hallux, lesser = fs.region("hallux"), fs.region("lesser_toes")
    medial = hallux + fs.region("mth1") + mth2
    lateral = fs.region("mth4_5") + lesser
    loaded_min = max(20.0, 0.2 * float(np.percentile(force, 95)))
    with np.errstate(invalid="ignore", divide="ignore"):
        h = np.where(force >= loaded_min, heel_f / force, np.nan)
    return _Signals(fs.t_s, force, h, fore, medial, lateral, hallux, lesser, fs.cop[:, 0], fs.cop[:, 1], loaded_min)


def _reference(sig: _Signals, other_unloaded: np.ndarray, body_mass_kg: float | None, p: HeelRaiseParams) -> Reference:
    """``F_ref``: median force of the single-leg baseline before the first rise (8.2); BW from the metadata or F_ref."""
    t = sig.t
    h = sig.heel
    up_like = np.flatnonzero((h < p.up_heel_fraction) & (sig.force >= sig.loaded_min_n))
    t_rise = t[up_like[0]] if up_like.size else t[-1]
    standing = (h > p.down_heel_fraction) & other_unloaded & (t < t_rise - 0.3) & (t >= t_rise - 0.3 - p.baseline_s)
    dt = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    bw_known = body_mass_kg is not None and np.isfinite(body_mass_kg) and body_mass_kg > 0
    bw = float(body_mass_kg) * GRAVITY_M_S2 if bw_known else float("nan")
    if np.count_nonzero(standing) * dt >= 0.5:
        f_ref, src = float(np.median(sig.force[standing])), "single-leg baseline"
    else:
        down = (h > p.down_heel_fraction) & other_unloaded
        if bw_known:
            f_ref, src = bw, "body mass"
        elif np.any(down):
            f_ref, src = float(np.median(sig.force[down])), "heel-down frames"
        else:
            f_ref, src = float(np.percentile(sig.force, 95)), "95th percentile of the force"
        standing = down if np.any(down) else np.isfinite(h)
    h_stand = float(np.nanmedian(h[standing])) if np.any(standing & np.isfinite(h)) else 0.5
    ap_stand = float(np.nanmedian(sig.ap[standing])) if np.any(standing & np.isfinite(sig.ap)) else float("nan")
    if not bw_known:
        bw = f_ref
    return Reference(f_ref, src, bw, "body mass" if bw_known else "single-leg force", h_stand, ap_stand)


# =============================================================================== state machine
def up_state(t: np.ndarray, heel_fraction: np.ndarray, force_n: np.ndarray, force_ref_n: float,
             p: HeelRaiseParams = HeelRaiseParams()) -> np.ndarray:
    """UP/DOWN state of every frame by the science.md 8.2 state machine (vectorised).

    Parameters
    ----------
    t : ndarray
        Frame times (s).
    heel_fraction : ndarray
        ``F_heel / F``; NaN where the foot is unloaded (counts as neither UP nor a reset).
    force_n : ndarray
    force_ref_n : float
        Single-leg standing force.
    p : HeelRaiseParams

    Returns
    -------
    ndarray of bool
        True where the state is UP.  An UP run is entered at the first frame of an
        UP-condition run that lasts >= ``up_confirm_s`` and left at the first frame
        with ``h > down_heel_fraction``.
    """
    n = t.size
    cond = (heel_fraction < p.up_heel_fraction) & (force_n >= p.up_force_fraction * force_ref_n)
    s, e = runs(cond)
    ok = run_duration_s(t, s, e) >= p.up_confirm_s - 1e-9
    set_evt = np.zeros(n, bool)
    set_evt[s[ok]] = True
    reset_evt = heel_fraction > p.down_heel_fraction
    idx = np.arange(n)
    last_set = np.maximum.accumulate(np.where(set_evt, idx, -1))
    last_reset = np.maximum.accumulate(np.where(reset_evt, idx, -1))
    return last_set > last_reset


def _last_true_before(mask: np.ndarray) -> np.ndarray:
    """For each index, the last index <= it where ``mask`` is True (-1 if none)."""
    idx = np.arange(mask.size)
    return np.maximum.accumulate(np.where(mask, idx, -1))


def _first_true_after(mask: np.ndarray) -> np.ndarray:
    """For each index, the first index >= it where ``mask`` is True (size if none)."""
    idx = np.arange(mask.size)
    rev = np.where(mask, idx, mask.size)[::-1]
    return np.minimum.accumulate(rev)[::-1]


# =============================================================================== analysis
def classify_end(d_top: float, medial_share: float, lateral_share: float, p: HeelRaiseParams = HeelRaiseParams()) -> str:
    """End-position class of one repetition (science.md 8.2)."""
    if not (np.isfinite(d_top) and np.isfinite(medial_share)):
        return NOT_MEASURED
    if d_top >= 0 and medial_share >= p.medial_share:
        return HALLUX_FIRST_RAY
    if d_top <= p.lateral_d or (np.isfinite(lateral_share) and lateral_share >= p.lateral_share):
        return LATERAL_DRIFT
    return CENTRAL


def fatigue_drift(d_top: np.ndarray, p: HeelRaiseParams = HeelRaiseParams()) -> tuple[bool | None, float]:
    """Fatigue drift of the valid repetitions' ``d_top`` (science.md 8.2); (None, nan) when too few."""
    d = np.asarray(d_top, float)
    d = d[np.isfinite(d)]
    if d.size < p.drift_min_reps:
        return None, float("nan")
    slope = float(np.polyfit(np.arange(d.size, dtype=float), d, 1)[0])
    drop = float(d[-3:].mean() - d[:3].mean())
    return bool(slope < p.drift_slope and drop < -p.drift_drop), slope


def detect(fs: FootSeries, touch: Touchdowns, *, body_mass_kg: float | None = None, target: int = 10,
           p: HeelRaiseParams = HeelRaiseParams(), label: str = "the recording") -> HeelRaiseResult:
    """The heel-raise analysis of one foot's series (used offline and live).

    Parameters
    ----------
    fs : FootSeries
        The standing foot.
    touch : Touchdowns
        Touch-downs of the other foot (:func:`insole.foot_tests._common.other_foot_touchdowns`).
    body_mass_kg : float, optional
    target : int
        Repetitions asked for (10 in the seed test; reported as ``target_reps``).
    p : HeelRaiseParams
    label : str
        Name of the recording in error messages.

    Raises
    ------
    FootTestError
        No heel raise at all in the series.
    """
    sig = _signals(fs)
    t = sig.t
    n = t.size
    other_loaded = touch.loaded_mask(t) | (t < touch.single_leg_from_s)
    ref = _reference(sig, ~other_loaded, body_mass_kg, p)
    up = up_state(t, sig.heel, sig.force, ref.force_ref_n, p)
    us, ue = runs(up)
    if us.size and us[0] == 0:  # started with the heel up: no DOWN before it
        us, ue = us[1:], ue[1:]
    # rises that unload the heel, with or without reaching UP
    h = sig.heel
    rising = (h < p.attempt_fraction * ref.heel_fraction_standing) | up
    as_, ae = runs(rising)
    long_enough = run_duration_s(t, as_, ae) >= p.attempt_min_s - 1e-9
    as_, ae = as_[long_enough], ae[long_enough]
    has_up = np.zeros(as_.size, bool)
    if us.size and as_.size:
        k = np.searchsorted(as_, us, side="right") - 1  # the rise holding each UP run
        inside = (k >= 0) & (us < ae[np.maximum(k, 0)])
        has_up[k[inside]] = True
    partial_s, partial_e = as_[~has_up], ae[~has_up]
    if us.size == 0 and partial_s.size == 0:
        raise FootTestError(f"{label}: no heel raise found on the {fs.foot} foot (the heel never came off the insole); "
                            "check --foot and that this is a heel-raise recording")
    rest = np.isfinite(h) & (h >= p.rest_fraction * ref.heel_fraction_standing)
    last_rest = _last_true_before(rest)
    next_rest = _first_true_after(rest)

    rows: list[dict[str, Any]] = []
    width_mm = float(fs.layout.width_mm)
    judged = fs.measured("hallux")
    for u0, u1 in zip(us, ue):  # loop over repetitions
        rows.append(_rep_row(sig, fs, ref, p, int(u0), int(u1), last_rest, next_rest, judged, width_mm))
    for a0, a1 in zip(partial_s, partial_e):
        r0 = int(last_rest[a0]) if last_rest[a0] >= 0 else int(a0)
        r1 = int(next_rest[min(a1, n - 1)]) if a1 < n else n - 1
        r1 = min(r1, n - 1)
        lowest = float(np.nanmin(h[a0:a1])) if np.any(np.isfinite(h[a0:a1])) else float("nan")
        reason = (f"partial: the heel stayed loaded (lowest heel fraction {lowest:.2f})" if a1 < n
                  else "incomplete: the recording ended during a rise")
        rows.append(_empty_row(t[r0], t[r1], reason))
    rows.sort(key=lambda r: r["rep_start_s"])
    for r in rows:  # assists: a touch-down of the other foot during the repetition
        r["assisted"] = bool(np.any((touch.start_s <= r["rep_end_s"]) & (touch.end_s >= r["rep_start_s"])))
    reps = {k: np.array([r[k] for r in rows]) for k in REP_KEYS if k != "interval_s"}
    reps["interval_s"] = np.r_[np.diff(reps["rep_start_s"]), np.nan] if rows else np.zeros(0)
    return HeelRaiseResult(fs.foot, {k: reps[k] for k in REP_KEYS}, _summary(fs, reps, ref, touch, judged, target, p),
                           _warnings(fs, ref, touch, judged))


def _empty_row(t0: float, t1: float, reason: str) -> dict[str, Any]:
    nan = float("nan")
    row = {k: nan for k in REP_KEYS}
    row.update(rep_start_s=t0, rep_end_s=t1, duration_s=t1 - t0, valid=False, reject_reason=reason, end_class=PARTIAL,
               assisted=False)
    return row


def _rep_row(sig: _Signals, fs: FootSeries, ref: Reference, p: HeelRaiseParams, u0: int, u1: int,
             last_rest: np.ndarray, next_rest: np.ndarray, judged: bool, width_mm: float) -> dict[str, Any]:
    t = sig.t
    n = t.size
    ended = u1 < n
    r0 = int(last_rest[u0]) if last_rest[u0] >= 0 else 0
    r1 = int(next_rest[u1]) if ended and next_rest[u1] < n else n - 1
    sl = slice(u0, u1)
    ap = sig.ap[sl]
    valid_cop = np.isfinite(ap)
    if np.any(valid_cop):
        top = np.flatnonzero(valid_cop & (ap >= np.nanmax(ap) - p.top_ap_margin)) + u0
    else:
        top = np.flatnonzero(sig.heel[sl] < p.up_heel_fraction) + u0
        if top.size == 0:
            top = np.arange(u0, u1)
    k0, k1 = int(top[0]), int(top[-1])
    dt = float(np.median(np.diff(t))) if n > 1 else 0.0
    up_s = (t[u1] if ended else t[-1] + dt) - t[u0]
    f_min = float(np.min(sig.force[sl]))
    reason = ""
    if not ended:
        reason = "incomplete: the recording ended before the heel came down"
    elif up_s < p.min_up_s:
        reason = f"top too short ({1000 * up_s:.0f} ms < {1000 * p.min_up_s:.0f} ms)"
    elif f_min < p.min_force_fraction * ref.force_ref_n:
        reason = f"unloaded at the top ({100 * f_min / ref.force_ref_n:.0f} % of the standing force)"
    cop_top = sig.ap[top], sig.ml[top]
    ok = np.isfinite(cop_top[0])
    if np.any(ok):
        s, d = fs.layout.foot_axis_frame(cop_top[0][ok], cop_top[1][ok])
        s_top, d_top = float(np.mean(s)), float(np.mean(d))
        ml_mm = cop_top[1][ok] * width_mm
        ml_range = float(np.ptp(ml_mm))
        tt = t[top][ok]
        ml_vel = float(np.sum(np.abs(np.diff(ml_mm))) / (tt[-1] - tt[0])) if tt.size > 1 and tt[-1] > tt[0] else float("nan")
        ap_top = float(np.mean(cop_top[0][ok]))
    else:
        s_top = d_top = ml_range = ml_vel = ap_top = float("nan")
    fore = float(np.sum(sig.fore[top]))
    medial = float(np.sum(sig.medial[top])) / fore if fore > 0 else float("nan")
    lateral = float(np.sum(sig.lateral[top])) / fore if fore > 0 else float("nan")
    toes = float(np.sum(sig.hallux[top] + sig.lesser[top]))
    hallux_share = float(np.sum(sig.hallux[top])) / toes if judged and fs.measured("lesser_toes") and toes > 0 else float("nan")
    end = classify_end(d_top, medial, lateral, p) if judged else NOT_MEASURED
    return {
        "rep_start_s": float(t[r0]), "top_start_s": float(t[k0]), "top_end_s": float(t[k1]), "rep_end_s": float(t[r1]),
        "up_start_s": float(t[u0]), "up_end_s": float(t[u1]) if ended else float("nan"), "valid": not reason,
        "reject_reason": reason, "end_class": end, "duration_s": float(t[r1] - t[r0]), "rise_s": float(t[k0] - t[r0]),
        "hold_s": float(t[k1] - t[k0] + dt), "lower_s": float(t[r1] - t[k1]), "up_s": float(up_s),
        "force_min_up_n": f_min, "peak_forefoot_pct_bw": 100.0 * float(np.max(sig.fore[sl])) / ref.body_weight_n,
        "s_top": s_top, "d_top": d_top, "delta_ap_top": ap_top - ref.ap_standing, "medial_share_top": medial,
        "lateral_share_top": lateral, "hallux_toe_share_top": hallux_share, "ml_range_top_mm": ml_range,
        "ml_velocity_top_mm_s": ml_vel,
    }


def _summary(fs: FootSeries, reps: dict[str, np.ndarray], ref: Reference, touch: Touchdowns, judged: bool,
             target: int, p: HeelRaiseParams) -> dict[str, Any]:
    valid = reps["valid"].astype(bool) if reps["valid"].size else np.zeros(0, bool)
    classes = reps["end_class"][valid] if valid.size else np.zeros(0, str)
    counts = {c: int(np.count_nonzero(classes == c)) for c in END_CLASSES} if judged else {}
    drift, slope = fatigue_drift(reps["d_top"][valid], p) if judged else (None, float("nan"))
    starts = reps["rep_start_s"][valid]
    cadence = 60.0 / float(np.median(np.diff(starts))) if starts.size > 1 else float("nan")

    def med(key: str) -> float:
        v = reps[key][valid].astype(float) if valid.size else np.zeros(0)
        v = v[np.isfinite(v)]
        return float(np.median(v)) if v.size else float("nan")

    def mean(key: str) -> float:
        v = reps[key][valid].astype(float) if valid.size else np.zeros(0)
        v = v[np.isfinite(v)]
        return float(np.mean(v)) if v.size else float("nan")

    n_valid = int(np.count_nonzero(valid))
    return {
        "foot": fs.foot,
        "layout": fs.layout.name,
        "target_reps": int(target),
        "n_reps": int(valid.size),
        "n_valid_reps": n_valid,
        "n_rejected_reps": int(valid.size - n_valid),
        "n_partial_reps": int(np.count_nonzero(reps["end_class"] == PARTIAL)) if valid.size else 0,
        "target_reached": bool(n_valid >= target),
        "n_assists": touch.n,
        "assist_s": touch.start_s,
        "n_assisted_reps": int(np.count_nonzero(reps["assisted"])) if valid.size else 0,
        "end_position_judged": bool(judged),
        "end_class_counts": counts,
        "end_class_share_pct": {c: 100.0 * v / n_valid for c, v in counts.items()} if n_valid else {},
        "fatigue_drift": drift,
        "fatigue_drift_status": "not measured" if not judged else ("too few repetitions" if drift is None else ("yes" if drift else "no")),
        "d_top_slope_per_rep": slope,
        "cadence_reps_min": cadence,
        "hold_s_median": med("hold_s"),
        "rise_s_median": med("rise_s"),
        "lower_s_median": med("lower_s"),
        "medial_share_top_mean": mean("medial_share_top"),
        "d_top_mean": mean("d_top"),
        "peak_forefoot_pct_bw_median": med("peak_forefoot_pct_bw"),
        "ml_range_top_mm_median": med("ml_range_top_mm"),
        "force_ref_n": ref.force_ref_n,
        "force_ref_source": ref.force_ref_source,
        "body_weight_n": ref.body_weight_n,
        "body_weight_source": ref.body_weight_source,
        "heel_fraction_standing": ref.heel_fraction_standing,
        "touchdown_threshold_n": touch.threshold_n,
        "single_leg_from_s": touch.single_leg_from_s,
    }


def _warnings(fs: FootSeries, ref: Reference, touch: Touchdowns, judged: bool) -> list[str]:
    out = []
    if not judged:
        out.append(f"layout {fs.layout.name} has no hallux sensor: the end position of the repetitions is not measured")
    if ref.force_ref_source != "single-leg baseline":
        out.append(f"no {HeelRaiseParams.baseline_s:g} s single-leg baseline before the first rise: F_ref from {ref.force_ref_source}")
    if not np.isfinite(touch.threshold_n):
        out.append("the other foot is not in the recording: assists cannot be seen")
    return out


# =============================================================================== entry points
def analyze_heel_raise(source, foot: str, *, body_mass_kg: float | None = None, target: int = 10,
                       start_s: float | None = None, end_s: float | None = None,
                       params: HeelRaiseParams | None = None) -> HeelRaiseResult:
    """Analyse a single-leg heel-raise test (science.md 8.2).

    Parameters
    ----------
    source : str, Path, RecordingFile or Recording
        The recording.
    foot : {"left", "right"}
        The standing (tested) foot.
    body_mass_kg : float, optional
        Overrides the metadata (BW for %BW; F_ref comes from the single-leg baseline).
    target : int
        Repetitions asked for.
    start_s, end_s : float, optional
        Window in seconds from the first frame (e.g. one foot's test in a recording of both).
    params : HeelRaiseParams, optional

    Returns
    -------
    HeelRaiseResult

    Raises
    ------
    FootTestError
        Wrong foot, no frames, or no heel raise in the recording.

    Examples
    --------
    >>> from insole.simulate import simulate
    >>> rec = simulate(layout="moticon-16", task="heel-raise", reps=10, seed=1)
    >>> analyze_heel_raise(rec, "left").n_valid_reps
    10
    """
    p = params or HeelRaiseParams()
    inp: TestInput = load_input(source, foot, body_mass_kg=body_mass_kg, start_s=start_s, end_s=end_s)
    return heel_raise_from_input(inp, target=target, params=p)


def heel_raise_from_input(inp: TestInput, *, target: int = 10, params: HeelRaiseParams | None = None) -> HeelRaiseResult:
    """:func:`analyze_heel_raise` on series already read (offline or live)."""
    p = params or HeelRaiseParams()
    check_single_leg(inp.test, inp.label, "heel-raise")
    bm = inp.body_mass_kg
    r = bm * GRAVITY_M_S2 if bm else float(np.percentile(inp.test.force_n, 95))
    touch = other_foot_touchdowns(inp.other, r)
    return detect(inp.test, touch, body_mass_kg=bm, target=target, p=p, label=inp.label)


def heel_raise_symmetry(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any] | None:
    """L/R symmetry angle (science.md 7.2) of the valid repetitions and of the mean medial share at the top.

    Parameters
    ----------
    left, right : dict
        ``/derived/heel_raise/<foot>`` trees (or ``to_tree()``); None when that foot was not tested.
    """
    if not left or not right:
        return None
    out: dict[str, Any] = {}
    lv, rv = left.get("n_valid_reps"), right.get("n_valid_reps")
    out["valid_reps_left"], out["valid_reps_right"] = lv, rv
    from insole.analysis import count_symmetry_angle_pct

    out["valid_reps_sa_pct"] = (count_symmetry_angle_pct(float(lv), float(rv))  # 0 valid reps is a value, not missing
                                if lv is not None and rv is not None else float("nan"))
    lm, rm = left.get("medial_share_top_mean"), right.get("medial_share_top_mean")
    if lm is not None and rm is not None and np.isfinite(lm) and np.isfinite(rm):
        out["medial_share_left"], out["medial_share_right"] = lm, rm
        out["medial_share_sa_pct"] = symmetry_angle_pct(lm, rm)
    return out


def format_heel_raise(result: HeelRaiseResult) -> str:
    """A per-repetition table and a summary for the terminal."""
    s = result.summary
    r = result.reps
    lines = [f"heel-raise test, {result.foot} foot ({s['layout']}): F_ref {s['force_ref_n']:.0f} N ({s['force_ref_source']})",
             f"{'rep':>3} {'start s':>8} {'hold s':>6} {'d_top':>6} {'medial':>6}  {'end position':<19} {'status'}"]
    n = len(r["valid"])
    k = 0
    for i in range(n):  # loop over repetitions
        valid = bool(r["valid"][i])
        k += valid
        num = f"{k:>3}" if valid else "  -"
        status = "valid" if valid else f"rejected: {r['reject_reason'][i]}"
        if r["assisted"][i]:
            status += " (assisted)"
        lines.append(f"{num} {r['rep_start_s'][i]:8.2f} {_f(r['hold_s'][i], 6, 2)} {_f(r['d_top'][i], 6, 2)} "
                     f"{_f(r['medial_share_top'][i], 6, 2)}  {r['end_class'][i]:<19} {status}")
    lines.append(f"valid repetitions: {s['n_valid_reps']} of {s['target_reps']} asked"
                 f" ({s['n_rejected_reps']} rejected, {s['n_assists']} assist(s) of the other foot)")
    if s["end_position_judged"]:
        counts = ", ".join(f"{c} {v}" for c, v in s["end_class_counts"].items())
        lines.append(f"end position (valid reps): {counts}")
        lines.append(f"fatigue drift: {s['fatigue_drift_status']}"
                     + (f" (d_top slope {s['d_top_slope_per_rep']:+.3f} per rep)" if np.isfinite(s["d_top_slope_per_rep"]) else ""))
    else:
        lines.append(f"end position: not measured (layout {s['layout']} has no hallux sensor)")
    lines.append(f"cadence {_f(s['cadence_reps_min'], 0, 1).strip()} reps/min, median hold {_f(s['hold_s_median'], 0, 2).strip()} s, "
                 f"rise {_f(s['rise_s_median'], 0, 2).strip()} s, lower {_f(s['lower_s_median'], 0, 2).strip()} s")
    lines.append("cut-offs are engineering defaults without normative data (science.md 8.2)")
    return "\n".join(lines)


def _f(v: Any, width: int, digits: int) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return f"{'-':>{width}}"
    return f"{x:{width}.{digits}f}" if np.isfinite(x) else f"{'-':>{width}}"


__all__ = ["CENTRAL", "END_CLASSES", "HALLUX_FIRST_RAY", "LATERAL_DRIFT", "NOT_MEASURED", "PARTIAL", "HeelRaiseParams",
           "HeelRaiseResult", "analyze_heel_raise", "classify_end", "detect", "fatigue_drift", "format_heel_raise",
           "heel_raise_from_input", "heel_raise_symmetry", "up_state"]


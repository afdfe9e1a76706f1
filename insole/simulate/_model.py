"""The generative model of the simulator: force curves, load sites and their schedules.

Everything here is defined from first principles of the gait cycle (science.md
sections 0.3, 2.4, 3, 5.1, 8) and the anatomical template of science.md 10.3;
nothing is fitted to or computed with the analysis code.

A stance is described by a normalised time ``tau`` in [0, 1].  The total force
of the foot is ``amplitude * body_weight * shape(tau)``; how that force is
spread under the foot is a mixture of anatomical *load sites* (Gaussian blobs
on the insole, e.g. heel, MTH1, hallux) whose weights change through stance.
The generative centre of pressure is the weighted mean of the site centres.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import PchipInterpolator

#: Load sites: (ap, ml) centre in the normalised insole frame (science.md 10.3
#: template, area-weighted region centroids) and Gaussian radius in mm.
SITES: dict[str, tuple[float, float, float]] = {
    "heel": (0.169, -0.132, 18.0),
    "midfoot_medial": (0.478, 0.138, 15.0),
    "midfoot_lateral": (0.465, -0.255, 15.0),
    "mth1": (0.726, 0.344, 12.0),
    "mth2_3": (0.725, 0.000, 12.0),
    "mth4_5": (0.669, -0.361, 12.0),
    "hallux": (0.889, 0.333, 10.0),
    "lesser_toes": (0.875, -0.076, 11.0),
}
SITE_NAMES = tuple(SITES)
#: Which region of the canonical mask each site stands for (for truth shares).
SITE_REGION = {
    "heel": None,
    "midfoot_medial": "midfoot_medial",
    "midfoot_lateral": "midfoot_lateral",
    "mth1": "mth1",
    "mth2_3": "mth2_3",
    "mth4_5": "mth4_5",
    "hallux": "hallux",
    "lesser_toes": "lesser_toes",
}

STRIKE_PATTERNS = ("RFS", "MFS", "FFS")
ROUTES = ("first-ray", "central", "lateral")
END_CLASSES = ("hallux/first ray", "central", "lateral drift")
#: Strike-index cut-offs, % of insole length (science.md 3.1).
RFS_MAX_PCT, MFS_MAX_PCT = 100.0 / 3.0, 200.0 / 3.0
#: Default strike index per pattern (% of insole length) and the range random
#: draws use: at least 3 % of length away from the class boundaries.
STRIKE_DEFAULT_PCT = {"RFS": 18.0, "MFS": 50.0, "FFS": 74.0}
STRIKE_RANGE_PCT = {"RFS": (17.0, 28.0), "MFS": (38.0, 62.0), "FFS": (71.0, 77.0)}

#: Toe-off mixtures over the last part of stance per route (site -> weight).
ROUTE_MIX = {
    "first-ray": {"hallux": 0.50, "mth1": 0.28, "mth2_3": 0.14, "lesser_toes": 0.06, "mth4_5": 0.02},
    "central": {"mth2_3": 0.50, "hallux": 0.18, "mth1": 0.12, "lesser_toes": 0.12, "mth4_5": 0.08},
    "lateral": {"mth4_5": 0.42, "lesser_toes": 0.40, "mth2_3": 0.12, "hallux": 0.04, "mth1": 0.02},
}
#: Heel-raise top positions per end class (site -> weight).
TOP_MIX = {
    "hallux/first ray": {"hallux": 0.35, "mth1": 0.35, "mth2_3": 0.20, "mth4_5": 0.05, "lesser_toes": 0.05},
    "central": {"mth2_3": 0.45, "hallux": 0.10, "mth1": 0.15, "mth4_5": 0.15, "lesser_toes": 0.15},
    "lateral drift": {"mth4_5": 0.40, "lesser_toes": 0.30, "mth2_3": 0.20, "mth1": 0.05, "hallux": 0.05},
}
#: Default hallux share of the toe load per route.
ROUTE_HALLUX_SHARE = {"first-ray": 0.75, "central": 0.60, "lateral": 0.10}


def strike_pattern(strike_index_pct: float) -> str:
    """RFS / MFS / FFS from a strike index in % of insole length (science.md 3.1)."""
    if strike_index_pct <= RFS_MAX_PCT:
        return "RFS"
    if strike_index_pct <= MFS_MAX_PCT:
        return "MFS"
    return "FFS"


# --------------------------------------------------------------------------- force curves
def _pchip(points: list[tuple[float, float]]) -> PchipInterpolator:
    x, y = zip(*points)
    return PchipInterpolator(np.array(x), np.array(y))


#: Total force through stance in body weights, by task and strike pattern.
#: Walking: two humps about 1.1-1.2 BW around a valley below 1 BW.
#: Running: an impact transient for rearfoot strikes, none for fore-/midfoot
#: strikes; an active peak about 2.5 BW.
_SHAPES = {
    "walk": _pchip([(0, 0), (0.04, 0.35), (0.12, 0.90), (0.25, 1.15), (0.50, 0.78), (0.76, 1.12),
                    (0.90, 0.60), (0.97, 0.12), (1.0, 0.0)]),
    "run-RFS": _pchip([(0, 0), (0.035, 1.00), (0.08, 1.65), (0.14, 1.40), (0.22, 1.75), (0.45, 2.50),
                       (0.65, 2.15), (0.85, 1.00), (0.95, 0.30), (1.0, 0.0)]),
    "run-FFS": _pchip([(0, 0), (0.08, 0.45), (0.22, 1.45), (0.45, 2.50), (0.65, 2.15), (0.85, 1.00),
                       (0.95, 0.30), (1.0, 0.0)]),
}
SHAPE_TABLE_POINTS = 4001
_SHAPE_TAU = np.linspace(0.0, 1.0, SHAPE_TABLE_POINTS)
_SHAPE_TABLES = {name: np.clip(f(_SHAPE_TAU), 0.0, None) for name, f in _SHAPES.items()}


def shape_name(task: str, pattern: str) -> str:
    """Key of the force shape for a task and strike pattern."""
    if task == "run":
        return "run-RFS" if pattern == "RFS" else "run-FFS"
    return "walk"


def shape_values(name: str, tau: np.ndarray) -> np.ndarray:
    """Force in body weights at normalised stance times ``tau`` (0 outside [0, 1])."""
    out = np.interp(tau, _SHAPE_TAU, _SHAPE_TABLES[name], left=0.0, right=0.0)
    return out


def crossing_tau(name: str, level_bw: float) -> tuple[float, float]:
    """First rising and last falling ``tau`` where the shape crosses ``level_bw`` (exact, by root finding)."""
    f = _SHAPES[name]
    table = _SHAPE_TABLES[name]
    above = np.flatnonzero(table > level_bw)
    if above.size == 0:
        return np.nan, np.nan
    from scipy.optimize import brentq

    i0, i1 = above[0], above[-1]
    t_on = brentq(lambda x: f(x) - level_bw, _SHAPE_TAU[max(i0 - 1, 0)], _SHAPE_TAU[i0])
    t_off = brentq(lambda x: f(x) - level_bw, _SHAPE_TAU[i1], _SHAPE_TAU[min(i1 + 1, SHAPE_TABLE_POINTS - 1)])
    return float(t_on), float(t_off)


# --------------------------------------------------------------------------- site schedules
def _ramp(x: np.ndarray, a: float, b: float) -> np.ndarray:
    """Smoothstep from 0 at ``a`` to 1 at ``b`` (a step when a == b)."""
    if b <= a:
        return (x >= a).astype(float)
    u = np.clip((x - a) / (b - a), 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def bump(x: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    """0 before a, rising to 1 at b, 1 until c, falling to 0 at d."""
    return _ramp(x, a, b) * (1.0 - _ramp(x, c, d))


def stance_site_weights(tau: np.ndarray, pattern: str, route: str, ml_bias: float, hallux_share: float) -> tuple[np.ndarray, list[str]]:
    """Site weights through one stance (rows: ``tau``; columns: ``"strike"`` then SITE_NAMES).

    The first 8 % of stance carries the strike site only, so the generative
    COP at initial contact is the strike point.  ``ml_bias`` in [-1, 1] moves
    midfoot and forefoot load medially (+) or laterally (-).
    """
    tau = np.asarray(tau, dtype=float)
    cols = ["strike", *SITE_NAMES]
    w = np.zeros((tau.size, len(cols)))
    ix = {name: i for i, name in enumerate(cols)}
    medial = float(np.clip(ml_bias, -1.0, 1.0))
    w[:, ix["strike"]] = bump(tau, 0.0, 0.0, 0.08, 0.22)
    heel_amp = {"RFS": 1.0, "MFS": 0.7, "FFS": 0.35}[pattern]
    heel_on = {"RFS": (0.06, 0.15), "MFS": (0.08, 0.2), "FFS": (0.12, 0.3)}[pattern]
    w[:, ix["heel"]] = heel_amp * bump(tau, heel_on[0], heel_on[1], 0.32, 0.62)
    mid = bump(tau, 0.08, 0.25, 0.45, 0.68)
    w[:, ix["midfoot_lateral"]] = 0.22 * (1.0 - 0.5 * max(medial, 0.0)) * mid
    w[:, ix["midfoot_medial"]] = 0.22 * max(medial, 0.0) * mid
    fore = bump(tau, 0.10, 0.42, 0.84, 1.0)
    shares = np.array([0.36 + 0.18 * medial, 0.40, 0.24 - 0.18 * medial])
    shares = np.clip(shares, 0.02, None) / np.clip(shares, 0.02, None).sum()
    for name, share in zip(("mth1", "mth2_3", "mth4_5"), shares):
        w[:, ix[name]] = 1.1 * share * fore
    # push-off: blend toward the route's mixture over the last ~20 % of stance
    late = _ramp(tau, 0.70, 0.90)
    route_mix = dict(ROUTE_MIX[route])
    toes = route_mix["hallux"] + route_mix["lesser_toes"]
    route_mix["hallux"], route_mix["lesser_toes"] = toes * hallux_share, toes * (1.0 - hallux_share)
    for name in SITE_NAMES:
        w[:, ix[name]] = (1.0 - late) * w[:, ix[name]] + late * route_mix.get(name, 0.0) * 1.3
    total = w.sum(axis=1, keepdims=True)
    return w / np.where(total > 0, total, 1.0), cols


def mixture_weights(mix: dict[str, float]) -> np.ndarray:
    """A (1 + n_sites,) weight row (strike first) from a site->weight dict, normalised."""
    row = np.zeros(1 + len(SITE_NAMES))
    for name, value in mix.items():
        row[1 + SITE_NAMES.index(name)] = value
    return row / row.sum()

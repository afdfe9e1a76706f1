"""Spread a foot's load over a layout's sensors so that the COP is exactly the generative one.

Each load site becomes a distribution over the layout's active sensors: a
Gaussian pressure blob integrated over the sensor areas, plus a faint wide tail
so that every site reaches some sensor even on sparse layouts.  A mixture of
sites is then *tilted* (exponential tilting, ``w_i * exp(lambda . r_i)``, with
``lambda`` found by Newton's method) so that its centre of pressure equals the
target exactly whenever the target lies inside the sensors' convex hull.  The
distribution sums to 1, so the sensors' total force equals the generative force.
"""

from __future__ import annotations

import numpy as np

from insole.simulate._model import SITE_NAMES, SITES

TAIL_WEIGHT = 1e-3
TAIL_SCALE_MM = 60.0
MAX_LAMBDA_PER_MM = 0.5


class LayoutGeometry:
    """Sensor positions (mm), areas and the force-to-value factor of a layout."""

    def __init__(self, layout) -> None:
        self.layout = layout
        self.active = np.asarray(layout.active, dtype=bool)
        self.xy_mm = np.column_stack([np.asarray(layout.ml) * layout.width_mm, np.asarray(layout.ap) * layout.length_mm])
        self.area_mm2 = np.asarray(layout.area_mm2, dtype=float)
        # newtons per unit of sensor value: kPa * mm^2 * 1e-3 = N, or 1 for force sensors
        self.n_per_unit = self.area_mm2 * 1e-3 if layout.kind == "pressure_kpa" else np.ones(layout.n_sensors)
        h, t = np.asarray(layout.heel_point, float), np.asarray(layout.toe_point, float)
        self.heel_point, self.toe_point = h, t

    def to_mm(self, ap_ml: np.ndarray) -> np.ndarray:
        """(…, 2) normalised (ap, ml) -> (…, 2) mm (x = ml * W, y = ap * L)."""
        ap_ml = np.asarray(ap_ml, dtype=float)
        return np.stack([ap_ml[..., 1] * self.layout.width_mm, ap_ml[..., 0] * self.layout.length_mm], axis=-1)

    def axis_ml(self, ap: float) -> float:
        """ml of the heel-to-second-toe axis at ``ap``."""
        h, t = self.heel_point, self.toe_point
        return float(h[1] + (ap - h[0]) / (t[0] - h[0]) * (t[1] - h[1]))

    def site_distribution(self, ap: float, ml: float, radius_mm: float) -> np.ndarray:
        """Distribution (sums to 1) of a blob centred at (ap, ml) over the active sensors."""
        c = self.to_mm(np.array([ap, ml]))
        d2 = ((self.xy_mm - c) ** 2).sum(axis=1)
        g = self.area_mm2 * (np.exp(-0.5 * d2 / radius_mm**2) + TAIL_WEIGHT * np.exp(-np.sqrt(d2) / TAIL_SCALE_MM))
        g = np.where(self.active, g, 0.0)
        return g / g.sum()

    def site_matrix(self, strike_ap_ml: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray]:
        """(1 + n_sites, n_sensors) distributions and (1 + n_sites, 2) centres; row 0 is the strike site."""
        rows, centres = [], []
        sap, sml = strike_ap_ml if strike_ap_ml is not None else SITES["heel"][:2]
        rows.append(self.site_distribution(sap, sml, 15.0))
        centres.append((sap, sml))
        for name in SITE_NAMES:
            ap, ml, rad = SITES[name]
            rows.append(self.site_distribution(ap, ml, rad))
            centres.append((ap, ml))
        return np.array(rows), np.array(centres)


def tilt(dist: np.ndarray, xy_mm: np.ndarray, target_mm: np.ndarray, iters: int = 40, tol_mm: float = 1e-7) -> np.ndarray:
    """Tilt each row of ``dist`` (K, m) so its centroid over ``xy_mm`` equals ``target_mm`` (K, 2)."""
    dist = np.asarray(dist, dtype=float)
    z = xy_mm[None, :, :] - target_mm[:, None, :]  # (K, m, 2)
    lam = np.zeros((dist.shape[0], 2))
    support = dist > 0
    for _ in range(iters):
        expo = np.clip(np.einsum("kmj,kj->km", z, lam), -60.0, 60.0)
        e = np.where(support, dist * np.exp(expo - expo.max(axis=1, keepdims=True)), 0.0)
        s = e.sum(axis=1, keepdims=True)
        p = e / s
        mean = np.einsum("km,kmj->kj", p, z)
        if np.max(np.abs(mean)) < tol_mm:
            break
        cov = np.einsum("km,kmi,kmj->kij", p, z, z) - mean[:, :, None] * mean[:, None, :]
        cov += np.eye(2)[None] * 1e-9
        step = np.linalg.solve(cov, mean[:, :, None])[:, :, 0]
        norm = np.linalg.norm(step, axis=1, keepdims=True)
        step = np.where(norm > 0.05, step * 0.05 / np.maximum(norm, 1e-30), step)  # damped Newton
        lam = np.clip(lam - step, -MAX_LAMBDA_PER_MM, MAX_LAMBDA_PER_MM)
    expo = np.clip(np.einsum("kmj,kj->km", z, lam), -60.0, 60.0)
    e = np.where(support, dist * np.exp(expo - expo.max(axis=1, keepdims=True)), 0.0)
    return e / e.sum(axis=1, keepdims=True)


def template(geom: LayoutGeometry, site_weights: np.ndarray, strike_ap_ml: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray]:
    """Sensor value patterns per unit force for each row of ``site_weights``.

    Returns ``(values_per_newton (K, m) float32, cop (K, 2) normalised)``:
    multiplying a row by the total force in N gives the sensor values (kPa or N).
    """
    dists, centres = geom.site_matrix(strike_ap_ml)
    mix = site_weights @ dists
    cop = site_weights @ centres
    tilted = tilt(mix, geom.xy_mm, geom.to_mm(cop))
    per_newton = tilted / np.where(geom.n_per_unit > 0, geom.n_per_unit, np.inf)
    return per_newton.astype(np.float32), cop

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

from insole.simulate._model import SITE_NAMES, SITE_REGION, SITES

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
        self.site_centres = self._site_centres()
        self._hull = self._make_hull()

    def _make_hull(self):
        """Vertices (counter-clockwise, mm) of the active sensors' convex hull, shrunk by 2 %."""
        from scipy.spatial import ConvexHull, QhullError

        pts = self.xy_mm[self.active]
        try:
            hull = ConvexHull(pts)
        except (QhullError, ValueError):
            return None
        verts = pts[hull.vertices]
        centre = verts.mean(axis=0)
        return centre + 0.98 * (verts - centre)

    def project_into_hull(self, target_mm: np.ndarray) -> np.ndarray:
        """Move targets outside the sensors' hull to the nearest point inside it.

        A centre of pressure can only lie inside the convex hull of the loaded
        sensors, so the generative COP is kept where the layout can show it.
        """
        target_mm = np.array(target_mm, dtype=float, copy=True)
        if self._hull is None:
            return target_mm
        a, b = self._hull, np.roll(self._hull, -1, axis=0)
        edge = b - a
        for i, t in enumerate(target_mm):
            cross = edge[:, 0] * (t[1] - a[:, 1]) - edge[:, 1] * (t[0] - a[:, 0])
            if np.all(cross >= 0):
                continue  # inside (counter-clockwise hull)
            u = np.clip(np.einsum("ej,ej->e", t - a, edge) / np.einsum("ej,ej->e", edge, edge), 0.0, 1.0)
            closest = a + u[:, None] * edge
            target_mm[i] = closest[np.argmin(np.linalg.norm(closest - t, axis=1))]
        return target_mm

    def to_norm(self, xy_mm: np.ndarray) -> np.ndarray:
        """(…, 2) mm -> (…, 2) normalised (ap, ml)."""
        xy_mm = np.asarray(xy_mm, dtype=float)
        return np.stack([xy_mm[..., 1] / self.layout.length_mm, xy_mm[..., 0] / self.layout.width_mm], axis=-1)

    def _site_centres(self) -> dict[str, tuple[float, float]]:
        """Where each load site sits on this layout: the area-weighted centroid of the
        layout's own region when it is measured (so a sparse layout's hallux site is on its
        hallux sensor), else the template position of science.md 10.3."""
        lay = self.layout
        weights = np.asarray(lay.region_weights, dtype=float) * np.where(self.active, self.area_mm2, 0.0)[:, None]
        names = list(lay.region_names)
        out = {}
        for site, (ap, ml, _radius) in SITES.items():
            regions = ("heel_medial", "heel_lateral") if site == "heel" else (SITE_REGION[site],)
            cols = [names.index(r) for r in regions if r in names and lay.is_measured(r)]
            w = weights[:, cols].sum(axis=1) if cols else np.zeros(lay.n_sensors)
            if w.sum() > 0:
                out[site] = (float(w @ np.asarray(lay.ap)) / w.sum(), float(w @ np.asarray(lay.ml)) / w.sum())
            else:
                out[site] = (ap, ml)
        return out

    def to_mm(self, ap_ml: np.ndarray) -> np.ndarray:
        """(…, 2) normalised (ap, ml) -> (…, 2) mm (x = ml * W, y = ap * L)."""
        ap_ml = np.asarray(ap_ml, dtype=float)
        return np.stack([ap_ml[..., 1] * self.layout.width_mm, ap_ml[..., 0] * self.layout.length_mm], axis=-1)

    def reachable_ap(self, margin: float = 0.015) -> tuple[float, float]:
        """The ``ap`` range a COP can take on this layout: between its first and last active sensor."""
        ap = np.asarray(self.layout.ap)[self.active]
        return float(ap.min() + margin), float(ap.max() - margin)

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
            ap, ml = self.site_centres[name]
            rows.append(self.site_distribution(ap, ml, SITES[name][2]))
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
    ``cop`` is the generative centre of pressure: the site mixture's centre,
    moved into the sensors' hull where it fell outside.
    """
    dists, centres = geom.site_matrix(strike_ap_ml)
    mix = site_weights @ dists
    target_mm = geom.project_into_hull(geom.to_mm(site_weights @ centres))
    cop = geom.to_norm(target_mm)
    tilted = tilt(mix, geom.xy_mm, target_mm)
    per_newton = tilted / np.where(geom.n_per_unit > 0, geom.n_per_unit, np.inf)
    return per_newton.astype(np.float32), cop

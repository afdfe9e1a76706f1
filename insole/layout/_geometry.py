"""Small vectorised planar-geometry helpers used to build and query sensor layouts."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def polygon_area(polygon: ArrayLike) -> float:
    """Return the unsigned area of a simple polygon (shoelace formula).

    Parameters
    ----------
    polygon : array_like, shape (k, 2)
        Vertices in order; the first vertex is not repeated.

    Returns
    -------
    float
        Area in the squared units of ``polygon``.
    """
    p = np.asarray(polygon, dtype=np.float64)
    if len(p) < 3:
        return 0.0
    x, y = p[:, 0], p[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def polygon_centroid(polygon: ArrayLike) -> FloatArray:
    """Return the area centroid of a simple polygon.

    Parameters
    ----------
    polygon : array_like, shape (k, 2)
        Vertices in order; the first vertex is not repeated.

    Returns
    -------
    ndarray, shape (2,)
        Centroid in the coordinates of ``polygon``.
    """
    p = np.asarray(polygon, dtype=np.float64)
    q = np.roll(p, -1, axis=0)
    cross = p[:, 0] * q[:, 1] - q[:, 0] * p[:, 1]
    signed_area = 0.5 * cross.sum()
    return ((p + q) * cross[:, None]).sum(axis=0) / (6.0 * signed_area)


def points_in_polygon(points: ArrayLike, polygon: ArrayLike) -> NDArray[np.bool_]:
    """Even-odd test of many points against one polygon.

    Parameters
    ----------
    points : array_like, shape (n, 2)
        Query points.
    polygon : array_like, shape (k, 2)
        Polygon vertices in order; the first vertex is not repeated.

    Returns
    -------
    ndarray of bool, shape (n,)
        True for points strictly inside (points on an edge may go either way).
    """
    pts = np.asarray(points, dtype=np.float64)
    poly = np.asarray(polygon, dtype=np.float64)
    x, y = pts[:, 0], pts[:, 1]
    inside = np.zeros(len(pts), dtype=bool)
    x1, y1 = poly[:, 0], poly[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    for xa, ya, xb, yb in zip(x1, y1, x2, y2):
        if ya == yb:
            continue
        crosses = (ya > y) != (yb > y)
        x_cross = xa + (y - ya) * (xb - xa) / (yb - ya)
        inside ^= crosses & (x < x_cross)
    return inside


def clip_halfplane(polygon: FloatArray, normal: ArrayLike, offset: float) -> FloatArray:
    """Clip a polygon to the half-plane ``normal · p <= offset`` (Sutherland–Hodgman step).

    Parameters
    ----------
    polygon : ndarray, shape (k, 2)
        Subject polygon; the first vertex is not repeated.
    normal : array_like, shape (2,)
        Outward normal of the kept half-plane's boundary.
    offset : float
        Boundary offset along ``normal``.

    Returns
    -------
    ndarray, shape (m, 2)
        The clipped polygon (``m = 0`` when nothing is kept).
    """
    value = polygon @ np.asarray(normal, dtype=np.float64) - offset
    inside = value <= 0.0
    if inside.all():
        return polygon
    if not inside.any():
        return np.empty((0, 2))
    following = np.roll(polygon, -1, axis=0)
    value_following = np.roll(value, -1)
    crossing = inside != np.roll(inside, -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(crossing, value / (value - value_following), 0.0)
    intersection = polygon + t[:, None] * (following - polygon)
    candidates = np.stack([polygon, intersection], axis=1)
    keep = np.stack([inside, crossing], axis=1)
    return candidates[keep]


def chaikin(polygon: FloatArray, iterations: int) -> FloatArray:
    """Smooth a closed polygon by Chaikin corner cutting.

    Parameters
    ----------
    polygon : ndarray, shape (k, 2)
        Closed polygon; the first vertex is not repeated.
    iterations : int
        Number of corner-cutting passes; each doubles the vertex count.

    Returns
    -------
    ndarray, shape (k * 2**iterations, 2)
        The smoothed polygon (a quadratic B-spline approximation of ``polygon``).
    """
    p = np.asarray(polygon, dtype=np.float64)
    for _ in range(iterations):
        q = np.roll(p, -1, axis=0)
        p = np.stack([0.75 * p + 0.25 * q, 0.25 * p + 0.75 * q], axis=1).reshape(-1, 2)
    return p


def cell_offsets(n_per_side: int) -> FloatArray:
    """Return a regular sub-grid of sample offsets covering the unit square ``[-0.5, 0.5]^2``.

    Parameters
    ----------
    n_per_side : int
        Samples per side; an odd number puts one sample on the centre.

    Returns
    -------
    ndarray, shape (n_per_side**2, 2)
        Cell-centred offsets.
    """
    t = (np.arange(n_per_side) + 0.5) / n_per_side - 0.5
    u, v = np.meshgrid(t, t, indexing="ij")
    return np.column_stack([u.ravel(), v.ravel()])


def disc_offsets(n_per_side: int) -> FloatArray:
    """Return regular sample offsets covering the unit-radius disc.

    Parameters
    ----------
    n_per_side : int
        Samples across the diameter; an odd number puts one sample on the centre.

    Returns
    -------
    ndarray, shape (m, 2)
        Offsets with ``|offset| <= 1``.
    """
    square = 2.0 * cell_offsets(n_per_side)
    return square[np.hypot(square[:, 0], square[:, 1]) <= 1.0]


def grid_cells(ap: FloatArray, ml: FloatArray, shape: tuple[int, int]) -> tuple[FloatArray, ...]:
    """Return the rectangular cells of a grid layout.

    Parameters
    ----------
    ap, ml : ndarray, shape (rows * cols,)
        Cell centres, row-major.
    shape : tuple of int
        ``(rows, cols)``, both at least 2.

    Returns
    -------
    tuple of ndarray, each (4, 2)
        ``(ap, ml)`` corners of each cell, sized by the median centre spacing.
    """
    rows, cols = shape
    half_ap = 0.5 * float(np.median(np.abs(np.diff(ap.reshape(rows, cols), axis=0))))
    half_ml = 0.5 * float(np.median(np.abs(np.diff(ml.reshape(rows, cols), axis=1))))
    corners = np.array(
        [[-half_ap, -half_ml], [-half_ap, half_ml], [half_ap, half_ml], [half_ap, -half_ml]]
    )
    return tuple(np.array([a, m]) + corners for a, m in zip(ap, ml))

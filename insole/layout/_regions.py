"""Region names and the default regional mask of science.md §6.2, applied as in §6.3."""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from insole.layout._geometry import FloatArray, cell_offsets, disc_offsets, points_in_polygon
from insole.layout._outline import OutlineBorders

#: The canonical regional partition (science.md §6.2): every active sensor's weights over these
#: nine regions sum to 1.
REGIONS: Final[tuple[str, ...]] = (
    "heel_medial",
    "heel_lateral",
    "midfoot_medial",
    "midfoot_lateral",
    "mth1",
    "mth2_3",
    "mth4_5",
    "hallux",
    "lesser_toes",
)

#: Optional split of MTH2–3 and MTH4–5 for grid insoles (science.md §6.2).  These overlap the
#: canonical regions and are not part of the partition.
SUBREGIONS: Final[tuple[str, ...]] = ("mth2", "mth3", "mth4", "mth5")

#: ``ap`` edges between the heel, midfoot, metatarsal-head and toe bands (science.md §6.2); a
#: point on an edge belongs to the band proximal (heel-ward) of it, as pedar's row 8 does.
AP_BAND_EDGES: Final[tuple[float, float, float]] = (0.27, 0.55, 0.82)

#: Local width fraction ``w`` (0 medial .. 1 lateral) splitting heel and midfoot; a point on a
#: ``w`` edge belongs to the lateral side of it.
HEEL_MIDFOOT_SPLIT_W: Final[float] = 0.5

#: ``w`` edges MTH1 | MTH2–3 | MTH4–5.
MTH_SPLIT_W: Final[tuple[float, float]] = (0.30, 0.64)

#: ``w`` edge hallux | lesser toes.
TOE_SPLIT_W: Final[float] = 0.35

#: ``w`` edges MTH2 | MTH3 | MTH4 | MTH5 of the optional grid sub-regions.
SUBREGION_SPLIT_W: Final[tuple[float, float, float]] = (0.47, 0.64, 0.81)

#: Samples per cell side when area fractions of polygon sensors are estimated (odd: one sample
#: sits on the cell centre).
POLYGON_SAMPLES_PER_SIDE: Final[int] = 15

#: Samples across the diameter of a discrete sensor's round footprint.
FOOTPRINT_SAMPLES_PER_SIDE: Final[int] = 21

_OUTSIDE = -1


def default_region_index(
    ap: ArrayLike, ml: ArrayLike, borders: OutlineBorders
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Classify points by the default mask.

    Parameters
    ----------
    ap, ml : array_like
        Points in the insole frame (same shape).
    borders : OutlineBorders
        Borders of the outline the local width fraction is measured on.

    Returns
    -------
    region : ndarray of intp
        Index into :data:`REGIONS`, or -1 outside the outline.
    subregion : ndarray of intp
        Index into :data:`SUBREGIONS` for points in the metatarsal-head band, else -1.
    """
    ap_arr = np.asarray(ap, dtype=np.float64)
    ml_arr = np.asarray(ml, dtype=np.float64)
    w = borders.width_fraction(ap_arr, ml_arr)
    band = np.digitize(ap_arr, AP_BAND_EDGES, right=True)  # a boundary belongs proximally
    lateral_half = (w >= HEEL_MIDFOOT_SPLIT_W).astype(np.intp)
    region = np.select(
        [band == 0, band == 1, band == 2],
        [
            REGIONS.index("heel_medial") + lateral_half,
            REGIONS.index("midfoot_medial") + lateral_half,
            REGIONS.index("mth1") + np.digitize(w, MTH_SPLIT_W),
        ],
        default=REGIONS.index("hallux") + (w >= TOE_SPLIT_W),
    ).astype(np.intp)
    inside = borders.contains(ap_arr, ml_arr)
    region[~inside] = _OUTSIDE
    in_split = inside & (band == 2) & (w >= MTH_SPLIT_W[0])
    subregion = np.where(in_split, np.digitize(w, SUBREGION_SPLIT_W), _OUTSIDE)
    return region, subregion.astype(np.intp)


def polygon_samples(
    polygons: tuple[FloatArray, ...], n_per_side: int = POLYGON_SAMPLES_PER_SIDE
) -> tuple[FloatArray, NDArray[np.intp]]:
    """Sample every polygon with a regular grid over its bounding box.

    Parameters
    ----------
    polygons : tuple of ndarray, each (k, 2)
        Sensor polygons in ``(ap, ml)``.
    n_per_side : int, optional
        Samples per bounding-box side.

    Returns
    -------
    points : ndarray, shape (n, 2)
        Sample points inside their polygon, ``(ap, ml)``.
    owner : ndarray of intp, shape (n,)
        Index of the polygon each sample belongs to.
    """
    unit = cell_offsets(n_per_side)
    points, owner = [], []
    for i, polygon in enumerate(polygons):
        lo, hi = polygon.min(axis=0), polygon.max(axis=0)
        candidates = 0.5 * (lo + hi) + unit * (hi - lo)
        is_box = len(polygon) == 4 and np.all(np.isin(polygon[:, 0], (lo[0], hi[0])))
        kept = candidates if is_box else candidates[points_in_polygon(candidates, polygon)]
        points.append(kept)
        owner.append(np.full(len(kept), i, dtype=np.intp))
    return np.concatenate(points), np.concatenate(owner)


def footprint_samples(
    ap: FloatArray, ml: FloatArray, radius_ap: FloatArray, radius_ml: FloatArray
) -> tuple[FloatArray, NDArray[np.intp]]:
    """Sample the round footprint of each discrete sensor.

    Parameters
    ----------
    ap, ml : ndarray, shape (n_sensors,)
        Sensor centroids.
    radius_ap, radius_ml : ndarray, shape (n_sensors,)
        Footprint radius in normalised ``ap`` and ``ml`` units (a circle in mm is an ellipse
        in the normalised frame).

    Returns
    -------
    points : ndarray, shape (n, 2)
        Sample points, ``(ap, ml)``.
    owner : ndarray of intp, shape (n,)
        Index of the sensor each sample belongs to.
    """
    unit = disc_offsets(FOOTPRINT_SAMPLES_PER_SIDE)
    sample_ap = ap[:, None] + radius_ap[:, None] * unit[None, :, 0]
    sample_ml = ml[:, None] + radius_ml[:, None] * unit[None, :, 1]
    owner = np.repeat(np.arange(len(ap), dtype=np.intp), len(unit))
    return np.column_stack([sample_ap.ravel(), sample_ml.ravel()]), owner


def default_region_weights(
    ap: FloatArray,
    ml: FloatArray,
    area_mm2: FloatArray,
    active: NDArray[np.bool_],
    polygons: tuple[FloatArray, ...] | None,
    borders: OutlineBorders,
    length_mm: float,
    width_mm: float,
    with_subregions: bool,
) -> FloatArray:
    """Assign sensors to the default regions (science.md §6.3).

    Sensors with polygons get area fractions of the part of the polygon inside the outline.
    Discrete sensors get the region holding the larger part of their round footprint (the
    region containing the centroid on a tie), i.e. the centroid's region unless the footprint
    straddles a boundary.

    Parameters
    ----------
    ap, ml : ndarray, shape (n_sensors,)
        Sensor centroids.
    area_mm2 : ndarray, shape (n_sensors,)
        Sensor areas; sets the footprint of discrete sensors.
    active : ndarray of bool, shape (n_sensors,)
        Inactive sensors get all-zero weights.
    polygons : tuple of ndarray or None
        Sensor polygons, or None for discrete sensors.
    borders : OutlineBorders
        Borders of the layout's outline.
    length_mm, width_mm : float
        Insole size, to make the footprints round in mm.
    with_subregions : bool
        Append the :data:`SUBREGIONS` columns (polygon sensors only).

    Returns
    -------
    ndarray, shape (n_sensors, 9) or (n_sensors, 13)
        Weights over :data:`REGIONS` (and :data:`SUBREGIONS`).
    """
    n_sensors = len(ap)
    n_regions = len(REGIONS)
    counts = np.zeros((n_sensors, n_regions + len(SUBREGIONS)))
    centroid_region, centroid_subregion = default_region_index(ap, ml, borders)
    if polygons is not None:
        points, owner = polygon_samples(polygons)
        region, subregion = default_region_index(points[:, 0], points[:, 1], borders)
        inside = region != _OUTSIDE
        np.add.at(counts, (owner[inside], region[inside]), 1.0)
        has_sub = subregion != _OUTSIDE
        np.add.at(counts, (owner[has_sub], n_regions + subregion[has_sub]), 1.0)
    else:
        radius_mm = np.sqrt(area_mm2 / np.pi)
        points, owner = footprint_samples(ap, ml, radius_mm / length_mm, radius_mm / width_mm)
        region, _ = default_region_index(points[:, 0], points[:, 1], borders)
        inside = region != _OUTSIDE
        votes = np.zeros((n_sensors, n_regions))
        np.add.at(votes, (owner[inside], region[inside]), 1.0)
        has_centroid = centroid_region != _OUTSIDE
        votes[np.flatnonzero(has_centroid), centroid_region[has_centroid]] += 0.5  # tie-break
        winner = np.argmax(votes, axis=1)
        counts[np.arange(n_sensors), winner] = votes.max(axis=1) > 0.0
    # a polygon sensor whose samples all miss the outline falls back to its centroid
    empty = counts[:, :n_regions].sum(axis=1) == 0.0
    fallback = np.flatnonzero(empty & (centroid_region != _OUTSIDE))
    counts[fallback, centroid_region[fallback]] = 1.0
    if polygons is not None:
        split = fallback[centroid_subregion[fallback] != _OUTSIDE]
        counts[split, n_regions + centroid_subregion[split]] = 1.0
    total = counts[:, :n_regions].sum(axis=1, keepdims=True)
    weights = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0.0)
    weights[~active] = 0.0
    return weights if with_subregions else weights[:, :n_regions]

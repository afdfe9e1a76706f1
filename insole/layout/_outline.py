"""The pedar-99 anatomical template (science.md §10.3) and the insole outline derived from it.

No vendor publishes an insole outline we may ship, so every preset shares one normalised outline
derived here from the pedar sensor rows: per row the medial-most and lateral-most centroid pushed
out by half the row's sensor spacing, a heel tip and a toe tip, Chaikin smoothing, and a final
renormalisation to exactly ``ap`` in [0, 1] and ``ml`` in [-0.5, 0.5].
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from insole.exceptions import LayoutError
from insole.layout._geometry import FloatArray, chaikin

#: pedar standard insole sensor rows, heel to toe: (``ap`` of the row, ``ml`` of each sensor from
#: medial to lateral); sensors are numbered 1..99 in this order (science.md §10.3).
PEDAR_ROWS: tuple[tuple[float, tuple[float, ...]], ...] = (
    (0.048, (0.08, -0.03, -0.13, -0.23, -0.36)),
    (0.123, (0.15, 0.06, -0.04, -0.13, -0.23, -0.33, -0.43)),
    (0.200, (0.18, 0.08, -0.02, -0.13, -0.23, -0.34, -0.44)),
    (0.272, (0.19, 0.09, -0.02, -0.12, -0.23, -0.34, -0.44)),
    (0.342, (0.21, 0.10, -0.01, -0.12, -0.22, -0.34, -0.45)),
    (0.414, (0.22, 0.11, 0.00, -0.11, -0.23, -0.34, -0.45)),
    (0.484, (0.23, 0.12, 0.01, -0.10, -0.22, -0.33, -0.45)),
    (0.550, (0.28, 0.16, 0.04, -0.08, -0.19, -0.32, -0.44)),
    (0.611, (0.34, 0.22, 0.09, -0.04, -0.17, -0.30, -0.44)),
    (0.667, (0.38, 0.25, 0.12, -0.02, -0.16, -0.30, -0.43)),
    (0.725, (0.41, 0.28, 0.14, 0.00, -0.14, -0.28, -0.42)),
    (0.783, (0.43, 0.30, 0.16, 0.02, -0.12, -0.25, -0.38)),
    (0.842, (0.42, 0.30, 0.17, 0.05, -0.08, -0.20, -0.33)),
    (0.901, (0.38, 0.26, 0.14, 0.02, -0.11, -0.23)),
    (0.960, (0.30, 0.16, 0.05, -0.09)),
)

#: Width-to-length ratio of the pedar outline (science.md §0.1).
PEDAR_WIDTH_RATIO = 0.32

#: Width-to-length ratio assumed when the insole width is unknown (science.md §0.1, [H]).
DEFAULT_WIDTH_RATIO = 0.37

#: Foot-axis landmarks of the template: heel centre H and second-toe point T (science.md §10.3).
TEMPLATE_HEEL_POINT = (0.169, -0.13)
TEMPLATE_TOE_POINT = (0.90, 0.14)

_CHAIKIN_ITERATIONS = 3
_HEEL_CAP_ANGLES_DEG = (30.0, 60.0)


def pedar_centroids() -> FloatArray:
    """Return the 99 pedar sensor centroids of the template.

    Returns
    -------
    ndarray, shape (99, 2)
        ``(ap, ml)`` of sensors 1..99 in the frame of science.md §0.1.
    """
    return np.array([(ap, ml) for ap, row in PEDAR_ROWS for ml in row], dtype=np.float64)


@lru_cache(maxsize=1)
def standard_outline() -> FloatArray:
    """Return the normalised insole outline shared by every built-in layout.

    The polygon starts near the heel tip and runs up the medial (``+ml``) border to the toe
    and back down the lateral border (counter-clockwise with ``ml`` to the right and ``ap`` up).

    Returns
    -------
    ndarray, shape (m, 2)
        Read-only ``(ap, ml)`` vertices; the first vertex is not repeated.  It spans exactly
        ``ap`` in [0, 1] and ``ml`` in [-0.5, 0.5].
    """
    medial, lateral = [], []
    for ap, row in PEDAR_ROWS:
        ml = np.asarray(row)
        half_spacing = 0.5 * (ml[0] - ml[-1]) / (len(ml) - 1)
        medial.append((ap, ml[0] + half_spacing))
        lateral.append((ap, ml[-1] - half_spacing))
    # heel cap: an elliptical arc from the first row's ends through the heel tip (ap = 0)
    first_ap, centre = medial[0][0], 0.5 * (medial[0][1] + lateral[0][1])
    half_width = 0.5 * (medial[0][1] - lateral[0][1])
    angle = np.deg2rad(_HEEL_CAP_ANGLES_DEG)
    cap_ap = first_ap * (1.0 - np.sin(angle))
    cap_medial = [(a, centre + half_width * c) for a, c in zip(cap_ap, np.cos(angle))]
    cap_lateral = [(a, centre - half_width * c) for a, c in zip(cap_ap, np.cos(angle))]
    heel_tip = (0.0, centre)
    toe_tip = (1.0, 0.5 * (medial[-1][1] + lateral[-1][1]))
    rough = np.array(
        [heel_tip, *cap_medial[::-1], *medial, toe_tip, *lateral[::-1], *cap_lateral],
        dtype=np.float64,
    )
    smooth = chaikin(rough, _CHAIKIN_ITERATIONS)
    lo, hi = smooth.min(axis=0), smooth.max(axis=0)
    ap = (smooth[:, 0] - lo[0]) / (hi[0] - lo[0])
    ml = (smooth[:, 1] - 0.5 * (lo[1] + hi[1])) / (hi[1] - lo[1])
    outline = np.column_stack([ap, ml])
    outline.flags.writeable = False
    return outline


@dataclass(frozen=True)
class OutlineBorders:
    """Medial and lateral borders of an outline as functions of ``ap``.

    The outline must be ``ap``-monotone: every line ``ap = const`` strictly between the heel
    tip and the toe tip crosses it exactly twice.

    Parameters
    ----------
    medial_ap, medial_ml : ndarray
        The medial border, ``ap`` strictly increasing from heel tip to toe tip.
    lateral_ap, lateral_ml : ndarray
        The lateral border, ``ap`` strictly increasing from heel tip to toe tip.
    """

    medial_ap: FloatArray
    medial_ml: FloatArray
    lateral_ap: FloatArray
    lateral_ml: FloatArray

    @classmethod
    def from_outline(cls, outline: ArrayLike) -> OutlineBorders:
        """Split an outline at its heel and toe tips into the two borders.

        Parameters
        ----------
        outline : array_like, shape (m, 2)
            ``(ap, ml)`` vertices; the first vertex is not repeated.

        Returns
        -------
        OutlineBorders

        Raises
        ------
        LayoutError
            If the outline is not ``ap``-monotone.
        """
        poly = np.asarray(outline, dtype=np.float64)
        heel, toe = int(np.argmin(poly[:, 0])), int(np.argmax(poly[:, 0]))
        rolled = np.roll(poly, -heel, axis=0)
        k = (toe - heel) % len(poly)
        chain_a = rolled[: k + 1]
        chain_b = np.concatenate([rolled[k:], rolled[:1]])[::-1]
        if chain_a[:, 1].mean() < chain_b[:, 1].mean():
            chain_a, chain_b = chain_b, chain_a
        chains = []
        for chain in (chain_a, chain_b):
            # a flat run at a tip (two vertices at the same extreme ap) is not a crossing
            chain = chain[np.r_[True, np.diff(chain[:, 0]) != 0.0]]
            chains.append(chain)
            if np.any(np.diff(chain[:, 0]) < 0.0):
                raise LayoutError(
                    "layout outline is not ap-monotone (a line of constant ap crosses it more "
                    "than twice); give an outline whose medial and lateral borders each run "
                    "strictly from heel to toe"
                )
        (medial, lateral) = chains
        return cls(medial[:, 0], medial[:, 1], lateral[:, 0], lateral[:, 1])

    def medial(self, ap: ArrayLike) -> FloatArray:
        """Return the ``ml`` of the medial border at ``ap``."""
        return np.interp(ap, self.medial_ap, self.medial_ml)

    def lateral(self, ap: ArrayLike) -> FloatArray:
        """Return the ``ml`` of the lateral border at ``ap``."""
        return np.interp(ap, self.lateral_ap, self.lateral_ml)

    def contains(self, ap: ArrayLike, ml: ArrayLike) -> NDArray[np.bool_]:
        """Return True where ``(ap, ml)`` lies inside the outline (borders included)."""
        ap_arr, ml_arr = np.asarray(ap, dtype=np.float64), np.asarray(ml, dtype=np.float64)
        return (
            (ap_arr >= self.medial_ap[0])
            & (ap_arr <= self.medial_ap[-1])
            & (ml_arr <= self.medial(ap_arr))
            & (ml_arr >= self.lateral(ap_arr))
        )

    def width_fraction(self, ap: ArrayLike, ml: ArrayLike) -> FloatArray:
        """Return the local width fraction ``w`` (0 at the medial border, 1 at the lateral).

        Parameters
        ----------
        ap, ml : array_like
            Points in the insole frame (broadcast together).

        Returns
        -------
        ndarray
            ``w`` of science.md §6.2; values outside [0, 1] lie outside the outline.
        """
        ap_arr = np.asarray(ap, dtype=np.float64)
        medial = self.medial(ap_arr)
        width = np.maximum(medial - self.lateral(ap_arr), 1e-12)
        return (medial - np.asarray(ml, dtype=np.float64)) / width

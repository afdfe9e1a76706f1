"""Readable NumPy twins of the compiled kernels: the specification they are tested against.

Each function has the same name, signature and edge-case behaviour as its
compiled counterpart in ``ext/``; the public, validating wrappers live in
:mod:`insole.kernels`.
"""

from __future__ import annotations

import numpy as np


def frame_features(
    values: np.ndarray,
    scale: np.ndarray,
    ap: np.ndarray,
    ml: np.ndarray,
    region_ptr: np.ndarray,
    region_idx: np.ndarray,
    region_w: np.ndarray,
    floor_value: float,
    cop_min_force_n: float,
    min_active: int,
    calibrated: bool,
    offset: np.ndarray,
    gain: np.ndarray,
    force_out: np.ndarray,
    cop_out: np.ndarray,
    region_out: np.ndarray,
    num_threads: int,
) -> None:
    """Total force, centre of pressure and region forces per frame (science.md 1.1, 1.2, 6.3).

    With ``p`` the physical value of sensor ``i`` (``(count - offset) * gain``
    when ``calibrated``), a sensor is loaded when ``p > 0`` and
    ``p >= floor_value``; its force is ``F_i = p * scale_i`` (0 when unloaded)::

        F   = sum_i F_i
        COP = (sum_i F_i * ap_i, sum_i F_i * ml_i) / F
        COP = NaN  if F <= 0 or F < cop_min_force_n or n_loaded < min_active
        F_r = sum over the CSR entries k of region r of F[region_idx[k]] * region_w[k]

    Outputs are written in place; ``num_threads`` is accepted for signature
    parity and ignored.
    """
    del num_threads
    p = np.asarray(values, dtype=np.float64)
    if calibrated:
        p = (p - offset) * gain
    loaded = (p > 0.0) & (p >= floor_value)
    force = np.where(loaded, p * scale, 0.0)
    total = force.sum(axis=1)
    n_loaded = loaded.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cop_ap = (force @ ap) / total
        cop_ml = (force @ ml) / total
    invalid = (total <= 0.0) | (total < cop_min_force_n) | (n_loaded < min_active)
    cop_ap[invalid] = np.nan
    cop_ml[invalid] = np.nan
    force_out[:] = total
    cop_out[:, 0] = cop_ap
    cop_out[:, 1] = cop_ml
    n_regions = region_out.shape[1]
    weights = np.zeros((p.shape[1], n_regions))
    for r in range(n_regions):
        sl = slice(region_ptr[r], region_ptr[r + 1])
        np.add.at(weights[:, r], region_idx[sl], region_w[sl])
    region_out[:] = force @ weights


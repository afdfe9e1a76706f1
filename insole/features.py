"""Per-frame features of a foot (total force, COP, region forces) from its layout.

This is where a layout and a calibration become the arrays the
:func:`insole.kernels.frame_features` kernel needs, with the defaults of
science.md section 1.2: the noise floor, the COP validity threshold
``max(50 N, 0.07 BW)`` and the minimum number of loaded sensors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from insole import kernels
from insole.calibration import Calibration

#: COP validity: absolute floor of the force threshold (science.md 1.2).
COP_MIN_FORCE_N = 50.0
#: COP validity: fraction of body weight (science.md 1.2).
COP_MIN_BW_FRACTION = 0.07
#: Noise floor of grid/capacitive pressure insoles, kPa (science.md 1.2).
PRESSURE_FLOOR_KPA = 10.0
#: Layout-name prefixes of devices that zero their sensors themselves (floor 0).
PREZEROED_PREFIXES = ("moticon",)
GRAVITY_M_S2 = 9.80665


def cop_min_force_n(body_mass_kg: float | None) -> float:
    """``max(50 N, 0.07 * BW)`` (science.md 1.2)."""
    if body_mass_kg is None or not np.isfinite(body_mass_kg):
        return COP_MIN_FORCE_N
    return max(COP_MIN_FORCE_N, COP_MIN_BW_FRACTION * body_mass_kg * GRAVITY_M_S2)


def default_floor(layout) -> float:
    """Noise floor in the layout's physical unit: 10 kPa for pressure insoles, 0 otherwise."""
    if layout.kind != "pressure_kpa" or layout.name.startswith(PREZEROED_PREFIXES):
        return 0.0
    return PRESSURE_FLOOR_KPA


@dataclass(frozen=True)
class FeatureSpec:
    """Everything the frame-features kernel needs for one foot, prepared once.

    Use :meth:`from_layout`; then :meth:`compute` on any number of blocks.
    """

    scale: np.ndarray
    ap: np.ndarray
    ml: np.ndarray
    regions: kernels.RegionCSR
    region_names: tuple[str, ...]
    floor_value: float
    cop_min_force_n: float
    min_active: int
    calibration: Calibration | None

    @classmethod
    def from_layout(
        cls,
        layout,
        calibration: Calibration | None = None,
        *,
        body_mass_kg: float | None = None,
        floor_value: float | None = None,
        cop_threshold_n: float | None = None,
        min_active: int | None = None,
    ) -> FeatureSpec:
        """Prepare the kernel inputs for ``layout``.

        Parameters
        ----------
        layout : SensorLayout
            Geometry, areas, sensor kind and region weights.
        calibration : Calibration, optional
            Applied to raw values (fused into the kernel when linear).
        body_mass_kg : float, optional
            For the COP validity threshold.
        floor_value, cop_threshold_n, min_active : optional
            Override the science.md defaults.
        """
        active = np.asarray(layout.active, dtype=bool)
        if layout.kind == "pressure_kpa":
            scale = np.asarray(layout.area_mm2, dtype=np.float64) * 1e-3  # kPa * mm^2 -> N
        else:
            scale = np.ones(layout.n_sensors)
        scale = np.where(active, scale, 0.0)
        grid = layout.grid_shape is not None
        return cls(
            scale=scale,
            ap=np.asarray(layout.ap, dtype=np.float64),
            ml=np.asarray(layout.ml, dtype=np.float64),
            regions=kernels.RegionCSR.from_dense(np.asarray(layout.region_weights)),
            region_names=tuple(layout.region_names),
            floor_value=default_floor(layout) if floor_value is None else float(floor_value),
            cop_min_force_n=cop_min_force_n(body_mass_kg) if cop_threshold_n is None else float(cop_threshold_n),
            min_active=(4 if grid else 2) if min_active is None else int(min_active),
            calibration=calibration,
        )

    def compute(self, raw: np.ndarray, *, num_threads: int | None = None) -> kernels.FrameFeatures:
        """Features of a (n_frames, n_sensors) block of raw values."""
        offset = gain = None
        values = raw
        cal = self.calibration
        if cal is not None:
            if cal.is_linear:
                offset, gain = cal.offset, cal.gain
            else:
                values = cal.apply(raw)
        return kernels.frame_features(
            values,
            self.scale,
            self.ap,
            self.ml,
            self.regions,
            floor_value=self.floor_value,
            cop_min_force_n=self.cop_min_force_n,
            min_active=self.min_active,
            offset=offset,
            gain=gain,
            num_threads=num_threads,
        )


def foot_features(foot_reader, *, body_mass_kg: float | None = None, block_frames: int | None = None) -> kernels.FrameFeatures:
    """Frame features of a whole foot of an open recording, streamed block by block."""
    spec = FeatureSpec.from_layout(foot_reader.layout, foot_reader.effective_calibration(), body_mass_kg=body_mass_kg)
    n = foot_reader.n_frames
    force = np.empty(n)
    cop = np.empty((n, 2))
    region = np.empty((n, spec.regions.n_regions))
    for i0, block in foot_reader.iter_blocks(block_frames):
        ff = spec.compute(block)
        i1 = i0 + block.shape[0]
        force[i0:i1], cop[i0:i1], region[i0:i1] = ff
    return kernels.FrameFeatures(force, cop, region)

"""Per-frame features of one foot, streamed from the file block by block.

Raw frames are read in blocks of whole HDF5 chunks and reduced by the compiled
kernels to a few numbers per frame (total force, COP, region forces, region
peak pressure and loaded area) plus per-sensor accumulators for pressure maps.
The raw data is never held whole in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from insole import kernels
from insole.features import FeatureSpec

#: Pseudo-regions appended after the layout's regions: force medial / lateral of the foot axis (4.2).
AXIS_REGIONS = ("medial_of_axis", "lateral_of_axis")


@dataclass
class FootFrames:
    """Per-frame series of one foot (float64 unless noted)."""

    foot: str
    layout: object
    t_s: np.ndarray  #: (n,) host time
    force_n: np.ndarray  #: (n,)
    cop: np.ndarray  #: (n, 2) normalised (ap, ml), NaN where invalid
    region_force_n: np.ndarray  #: (n, R + 2) layout regions then AXIS_REGIONS
    region_peak: np.ndarray  #: (n, R) highest loaded sensor value (kPa, or N for force sensors)
    region_area_mm2: np.ndarray  #: (n, R) loaded area
    region_names: tuple[str, ...]  #: layout region names (R)
    sensor_peak: np.ndarray  #: (m,) highest value of each sensor over the loaded frames
    sensor_sum: np.ndarray  #: (m,) sum of each sensor's value over the loaded frames
    n_loaded: int  #: frames counted in sensor_sum
    gaps: np.ndarray  #: lost-frame records of the file
    unit: str  #: "kPa" or "N"

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.t_s.size)

    def region(self, name: str) -> np.ndarray:
        """Force series of a region or axis pseudo-region."""
        names = (*self.region_names, *AXIS_REGIONS)
        return self.region_force_n[:, names.index(name)]


def _spec_with_axis(layout, calibration, body_mass_kg):
    spec = FeatureSpec.from_layout(layout, calibration, body_mass_kg=body_mass_kg)
    medial = np.asarray(layout.medial_of_axis_weights, dtype=np.float64)
    active = np.asarray(layout.active, dtype=bool)
    dense = np.column_stack([np.asarray(layout.region_weights, dtype=np.float64),
                             np.where(active, medial, 0.0), np.where(active, 1.0 - medial, 0.0)])
    return spec, kernels.RegionCSR.from_dense(dense)


def foot_frames(foot_reader, *, body_mass_kg: float | None, start: int = 0, stop: int | None = None,
                loaded_threshold_n: float = 50.0, block_frames: int | None = None) -> FootFrames:
    """Stream one foot of an open recording into :class:`FootFrames`.

    Parameters
    ----------
    foot_reader : insole.store.FootReader
    body_mass_kg : float, optional
        For the COP validity threshold.
    start, stop : int
        Frame range to analyse.
    loaded_threshold_n : float
        Frames above this force count toward the mean-pressure map.
    block_frames : int, optional
        Frames per block (default: whole chunks of about 8 MB).
    """
    layout = foot_reader.layout
    cal = foot_reader.effective_calibration()
    spec, csr = _spec_with_axis(layout, cal, body_mass_kg)
    spec = FeatureSpec(spec.scale, spec.ap, spec.ml, csr, spec.region_names, spec.floor_value,
                       spec.cop_min_force_n, spec.min_active, spec.calibration)
    peak_csr = kernels.RegionCSR.from_dense(np.asarray(layout.region_weights, dtype=np.float64))
    stop = foot_reader.n_frames if stop is None else min(stop, foot_reader.n_frames)
    n = max(0, stop - start)
    m = layout.n_sensors
    n_regions = len(layout.region_names)
    force = np.empty(n)
    cop = np.empty((n, 2))
    region = np.empty((n, n_regions + 2))
    peak = np.empty((n, n_regions))
    area = np.empty((n, n_regions))
    sensor_peak = np.zeros(m)
    sensor_sum = np.zeros(m)
    n_loaded = 0
    offset = gain = None
    if cal.is_linear:
        offset, gain = cal.offset, cal.gain
    area_mm2 = np.where(np.asarray(layout.active, bool), np.asarray(layout.area_mm2, float), 0.0)
    for i0, raw in foot_reader.iter_blocks(block_frames, start=start, stop=stop):
        j0, j1 = i0 - start, i0 - start + raw.shape[0]
        ff = spec.compute(raw)
        force[j0:j1], cop[j0:j1], region[j0:j1] = ff
        values = raw if cal.is_linear else cal.apply(raw)
        rp = kernels.region_pressure(values, area_mm2, peak_csr, floor_value=spec.floor_value,
                                     offset=offset if cal.is_linear else None, gain=gain if cal.is_linear else None)
        peak[j0:j1], area[j0:j1] = rp
        loaded = ff.force_n >= loaded_threshold_n
        if loaded.any():
            phys = cal.apply(raw[loaded])
            phys = np.where(phys >= max(spec.floor_value, 0.0), phys, 0.0)
            np.maximum(sensor_peak, phys.max(axis=0), out=sensor_peak)
            sensor_sum += phys.sum(axis=0)
            n_loaded += int(loaded.sum())
    t = foot_reader.t_host_s_ds[start:stop]
    return FootFrames(foot_reader.name, layout, np.asarray(t, dtype=np.float64), force, cop, region, peak, area,
                      tuple(layout.region_names), sensor_peak, sensor_sum, n_loaded, foot_reader.gaps,
                      "kPa" if layout.kind == "pressure_kpa" else "N")

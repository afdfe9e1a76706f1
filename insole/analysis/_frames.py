"""Per-frame features of one foot, streamed from the file block by block.

Raw frames are read in blocks of whole HDF5 chunks and reduced by the compiled
kernels to a few numbers per frame (total force, COP, region forces, region
peak pressure and loaded area) plus per-sensor accumulators for pressure maps
(:func:`insole.kernels.sensor_accumulate`).  With two or more kernel threads,
one thread reads and decompresses the next block while the kernels work on the
current one with the others.  The raw data is never held whole in memory; the
features take ``8 * (3 R + 6)`` bytes per frame for a layout of ``R`` regions
(264 B for 9 regions, 360 B for 13), and :func:`insole.analysis.analyze` keeps
the region series of one foot at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace

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

    def without_region_series(self) -> FootFrames:
        """A copy without the per-frame region series (force, COP, time and the maps stay)."""
        return replace(self, region_force_n=self.region_force_n[:0].copy(), region_peak=self.region_peak[:0].copy(),
                       region_area_mm2=self.region_area_mm2[:0].copy())

    def region(self, name: str) -> np.ndarray:
        """Force series of a region or axis pseudo-region."""
        names = (*self.region_names, *AXIS_REGIONS)
        return self.region_force_n[:, names.index(name)]


#: Medial-of-axis weights by layout geometry: both feet of a recording share them (the frame is
#: side-agnostic), and computing them samples every sensor polygon.
_MEDIAL_WEIGHTS: dict[str, np.ndarray] = {}


def _medial_weights(layout) -> np.ndarray:
    """``layout.medial_of_axis_weights``, computed once per geometry."""
    digest = hashlib.sha1()
    for a in (layout.ap, layout.ml, layout.outline, layout.heel_point, layout.toe_point, (layout.width_mm, layout.length_mm)):
        digest.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
        digest.update(b"|")
    for poly in layout.polygons or ():
        digest.update(np.ascontiguousarray(poly, dtype=np.float64).tobytes())
        digest.update(b";")
    key = digest.hexdigest()
    if key not in _MEDIAL_WEIGHTS:
        if len(_MEDIAL_WEIGHTS) >= 32:
            _MEDIAL_WEIGHTS.clear()
        _MEDIAL_WEIGHTS[key] = np.asarray(layout.medial_of_axis_weights, dtype=np.float64)
    return _MEDIAL_WEIGHTS[key]


def _spec_with_axis(layout, calibration, body_mass_kg):
    spec = FeatureSpec.from_layout(layout, calibration, body_mass_kg=body_mass_kg)
    medial = _medial_weights(layout)
    active = np.asarray(layout.active, dtype=bool)
    dense = np.column_stack([np.asarray(layout.region_weights, dtype=np.float64),
                             np.where(active, medial, 0.0), np.where(active, 1.0 - medial, 0.0)])
    return spec, kernels.RegionCSR.from_dense(dense)


def _read_ahead(blocks: Iterator[tuple[int, np.ndarray]]) -> Iterator[tuple[int, np.ndarray]]:
    """Yield from ``blocks`` while the next block is read (and decompressed) on another thread.

    HDF5 reads release the GIL, so decompression overlaps the kernels; one block is in
    flight, so memory grows by one block only.
    """
    from concurrent.futures import ThreadPoolExecutor

    sentinel = (-1, None)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="insole-read") as pool:
        pending = pool.submit(next, blocks, sentinel)
        while True:
            i0, raw = pending.result()
            if raw is None:
                return
            pending = pool.submit(next, blocks, sentinel)
            yield i0, raw


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
    map_floor = max(spec.floor_value, 0.0)
    # with two or more threads one reads (and decompresses) the next block while the others compute
    threads = kernels.default_num_threads()
    blocks = foot_reader.iter_blocks(block_frames, start=start, stop=stop)
    if threads > 1:
        blocks = _read_ahead(blocks)
        threads -= 1
    for i0, raw in blocks:
        j0, j1 = i0 - start, i0 - start + raw.shape[0]
        if cal.is_linear:  # calibration fused into the kernels
            values = raw
            ff = spec.compute(raw, num_threads=threads)
        else:  # calibrate once for all three kernels
            values = cal.apply(raw)
            ff = kernels.frame_features(values, spec.scale, spec.ap, spec.ml, spec.regions, floor_value=spec.floor_value,
                                        cop_min_force_n=spec.cop_min_force_n, min_active=spec.min_active,
                                        num_threads=threads)
        force[j0:j1], cop[j0:j1], region[j0:j1] = ff
        rp = kernels.region_pressure(values, area_mm2, peak_csr, floor_value=spec.floor_value, offset=offset, gain=gain,
                                     num_threads=threads)
        peak[j0:j1], area[j0:j1] = rp
        loaded = ff.force_n >= loaded_threshold_n
        kernels.sensor_accumulate(values, loaded, sensor_peak, sensor_sum, floor_value=map_floor, offset=offset, gain=gain)
        n_loaded += int(np.count_nonzero(loaded))
    t = foot_reader.t_host_s_ds[start:stop]
    return FootFrames(foot_reader.name, layout, np.asarray(t, dtype=np.float64), force, cop, region, peak, area,
                      tuple(layout.region_names), sensor_peak, sensor_sum, n_loaded, foot_reader.gaps,
                      "kPa" if layout.kind == "pressure_kpa" else "N")

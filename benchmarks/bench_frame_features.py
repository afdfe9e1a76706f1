"""Frame-features kernel against one read of the data and the best NumPy formulation.

Run: ``python benchmarks/bench_frame_features.py [--frames N] [--json OUT.json]``

For each layout and input type it times, on the same array:
- one read: ``np.sum`` over the array (single pass, single thread);
- the compiled kernel with 1 and with 2 OpenMP threads (``insole._ext``);
- the NumPy twin (``insole.kernels._reference``, the readable specification);
- the best NumPy formulation: floor by ``np.where`` then BLAS matrix products
  ``p @ scale``, ``p @ (scale*ap)``, ``p @ (scale*ml)``, ``p @ W`` in float32
  (counts are calibrated into a float32 array first, as NumPy must).
Ratios are reported (kernel time / one read, best NumPy / kernel).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _harness import best_time_s, emit

from insole import kernels
from insole.features import FeatureSpec
from insole.kernels import _reference
from insole.layout import get_layout


def _data(layout, n_frames: int, counts: bool, rng) -> np.ndarray:
    # Sparse plantar-like loading: about half the sensels loaded in any frame.
    base = rng.gamma(0.8, 80.0, size=(n_frames, layout.n_sensors))
    base[rng.random(base.shape) < 0.5] = 0.0
    base[:, ~np.asarray(layout.active)] = 0.0
    if counts:
        return np.clip(base * 4.0, 0, 4095).astype(np.uint16)
    return base.astype(np.float32)


def _best_numpy(values, spec: FeatureSpec, offset, gain):
    w = np.zeros((values.shape[1], spec.regions.n_regions), np.float32)
    for r in range(spec.regions.n_regions):
        sl = slice(spec.regions.ptr[r], spec.regions.ptr[r + 1])
        w[spec.regions.idx[sl], r] = spec.regions.weight[sl]
    mat = np.column_stack([spec.scale, spec.scale * spec.ap, spec.scale * spec.ml]).astype(np.float32)
    w = (w * spec.scale[:, None]).astype(np.float32)
    off32 = None if offset is None else offset.astype(np.float32)
    gain32 = None if gain is None else gain.astype(np.float32)
    floor = np.float32(spec.floor_value)

    def run():
        p = values if off32 is None else (values.astype(np.float32) - off32) * gain32
        p = np.where(p >= floor, p, np.float32(0))
        m = p @ mat
        with np.errstate(invalid="ignore", divide="ignore"):
            cop = m[:, 1:] / m[:, :1]
        return m[:, 0], cop, p @ w

    return run


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60_000)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if kernels.BACKEND != "cython":
        sys.exit("the compiled kernels are not in use; build them (pip install -e .) to benchmark")
    compiled = kernels._COMPILED["frame_features"].frame_features
    rng = np.random.default_rng(0)
    rows = []
    for name in ("pedar-99", "fscan-60x21", "moticon-16"):
        layout = get_layout(name)
        for counts in (False, True):
            values = _data(layout, args.frames, counts, rng)
            offset = gain = None
            if counts:
                offset = np.full(layout.n_sensors, 2.0)
                gain = np.full(layout.n_sensors, 0.25)
            from insole.calibration import Calibration

            cal = Calibration("kPa", offset, gain) if counts else None
            spec = FeatureSpec.from_layout(layout, cal)
            n, m = values.shape

            args = (values, spec.scale, spec.ap, spec.ml, spec.regions.ptr, spec.regions.idx, spec.regions.weight,
                    spec.floor_value, spec.cop_min_force_n, spec.min_active, counts,
                    offset if counts else np.zeros(m), gain if counts else np.ones(m),
                    np.empty(n), np.empty((n, 2)), np.empty((n, spec.regions.n_regions)))

            def call(impl, threads, args=args):
                return lambda: impl(*args, threads)

            t_read = best_time_s(values.sum)
            t_c1 = best_time_s(call(compiled, 1))
            t_c2 = best_time_s(call(compiled, 2))
            t_twin = best_time_s(call(_reference.frame_features, 1), repeat=3)
            t_np = best_time_s(_best_numpy(values, spec, offset, gain), repeat=3)
            rows.append({
                "layout": name,
                "sensors": m,
                "input": "uint16 counts + calibration" if counts else "float32",
                "one read (ms)": t_read * 1e3,
                "cython 1 thr / one read": t_c1 / t_read,
                "cython 2 thr / one read": t_c2 / t_read,
                "best NumPy / cython 2 thr": t_np / t_c2,
                "NumPy twin / cython 2 thr": t_twin / t_c2,
                "frames/s (2 thr)": n / t_c2,
            })
    emit(
        f"frame_features: {args.frames} frames per case",
        rows,
        ["layout", "sensors", "input", "one read (ms)", "cython 1 thr / one read", "cython 2 thr / one read",
         "best NumPy / cython 2 thr", "NumPy twin / cython 2 thr", "frames/s (2 thr)"],
        args.json,
        notes="one read = np.sum over the array (1 thread); best NumPy = np.where floor + float32 BLAS matmuls "
        "(BLAS threads as NumPy configures them); lower kernel/one-read and higher NumPy/kernel are better.",
    )
    return rows


if __name__ == "__main__":
    main()

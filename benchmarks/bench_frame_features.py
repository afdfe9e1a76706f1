"""Frame-features and region-pressure kernels against one read of the data and the best NumPy formulation.

Run: ``python benchmarks/bench_frame_features.py [--frames N] [--rounds R] [--json OUT.json]``

For each layout (pedar-99, fscan-60x21, moticon-16) and input (float32 kPa; uint16 counts
with per-sensor calibration fused into the kernel) it times, on the same array:

- one read: ``np.sum`` over the array (single pass, single thread);
- the compiled kernel with 1 and with 2 OpenMP threads (``insole._ext``);
- the best NumPy formulation:
  * frame features: the noise floor by ``np.where``, then float32 BLAS matrix products
    ``p @ [scale, scale*ap, scale*ml]`` and ``p @ W``;
  * region pressure: the floor by ``np.where``, one gather of the regions' columns, per-region
    maxima by ``np.maximum.reduceat`` and the loaded area as a float32 matrix product;
  raw counts are first calibrated into a float32 array, as NumPy must.  Both skip work the
  kernels do (loaded counts, NaN COP), so they flatter NumPy;
- the NumPy twin (``insole.kernels._reference``, the readable specification).

One read and the kernel (1 and 2 threads) are timed in interleaved rounds (each round times
every candidate once, the best of ``--rounds`` rounds is kept), so that load from other jobs
on the machine hits them alike; NumPy comes after them (its BLAS threads spin for a while
after each call).  The 1-minute load average is recorded with every row.  Ratios are reported:
kernel time / one read (lower is better) and NumPy time / kernel time (higher is better).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _harness import emit, interleaved_best_s

from insole import kernels
from insole.calibration import Calibration
from insole.features import FeatureSpec
from insole.kernels import _reference
from insole.layout import get_layout

LAYOUTS = ("pedar-99", "fscan-60x21", "moticon-16")


def _data(layout, n_frames: int, counts: bool, rng) -> np.ndarray:
    # Sparse plantar-like loading: about half the sensels loaded in any frame.
    base = rng.gamma(0.8, 80.0, size=(n_frames, layout.n_sensors))
    base[rng.random(base.shape) < 0.5] = 0.0
    base[:, ~np.asarray(layout.active)] = 0.0
    if counts:
        return np.clip(base * 4.0, 0, 4095).astype(np.uint16)
    return base.astype(np.float32)


def _calibrated32(values, offset, gain):
    """What NumPy must do first with raw counts: a calibrated float32 array."""
    if offset is None:
        return lambda: values
    off32, gain32 = offset.astype(np.float32), gain.astype(np.float32)
    return lambda: (values.astype(np.float32) - off32) * gain32


def _best_numpy(values, spec: FeatureSpec, offset, gain):
    w = np.zeros((values.shape[1], spec.regions.n_regions), np.float32)
    for r in range(spec.regions.n_regions):
        sl = slice(spec.regions.ptr[r], spec.regions.ptr[r + 1])
        w[spec.regions.idx[sl], r] = spec.regions.weight[sl]
    mat = np.column_stack([spec.scale, spec.scale * spec.ap, spec.scale * spec.ml]).astype(np.float32)
    w = (w * spec.scale[:, None]).astype(np.float32)
    physical = _calibrated32(values, offset, gain)
    floor = np.float32(spec.floor_value)

    def run():
        p = physical()
        p = np.where(p >= floor, p, np.float32(0))
        m = p @ mat
        with np.errstate(invalid="ignore", divide="ignore"):
            cop = m[:, 1:] / m[:, :1]
        return m[:, 0], cop, p @ w

    return run


def _best_numpy_region_pressure(values, area_mm2, csr, floor_value, offset, gain):
    idx, ptr = csr.idx, csr.ptr
    nonempty = np.flatnonzero(np.diff(ptr) > 0)
    starts = ptr[nonempty]
    wa = np.zeros((values.shape[1], csr.n_regions), np.float32)
    for r in range(csr.n_regions):
        sl = slice(ptr[r], ptr[r + 1])
        np.add.at(wa[:, r], idx[sl], (csr.weight[sl] * area_mm2[idx[sl]]).astype(np.float32))
    physical = _calibrated32(values, offset, gain)
    floor = np.float32(max(floor_value, np.nextafter(np.float32(0), np.float32(1))))
    peak = np.zeros((values.shape[0], csr.n_regions), np.float32)

    def run():
        p = physical()
        loaded = p >= floor
        lp = np.where(loaded, p, np.float32(0))
        peak[:, nonempty] = np.maximum.reduceat(lp[:, idx], starts, axis=1)
        return peak, loaded.astype(np.float32) @ wa

    return run


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60_000)
    parser.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds (best is kept)")
    parser.add_argument("--layouts", default=",".join(LAYOUTS))
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if kernels.BACKEND != "cython":
        sys.exit("the compiled kernels are not in use; build them (pip install -e .) to benchmark")
    ff_kernel = kernels._COMPILED["frame_features"].frame_features
    rp_kernel = kernels._COMPILED["region_pressure"].region_pressure
    rng = np.random.default_rng(0)
    rows = []
    for name in args.layouts.split(","):
        layout = get_layout(name)
        for counts in (False, True):
            values = _data(layout, args.frames, counts, rng)
            n, m = values.shape
            offset = gain = None
            if counts:
                offset = np.full(m, 2.0)
                gain = np.full(m, 0.25)
            spec = FeatureSpec.from_layout(layout, Calibration("kPa", offset, gain) if counts else None)
            csr = spec.regions
            off_arg = offset if counts else np.zeros(m)
            gain_arg = gain if counts else np.ones(m)
            area = np.where(np.asarray(layout.active), np.asarray(layout.area_mm2, dtype=np.float64), 0.0)
            ff_args = (values, spec.scale, spec.ap, spec.ml, csr.ptr, csr.idx, csr.weight, spec.floor_value,
                       spec.cop_min_force_n, spec.min_active, counts, off_arg, gain_arg,
                       np.empty(n), np.empty((n, 2)), np.empty((n, csr.n_regions)))
            rp_args = (values, counts, off_arg, gain_arg, spec.floor_value, area, csr.ptr, csr.idx, csr.weight,
                       np.empty((n, csr.n_regions)), np.empty((n, csr.n_regions)))
            cases = {
                "frame_features": (ff_kernel, _reference.frame_features, ff_args,
                                   _best_numpy(values, spec, offset, gain)),
                "region_pressure": (rp_kernel, _reference.region_pressure, rp_args,
                                    _best_numpy_region_pressure(values, area, csr, spec.floor_value, offset, gain)),
            }
            for kernel_name, (kernel, twin, kargs, best_np) in cases.items():
                times = interleaved_best_s({
                    "read": values.sum,
                    "c1": lambda kernel=kernel, kargs=kargs: kernel(*kargs, 1),
                    "c2": lambda kernel=kernel, kargs=kargs: kernel(*kargs, 2),
                }, repeat=args.rounds, min_time_s=0.1)
                # NumPy after the kernels: BLAS worker threads keep spinning for a while after a
                # call and would slow down whatever runs next; the twin is 10-50x slower
                t_np = interleaved_best_s({"best": best_np}, repeat=args.rounds, min_time_s=0.1)["best"]
                t_twin = interleaved_best_s({"twin": lambda twin=twin, kargs=kargs: twin(*kargs, 1)}, repeat=3, min_time_s=0.2)["twin"]
                t_read, t_c1, t_c2 = times["read"], times["c1"], times["c2"]
                rows.append({
                    "kernel": kernel_name,
                    "layout": name,
                    "sensors": m,
                    "input": "uint16 counts + calibration" if counts else "float32",
                    "one read (ms)": t_read * 1e3,
                    "cython 1 thr / one read": t_c1 / t_read,
                    "cython 2 thr / one read": t_c2 / t_read,
                    "best NumPy / one read": t_np / t_read,
                    "best NumPy / cython 1 thr": t_np / t_c1,
                    "best NumPy / cython 2 thr": t_np / t_c2,
                    "NumPy twin / cython 2 thr": t_twin / t_c2,
                    "frames/s (2 thr)": n / t_c2,
                    "load (1 min)": os.getloadavg()[0],
                })
                print(f"  {kernel_name} {name} {rows[-1]['input']}: done", file=sys.stderr, flush=True)
    emit(
        f"frame_features and region_pressure: {args.frames} frames per case",
        rows,
        ["kernel", "layout", "sensors", "input", "one read (ms)", "cython 1 thr / one read",
         "cython 2 thr / one read", "best NumPy / one read", "best NumPy / cython 1 thr",
         "best NumPy / cython 2 thr", "NumPy twin / cython 2 thr", "frames/s (2 thr)", "load (1 min)"],
        args.json,
        notes="one read = np.sum over the array (1 thread); best NumPy = np.where floor + float32 BLAS "
        "products (frame features) or gather + np.maximum.reduceat + BLAS (region pressure), counts "
        "calibrated to float32 first, BLAS threads as NumPy configures them; one read and kernels timed in "
        f"{args.rounds} interleaved rounds, best kept, NumPy after them; lower kernel/one-read and higher NumPy/kernel are better.",
    )
    return rows


if __name__ == "__main__":
    main()

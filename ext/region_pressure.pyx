"""Per-frame, per-region peak pressure and loaded area (science.md 5.1, 6).

Compiled twin of :func:`insole.kernels._reference.region_pressure`; the
public, validating wrapper is :func:`insole.kernels.region_pressure`.

Organised like ``frame_features.pyx`` (figures: ``benchmarks/bench_frame_features.py``):
frames in blocks of ``BLK`` = 8, two per SSE2 lane pair; a branch-free
sensor pass stores the loaded values ``q`` (0 where unloaded) of a block as
``qt[sensor, frame]``; then each CSR entry of a region updates the block's
eight frames at once: ``peak = max(peak, q)`` and ``area += w * area_mm2``
where ``q`` is loaded.  Every frame is computed in CSR order whatever its
position, so results do not depend on chunking or threads.
"""

from cython.parallel cimport parallel, prange, threadid
from libc.math cimport nextafter
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memset

from _insole cimport (
    lp_add, lp_ge, lp_keep, lp_load, lp_mask, lp_max, lp_mul, lp_set, lp_set1, lp_store, lp_store_hi,
    lp_store_lo, lp_sub, lp_t, lp_zero, value_t,
)


cdef enum:
    BLK = 8  # frames per block: four lane pairs


cdef inline void _block(
    const value_t* rows, Py_ssize_t m, const double* cal, bint calibrated, double threshold,
    const Py_ssize_t* region_ptr, const Py_ssize_t* region_idx, const double* wa, Py_ssize_t n_regions,
    double* qt, double* peak_out, double* area_out,
) noexcept nogil:
    """BLK full frames at ``rows``; ``cal`` holds (offset, offset, gain, gain) per sensor."""
    cdef Py_ssize_t j, k, r, i
    cdef const value_t* x
    cdef lp_t thr = lp_set1(threshold)
    cdef lp_t p, w
    cdef lp_t pk[4]
    cdef lp_t ar[4]
    cdef const double* col
    cdef double* out
    # sensor pass: loaded value (p where p > 0 and p >= floor, else 0), four lane pairs per sensor
    for j in range(m):
        x = rows + j
        for i in range(4):
            p = lp_set(<double>x[2 * i * m], <double>x[(2 * i + 1) * m])
            if calibrated:  # the twin's operations: (count - offset) * gain
                p = lp_mul(lp_sub(p, lp_load(cal + 4 * j)), lp_load(cal + 4 * j + 2))
            lp_store(qt + BLK * j + 2 * i, lp_keep(lp_ge(p, thr), p))
    # region pass: q >= threshold exactly where the sensor is loaded (q is 0 elsewhere)
    for r in range(n_regions):
        for i in range(4):
            pk[i] = lp_zero()
            ar[i] = lp_zero()
        for k in range(region_ptr[r], region_ptr[r + 1]):
            col = qt + BLK * region_idx[k]
            w = lp_set1(wa[k])
            for i in range(4):
                p = lp_load(col + 2 * i)
                pk[i] = lp_max(pk[i], p)
                ar[i] = lp_add(ar[i], lp_keep(lp_ge(p, thr), w))
        for i in range(4):
            out = peak_out + 2 * i * n_regions + r
            lp_store_lo(out, pk[i])
            lp_store_hi(out + n_regions, pk[i])
            out = area_out + 2 * i * n_regions + r
            lp_store_lo(out, ar[i])
            lp_store_hi(out + n_regions, ar[i])


cdef void _run(
    const value_t* vp, Py_ssize_t n, Py_ssize_t m, const double* cal, bint calibrated, double threshold,
    const Py_ssize_t* region_ptr, const Py_ssize_t* region_idx, const double* wa, Py_ssize_t n_regions,
    double* scratch, Py_ssize_t stride, value_t* pad, double* tail, double* peak_out, double* area_out, int nt,
) noexcept nogil:
    """Full blocks on ``nt`` threads, then the last partial block through the zero-padded ``pad``."""
    cdef Py_ssize_t n_full = n // BLK
    cdef Py_ssize_t rest = n - n_full * BLK
    cdef Py_ssize_t blk, i0
    cdef double* qt = scratch
    if nt == 1 or n_full < 2:
        for blk in range(n_full):
            i0 = blk * BLK
            _block(vp + i0 * m, m, cal, calibrated, threshold, region_ptr, region_idx, wa, n_regions, qt,
                   peak_out + i0 * n_regions, area_out + i0 * n_regions)
    else:
        with parallel(num_threads=nt):
            qt = scratch + threadid() * stride
            for blk in prange(n_full, schedule="dynamic", chunksize=16):
                i0 = blk * BLK
                _block(vp + i0 * m, m, cal, calibrated, threshold, region_ptr, region_idx, wa, n_regions, qt,
                       peak_out + i0 * n_regions, area_out + i0 * n_regions)
    if rest and n_regions:
        i0 = n_full * BLK
        memset(pad, 0, BLK * m * sizeof(value_t))
        memcpy(pad, vp + i0 * m, rest * m * sizeof(value_t))
        _block(pad, m, cal, calibrated, threshold, region_ptr, region_idx, wa, n_regions, scratch,
               tail, tail + BLK * n_regions)
        memcpy(peak_out + i0 * n_regions, tail, rest * n_regions * sizeof(double))
        memcpy(area_out + i0 * n_regions, tail + BLK * n_regions, rest * n_regions * sizeof(double))


def region_pressure(
    const value_t[:, ::1] values,
    bint calibrated,
    const double[::1] offset,
    const double[::1] gain,
    double floor_value,
    const double[::1] area_mm2,
    const Py_ssize_t[::1] region_ptr,
    const Py_ssize_t[::1] region_idx,
    const double[::1] region_w,
    double[:, ::1] peak_out,
    double[:, ::1] area_out,
    int num_threads,
):
    """For each frame and region: the highest loaded value and the loaded area.

    Parameters
    ----------
    values : (n_frames, n_sensors) array
        Physical values, or raw counts when ``calibrated``.
    calibrated : bool
        Apply ``(value - offset) * gain`` per sensor first.
    offset, gain : (n_sensors,) float64
        Per-sensor linear calibration (ignored unless ``calibrated``).
    floor_value : float
        A sensor is loaded when its value is > 0 and >= ``floor_value``.
    area_mm2 : (n_sensors,) float64
        Sensor areas.
    region_ptr, region_idx, region_w : CSR arrays
        The sensors ``region_idx[k]`` of region ``r`` (``k`` in
        ``region_ptr[r]:region_ptr[r+1]``) and their weights.
    peak_out, area_out : (n_frames, n_regions) float64 outputs
        The highest loaded value among the region's sensors (0 when none is
        loaded) and ``sum(region_w[k] * area_mm2[region_idx[k]])`` over its
        loaded sensors.
    num_threads : int
        OpenMP threads (>= 1).
    """
    cdef Py_ssize_t n = values.shape[0]
    cdef Py_ssize_t m = values.shape[1]
    cdef Py_ssize_t n_regions = peak_out.shape[1]
    cdef Py_ssize_t n_entries = region_idx.shape[0]
    cdef Py_ssize_t j, k
    cdef int nt = num_threads if num_threads > 0 else 1
    if n == 0 or n_regions == 0:
        return
    if n < 64 * BLK:
        nt = 1
    # "loaded" is p > 0 and p >= floor: one comparison against the larger of the two
    cdef double threshold = floor_value if floor_value > 0.0 else nextafter(0.0, 1.0)
    cdef Py_ssize_t stride = m * BLK + 8
    cdef double* cal = <double*> malloc((4 * m + 1) * sizeof(double))
    cdef double* wa = <double*> malloc((n_entries + 1) * sizeof(double))
    cdef double* scratch = <double*> malloc(nt * stride * sizeof(double))
    cdef value_t* pad = <value_t*> malloc(BLK * m * sizeof(value_t) + 8)
    cdef double* tail = <double*> malloc(2 * BLK * n_regions * sizeof(double))
    try:
        if cal == NULL or wa == NULL or scratch == NULL or pad == NULL or tail == NULL:
            raise MemoryError()
        for j in range(m):
            cal[4 * j] = cal[4 * j + 1] = offset[j] if calibrated else 0.0
            cal[4 * j + 2] = cal[4 * j + 3] = gain[j] if calibrated else 1.0
        for k in range(n_entries):
            wa[k] = region_w[k] * area_mm2[region_idx[k]]  # the twin's w * area_mm2[idx]
        with nogil:
            _run(&values[0, 0], n, m, cal, calibrated, threshold, &region_ptr[0],
                 &region_idx[0] if n_entries else NULL, wa, n_regions, scratch, stride, pad, tail,
                 &peak_out[0, 0], &area_out[0, 0], nt)
    finally:
        free(cal)
        free(wa)
        free(scratch)
        free(pad)
        free(tail)

"""Per-frame, per-region peak pressure and loaded area (science.md 5.1, 6).

Compiled twin of :func:`insole.kernels._reference.region_pressure`.
"""

from cython.parallel cimport prange

from _insole cimport value_t


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
    """For each frame and region: the highest loaded value among the region's
    sensors (weight > 0) and the loaded area ``sum(w * area)`` over sensors
    whose value is > 0 and >= ``floor_value`` (0 when none is loaded).
    """
    cdef Py_ssize_t n = values.shape[0]
    cdef Py_ssize_t n_regions = peak_out.shape[1]
    cdef Py_ssize_t i, r, k, j
    cdef double p, peak, area
    cdef int nt = num_threads if num_threads > 0 else 1
    for i in prange(n, nogil=True, schedule="static", num_threads=nt):
        for r in range(n_regions):
            peak = 0.0
            area = 0.0
            for k in range(region_ptr[r], region_ptr[r + 1]):
                j = region_idx[k]
                if calibrated:
                    p = (<double>values[i, j] - offset[j]) * gain[j]
                else:
                    p = <double>values[i, j]
                if p > 0.0 and p >= floor_value:
                    area = area + region_w[k] * area_mm2[j]
                    if p > peak:
                        peak = p
            peak_out[i, r] = peak
            area_out[i, r] = area

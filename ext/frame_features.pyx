"""Per-frame features of an (n_frames, n_sensors) array in one pass.

Compiled twin of :func:`insole.kernels._reference.frame_features`; the public,
validating wrapper is :func:`insole.kernels.frame_features`.  Nothing here
validates: the wrapper guarantees C-contiguous input, matching lengths and
allocated outputs.  The per-frame work runs on raw pointers (memoryview
arguments per call would cost reference counting on every frame).
"""

from cython.parallel cimport parallel, prange, threadid
from libc.math cimport NAN, nextafter
from libc.stdlib cimport free, malloc

from _insole cimport value_t


cdef inline void _one_frame(
    const value_t* row,
    Py_ssize_t n_sensors,
    const double* scale,
    const double* ap,
    const double* ml,
    const Py_ssize_t* region_ptr,
    const Py_ssize_t* region_idx,
    const double* region_w,
    Py_ssize_t n_regions,
    double threshold,
    double cop_min_force_n,
    Py_ssize_t min_active,
    bint calibrated,
    const double* offset,
    const double* gain,
    double* buf,
    double* force_out,
    double* cop_out,
    double* region_out,
) noexcept nogil:
    # Branch-free inner loops (a select, not a jump) so that the compiler vectorises them.
    cdef Py_ssize_t j, k, r
    cdef Py_ssize_t n_active = 0
    cdef double p, f, s
    cdef double total = 0.0
    cdef double moment_ap = 0.0
    cdef double moment_ml = 0.0
    if calibrated:
        for j in range(n_sensors):
            p = (<double>row[j] - offset[j]) * gain[j]
            f = p * scale[j] if p >= threshold else 0.0
            n_active += p >= threshold
            buf[j] = f
            total += f
            moment_ap += f * ap[j]
            moment_ml += f * ml[j]
    else:
        for j in range(n_sensors):
            p = <double>row[j]
            f = p * scale[j] if p >= threshold else 0.0
            n_active += p >= threshold
            buf[j] = f
            total += f
            moment_ap += f * ap[j]
            moment_ml += f * ml[j]
    force_out[0] = total
    if total > 0.0 and total >= cop_min_force_n and n_active >= min_active:
        cop_out[0] = moment_ap / total
        cop_out[1] = moment_ml / total
    else:
        cop_out[0] = NAN
        cop_out[1] = NAN
    for r in range(n_regions):
        s = 0.0
        for k in range(region_ptr[r], region_ptr[r + 1]):
            s += buf[region_idx[k]] * region_w[k]
        region_out[r] = s


def frame_features(
    const value_t[:, ::1] values,
    const double[::1] scale,
    const double[::1] ap,
    const double[::1] ml,
    const Py_ssize_t[::1] region_ptr,
    const Py_ssize_t[::1] region_idx,
    const double[::1] region_w,
    double floor_value,
    double cop_min_force_n,
    Py_ssize_t min_active,
    bint calibrated,
    const double[::1] offset,
    const double[::1] gain,
    double[::1] force_out,
    double[:, ::1] cop_out,
    double[:, ::1] region_out,
    int num_threads,
):
    """Fill ``force_out``, ``cop_out`` and ``region_out`` for every frame.

    Parameters
    ----------
    values : (n_frames, n_sensors) array
        Sensor values: physical (kPa or N) or raw counts when ``calibrated``.
    scale : (n_sensors,) float64
        Newtons per physical unit for each sensor (``area_mm2 * 1e-3`` for kPa, 1 for N).
    ap, ml : (n_sensors,) float64
        Sensor centroids in the normalised insole frame.
    region_ptr, region_idx, region_w : CSR arrays
        Region ``r`` is ``sum(force[region_idx[k]] * region_w[k])`` for
        ``k`` in ``region_ptr[r]:region_ptr[r+1]``.
    floor_value : float
        Physical values below this (or <= 0) count as unloaded.
    cop_min_force_n : float
        The COP is NaN below this total force.
    min_active : int
        The COP is NaN with fewer loaded sensors.
    calibrated : bool
        Apply ``(value - offset) * gain`` per sensor first.
    offset, gain : (n_sensors,) float64
        Per-sensor linear calibration (ignored unless ``calibrated``).
    force_out, cop_out, region_out : float64 outputs
        Total force (n,), COP (n, 2) as (ap, ml), region force (n, n_regions).
    num_threads : int
        OpenMP threads (>= 1; the wrapper resolves the default).
    """
    cdef Py_ssize_t n_frames = values.shape[0]
    cdef Py_ssize_t n_sensors = values.shape[1]
    cdef Py_ssize_t n_regions = region_out.shape[1]
    cdef Py_ssize_t i
    cdef int nt = num_threads if num_threads > 0 else 1
    cdef double* buf
    if n_frames == 0:
        return
    # "loaded" is p > 0 and p >= floor: one comparison against the larger of the floor
    # and the smallest positive double
    cdef double threshold = floor_value if floor_value > 0.0 else nextafter(0.0, 1.0)
    if n_frames < 512:
        nt = 1
    cdef const value_t* vp = &values[0, 0]
    cdef const double* sp = &scale[0]
    cdef const double* app = &ap[0]
    cdef const double* mlp = &ml[0]
    cdef const Py_ssize_t* rptr = &region_ptr[0]
    cdef const Py_ssize_t* ridx = &region_idx[0] if region_idx.shape[0] else NULL
    cdef const double* rw = &region_w[0] if region_w.shape[0] else NULL
    cdef const double* op = &offset[0]
    cdef const double* gp = &gain[0]
    cdef double* fo = &force_out[0]
    cdef double* co = &cop_out[0, 0]
    cdef double* ro = &region_out[0, 0] if n_regions else NULL
    # One scratch row per thread, allocated here so that no allocation can fail in the loop.
    buf = <double*> malloc(nt * (n_sensors + 1) * sizeof(double))
    if buf == NULL:
        raise MemoryError()
    try:
        if nt == 1:
            with nogil:
                for i in range(n_frames):
                    _one_frame(vp + i * n_sensors, n_sensors, sp, app, mlp, rptr, ridx, rw, n_regions,
                               threshold, cop_min_force_n, min_active, calibrated, op, gp, buf,
                               fo + i, co + 2 * i, ro + i * n_regions)
        else:
            with nogil, parallel(num_threads=nt):
                for i in prange(n_frames, schedule="static"):
                    _one_frame(vp + i * n_sensors, n_sensors, sp, app, mlp, rptr, ridx, rw, n_regions,
                               threshold, cop_min_force_n, min_active, calibrated, op, gp,
                               buf + threadid() * (n_sensors + 1), fo + i, co + 2 * i,
                               ro + i * n_regions)
    finally:
        free(buf)

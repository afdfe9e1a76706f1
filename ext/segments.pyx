"""Per-step reductions of per-frame series (sum, max) over frame ranges.

Compiled twin of :func:`insole.kernels._reference.segment_reduce`.
"""

from cython.parallel cimport prange
from libc.math cimport NAN, isnan


def segment_reduce(
    const double[:, ::1] x,
    const Py_ssize_t[::1] starts,
    const Py_ssize_t[::1] stops,
    double[:, ::1] sums,
    double[:, ::1] maxima,
    Py_ssize_t[:, ::1] argmax,
):
    """NaN-ignoring sum, maximum and index of the maximum of ``x[starts[s]:stops[s]]`` per column.

    An empty range, or a column that is all NaN in it, gives sum 0, maximum
    NaN and argmax -1.
    """
    cdef Py_ssize_t n_seg = starts.shape[0]
    cdef Py_ssize_t n_col = x.shape[1]
    cdef Py_ssize_t s, i, c
    cdef double v
    for s in prange(n_seg, nogil=True, schedule="dynamic"):
        for c in range(n_col):
            sums[s, c] = 0.0
            maxima[s, c] = NAN
            argmax[s, c] = -1
        for i in range(starts[s], stops[s]):
            for c in range(n_col):
                v = x[i, c]
                if isnan(v):
                    continue
                sums[s, c] = sums[s, c] + v
                if argmax[s, c] < 0 or v > maxima[s, c]:
                    maxima[s, c] = v
                    argmax[s, c] = i

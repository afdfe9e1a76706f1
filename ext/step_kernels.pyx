"""Per-step kernels of the analysis: reductions, threshold crossings, resampling and
zero-phase filtering over many frame ranges at once, plus the per-sensor accumulators
of the per-frame stage.

Compiled twins of the functions of the same names in :mod:`insole.kernels._reference`;
the public, validating wrappers live in :mod:`insole.kernels`.  Nothing here validates:
the wrappers guarantee C-contiguous input, ranges inside the series and allocated outputs.

Every kernel reproduces the floating-point operations of its NumPy/SciPy twin in the same
order, so that results are equal, not merely close, to the twin on IEEE hardware without
fused multiply-add contraction (x86-64 without ``-mfma``, as built by setup.py):

* sums follow NumPy's pairwise summation (``np.add.reduce``: blocks of 8 accumulators up
  to 128 elements, halving above), so ``segment_sum`` equals ``x[a:b, j].sum()``;
* ``segment_resample`` evaluates ``np.interp``'s expression ``slope * (x - xp[j]) + fp[j]``;
* ``segment_sosfiltfilt`` runs the recurrence of ``scipy.signal.sosfilt`` on the odd
  extension of ``scipy.signal.sosfiltfilt``;
* ``segment_first_peak`` follows ``scipy.signal.find_peaks`` (plateau midpoints,
  prominence with the whole range as window).
"""

from libc.math cimport NAN, isfinite, isnan
from libc.stdlib cimport free, malloc

from _insole cimport value_t


cdef enum:
    PW_BLOCKSIZE = 128  # NumPy's pairwise-summation block


cdef double _pairwise(const double* a, Py_ssize_t n, Py_ssize_t stride) noexcept nogil:
    """NumPy's ``pairwise_sum`` (numpy/_core/src/umath/loops_utils.h.src), bit for bit."""
    cdef Py_ssize_t i, n2
    cdef double res
    cdef double r0, r1, r2, r3, r4, r5, r6, r7
    if n < 8:
        res = 0.0
        for i in range(n):
            res = res + a[i * stride]
        return res
    elif n <= PW_BLOCKSIZE:
        r0 = a[0 * stride]
        r1 = a[1 * stride]
        r2 = a[2 * stride]
        r3 = a[3 * stride]
        r4 = a[4 * stride]
        r5 = a[5 * stride]
        r6 = a[6 * stride]
        r7 = a[7 * stride]
        i = 8
        while i < n - (n % 8):
            r0 = r0 + a[(i + 0) * stride]
            r1 = r1 + a[(i + 1) * stride]
            r2 = r2 + a[(i + 2) * stride]
            r3 = r3 + a[(i + 3) * stride]
            r4 = r4 + a[(i + 4) * stride]
            r5 = r5 + a[(i + 5) * stride]
            r6 = r6 + a[(i + 6) * stride]
            r7 = r7 + a[(i + 7) * stride]
            i = i + 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res = res + a[i * stride]
            i = i + 1
        return res
    else:
        n2 = n // 2
        n2 = n2 - n2 % 8
        return _pairwise(a, n2, stride) + _pairwise(a + n2 * stride, n - n2, stride)


def segment_sum(
    const double[:, ::1] x,
    const Py_ssize_t[::1] starts,
    const Py_ssize_t[::1] stops,
    double[:, ::1] sums,
):
    """Sum of each column of ``x[starts[s]:stops[s]]``, as ``x[a:b, j].sum()`` (pairwise;
    NaN propagates; an empty range sums to 0).
    """
    cdef Py_ssize_t n_seg = starts.shape[0]
    cdef Py_ssize_t n_col = x.shape[1]
    cdef Py_ssize_t s, c, a, b
    if x.shape[0] == 0 or n_col == 0:
        sums[:, :] = 0.0
        return
    with nogil:
        for s in range(n_seg):
            a = starts[s]
            b = stops[s]
            for c in range(n_col):
                sums[s, c] = 0.0 + _pairwise(&x[0, 0] + a * n_col + c, b - a, n_col)


def segment_stats(
    const double[:, ::1] x,
    const Py_ssize_t[::1] starts,
    const Py_ssize_t[::1] stops,
    double[:, ::1] sums,
    double[:, ::1] maxima,
    Py_ssize_t[:, ::1] argmax,
    double[:, ::1] minima,
):
    """NaN-ignoring sum (frame by frame, in order), maximum, index of the (first) maximum
    and minimum of each column of ``x[starts[s]:stops[s]]``.

    An empty range, or a column that is all NaN in it, gives sum 0, maximum and minimum
    NaN and argmax -1.  Sums, maxima and argmax equal ``segments.segment_reduce``'s; this
    one runs on one thread, for the many small reductions of the per-step stage.
    """
    cdef Py_ssize_t n_seg = starts.shape[0]
    cdef Py_ssize_t n_col = x.shape[1]
    cdef Py_ssize_t s, i, c
    cdef double v
    with nogil:
        for s in range(n_seg):
            for c in range(n_col):
                sums[s, c] = 0.0
                maxima[s, c] = NAN
                minima[s, c] = NAN
                argmax[s, c] = -1
            for i in range(starts[s], stops[s]):
                for c in range(n_col):
                    v = x[i, c]
                    if isnan(v):
                        continue
                    sums[s, c] = sums[s, c] + v
                    if argmax[s, c] < 0:
                        maxima[s, c] = v
                        minima[s, c] = v
                        argmax[s, c] = i
                    elif v > maxima[s, c]:
                        maxima[s, c] = v
                        argmax[s, c] = i
                    elif v < minima[s, c]:
                        minima[s, c] = v


def segment_first(
    const double[::1] x,
    const Py_ssize_t[::1] starts,
    const Py_ssize_t[::1] stops,
    const double[::1] thresholds,
    bint below,
    bint count,
    Py_ssize_t[::1] first_out,
    Py_ssize_t[::1] count_out,
):
    """First index ``i`` in ``[starts[s], stops[s])`` where ``x[i] >= thresholds[s]``
    (``x[i] < thresholds[s]`` when ``below``), -1 if none; with ``count``, also how
    many frames of the range satisfy it (``count_out`` is untouched otherwise).
    NaN never satisfies either test.
    """
    cdef Py_ssize_t n_seg = starts.shape[0]
    cdef Py_ssize_t s, i, first, hits
    cdef double thr, v
    with nogil:
        for s in range(n_seg):
            thr = thresholds[s]
            first = -1
            hits = 0
            for i in range(starts[s], stops[s]):
                v = x[i]
                if (v < thr) if below else (v >= thr):
                    if first < 0:
                        first = i
                        if not count:
                            break
                    hits = hits + 1
            first_out[s] = first
            if count:
                count_out[s] = hits


def segment_resample(
    const double[::1] x,
    const double[::1] y,
    const Py_ssize_t[::1] starts,
    const Py_ssize_t[::1] stops,
    const double[::1] grid,
    double[:, ::1] out,
    unsigned char[::1] unsorted,
):
    """``np.interp(grid, x[ok], y[ok])`` per range, ``ok`` = both finite, NaN outside
    ``[x[ok][0], x[ok][-1]]`` (never extrapolates) and when fewer than 2 points are ok.

    Needs ``x[ok]`` non-decreasing within each range; ranges where it is not are
    flagged in ``unsorted`` (their row is left NaN) for the caller to redo.
    """
    cdef Py_ssize_t n_seg = starts.shape[0]
    cdef Py_ssize_t n_grid = grid.shape[0]
    cdef Py_ssize_t s, i, m, g, lo, hi, mid, j, longest = 0
    cdef double gv, slope, v
    cdef double* xs
    cdef double* ys
    for s in range(n_seg):
        if stops[s] - starts[s] > longest:
            longest = stops[s] - starts[s]
    xs = <double*>malloc((longest + 1) * sizeof(double))
    ys = <double*>malloc((longest + 1) * sizeof(double))
    if xs == NULL or ys == NULL:
        free(xs)
        free(ys)
        raise MemoryError()
    try:
        with nogil:
            for s in range(n_seg):
                unsorted[s] = 0
                m = 0
                for i in range(starts[s], stops[s]):
                    if isfinite(x[i]) and isfinite(y[i]):
                        if m > 0 and x[i] < xs[m - 1]:
                            unsorted[s] = 1
                        xs[m] = x[i]
                        ys[m] = y[i]
                        m = m + 1
                for g in range(n_grid):
                    out[s, g] = NAN
                if m < 2 or unsorted[s]:
                    continue
                for g in range(n_grid):
                    gv = grid[g]
                    if not (gv >= xs[0] and gv <= xs[m - 1]):
                        continue
                    # j: the last index with xs[j] <= gv (np.interp's binary search)
                    lo = 0
                    hi = m
                    while lo < hi:
                        mid = lo + ((hi - lo) >> 1)
                        if gv >= xs[mid]:
                            lo = mid + 1
                        else:
                            hi = mid
                    j = lo - 1
                    if j == m - 1 or xs[j] == gv:
                        out[s, g] = ys[j]
                        continue
                    slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j])
                    v = slope * (gv - xs[j]) + ys[j]
                    if isnan(v):
                        v = slope * (gv - xs[j + 1]) + ys[j + 1]
                        if isnan(v) and ys[j] == ys[j + 1]:
                            v = ys[j]
                    out[s, g] = v
    finally:
        free(xs)
        free(ys)


cdef void _sosfilt(const double[:, ::1] sos, double* zi, double* buf, Py_ssize_t n) noexcept nogil:
    """``scipy.signal.sosfilt`` of ``buf[0:n]`` in place, state ``zi`` (n_sections x 2)."""
    cdef Py_ssize_t n_sec = sos.shape[0]
    cdef Py_ssize_t i, k
    cdef double x_cur, x_new
    for i in range(n):
        x_cur = buf[i]
        for k in range(n_sec):
            x_new = sos[k, 0] * x_cur + zi[2 * k]
            zi[2 * k] = sos[k, 1] * x_cur - sos[k, 4] * x_new + zi[2 * k + 1]
            zi[2 * k + 1] = sos[k, 2] * x_cur - sos[k, 5] * x_new
            x_cur = x_new
        buf[i] = x_cur


def segment_sosfiltfilt(
    const double[:, ::1] sos,
    const double[:, ::1] zi,
    const double[:, ::1] x,
    const Py_ssize_t[::1] starts,
    const Py_ssize_t[::1] stops,
    Py_ssize_t padlen,
    double[:, ::1] out,
):
    """``scipy.signal.sosfiltfilt(sos, x[a:b], axis=0, padlen=padlen)`` (odd extension)
    written to ``out[a:b]`` for every range; ``zi`` is ``sosfilt_zi(sos)``.  Every range
    must be longer than ``padlen``; rows outside the ranges are left untouched.
    """
    cdef Py_ssize_t n_seg = starts.shape[0]
    cdef Py_ssize_t n_col = x.shape[1]
    cdef Py_ssize_t n_sec = sos.shape[0]
    cdef Py_ssize_t s, c, i, a, n, n_ext, k, longest = 0
    cdef double x0, xn, y0
    cdef double* buf
    cdef double* state
    for s in range(n_seg):
        if stops[s] - starts[s] > longest:
            longest = stops[s] - starts[s]
    buf = <double*>malloc((longest + 2 * padlen + 1) * sizeof(double))
    state = <double*>malloc((2 * n_sec + 1) * sizeof(double))
    if buf == NULL or state == NULL:
        free(buf)
        free(state)
        raise MemoryError()
    try:
        with nogil:
            for s in range(n_seg):
                a = starts[s]
                n = stops[s] - a
                n_ext = n + 2 * padlen
                for c in range(n_col):
                    x0 = x[a, c]
                    xn = x[a + n - 1, c]
                    for i in range(padlen):
                        buf[i] = 2 * x0 - x[a + padlen - i, c]
                        buf[padlen + n + i] = 2 * xn - x[a + n - 2 - i, c]
                    for i in range(n):
                        buf[padlen + i] = x[a + i, c]
                    x0 = buf[0]
                    for k in range(n_sec):
                        state[2 * k] = zi[k, 0] * x0
                        state[2 * k + 1] = zi[k, 1] * x0
                    _sosfilt(sos, state, buf, n_ext)
                    # backward pass on the reversed forward output
                    y0 = buf[n_ext - 1]
                    for i in range(n_ext // 2):
                        x0 = buf[i]
                        buf[i] = buf[n_ext - 1 - i]
                        buf[n_ext - 1 - i] = x0
                    for k in range(n_sec):
                        state[2 * k] = zi[k, 0] * y0
                        state[2 * k + 1] = zi[k, 1] * y0
                    _sosfilt(sos, state, buf, n_ext)
                    for i in range(n):
                        out[a + i, c] = buf[n_ext - 1 - padlen - i]
    finally:
        free(buf)
        free(state)


def segment_first_peak(
    const double[::1] x,
    const Py_ssize_t[::1] starts,
    const Py_ssize_t[::1] stops,
    double min_prominence,
    Py_ssize_t[::1] out,
):
    """Index of the first peak of ``x[a:b]`` with prominence >= ``min_prominence``
    (``scipy.signal.find_peaks(x[a:b], prominence=min_prominence)[0][0] + a``), -1 if none.
    """
    cdef Py_ssize_t n_seg = starts.shape[0]
    cdef Py_ssize_t s, a, b, i, i_ahead, peak, j
    cdef double top, left_min, right_min, base
    with nogil:
        for s in range(n_seg):
            a = starts[s]
            b = stops[s]
            out[s] = -1
            i = a + 1
            while i < b - 1:
                if x[i - 1] < x[i]:
                    i_ahead = i + 1
                    while i_ahead < b - 1 and x[i_ahead] == x[i]:
                        i_ahead = i_ahead + 1
                    if x[i_ahead] < x[i]:
                        peak = a + ((i - a) + (i_ahead - 1 - a)) // 2
                        top = x[peak]
                        left_min = top
                        j = peak
                        while j >= a and x[j] <= top:
                            if x[j] < left_min:
                                left_min = x[j]
                            j = j - 1
                        right_min = top
                        j = peak
                        while j < b and x[j] <= top:
                            if x[j] < right_min:
                                right_min = x[j]
                            j = j + 1
                        base = left_min if left_min > right_min else right_min
                        if top - base >= min_prominence:
                            out[s] = peak
                            break
                        i = i_ahead
                i = i + 1


def sensor_accumulate(
    const value_t[:, ::1] values,
    const unsigned char[::1] loaded,
    bint calibrated,
    const double[::1] offset,
    const double[::1] gain,
    double floor_value,
    double[::1] peak,
    double[::1] sums,
):
    """Per-sensor maximum and sum over the frames flagged in ``loaded`` of the physical
    value ``p`` (``(count - offset) * gain`` when ``calibrated``), counting ``p`` as 0
    unless ``p >= floor_value`` (so NaN counts as 0).  Accumulates into ``peak`` and
    ``sums`` frame by frame in order.
    """
    cdef Py_ssize_t n = values.shape[0]
    cdef Py_ssize_t m = values.shape[1]
    cdef Py_ssize_t i, j
    cdef double p
    with nogil:
        for i in range(n):
            if not loaded[i]:
                continue
            for j in range(m):
                if calibrated:
                    p = (<double>values[i, j] - offset[j]) * gain[j]
                else:
                    p = <double>values[i, j]
                if not (p >= floor_value):
                    p = 0.0
                if p > peak[j]:
                    peak[j] = p
                sums[j] = sums[j] + p

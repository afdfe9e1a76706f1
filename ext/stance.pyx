"""Stance detection with hysteresis and sub-sample event timing (science.md 2.2).

Compiled twin of :func:`insole.kernels._reference.stance_events`.
"""

from libc.math cimport NAN


def stance_events(
    const double[::1] force,
    const double[::1] on,
    const double[::1] off,
    const double[::1] evt,
    Py_ssize_t[::1] on_idx,
    Py_ssize_t[::1] off_idx,
    double[::1] ic_idx,
    double[::1] to_idx,
):
    """Hysteresis state machine over ``force``; returns the number of stances found.

    Swing -> stance when ``force > on``; stance -> swing when ``force < off``.
    For each stance, ``on_idx`` is the first stance sample and ``off_idx`` the
    first swing sample (``n`` when the recording ends in stance).  The event
    times are refined on ``evt``: initial contact is the crossing of ``evt``
    between the last sample before the ``on`` crossing with ``force <= evt``
    and the next sample, linearly interpolated (a fractional sample index);
    toe-off likewise between the last sample above and the first sample at
    or below ``evt`` after the ``off`` crossing.  NaN where the recording
    starts or ends inside the stance.

    Outputs must have room for ``n // 2 + 1`` stances.
    """
    cdef Py_ssize_t n = force.shape[0]
    cdef Py_ssize_t i, j, k
    cdef Py_ssize_t count = 0
    cdef bint stance = False
    cdef double f0, f1
    with nogil:
        for i in range(n):
            if not stance:
                if force[i] > on[i]:
                    stance = True
                    on_idx[count] = i
                    j = i - 1
                    while j >= 0 and force[j] > evt[j]:
                        j = j - 1
                    if j < 0:
                        ic_idx[count] = NAN
                    else:
                        f0 = force[j] - evt[j]
                        f1 = force[j + 1] - evt[j + 1]
                        ic_idx[count] = j + (0.0 - f0) / (f1 - f0) if f1 != f0 else <double>j
            else:
                if force[i] < off[i]:
                    stance = False
                    off_idx[count] = i
                    k = i
                    while k < n and force[k] > evt[k]:
                        k = k + 1
                    if k >= n:
                        to_idx[count] = NAN
                    else:
                        f0 = force[k - 1] - evt[k - 1]
                        f1 = force[k] - evt[k]
                        to_idx[count] = (k - 1) + f0 / (f0 - f1) if f0 != f1 else <double>k
                    count = count + 1
        if stance:
            off_idx[count] = n
            to_idx[count] = NAN
            count = count + 1
    return count

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
    first swing sample (``n`` when the recording ends in stance).  Events are
    refined on ``evt`` within the neighbouring swings only: initial contact is
    the linear crossing of ``evt`` after the last sample at or below it since
    the previous stance ended; toe-off the crossing before the first sample at
    or below it before the next stance begins.  When the force does not fall
    to ``evt`` in that swing (a sensor offset, a very short swing), the event
    is the crossing of ``on`` (initial contact) or ``off`` (toe-off) instead.
    NaN where the recording starts or ends inside the stance.

    Outputs must have room for ``n // 2 + 1`` stances.
    """
    cdef Py_ssize_t n = force.shape[0]
    cdef Py_ssize_t i, j, k
    cdef Py_ssize_t count = 0
    cdef Py_ssize_t last_off = 0
    cdef bint stance = False
    cdef double g0, g1
    with nogil:
        for i in range(n):
            if not stance:
                if force[i] > on[i]:
                    stance = True
                    on_idx[count] = i
                    if i == 0:
                        ic_idx[count] = NAN
                    else:
                        j = i - 1
                        while j >= last_off and force[j] > evt[j]:
                            j = j - 1
                        if j >= last_off:
                            g0 = force[j] - evt[j]
                            g1 = force[j + 1] - evt[j + 1]
                            ic_idx[count] = j + (0.0 - g0) / (g1 - g0) if g1 != g0 else <double>j
                        else:
                            g0 = force[i - 1] - on[i - 1]
                            g1 = force[i] - on[i]
                            ic_idx[count] = (i - 1) + (0.0 - g0) / (g1 - g0) if g1 != g0 else <double>i
            else:
                if force[i] < off[i]:
                    stance = False
                    off_idx[count] = i
                    last_off = i
                    k = i
                    while k < n and force[k] > evt[k] and force[k] <= on[k]:
                        k = k + 1
                    if k < n and force[k] <= evt[k]:
                        g0 = force[k - 1] - evt[k - 1]
                        g1 = force[k] - evt[k]
                        to_idx[count] = (k - 1) + g0 / (g0 - g1) if g0 != g1 else <double>k
                    else:
                        g0 = force[i - 1] - off[i - 1]
                        g1 = force[i] - off[i]
                        to_idx[count] = (i - 1) + g0 / (g0 - g1) if g0 != g1 else <double>i
                    count = count + 1
        if stance:
            off_idx[count] = n
            to_idx[count] = NAN
            count = count + 1
    return count

"""Per-foot link bookkeeping: sequence gaps, duplicates and the unwrapping of 32-bit device clocks."""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike

#: Gap record: the row index (of this foot, counted from the first row tracked)
#: after which frames are missing, how many, and the first missing sequence number.
SEQUENCE_GAP_DTYPE: Final = np.dtype([("index", "<i8"), ("n_missing", "<i8"), ("first_seq", "<i8")])


def _signed_steps(values: np.ndarray, previous: int | None) -> np.ndarray:
    """Differences of a wrapping uint32 series as signed 32-bit steps (int64), first against ``previous``."""
    v = np.asarray(values, dtype=np.uint32)
    prev = np.empty_like(v)
    if v.size:
        prev[0] = v[0] if previous is None else np.uint32(previous)
        prev[1:] = v[:-1]
    return (v - prev).view(np.int32).astype(np.int64)


class SequenceTracker:
    """Turn one foot's sequence numbers into gap records; count duplicates and backward steps.

    Consecutive frames differ by 1 (modulo 2**32).  A forward jump of ``d > 1``
    is a gap of ``d - 1`` lost frames; lost frames are reported, never
    interpolated.  A step of 0 is a duplicate; a backward step (the signed
    32-bit difference is negative, e.g. a device reset) is counted and the
    tracker continues from the new number.

    Attributes
    ----------
    frames_received : int
        Sequence numbers seen.
    frames_lost : int
        Sum of ``n_missing`` over all gaps.
    duplicate_frames : int
        Frames that repeated the previous sequence number.
    backwards_steps : int
        Frames whose sequence number went backwards.
    last_seq : int or None
        The last sequence number seen.

    Examples
    --------
    >>> tracker = SequenceTracker()
    >>> gaps = tracker.update([10, 11, 14, 14, 15])
    >>> gaps.tolist(), tracker.frames_lost, tracker.duplicate_frames
    ([(1, 2, 12)], 2, 1)
    """

    def __init__(self) -> None:
        self.frames_received = 0
        self.frames_lost = 0
        self.duplicate_frames = 0
        self.backwards_steps = 0
        self.last_seq: int | None = None
        self._gaps: list[np.ndarray] = []

    def update(self, seq: ArrayLike) -> np.ndarray:
        """Track the next sequence numbers of this foot.

        Parameters
        ----------
        seq : (n,) array_like of uint32
            Sequence numbers in arrival order (e.g. ``batch.select("left").seq``).

        Returns
        -------
        numpy.ndarray
            The gaps found in these numbers, :data:`SEQUENCE_GAP_DTYPE` records.
        """
        s = np.asarray(seq, dtype=np.uint32).reshape(-1)
        steps = _signed_steps(s, self.last_seq)
        if self.last_seq is None and s.size:
            steps[0] = 1  # the first frame ever starts the count
        at = np.flatnonzero(steps > 1)
        gaps = np.empty(at.size, SEQUENCE_GAP_DTYPE)
        gaps["index"] = self.frames_received + at - 1
        gaps["n_missing"] = steps[at] - 1
        gaps["first_seq"] = (s[at].astype(np.int64) - steps[at] + 1) & 0xFFFFFFFF
        self.frames_lost += int(gaps["n_missing"].sum())
        self.duplicate_frames += int(np.count_nonzero(steps == 0))
        self.backwards_steps += int(np.count_nonzero(steps < 0))
        self.frames_received += int(s.size)
        if s.size:
            self.last_seq = int(s[-1])
        if gaps.size:
            self._gaps.append(gaps)
        return gaps

    @property
    def gaps(self) -> np.ndarray:
        """All gaps found so far, :data:`SEQUENCE_GAP_DTYPE` records."""
        return np.concatenate(self._gaps) if self._gaps else np.empty(0, SEQUENCE_GAP_DTYPE)


class TimestampUnwrapper:
    """Unwrap one foot's 32-bit device clock (microseconds) into int64; count backward steps.

    Each step is the signed 32-bit difference to the previous timestamp, so a
    wrap-around (every 2**32 us, about 71.6 min) continues forward while a
    step back (e.g. a device reset or clock glitch) stays visible as a
    decrease and is counted.  The first timestamp is kept as it is.

    Attributes
    ----------
    backwards_steps : int
        Timestamps earlier than the previous one.
    last_raw_us : int or None
        The last raw (wrapping) timestamp seen.
    last_us : int or None
        The last unwrapped timestamp.

    Examples
    --------
    >>> unwrap = TimestampUnwrapper()
    >>> unwrap.unwrap([4294967000, 200, 100]).tolist(), unwrap.backwards_steps
    ([4294967000, 4294967496, 4294967396], 1)
    """

    def __init__(self) -> None:
        self.backwards_steps = 0
        self.last_raw_us: int | None = None
        self.last_us: int | None = None

    def unwrap(self, t_device_us: ArrayLike) -> np.ndarray:
        """Unwrap the next timestamps of this foot.

        Parameters
        ----------
        t_device_us : (n,) array_like of uint32
            Raw device timestamps in arrival order.

        Returns
        -------
        numpy.ndarray
            (n,) int64 microseconds on one continuous timeline.
        """
        t = np.asarray(t_device_us, dtype=np.uint32).reshape(-1)
        steps = _signed_steps(t, self.last_raw_us)
        if not t.size:
            return np.zeros(0, np.int64)
        base = int(t[0]) if self.last_us is None else self.last_us
        if self.last_us is None:
            steps[0] = 0
        out = base + np.cumsum(steps)
        self.backwards_steps += int(np.count_nonzero(steps < 0))
        self.last_raw_us = int(t[-1])
        self.last_us = int(out[-1])
        return out

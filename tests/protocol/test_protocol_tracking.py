"""Per-foot bookkeeping: sequence gaps, duplicates, backward steps; timestamp unwrapping."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from insole.protocol import (
    SEQUENCE_GAP_DTYPE,
    SequenceTracker,
    TimestampUnwrapper,
    V1Decoder,
    encode_v1_batch,
)

U32 = 2**32


def _naive_sequence(seqs: list[int]):
    """One frame at a time, the rule of docs/protocol.md ("Host-side bookkeeping")."""
    gaps, dup, back, prev = [], 0, 0, None
    for i, s in enumerate(seqs):
        if prev is not None:
            d = (s - prev) % U32
            d = d - U32 if d >= 2**31 else d
            if d == 0:
                dup += 1
            elif d < 0:
                back += 1
            elif d > 1:
                gaps.append((i - 1, d - 1, (prev + 1) % U32))
        prev = s
    return gaps, dup, back


def _naive_unwrap(ts: list[int]):
    out, back, prev = [], 0, None
    for t in ts:
        if prev is None:
            out.append(t)
        else:
            d = (t - prev) % U32
            d = d - U32 if d >= 2**31 else d
            back += d < 0
            out.append(out[-1] + d)
        prev = t
    return out, back


steps = st.one_of(st.just(1), st.integers(0, 5), st.integers(-5, 1000), st.integers(-(2**31), 2**31 - 1))


@settings(max_examples=200, deadline=None)
@given(start=st.integers(0, U32 - 1), deltas=st.lists(steps, max_size=40), cuts=st.lists(st.integers(0, 40)))
def test_sequence_tracker_matches_the_rule_in_any_chunking(start, deltas, cuts):
    seqs = [start]
    for d in deltas:
        seqs.append((seqs[-1] + d) % U32)
    want_gaps, want_dup, want_back = _naive_sequence(seqs)
    tracker = SequenceTracker()
    bounds = [0, *sorted(c for c in cuts if c <= len(seqs)), len(seqs)]
    got = [tracker.update(np.array(seqs[a:b], dtype=np.uint32)) for a, b in pairwise(bounds)]
    gaps = np.concatenate(got)
    assert gaps.dtype == SEQUENCE_GAP_DTYPE
    assert gaps.tolist() == want_gaps == tracker.gaps.tolist()
    assert tracker.frames_lost == sum(g[1] for g in want_gaps)
    assert (tracker.duplicate_frames, tracker.backwards_steps) == (want_dup, want_back)
    assert tracker.frames_received == len(seqs) and tracker.last_seq == seqs[-1]


@settings(max_examples=200, deadline=None)
@given(start=st.integers(0, U32 - 1), deltas=st.lists(steps, max_size=40), cuts=st.lists(st.integers(0, 40)))
def test_unwrapper_matches_the_rule_in_any_chunking(start, deltas, cuts):
    raw = [start]
    for d in deltas:
        raw.append((raw[-1] + d) % U32)
    want, want_back = _naive_unwrap(raw)
    unwrap = TimestampUnwrapper()
    bounds = [0, *sorted(c for c in cuts if c <= len(raw)), len(raw)]
    got = np.concatenate([unwrap.unwrap(np.array(raw[a:b], dtype=np.uint32)) for a, b in pairwise(bounds)])
    assert got.dtype == np.int64
    assert got.tolist() == want and unwrap.backwards_steps == want_back
    assert unwrap.last_raw_us == raw[-1] and unwrap.last_us == want[-1]


def test_wrap_around_is_forward_and_reset_is_backward():
    unwrap = TimestampUnwrapper()
    t = unwrap.unwrap([U32 - 20_000, U32 - 10_000, 0, 10_000])
    assert np.diff(t).tolist() == [10_000] * 3 and unwrap.backwards_steps == 0
    t2 = unwrap.unwrap([5, 10_005])  # the device rebooted: its clock restarts
    assert t2[0] < t[-1] and unwrap.backwards_steps == 1 and t2[1] - t2[0] == 10_000
    assert unwrap.unwrap([]).shape == (0,)


def test_sequence_wrap_is_not_a_gap_and_gaps_are_not_interpolated():
    tracker = SequenceTracker()
    gaps = tracker.update([U32 - 2, U32 - 1, 0, 1, 4, 4, 5, 2])
    assert gaps.tolist() == [(3, 2, 2)]
    assert (tracker.frames_lost, tracker.duplicate_frames, tracker.backwards_steps) == (2, 1, 1)
    assert tracker.update([]).shape == (0,) and tracker.frames_received == 8


def test_per_foot_bookkeeping_from_a_decoded_both_feet_stream():
    seq = np.array([0, 1, 2, 5, 6], dtype=np.uint64)
    wire = encode_v1_batch("both", seq, seq * 10_000 + (U32 - 25_000), np.zeros((5, 2, 4), int), "u8")
    batch = V1Decoder().feed(wire)
    for foot in ("left", "right"):
        rows = batch.select(foot)
        tracker, unwrap = SequenceTracker(), TimestampUnwrapper()
        assert tracker.update(rows.seq).tolist() == [(2, 2, 3)]
        t_us = unwrap.unwrap(rows.t_device_us)
        assert np.diff(t_us).tolist() == [10_000, 10_000, 30_000, 10_000]
        assert unwrap.backwards_steps == 0

"""Stance state machine and segment reductions: compiled and NumPy twins agree; known answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insole import kernels
from insole.kernels import _reference


def _run_stance(impl, force, on, off, evt):
    n = force.size
    cap = n // 2 + 2
    outs = (np.empty(cap, np.intp), np.empty(cap, np.intp), np.empty(cap), np.empty(cap))
    k = impl(force, on, off, evt, *outs)
    return tuple(o[:k] for o in outs)


def _noisy_gait(rng, n=5000):
    t = np.arange(n) / 100.0
    f = np.clip(np.sin(2 * np.pi * t) * 700, 0, None) + rng.normal(0, 8, n)
    return f


@pytest.mark.cython
@pytest.mark.parametrize("seed", range(6))
def test_stance_compiled_matches_reference(seed):
    mod = pytest.importorskip("insole._ext.stance")
    rng = np.random.default_rng(seed)
    f = _noisy_gait(rng)
    if seed % 2:
        f = f[137:]  # start inside a stance
    n = f.size
    base = rng.uniform(0, 10, n)
    on, off, evt = base + 35.0, base + 21.0, base + 14.0
    got = _run_stance(mod.stance_events, f, on, off, evt)
    want = _run_stance(_reference.stance_events, f, on, off, evt)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(0, 200, allow_nan=False), min_size=0, max_size=60))
def test_stance_twins_agree_on_arbitrary_series(values):
    mod = pytest.importorskip("insole._ext.stance")
    f = np.asarray(values, dtype=np.float64)
    on, off, evt = np.full(f.size, 100.0), np.full(f.size, 60.0), np.full(f.size, 40.0)
    got = _run_stance(mod.stance_events, f, on, off, evt)
    want = _run_stance(_reference.stance_events, f, on, off, evt)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


@pytest.fixture(params=["numpy", pytest.param("cython", marks=pytest.mark.cython)])
def backend(request, monkeypatch):
    if request.param == "cython":
        mods = {name: pytest.importorskip(f"insole._ext.{name}") for name in ("stance", "segments")}
        monkeypatch.setattr(kernels, "BACKEND", "cython")
        monkeypatch.setattr(kernels, "_COMPILED", {**kernels._COMPILED, **mods})
    else:
        monkeypatch.setattr(kernels, "BACKEND", "numpy")
    return request.param


def test_stance_known_answer(backend):
    f = np.array([0, 0, 50, 100, 100, 40, 0, 0, 80, 80, 0.0])
    ev = kernels.stance_events(f, 60.0, 30.0, 20.0)
    np.testing.assert_array_equal(ev.on_idx, [3, 8])
    np.testing.assert_array_equal(ev.off_idx, [6, 10])
    np.testing.assert_allclose(ev.ic_idx, [1.4, 7.25])
    np.testing.assert_allclose(ev.to_idx, [5.5, 9.75])


def test_stance_partial_at_both_ends_is_nan(backend):
    f = np.array([100, 100, 0, 0, 100, 100.0])
    ev = kernels.stance_events(f, 60.0, 30.0, 20.0)
    assert ev.on_idx.tolist() == [0, 4] and ev.off_idx.tolist() == [2, 6]
    assert np.isnan(ev.ic_idx[0]) and np.isnan(ev.to_idx[1])
    assert ev.to_idx[0] == pytest.approx(1.8) and ev.ic_idx[1] == pytest.approx(3.2)


def test_hysteresis_ignores_chatter(backend):
    f = np.array([0, 100, 45, 55, 45, 100, 0, 0.0])  # dips between off (30) and on (60): one stance
    ev = kernels.stance_events(f, 60.0, 30.0, 20.0)
    assert ev.on_idx.size == 1


def test_segment_reduce_known_answer(backend):
    x = np.array([[1.0, np.nan], [3.0, 2.0], [2.0, np.nan], [5.0, 1.0]])
    r = kernels.segment_reduce(x, [0, 2, 1], [3, 2, 4])
    np.testing.assert_allclose(r.sums, [[6, 2], [0, 0], [10, 3]])
    np.testing.assert_allclose(r.maxima, [[3, 2], [np.nan, np.nan], [5, 2]])
    np.testing.assert_array_equal(r.argmax, [[1, 1], [-1, -1], [3, 1]])


@pytest.mark.cython
def test_segment_compiled_matches_reference():
    mod = pytest.importorskip("insole._ext.segments")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 13))
    x[rng.random(x.shape) < 0.1] = np.nan
    starts = np.sort(rng.integers(0, 2900, 200)).astype(np.intp)
    stops = (starts + rng.integers(0, 100, 200)).astype(np.intp)
    outs_c = (np.empty((200, 13)), np.empty((200, 13)), np.empty((200, 13), np.intp))
    outs_r = (np.empty((200, 13)), np.empty((200, 13)), np.empty((200, 13), np.intp))
    mod.segment_reduce(x, starts, stops, *outs_c)
    _reference.segment_reduce(x, starts, stops, *outs_r)
    for a, b in zip(outs_c, outs_r):
        np.testing.assert_allclose(a, b, rtol=1e-12, equal_nan=True)


@pytest.mark.cython
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint16])
def test_region_pressure_compiled_matches_reference(dtype):
    mod = pytest.importorskip("insole._ext.region_pressure")
    rng = np.random.default_rng(2)
    values = (rng.gamma(0.5, 80, (1500, 99)) * (rng.random((1500, 99)) < 0.5)).astype(dtype)
    weights = rng.random((99, 9)) * (rng.random((99, 9)) < 0.3)
    csr = kernels.RegionCSR.from_dense(weights)
    area = rng.uniform(50, 200, 99)
    calibrated = np.dtype(dtype).kind == "u"
    off, gain = np.full(99, 3.0), np.full(99, 0.5)
    outs = []
    for impl in (mod.region_pressure, _reference.region_pressure):
        peak, ar = np.empty((1500, 9)), np.empty((1500, 9))
        impl(values, calibrated, off, gain, 10.0, area, csr.ptr, csr.idx, csr.weight, peak, ar, 2)
        outs.append((peak, ar))
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_region_pressure_known_answer(backend, monkeypatch):
    if backend == "cython":
        monkeypatch.setattr(kernels, "_COMPILED", {**kernels._COMPILED, "region_pressure": pytest.importorskip("insole._ext.region_pressure")})
    values = np.array([[5.0, 20.0, 300.0], [0.0, 0.0, 0.0]])
    csr = kernels.RegionCSR.from_dense(np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]))
    r = kernels.region_pressure(values, np.array([100.0, 100.0, 50.0]), csr, floor_value=10.0)
    np.testing.assert_allclose(r.peak, [[20.0, 300.0], [0.0, 0.0]])
    np.testing.assert_allclose(r.loaded_area_mm2, [[50.0, 100.0], [0.0, 0.0]])


def test_swing_that_stays_above_the_event_threshold(backend):
    # a sensor offset keeps the swing at 25 N, above evt (20) but below off (30):
    # the toe-off search must not run into the next stance
    f = np.array([0, 100, 100, 25, 25, 25, 100, 100, 0, 0.0])
    ev = kernels.stance_events(f, 60.0, 30.0, 20.0)
    assert ev.on_idx.tolist() == [1, 6]
    # toe-off and the next initial contact fall back to the off / on crossings
    assert ev.to_idx[0] == pytest.approx(2 + 70 / 75)
    assert ev.ic_idx[1] == pytest.approx(5 + 35 / 75)
    assert ev.ic_idx[0] == pytest.approx(0.2) and ev.to_idx[1] == pytest.approx(7.8)

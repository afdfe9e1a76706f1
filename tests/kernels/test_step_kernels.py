"""Per-step kernels (ext/step_kernels.pyx): compiled and NumPy twins equal; known answers on both backends."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import butter, find_peaks, sosfilt_zi, sosfiltfilt

from insole import kernels
from insole.kernels import _reference


@pytest.fixture
def compiled():
    return pytest.importorskip("insole._ext.step_kernels", reason="compiled kernels not built")


@pytest.fixture(params=["numpy", pytest.param("cython", marks=pytest.mark.cython)])
def backend(request, monkeypatch):
    if request.param == "cython":
        mods = {name: pytest.importorskip(f"insole._ext.{name}") for name in ("step_kernels",)}
        monkeypatch.setattr(kernels, "BACKEND", "cython")
        monkeypatch.setattr(kernels, "_COMPILED", {**kernels._COMPILED, **mods})
    else:
        monkeypatch.setattr(kernels, "BACKEND", "numpy")
    return request.param


def _ranges(rng, n, count, max_len):
    starts = np.sort(rng.integers(0, n, count)).astype(np.intp)
    stops = np.minimum(starts + rng.integers(0, max_len, count), n).astype(np.intp)
    return starts, stops


def _twins(name, compiled, *args, outs):
    """Run the compiled kernel and its twin on copies of the outputs; return both sets."""
    got = [o.copy() for o in outs]
    want = [o.copy() for o in outs]
    getattr(compiled, name)(*args, *got)
    getattr(_reference, name)(*args, *want)
    return got, want


# ---------------------------------------------------------------------------- compiled == twin


@pytest.mark.cython
@pytest.mark.parametrize("n_col", [1, 3, 15])
def test_segment_sum_equals_numpy_sum_bit_for_bit(compiled, n_col):
    rng = np.random.default_rng(n_col)
    x = rng.normal(size=(6000, n_col)) * rng.choice([1.0, 1e-3, 1e6], size=(6000, n_col))
    x[rng.random(x.shape) < 0.002] = np.nan
    starts, stops = _ranges(rng, 6000, 400, 700)  # lengths on both sides of 8, 128 and 256
    got, want = _twins("segment_sum", compiled, x, starts, stops, outs=[np.empty((400, n_col))])
    np.testing.assert_array_equal(got[0], want[0])
    for s in range(0, 400, 37):
        for c in range(n_col):
            assert np.array_equal(got[0][s, c], x[starts[s]:stops[s], c].sum(), equal_nan=True)


@pytest.mark.cython
def test_segment_stats_matches_reference(compiled):
    rng = np.random.default_rng(1)
    x = np.round(rng.normal(size=(3000, 7)), 1)  # ties: argmax is the first maximum
    x[rng.random(x.shape) < 0.1] = np.nan
    starts, stops = _ranges(rng, 3000, 250, 120)
    outs = [np.empty((250, 7)), np.empty((250, 7)), np.empty((250, 7), np.intp), np.empty((250, 7))]
    got, want = _twins("segment_stats", compiled, x, starts, stops, outs=outs)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    ref = kernels.SegmentStats(np.empty((250, 7)), np.empty((250, 7)), np.empty((250, 7), np.intp))
    pytest.importorskip("insole._ext.segments").segment_reduce(x, starts, stops, *ref)
    np.testing.assert_array_equal(got[0], ref.sums)  # the same sums, maxima and argmax as segment_reduce
    np.testing.assert_array_equal(got[1], ref.maxima)
    np.testing.assert_array_equal(got[2], ref.argmax)


@pytest.mark.cython
@pytest.mark.parametrize("below", [False, True])
@pytest.mark.parametrize("count", [False, True])
def test_segment_first_matches_reference(compiled, below, count):
    rng = np.random.default_rng(2)
    x = rng.normal(size=4000)
    x[rng.random(4000) < 0.05] = np.nan
    starts, stops = _ranges(rng, 4000, 300, 80)
    thr = rng.normal(size=300) + 1.0
    outs = [np.empty(300, np.intp), np.zeros(300 if count else 0, np.intp)]
    got, want = _twins("segment_first", compiled, x, starts, stops, thr, below, count, outs=outs)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


@pytest.mark.cython
def test_segment_resample_matches_np_interp(compiled):
    rng = np.random.default_rng(3)
    n = 8000
    x = np.floor(np.cumsum(rng.uniform(0.0, 2.0, n)))  # non-decreasing, with repeated values
    y = rng.normal(size=n)
    y[rng.random(n) < 0.2] = np.nan
    starts, stops = _ranges(rng, n, 300, 150)
    grid = np.arange(-5.0, x[-1] + 2.0, 0.5)  # hits sample points exactly, and beyond both ends
    outs = [np.empty((300, grid.size)), np.zeros(300, np.uint8)]
    got, want = _twins("segment_resample", compiled, x, y, starts, stops, grid, outs=outs)
    np.testing.assert_array_equal(got[0], want[0])
    assert not got[1].any() and not want[1].any()
    assert np.isfinite(got[0]).sum() > 1000


@pytest.mark.cython
def test_segment_resample_on_stance_percent(compiled):
    rng = np.random.default_rng(4)
    t = np.cumsum(rng.uniform(0.009, 0.011, 20000))
    starts, stops = _ranges(rng, 20000, 150, 90)
    ic, to = t[starts] - 0.004, t[np.maximum(stops - 1, starts)] + 0.003
    sid = np.repeat(np.arange(150), stops - starts)
    frame = np.concatenate([np.arange(a, b) for a, b in zip(starts, stops)])
    tau = (t[frame] - ic[sid]) / (to - ic)[sid]
    y = rng.normal(size=frame.size)
    y[rng.random(frame.size) < 0.1] = np.nan
    bounds = np.cumsum(stops - starts)
    outs = [np.empty((150, 101)), np.zeros(150, np.uint8)]
    grid = np.linspace(0.0, 1.0, 101)
    got, want = _twins("segment_resample", compiled, tau, y, bounds - (stops - starts), bounds, grid, outs=outs)
    np.testing.assert_array_equal(got[0], want[0])


@pytest.mark.cython
def test_segment_resample_unsorted_falls_back_to_np_interp(compiled, monkeypatch):
    monkeypatch.setattr(kernels, "BACKEND", "cython")
    monkeypatch.setattr(kernels, "_COMPILED", {**kernels._COMPILED, "step_kernels": compiled})
    rng = np.random.default_rng(5)
    x = rng.random(500)  # not sorted: np.interp's own (undefined but deterministic) answer
    y = rng.normal(size=500)
    starts, stops = np.arange(0, 500, 50, dtype=np.intp), np.arange(50, 550, 50, dtype=np.intp)
    grid = np.linspace(0, 1, 11)
    want = np.empty((10, 11))
    _reference.segment_resample(x, y, starts, stops, grid, want, np.zeros(10, np.uint8))
    np.testing.assert_array_equal(kernels.segment_resample(x, y, starts, stops, grid), want)


@pytest.mark.cython
@pytest.mark.parametrize(("fc", "fs"), [(15.0, 100.0), (25.0, 200.0), (15.0, 500.0), (50.0, 1000.0)])
def test_segment_sosfiltfilt_equals_scipy(compiled, fc, fs):
    rng = np.random.default_rng(int(fs))
    sos = butter(4, fc, fs=fs, output="sos")
    x = np.cumsum(rng.normal(size=(6000, 2)), axis=0)
    starts = np.arange(0, 6000, 200, dtype=np.intp)
    stops = starts + rng.integers(16, 200, starts.size)
    padlen = kernels.sosfilt_padlen(sos)
    got = x.copy()
    compiled.segment_sosfiltfilt(sos, sosfilt_zi(sos), x, starts, stops, padlen, got)
    for a, b in zip(starts, stops):
        want = sosfiltfilt(sos, x[a:b], axis=0)
        np.testing.assert_allclose(got[a:b], want, rtol=1e-12, atol=1e-12 * np.abs(want).max())
    outside = np.ones(6000, bool)
    for a, b in zip(starts, stops):
        outside[a:b] = False
    np.testing.assert_array_equal(got[outside], x[outside])


@pytest.mark.cython
def test_segment_first_peak_matches_find_peaks(compiled):
    rng = np.random.default_rng(6)
    x = np.round(np.abs(np.cumsum(rng.normal(size=20000))) / 4.0, 1)  # plateaus and flat stretches
    starts, stops = _ranges(rng, 20000, 500, 60)
    got, want = _twins("segment_first_peak", compiled, x, starts, stops, 0.1, outs=[np.empty(500, np.intp)])
    np.testing.assert_array_equal(got[0], want[0])
    assert (got[0] >= 0).sum() > 100


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=0, max_size=40), st.floats(0.0, 3.0))
def test_segment_first_peak_twins_agree_on_arbitrary_series(values, prominence):
    mod = pytest.importorskip("insole._ext.step_kernels")
    x = np.asarray(values, dtype=np.float64) / 2.0
    starts, stops = np.array([0, x.size // 3], np.intp), np.array([x.size, x.size], np.intp)
    a, b = np.empty(2, np.intp), np.empty(2, np.intp)
    mod.segment_first_peak(x, starts, stops, prominence, a)
    _reference.segment_first_peak(x, starts, stops, prominence, b)
    np.testing.assert_array_equal(a, b)


@pytest.mark.cython
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8, np.uint16, np.int16, np.int32])
def test_sensor_accumulate_matches_reference(compiled, dtype):
    rng = np.random.default_rng(7)
    if np.dtype(dtype).kind == "f":
        values = (rng.gamma(0.5, 80.0, (900, 64)) * (rng.random((900, 64)) < 0.6)).astype(dtype)
        values[3, 5] = np.nan
    else:
        values = rng.integers(0, 120, (900, 64)).astype(dtype)
    calibrated = np.dtype(dtype).kind != "f"
    offset, gain = rng.uniform(0, 5, 64), rng.uniform(0.1, 2.0, 64)
    gain[:4] *= -1
    loaded = (rng.random(900) < 0.6).astype(np.uint8)
    start = (np.full(64, 3.0), np.full(64, 1000.0))
    outs = [start[0].copy(), start[1].copy()]
    got, want = _twins("sensor_accumulate", compiled, values, loaded, calibrated, offset, gain, 10.0, outs=outs)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


# ---------------------------------------------------------------------------- known answers, both backends


def test_segment_sum_known_answer(backend):
    x = np.array([[1.0, 2.0], [3.0, np.nan], [5.0, 6.0]])
    np.testing.assert_array_equal(kernels.segment_sum(x, [0, 2, 1], [2, 3, 1]), [[4.0, np.nan], [5.0, 6.0], [0.0, 0.0]])
    np.testing.assert_array_equal(kernels.segment_sum(np.arange(6.0, dtype=np.float32), [0, 2], [2, 6]), [1.0, 14.0])
    big = np.random.default_rng(0).normal(size=1000) * 1e8
    assert kernels.segment_sum(big, [3], [1000])[0] == big[3:].sum()  # NumPy's pairwise order


def test_segment_stats_known_answer(backend):
    x = np.array([[1.0, np.nan], [3.0, 2.0], [3.0, np.nan], [-5.0, 1.0]])
    r = kernels.segment_stats(x, [0, 2, 1], [3, 2, 4])
    np.testing.assert_array_equal(r.sums, [[7, 2], [0, 0], [1, 3]])
    np.testing.assert_array_equal(r.maxima, [[3, 2], [np.nan, np.nan], [3, 2]])
    np.testing.assert_array_equal(r.argmax, [[1, 1], [-1, -1], [1, 1]])
    np.testing.assert_array_equal(r.minima, [[1, 2], [np.nan, np.nan], [-5, 1]])


def test_segment_first_known_answer(backend):
    x = np.array([0.0, 4.0, np.nan, 9.0, 2.0, 7.0])
    r = kernels.segment_first(x, [0, 2, 4, 3], [6, 6, 5, 3], [5.0, 8.0, 3.0, 0.0], count=True)
    assert r.first.tolist() == [3, 3, -1, -1] and r.count.tolist() == [2, 1, 0, 0]
    below = kernels.segment_first(x, [1, 2], [6, 6], 5.0, below=True)
    assert below.first.tolist() == [1, 4] and below.count is None


def test_segment_resample_known_answer(backend):
    x = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 0.1, 0.2])
    y = np.array([0.0, 1.0, np.nan, 3.0, 4.0, 7.0, 7.0])
    out = kernels.segment_resample(x, y, [0, 5, 1], [5, 6, 4], [0.0, 0.5, 0.6, 0.75, 1.0])
    np.testing.assert_allclose(out[0], [0.0, 2.0, 2.4, 3.0, 4.0])  # the NaN point is skipped
    assert np.isnan(out[1]).all()  # one point: nothing to interpolate
    np.testing.assert_allclose(out[2], [np.nan, 2.0, 2.4, 3.0, np.nan])  # never extrapolates


def test_segment_sosfiltfilt_known_answer(backend):
    sos = butter(4, 15.0, fs=100.0, output="sos")
    rng = np.random.default_rng(8)
    x = rng.normal(size=(120, 2))
    out = kernels.segment_sosfiltfilt(sos, x, [0, 70], [40, 120])
    np.testing.assert_allclose(out[:40], sosfiltfilt(sos, x[:40], axis=0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out[70:], sosfiltfilt(sos, x[70:], axis=0), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(out[40:70], x[40:70])
    np.testing.assert_allclose(kernels.segment_sosfiltfilt(sos, np.ones((30, 1)), [0], [30]), 1.0, rtol=1e-12)
    with pytest.raises(ValueError, match="padlen"):
        kernels.segment_sosfiltfilt(sos, x, [0], [15])


def test_segment_first_peak_known_answer(backend):
    x = np.array([0, 1.0, 0.95, 3, 0, 2, 2, 0, 5, 5])
    assert kernels.segment_first_peak(x, [0, 4, 7, 0], [8, 8, 10, 3], 0.1).tolist() == [3, 5, -1, -1]
    assert kernels.segment_first_peak(x, [0], [8], 0.01).tolist() == [1]
    assert find_peaks(x[:8], prominence=0.1)[0][0] == 3


def test_sensor_accumulate_known_answer(backend):
    values = np.array([[5.0, 20.0, 300.0], [50.0, 0.0, np.nan], [100.0, 100.0, 100.0]], dtype=np.float32)
    peak, sums = np.zeros(3), np.zeros(3)
    kernels.sensor_accumulate(values, [True, True, False], peak, sums, floor_value=10.0)
    np.testing.assert_array_equal(peak, [50.0, 20.0, 300.0])
    np.testing.assert_array_equal(sums, [50.0, 20.0, 300.0])
    counts = np.array([[10, 30]], dtype=np.uint16)
    kernels.sensor_accumulate(counts, [1], p := np.zeros(2), s := np.zeros(2), offset=np.array([0.0, 10.0]), gain=np.array([2.0, 0.5]))
    np.testing.assert_array_equal(p, [20.0, 10.0])
    np.testing.assert_array_equal(s, [20.0, 10.0])


def test_wrappers_validate(backend):
    with pytest.raises(ValueError, match="inside the series"):
        kernels.segment_sum(np.zeros(5), [0], [6])
    with pytest.raises(ValueError, match="stop >= start"):
        kernels.segment_first(np.zeros(5), [3], [2], 0.0)
    with pytest.raises(ValueError, match="same length"):
        kernels.segment_resample(np.zeros(5), np.zeros(4), [0], [4], [0.5])
    with pytest.raises(ValueError, match="shape"):
        kernels.sensor_accumulate(np.zeros((2, 3)), [1, 1], np.zeros(2), np.zeros(3))

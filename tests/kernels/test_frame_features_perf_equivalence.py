"""The blocked (lane-pair) compiled kernels against their NumPy twins on the cases the blocking
could get wrong: partial blocks, every input dtype with and without fused calibration, odd
sensor counts, NaN/inf input, inactive sensors, shared and fractional region weights, and
bit-identical results whatever the frame's position, block or thread count."""

from __future__ import annotations

import numpy as np
import pytest

from insole.kernels import RegionCSR, _reference

pytestmark = pytest.mark.cython

DTYPES = [np.float32, np.float64, np.uint8, np.uint16, np.int16, np.int32]


@pytest.fixture(scope="module")
def ff():
    return pytest.importorskip("insole._ext.frame_features", reason="compiled kernels not built").frame_features


@pytest.fixture(scope="module")
def rp():
    return pytest.importorskip("insole._ext.region_pressure", reason="compiled kernels not built").region_pressure


def _values(rng, n, m, dtype):
    if np.dtype(dtype).kind == "f":
        v = rng.gamma(0.7, 60.0, (n, m))
        v[rng.random(v.shape) < 0.45] = 0.0
        v[rng.random(v.shape) < 0.02] *= -1  # negative readings are unloaded
        return v.astype(dtype)
    hi = min(np.iinfo(dtype).max, 4095)
    return rng.integers(0, hi + 1, (n, m)).astype(dtype)


def _layout(rng, m, n_regions=9):
    weights = rng.random((m, n_regions)) * (rng.random((m, n_regions)) < 0.35)  # shared, fractional
    weights[: m // 3, 0] = 1.0  # a plain run of unit weights too
    scale = rng.uniform(0.05, 0.2, m)
    scale[rng.random(m) < 0.2] = 0.0  # inactive cells: scale 0, but still counted when loaded
    return RegionCSR.from_dense(weights), scale, rng.random(m), rng.random(m) - 0.5


def _ff(impl, values, csr, scale, ap, ml, *, floor=4.0, cop_min=15.0, min_active=3, offset=None, gain=None,
        threads=1):
    n, m = values.shape
    out = np.empty(n), np.empty((n, 2)), np.empty((n, csr.n_regions))
    impl(np.ascontiguousarray(values), scale, ap, ml, csr.ptr, csr.idx, csr.weight, floor, cop_min, min_active,
         offset is not None, np.zeros(m) if offset is None else offset, np.ones(m) if gain is None else gain,
         *out, threads)
    return out


def _rp(impl, values, csr, area, *, floor=4.0, offset=None, gain=None, threads=1):
    n, m = values.shape
    out = np.empty((n, csr.n_regions)), np.empty((n, csr.n_regions))
    impl(np.ascontiguousarray(values), offset is not None, np.zeros(m) if offset is None else offset,
         np.ones(m) if gain is None else gain, floor, area, csr.ptr, csr.idx, csr.weight, *out, threads)
    return out


def _calibration(rng, m, dtype):
    if np.dtype(dtype).kind == "f":
        return None, None
    offset = rng.uniform(0, 40, m)
    gain = rng.uniform(0.02, 0.4, m)
    gain[: m // 4] *= -1  # inverted ADCs: more load, fewer counts
    offset[: m // 4] = min(np.iinfo(dtype).max, 4095)
    return offset, gain


def _close(got, want):
    for g, w in zip(got, want):
        assert g.dtype == np.float64
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 16), (7, 99), (8, 3), (13, 1), (530, 16), (1029, 99), (77, 1260)])
def test_matches_twin(ff, rp, dtype, shape):
    rng = np.random.default_rng(shape[0] * 1000 + shape[1])
    values = _values(rng, *shape, dtype)
    csr, scale, ap, ml = _layout(rng, shape[1])
    offset, gain = _calibration(rng, shape[1], dtype)
    for threads in (1, 2):
        _close(_ff(ff, values, csr, scale, ap, ml, offset=offset, gain=gain, threads=threads),
               _ff(_reference.frame_features, values, csr, scale, ap, ml, offset=offset, gain=gain))
        area = rng.uniform(20, 200, shape[1])
        got = _rp(rp, values, csr, area, offset=offset, gain=gain, threads=threads)
        want = _rp(_reference.region_pressure, values, csr, area, offset=offset, gain=gain)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("floor", [0.0, 5.0])
def test_nan_inf_and_floor_zero(ff, rp, floor):
    rng = np.random.default_rng(11)
    values = _values(rng, 203, 21, np.float64)
    values[::7, 3] = np.nan
    values[5, :] = np.nan  # an all-NaN frame: nothing loaded, COP NaN
    values[9, 4] = np.inf
    values[10, 2] = -np.inf
    values[12, :] = 0.0
    values[13, 6] = 1e-310  # subnormal: loaded when the floor is 0
    csr, scale, ap, ml = _layout(rng, 21)
    got = _ff(ff, values, csr, scale, ap, ml, floor=floor, cop_min=0.0, min_active=1)
    with np.errstate(invalid="ignore"):  # the twin's inf * 0 (an inactive cell reading inf)
        want = _ff(_reference.frame_features, values, csr, scale, ap, ml, floor=floor, cop_min=0.0, min_active=1)
    _close(got, want)
    assert np.isnan(got[1][5]).all() and np.isnan(got[1][12]).all()
    area = rng.uniform(20, 200, 21)
    for g, w in zip(_rp(rp, values, csr, area, floor=floor), _rp(_reference.region_pressure, values, csr, area,
                                                                    floor=floor)):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-9)


def test_cop_validity_edges(ff):
    # total exactly at the threshold, exactly min_active loaded, one short of it, and NaN thresholds
    values = np.array([[10.0, 10.0, 0.0], [10.0, 0.0, 0.0], [10.0, 9.0, 1.0], [0.0, 0.0, 0.0]] * 5)
    csr = RegionCSR.from_dense(np.eye(3))
    args = (np.ones(3), np.array([0.0, 1.0, 2.0]), np.zeros(3))
    for cop_min, min_active in ((20.0, 2), (10.0, 1), (np.nan, 2), (0.0, 0)):
        _close(_ff(ff, values, csr, *args, floor=0.0, cop_min=cop_min, min_active=min_active),
               _ff(_reference.frame_features, values, csr, *args, floor=0.0, cop_min=cop_min,
                   min_active=min_active))


def test_no_regions_and_empty_regions(ff, rp):
    rng = np.random.default_rng(4)
    values = _values(rng, 40, 12, np.float32)
    empty = RegionCSR(np.zeros(1, np.intp), np.zeros(0, np.intp), np.zeros(0))
    _, scale, ap, ml = _layout(rng, 12)
    _close(_ff(ff, values, empty, scale, ap, ml), _ff(_reference.frame_features, values, empty, scale, ap, ml))
    some_empty = RegionCSR(np.array([0, 0, 3, 3], np.intp), np.array([1, 5, 7], np.intp), np.array([1.0, 0.5, 2.0]))
    area = np.full(12, 50.0)
    _close(_ff(ff, values, some_empty, scale, ap, ml),
           _ff(_reference.frame_features, values, some_empty, scale, ap, ml))
    for g, w in zip(_rp(rp, values, some_empty, area), _rp(_reference.region_pressure, values, some_empty, area)):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("dtype", [np.float32, np.uint16])
@pytest.mark.parametrize("m", [16, 99, 1260])
def test_bit_identical_whatever_the_position_block_or_threads(ff, rp, dtype, m):
    rng = np.random.default_rng(m)
    values = _values(rng, 1203, m, dtype)
    csr, scale, ap, ml = _layout(rng, m)
    offset, gain = _calibration(rng, m, dtype)
    area = rng.uniform(20, 200, m)
    whole = _ff(ff, values, csr, scale, ap, ml, offset=offset, gain=gain, threads=2)
    whole_rp = _rp(rp, values, csr, area, offset=offset, gain=gain, threads=2)
    for start, stop, threads in ((0, 1203, 1), (1, 38, 1), (37, 1100, 2), (3, 4, 1), (1001, 1203, 2), (5, 1203, 2)):
        part = values[start:stop].copy()
        for w, p in zip(whole, _ff(ff, part, csr, scale, ap, ml, offset=offset, gain=gain, threads=threads)):
            np.testing.assert_array_equal(w[start:stop], p)
        for w, p in zip(whole_rp, _rp(rp, part, csr, area, offset=offset, gain=gain, threads=threads)):
            np.testing.assert_array_equal(w[start:stop], p)


def test_read_only_input(ff):
    rng = np.random.default_rng(9)
    values = _values(rng, 100, 16, np.uint16)
    values.flags.writeable = False
    csr, scale, ap, ml = _layout(rng, 16)
    offset, gain = _calibration(rng, 16, np.uint16)
    _close(_ff(ff, values, csr, scale, ap, ml, offset=offset, gain=gain),
           _ff(_reference.frame_features, values, csr, scale, ap, ml, offset=offset, gain=gain))


@pytest.mark.parametrize("dtype", [np.float32, np.uint16])
@pytest.mark.parametrize("calibrated", [False, True])
def test_avx2_path_is_bit_identical_to_the_lane_pairs(ff, dtype, calibrated):
    """Four frames per AVX register give exactly the SSE2 lane pairs' results (same operations, same order)."""
    mod = pytest.importorskip("insole._ext.frame_features")
    if not mod.set_avx(True):
        pytest.skip("this CPU or build has no AVX2 path")
    rng = np.random.default_rng(11)
    try:
        for m in (1, 3, 4, 5, 16, 17, 99):
            for n in (1, 7, 8, 9, 63, 500):
                values = _values(rng, n, m, dtype)
                if dtype == np.float32:
                    values[rng.random(values.shape) < 0.01] = np.nan
                    values[rng.random(values.shape) < 0.005] = np.inf
                csr, scale, ap, ml = _layout(rng, m)
                cal = dict(offset=rng.uniform(0, 30, m), gain=rng.uniform(0.05, 0.3, m)) if calibrated else {}
                outs = []
                for on in (True, False):
                    assert mod.set_avx(on) is on
                    outs.append(_ff(ff, values, csr, scale, ap, ml, threads=2, **cal))
                for got, want in zip(*outs):
                    np.testing.assert_array_equal(got, want)
    finally:
        mod.set_avx(True)

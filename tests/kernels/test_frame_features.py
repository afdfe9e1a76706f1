"""The frame-features kernel: compiled and NumPy twin agree; known answers on both backends."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from insole import kernels
from insole.kernels import _reference


def _random_problem(rng, n_frames, n_sensors, n_regions, dtype):
    if np.dtype(dtype).kind == "f":
        values = rng.gamma(0.6, 60.0, size=(n_frames, n_sensors)).astype(dtype)
        values[rng.random(values.shape) < 0.4] = 0  # many unloaded sensors
    else:
        values = rng.integers(0, 4096, size=(n_frames, n_sensors)).astype(dtype)
    weights = rng.random((n_sensors, n_regions))
    weights[rng.random(weights.shape) < 0.6] = 0
    csr = kernels.RegionCSR.from_dense(weights)
    return values, rng.random(n_sensors) + 0.1, rng.random(n_sensors), rng.random(n_sensors) - 0.5, csr


def _run(impl, values, scale, ap, ml, csr, *, floor=5.0, cop_min=20.0, min_active=2, offset=None, gain=None, threads=2):
    n, m = values.shape
    force, cop, region = np.empty(n), np.empty((n, 2)), np.empty((n, csr.n_regions))
    impl(
        np.ascontiguousarray(values), scale, ap, ml, csr.ptr, csr.idx, csr.weight, floor, cop_min, min_active,
        offset is not None, np.zeros(m) if offset is None else offset, np.ones(m) if gain is None else gain,
        force, cop, region, threads,
    )
    return force, cop, region


compiled = pytest.param("compiled", marks=pytest.mark.cython)


@pytest.fixture
def compiled_kernel():
    mod = pytest.importorskip("insole._ext.frame_features", reason="compiled kernels not built")
    return mod.frame_features


@pytest.mark.cython
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (7, 16), (1000, 99), (3000, 960)])
def test_compiled_matches_reference_float(compiled_kernel, dtype, shape):
    rng = np.random.default_rng(sum(shape))
    values, scale, ap, ml, csr = _random_problem(rng, *shape, 9, dtype)
    got = _run(compiled_kernel, values, scale, ap, ml, csr)
    want = _run(_reference.frame_features, values, scale, ap, ml, csr)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-9, equal_nan=True)
        assert g.dtype == np.float64


@pytest.mark.cython
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.int32])
def test_compiled_matches_reference_counts_with_calibration(compiled_kernel, dtype):
    rng = np.random.default_rng(3)
    values, scale, ap, ml, csr = _random_problem(rng, 2000, 99, 9, dtype)
    offset = rng.uniform(0, 50, 99)
    gain = rng.uniform(0.05, 0.5, 99)
    gain[:10] *= -1  # inverted ADCs: more load = fewer counts
    offset[:10] = 4095
    got = _run(compiled_kernel, values, scale, ap, ml, csr, offset=offset, gain=gain)
    want = _run(_reference.frame_features, values, scale, ap, ml, csr, offset=offset, gain=gain)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-9, equal_nan=True)


@pytest.mark.cython
def test_compiled_single_and_multi_thread_agree(compiled_kernel):
    rng = np.random.default_rng(5)
    values, scale, ap, ml, csr = _random_problem(rng, 5000, 99, 9, np.float32)
    one = _run(compiled_kernel, values, scale, ap, ml, csr, threads=1)
    two = _run(compiled_kernel, values, scale, ap, ml, csr, threads=2)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


@pytest.fixture(params=["numpy", pytest.param("cython", marks=pytest.mark.cython)])
def backend(request, monkeypatch):
    """Run the public wrapper on each backend."""
    if request.param == "cython":
        mod = pytest.importorskip("insole._ext.frame_features", reason="compiled kernels not built")
        monkeypatch.setattr(kernels, "BACKEND", "cython")
        monkeypatch.setattr(kernels, "_COMPILED", {"frame_features": mod})
    else:
        monkeypatch.setattr(kernels, "BACKEND", "numpy")
    return request.param


def test_known_answer(backend):
    # two sensors: 100 kPa on 1000 mm^2 at ap 0.2 and 300 kPa on 1000 mm^2 at ap 0.6
    values = np.array([[100.0, 300.0], [0.0, 0.0], [5.0, 0.0]])
    csr = kernels.RegionCSR.from_dense(np.array([[1.0, 0.0], [0.5, 0.5]]))
    ff = kernels.frame_features(values, np.array([1.0, 1.0]), np.array([0.2, 0.6]), np.array([0.1, -0.1]), csr,
                                floor_value=10.0, cop_min_force_n=50.0, min_active=1)
    np.testing.assert_allclose(ff.force_n, [400.0, 0.0, 0.0])
    np.testing.assert_allclose(ff.cop[0], [0.5, -0.05])
    assert np.isnan(ff.cop[1]).all() and np.isnan(ff.cop[2]).all()  # NaN, never 0
    np.testing.assert_allclose(ff.region_force_n[0], [250.0, 150.0])


def test_cop_nan_below_threshold_and_min_active(backend):
    values = np.array([[40.0, 0.0], [30.0, 30.0], [100.0, 0.0]])
    csr = kernels.RegionCSR.from_dense(np.eye(2))
    ff = kernels.frame_features(values, np.ones(2), np.array([0.0, 1.0]), np.zeros(2), csr,
                                cop_min_force_n=50.0, min_active=2)
    assert np.isnan(ff.cop[0, 0])  # 40 N < 50 N
    assert ff.cop[1, 0] == pytest.approx(0.5)
    assert np.isnan(ff.cop[2, 0])  # one loaded sensor < min_active


def test_all_zero_frames(backend):
    csr = kernels.RegionCSR.from_dense(np.ones((16, 3)) / 3)
    ff = kernels.frame_features(np.zeros((600, 16), np.float32), np.ones(16), np.zeros(16), np.zeros(16), csr)
    assert (ff.force_n == 0).all() and np.isnan(ff.cop).all() and (ff.region_force_n == 0).all()


def test_readonly_and_noncontiguous_input(backend):
    rng = np.random.default_rng(0)
    big = rng.uniform(0, 100, (900, 40)).astype(np.float32)
    view = big[::3, ::2]  # non-contiguous
    view.flags.writeable = False
    csr = kernels.RegionCSR.from_dense(np.ones((20, 1)))
    ff = kernels.frame_features(view, np.ones(20), np.linspace(0, 1, 20), np.zeros(20), csr)
    np.testing.assert_allclose(ff.force_n, view.astype(np.float64).sum(1), rtol=1e-9)


def test_counts_with_fused_calibration_equal_precalibrated(backend):
    rng = np.random.default_rng(1)
    counts = rng.integers(0, 4096, (700, 16)).astype(np.uint16)
    offset, gain = np.full(16, 4095.0), np.full(16, -0.1)  # inverted 12-bit ADC
    csr = kernels.RegionCSR.from_dense(np.eye(16))
    fused = kernels.frame_features(counts, np.ones(16), np.linspace(0, 1, 16), np.zeros(16), csr, offset=offset, gain=gain)
    pre = kernels.frame_features((counts - offset) * gain, np.ones(16), np.linspace(0, 1, 16), np.zeros(16), csr)
    for a, b in zip(fused, pre):
        np.testing.assert_allclose(a, b, rtol=1e-12, equal_nan=True)


def test_empty_input(backend):
    csr = kernels.RegionCSR.from_dense(np.ones((4, 2)))
    ff = kernels.frame_features(np.zeros((0, 4)), np.ones(4), np.zeros(4), np.zeros(4), csr)
    assert ff.force_n.shape == (0,) and ff.cop.shape == (0, 2) and ff.region_force_n.shape == (0, 2)


def test_bad_shapes_raise():
    csr = kernels.RegionCSR.from_dense(np.ones((4, 2)))
    with pytest.raises(ValueError):
        kernels.frame_features(np.zeros(4), np.ones(4), np.zeros(4), np.zeros(4), csr)
    with pytest.raises(ValueError):
        kernels.frame_features(np.zeros((3, 4)), np.ones(5), np.zeros(4), np.zeros(4), csr)
    with pytest.raises(ValueError):
        kernels.frame_features(np.zeros((3, 4)), np.ones(4), np.zeros(4), np.zeros(4), csr, offset=np.zeros(4))


def test_backend_is_visible_and_compiled_unless_asked_otherwise():
    import os

    assert kernels.BACKEND in ("cython", "numpy") and kernels.BACKEND_REASON
    if os.environ.get("INSOLE_PUREPYTHON", "0") not in ("", "0"):
        assert kernels.BACKEND == "numpy"
    else:
        # A missing build must fail the suite, not fall back silently.
        assert kernels.BACKEND == "cython", kernels.BACKEND_REASON
        for name in kernels.COMPILED_MODULES:
            importlib.import_module(f"insole._ext.{name}")


@pytest.mark.cython
@pytest.mark.parametrize("n_sensors", [16, 99, 1260])
def test_result_of_a_frame_does_not_depend_on_its_position(n_sensors, monkeypatch):
    """Chunked analysis must equal whole-file analysis bit for bit: a frame's features may not
    depend on where the frame sits in memory (alignment) or in the block.

    A property of the compiled kernel (fixed-order sums); the NumPy twin is held equal to it
    within rounding only, because NumPy's own reductions change order with array shape.
    """
    mod = pytest.importorskip("insole._ext.frame_features", reason="compiled kernels not built")
    monkeypatch.setattr(kernels, "BACKEND", "cython")
    monkeypatch.setattr(kernels, "_COMPILED", {**kernels._COMPILED, "frame_features": mod})
    rng = np.random.default_rng(n_sensors)
    values = rng.gamma(0.7, 60.0, (2000, n_sensors)).astype(np.float32)
    values[rng.random(values.shape) < 0.5] = 0
    csr = kernels.RegionCSR.from_dense(rng.random((n_sensors, 9)) * (rng.random((n_sensors, 9)) < 0.3))
    args = (np.ones(n_sensors), np.linspace(0, 1, n_sensors), np.linspace(-0.5, 0.5, n_sensors), csr)
    whole = kernels.frame_features(values, *args)
    for start, stop in ((1, 38), (37, 1500), (3, 4), (1001, 2000)):
        part = kernels.frame_features(values[start:stop].copy(), *args)
        for w, p in zip(whole, part):
            np.testing.assert_array_equal(w[start:stop], p)

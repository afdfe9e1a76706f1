"""Device clock -> host time: the lower-envelope fit and the left/right sync report."""

from __future__ import annotations

import math

import numpy as np
import pytest

from insole.acquisition.clock import ClockFit, lower_support_slope, sync_report, theil_sen_slope


def _feed(fit: ClockFit, t_true_s, dev_us, latency_s):
    for d, r in zip(dev_us, t_true_s + latency_s):
        fit.add(int(d), float(r))
    return fit.fit()


def _clock(t_s, ppm, offset_s):
    return np.rint((offset_s + t_s * (1 + ppm * 1e-6)) * 1e6)


@pytest.mark.parametrize("ppm", [-80.0, 0.0, 100.0, 2000.0])
def test_drift_and_offset_recovered_despite_jitter(ppm):
    rng = np.random.default_rng(1)
    t = np.arange(0.0, 30.0, 0.01)
    dev = _clock(t, ppm, 3.25)
    lat = 0.0003 + rng.uniform(0, 0.005, t.size)  # 0.3 ms link + up to 5 ms jitter
    model = _feed(ClockFit(), t, dev, lat)
    assert model.drift_ppm == pytest.approx(ppm, abs=3)
    err = model.to_host_s(dev) - t
    assert np.abs(err - 0.0003).max() < 0.0002  # the fastest frames pin it to the link's minimum latency
    assert model.residual_ms < 0.2


def test_slow_bins_do_not_move_the_line():
    """Whole seconds where every frame came late (a busy host) lie above the envelope."""
    rng = np.random.default_rng(2)
    t = np.arange(0.0, 20.0, 0.01)
    dev = _clock(t, 50.0, 1.0)
    lat = rng.uniform(0, 0.002, t.size)
    slow = (t > 5) & (t < 8)
    lat[slow] += 0.030
    model = _feed(ClockFit(), t, dev, lat)
    assert model.drift_ppm == pytest.approx(50.0, abs=3)
    assert np.abs(model.to_host_s(dev) - t).max() < 0.0005


def test_memory_is_bounded_by_merging_bins():
    fit = ClockFit(bin_s=0.1, max_bins=16)
    t = np.arange(0.0, 60.0, 0.01)
    _feed(fit, t, _clock(t, 20.0, 0.0), np.full(t.size, 0.001))
    assert fit.n_points <= 16 and fit.bin_s >= 0.1 * 8
    assert fit.model.drift_ppm == pytest.approx(20.0, abs=1)


def test_a_device_reset_restarts_the_fit():
    fit = ClockFit()
    t = np.arange(0.0, 10.0, 0.01)
    _feed(fit, t, _clock(t, 0.0, 100.0), np.full(t.size, 0.001))
    t2 = np.arange(10.0, 20.0, 0.01)
    model = _feed(fit, t2, _clock(t2 - 10.0, 0.0, 0.5), np.full(t2.size, 0.001))
    assert fit.resets == 1
    assert np.abs(model.to_host_s(_clock(t2 - 10.0, 0.0, 0.5)) - t2 - 0.001).max() < 1e-5


def test_slope_is_one_until_the_span_allows_an_estimate():
    fit = ClockFit(min_span_s=4.0)
    t = np.arange(0.0, 2.0, 0.01)
    model = _feed(fit, t, _clock(t, 500.0, 0.0), np.zeros(t.size))
    assert model.slope == 1.0 and model.n_points == 2


def test_fields_match_the_sync_schema():
    from insole.store import schema

    fit = ClockFit()
    fit.add(1_000_000, 5.0)
    assert set(fit.model.as_fields()) == set(schema.SYNC_FIELDS)
    assert math.isnan(fit.model.residual_ms)


def test_slope_estimators_on_clean_lines():
    x = np.linspace(0, 10, 11)
    y = 2.0 + 0.5 * x
    assert lower_support_slope(x, y) == pytest.approx(0.5)
    assert theil_sen_slope(x, y) == pytest.approx(0.5)
    y2 = y.copy()
    y2[3] += 1.0  # a point above the envelope does not matter
    assert lower_support_slope(x, y2) == pytest.approx(0.5)


def test_sync_report_adds_residuals_and_measures_relative_drift():
    t = np.arange(0.0, 20.0, 0.01)
    rng = np.random.default_rng(3)
    left = _feed(ClockFit(), t, _clock(t, 100.0, 1.5), rng.uniform(0, 0.004, t.size))
    right = _feed(ClockFit(), t, _clock(t, -80.0, 0.7), rng.uniform(0, 0.004, t.size))
    rep = sync_report(left, right, 20.0)
    assert rep.drift_ppm == pytest.approx(180.0, abs=5)
    assert rep.drift_ms == pytest.approx(3.6, abs=0.1)
    assert rep.error_ms == pytest.approx(math.hypot(left.residual_ms, right.residual_ms))
    assert set(rep.as_attrs()) == {"lr_error_ms", "lr_drift_ppm", "lr_drift_ms", "lr_duration_s"}

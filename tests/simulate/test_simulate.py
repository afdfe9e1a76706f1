"""The simulator's truth is consistent with its own signals, and its physics looks like gait."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import find_peaks

from insole.layout import list_layouts
from insole.simulate import SimulationParams, simulate
from insole.store import read_recording

PRESETS = [*list_layouts(), "grid-32x32-5.08"]
DENSE = {"pedar-99", "fscan-60x21", "grid-32x32-5.08"}
PATTERNS = ("RFS", "MFS", "FFS")
ROUTES = ("first-ray", "central", "lateral")


def _force_n(foot) -> np.ndarray:
    lay = foot.layout
    per_unit = np.asarray(lay.area_mm2) * 1e-3 if lay.kind == "pressure_kpa" else np.ones(lay.n_sensors)
    return foot.physical() @ per_unit


def _cop_ap(foot) -> np.ndarray:
    lay = foot.layout
    per_unit = np.asarray(lay.area_mm2) * 1e-3 if lay.kind == "pressure_kpa" else np.ones(lay.n_sensors)
    f = foot.physical() * per_unit
    with np.errstate(invalid="ignore", divide="ignore"):
        return (f @ np.asarray(lay.ap)) / f.sum(1)


def _crossings(force, t, level):
    above = force > level
    up = np.flatnonzero(~above[:-1] & above[1:])
    down = np.flatnonzero(above[:-1] & ~above[1:])
    t_up = t[up] + (level - force[up]) / (force[up + 1] - force[up]) * (t[up + 1] - t[up])
    t_down = t[down] + (level - force[down]) / (force[down + 1] - force[down]) * (t[down + 1] - t[down])
    return t_up, t_down


CASES = [(lay, task, pat, ROUTES[i % 3]) for i, (lay, task, pat) in enumerate(
    (lay, task, pat) for lay in PRESETS for task in ("walk", "run") for pat in PATTERNS)]
CASES += [(lay, "walk", "RFS", route) for lay in PRESETS for route in ROUTES]


@pytest.mark.parametrize(("layout", "task", "pattern", "route"), CASES)
def test_truth_consistent_with_signals(layout, task, pattern, route):
    rate = 200.0 if task == "run" else 100.0
    rec = simulate(layout=layout, task=task, strike_pattern=pattern, toe_off_route=route, duration_s=6.0,
                   rate_hz=rate, seed=11, noise=0.0)
    truth = rec.truth
    level = truth["event_threshold_n"]
    for foot_name in ("left", "right"):
        foot, tr = rec.feet[foot_name], truth[foot_name]
        assert tr["ic_s"].size >= 3
        force = _force_n(foot)
        t = foot.t_host_s
        # noise-free total force crosses the event threshold at the stored times (within one sample)
        t_up, t_down = _crossings(force, t, level)
        for ic, to in zip(tr["ic_s"], tr["to_s"]):
            assert np.min(np.abs(t_up - ic)) <= 1.0 / rate
            assert np.min(np.abs(t_down - to)) <= 1.0 / rate
        assert set(tr["strike_pattern"]) == {pattern}
        assert set(tr["toe_off_route"]) == {route}
        # COP of the generated frames at initial contact gives the stored strike index
        if layout in DENSE:
            cop_ap = _cop_ap(foot)
            for ic, si in zip(tr["ic_s"], tr["strike_index_pct"]):
                k = int(np.ceil(ic * rate))
                assert abs(100.0 * cop_ap[k] - si) <= 1.0


def test_walk_force_two_humps_and_double_support():
    rec = simulate(layout="pedar-99", task="walk", duration_s=20, seed=2, noise=0.0)
    bw = SimulationParams().body_weight_n
    left = rec.feet["left"]
    force = _force_n(left) / bw
    tr = rec.truth["left"]
    t = left.t_host_s
    humps = []
    for ic, to in zip(tr["ic_s"][1:-1], tr["to_s"][1:-1]):
        seg = force[(t >= ic) & (t <= to)]
        peaks, _ = find_peaks(seg, prominence=0.1)
        assert len(peaks) == 2
        humps.extend(seg[peaks])
        valley = seg[peaks[0]:peaks[1]].min()
        assert valley < 1.0
    # two humps around 1.1-1.2 body weight (each step varies by a few percent)
    assert 1.1 <= np.median(humps) <= 1.2
    assert 1.0 <= min(humps) and max(humps) <= 1.3
    # double support: right IC happens before left TO
    right = rec.truth["right"]
    overlaps = [(right["ic_s"][(right["ic_s"] > ic) & (right["ic_s"] < to)]).size for ic, to in zip(tr["ic_s"], tr["to_s"])]
    assert np.mean(np.array(overlaps) > 0) > 0.8
    assert tr["ic_s"].size >= 15


@pytest.mark.parametrize(("pattern", "impact"), [("RFS", True), ("FFS", False), ("MFS", False)])
def test_run_impact_transient_and_flight(pattern, impact):
    rec = simulate(layout="fscan-60x21", task="run", strike_pattern=pattern, duration_s=8, rate_hz=500, seed=4, noise=0.0)
    bw = SimulationParams().body_weight_n
    foot = rec.feet["left"]
    force = _force_n(foot) / bw
    t = foot.t_host_s
    tr = rec.truth["left"]
    for ic, to in zip(tr["ic_s"][1:-1], tr["to_s"][1:-1]):
        seg = force[(t >= ic) & (t <= to)]
        first = seg[: int(0.25 * seg.size)]
        peaks, _ = find_peaks(first, prominence=0.1)
        assert (len(peaks) > 0) == impact
        assert 2.0 <= seg.max() <= 3.0
    right = rec.truth["right"]
    # flight: after a left toe-off both feet are unloaded before the right foot lands
    for to in tr["to_s"][1:-1]:
        nxt = right["ic_s"][right["ic_s"] > to]
        assert nxt.size == 0 or nxt[0] - to > 0.02


def test_same_seed_same_recording_and_streaming_equals_memory(tmp_path):
    kw = dict(layout="moticon-16", task="walk", duration_s=5, seed=9, noise=2.0, drop_rate=0.01, hysteresis=0.2)
    a = simulate(**kw)
    b = simulate(**kw)
    np.testing.assert_array_equal(a.feet["left"].values, b.feet["left"].values)
    path = simulate(tmp_path / "s.h5", **kw)
    c = read_recording(path)
    for foot in ("left", "right"):
        np.testing.assert_array_equal(a.feet[foot].values, c.feet[foot].values)
        np.testing.assert_array_equal(a.feet[foot].seq, c.feet[foot].seq)
        np.testing.assert_array_equal(a.feet[foot].gaps, c.feet[foot].gaps)
    np.testing.assert_array_equal(a.truth["left"]["ic_s"], c.truth["left"]["ic_s"])
    assert c.truth["params"]["seed"] == 9
    lost = int(c.feet["left"].gaps["n_missing"].sum())
    assert lost > 0 and lost + c.feet["left"].n_frames == 500


def test_frame_drops_are_gaps_not_interpolated():
    rec = simulate(layout="diy-fsr-16", task="walk", duration_s=10, seed=1, drop_rate=0.05)
    foot = rec.feet["left"]
    assert np.all(np.diff(foot.seq.astype(np.int64)) >= 1)
    assert int(foot.gaps["n_missing"].sum()) == 1000 - foot.n_frames


def test_adc_counts_with_calibration():
    rec = simulate(layout="diy-fsr-8", task="walk", duration_s=4, seed=1, adc_bits=12, noise=0)
    foot = rec.feet["left"]
    assert foot.values.dtype == np.uint16 and foot.unit == "count" and foot.calibration is not None
    assert foot.values.max() <= 4095
    ideal = simulate(layout="diy-fsr-8", task="walk", duration_s=4, seed=1, noise=0).feet["left"]
    gain = foot.calibration.gain[0]
    np.testing.assert_allclose(foot.physical(), ideal.physical(), atol=gain / 2 + 1e-6)


def test_static_split():
    rec = simulate(layout="pedar-99", task="static", static_left_share=0.6, static_forefoot_share=0.3, seed=0, noise=0)
    fl, fr = _force_n(rec.feet["left"]).mean(), _force_n(rec.feet["right"]).mean()
    assert fl / (fl + fr) == pytest.approx(0.6, abs=0.01)


@pytest.mark.parametrize("layout", ["pedar-99", "moticon-16", "gaitpdb-8"])
def test_heel_raise_truth(layout):
    rec = simulate(layout=layout, task="heel-raise", reps=10, partial_reps=2, assists=1, fatigue_drift=1.0, seed=3, noise=0)
    hr = rec.truth["heel_raise"]
    assert hr["n_valid_reps"] == 10 and hr["valid"].size == 12
    classes = [c for c, v in zip(hr["end_class"], hr["valid"]) if v]
    assert classes[0] == "hallux/first ray" and classes[-1] == "lateral drift"
    assert hr["fatigue_drift"] is True or hr["fatigue_drift"] == 1
    assert hr["assist_s"].size == 1
    other = _force_n(rec.feet["right"])
    assert other.max() > 100  # the assist touches down
    # during the top window the heel is unloaded
    lay = rec.feet["left"].layout
    f = rec.feet["left"].physical() * (np.asarray(lay.area_mm2) * 1e-3 if lay.kind == "pressure_kpa" else 1.0)
    heel = f @ (np.asarray(lay.region_weights)[:, :2].sum(1))
    t = rec.feet["left"].t_host_s
    for a, b, v in zip(hr["top_start_s"], hr["top_end_s"], hr["valid"]):
        if v:
            win = (t > a + 0.02) & (t < b - 0.02)
            assert (heel[win] / f[win].sum(1)).max() < 0.05


def test_bad_parameters_one_line():
    from insole.exceptions import InsoleError

    with pytest.raises(InsoleError, match="task"):
        SimulationParams(task="dance")
    with pytest.raises(InsoleError, match="toe-off-route"):
        SimulationParams(toe_off_route="sideways")

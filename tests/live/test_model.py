"""LiveState: stance hysteresis, COP trail per step, bounded ring buffers, counters; LiveView draws in place."""

from __future__ import annotations

import numpy as np
import pytest

from insole.layout import get_layout
from insole.live import LiveState, LiveView, hysteresis, make_figure
from insole.live.view import _decimate

RATE_HZ = 1000.0
LAYOUT = "diy-fsr-16"


def _layouts(name: str = LAYOUT) -> dict:
    return {f: get_layout(name, side=f) for f in ("left", "right")}


def _feed(state: LiveState, foot: str, values: np.ndarray, t0_s: float = 0.0, block: int = 20) -> None:
    t = t0_s + np.arange(values.shape[0]) / RATE_HZ
    for i0 in range(0, values.shape[0], block):
        state.on_frames(foot, t[i0:i0 + block], values[i0:i0 + block])


def _two_sensor_steps(layout, n_steps: int, *, swing_s: float = 0.5, heel_s: float = 0.15, fore_s: float = 0.15):
    """Steps loading two heel sensors, then two forefoot sensors; COP truth per phase is the pair's mean position."""
    ap = np.asarray(layout.ap)
    heel = np.argsort(ap)[:2]
    fore = np.argsort(ap)[-2:]
    n_sw, n_h, n_f = (round(x * RATE_HZ) for x in (swing_s, heel_s, fore_s))
    step = np.zeros((n_h + n_f + n_sw, layout.n_sensors), np.uint16)
    step[:n_h, heel] = 1000
    step[n_h:n_h + n_f, fore] = 1000
    values = np.concatenate([np.zeros((n_sw, layout.n_sensors), np.uint16)] + [step] * n_steps)
    ic_s = n_sw / RATE_HZ + np.arange(n_steps) * step.shape[0] / RATE_HZ
    cop_heel = np.array([ap[heel].mean(), np.asarray(layout.ml)[heel].mean()])
    cop_fore = np.array([ap[fore].mean(), np.asarray(layout.ml)[fore].mean()])
    return values, ic_s, cop_heel, cop_fore, (n_h, n_f, n_sw)


def test_hysteresis_matches_a_plain_state_machine():
    rng = np.random.default_rng(1)
    f = np.cumsum(rng.normal(0, 3, 5000))
    for state0 in (False, True):
        got = hysteresis(f, 10.0, 4.0, state0)
        s, ref = state0, []
        for x in f:
            s = True if x > 10.0 else False if x < 4.0 else s
            ref.append(s)
        assert np.array_equal(got, ref)
        assert 0 < got.sum() < got.size  # the walk crosses both thresholds


def test_cop_trail_resets_at_each_new_step():
    lays = _layouts()
    values, ic_s, cop_heel, cop_fore, (n_h, n_f, _n_sw) = _two_sensor_steps(lays["left"], 3)
    state = LiveState(lays)
    one_step = n_h + n_f + int(0.5 * RATE_HZ)
    # first step, stopped in its heel phase: the trail is the heel COP only
    _feed(state, "left", values[: int(0.5 * RATE_HZ) + 100])
    snap = state.snapshot().feet["left"]
    assert snap.steps == 1 and snap.in_stance
    assert snap.last_ic_s == pytest.approx(ic_s[0], abs=1.5e-3)
    assert snap.trail_ap_ml.shape == (100, 2)
    np.testing.assert_allclose(snap.trail_ap_ml, np.tile(cop_heel, (100, 1)), atol=1e-9)
    np.testing.assert_allclose(snap.cop_ap_ml, cop_heel, atol=1e-9)
    # the rest of step 1 (into its swing): the trail is the whole stance, heel then forefoot, kept through swing
    i1 = int(0.5 * RATE_HZ) + one_step - 10
    _feed(state, "left", values[int(0.5 * RATE_HZ) + 100: i1], t0_s=(int(0.5 * RATE_HZ) + 100) / RATE_HZ)
    snap = state.snapshot().feet["left"]
    assert not snap.in_stance and snap.cop_ap_ml is None
    assert snap.trail_ap_ml.shape == (n_h + n_f, 2)
    np.testing.assert_allclose(snap.trail_ap_ml[0], cop_heel, atol=1e-9)
    np.testing.assert_allclose(snap.trail_ap_ml[-1], cop_fore, atol=1e-9)
    # step 2 begins: the trail starts again from its initial contact
    i2 = int(0.5 * RATE_HZ) + one_step + 30
    _feed(state, "left", values[i1:i2], t0_s=i1 / RATE_HZ)
    snap = state.snapshot().feet["left"]
    assert snap.steps == 2
    assert snap.last_ic_s == pytest.approx(ic_s[1], abs=1.5e-3)
    assert snap.trail_ap_ml.shape == (30, 2)
    np.testing.assert_allclose(snap.trail_ap_ml, np.tile(cop_heel, (30, 1)), atol=1e-9)
    # the whole stream in one block gives the same as block by block
    whole = LiveState(lays)
    whole.on_frames("left", np.arange(i2) / RATE_HZ, values[:i2])
    w = whole.snapshot().feet["left"]
    assert w.steps == 2 and np.array_equal(w.trail_ap_ml, snap.trail_ap_ml)


def test_no_new_step_within_the_refractory_period():
    lays = _layouts()
    lay = lays["left"]
    heel = np.argsort(np.asarray(lay.ap))[:2]
    v = np.zeros((1200, lay.n_sensors), np.uint16)
    v[500:700, heel] = 1000  # contact at 500 ms
    v[560:570] = 0  # off and on again 70 ms after the contact: within T_stance_min (80 ms), not a new step
    v[740:900, heel] = 1000  # a new contact 240 ms after the first
    state = LiveState(lays)
    _feed(state, "left", v)
    snap = state.snapshot().feet["left"]
    assert snap.steps == 2  # the contacts at 500 and 740 ms; the one at 570 ms is ignored
    assert snap.last_ic_s == pytest.approx(0.740, abs=1.5e-3)


def test_ring_buffers_are_bounded_and_counts_add_up():
    from insole.simulate import simulate

    rec = simulate(layout=LAYOUT, task="walk", duration_s=12, rate_hz=RATE_HZ, seed=3, adc_bits=12)
    lays = _layouts()
    state = LiveState(lays, window_s=2.0, trail_max_s=0.3, max_rate_hz=RATE_HZ)
    sizes = []
    for f in ("left", "right"):
        vals = np.asarray(rec.feet[f].values)
        _feed(state, f, vals[:1000], block=37)
        sizes.append(state.memory_bytes())
        _feed(state, f, vals[1000:], t0_s=1.0, block=37)
        sizes.append(state.memory_bytes())
    assert sizes[0] == sizes[1] and sizes[2] == sizes[3] == 2 * sizes[0]
    # 2 feet x (t + force: 2000 floats each, trail: 300 x 2 floats, baseline history: 30 s x 20 bins/s (+2) x 3)
    assert sizes[-1] == 2 * (2 * 2000 + 600 + 602 * 3) * 8
    snap = state.snapshot()
    n = np.asarray(rec.feet["left"].values).shape[0]
    for fs in snap.feet.values():
        assert fs.frames_in == n
        assert fs.t_s.size == fs.force.size == 2000
        assert np.all(np.diff(fs.t_s) > 0)
        assert fs.t_s[-1] == pytest.approx((n - 1) / RATE_HZ)
        assert fs.t_s[-1] - fs.t_s[0] == pytest.approx(1.999)
        assert fs.trail_ap_ml.shape[0] <= 300
        assert fs.frames_per_s == pytest.approx(RATE_HZ, rel=1e-6)
    assert state.frames_in == {"left": n, "right": n}
    assert state.draws == 0 and state.note_draw() == 1 and state.snapshot().draws == 1


def test_calibrated_force_and_steps_match_the_simulation_truth():
    from insole.simulate import simulate

    rec = simulate(layout=LAYOUT, task="walk", duration_s=6, rate_hz=RATE_HZ, seed=0, adc_bits=12)
    lays = _layouts()
    cals = {f: rec.feet[f].calibration for f in ("left", "right")}
    state = LiveState(lays, cals, window_s=6.0, body_mass_kg=rec.metadata.body_mass_kg)
    assert state.force_unit == "N" and state.pressure_unit == "kPa"
    for f in ("left", "right"):
        _feed(state, f, np.asarray(rec.feet[f].values), block=25)
    snap = state.snapshot()
    for f in ("left", "right"):
        truth = rec.truth[f]
        fs = snap.feet[f]
        assert fs.steps == len(truth["ic_s"])
        # the live contact is the hysteresis-on crossing (b + 5 % BW): a few ms after the true contact, never before
        assert 0.0 <= fs.last_ic_s - truth["ic_s"][-1] < 0.03
        assert np.nanmax(fs.force) == pytest.approx(max(truth["peak_force_n"]), rel=0.05)


def test_view_updates_its_artists_in_place_and_blits(tmp_path):
    from insole.simulate import simulate

    rec = simulate(layout="pedar-99", task="walk", duration_s=2, rate_hz=200, seed=0, adc_bits=12)
    lays = _layouts("pedar-99")
    state = LiveState(lays)
    fig, interactive = make_figure(interactive=False)
    assert not interactive
    view = LiveView(fig, lays, window_s=2.0, title="test")
    panels = [*(view.cells[f].axes for f in ("left", "right")), view.ax_force]  # the colour bar redraws its own
    artists = [list(ax.get_children()) for ax in panels]
    vals = {f: np.asarray(rec.feet[f].values) for f in ("left", "right")}
    t = np.arange(vals["left"].shape[0]) / 200.0
    for i0 in range(0, t.size, 10):
        for f in ("left", "right"):
            state.on_frames(f, t[i0:i0 + 10], vals[f][i0:i0 + 10])
        view.update(state.snapshot())
    assert [list(ax.get_children()) for ax in panels] == artists  # no artist created per frame
    assert view.full_draws + view.blits == t.size // 10
    assert view.full_draws <= 12 < view.blits  # full redraws only when the scales grow
    png = view.save_png(tmp_path / "v.png")
    import matplotlib.image

    img = matplotlib.image.imread(png)
    assert img.shape[0] == 700 and img.shape[1] == 900
    assert img[..., :3].std() > 0.05  # something was drawn
    import re

    assert re.search(r"L +200/s in \d+ lost 0 steps \d", view.status.get_text())  # updated 4 times a second


def test_decimate_keeps_the_newest_samples_and_the_peaks():
    x = np.arange(10_000) / 1000.0
    y = np.zeros_like(x)
    y[1234] = 5.0
    xs, ys = _decimate(x, y, 1000)
    assert xs.size <= 1000 and xs[-1] == x[-1] and ys.max() == 5.0


def _standing(layout, rate_hz: float, *, walk_steps: int, stand_s: float, seed: int = 0):
    """``walk_steps`` steps (0.3 s stance, 0.5 s swing), then one foot loaded without a break for ``stand_s``.

    Noisy counts (±10 per loaded sensor and frame) so that a baseline that creeps up to the standing load makes the
    noise cross the thresholds.  Returns (time, values, standing onset time).
    """
    rng = np.random.default_rng(seed)
    loaded = np.argsort(np.asarray(layout.ap))[[0, 1, -2, -1]]
    n_sw, n_st = round(0.5 * rate_hz), round(0.3 * rate_hz)
    step = np.zeros((n_st + n_sw, layout.n_sensors))
    step[:n_st, loaded] = 1000.0
    stand = np.zeros((round(stand_s * rate_hz), layout.n_sensors))
    stand[:, loaded] = 600.0
    values = np.concatenate([np.zeros((n_sw, layout.n_sensors))] + [step] * walk_steps + [stand])
    on = values > 0
    values[on] += rng.integers(-10, 11, int(on.sum()))  # noise on the loaded sensors (a quiet swing)
    values = values.astype(np.uint16)
    return np.arange(values.shape[0]) / rate_hz, values, (n_sw + walk_steps * (n_st + n_sw)) / rate_hz


@pytest.mark.parametrize("rate_hz", [1000.0, 100.0])
@pytest.mark.parametrize("walk_steps", [0, 4])
def test_standing_still_counts_one_step_and_keeps_the_thresholds(rate_hz, walk_steps):
    lays = _layouts()
    # 35 s: past the 30 s baseline window, where the history holds nothing but the standing
    t, values, stand_t0 = _standing(lays["left"], rate_hz, walk_steps=walk_steps, stand_s=35.0)
    state = LiveState(lays)
    block = max(1, round(0.04 * rate_hz))
    seen = []
    for k, i0 in enumerate(range(0, t.size, block)):
        state.on_frames("left", t[i0:i0 + block], values[i0:i0 + block])
        if k % 5 == 0 or t[i0] < stand_t0 + 0.1:  # a look every 0.2 s (the thresholds change every 0.25 s)
            fs = state.snapshot().feet["left"]
            seen.append((t[min(i0 + block, t.size) - 1], fs.steps, fs.threshold_on, fs.threshold_off))
    steps_at_stand = max(s for tt, s, _on, _off in seen if tt < stand_t0)
    fs = state.snapshot().feet["left"]
    assert steps_at_stand == walk_steps
    assert fs.steps == walk_steps + 1  # the standing stance is one step, however long it lasts
    assert fs.in_stance
    # the walking load is 4000 counts (standing 2400): on/off stay near 5 %/3 % of it above a zero baseline
    for tt, _s, on, off in seen:
        if tt >= stand_t0 + 1.0:
            assert 100 < on < 300 and 60 < off < on, (tt, on, off)
    # the trail is the whole standing stance (its last trail_max_s), never reset
    assert fs.trail_ap_ml.shape[0] >= round(3.0 * rate_hz)  # not reset within the last 3 s


def test_baseline_follows_drift_over_a_time_window_not_a_frame_count():
    """A 30 s sliding baseline (science.md §2.2): a pre-load that appears is followed within ~30 s at any rate."""
    lays = _layouts()
    lay = lays["left"]
    loaded = np.argsort(np.asarray(lay.ap))[[0, 1, -2, -1]]
    for rate_hz in (1000.0, 100.0):
        n_sw, n_st = round(0.5 * rate_hz), round(0.3 * rate_hz)
        step = np.zeros((n_sw + n_st, lay.n_sensors), np.uint16)
        step[n_sw:, loaded] = 1000
        steps = np.concatenate([step] * 78)  # 62.4 s of walking
        steps[round(20 * rate_hz):, loaded[0]] += 50  # a 50-count pre-load from 20 s on (e.g. lacing)
        t = np.arange(steps.shape[0]) / rate_hz
        state = LiveState(lays)
        block = round(0.1 * rate_hz)
        bs = {}
        for i0 in range(0, t.size, block):
            state.on_frames("left", t[i0:i0 + block], steps[i0:i0 + block])
            tt = round(float(t[min(i0 + block, t.size) - 1]))
            if tt in (19, 30, 60) and tt not in bs:
                bs[tt] = state.snapshot().feet["left"].baseline
        assert bs[19] == pytest.approx(0, abs=1)
        assert bs[30] == pytest.approx(0, abs=1)  # 5th percentile of 30 s: 10 s of pre-load is not enough
        assert bs[60] == pytest.approx(50, abs=1)
        assert state.snapshot().feet["left"].steps == 78

"""The wiring walk-through, fed with synthetic presses (the CLI run over a pty is in test_e2e.py, slow)."""

from __future__ import annotations

import numpy as np
import pytest

from insole.acquisition.check import ChannelCheck, ChannelMap, press_tour_values
from insole.exceptions import InsoleError


def _walk(values, rate=100.0, **kwargs):
    check = ChannelCheck(values.shape[1], rate_hz=rate, **kwargs)
    events = check.feed(np.arange(values.shape[0]) / rate, values)
    return check, events


@pytest.mark.parametrize("inverted", [True, False])
def test_straight_wiring_is_confirmed(inverted):
    check, events = _walk(press_tour_values(8, 100.0, inverted=inverted))
    assert events[0] == "baseline" and events[-1] == "done"
    cmap, problems = check.channel_map("diy-fsr-8")
    assert not problems and cmap.is_identity()
    assert all(r.ok and r.confidence > 10 for r in check.results)


def test_swapped_wires_give_the_permutation(tmp_path):
    wiring = np.arange(16)
    wiring[[3, 11]] = [11, 3]
    check, events = _walk(press_tour_values(16, 100.0, wiring=wiring))
    assert "pressed 3 11" in events and "pressed 11 3" in events
    cmap, problems = check.channel_map("diy-fsr-16")
    assert not problems and cmap.for_foot("left").tolist() == wiring.tolist()
    path = cmap.save(tmp_path / "map.json")
    again = ChannelMap.load(path)
    assert again.layout == "diy-fsr-16" and again.for_foot("right").tolist() == wiring.tolist()
    values = np.arange(16)[None, :] * 10
    assert again.apply("left", values)[0, 3] == 110  # sensor 3's value was on channel 11
    with pytest.raises(InsoleError, match="exists"):
        cmap.save(path)


def test_a_subset_keeps_the_other_channels():
    wiring = np.arange(8)
    wiring[[1, 2]] = [2, 1]
    check, _ = _walk(press_tour_values(8, 100.0, wiring=wiring), sensors=[0, 1])
    cmap, problems = check.channel_map("diy-fsr-8")
    assert not problems
    assert cmap.for_foot("left").tolist() == [0, 2, 1, 3, 4, 5, 6, 7]  # channel 1 freed by sensor 1 goes to sensor 2


def test_missed_presses_and_shared_channels_are_problems():
    rest = press_tour_values(4, 100.0, hold_s=0.0)[:400]  # nobody presses
    check, events = _walk(rest, timeout_s=0.5, sensors=[0, 1])
    assert events[-1] == "done" and "timeout 0" in events
    assert check.channel_map("x")[0] is None
    wiring = np.array([0, 0, 2, 3])  # sensors 0 and 1 both on channel 0
    check, _ = _walk(press_tour_values(4, 100.0, wiring=wiring))
    cmap, problems = check.channel_map("x")
    assert cmap is None and "both answered on channel 0" in problems[0]


def test_channel_map_files_are_checked(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "something else"}')
    with pytest.raises(InsoleError, match="not a channel map"):
        ChannelMap.load(bad)
    with pytest.raises(InsoleError, match="does not exist"):
        ChannelMap.load(tmp_path / "missing.json")
    with pytest.raises(InsoleError, match="permutation"):
        ChannelMap("x", {"*": np.array([0, 0, 1])}).validate(3)

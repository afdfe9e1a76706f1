"""The synthetic recordings in recordings/ are what the simulator makes from their stored parameters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from insole.simulate import simulate
from insole.store import read_recording

SYNTHETIC = sorted((Path(__file__).resolve().parents[2] / "recordings" / "synthetic").glob("*.h5"))


def test_the_three_tasks_ship():
    tasks = {read_recording(p).truth["params"]["task"] for p in SYNTHETIC}
    assert {"walk", "run", "heel-raise"} <= tasks


@pytest.mark.parametrize("path", SYNTHETIC, ids=lambda p: p.name)
def test_regenerates_identically(path):
    stored = read_recording(path)
    params = dict(stored.truth["params"])
    fresh = simulate(**params)
    for foot in ("left", "right"):
        np.testing.assert_array_equal(stored.feet[foot].values, fresh.feet[foot].values)
        np.testing.assert_array_equal(stored.feet[foot].t_host_s, fresh.feet[foot].t_host_s)


def test_walk_has_thirty_steps_per_foot():
    walk = next(p for p in SYNTHETIC if p.name.startswith("walk"))
    truth = read_recording(walk).truth
    assert truth["left"]["ic_s"].size >= 30 and truth["right"]["ic_s"].size >= 30

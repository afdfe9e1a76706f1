"""Single-leg balance against simulated truth; /derived storage and the report reading it."""

from __future__ import annotations

import hashlib

import h5py
import numpy as np
import pytest

from insole.foot_tests import (
    FootTestError,
    analyze_balance,
    analyze_heel_raise,
    balance_symmetry,
    read_derived,
    write_derived,
)
from insole.simulate import simulate


@pytest.mark.parametrize("layout", ["pedar-99", "moticon-16", "diy-fsr-8", "loadsol-3", "fscan-60x21"])
def test_balance_ranges_and_touchdowns_match_truth(layout):
    rec = simulate(layout=layout, task="balance", duration_s=15, rate_hz=50, touchdowns=2, foot="right", seed=2)
    truth = rec.truth["balance"]
    s = analyze_balance(rec, "right", duration_s=30).summary
    assert s["cop_ml_range_mm"] == pytest.approx(truth["cop_ml_range_mm"], rel=0.15)
    assert s["cop_ap_range_mm"] == pytest.approx(truth["cop_ap_range_mm"], rel=0.15)
    assert s["n_touchdowns"] == len(truth["touchdown_s"]) == 2
    assert np.allclose(s["touchdown_s"], truth["touchdown_s"], atol=0.1)
    assert 2.0 < s["cop_ml_velocity_mm_s"] < 40.0 and s["cop_velocity_mm_s"] >= s["cop_ml_velocity_mm_s"]


def test_balance_window_duration_and_errors():
    rec = simulate(layout="moticon-16", task="balance", duration_s=12, rate_hz=50, seed=3)
    res = analyze_balance(rec, "left", duration_s=5)
    assert res.summary["duration_s"] == pytest.approx(5.0, abs=0.05) and res.summary["n_touchdowns"] == 0
    with pytest.raises(FootTestError, match="right foot reads zero"):
        analyze_balance(rec, "right")
    with pytest.raises(FootTestError, match="must be positive"):
        analyze_balance(rec, "left", duration_s=0)


def test_balance_symmetry():
    sym = balance_symmetry({"cop_ml_range_mm": 10.0, "cop_ml_velocity_mm_s": 5.0}, {"cop_ml_range_mm": 10.0, "cop_ml_velocity_mm_s": 6.0})
    assert sym["cop_ml_range_mm_sa_pct"] == pytest.approx(0.0) and sym["cop_ml_velocity_mm_s_sa_pct"] > 0


def _raw_digest(path) -> str:
    h = hashlib.sha1()
    with h5py.File(path, "r") as f:
        for foot in f["raw"]:
            for name in sorted(f["raw"][foot]):
                h.update(np.ascontiguousarray(f["raw"][foot][name][()]).tobytes())
    return h.hexdigest()


def test_results_go_to_derived_without_touching_raw_data_and_the_report_reads_them(tmp_path):
    from insole.report import load_session
    from insole.report.findings import read_heel_raise

    path = simulate(tmp_path / "hr.h5", layout="moticon-16", task="heel-raise", reps=10, fatigue_drift=1.0, assists=1,
                    rate_hz=50, seed=7)
    before = _raw_digest(path)
    res = analyze_heel_raise(path, "left")
    write_derived(path, "heel_raise", "left", res.to_tree())
    write_derived(path, "heel_raise", "left", res.to_tree())  # replaced, not duplicated
    assert _raw_digest(path) == before
    tree = read_derived(path, "heel_raise")
    assert set(tree) == {"left"} and tree["left"]["n_valid_reps"] == 10
    assert list(tree["left"]["end_class"]) == list(res.reps["end_class"])
    # the other foot's result arrives later: both are kept, with their symmetry
    write_derived(path, "heel_raise", "right", {**res.to_tree(), "foot": "right", "n_valid_reps": 8}, symmetry={"valid_reps_sa_pct": 7.0})
    tree = read_derived(path, "heel_raise")
    assert set(tree) == {"left", "right", "symmetry"}
    hr = read_heel_raise(load_session(path).derived["heel_raise"])
    assert hr["left"].valid_reps == 10 and hr["left"].fatigue_drift is True and hr["left"].assists == 1
    assert sum(hr["left"].end_counts.values()) == 10 and "lateral drift" in hr["left"].end_counts


def test_balance_result_feeds_the_report_findings(tmp_path):
    from insole.report.findings import assess

    path = simulate(tmp_path / "bal.h5", layout="pedar-99", task="balance", duration_s=10, rate_hz=50, touchdowns=1, seed=8)
    write_derived(path, "balance", "left", analyze_balance(path, "left").to_tree())
    tree = read_derived(path, "balance")
    a = assess({"task": "balance"}, balance=tree)
    assert any(f.topic == "balance" and f.text.key == "finding.balance_touchdowns" for f in a.findings)

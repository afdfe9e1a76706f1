"""Analysis validated against simulator truth (every preset) and against real recordings and vendors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from insole.analysis import analyze
from insole.layout import get_layout, list_layouts
from insole.simulate import simulate
from insole.store import read_recording

REPO = Path(__file__).resolve().parents[2]
RECORDINGS = REPO / "recordings"
PRESETS = [*list_layouts(), "grid-32x32-5.08"]
PATTERNS = ("RFS", "MFS", "FFS")
ROUTES = ("first-ray", "central", "lateral")


def _compare(path, rate):
    """Per truth step: matched analysis step (nearest initial contact)."""
    res = analyze(path)
    truth = read_recording(path).truth
    out = []
    for foot in ("left", "right"):
        steps = res.data["feet"][foot]["steps"]
        ic = np.array([s["ic_s"] for s in steps], float)
        tr = truth[foot]
        for k, t_ic in enumerate(tr["ic_s"]):
            j = int(np.nanargmin(np.abs(ic - t_ic)))
            assert abs(ic[j] - t_ic) < 0.1, f"{foot} step at {t_ic:.2f} s not found"
            out.append((steps[j], {key: tr[key][k] for key in ("ic_s", "to_s", "strike_index_pct", "strike_pattern", "toe_off_route")}))
    return out


def _check(pairs, rate, layout):
    sample = 1.0 / rate
    for step, truth in pairs:
        assert abs(step["ic_s"] - truth["ic_s"]) <= sample
        assert abs(step["to_s"] - truth["to_s"]) <= sample
        assert abs(step["strike_index_pct"] - truth["strike_index_pct"]) <= 3.0
    accuracy = np.mean([s["strike_pattern"] == t["strike_pattern"] for s, t in pairs])
    assert accuracy >= 0.95
    if get_layout(layout).is_measured("hallux"):
        assert np.mean([s["toe_off_route"] == t["toe_off_route"] for s, t in pairs]) >= 0.90
    else:
        assert {s["toe_off_route"] for s, _ in pairs} == {"not measured"}
        assert all(s["hallux_fti_share"] is None for s, _ in pairs)


@pytest.mark.parametrize("layout", PRESETS)
@pytest.mark.parametrize(("task", "rate"), [("walk", 100.0), ("run", 200.0)])
def test_against_truth_every_layout(tmp_path, layout, task, rate):
    i = PRESETS.index(layout)
    pattern, route = PATTERNS[i % 3], ROUTES[(i + 1) % 3]
    path = simulate(tmp_path / "s.h5", layout=layout, task=task, strike_pattern=pattern, toe_off_route=route,
                    duration_s=15, rate_hz=rate, seed=i)
    _check(_compare(path, rate), rate, layout)


@pytest.mark.slow
@pytest.mark.parametrize("layout", PRESETS)
@pytest.mark.parametrize(("task", "rate"), [("walk", 100.0), ("run", 200.0)])
@pytest.mark.parametrize("combo", range(3))
def test_against_truth_all_patterns_and_routes(tmp_path, layout, task, rate, combo):
    path = simulate(tmp_path / "s.h5", layout=layout, task=task, strike_pattern=PATTERNS[combo],
                    toe_off_route=ROUTES[combo], duration_s=20, rate_hz=rate, seed=7 + combo)
    _check(_compare(path, rate), rate, layout)


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    from insole.io import read

    out = tmp_path_factory.mktemp("real")

    def _imp(*names):
        rec = read([RECORDINGS / n for n in names] if len(names) > 1 else RECORDINGS / names[0])
        path = out / (Path(names[0]).stem + ".h5")
        if not path.exists():
            rec.save(path)
        return path, rec

    return _imp


@pytest.mark.parametrize(("name", "left", "right"), [("GaCo01_01", 97, 98), ("JuPt03_01", 46, 47)])
def test_gaitpdb_contact_counts(imported, name, left, right):
    path, _ = imported(f"gaitpdb/{name}.txt")
    res = analyze(path)
    counts = {foot: res.data["feet"][foot]["summary"]["n_steps_total"] for foot in ("left", "right")}
    assert abs(counts["left"] - left) <= 2 and abs(counts["right"] - right) <= 2, counts


def test_gaitpdb_control_stance_and_stride(imported):
    path, rec = imported("gaitpdb/GaCo01_01.txt")
    assert rec.metadata.group and "co" in rec.metadata.group.lower()
    res = analyze(path)
    for foot in ("left", "right"):
        s = res.data["feet"][foot]["summary"]
        assert 0.6 <= s["contact_time_s"]["mean"] <= 0.8
        assert 1.0 <= s["stride_time_s"]["mean"] <= 1.3


def test_moticon_against_vendor_gait_report(imported):
    path, rec = imported("moticon/230927_102114.txt", "moticon/gait_report_230927_10_21_14.xlsx")
    res = analyze(path)
    report = rec.reference["moticon"]["gait_report"]
    stride_diffs = []
    for foot in ("left", "right"):
        vendor_ic = np.asarray(report[foot]["initial_contact_s"], float)
        vendor_stride = np.asarray(report[foot]["stride_time_s"], float)
        steps = res.data["feet"][foot]["steps"]
        ic = np.array([s["ic_s"] for s in steps], float)
        matched = [int(np.nanargmin(np.abs(ic - v))) for v in vendor_ic]
        diff = ic[matched] - vendor_ic
        assert np.all(np.abs(diff) < 0.1), "every step of the vendor's report is found"
        offset = float(np.median(diff))
        print(f"{foot}: constant IC offset to the vendor {1000 * offset:+.1f} ms")
        assert np.max(np.abs(diff - offset)) <= 0.020
        ours = np.array([steps[j]["stride_time_s"] for j in matched], float)
        ok = np.isfinite(vendor_stride) & np.isfinite(ours)
        stride_diffs.extend(ours[ok] - vendor_stride[ok])
    assert abs(np.median(stride_diffs)) <= 0.005


def test_fscan_five_heel_strikes_per_foot(imported):
    path, _ = imported("fscan/FrasP01L.asf", "fscan/FrasP01R.asf")
    res = analyze(path)
    for foot in ("left", "right"):
        whole = [s for s in res.data["feet"][foot]["steps"] if "partial" not in s["flags"]]
        assert len(whole) == 5
        assert all(s["strike_pattern"] == "RFS" for s in whole)

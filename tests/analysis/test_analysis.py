"""The analysis: JSON contract, chunking, backends, bad input, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from insole import kernels
from insole.analysis import SCHEMA_VERSION, analyze, symmetry_angle_pct, symmetry_index_pct
from insole.cli import main
from insole.layout import get_layout
from insole.recording import FootData, Metadata, Recording
from insole.simulate import simulate


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    return simulate(tmp_path_factory.mktemp("w") / "walk.h5", layout="moticon-16", task="walk", duration_s=20, seed=4)


def test_json_contract(walk):
    data = json.loads(analyze(walk).to_json())
    assert set(data) >= {"schema_version", "feet", "symmetry", "warnings"} and data["schema_version"] == SCHEMA_VERSION
    for foot in ("left", "right"):
        fd = data["feet"][foot]
        step = fd["steps"][3]
        for key in ("ic_s", "to_s", "contact_time_s", "strike_index_pct", "strike_pattern", "toe_off_route",
                    "hallux_fti_share", "lmfi_mean", "excluded"):
            assert key in step
        s = fd["summary"]
        for key in ("n_steps", "cadence_spm", "contact_time_s", "stride_time_s", "strike_pattern_counts"):
            assert key in s
        for key in ("cadence_spm", "contact_time_s", "stride_time_s"):
            assert set(s[key]) == {"mean", "sd", "median"}
        assert 100 <= s["cadence_spm"]["mean"] <= 120  # simulated at 110 steps/min
    assert data["gait_mode"] == "walk"
    assert "contact_time_s" in data["symmetry"]


def test_chunked_equals_whole_file(walk):
    whole = analyze(walk)
    chunked = analyze(walk, block_frames=37)
    if kernels.BACKEND == "cython":
        assert whole.to_json() == chunked.to_json()  # bit for bit
    else:  # the readable NumPy twins sum in shape-dependent order: equal within rounding
        for foot in ("left", "right"):
            a, b = whole.data["feet"][foot]["steps"], chunked.data["feet"][foot]["steps"]
            assert [s["strike_pattern"] for s in a] == [s["strike_pattern"] for s in b]
            np.testing.assert_allclose([s["ic_s"] for s in a], [s["ic_s"] for s in b], rtol=1e-12)
            np.testing.assert_allclose([s["lmfi_mean"] for s in a], [s["lmfi_mean"] for s in b], rtol=1e-9)


def test_same_result_on_both_backends(walk, monkeypatch):
    if kernels.BACKEND != "cython":
        pytest.skip("compiled kernels not in use")
    compiled = analyze(walk).data
    monkeypatch.setattr(kernels, "BACKEND", "numpy")
    twin = analyze(walk).data
    for foot in ("left", "right"):
        a, b = compiled["feet"][foot]["steps"], twin["feet"][foot]["steps"]
        assert len(a) == len(b)
        for sa, sb in zip(a, b):
            assert sa["strike_pattern"] == sb["strike_pattern"] and sa["toe_off_route"] == sb["toe_off_route"]
            np.testing.assert_allclose([sa["ic_s"], sa["to_s"], sa["lmfi_mean"]], [sb["ic_s"], sb["to_s"], sb["lmfi_mean"]], rtol=1e-9)


def test_window_selects_steps(walk):
    full = analyze(walk).data["feet"]["left"]["summary"]["n_steps_total"]
    part = analyze(walk, start_s=5.0, end_s=12.0).data
    steps = part["feet"]["left"]["steps"]
    assert 0 < len(steps) < full
    assert part["window"]["source"].startswith("--start")


def test_symmetry_formulas():
    assert symmetry_angle_pct(1.0, 1.0) == 0.0
    assert symmetry_angle_pct(1.0, 1.1) > 0 and symmetry_index_pct(1.0, 1.1) == pytest.approx(100 * 0.1 / 1.05)
    assert np.isnan(symmetry_angle_pct(0.0, 1.0))


def _write(tmp_path, values_by_foot, rate=100.0, layout="pedar-99", task="walk"):
    feet = {}
    for foot, values in values_by_foot.items():
        n = values.shape[0]
        t = np.arange(n) / rate
        feet[foot] = FootData(values.astype(np.float32), "kPa", (t * 1e6).astype(np.int64), t, np.arange(n),
                              get_layout(layout, side=foot))
    path = tmp_path / "x.h5"
    Recording(feet, Metadata(task=task, sampling_rate_hz=rate, body_mass_kg=70.0)).save(path, overwrite=True)
    return path


def test_all_zero_recording_warns_not_crashes(tmp_path):
    path = _write(tmp_path, {"left": np.zeros((500, 99)), "right": np.zeros((500, 99))})
    data = analyze(path).data
    assert data["feet"]["left"]["steps"] == []
    assert any("all sensors read zero" in w for w in data["warnings"])
    assert any("no steps" in w for w in data["warnings"])
    assert data["feet"]["left"]["summary"]["contact_time_s"] if "contact_time_s" in data["feet"]["left"]["summary"] else True


def test_saturated_sensors_no_made_up_numbers(tmp_path):
    path = _write(tmp_path, {"left": np.full((500, 99), 1500.0)})
    data = json.loads(analyze(path).to_json())
    assert data["feet"]["left"]["summary"]["n_steps"] == 0
    assert any("one foot only" in w for w in data["warnings"])


def test_one_step_only(tmp_path):
    rec = simulate(layout="pedar-99", task="walk", duration_s=2.0, seed=1)
    rec.save(tmp_path / "one.h5")
    data = analyze(tmp_path / "one.h5").data
    for foot in ("left", "right"):
        assert data["feet"][foot]["summary"]["n_steps_total"] <= 2
    assert any("usable steps" in w for w in data["warnings"])


def test_layout_without_hallux_says_not_measured(tmp_path):
    path = simulate(tmp_path / "g.h5", layout="gaitpdb-8", task="walk", duration_s=8, seed=2)
    data = analyze(path).data
    step = data["feet"]["left"]["steps"][2]
    assert step["toe_off_route"] == "not measured" and step["hallux_fti_share"] is None
    assert data["feet"]["left"]["summary"]["regions"]["hallux"] == "not measured"


def test_cli_analyze_json_csv_write(tmp_path, walk):
    import shutil

    path = tmp_path / "w.h5"
    shutil.copy(walk, path)
    res = CliRunner().invoke(main, ["analyze", str(path), "--json", str(tmp_path / "a.json"), "--csv", str(tmp_path / "s.csv"), "--write"])
    assert res.exit_code == 0, res.output
    assert "left:" in res.output and "steps" in res.output
    data = json.loads((tmp_path / "a.json").read_text())
    assert data["feet"]["left"]["summary"]["n_steps"] > 5
    header = (tmp_path / "s.csv").read_text().splitlines()[0].split(",")
    assert {"foot", "ic_s", "contact_time_s", "strike_pattern"} <= set(header)
    from insole.store import open_recording

    with open_recording(path) as rec:
        stored = json.loads(rec.h5["derived/analyze"].attrs["json"])
        assert stored["schema_version"] == SCHEMA_VERSION
        assert rec.h5["derived/analyze/left/gait_line_insole"].shape[1:] == (101, 2)


def test_cli_analyze_bad_file(tmp_path):
    p = tmp_path / "bad.h5"
    p.write_text("nope")
    res = CliRunner().invoke(main, ["analyze", str(p)])
    assert res.exit_code == 2 and res.output.count("\n") == 1

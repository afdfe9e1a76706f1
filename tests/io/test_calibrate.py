"""Calibration builders (tare, standing, curves), calibration files and 'insole calibrate'."""

from __future__ import annotations

import json

import numpy as np
import pytest

from insole.calibration import (
    GRAVITY_M_S2,
    Calibration,
    CalibrationError,
    build_calibration,
    load_calibration,
    save_calibration,
)
from insole.features import FeatureSpec
from insole.layout import get_layout
from insole.store import read_recording


def _force(layout, cal, raw):
    return FeatureSpec.from_layout(layout, cal, floor_value=0.0).compute(np.asarray(raw, dtype=np.float64)).force_n


@pytest.fixture
def diy():
    return {foot: get_layout("diy-fsr-16", side=foot) for foot in ("left", "right")}


class TestBuild:
    def test_standing_scale_gives_body_weight(self, diy):
        rng = np.random.default_rng(0)
        tare = {f: 4095 - rng.integers(0, 5, (50, 16)) for f in diy}
        stand = {f: 4095 - rng.integers(200, 1500, (80, 16)) for f in diy}
        cals = build_calibration(diy, tare=tare, standing=stand, body_mass_kg=70, inverted=True)
        total = sum(_force(diy[f], cals[f], stand[f]).mean() for f in diy)
        assert total == pytest.approx(70 * GRAVITY_M_S2, rel=1e-9)
        assert np.all(cals["left"].gain < 0) and cals["left"].unit == "kPa"
        assert cals["left"].extra["body_mass_kg"] == 70 and cals["left"].extra["inverted"]

    def test_not_inverted_hint(self, diy):
        tare = {f: np.full((5, 16), 4095) for f in diy}
        stand = {f: np.full((5, 16), 3000) for f in diy}
        with pytest.raises(CalibrationError, match="add --inverted") as exc:
            build_calibration(diy, tare=tare, standing=stand, body_mass_kg=70)
        assert "\n" not in str(exc.value)

    def test_tare_alone_has_no_scale(self, diy):
        with pytest.raises(CalibrationError, match="no scale"):
            build_calibration(diy, tare={f: np.zeros((5, 16)) for f in diy})

    def test_curves_are_nonlinear_and_inverted(self, diy):
        curves = {"unit": "N", "sensors": {"*": {"counts": [4095, 3500, 2500, 1000], "load": [0, 5, 20, 80]}}}
        cals = build_calibration({"left": diy["left"]}, curves=curves, inverted=True, adc_max=4095)
        cal = cals["left"]
        assert not cal.is_linear
        area = diy["left"].area_mm2[0]
        kpa = cal.apply(np.array([[4095] * 16, [3500] * 16, [2500] * 16, [1750] * 16]))[:, 0]
        np.testing.assert_allclose(kpa * area * 1e-3, [0, 5, 20, 50])

    def test_curves_rescaled_by_standing(self, diy):
        curves = {"unit": "N", "sensors": {"*": {"counts": [0, 1000, 3000], "load": [0, 10, 15]}}}
        lay = {"left": diy["left"]}
        stand = {"left": np.full((10, 16), 2000.0)}
        cals = build_calibration(lay, curves=curves, standing=stand, body_mass_kg=10)
        assert _force(lay["left"], cals["left"], stand["left"]).mean() == pytest.approx(10 * GRAVITY_M_S2)

    def test_non_monotone_curve(self, diy):
        curves = {"unit": "N", "sensors": {"*": {"counts": [0, 1000, 3000], "load": [0, 10, 5]}}}
        with pytest.raises(CalibrationError, match="not monotone"):
            build_calibration({"left": diy["left"]}, curves=curves)


class TestFiles:
    def test_set_round_trip_and_single(self, tmp_path, diy):
        cal = Calibration("kPa", np.zeros(16), np.ones(16), source="x")
        save_calibration({"left": cal, "right": cal}, tmp_path / "set.json")
        back = load_calibration(tmp_path / "set.json")
        assert set(back) == {"left", "right"} and back["left"].to_dict() == cal.to_dict()
        save_calibration(cal, tmp_path / "one.json")
        assert set(load_calibration(tmp_path / "one.json")) == {"*"}

    @pytest.mark.parametrize("text", ["", "{", "[]", '{"schema": "insole-calibration-set", "feet": {"toe": {}}}'])
    def test_bad_files_are_one_line_errors(self, tmp_path, text):
        p = tmp_path / "bad.json"
        p.write_text(text)
        with pytest.raises(CalibrationError) as exc:
            load_calibration(p)
        assert "\n" not in str(exc.value)


def _csv(path, value, n=40):
    lines = ["# fw=test", "time_ms,frame_id," + ",".join(f"R_ch{i}" for i in range(16)) + ","
             + ",".join(f"L_ch{i}" for i in range(16)) + ",flags"]
    lines += [f"{k * 50},{k + 1}," + ",".join([str(value)] * 32) + ",0" for k in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_build_apply_and_reapply(tmp_path, cli, runner):
    tare = _csv(tmp_path / "tare.csv", 4095)
    stand = _csv(tmp_path / "stand.csv", 3095)
    walk = _csv(tmp_path / "walk.csv", 2095)
    cal = tmp_path / "cal.json"
    res = runner.invoke(cli, ["calibrate", "--tare", str(tare), "--standing", str(stand), "--body-mass", "80",
                              "--inverted", "--layout", "diy-fsr-16", "-o", str(cal)])
    assert res.exit_code == 0, res.output
    assert json.loads(cal.read_text())["schema"] == "insole-calibration-set"
    h5 = tmp_path / "walk.h5"
    assert runner.invoke(cli, ["import", str(walk), "--calibration", str(cal), "-o", str(h5)]).exit_code == 0
    rec = read_recording(h5)
    total = sum(_force(fd.layout, fd.calibration, fd.values).mean() for fd in rec.feet.values())
    assert total == pytest.approx(2 * 80 * GRAVITY_M_S2)  # twice the standing load above the tare
    np.testing.assert_array_equal(rec.feet["left"].values, 2095)

    cal2 = tmp_path / "cal2.json"
    assert runner.invoke(cli, ["calibrate", "--tare", str(tare), "--standing", str(stand), "--body-mass", "40",
                               "--inverted", "-o", str(cal2)]).exit_code == 0
    out = tmp_path / "re.h5"
    res = runner.invoke(cli, ["calibrate", "--apply", str(cal2), str(h5), "-o", str(out)])
    assert res.exit_code == 0, res.output
    re = read_recording(out)
    np.testing.assert_array_equal(re.feet["left"].values, rec.feet["left"].values)
    assert sum(_force(fd.layout, fd.calibration, fd.values).mean() for fd in re.feet.values()) == pytest.approx(80 * GRAVITY_M_S2)
    res = runner.invoke(cli, ["calibrate", "--apply", str(cal2), str(h5)])  # in place
    assert res.exit_code == 0 and read_recording(h5).feet["left"].calibration.extra["body_mass_kg"] == 40


def test_cli_errors_are_one_line(tmp_path, cli, runner):
    tare = _csv(tmp_path / "tare.csv", 4095)
    res = runner.invoke(cli, ["calibrate", "--tare", str(tare), "-o", str(tmp_path / "c.json")])
    assert res.exit_code == 2 and "no scale" in res.output and len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "c.json").exists()
    res = runner.invoke(cli, ["calibrate", "--apply", str(tmp_path / "missing.json"), str(tare)])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1

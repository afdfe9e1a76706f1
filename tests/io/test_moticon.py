"""Moticon OpenGo text export and gait report: real files, vendor force/COP/events, attachment."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from iodata import needs_shared

from insole.exceptions import InsoleError
from insole.features import FeatureSpec
from insole.io import identify, read
from insole.io.formats.moticon import read_gait_report

#: Vendor forces at or above this are compared (science.md 1.2: COP and force are vendor-zeroed below ~50 N).
MIN_FORCE_N = 50.0


@pytest.fixture(scope="module")
def walk(recordings):
    return read([recordings / "moticon" / "230927_102114.txt", recordings / "moticon" / "gait_report_230927_10_21_14.xlsx"])


def _force_error(rec, foot):
    fd = rec.feet[foot]
    ff = FeatureSpec.from_layout(fd.layout, fd.effective_calibration()).compute(fd.values)
    vendor = rec.reference["moticon"][foot]["total_force_n"]
    m = vendor >= MIN_FORCE_N
    return ff, np.abs(ff.force_n[m] - vendor[m]) / vendor[m]


class TestTextExport:
    def test_identified_by_content(self, recordings, tmp_path):
        src = recordings / "moticon" / "230927_102114.txt"
        assert identify(src) == "moticon"
        renamed = tmp_path / "walk.dat"
        shutil.copy(src, renamed)
        assert identify(renamed) == "moticon"

    def test_both_feet_sixteen_sensors_imu_size_7(self, walk):
        assert set(walk.feet) == {"left", "right"}
        for foot, fd in walk.feet.items():
            assert fd.values.shape[1] == 16 and fd.unit == "N/cm2" and fd.values.dtype == np.float32
            assert fd.layout.name == "moticon-16" and fd.layout.side == foot
            assert fd.imu.shape == (fd.n_frames, 6) and fd.imu_columns[0] == "acc_x_g"
            assert np.all(np.diff(fd.t_host_s) > 0)
        assert walk.metadata.insole_size == "7"
        assert walk.metadata.sampling_rate_hz == 100.0
        assert walk.metadata.recorded_at == "2023-09-27T10:21:14.922"

    def test_values_verbatim_and_kpa_on_read(self, walk, recordings):
        line = (recordings / "moticon" / "230927_102114.txt").read_text(encoding="utf-8").splitlines()[9]
        fields = line.split("\t")
        right = np.array(fields[26:42], dtype=float)
        np.testing.assert_array_equal(walk.feet["right"].values[0], right)
        np.testing.assert_allclose(walk.feet["right"].physical()[0], right * 10.0)

    def test_total_force_matches_vendor_within_1_percent(self, walk):
        for foot in walk.feet:
            _, err = _force_error(walk, foot)
            assert err.size > 1000
            assert err.max() < 0.01, f"{foot}: max {err.max():.4f}"

    def test_cop_zero_zero_is_missing(self, walk):
        for foot in walk.feet:
            ref = walk.reference["moticon"][foot]
            low = ref["total_force_n"] < 40
            assert np.all(np.isnan(ref["cop_ap"][low])) and np.all(np.isnan(ref["cop_ml"][low]))
            ff, _ = _force_error(walk, foot)
            both = np.isfinite(ref["cop_ap"]) & np.isfinite(ff.cop[:, 0])
            assert np.abs(ff.cop[both, 0] - ref["cop_ap"][both]).max() < 2e-3
            assert np.abs(ff.cop[both, 1] - ref["cop_ml"][both]).max() < 2e-3

    def test_late_insole_start_is_a_leading_gap(self, walk):
        left = walk.feet["left"]
        lead = left.gaps[left.gaps["index"] == -1]
        assert lead.size == 1 and lead["n_missing"][0] > 0 and lead["first_seq"][0] == 0
        assert left.seq[0] == lead["n_missing"][0]
        assert walk.feet["right"].seq[0] == 0

    def test_step_events_agree_with_gait_report(self, walk):
        events = walk.reference["moticon"]["events"]
        report = walk.reference["moticon"]["gait_report"]
        for foot in ("left", "right"):
            ic = report[foot]["initial_contact_s"]
            hs = events[foot]["heel_strike_s"]
            near = np.abs(hs[:, None] - ic[None, :]).min(axis=1)
            assert np.all(near <= 0.005 + 1e-9)

    def test_saved_and_loaded(self, walk, tmp_path):
        from insole.store import read_recording

        walk.save(tmp_path / "w.h5")
        back = read_recording(tmp_path / "w.h5")
        rep = back.reference["moticon"]["gait_report"]
        np.testing.assert_array_equal(rep["right"]["toe_off_s"], walk.reference["moticon"]["gait_report"]["right"]["toe_off_s"])
        assert back.metadata.speed_m_s == pytest.approx(1.1229, abs=1e-3)


class TestGaitReport:
    def test_per_step_tables(self, recordings):
        rep = read_gait_report(recordings / "moticon" / "gait_report_230927_10_21_14.xlsx")
        assert rep["left"]["initial_contact_s"].size == rep["right"]["initial_contact_s"].size == 7
        assert rep["left"]["columns"][1] == "Initial contact (s)"
        assert rep["summary"]["general"]["number_of_steps"][0] == 14
        assert rep["right"]["initial_contact_s"][0] == pytest.approx(3.804)

    def test_report_alone_is_not_a_recording(self, recordings):
        with pytest.raises(InsoleError, match="gait report") as exc:
            read(recordings / "moticon" / "gait_report_230927_10_21_14.xlsx")
        assert "\n" not in str(exc.value)

    def test_report_of_another_walk_is_refused(self, recordings, tmp_path):
        other = tmp_path / "gait_report_230927_11_00_00.xlsx"
        shutil.copy(recordings / "moticon" / "gait_report_230927_10_21_14.xlsx", other)
        with pytest.raises(InsoleError, match="matching report"):
            read([recordings / "moticon" / "230927_102114.txt", other])


@needs_shared
class TestSharedData:
    def test_walk_with_manual_events_size_3(self, shared):
        rec = read(shared / "moticon" / "walk_data_with_events" / "text_export.txt")
        assert rec.metadata.insole_size == "3"
        from insole.layout import get_layout

        np.testing.assert_array_equal(rec.feet["left"].layout.area_mm2, get_layout("moticon-16", size=3).area_mm2)
        ev = rec.reference["moticon"]["events"]["left"]
        np.testing.assert_array_equal(ev["manual_value"][:2], [1.0, 2.0])
        assert list(ev["manual_label"][:2]) == ["Event", "Event"]
        assert "cop_velocity" in rec.reference["moticon"]["left"]
        for foot in rec.feet:
            _, err = _force_error(rec, foot)
            assert err.max() < 0.01

    def test_shared_copy_equals_recordings_copy(self, shared, recordings):
        a = (shared / "moticon" / "230927_102114.txt").read_bytes()
        assert a == (recordings / "moticon" / "230927_102114.txt").read_bytes()

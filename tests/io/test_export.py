"""insole export --to csv, and import -> export -> import keeping every value."""

from __future__ import annotations

import numpy as np
import pytest

from insole.calibration import Calibration
from insole.exceptions import InsoleError
from insole.io import identify, read
from insole.io.formats.csv_dialects import export_csv
from insole.store import read_recording

TRIALS = {
    "moticon": ["moticon/230927_102114.txt", "moticon/gait_report_230927_10_21_14.xlsx"],
    "gaitpdb": ["gaitpdb/JuPt03_01.txt"],
    "fscan": ["fscan/FrasP01L.asf", "fscan/FrasP01R.asf"],
}


def assert_same_frames(a, b):
    assert set(a.feet) == set(b.feet)
    for foot in a.feet:
        fa, fb = a.feet[foot], b.feet[foot]
        assert fa.values.dtype == fb.values.dtype and fa.unit == fb.unit
        np.testing.assert_array_equal(fa.values, fb.values)
        np.testing.assert_array_equal(fa.t_host_s, fb.t_host_s)
        np.testing.assert_array_equal(fa.t_device_us, fb.t_device_us)
        np.testing.assert_array_equal(fa.seq, fb.seq)
        np.testing.assert_array_equal(fa.gaps, fb.gaps)
        assert fa.layout == fb.layout
        assert fa.link == fb.link and fa.imu_columns == fb.imu_columns
        if fa.imu is not None:
            np.testing.assert_array_equal(fa.imu, fb.imu)
        assert (fa.calibration is None) == (fb.calibration is None)
        if fa.calibration is not None:
            assert fa.calibration.to_dict() == fb.calibration.to_dict()
    assert a.metadata == b.metadata
    assert a.markers == b.markers


@pytest.mark.parametrize("trial", sorted(TRIALS))
def test_import_export_import_keeps_every_value(trial, recordings, tmp_path, cli, runner):
    files = [str(recordings / f) for f in TRIALS[trial]]
    h5 = tmp_path / f"{trial}.h5"
    res = runner.invoke(cli, ["import", *files, "-o", str(h5)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["export", str(h5), "--to", "csv", "-o", str(tmp_path / "out") + "/"])
    assert res.exit_code == 2 and "does not exist" in res.output  # the folder must exist
    (tmp_path / "out").mkdir()
    res = runner.invoke(cli, ["export", str(h5), "--to", "csv", "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    csvs = sorted((tmp_path / "out").glob("*.csv"))
    assert [p.name for p in csvs] == sorted(f"{trial}_{foot}.csv" for foot in read_recording(h5).feet)
    assert all(identify(p) == "csv-insole" for p in csvs)
    first = read_recording(h5)
    again = read(csvs)
    assert_same_frames(first, again)
    h5b = tmp_path / "again.h5"
    assert runner.invoke(cli, ["import", *map(str, csvs), "-o", str(h5b)]).exit_code == 0
    assert_same_frames(first, read_recording(h5b))


def test_calibrated_counts_round_trip(tmp_path):
    from insole.layout import get_layout

    rng = np.random.default_rng(1)
    lay = get_layout("diy-fsr-16")
    from insole.recording import FootData, Metadata, Recording

    t = np.arange(100) / 20 + 0.0123
    cal = Calibration("kPa", np.full(16, 4095.0), np.full(16, -0.37), source="test", extra={"inverted": True})
    fd = FootData(rng.integers(0, 4096, (100, 16)).astype(np.uint16), "count", np.rint(t * 1e6).astype(np.int64), t,
                  np.arange(100, dtype=np.uint32) + 5, lay, cal, link={"frames_received": 100.0})
    rec = Recording({"left": fd}, Metadata(subject_id="s1", body_mass_kg=71.3, red_flags={"pain": False}),
                    markers=[(1.25, "start")])
    files = export_csv(rec, tmp_path / "diy")
    assert [p.name for p in files] == ["diy_left.csv"]
    assert_same_frames(rec, read(files))
    with pytest.raises(InsoleError, match="exists"):
        export_csv(rec, tmp_path / "diy")


def test_export_header_is_readable(recordings, tmp_path):
    from insole.recording import Recording

    rec = read(recordings / "gaitpdb" / "JuPt03_01.txt")
    (path,) = export_csv(Recording({"left": rec.feet["left"]}, rec.metadata), tmp_path / "j")
    lines = path.read_text().splitlines()
    assert lines[0] == "# insole-csv 1 foot=left layout=gaitpdb-8 unit=N dtype=<f8 sampling_rate_hz=100"
    header = next(ln for ln in lines if not ln.startswith("#"))
    assert header == "t_host_s,t_device_us,seq,1,2,3,4,5,6,7,8"
    assert lines[lines.index(header) + 1] == "0.0,0,0,14.41,64.46,49.17,37.62,58.63,50.82,54.12,20.24"

"""CSV dialects: the DIY logs (csv-lr), single-foot dialects, the line API, and csv-generic."""

from __future__ import annotations

import json

import numpy as np
import pytest
from iodata import needs_shared

from insole.calibration import CalibrationError, build_calibration
from insole.exceptions import FormatError, InsoleError, UnknownFormatError
from insole.io import identify, read
from insole.io.formats.csv_dialects import DIALECTS, FLAG_LATE, FLAG_LEFT_MISSING, CsvLine, CsvLR


def _esp32_log(n=40, *, missing_left=(0, 1, 2), late=(), fw="v3.1.0"):
    """A small log in the ESP32 shape: inverted 12-bit counts, flags, late frames written out of order."""
    rng = np.random.default_rng(0)
    rows = []
    for k in range(n):
        flags = 0
        right = 4095 - rng.integers(0, 3000, 16) * (k % 4 == 0)
        left = 4095 - rng.integers(0, 3000, 16) * (k % 3 == 0)
        if k in missing_left:
            flags |= FLAG_LEFT_MISSING | 2
            left = np.zeros(16, int)
        if k in late:
            flags |= FLAG_LATE
        rows.append((2000 + 50 * k, k + 1, right, left, flags))
    for k in late:  # a late frame lands after its successor
        rows[k], rows[k + 1] = rows[k + 1], rows[k]
    head = [f"# fw={fw}", CsvLR(16).header_line()]
    body = [",".join(map(str, [t, f, *r, *lft, fl])) for t, f, r, lft, fl in rows]
    return "\n".join(head + body) + "\n"


class TestCsvLR:
    def test_flagged_missing_left_frames_are_gaps_not_data(self, tmp_path):
        path = tmp_path / "COMBO_LOG.CSV"
        path.write_text(_esp32_log(missing_left=(0, 1, 2, 20)))
        assert identify(path) == "csv-lr"
        rec = read(path)
        left, right = rec.feet["left"], rec.feet["right"]
        assert right.n_frames == 40 and left.n_frames == 36
        assert not np.any(np.all(left.values == 0, axis=1))
        assert left.gaps.tolist() == [(-1, 3, 2.0, 1), (16, 1, 2.95, 21)]  # time of the first missing / last kept frame
        assert left.link["frames_lost"] == 4 and right.gaps.size == 0
        assert left.values.dtype == np.uint16 and left.unit == "count"
        assert left.layout.name == "diy-fsr-16" and rec.metadata.firmware == "v3.1.0"

    def test_late_frames_are_put_back_in_order(self, tmp_path):
        path = tmp_path / "log.csv"
        path.write_text(_esp32_log(missing_left=(), late=(10, 30)))
        rec = read(path)
        for fd in rec.feet.values():
            np.testing.assert_array_equal(fd.seq, np.arange(1, 41))
            assert np.all(np.diff(fd.t_host_s) > 0)
            assert fd.gaps.size == 0 and fd.link["backwards_timestamps"] == 2
        assert "2 frames flagged late" in rec.metadata.notes

    def test_raw_counts_need_a_calibration(self, tmp_path):
        path = tmp_path / "log.csv"
        path.write_text(_esp32_log())
        rec = read(path)
        with pytest.raises(CalibrationError, match="insole calibrate") as exc:
            rec.feet["right"].physical()
        assert "\n" not in str(exc.value)

    def test_inverted_counts_become_load_through_the_calibration(self, tmp_path):
        path = tmp_path / "log.csv"
        path.write_text(_esp32_log())
        rec = read(path)
        layouts = {f: fd.layout for f, fd in rec.feet.items()}
        tare = {f: np.full((10, 16), 4095.0) for f in layouts}
        stand = {f: np.full((10, 16), 3000.0) for f in layouts}
        cals = build_calibration(layouts, tare=tare, standing=stand, body_mass_kg=70, inverted=True)
        cal_path = tmp_path / "cal.json"
        from insole.calibration import save_calibration

        save_calibration(cals, cal_path)
        rec = read(path, calibration=cal_path)
        right = rec.feet["right"]
        phys = right.physical()
        raw = right.values.astype(float)
        assert np.all(phys[raw == 4095] == 0)
        loaded = raw < 4095
        assert loaded.any() and np.all(phys[loaded] > 0)
        i, j = np.unravel_index(np.argmin(raw), raw.shape)
        assert phys[i, j] == phys.max()  # fewest counts = most load


class TestLineApi:
    @pytest.mark.parametrize("name", sorted(DIALECTS))
    def test_format_then_parse_line(self, name):
        d = DIALECTS[name](4)
        feet = ("left", "right") if name == "csv-lr" else ("left",)
        line = CsvLine(1234.0, 7 if d.has_frame_id else None, {f: np.array([1.0, 2.0, 4095.0, 0.0]) for f in feet})
        text = d.format_line(line)
        p = DIALECTS[name]()
        assert p.parse_line(d.header_line()) is None
        back = p.parse_line(text)
        assert back.time_ms == 1234.0 and back.frame_id == line.frame_id
        for f in feet:
            np.testing.assert_array_equal(back.values[f], line.values[f])

    def test_missing_left_in_csv_lr_line(self):
        d = CsvLR(2)
        text = d.format_line(CsvLine(10.0, 1, {"right": np.array([5.0, 6.0]), "left": None}))
        assert text == "10,1,5,6,0,0,1"
        assert CsvLR().parse_line(text).values["left"] is None

    def test_comment_and_header_are_not_frames(self):
        d = DIALECTS["csv-time"]()
        assert d.parse_line("# fw=2.0 side=right") is None
        assert d.parse_line("time_ms,ch0,ch1") is None
        assert d.comments == {"fw": "2.0", "side": "right"}
        assert d.parse_line("5,1,2").values["left"].tolist() == [1.0, 2.0]
        with pytest.raises(FormatError, match="a line has 4 fields, expected 3"):
            d.parse_line("5,1,2,3")


class TestSingleFootDialects:
    def test_csv_time_with_and_without_header(self, tmp_path):
        t = np.arange(0, 1000, 50)
        body = "\n".join(f"{ti},{ti % 7},{4095 - ti % 11},3,4" for ti in t)
        with_head = tmp_path / "walk_right.csv"
        with_head.write_text("# fw=1.0\ntime_ms,ch0,ch1,ch2,ch3\n" + body + "\n")
        bare = tmp_path / "bare.csv"
        bare.write_text(body + "\n")
        assert identify(with_head) == identify(bare) == "csv-time"
        a = read(with_head, layout="grid-2x2-10")
        b = read(bare, layout="grid-2x2-10", options={"side": "right"})
        assert set(a.feet) == set(b.feet) == {"right"}
        np.testing.assert_array_equal(a.feet["right"].values, b.feet["right"].values)
        assert a.metadata.sampling_rate_hz == 20.0

    def test_csv_time_gap_from_time(self, tmp_path):
        t = np.r_[np.arange(0, 500, 50), np.arange(600, 1000, 50)]
        path = tmp_path / "x.csv"
        path.write_text("time_ms," + ",".join(f"ch{i}" for i in range(8)) + "\n"
                        + "\n".join(f"{ti}" + ",100" * 8 for ti in t) + "\n")
        fd = read(path).feet["left"]
        assert fd.layout.name == "diy-fsr-8"
        assert fd.gaps.tolist() == [(9, 2, 0.45, 10)]  # 500 and 550 ms are missing

    def test_two_csv_frame_files_are_the_two_feet(self, tmp_path):
        for side in ("left", "right"):
            lines = [f"# side={side}", "frame_id,time_ms," + ",".join(f"ch{i}" for i in range(16))]
            lines += [f"{k},{k * 10}," + ",".join(["4000"] * 16) for k in range(5)]
            (tmp_path / f"{side}.csv").write_text("\n".join(lines))
        rec = read([tmp_path / "left.csv", tmp_path / "right.csv"])
        assert set(rec.feet) == {"left", "right"} and rec.metadata.source == "csv-frame"

    def test_same_side_twice_is_refused(self, tmp_path):
        for name in ("a.csv", "b.csv"):
            (tmp_path / name).write_text("time_ms,ch0\n0,1\n10,2\n")
        with pytest.raises(FormatError, match="cannot tell which foot"):
            read([tmp_path / "a.csv", tmp_path / "b.csv"])


class TestGeneric:
    def test_column_map(self, tmp_path):
        path = tmp_path / "lab.tsv"
        path.write_text("Time\tL1\tL2\tL3\tR1\tR2\tR3\tNote\n0.00\t1\t2\t3\t4\t5\t6\tok\n0.01\t1.5\t2\t3\t4\t5\t6\t\n")
        cmap = {"delimiter": "\t", "time": "Time", "time_unit": "s", "left": "L*", "right": ["R1", "R2", "R3"], "unit": "N"}
        with pytest.raises(UnknownFormatError):
            read(path)
        rec = read(path, format="csv-generic", layout="loadsol-3", options={"columns": json.dumps(cmap)})
        np.testing.assert_array_equal(rec.feet["left"].values, [[1, 2, 3], [1.5, 2, 3]])
        assert rec.feet["right"].unit == "N" and rec.feet["right"].layout.side == "right"

    def test_needs_a_map_and_a_layout(self, tmp_path):
        path = tmp_path / "lab.csv"
        path.write_text("t,a\n0,1\n1,2\n")
        with pytest.raises(InsoleError, match="column map"):
            read(path, format="csv-generic")
        with pytest.raises(FormatError, match="--layout"):
            read(path, format="csv-generic", options={"columns": {"time": "t", "left": ["a"], "unit": "N"}})

    def test_option_of_another_format_is_refused(self, recordings):
        with pytest.raises(InsoleError, match="does not apply"):
            read(recordings / "gaitpdb" / "JuPt03_01.txt", options={"columns": "{}"})


class TestWrongDialect:
    def test_lr_file_read_as_csv_time(self, tmp_path):
        path = tmp_path / "log.csv"
        path.write_text(_esp32_log())
        with pytest.raises(FormatError) as exc:
            read(path, format="csv-time")
        assert "not csv-time" in str(exc.value) and "\n" not in str(exc.value)

    def test_time_file_read_as_csv_lr(self, tmp_path):
        path = tmp_path / "t.csv"
        path.write_text("time_ms,ch0,ch1\n0,1,2\n50,1,2\n")
        with pytest.raises(FormatError, match="flags"):
            read(path, format="csv-lr")

    def test_gaitpdb_read_as_csv(self, recordings):
        with pytest.raises(FormatError, match="needs a time and at least one channel"):
            read(recordings / "gaitpdb" / "JuPt03_01.txt", format="csv-time")


@needs_shared
def test_shared_diy_logs(shared):
    """Every ESP32 log: flagged-missing left frames are gaps; reordered ids lose nothing."""
    found = {}
    for path in sorted((shared / "diy-esp32" / "data").glob("*.CSV")):
        raw = np.loadtxt(path, delimiter=",", skiprows=2, dtype=np.int64)
        rec = read(path)
        left = rec.feet["left"]
        flagged = int(np.count_nonzero(raw[:, -1] & FLAG_LEFT_MISSING))
        assert left.n_frames == raw.shape[0] - flagged
        assert int(left.gaps["n_missing"].sum()) == flagged
        assert not np.any(np.all(left.values == 0, axis=1))
        for fd in rec.feet.values():
            assert np.all(np.diff(fd.seq.astype(int)) >= 1) and np.all(np.diff(fd.t_host_s) > 0)
        found[path.name] = (flagged, int(rec.feet["right"].link.get("backwards_timestamps", 0)))
    assert found["COMBO_LOG001.CSV"] == (5, 0)
    assert found["COMBO_LOG005.CSV"] == (0, 10)

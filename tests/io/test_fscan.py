"""Tekscan F-Scan ASCII: grid from the header, B cells, orientation and side from the data."""

from __future__ import annotations

import numpy as np
import pytest
from iodata import needs_shared

from insole.exceptions import FormatError
from insole.io import identify, read


@pytest.fixture(scope="module")
def trial(recordings):
    return read([recordings / "fscan" / "FrasP01L.asf", recordings / "fscan" / "FrasP01R.asf"])


def _raw(path):
    """(frames, active) of an .asf file as exported, parsed independently of the importer."""
    text = path.read_text(encoding="latin-1")
    body = text.split("ASCII_DATA @@")[1].split("@@")[0]
    rows = [ln for ln in body.splitlines() if ln.strip() and not ln.startswith("Frame")]
    cells = np.array([ln.strip().split(",") for ln in rows]).reshape(-1, 60, 21)
    return np.where(cells == "B", "0", cells).astype(float), ~(cells == "B").all(axis=0)


def _stances(force):
    on = force > 0.1 * force.max()
    edges = np.diff(np.r_[0, on.astype(int), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


class TestFscan:
    def test_identified(self, recordings):
        assert identify(recordings / "fscan" / "FrasP01L.asf") == "fscan"

    def test_two_feet_of_60_by_21(self, trial):
        assert set(trial.feet) == {"left", "right"}
        for foot, fd in trial.feet.items():
            assert fd.values.shape == (205, 60 * 21)
            assert fd.layout.grid_shape == (60, 21) and fd.layout.name == "fscan-60x21"
            assert fd.layout.side == foot and fd.unit == "kPa"
        assert trial.metadata.sampling_rate_hz == pytest.approx(31.25)
        np.testing.assert_allclose(np.diff(trial.feet["left"].t_host_s), 0.032)

    def test_side_from_the_data(self, trial):
        for foot in ("left", "right"):
            assert trial.reference["tekscan"][foot]["orientation"]["side_from_data"] == foot
            assert trial.reference["tekscan"][foot]["file"] == f"FrasP01{foot[0].upper()}.asf"

    def test_heel_at_the_back(self, trial):
        """Row 0 is the heel: in every stance the early load sits at low rows, the late load at high rows."""
        rows = np.arange(60)
        for foot, fd in trial.feet.items():
            grid = fd.values.reshape(-1, 60, 21).astype(float)
            stances = _stances(grid.sum(axis=(1, 2)))
            assert len(stances) >= 5
            for s, e in stances:
                k = max(1, (e - s) // 5)
                early = grid[s : s + k].sum(axis=(0, 2))
                late = grid[e - k : e].sum(axis=(0, 2))
                assert early @ rows / early.sum() < 20 < late @ rows / late.sum(), foot
            assert trial.reference["tekscan"][foot]["orientation"]["heel_method"] == "data"

    def test_values_are_the_file_values_reoriented(self, trial, recordings):
        for foot in ("left", "right"):
            raw, active = _raw(recordings / "fscan" / f"FrasP01{foot[0].upper()}.asf")
            o = trial.reference["tekscan"][foot]["orientation"]
            expect = raw[:, ::-1] if o["heel_at_high_rows"] else raw
            expect = expect[:, :, ::-1] if o["medial_at_high_cols"] else expect
            np.testing.assert_array_equal(trial.feet[foot].values.reshape(-1, 60, 21), expect)
            mask = trial.reference["tekscan"][foot]["trim_mask"]
            assert mask.sum() == active.sum() == 955
            assert peak_kpa(trial.feet[foot]) == {"left": 760, "right": 447}[foot]

    def test_b_cells_are_inactive_and_zero(self, trial):
        for fd in trial.feet.values():
            mask = trial.reference["tekscan"][fd.layout.side]["trim_mask"].reshape(-1)
            assert not np.any(fd.layout.active & ~mask)
            assert np.all(fd.values[:, ~mask] == 0)

    def test_header_and_calibration_kept(self, trial):
        head = trial.reference["tekscan"]["left"]["header"]
        assert head["SENSEL_AREA"] == "25.8064 mm2"
        assert head["CALIBRATION_POINT_1"].startswith("75.0001 (Kgs) 4798 (Raw Sum)")
        assert trial.metadata.recorded_at == "2017-02-16T11:26:22"

    def test_orientation_found_in_a_flipped_export(self, recordings, tmp_path):
        """Rotate the left file by 180 degrees (a different export orientation): same stored frames."""
        src = recordings / "fscan" / "FrasP01L.asf"
        text = src.read_text(encoding="latin-1")
        head, body = text.split("ASCII_DATA @@")
        frames = body.split("@@")[0].split("Frame ")[1:]
        out = []
        for fr in frames:
            lines = [ln for ln in fr.splitlines() if ln.strip()]
            number, rows = lines[0], lines[1:]
            rows = [",".join(r.split(",")[::-1]) for r in rows[::-1]]
            out.append("Frame " + number + "\r\n" + "\r\n".join(rows) + "\r\n\r\n")
        flipped = tmp_path / "rotL.asf"
        flipped.write_text(head + "ASCII_DATA @@\r\n\r\n" + "".join(out) + "@@\r\n", encoding="latin-1", newline="")
        a = read(src).feet["left"]
        b = read(flipped)
        assert set(b.feet) == {"left"}
        np.testing.assert_array_equal(a.values, b.feet["left"].values)

    def test_truncated_file(self, recordings, tmp_path):
        data = (recordings / "fscan" / "FrasP01R.asf").read_bytes()
        cut = tmp_path / "cut.asf"
        cut.write_bytes(data[: len(data) // 2])
        with pytest.raises(FormatError, match="truncated") as exc:
            read(cut)
        assert "\n" not in str(exc.value)


def peak_kpa(fd):
    return int(fd.values.max())


@needs_shared
def test_shared_files_import(shared):
    rec = read([shared / "fscan" / "data" / "FrasP01R.asf", shared / "fscan" / "data" / "FrasP01L.asf"])
    assert set(rec.feet) == {"left", "right"}
    assert rec.feet["right"].values.shape == (205, 1260)

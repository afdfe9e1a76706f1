"""PhysioNet gaitpdb walks: 8 sensors per foot, totals, subject data from the name and demographics."""

from __future__ import annotations

import numpy as np
import pytest
from iodata import needs_shared

from insole.exceptions import FormatError
from insole.io import identify, read

#: The file's own total columns equal the sum of the 8 sensors within this (issue 4).
TOTAL_TOLERANCE_N = 0.05


def _check_totals(rec):
    for foot, fd in rec.feet.items():
        total = rec.reference["gaitpdb"][foot]["total_force_n"]
        assert np.abs(fd.physical().sum(axis=1) - total).max() <= TOTAL_TOLERANCE_N


@pytest.mark.parametrize("name", ["JuPt03_01.txt", "GaCo01_01.txt"])
def test_recordings_copies(recordings, name):
    path = recordings / "gaitpdb" / name
    assert identify(path) == "gaitpdb"
    rec = read(path)
    assert set(rec.feet) == {"left", "right"}
    for foot, fd in rec.feet.items():
        assert fd.values.shape[1] == 8 and fd.layout.name == "gaitpdb-8" and fd.layout.side == foot
        assert fd.unit == "N" and fd.gaps.size == 0
    _check_totals(rec)
    assert rec.metadata.sampling_rate_hz == 100.0 and rec.metadata.task == "walk"


def test_subject_group_and_demographics(recordings):
    rec = read(recordings / "gaitpdb" / "JuPt03_01.txt")
    md = rec.metadata
    assert (md.subject_id, md.group, md.sex, md.age_years, md.body_mass_kg) == ("JuPt03", "PD", "f", 74.0, 65.0)
    assert md.speed_m_s == pytest.approx(0.993)
    co = read(recordings / "gaitpdb" / "GaCo01_01.txt").metadata
    assert (co.subject_id, co.group, co.body_mass_kg) == ("GaCo01", "control", 83.0)


def test_without_demographics(recordings, tmp_path):
    import shutil

    dst = tmp_path / "SiCo99_01.txt"
    shutil.copy(recordings / "gaitpdb" / "JuPt03_01.txt", dst)
    md = read(dst).metadata
    assert md.subject_id == "SiCo99" and md.group == "control" and md.body_mass_kg is None


def test_time_stamps_drifting_by_a_tenth_of_a_ms_lose_no_frame(tmp_path):
    t = np.round(np.arange(500) * 0.009993, 4)
    data = np.column_stack([t, np.ones((500, 16)), np.full(500, 8.0), np.full(500, 8.0)])
    path = tmp_path / "walk.txt"
    np.savetxt(path, data, fmt="%.4f", delimiter="\t")
    rec = read(path)
    assert rec.feet["left"].gaps.size == 0 and rec.feet["left"].seq[-1] == 499


def test_short_line_is_a_format_error(recordings, tmp_path):
    lines = (recordings / "gaitpdb" / "JuPt03_01.txt").read_text().splitlines()
    lines[10] = "\t".join(lines[10].split("\t")[:12])
    bad = tmp_path / "JuPt03_01.txt"
    bad.write_text("\n".join(lines))
    with pytest.raises(FormatError, match="line 11 has 12 columns"):
        read(bad, format="gaitpdb")


@needs_shared
@pytest.mark.slow
def test_every_shared_walk(shared):
    files = sorted((shared / "gaitpdb" / "data").glob("*.txt"))
    assert len(files) == 30
    for path in files:
        rec = read(path)
        _check_totals(rec)
        assert rec.metadata.subject_id == path.stem.split("_")[0]
        assert rec.metadata.body_mass_kg is None or rec.metadata.body_mass_kg > 30

"""novel loadsol exports: zones matched by name, lost samples, vendor total, markers."""

from __future__ import annotations

import numpy as np
import pytest
from iodata import needs_shared

from insole.exceptions import FormatError
from insole.io import identify, read

pytestmark = needs_shared


@pytest.fixture(scope="module")
def both(shared):
    return read(shared / "loadsol" / "data" / "test_poids.txt")


def _columns(path, name):
    lines = path.read_text(encoding="latin-1").splitlines()
    names = lines[2].split("\t")
    j = names.index(name)
    return np.array([float(x) if x not in ("", "-") else np.nan for x in (ln.split("\t")[j] for ln in lines[4:] if ln.strip())])


def test_identified(shared):
    for name in ("test_poids.txt", "roll_test.txt", "poids_par_zone.txt"):
        assert identify(shared / "loadsol" / "data" / name) == "loadsol"


def test_three_zones_by_name_right_listed_in_reverse(both, shared):
    path = shared / "loadsol" / "data" / "test_poids.txt"
    right = both.feet["right"]
    assert right.layout.name == "loadsol-3" and right.layout.sensor_ids == ("heel", "medial", "lateral")
    for k, zone in enumerate(("heel", "medial", "lateral")):
        col = _columns(path, f"PGV244-R::{zone}")
        np.testing.assert_array_equal(right.values[:, k], col[right.seq])
    heel = _columns(path, "PGV247-L::heel")
    np.testing.assert_array_equal(both.feet["left"].values[:, 0], heel[both.feet["left"].seq])


def test_zones_sum_to_vendor_total(both):
    for foot, fd in both.feet.items():
        total = both.reference["loadsol"][foot]["total_force_n"]
        assert np.abs(fd.values.sum(axis=1) - total).max() <= 3.0
        assert fd.unit == "N" and fd.imu.shape == (fd.n_frames, 6)


def test_lost_samples_are_gaps_not_values(both):
    for fd in both.feet.values():
        assert not np.any(fd.values == -1.0)
        assert np.all(np.isfinite(fd.values))
        assert fd.gaps.size > 0
        assert fd.n_frames + int(fd.gaps["n_missing"].sum()) == 1094
    assert both.metadata.sampling_rate_hz == 200.0
    assert both.markers and both.markers[0][1].startswith("End measurement")


def test_right_only_file(shared):
    rec = read(shared / "loadsol" / "data" / "roll_test.txt")
    assert set(rec.feet) == {"right"}


def test_missing_zone_channel_is_a_one_line_error(shared, tmp_path):
    lines = (shared / "loadsol" / "data" / "roll_test.txt").read_text(encoding="latin-1").splitlines(keepends=True)
    lines[2] = lines[2].replace("PGV244-R::heel", "PGV244-R::toes")
    bad = tmp_path / "bad.txt"
    bad.write_text("".join(lines), encoding="latin-1")
    with pytest.raises(FormatError, match="no zone 'heel'") as exc:
        read(bad)
    assert "\n" not in str(exc.value)

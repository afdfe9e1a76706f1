"""The recording file: round trip, chunked writing, schema rules, crash safety, bad files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import h5py
import numpy as np
import pytest

from insole.calibration import Calibration
from insole.exceptions import InsoleError, RecordingFileError, SchemaVersionError
from insole.layout import get_layout
from insole.recording import FootData, Metadata, Recording
from insole.store import (
    FootSpec,
    RecordingWriter,
    open_recording,
    read_recording,
    schema,
    write_recording,
)


def _foot(layout, n=500, dtype=np.uint16, unit="count", cal=None, imu=False, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 100.0
    values = rng.integers(0, 4000, (n, layout.n_sensors)).astype(dtype)
    return FootData(values, unit, (t * 1e6).astype(np.int64) + 123, t + 5.0, np.arange(n) + 7, layout, cal,
                    imu=rng.normal(size=(n, 6)).astype(np.float32) if imu else None,
                    imu_columns=("ax", "ay", "az", "gx", "gy", "gz") if imu else (),
                    gaps=np.array([(10, 3, 0.1, 17)], dtype=schema.GAP_DTYPE),
                    link={"frames_received": n, "frames_lost": 3.0, "crc_errors": 2.0},
                    sync={"slope": 1.00001, "intercept_s": 0.5, "residual_ms": 0.3, "n_points": 40, "t0_device_s": 0.0})


FULL_META = Metadata(
    subject_id="S01", age_years=44, sex="f", body_mass_kg=63.5, foot_length_mm=248, insole_size="7",
    footwear="barefoot", task="walk", speed_m_s=1.2, red_flags={"pain": True, "diabetes_or_neuropathy": False},
    device="test", firmware="1.2.3", sampling_rate_hz=100.0, notes="ünïcode <b>notes</b>",
    recorded_at="2026-11-23T10:00:00", source="unit-test", group="control",
)


def test_round_trip_all_metadata_and_groups(tmp_path):
    lay = get_layout("moticon-16")
    cal = Calibration("kPa", np.full(16, 2.0), np.full(16, 0.25), source="tare")
    rec = Recording(
        {"left": _foot(lay, cal=cal, imu=True), "right": _foot(get_layout("moticon-16", side="right"), seed=1)},
        FULL_META,
        markers=[(1.5, "start"), (9.0, "stop")],
        truth={"params": {"seed": 3, "task": "walk"}, "left": {"ic_s": np.array([0.1, 1.2])}},
        reference={"moticon": {"left": {"total_force_n": np.arange(5.0)}}},
    )
    path = tmp_path / "r.h5"
    write_recording(rec, path)
    back = read_recording(path)
    assert back.metadata == FULL_META
    assert back.markers == [(1.5, "start"), (9.0, "stop")]
    for foot in ("left", "right"):
        a, b = rec.feet[foot], back.feet[foot]
        np.testing.assert_array_equal(a.values, b.values)
        assert a.values.dtype == b.values.dtype
        for name in ("t_device_us", "t_host_s", "seq"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert b.layout.name == "moticon-16" and b.layout.side == foot
        np.testing.assert_array_equal(a.gaps, b.gaps)
        assert b.link["crc_errors"] == 2.0 and b.link["frames_lost"] == 3.0
        assert b.sync["residual_ms"] == pytest.approx(0.3)
    np.testing.assert_array_equal(back.feet["left"].imu, rec.feet["left"].imu)
    assert back.feet["left"].imu_columns == ("ax", "ay", "az", "gx", "gy", "gz")
    assert back.feet["left"].calibration.to_dict() == cal.to_dict()
    assert back.feet["right"].calibration is None
    assert back.truth["params"]["seed"] == 3 and back.truth["params"]["task"] == "walk"
    np.testing.assert_array_equal(back.truth["left"]["ic_s"], [0.1, 1.2])
    np.testing.assert_array_equal(back.reference["moticon"]["left"]["total_force_n"], np.arange(5.0))
    # calibration is applied on read: raw counts stay raw
    np.testing.assert_allclose(back.feet["left"].physical(), (rec.feet["left"].values - 2.0) * 0.25)


def test_chunked_writer_equals_one_shot(tmp_path):
    lay = get_layout("pedar-99")
    foot = _foot(lay, n=3001, dtype=np.float32, unit="kPa")
    one = tmp_path / "one.h5"
    write_recording(Recording({"left": foot}), one)
    many = tmp_path / "many.h5"
    with RecordingWriter(many, {"left": FootSpec(lay, np.float32, "kPa")}, flush_frames=333) as w:
        for i0 in range(0, 3001, 97):
            sl = slice(i0, i0 + 97)
            w.append("left", foot.values[sl], t_device_us=foot.t_device_us[sl], t_host_s=foot.t_host_s[sl], seq=foot.seq[sl])
    a, b = read_recording(one).feet["left"], read_recording(many).feet["left"]
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.seq, b.seq)


def test_lazy_block_iteration_bounded(tmp_path):
    lay = get_layout("pedar-99")
    foot = _foot(lay, n=10_000, dtype=np.float32, unit="kPa")
    write_recording(Recording({"left": foot}), tmp_path / "r.h5")
    with open_recording(tmp_path / "r.h5") as f:
        fr = f.foot("left")
        blocks = list(fr.iter_blocks(1024))
        assert max(b.shape[0] for _, b in blocks) == 1024
        np.testing.assert_array_equal(np.concatenate([b for _, b in blocks]), foot.values)


def test_newer_minor_reads_newer_major_refused(tmp_path):
    lay = get_layout("gaitpdb-8")
    path = tmp_path / "r.h5"
    write_recording(Recording({"left": _foot(lay, dtype=np.float32, unit="N")}), path)
    with h5py.File(path, "r+") as f:
        f.attrs[schema.ATTR_SCHEMA] = "1.7"
        f.attrs["some_future_attr"] = 1
        f["metadata"].attrs["future_field"] = "x"
    with open_recording(path) as rec:
        assert rec.schema_version == (1, 7)
    with h5py.File(path, "r+") as f:
        f.attrs[schema.ATTR_SCHEMA] = "2.0"
    with pytest.raises(SchemaVersionError, match=r"schema 2\.0.*upgrade insole"):
        open_recording(path)


@pytest.mark.parametrize("content", [b"", b"hello world\n" * 10, b"\x89HDF\r\n\x1a\n" + b"\0" * 50])
def test_foreign_or_truncated_files_one_line_error(tmp_path, content):
    path = tmp_path / "bad.h5"
    path.write_bytes(content)
    with pytest.raises(RecordingFileError) as err:
        open_recording(path)
    assert "\n" not in str(err.value)


def test_truncated_copy_of_real_file(tmp_path):
    lay = get_layout("pedar-99")
    path = tmp_path / "r.h5"
    write_recording(Recording({"left": _foot(lay, n=4000, dtype=np.float32, unit="kPa")}), path)
    data = path.read_bytes()
    cut = tmp_path / "cut.h5"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(RecordingFileError) as err:
        with open_recording(cut) as f:
            f.load()
    assert "\n" not in str(err.value)


def test_foreign_hdf5(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["x"] = [1, 2, 3]
    with pytest.raises(RecordingFileError, match="not an insole recording"):
        open_recording(path)


def test_atomic_write_leaves_nothing_on_error(tmp_path):
    lay = get_layout("pedar-99")
    foot = _foot(lay, dtype=np.float32, unit="kPa")
    rec = Recording({"left": foot}, truth={"bad": {"obj": object()}})  # unstorable -> error mid-write
    path = tmp_path / "r.h5"
    with pytest.raises(TypeError):
        write_recording(rec, path)
    assert not path.exists() and not list(tmp_path.iterdir())


def test_existing_file_needs_overwrite(tmp_path):
    lay = get_layout("gaitpdb-8")
    path = tmp_path / "r.h5"
    rec = Recording({"left": _foot(lay, dtype=np.float32, unit="N")})
    write_recording(rec, path)
    with pytest.raises(InsoleError, match="exists"):
        write_recording(rec, path)
    write_recording(rec, path, overwrite=True)


def test_unwritable_folder_reported_before_writing(tmp_path):
    with pytest.raises(InsoleError, match="does not exist"):
        RecordingWriter(tmp_path / "nope" / "r.h5", {"left": FootSpec(get_layout("gaitpdb-8"))})


WRITER_SCRIPT = textwrap.dedent(
    """
    import sys, time, numpy as np
    from insole.layout import get_layout
    from insole.recording import Metadata
    from insole.store import FootSpec, RecordingWriter
    lay = get_layout("pedar-99")
    w = RecordingWriter(sys.argv[1], {"left": FootSpec(lay, np.uint16, "count")}, Metadata(task="walk", sampling_rate_hz=100.0),
                        swmr=True, flush_frames=10**9, flush_interval_s=0.0)
    i = 0
    while True:
        block = np.full((50, lay.n_sensors), i % 4000, np.uint16)
        w.append("left", block, t_device_us=(np.arange(i * 50, i * 50 + 50) * 10000))
        w.flush()
        print(i, flush=True)
        i += 1
        time.sleep(0.01)
    """
)


@pytest.mark.slow
def test_sigkill_during_swmr_write_keeps_flushed_frames(tmp_path):
    path = tmp_path / "crash.h5"
    script = tmp_path / "writer.py"
    script.write_text(WRITER_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True)
    flushed = -1
    deadline = time.monotonic() + 60
    while flushed < 20 and time.monotonic() < deadline:
        flushed = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    # every block reported flushed is in the file; the file opens transparently
    with open_recording(path) as rec:
        assert rec.recovered
        fr = rec.foot("left")
        assert fr.n_frames >= (flushed + 1) * 50
        vals = fr.raw[: (flushed + 1) * 50, 0]
        np.testing.assert_array_equal(vals, np.repeat(np.arange(flushed + 1) % 4000, 50))
        assert rec.metadata.task == "walk"
    # insole info opens it; writing needs 'insole repair' first
    from click.testing import CliRunner

    from insole.cli import main

    res = CliRunner().invoke(main, ["info", str(path)])
    assert res.exit_code == 0 and "recovered" in res.output and "valid: yes" in res.output, res.output
    with pytest.raises(RecordingFileError, match="insole repair"):
        open_recording(path, "r+")
    res = CliRunner().invoke(main, ["repair", str(path)])
    assert res.exit_code == 0 and "writable again" in res.output
    with open_recording(path, "r+") as rec:
        rec.h5.require_group("derived").attrs["ok"] = 1
    with open_recording(path) as rec:
        assert not rec.recovered and rec.foot("left").n_frames >= (flushed + 1) * 50

"""The recorder in-process: an emulator thread on a pseudo-terminal, the recorder in the test's thread."""

from __future__ import annotations

import errno
import os
import threading

import h5py
import numpy as np
import pytest

from insole.acquisition import (
    ChannelMap,
    Emulator,
    EmulatorConfig,
    PortSpec,
    Recorder,
    format_status,
)
from insole.acquisition.recorder import RecorderStatus, check_output_path
from insole.calibration import Calibration
from insole.exceptions import AcquisitionError, InsoleError
from insole.recording import Metadata
from insole.store import open_recording, schema
from insole.summary import validate_file


def _run(tmp_path, cfg: EmulatorConfig, specs=None, name="rec.h5", **kwargs):
    """Stream ``cfg`` from an emulator thread into a Recorder; (result, report, emulator, path)."""
    emu = Emulator(cfg)
    urls = emu.open_pty()
    report: dict = {}
    th = threading.Thread(target=lambda: report.update(emu.run()), daemon=True)
    th.start()
    path = tmp_path / name
    try:
        result = Recorder(path, specs(urls) if specs else urls, cfg.layout, **kwargs).run()
    finally:
        th.join(timeout=5)  # the emulator ends by itself once its reader is gone
        emu.stop()
        th.join(timeout=10)
    return result, report, emu, path


def _intact(stream: dict) -> set[int]:
    return set(range(stream["seq_first"], stream["seq_last"] + 1)) - set(stream["dropped_seqs"]) - set(stream["corrupted_seqs"])


def test_channel_map_calibration_markers_and_status(tmp_path):
    cfg = EmulatorConfig(layout="diy-fsr-8", rate_hz=100, duration_s=1.5)
    perm = np.array([0, 1, 5, 3, 4, 2, 6, 7])
    cal = Calibration.identity(8, "kPa", 0.5, source="test")
    statuses: list[RecorderStatus] = []
    holder: dict = {}

    def on_status(s):
        statuses.append(s)
        if s.state == "recording" and not holder:
            holder["marked"] = True
            recorder.add_marker("trial start")

    emu = Emulator(cfg)
    urls = emu.open_pty()
    th = threading.Thread(target=emu.run, daemon=True)
    th.start()
    recorder = Recorder(tmp_path / "m.h5", urls, "diy-fsr-8", calibration=cal, channel_map=ChannelMap("diy-fsr-8", {"*": perm}),
                        metadata=Metadata(subject_id="s01", task="walk", body_mass_kg=70), on_status=on_status,
                        status_interval_s=0.2)
    result = recorder.run()
    th.join(timeout=10)
    assert result.ended_by == "unplugged" and result.ok
    with open_recording(tmp_path / "m.h5") as f:
        assert not validate_file(f)
        fr = f.foot("left")
        assert np.array_equal(fr.raw[:], emu.values_for("left", fr.seq())[:, perm])
        assert fr.calibration is not None and fr.calibration.gain[0] == 0.5
        assert fr.unit == "count"
        assert [lab for _, lab in f.markers] == ["trial start"]
        assert f.metadata.subject_id == "s01" and f.metadata.task == "walk"
        assert f.metadata.sampling_rate_hz == 100.0
    assert any(s.feet and s.feet["left"].load_unit == "N" for s in statuses)
    line = format_status(statuses[-1])
    assert "L " in line and "crc 0" in line and "\n" not in line


def test_duration_ends_cleanly_and_the_emulator_sees_the_reader_go(tmp_path):
    cfg = EmulatorConfig(layout="diy-fsr-16", rate_hz=100, duration_s=20)
    result, report, _, path = _run(tmp_path, cfg, duration_s=1.0)
    assert result.ended_by == "duration" and result.ok
    assert 0.9 <= result.duration_s <= 2.0
    assert report["ended_by"].startswith("reader gone")
    with open_recording(path) as f:
        assert 80 <= f.foot("left").n_frames <= 200


def test_csv_time_one_port_per_foot_with_drops(tmp_path):
    cfg = EmulatorConfig(layout="diy-fsr-16", fmt="csv-time", foot="split", rate_hz=100, duration_s=2, drop_rate=0.05,
                         seed=3)
    result, report, emu, path = _run(tmp_path, cfg, specs=lambda u: [PortSpec(u[0], "left"), PortSpec(u[1], "right")],
                                     fmt="csv-time")
    assert result.ok, result.message
    with open_recording(path) as f:
        for s in report["streams"]:
            fr = f.foot(s["foot"])
            seq = fr.seq().astype(np.int64) + s["seq_first"]  # csv-time counts frames from its first line
            assert set(seq.tolist()) == _intact(s)
            interior = [q for q in s["dropped_seqs"] if seq.min() < q < seq.max()]
            assert int(fr.gaps["n_missing"].sum()) == len(interior)
            assert np.array_equal(fr.raw[:], emu.values_for(s["foot"], seq))


def test_sensor_count_mismatch_is_one_line_and_writes_nothing(tmp_path):
    cfg = EmulatorConfig(layout="diy-fsr-8", rate_hz=100, duration_s=5)
    emu = Emulator(cfg)
    urls = emu.open_pty()
    th = threading.Thread(target=emu.run, daemon=True)
    th.start()
    with pytest.raises(AcquisitionError, match="sends 8 sensors per foot but layout 'diy-fsr-16' has 16") as exc:
        Recorder(tmp_path / "x.h5", urls, "diy-fsr-16").run()
    emu.stop()
    th.join(timeout=10)
    assert "\n" not in str(exc.value)
    assert not (tmp_path / "x.h5").exists()


def test_no_frames_ends_after_the_duration_without_a_file(tmp_path):
    master, slave = os.openpty()
    try:
        result = Recorder(tmp_path / "none.h5", [os.ttyname(slave)], "diy-fsr-16", duration_s=0.3).run()
    finally:
        os.close(master)
        os.close(slave)
    assert result.path is None and "no frames received" in result.message
    assert not (tmp_path / "none.h5").exists()


def test_port_that_does_not_open_leaves_no_file(tmp_path):
    with pytest.raises(AcquisitionError, match="cannot open port"):
        Recorder(tmp_path / "x.h5", ["/dev/nonexistent-insole"], "diy-fsr-16").run()
    assert not (tmp_path / "x.h5").exists()


@pytest.mark.parametrize(("make", "match"), [
    (lambda p: p / "missing" / "x.h5", "folder .* does not exist"),
    (lambda p: p, "is a folder"),
    (lambda p: (p / "f.txt").write_text("x") and p / "f.txt" / "x.h5", "does not exist"),
    (lambda p: (p / "old.h5").write_text("x") and p / "old.h5", "exists; choose another name"),
])
def test_unwritable_output_is_reported_before_any_port_opens(tmp_path, make, match):
    path = make(tmp_path)
    with pytest.raises(InsoleError, match=match):
        Recorder(path, ["/dev/nonexistent-insole"], "diy-fsr-16")  # the port would fail too: the path is first


def test_bad_options_are_one_line_errors(tmp_path):
    out = tmp_path / "x.h5"
    with pytest.raises(InsoleError, match="at most one --left"):
        Recorder(out, [PortSpec("a", "left"), PortSpec("b", "left")], "diy-fsr-16")
    with pytest.raises(InsoleError, match="does not say which"):
        Recorder(out, ["a"], "diy-fsr-16", fmt="csv-time")
    with pytest.raises(InsoleError, match="permutation"):
        Recorder(out, ["a"], "diy-fsr-16", channel_map=ChannelMap("x", {"*": np.zeros(16, int)}))
    with pytest.raises(InsoleError, match="calibration has 8 sensors"):
        Recorder(out, ["a"], "diy-fsr-16", calibration=Calibration.identity(8, "kPa"))
    assert check_output_path(out) == out


def test_injected_enospc_ends_cleanly_keeping_the_flushed_frames(tmp_path, monkeypatch):
    from insole.store.writer import RecordingWriter

    calls = {"n": 0}
    real = RecordingWriter._flush

    def flaky(self):
        calls["n"] += 1
        if calls["n"] >= 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self)

    monkeypatch.setattr(RecordingWriter, "_flush", flaky)
    cfg = EmulatorConfig(layout="diy-fsr-16", rate_hz=200, duration_s=10)
    result, _, emu, path = _run(tmp_path, cfg)
    assert result.ended_by == "disk full" and not result.ok
    assert "disk full" in result.message and "kept" in result.message and "\n" not in result.message
    with open_recording(path) as f:
        fr = f.foot("left")
        assert fr.n_frames == result.frames["left"] > 0
        assert np.array_equal(fr.seq(), np.arange(fr.n_frames))
        assert np.array_equal(fr.raw[:], emu.values_for("left", fr.seq()))


def test_sync_group_and_refit_host_times(tmp_path):
    cfg = EmulatorConfig(layout="diy-fsr-8", foot="split", rate_hz=100, duration_s=2, drift_ppm_left=300,
                         drift_ppm_right=-300)
    result, _report, _, path = _run(tmp_path, cfg)
    assert result.sync is not None
    with h5py.File(path) as f:
        attrs = dict(f[schema.SYNC].attrs)
        assert {"lr_error_ms", "lr_drift_ppm", "lr_drift_ms", "host_t0_monotonic_s"} <= set(attrs)
        for foot in ("left", "right"):
            fields = dict(zip(schema.SYNC_FIELDS, f[f"{schema.SYNC}/{foot}"][:]))
            t_host = f[f"raw/{foot}/t_host_s"][:]
            t_dev = f[f"raw/{foot}/t_device_us"][:]
            expect = fields["intercept_s"] + fields["slope"] * (t_dev * 1e-6 - fields["t0_device_s"])
            assert np.allclose(t_host, np.maximum.accumulate(expect), atol=1e-9)
            assert np.all(np.diff(t_host) > 0)


def test_key_presses_on_a_terminal_drop_markers(monkeypatch):
    """The record command's key reader: cbreak mode on a terminal stdin, select-based, restored after."""
    import termios
    import time

    from insole.cli.record import _KeyMarkers

    master, slave = os.openpty()
    stdin = os.fdopen(slave, "r", closefd=False)
    monkeypatch.setattr("sys.stdin", stdin)
    before = termios.tcgetattr(slave)

    class Rec:
        def __init__(self):
            self.labels: list[str] = []

        def add_marker(self, label):
            self.labels.append(label)

    rec = Rec()
    with _KeyMarkers(rec, "m", "trial"):
        os.write(master, b"xmm")
        deadline = time.monotonic() + 3
        while len(rec.labels) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert rec.labels == ["trial 1", "trial 2"]
    assert termios.tcgetattr(slave) == before
    os.close(master)
    os.close(slave)


def test_a_recording_replays_with_its_own_gaps(tmp_path):
    from insole.simulate import simulate

    src = simulate(tmp_path / "src.h5", layout="diy-fsr-8", duration_s=1.5, rate_hz=100, adc_bits=12, drop_rate=0.05,
                   seed=4)
    cfg = EmulatorConfig(layout="diy-fsr-8", foot="split", replay=str(src), speed=3.0)
    result, report, _, path = _run(tmp_path, cfg)
    assert result.ok and report["ended_by"] == "end of replay"
    with open_recording(src) as a, open_recording(path) as b:
        for foot in ("left", "right"):
            fa, fb = a.foot(foot), b.foot(foot)
            assert np.array_equal(fa.seq(), fb.seq()) and np.array_equal(fa.raw[:], fb.raw[:])
            assert fb.gaps["n_missing"].sum() == fa.gaps["n_missing"][fa.gaps["index"] >= 0].sum()


def test_a_failing_frame_tap_costs_nothing_of_the_recording(tmp_path, capsys):
    cfg = EmulatorConfig(layout="diy-fsr-8", rate_hz=100, duration_s=1.0)
    seen: list[int] = []

    def tap(foot, t_host_s, values):
        seen.append(len(values))
        raise ValueError("viewer bug")

    result, _report, emu, path = _run(tmp_path, cfg, on_frames=tap)
    assert result.ok and len(seen) == 1  # called once, then switched off
    assert "live display stopped (ValueError: viewer bug); still recording" in capsys.readouterr().err
    with open_recording(path) as f:
        fr = f.foot("left")
        assert fr.n_frames == 100 and np.array_equal(fr.raw[:], emu.values_for("left", fr.seq()))

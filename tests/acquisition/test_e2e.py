"""``insole emulate`` into ``insole record`` as separate processes, over pseudo-terminals and socket://.

Every test checks the recording against the emulator's closing report: every
frame sent intact is in the file (by sequence number and values), every frame
dropped or corrupted is a gap or a CRC error (or a truncated line), and
nothing else is lost.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from insole_cli import SCRIPT, main

from insole.acquisition import Emulator, EmulatorConfig
from insole.store import open_recording, schema

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminals as on Linux")


@contextmanager
def emulate(*args: str, timeout_s: float = 60.0):
    """Start ``insole emulate``; yield (process, {label: url}) once it waits for a reader."""
    proc = subprocess.Popen([sys.executable, SCRIPT, "emulate", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    urls: dict[str, str] = {}
    try:
        while True:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError(f"emulate ended early: {proc.stderr.read()}")
            label, _, url = line.strip().partition(": ")
            if label in ("port", "left", "right"):
                urls[label] = url
            if line.startswith("waiting for a reader"):
                break
        yield proc, urls
        proc.wait(timeout=timeout_s)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def record(*args: str, timeout_s: float = 90.0, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, SCRIPT, "record", *args], capture_output=True, text=True,
                          timeout=timeout_s, **kwargs)


def _intact(stream: dict) -> set[int]:
    return set(range(stream["seq_first"], stream["seq_last"] + 1)) - set(stream["dropped_seqs"]) - set(stream["corrupted_seqs"])


def _missing_from_gaps(gaps: np.ndarray) -> set[int]:
    return {int(g["first_seq"]) + i for g in gaps for i in range(int(g["n_missing"]))}


def check_against_report(path: Path, report: dict, cfg: EmulatorConfig, *, csv: bool = False) -> None:
    """The done-when: intact frames all there, broken ones counted, nothing else lost."""
    emu = Emulator(cfg)  # regenerates the simulated values, opens nothing
    with open_recording(path) as f:
        for s in report["streams"]:
            feet = ["left", "right"] if s["foot"] == "both" else [s["foot"]]
            broken = set(s["dropped_seqs"]) | set(s["corrupted_seqs"])
            for foot in feet:
                fr = f.foot(foot)
                seq = fr.seq().astype(np.int64)
                assert set(seq.tolist()) == _intact(s), foot
                assert np.all(np.diff(seq) > 0)
                assert np.array_equal(fr.raw[:], emu.values_for(s["foot"] if s["foot"] != "both" else foot, seq)
                                      if s["foot"] != "both" else emu.values_for(foot, seq))
                inside = {q for q in broken if seq[0] < q < seq[-1]}
                assert _missing_from_gaps(fr.gaps) == inside
                link = fr.link
                assert link["frames_received"] == len(seq)
                assert link["frames_lost"] == len(inside)
                damaged = link.get("crc_errors", 0) + link.get("truncated_frames", 0)
                if csv:
                    assert link.get("crc_errors", 0) == 0
                assert damaged == len(s["corrupted_seqs"])
                assert link.get("garbage_bytes", 0) == s["garbage_bytes"]
                assert len(seq) + len(broken) == s["frames_generated"]


FAULTS = ["--drop-rate", "0.03", "--corrupt-rate", "0.03", "--garbage-rate", "0.03", "--jitter", "3", "--seed", "11"]


@pytest.mark.parametrize(("transport", "fmt"), [
    ("pty", "v1"),
    ("socket", "csv-lr"),
    pytest.param("socket", "v1", marks=pytest.mark.slow),
    pytest.param("pty", "csv-lr", marks=pytest.mark.slow),
])
def test_emulate_into_record_with_faults(tmp_path, transport, fmt):
    where = ["--pty"] if transport == "pty" else ["--listen", "0"]
    rep = tmp_path / "sent.json"
    out = tmp_path / "rec.h5"
    args = [*where, "--format", fmt, "--layout", "diy-fsr-16", "--rate", "200", "--duration", "2", *FAULTS,
            "--report-json", str(rep)]
    with emulate(*args) as (_proc, urls):
        url = urls["port"]
        assert url.startswith("socket://127.0.0.1:") if transport == "socket" else url.startswith("/dev/")
        res = record(url, "-o", str(out), "--layout", "diy-fsr-16", "--json", str(tmp_path / "rec.json"))
    assert res.returncode == 0, res.stderr
    assert "ended: unplugged" in res.stdout and "Traceback" not in res.stderr
    report = json.loads(rep.read_text())
    assert report["ended_by"] == "duration"
    assert sum(len(s["dropped_seqs"]) + len(s["corrupted_seqs"]) for s in report["streams"]) >= 5
    cfg = EmulatorConfig(layout="diy-fsr-16", fmt=fmt, rate_hz=200, seed=11)
    check_against_report(out, report, cfg, csv=fmt != "v1")
    outcome = json.loads((tmp_path / "rec.json").read_text())
    assert outcome["ended_by"] == "unplugged" and outcome["ports"][0]["format"] == fmt


def test_sigkill_keeps_every_frame_up_to_the_last_flush(tmp_path):
    rep = tmp_path / "sent.json"
    out = tmp_path / "killed.h5"
    with emulate("--pty", "--rate", "200", "--duration", "30", "--report-json", str(rep)) as (_proc, urls):
        rec = subprocess.Popen([sys.executable, SCRIPT, "record", urls["port"], "-o", str(out), "--layout", "diy-fsr-16"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # wait until the file holds a couple of flushes
            time.sleep(0.25)
            try:
                with h5py.File(out, "r", swmr=True) as f:
                    if f["raw/left/seq"].shape[0] >= 400:
                        break
            except (OSError, KeyError):
                continue
        time.sleep(0.4)
        t_kill = time.monotonic()
        rec.send_signal(signal.SIGKILL)
        rec.communicate(timeout=10)
    report = json.loads(rep.read_text())
    assert report["ended_by"].startswith("reader gone")
    res = CliRunner().invoke(main(), ["info", str(out)])
    assert res.exit_code == 0, res.output
    assert "recovered after a writer crash" in res.output and "valid: yes" in res.output
    stream = report["streams"][0]
    with open_recording(out) as f:
        for foot in ("left", "right"):
            fr = f.foot(foot)
            seq = fr.seq().astype(np.int64)
            assert np.array_equal(seq, np.arange(seq.size))  # no fault injected: all of them, in order
            assert np.array_equal(fr.raw[:], Emulator(EmulatorConfig(rate_hz=200)).values_for(foot, seq))
            # every frame scanned more than a flush interval (0.5 s) plus delivery slack before the kill is there
            due = (t_kill - 0.5 - 0.7 - stream["t_start_monotonic_s"]) * 200
            assert seq.size >= due > 150


def test_file_size_limit_ends_cleanly_keeping_what_was_flushed(tmp_path):
    import resource

    limit = 2 << 20
    out = tmp_path / "full.h5"

    def cap():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    with emulate("--pty", "--layout", "pedar-99", "--rate", "1000", "--sample-format", "u16", "--duration", "20") as (_p, urls):
        res = record(urls["port"], "-o", str(out), "--layout", "pedar-99", "--compression", "none", preexec_fn=cap)
    assert res.returncode == 2, res.stderr
    err = res.stderr.strip().splitlines()
    assert err[-1].startswith("Error: disk full while writing") and "Traceback" not in res.stderr
    assert "ended: disk full" in res.stdout
    info = CliRunner().invoke(main(), ["info", str(out)])
    assert info.exit_code == 0 and "valid: yes" in info.output, info.output
    with open_recording(out) as f:
        n = f.foot("left").n_frames
        assert n >= 1000 and np.array_equal(f.foot("left").seq(), np.arange(n))
    assert out.stat().st_size <= limit


def test_two_feet_with_drifting_clocks_state_their_sync_error(tmp_path):
    rep = tmp_path / "sent.json"
    out = tmp_path / "sync.h5"
    args = ["--pty", "--foot", "split", "--rate", "100", "--duration", "6", "--jitter", "5",
            "--drift-ppm-left", "100", "--drift-ppm-right", "-80", "--report-json", str(rep)]
    with emulate(*args) as (_p, urls):
        res = record("--left", urls["left"], "--right", urls["right"], "-o", str(out), "--layout", "diy-fsr-16")
    assert res.returncode == 0, res.stderr
    assert "left/right sync error" in res.stdout
    report = json.loads(rep.read_text())
    err = {}
    with h5py.File(out, "r") as f:
        sync = dict(f[schema.SYNC].attrs)
        t0 = sync["host_t0_monotonic_s"]
        for s in report["streams"]:
            seq = f[f"raw/{s['foot']}/seq"][:].astype(np.int64)
            t_host = f[f"raw/{s['foot']}/t_host_s"][:]
            truth = s["t_start_monotonic_s"] - t0 + (seq - s["seq_first"]) / s["rate_hz"]
            err[s["foot"]] = dict(zip(seq.tolist(), t_host - truth))
            assert np.abs(t_host - truth).max() < 0.002  # every frame within 2 ms of when it was scanned
    common = sorted(set(err["left"]) & set(err["right"]))
    diff = np.array([err["left"][q] - err["right"][q] for q in common])
    true_lr_ms = float(np.sqrt(np.mean(diff**2)) * 1e3)
    assert abs(sync["lr_error_ms"] - true_lr_ms) < 2.0
    true_drift_ms = 180e-6 * sync["lr_duration_s"] * 1e3
    assert abs(sync["lr_drift_ms"] - true_drift_ms) < 2.0
    # aligning by device time alone would be off by the clocks' start offsets (0.8 s here) plus the drift
    assert sync["lr_error_ms"] < 2.0


def _diy_replay(shared_data: Path, tmp_path: Path, name: str, speed: float) -> None:
    import insole

    log = shared_data / "diy-esp32" / "data" / name
    if not log.is_file():
        pytest.skip(f"{log} is not present")
    out = tmp_path / "diy.h5"
    rep = tmp_path / "sent.json"
    with emulate("--pty", "--format", "csv-lr", "--replay", str(log), "--speed", str(speed), "--report-json", str(rep),
                 timeout_s=200) as (_p, urls):
        res = record(urls["port"], "-o", str(out), "--layout", "diy-fsr-16", timeout_s=200)
    assert res.returncode == 0, res.stderr
    assert "ended: unplugged" in res.stdout  # the port closing at the end of the log ends it like an unplug
    assert json.loads(rep.read_text())["ended_by"] == "end of replay"
    ref = insole.read(log)  # what the importer makes of the same log
    with open_recording(out) as f:
        assert f.metadata.firmware == "v3.1.0"
        for foot, fd in ref.feet.items():
            fr = f.foot(foot)
            assert np.array_equal(fr.seq(), fd.seq)
            assert np.array_equal(fr.raw[:], fd.values)
            assert np.array_equal(fr.t_device_us_ds[:], fd.t_device_us)
            assert int(fr.gaps["n_missing"].sum()) == int(fd.gaps["n_missing"].sum())
            for key in ("frames_lost", "backwards_timestamps"):
                assert fr.link.get(key, 0) == fd.link.get(key, 0), key
            assert np.all(np.diff(fr.t_host_s()) >= 0)


def test_diy_log_replayed_fast(shared_data, tmp_path):
    """The shared DIY log (late lines, backward timestamps) at 20x its recorded pace; the slow tests use the real pace."""
    _diy_replay(shared_data, tmp_path, "COMBO_LOG002.CSV", speed=20.0)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "speed"), [
    ("COMBO_LOG002.CSV", 1.0),  # its recorded pace
    ("COMBO_LOG001.CSV", 10.0),  # left frames missing at the start: a leading gap
    ("COMBO_LOG004.CSV", 10.0),
    ("COMBO_LOG005.CSV", 10.0),
])
def test_diy_logs_replayed(shared_data, tmp_path, name, speed):
    _diy_replay(shared_data, tmp_path, name, speed=speed)


@pytest.mark.slow
def test_check_finds_swapped_wires(tmp_path):
    mp = tmp_path / "map.json"
    with emulate("--pty", "--task", "press-tour", "--swap", "2,5", "--layout", "diy-fsr-8", "--rate", "100") as (proc, urls):
        res = subprocess.run([sys.executable, SCRIPT, "check", urls["port"], "--layout", "diy-fsr-8", "--sensors", "0-5",
                              "--map-out", str(mp)], capture_output=True, text=True, timeout=60)
        proc.send_signal(signal.SIGINT)
    assert res.returncode == 0, res.stderr
    assert "wiring differs (2->5, 5->2)" in res.stdout
    data = json.loads(mp.read_text())
    assert data["feet"]["*"] == [0, 1, 5, 3, 4, 2, 6, 7]


def test_unwritable_output_is_reported_before_recording(tmp_path):
    res = CliRunner().invoke(main(), ["record", "/dev/nonexistent-insole", "-o", str(tmp_path / "no" / "x.h5"),
                                      "--layout", "diy-fsr-16"])
    assert res.exit_code == 2
    assert res.output.startswith("Error: cannot write") and "folder" in res.output and res.output.count("\n") == 1


def test_port_errors_are_one_line(tmp_path):
    res = CliRunner().invoke(main(), ["record", "/dev/nonexistent-insole", "-o", str(tmp_path / "x.h5"),
                                      "--layout", "diy-fsr-16"])
    assert res.exit_code == 2 and res.output.startswith("Error: cannot open port") and res.output.count("\n") == 1
    assert not (tmp_path / "x.h5").exists()


def test_ports_lists_without_failing():
    res = CliRunner().invoke(main(), ["ports", "--json"])
    assert res.exit_code == 0
    assert isinstance(json.loads(res.output), list)


def test_emulate_needs_one_transport():
    res = CliRunner().invoke(main(), ["emulate"])
    assert res.exit_code == 2 and "--pty" in res.output
    res = CliRunner().invoke(main(), ["emulate", "--pty", "--format", "csv-lr", "--foot", "left"])
    assert res.exit_code == 2 and "use --foot both" in res.output


def test_every_new_command_has_examples():
    for name in ("record", "emulate", "ports", "check"):
        res = CliRunner().invoke(main(), [name, "--help"])
        assert res.exit_code == 0 and "Examples" in res.output




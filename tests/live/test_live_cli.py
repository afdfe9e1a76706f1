"""``insole live`` end to end: ``insole emulate`` at 1000 Hz on a pseudo-terminal, viewed headless while recording."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pytest
from click.testing import CliRunner

from insole.acquisition import Emulator, EmulatorConfig
from insole.cli import main
from insole.store import open_recording

INSOLE = [sys.executable, "-m", "insole"]


@contextmanager
def emulate(*args: str, timeout_s: float = 60.0):
    """Start ``insole emulate``; yield (process, {label: url}) once it waits for a reader."""
    proc = subprocess.Popen([*INSOLE, "emulate", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminals as on Linux")
def test_live_keeps_up_with_1000_hz_while_recording(tmp_path):
    sent = tmp_path / "sent.json"
    out = tmp_path / "live.h5"
    outcome = tmp_path / "live.json"
    frames = tmp_path / "frames"
    fps = 25
    with emulate("--pty", "--rate", "1000", "--layout", "diy-fsr-16", "--duration", "4", "--report-json", str(sent)) as (
            _proc, urls):
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")}
        res = subprocess.run([*INSOLE, "live", urls["port"], "--layout", "diy-fsr-16", "-o", str(out), "--fps", str(fps),
                              "--frames-dir", str(frames), "--snapshot-every", "1", "--json", str(outcome)],
                             capture_output=True, text=True, timeout=90, env=env)  # no display: headless by itself
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert "ended: unplugged" in res.stdout
    report = json.loads(sent.read_text())
    stream = report["streams"][0]
    n_sent = stream["frames_generated"]
    assert n_sent == 4000 and not stream["dropped_seqs"]
    doc = json.loads(outcome.read_text())
    # the reader dropped nothing and the view saw every frame
    assert doc["frames_lost"] == {"left": 0, "right": 0}
    assert doc["frames_in"] == {"left": n_sent, "right": n_sent}
    # drawn at screen rate, not per frame.  The bounds are loose on purpose: a loaded 2-core CI machine may draw
    # much slower than --fps (at least 2 draws per second of streaming), and never more than twice as fast
    streaming_s = 4.0
    assert doc["draws"] > 0
    assert 2 * streaming_s <= doc["draws"] <= 2 * fps * doc["duration_s"]
    assert doc["draws"] < n_sent / 20
    assert doc["full_draws"] <= max(12, doc["draws"] / 3)  # mostly blits (full draws only when scales grow)
    pngs = sorted(frames.glob("live-*.png"))
    assert len(pngs) >= 3 and all(p.stat().st_size > 10_000 for p in pngs)
    # the recording has all frames, exactly as sent
    emu = Emulator(EmulatorConfig(layout="diy-fsr-16", rate_hz=1000))
    with open_recording(out) as f:
        for foot in ("left", "right"):
            fr = f.foot(foot)
            seq = fr.seq().astype(np.int64)
            assert np.array_equal(seq, np.arange(n_sent))
            assert np.array_equal(fr.raw[:], emu.values_for(foot, seq))
            assert fr.link["frames_lost"] == 0
    assert doc["record"]["frames"] == {"left": n_sent, "right": n_sent}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminals as on Linux")
def test_live_without_output_records_nothing(tmp_path):
    with emulate("--pty", "--rate", "200", "--duration", "1.5") as (_proc, urls):
        res = CliRunner().invoke(main, ["live", urls["port"], "--layout", "diy-fsr-16", "--headless", "--snapshot",
                                        str(tmp_path / "now.png"), "--json", str(tmp_path / "o.json")])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "o.json").read_text())
    assert doc["record"]["path"] is None and doc["record"]["ended_by"] == "unplugged"
    assert doc["frames_in"]["left"] == doc["record"]["frames"]["left"] > 200
    assert (tmp_path / "now.png").stat().st_size > 10_000
    assert list(tmp_path.glob("*.h5")) == []
    assert "nothing recorded" in res.output


def test_no_such_port_is_a_one_line_error(tmp_path):
    res = CliRunner().invoke(main, ["live", "/dev/nonexistent-insole", "--layout", "diy-fsr-16", "--headless",
                                    "-o", str(tmp_path / "x.h5")])
    assert res.exit_code == 2
    assert res.output.startswith("Error: cannot open port /dev/nonexistent-insole") and res.output.count("\n") == 1
    assert not (tmp_path / "x.h5").exists()


def test_bad_options_are_one_line_errors(tmp_path):
    res = CliRunner().invoke(main, ["live", "--layout", "diy-fsr-16", "--headless"])
    assert res.exit_code == 2 and "give a port URL" in res.output
    res = CliRunner().invoke(main, ["live", "/dev/nonexistent-insole", "--layout", "no-such-layout", "--headless"])
    assert res.exit_code == 2 and res.output.startswith("Error:") and res.output.count("\n") == 1


def test_help_has_examples():
    res = CliRunner().invoke(main, ["live", "--help"])
    assert res.exit_code == 0 and "Examples" in res.output and "--snapshot" in res.output


def test_json_outcome_is_written_whole_with_numpy_values(tmp_path):
    from pathlib import Path

    from insole.cli.live import write_outcome_json
    from insole.live import LiveResult

    @dataclass
    class _Rec:
        path: Path | None
        frames: dict
        sync_error_ms: np.ndarray
        ended_by: str = "unplugged"

    res = LiveResult(record=_Rec(tmp_path / "x.h5", {"left": np.int64(7)}, np.array([0.5, np.nan])), draws=np.int64(3),
                     draw_rate_hz=np.float32(24.5), frames_in={"left": np.int64(7)}, frames_lost={"left": 0},
                     snapshots=[tmp_path / "now.png"])
    out = tmp_path / "o.json"
    out.write_text("previous")
    write_outcome_json(out, res)
    doc = json.loads(out.read_text())
    assert doc["draws"] == 3 and doc["draw_rate_hz"] == 24.5 and doc["frames_in"] == {"left": 7}
    assert doc["record"]["frames"] == {"left": 7} and doc["record"]["path"] == str(tmp_path / "x.h5")
    assert doc["record"]["sync_error_ms"][0] == 0.5 and doc["snapshots"] == [str(tmp_path / "now.png")]
    assert [p.name for p in tmp_path.iterdir()] == ["o.json"]  # no temporary file left
    # a value json cannot take at all: the old file stays as it was, nothing half written
    res.frames_in = {("tuple", "key"): 1}
    with pytest.raises(TypeError):
        write_outcome_json(out, res)
    assert json.loads(out.read_text())["draws"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["o.json"]

"""``insole test heel-raise`` / ``insole test balance``: files, bad input, and live from ``insole emulate --pty``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from insole.cli import main
from insole.foot_tests import read_derived
from insole.simulate import simulate

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("foot_tests")
    return {
        "left": simulate(d / "hr_left.h5", layout="moticon-16", task="heel-raise", reps=10, fatigue_drift=1.0, partial_reps=1,
                         assists=1, rate_hz=50, seed=1),
        "right": simulate(d / "hr_right.h5", layout="moticon-16", task="heel-raise", reps=8, foot="right", rate_hz=50, seed=2),
        "pdb": simulate(d / "hr_pdb.h5", layout="gaitpdb-8", task="heel-raise", reps=6, rate_hz=50, seed=3),
        "balance": simulate(d / "bal.h5", layout="pedar-99", task="balance", duration_s=12, touchdowns=1, rate_hz=50, seed=4),
        "walk": simulate(d / "walk.h5", layout="moticon-16", task="walk", duration_s=6, rate_hz=50, seed=5),
        "dir": d,
    }


def _run(*args):
    res = CliRunner().invoke(main, list(map(str, args)))
    return res


def test_heel_raise_file_table_json_and_derived(files):
    out = files["dir"] / "hr.json"
    res = _run("test", "heel-raise", files["left"], "--foot", "left", "--json", out)
    assert res.exit_code == 0, res.output
    assert "valid repetitions: 10 of 10 asked (1 rejected, 1 assist(s) of the other foot)" in res.output
    assert "fatigue drift: yes" in res.output and "rejected: partial" in res.output
    assert "stored in" in res.output and "/derived/heel_raise/left" in res.output
    doc = json.loads(out.read_text())
    assert doc["n_valid_reps"] == 10 and len(doc["reps"]) == 11 and doc["symmetry"] is None
    assert read_derived(files["left"], "heel_raise")["left"]["n_valid_reps"] == 10


def test_heel_raise_compares_with_the_other_foot(files):
    _run("test", "heel-raise", files["left"], "--foot", "left")
    res = _run("test", "heel-raise", files["right"], "--foot", "right", "--other", files["left"])
    assert res.exit_code == 0, res.output
    assert "left/right symmetry angle: valid reps" in res.output
    sym = read_derived(files["right"], "heel_raise")["symmetry"]
    assert sym["valid_reps_left"] == 10 and sym["valid_reps_right"] == 8 and sym["valid_reps_sa_pct"] < 0


def test_no_write_and_layout_without_hallux(files):
    res = _run("test", "heel-raise", files["pdb"], "--foot", "left", "--no-write", "--target", "6")
    assert res.exit_code == 0, res.output
    assert "valid repetitions: 6 of 6 asked" in res.output
    assert "end position: not measured (layout gaitpdb-8 has no hallux sensor)" in res.output
    assert read_derived(files["pdb"], "heel_raise") == {}


def test_balance_file(files):
    res = _run("test", "balance", files["balance"], "--foot", "left", "--duration", "11.5")
    assert res.exit_code == 0, res.output
    assert "touch-downs of the other foot: 1" in res.output and "COP range: medio-lateral" in res.output
    tree = read_derived(files["balance"], "balance")["left"]
    assert tree["n_touchdowns"] == 1 and tree["cop_ml_range_mm"] > 0 and tree["duration_s"] == pytest.approx(11.5, abs=0.05)


def _empty_recording(path):
    from insole.layout import get_layout
    from insole.recording import FootData, Metadata, Recording

    feet = {f: FootData(np.zeros((0, 16), np.float32), "kPa", np.zeros(0), np.zeros(0), np.zeros(0), get_layout("moticon-16", side=f))
            for f in ("left", "right")}
    Recording(feet, Metadata(task="heel-raise")).save(path, overwrite=True)
    return path


@pytest.mark.parametrize("case", ["wrong foot", "no heel raise", "empty recording", "not hdf5", "missing", "no file", "live without -o"])
def test_bad_input_is_one_line_exit_2(files, case):
    d = files["dir"]
    args = {
        "wrong foot": [files["left"], "--foot", "right"],
        "no heel raise": [files["walk"], "--foot", "left"],
        "empty recording": [_empty_recording(d / "empty.h5"), "--foot", "left"],
        "not hdf5": [d / "notes.h5", "--foot", "left"],
        "missing": [d / "missing.h5", "--foot", "left"],
        "no file": ["--foot", "left"],
        "live without -o": ["--live", "/dev/null", "--foot", "left", "--layout", "moticon-16"],
    }[case]
    (d / "notes.h5").write_text("not a recording\n")
    res = _run("test", "heel-raise", *args)
    assert res.exit_code == 2, res.output
    err = res.output.strip().splitlines()
    assert err[-1].startswith("Error:") and "Traceback" not in res.output
    if case not in ("no file", "live without -o"):
        assert len(err) == 1


def test_help_has_examples():
    for cmd in (["test"], ["test", "heel-raise"], ["test", "balance"]):
        res = _run(*cmd, "--help")
        assert res.exit_code == 0 and "Examples:" in res.output


# ----------------------------------------------------------------------------- live, end to end
@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminals as on Linux")
def test_live_heel_raise_from_emulated_insoles_on_a_pty(tmp_path):
    from insole.calibration import save_calibration
    from insole.store import read_recording

    src = simulate(tmp_path / "src.h5", layout="moticon-16", task="heel-raise", reps=6, partial_reps=1, rpm=60, rate_hz=50,
                   adc_bits=12, seed=5)
    rec = read_recording(src)
    truth = rec.truth["heel_raise"]
    cal = save_calibration({f: rec.feet[f].calibration for f in rec.feet}, tmp_path / "cal.json")
    emu = subprocess.Popen([sys.executable, "-m", "insole", "emulate", "--pty", "--replay", str(src), "--layout", "moticon-16",
                            "--rate", "50"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for line in emu.stdout:
            if line.startswith("port: "):
                port = line.split(": ", 1)[1].strip()
            if line.startswith("waiting for a reader"):
                break
        assert port, emu.stderr.read()
        out = tmp_path / "live.h5"
        res = subprocess.run([sys.executable, "-m", "insole", "test", "heel-raise", "--live", port, "--foot", "left",
                              "--layout", "moticon-16", "--calibration", str(cal), "-o", str(out), "--body-mass", "70",
                              "--target", "6", "--metronome-rpm", "60", "--json", str(tmp_path / "live.json")],
                             cwd=REPO, capture_output=True, text=True, timeout=120)
    finally:
        if emu.poll() is None:
            emu.kill()
        emu.wait()
        emu.stdout.close()
        emu.stderr.close()
    assert res.returncode == 0, res.stderr + res.stdout
    lines = res.stdout.splitlines()
    live_reps = [ln for ln in lines if re.match(r"rep \d+: ", ln)]
    assert [ln.split(":")[0] for ln in live_reps] == [f"rep {i}" for i in range(1, 7)]
    assert all(ln.endswith("hallux / first ray") or ln.endswith("(assisted)") for ln in live_reps)
    assert sum(ln.startswith("rejected: partial") for ln in lines) == 1
    assert "target reached: 6 valid repetitions" in res.stdout and "ended: stopped" in res.stdout
    assert any(ln.startswith("beat 1: up") for ln in lines) and any(ln.startswith("beat 2: down") for ln in lines)
    # the offline analysis of the written file agrees with what was shown
    tree = read_derived(out, "heel_raise")["left"]
    assert tree["n_valid_reps"] == 6 == truth["n_valid_reps"]
    shown = [ln.split(": ", 1)[1].replace(" (assisted)", "") for ln in live_reps]
    assert shown == list(np.asarray(tree["end_class"])[np.asarray(tree["valid"], bool)])

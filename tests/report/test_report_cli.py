"""``insole report``, ``insole compare``, ``insole history`` and ``insole demo`` through the command line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from insole.cli import compare, demo, history, report
from insole.cli._base import InsoleGroup


@pytest.fixture(scope="module")
def cli():
    """The commands under the project's error policy (one-line errors, exit code 2)."""
    group = InsoleGroup("insole")
    for name, module in (("report", report), ("compare", compare), ("history", history), ("demo", demo)):
        group.add_command(module.cli, name)
    return group


@pytest.fixture
def run(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def invoke(*args):
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return invoke


def test_report(run, lateral_path, tmp_path):
    res = run("report", lateral_path, "-o", "walk.html", "--lang", "nl", "--audience", "runner")
    assert res.exit_code == 0, res.output
    assert "wrote walk.html" in res.output and '<html lang="nl">' in (tmp_path / "walk.html").read_text()


def test_report_errors_are_one_line(run, lateral_path, tmp_path):
    res = run("report", lateral_path, "-o", "walk.txt")
    assert res.exit_code == 2 and ".html or .pdf" in res.output
    (tmp_path / "x.html").write_text("old")
    res = run("report", lateral_path, "-o", "x.html")
    assert res.exit_code == 2 and "--overwrite" in res.output and "Traceback" not in res.output
    assert (tmp_path / "x.html").read_text() == "old"
    res = run("report", tmp_path / "missing.h5", "-o", "y.html")
    assert res.exit_code == 2 and "does not exist" in res.output


def test_compare_and_history(run, lateral_path, first_ray_path, short_walk, tmp_path):
    res = run("compare", lateral_path, first_ray_path, "-o", "cmp.html")
    assert res.exit_code == 0, res.output
    assert "larger than 2 times its standard error" in (tmp_path / "cmp.html").read_text()
    res = run("history", first_ray_path, lateral_path, "-o", "hist.html", "--lang", "nl")
    assert res.exit_code == 0, res.output
    res = run("history", lateral_path, "-o", "one.html")
    assert res.exit_code == 2 and "at least two" in res.output
    other = tmp_path / "other.h5"
    other.write_bytes(Path(short_walk.result.data["file"]).read_bytes())
    res = run("history", lateral_path, other, "-o", "mixed.html")
    assert res.exit_code == 2 and "different subjects" in res.output


@pytest.mark.slow
def test_demo_writes_its_reports_quickly(run, tmp_path):
    t0 = time.perf_counter()
    res = run("demo", "-o", tmp_path / "demo")
    elapsed = time.perf_counter() - t0
    assert res.exit_code == 0, res.output
    written = [line.split(" ", 1)[1] for line in res.output.splitlines() if line.startswith("wrote ")]
    assert len(written) >= 8
    reports = tmp_path / "demo" / "reports"
    for name in ("walk_clinician_en.html", "walk_clinician_nl.html", "run_runner_en.html", "walk_clinician_en.pdf",
                 "real_moticon_walk_en.html", "heel_raise_clinician_en.html", "compare_week0_week8_en.html", "history_en.html"):
        assert (reports / name).stat().st_size > 10_000
    assert "too short to judge" in (reports / "real_moticon_walk_en.html").read_text()
    assert 'class="card card-exercise"' in (reports / "walk_clinician_en.html").read_text()
    assert elapsed < 60, f"the demo took {elapsed:.0f} s"

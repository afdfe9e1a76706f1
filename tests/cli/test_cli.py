"""The command line: help everywhere, one-line errors with exit code 2, info/repair/simulate/demo."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from insole.cli import main


@pytest.fixture
def runner():
    return CliRunner()


def _all_commands(group, prefix=()):
    import click

    for name, cmd in group.commands.items():
        yield (*prefix, name)
        if isinstance(cmd, click.Group):
            yield from _all_commands(cmd, (*prefix, name))


@pytest.mark.parametrize("command", list(_all_commands(main)))
def test_every_command_has_help_with_examples(runner, command):
    res = runner.invoke(main, [*command, "--help"])
    assert res.exit_code == 0, res.output
    assert "Examples" in res.output


def test_version_and_module_entry(runner):
    res = runner.invoke(main, ["--version"])
    assert res.exit_code == 0 and "insole" in res.output
    out = subprocess.run([sys.executable, "-m", "insole", "--help"], capture_output=True, text=True, check=True)
    assert "insole" in out.stdout


def test_info_backend(runner):
    res = runner.invoke(main, ["info", "--backend"])
    assert res.exit_code == 0
    from insole import kernels

    assert f"backend: {kernels.BACKEND}" in res.output


@pytest.mark.parametrize("content", [b"", b"not a recording at all\n", b"\x89HDF\r\n\x1a\n" + b"\x00" * 100])
def test_info_bad_file_one_line_exit_2(runner, tmp_path, content):
    path = tmp_path / "bad.h5"
    path.write_bytes(content)
    res = runner.invoke(main, ["info", str(path)])
    assert res.exit_code == 2
    assert res.output.count("\n") == 1 and res.output.startswith("Error: ")
    assert "Traceback" not in res.output


def test_info_missing_file(runner, tmp_path):
    res = runner.invoke(main, ["info", str(tmp_path / "nope.h5")])
    assert res.exit_code == 2 and "does not exist" in res.output


def test_simulate_then_info(runner, tmp_path):
    out = tmp_path / "w.h5"
    res = runner.invoke(main, ["simulate", "-o", str(out), "--layout", "moticon-16", "--duration", "5", "--seed", "3"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["info", str(out)])
    assert res.exit_code == 0, res.output
    assert "layout moticon-16" in res.output and "valid: yes" in res.output and "truth" in res.output


def test_simulate_bad_option_one_line(runner, tmp_path):
    res = runner.invoke(main, ["simulate", "-o", str(tmp_path / "x.h5"), "--layout", "no-such-layout"])
    assert res.exit_code == 2 and res.output.count("\n") == 1
    assert not (tmp_path / "x.h5").exists()


def test_repair_nothing_to_do(runner, tmp_path):
    out = tmp_path / "w.h5"
    runner.invoke(main, ["simulate", "-o", str(out), "--duration", "2"])
    res = runner.invoke(main, ["repair", str(out)])
    assert res.exit_code == 0 and "nothing to repair" in res.output


def test_repair_foreign_file(runner, tmp_path):
    path = tmp_path / "x.h5"
    path.write_text("hello")
    res = runner.invoke(main, ["repair", str(path)])
    assert res.exit_code == 2 and "cannot be repaired" in res.output

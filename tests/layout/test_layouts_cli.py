"""Tests of the ``insole layouts`` command group."""

from __future__ import annotations

import matplotlib
import pytest
from click.testing import CliRunner

matplotlib.use("Agg")

from insole.cli.layouts import cli
from insole.layout import list_layouts


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative output paths land in a fresh folder
    return CliRunner()


def test_lists_every_layout(runner):
    result = runner.invoke(cli, [], catch_exceptions=False)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) >= 8
    names = [line.split()[0] for line in lines]
    assert set(list_layouts()) <= set(names)
    assert "grid-<rows>x<cols>-<pitch_mm>" in names


def test_show_writes_a_png(runner):
    result = runner.invoke(cli, ["show", "pedar-99", "-o", "x.png"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with open("x.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_show_right_side_and_size(runner):
    args = ["show", "moticon-16", "--side", "right", "--size", "3", "-o", "m.png"]
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "pedar-98", "-o", "x.png"], "unknown layout 'pedar-98'"),
        (["show", "pedar-99", "--size", "3", "-o", "x.png"], "one size only"),
        (["show", "pedar-99", "-o", "x.nope"], "cannot write x.nope"),
    ],
)
def test_show_errors_are_one_line(runner, args, message):
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.count("\n") == 1
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [["--help"], ["show", "--help"]])
def test_help_has_examples(runner, args):
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0
    assert "Examples:" in result.output

"""Fixtures of the import/export tests: the real data folders and a CLI with the io commands."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from iodata import RECORDINGS, SHARED


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared/data (tests using it are marked ``needs_shared``)."""
    return SHARED


@pytest.fixture(scope="session")
def recordings() -> Path:
    """The project's recordings/ folder (always present in the source tree)."""
    return RECORDINGS


@pytest.fixture
def cli() -> click.Group:
    """The ``insole`` command group."""
    from insole.cli import main

    return main


@pytest.fixture
def runner() -> CliRunner:
    """A click runner."""
    return CliRunner()

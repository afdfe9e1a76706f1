"""Shared fixtures and the pytest header that shows the kernel backend."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
#: Real recordings of others (not shipped with a clone): tests using them skip when absent.
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()
RECORDINGS = REPO / "recordings"
IN_CI = bool(os.environ.get("CI"))


def pytest_report_header(config):
    from insole import kernels

    return [f"insole kernels: {kernels.BACKEND} ({kernels.BACKEND_REASON}); threads {kernels.default_num_threads()}"]


@pytest.fixture
def shared_data() -> Path:
    """Path of ../shared/data, skipping the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present (it is not part of a clone)")
    return SHARED_DATA


def require_tool(name: str) -> str:
    """Path of an external tool; skip without it, but fail in CI where it is installed."""
    import shutil

    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is required in CI (.ci/run installs it)")
        pytest.skip(f"{name} is not installed")
    return path

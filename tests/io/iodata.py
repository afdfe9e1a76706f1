"""Paths of the real data the io tests read (imported by the test modules of this folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: ../shared/data beside the repository (absent in a user's clone: those tests skip).
SHARED = (REPO / ".." / "shared" / "data").resolve()
#: The project's recordings/ folder (always in the source tree).
RECORDINGS = REPO / "recordings"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not present (not part of a clone)")

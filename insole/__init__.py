"""insole: an open pressure-insole gait lab.

The public API is re-exported here lazily, so ``import insole`` stays light:

- :func:`insole.open_recording`, :func:`insole.read_recording`: the recording file
- :func:`insole.get_layout`, :func:`insole.list_layouts`: sensor layouts
- :func:`insole.read`: import any supported file (docs/formats.md)
- :func:`insole.simulate`: synthetic recordings with known truth (docs/simulation.md)
- :func:`insole.analyze`: per-step gait metrics (docs/analysis.md)
"""

from __future__ import annotations

import importlib
from typing import Any

from insole._version import __version__

_LAZY = {
    "read": "insole.io",
    "simulate": "insole.simulate",
    "analyze": "insole.analysis",
    "open_recording": "insole.store",
    "read_recording": "insole.store",
    "write_recording": "insole.store",
    "get_layout": "insole.layout",
    "list_layouts": "insole.layout",
    "Recording": "insole.recording",
    "FootData": "insole.recording",
    "Metadata": "insole.recording",
    "Calibration": "insole.calibration",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'insole' has no attribute {name!r}")


__all__ = ["__version__", *_LAZY]

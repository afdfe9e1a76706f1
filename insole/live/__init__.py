"""Live view of streaming insoles: pressure maps, the COP trail of the current step, force traces, link health.

- :mod:`insole.live.model`: :class:`LiveState`, fed block by block by the
  recorder's ``on_frames`` tap, bounded memory;
- :mod:`insole.live.view`: :class:`LiveView`, the matplotlib figure (artists
  updated in place, blitted);
- :mod:`insole.live.session`: :func:`run_live`, the recorder in a background
  thread and the view drawn at screen rate.

``insole live`` (docs/live.md) is the command line.
"""

from __future__ import annotations

from insole.live.model import FootSnapshot, LiveSnapshot, LiveState, StanceThresholds, hysteresis
from insole.live.session import LiveResult, run_live
from insole.live.view import LiveView, has_display, make_figure, status_text

__all__ = [
    "FootSnapshot",
    "LiveResult",
    "LiveSnapshot",
    "LiveState",
    "LiveView",
    "StanceThresholds",
    "has_display",
    "hysteresis",
    "make_figure",
    "run_live",
    "status_text",
]

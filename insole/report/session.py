"""One recording as a report sees it: the analysis result plus what the file says about itself.

:func:`load_session` is the only place in :mod:`insole.report` that reads a
file; everything after it works on the in-memory :class:`Session`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: ``/derived`` groups the reports render when present (written by other commands).
DERIVED_TESTS = ("heel_raise", "balance")
#: Tasks without steps, whose force-time trace a report draws.
TRACE_TASKS = ("heel-raise", "balance", "static")
#: Most points kept per force trace.
TRACE_POINTS = 3000


@dataclass
class FootQuality:
    """Data quality of one foot.

    Parameters
    ----------
    frames : int
        Frames stored.
    lost_frames : int
        Frames the link lost (from the gap records or the link counters).
    lost_in_steps : int
        Lost frames that fall inside analysed steps.
    steps, steps_found : int
        Usable and detected steps.
    """

    frames: int
    lost_frames: int
    lost_in_steps: int
    steps: int
    steps_found: int


@dataclass
class Session:
    """One analysed recording.

    Parameters
    ----------
    label : str
        File name shown in reports.
    result : AnalysisResult
        :func:`insole.analysis.analyze` of the file.
    metadata : Metadata
        Subject, task, device, footwear, red flags, ...
    layouts : dict
        ``{foot: SensorLayout}`` as stored (right feet mirrored).
    quality : dict
        ``{foot: FootQuality}``.
    sync_error_ms : float, optional
        Left/right synchronisation error recorded by the recorder; None when not recorded.
    derived : dict
        ``{"heel_raise": tree, "balance": tree}`` for the tests present in ``/derived``.
    force_trace : dict
        ``{foot: (t_s, force_n)}`` of tasks without steps (heel raise, balance, standing),
        at most :data:`TRACE_POINTS` points each; empty for walking and running.
    """

    label: str
    result: Any
    metadata: Any
    layouts: dict[str, Any]
    quality: dict[str, FootQuality]
    sync_error_ms: float | None = None
    derived: dict[str, dict[str, Any]] = field(default_factory=dict)
    force_trace: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def data(self) -> dict[str, Any]:
        """The analysis result's JSON dict."""
        return self.result.data

    @property
    def body_weight_n(self) -> float | None:
        """Body weight in newtons, when the body mass is known."""
        from insole.analysis._params import GRAVITY

        bm = self.data.get("body_mass_kg")
        return float(bm) * GRAVITY if bm else None

    @property
    def date(self) -> str:
        """Recording date (``YYYY-MM-DD``) or an empty string."""
        return (self.metadata.recorded_at or "")[:10]


def load_session(path: str | os.PathLike, *, body_mass_kg: float | None = None) -> Session:
    """Analyse a recording and collect what a report needs from it.

    Parameters
    ----------
    path : str or Path
        An insole recording (``.h5``).
    body_mass_kg : float, optional
        Overrides the recording's body mass.

    Returns
    -------
    Session
    """
    from insole.analysis import analyze
    from insole.store import open_recording

    path = Path(path)
    with open_recording(path) as rec:
        result = analyze(rec, body_mass_kg=body_mass_kg)
        layouts = {f: rec.foot(f).layout for f in rec.feet}
        quality = {}
        for f in rec.feet:
            foot = rec.foot(f)
            gaps = foot.gaps
            lost = int(gaps["n_missing"].sum()) if gaps.size else int(foot.link.get("frames_lost", 0) or 0)
            summary = result.data["feet"].get(f, {}).get("summary") or {}
            quality[f] = FootQuality(foot.n_frames, lost, int(summary.get("lost_frames_in_steps", 0)),
                                     int(summary.get("n_steps", 0)), int(summary.get("n_steps_total", 0)))
        sync = rec.h5.get("sync")
        lr = sync.attrs.get("lr_error_ms") if sync is not None else None
        sync_error = float(lr) if lr is not None and np.isfinite(lr) else None
        derived = {name: tree for name in DERIVED_TESTS if (tree := rec.tree(f"derived/{name}"))}
        metadata = rec.metadata
        trace = _force_trace(rec, result.data.get("body_mass_kg")) if result.data.get("task") in TRACE_TASKS else {}
    return Session(path.name, result, metadata, layouts, quality, sync_error, derived, trace)


def _force_trace(rec, body_mass_kg: float | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    from insole.analysis._frames import foot_frames

    out = {}
    for f in rec.feet:
        fr = foot_frames(rec.foot(f), body_mass_kg=body_mass_kg)
        step = max(1, fr.n_frames // TRACE_POINTS + (fr.n_frames % TRACE_POINTS > 0))
        out[f] = (fr.t_s[::step] - fr.t_s[0] if fr.n_frames else fr.t_s, fr.force_n[::step])
    return out


__all__ = ["DERIVED_TESTS", "TRACE_POINTS", "TRACE_TASKS", "FootQuality", "Session", "load_session"]

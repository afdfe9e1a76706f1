"""What the guided foot tests share: per-frame series, touch-downs of the other foot, symmetry, storage.

Per-frame force, COP and region forces come from the frame-features kernels
(:mod:`insole.analysis._frames` for files, :class:`insole.features.FeatureSpec`
for frames in memory and live frames), so the tests measure exactly what
``insole analyze`` measures.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from insole.exceptions import InsoleError

FEET = ("left", "right")
GRAVITY_M_S2 = 9.80665
#: Other-foot touch-down threshold above its baseline, fraction of the reference force (science.md 2.2, theta_off).
TOUCHDOWN_FRACTION = 0.03
#: Baseline of the other foot: this percentile of its force (science.md 2.2).
BASELINE_PERCENTILE = 5.0
#: Touch-downs shorter than this are noise [H].
TOUCHDOWN_MIN_S = 0.05
#: Touch-downs separated by less than this are one [H].
TOUCHDOWN_MERGE_S = 0.10


class FootTestError(InsoleError):
    """A recording that does not hold the requested test (wrong foot, no repetitions, empty)."""


@dataclass
class FootSeries:
    """Per-frame series of one foot, as the tests use them.

    Parameters
    ----------
    foot : str
    layout : SensorLayout
    t_s : ndarray
        Host time (s).
    force_n : ndarray
        Total force (N).
    cop : ndarray
        ``(n, 2)`` COP ``(ap, ml)`` in the normalised insole frame, NaN where invalid (science.md 1.2).
    region_force_n : ndarray
        ``(n, R)`` force per layout region, in ``region_names`` order.
    region_names : tuple of str
    """

    foot: str
    layout: Any
    t_s: np.ndarray
    force_n: np.ndarray
    cop: np.ndarray
    region_force_n: np.ndarray
    region_names: tuple[str, ...]

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.t_s.size)

    def region(self, name: str) -> np.ndarray:
        """Force of one region; zeros when the layout does not measure it."""
        if name in self.region_names and self.layout.is_measured(name):
            return self.region_force_n[:, self.region_names.index(name)]
        return np.zeros(self.n_frames)

    def measured(self, name: str) -> bool:
        """True when a sensor covers region ``name``."""
        return name in self.region_names and bool(self.layout.is_measured(name))

    def window(self, i0: int, i1: int) -> FootSeries:
        """Frames ``[i0, i1)``."""
        return FootSeries(self.foot, self.layout, self.t_s[i0:i1], self.force_n[i0:i1], self.cop[i0:i1],
                          self.region_force_n[i0:i1], self.region_names)


def series_from_values(foot: str, layout, calibration, values: np.ndarray, t_s: np.ndarray,
                       body_mass_kg: float | None) -> FootSeries:
    """Per-frame series of raw values in memory (a block of live frames, or a loaded recording).

    Parameters
    ----------
    foot : str
    layout : SensorLayout
    calibration : Calibration
        Raw values -> kPa (pressure layouts) or N (force layouts).
    values : ndarray
        ``(n, n_sensors)`` raw values.
    t_s : ndarray
        Time of each frame (s).
    body_mass_kg : float, optional
        For the COP validity threshold (science.md 1.2).
    """
    from insole.features import FeatureSpec

    spec = FeatureSpec.from_layout(layout, calibration, body_mass_kg=body_mass_kg)
    if values.shape[0] == 0:
        r = len(layout.region_names)
        return FootSeries(foot, layout, np.zeros(0), np.zeros(0), np.zeros((0, 2)), np.zeros((0, r)), tuple(layout.region_names))
    ff = spec.compute(np.ascontiguousarray(values), num_threads=1)
    return FootSeries(foot, layout, np.asarray(t_s, float), np.asarray(ff.force_n, float), np.asarray(ff.cop, float),
                      np.asarray(ff.region_force_n, float)[:, :len(layout.region_names)], tuple(layout.region_names))


@dataclass
class TestInput:
    """Both feet of a recording, as the tests read them."""

    test: FootSeries
    other: FootSeries | None
    body_mass_kg: float | None
    label: str
    task: str | None


def load_input(source, foot: str, *, body_mass_kg: float | None = None, start_s: float | None = None,
               end_s: float | None = None) -> TestInput:
    """Read the tested foot and the other foot of a recording.

    Parameters
    ----------
    source : str, Path, RecordingFile or Recording
        A recording file, an open one, or a recording in memory.
    foot : {"left", "right"}
        The tested (standing) foot.
    body_mass_kg : float, optional
        Overrides the metadata.
    start_s, end_s : float, optional
        Window in seconds from the first frame.

    Raises
    ------
    FootTestError
        Unknown foot, the foot is not in the recording, or it has no frames.
    """
    from insole.recording import Recording
    from insole.store import RecordingFile, open_recording

    if foot not in FEET:
        raise FootTestError(f"--foot must be left or right, not {foot!r}")
    if isinstance(source, Recording):
        return _load_memory(source, foot, body_mass_kg, start_s, end_s)
    own = not isinstance(source, RecordingFile)
    rec = open_recording(source) if own else source
    try:
        return _load_file(rec, foot, body_mass_kg, start_s, end_s)
    finally:
        if own:
            rec.close()


def _check_foot(feet, foot: str, label: str) -> None:
    if foot not in feet:
        have = " and ".join(feet) or "no"
        raise FootTestError(f"{label} has no {foot} foot (it holds {have} foot data); choose --foot "
                            f"{' or '.join(feet) if feet else 'of a recording with data'}")


def _window_idx(t: np.ndarray, t0: float, start_s: float | None, end_s: float | None) -> tuple[int, int]:
    i0 = int(np.searchsorted(t, t0 + start_s, side="left")) if start_s is not None else 0
    i1 = int(np.searchsorted(t, t0 + end_s, side="right")) if end_s is not None else t.size
    return i0, i1


def _load_file(rec, foot: str, body_mass_kg, start_s, end_s) -> TestInput:
    from insole.analysis._frames import foot_frames

    label = Path(rec.path).name if getattr(rec, "path", None) else "the recording"
    _check_foot(list(rec.feet), foot, label)
    md = rec.metadata
    bm = body_mass_kg if body_mass_kg is not None else md.body_mass_kg
    out: dict[str, FootSeries] = {}
    t_first = [float(rec.foot(f).t_host_s_ds[0]) for f in rec.feet if rec.foot(f).n_frames]
    t0 = min(t_first) if t_first else 0.0
    for f in rec.feet:
        reader = rec.foot(f)
        t = reader.t_host_s()
        i0, i1 = _window_idx(t, t0, start_s, end_s)
        fr = foot_frames(reader, body_mass_kg=bm, start=i0, stop=i1)
        r = len(fr.region_names)
        out[f] = FootSeries(f, fr.layout, fr.t_s - t0, fr.force_n, fr.cop, fr.region_force_n[:, :r], fr.region_names)
    return _finish_input(out, foot, bm, label, md.task)


def _load_memory(rec, foot: str, body_mass_kg, start_s, end_s) -> TestInput:
    label = "the recording"
    _check_foot(list(rec.feet), foot, label)
    bm = body_mass_kg if body_mass_kg is not None else rec.metadata.body_mass_kg
    t_first = [float(fd.t_host_s[0]) for fd in rec.feet.values() if fd.n_frames]
    t0 = min(t_first) if t_first else 0.0
    out = {}
    for f, fd in rec.feet.items():
        i0, i1 = _window_idx(fd.t_host_s, t0, start_s, end_s)
        out[f] = series_from_values(f, fd.layout, fd.effective_calibration(), fd.values[i0:i1], fd.t_host_s[i0:i1] - t0, bm)
    return _finish_input(out, foot, bm, label, rec.metadata.task)


def _finish_input(out: dict[str, FootSeries], foot: str, bm, label: str, task) -> TestInput:
    test = out[foot]
    if test.n_frames < 3:
        raise FootTestError(f"{label}: the {foot} foot has no frames to analyse")
    if not np.any(test.force_n > 0):
        raise FootTestError(f"{label}: the {foot} foot reads zero throughout; check --foot (the standing foot), "
                            "the insole connection or the calibration")
    other_name = "right" if foot == "left" else "left"
    other = out.get(other_name)
    if other is not None and other.n_frames == 0:
        other = None
    return TestInput(test, other, bm, label, task)


def check_single_leg(fs: FootSeries, label: str, test: str) -> None:
    """Refuse recordings in which the standing foot repeatedly leaves the ground (walking, running).

    Raises
    ------
    FootTestError
        Three or more unloaded periods (force below 20 % of its 95th percentile for >= 0.2 s)
        between the first and the last loaded frame.
    """
    f = fs.force_n
    low = f < 0.2 * float(np.percentile(f, 95))
    s, e = runs(low)
    inner = (s > 0) & (e < f.size)
    s, e = s[inner], e[inner]
    n_off = int(np.count_nonzero(run_duration_s(fs.t_s, s, e) >= 0.2))
    if n_off >= 3:
        raise FootTestError(f"{label}: the {fs.foot} foot leaves the ground {n_off} times (walking?); this is not a "
                            f"single-leg {test} test; check the file and --foot")


# =============================================================================== runs and touch-downs
def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the runs of True in a boolean array."""
    m = np.asarray(mask, bool)
    if m.size == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    d = np.diff(np.r_[0, m.astype(np.int8), 0])
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def run_duration_s(t: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Duration of runs: from the first frame to the frame after the last (or the last frame's time)."""
    if starts.size == 0:
        return np.zeros(0)
    dt = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    last = np.minimum(ends, t.size) - 1
    return t[last] - t[starts] + dt


def merge_runs(t: np.ndarray, starts: np.ndarray, ends: np.ndarray, gap_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Merge runs separated by less than ``gap_s``."""
    if starts.size < 2:
        return starts, ends
    gaps = t[np.minimum(starts[1:], t.size - 1)] - t[ends[:-1] - 1]
    keep = np.r_[True, gaps >= gap_s]
    new_starts = starts[keep]
    new_ends = np.r_[ends[:-1][keep[1:]], ends[-1]]
    return new_starts, new_ends


@dataclass
class Touchdowns:
    """Loadings of the other foot during single-leg stance (science.md 8.2: each is an assist)."""

    start_s: np.ndarray
    end_s: np.ndarray
    threshold_n: float
    single_leg_from_s: float
    loaded_at_end: bool

    @property
    def n(self) -> int:
        """Number of touch-downs."""
        return int(self.start_s.size)

    def loaded_mask(self, t: np.ndarray, margin_s: float = 0.0) -> np.ndarray:
        """True at times within a touch-down (widened by ``margin_s``)."""
        out = np.zeros(t.size, bool)
        for a, b in zip(self.start_s, self.end_s):  # loop over touch-downs, not frames
            out |= (t >= a - margin_s) & (t <= b + margin_s)
        return out


def other_foot_touchdowns(other: FootSeries | None, reference_n: float) -> Touchdowns:
    """Touch-downs of the other foot: its force above ``theta_off = b + 0.03 R`` (science.md 2.2).

    A loading at the very start (standing on both feet before lifting the
    other foot) is not a touch-down, nor is one that lasts to the end of the
    recording (putting the foot down to finish); both are reported through
    ``single_leg_from_s`` and ``loaded_at_end``.
    """
    if other is None or other.n_frames < 2:
        return Touchdowns(np.zeros(0), np.zeros(0), float("nan"), 0.0, False)
    f = other.force_n
    base = float(np.percentile(f, BASELINE_PERCENTILE))
    theta = base + TOUCHDOWN_FRACTION * reference_n
    s, e = runs(f >= theta)
    s, e = merge_runs(other.t_s, s, e, TOUCHDOWN_MERGE_S)
    t = other.t_s
    single_from = float(t[0])
    if s.size and s[0] == 0:
        single_from = float(t[min(e[0], t.size - 1)])
        s, e = s[1:], e[1:]
    loaded_at_end = bool(e.size and e[-1] >= t.size)
    if loaded_at_end:
        s, e = s[:-1], e[:-1]
    dur = run_duration_s(t, s, e)
    keep = dur >= TOUCHDOWN_MIN_S
    s, e = s[keep], e[keep]
    return Touchdowns(t[s], t[np.minimum(e, t.size) - 1], theta, single_from, loaded_at_end)


# =============================================================================== symmetry and storage
def symmetry_angle_pct(left: float | None, right: float | None) -> float:
    """Symmetry angle (science.md 7.2), %; NaN unless both are positive."""
    from insole.analysis import symmetry_angle_pct as sa

    if left is None or right is None:
        return float("nan")
    return sa(float(left), float(right))


def clean(x: Any) -> Any:
    """JSON-safe copy: numpy to Python, NaN to None (the analysis JSON's own rule)."""
    from insole.analysis import _clean

    return _clean(x)


def read_derived(path: str | os.PathLike, name: str) -> dict[str, Any]:
    """The ``/derived/<name>`` tree of a recording, or {}."""
    from insole.store import open_recording

    with open_recording(path) as rec:
        return rec.tree(f"derived/{name}")


def write_derived(path: str | os.PathLike, name: str, foot: str, tree: dict[str, Any],
                  symmetry: dict[str, Any] | None = None) -> None:
    """Store one foot's test result under ``/derived/<name>/<foot>`` (the group is replaced; raw data untouched).

    Parameters
    ----------
    path : str or Path
        The recording.
    name : str
        ``"heel_raise"`` or ``"balance"``.
    foot : {"left", "right"}
    tree : dict
        The result (``to_tree()``).
    symmetry : dict, optional
        Stored as ``/derived/<name>/symmetry`` (replaced); without it an old one is removed,
        since it no longer matches.
    """
    from insole.store import open_recording
    from insole.store.writer import write_tree

    if foot not in FEET:
        raise FootTestError(f"foot must be left or right, not {foot!r}")
    with open_recording(path, "r+") as rec:
        h5 = rec.h5
        group = h5.require_group("derived").require_group(name)
        # written beside the old result first, then swapped in: a failure leaves the old one whole
        staged = {foot: tree, **({"symmetry": symmetry} if symmetry else {})}
        try:
            for key, value in staged.items():
                if f".{key}.new" in group:
                    del group[f".{key}.new"]
                write_tree(group.create_group(f".{key}.new"), value)
        except BaseException:
            for key in staged:
                if f".{key}.new" in group:
                    del group[f".{key}.new"]
            raise
        for key in (foot, "symmetry"):
            if key in group:
                del group[key]
        for key in staged:
            group.move(f".{key}.new", key)


__all__ = ["FEET", "FootSeries", "FootTestError", "TestInput", "Touchdowns", "check_single_leg", "load_input", "other_foot_touchdowns",
           "read_derived", "runs", "series_from_values", "symmetry_angle_pct", "write_derived"]

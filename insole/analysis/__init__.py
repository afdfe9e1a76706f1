"""Per-step gait analysis of a recording (``insole analyze``), following science.md.

:func:`analyze` streams each foot through the compiled kernels (per-frame
features, stance detection, per-step reductions), computes the per-step
metrics and per-foot summaries, and returns an :class:`AnalysisResult` whose
JSON form is documented in docs/analysis.md (``schema_version`` 1.0).  Feet
are analysed one after the other; once a foot's steps are measured its
per-frame region series are released, so memory holds those of one foot.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

from insole.analysis._events import detect_steps, flag_exclusions, sampling_rate_hz
from insole.analysis._frames import FootFrames, foot_frames
from insole.analysis._params import GRAVITY, AnalysisParams
from insole.analysis._steps import CANONICAL, step_metrics

#: Version of the JSON result; additive changes raise the minor number.
SCHEMA_VERSION = "1.0"
#: Metrics compared between feet (science.md 7.2).
SYMMETRY_KEYS = ("contact_time_s", "stride_time_s", "swing_time_s", "peak_force_bw", "lmfi_mean", "cpei_pct",
                 "hallux_fti_share", "medial_pushoff_share", "strike_index_pct")
#: Keys summarised as counts instead of numbers.
CATEGORICAL = ("strike_pattern", "onset_pattern", "toe_off_route", "loading_rate_method")
_NOT_NUMERIC = {"ic_s", "to_s", *CATEGORICAL, "excluded", "flags", "regions", "strike_index_unstable",
                "strike_methods_disagree", "lost_frames"}


def _clean(x: Any) -> Any:
    """JSON-safe copy: numpy scalars to Python, NaN/inf to None."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return [_clean(v) for v in x.tolist()]
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return x if math.isfinite(x) else None
    return x


def _stats(values) -> dict[str, float | None]:
    """Mean, SD (n - 1) and median of the finite values (None and NaN are left out)."""
    arr = values if isinstance(values, np.ndarray) else np.array([v for v in values if v is not None], dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return {"mean": None, "sd": None, "median": None}
    return {"mean": float(arr.mean()), "sd": float(arr.std(ddof=1)) if arr.size > 1 else 0.0, "median": float(np.median(arr))}


def _stats_many(columns: dict[str, np.ndarray]) -> dict[str, dict[str, float | None]]:
    """:func:`_stats` of many float columns of one length; the all-finite ones in one batch.

    NumPy reduces each row of a 2-D array along its last axis exactly as it reduces that
    row alone, so the batch gives the same numbers as one call per column.
    """
    out: dict[str, dict[str, float | None]] = {}
    full = [k for k, c in columns.items() if c.size > 1 and np.isfinite(c).all()]
    if len(full) > 1:
        matrix = np.stack([columns[k] for k in full])
        mean, sd, median = matrix.mean(axis=1), matrix.std(axis=1, ddof=1), np.median(matrix, axis=1)
        for k, m, d, md in zip(full, mean.tolist(), sd.tolist(), median.tolist()):
            out[k] = {"mean": m, "sd": d, "median": md}
    return {k: out[k] if k in out else _stats(c) for k, c in columns.items()}


def _columns(rows: list[dict], keys: list[str]) -> list[tuple]:
    """``[s.get(k) for s in rows]`` for every key ``k`` (one pass when all rows have all keys)."""
    if not keys:
        return []
    if not rows:
        return [() for _ in keys]
    try:
        values = list(map(itemgetter(*keys), rows))
    except KeyError:
        return [tuple(s.get(k) for s in rows) for k in keys]
    return list(zip(*values)) if len(keys) > 1 else [tuple(values)]


def _column(values) -> np.ndarray | None:
    """A float array of a metric over steps (None -> NaN); None unless some value is a number."""
    if not any(isinstance(v, (int, float, np.floating)) and v is not None for v in values):
        return None
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def symmetry_angle_pct(left: float, right: float) -> float:
    """Symmetry angle (Zifchock 2008), % (science.md 7.2); NaN unless both are positive."""
    if not (np.isfinite(left) and np.isfinite(right)) or left <= 0 or right <= 0:
        return float("nan")
    a = 45.0 - math.degrees(math.atan(left / right))
    if a > 90.0:
        a -= 180.0
    return 100.0 * a / 90.0


def count_symmetry_angle_pct(left: float, right: float) -> float:
    """Symmetry angle of two counts (e.g. valid heel raises), %, where 0 is a real value.

    science.md 7.2 defines the symmetry angle for positive values; for counts, one side at 0
    is the most asymmetric case there is, not a missing value, so the same formula is taken
    with ``atan2(left, right)``: 10 against 0 gives -50 %, 0 against 10 gives +50 %. NaN when
    both are 0 or either is missing.
    """
    if not (np.isfinite(left) and np.isfinite(right)) or left < 0 or right < 0 or left + right == 0:
        return float("nan")
    return float((45.0 - np.degrees(np.arctan2(left, right))) / 90.0 * 100.0)


def symmetry_index_pct(left: float, right: float) -> float:
    """Symmetry index (Robinson 1987), % (science.md 7.2); + means right larger."""
    if not (np.isfinite(left) and np.isfinite(right)) or (left + right) == 0:
        return float("nan")
    return 100.0 * (right - left) / (0.5 * (right + left))


@dataclass
class AnalysisResult:
    """What :func:`analyze` found.

    Attributes
    ----------
    data : dict
        The JSON-able result (docs/analysis.md).
    curves : dict
        Per foot: ``gait_line_insole``, ``gait_line_axis``, ``force_curve_n`` arrays
        (steps x 101 [x 2]) and ``pressure_peak``, ``pressure_mean`` per sensor.
    """

    data: dict[str, Any]
    curves: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    def to_json(self, indent: int | None = 2) -> str:
        """The documented JSON text."""
        return json.dumps(_clean(self.data), indent=indent, allow_nan=False)

    def write_json(self, path: str | os.PathLike) -> None:
        """Write the JSON atomically."""
        _atomic_text(Path(path), self.to_json())

    def step_rows(self) -> list[dict[str, Any]]:
        """One flat dict per step (both feet) for CSV export."""
        rows = []
        for foot, fd in self.data["feet"].items():
            for i, step in enumerate(fd["steps"]):
                row = {"foot": foot, "step": i}
                for key, value in step.items():
                    if key == "regions":
                        for region, metrics in (value or {}).items():
                            for mk, mv in (metrics or {}).items():
                                row[f"{region}_{mk}"] = mv
                    elif key == "flags":
                        row[key] = ";".join(value)
                    else:
                        row[key] = value
                rows.append(_clean(row))
        return rows

    def write_steps_csv(self, path: str | os.PathLike) -> None:
        """Write the per-step table as CSV atomically."""
        import csv
        import io

        rows = self.step_rows()
        columns: list[str] = []
        for row in rows:
            columns.extend(k for k in row if k not in columns)
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        _atomic_text(Path(path), buf.getvalue())

    def save_to_recording(self, path: str | os.PathLike) -> None:
        """Store the result under ``/derived/analyze`` (raw data untouched)."""
        from insole.store import open_recording
        from insole.store.writer import write_tree

        with open_recording(path, "r+") as rec:
            h5 = rec.h5
            if "derived/analyze" in h5:
                del h5["derived/analyze"]
            g = h5.require_group("derived").create_group("analyze")
            g.attrs["json"] = self.to_json(indent=None)
            g.attrs["schema_version"] = SCHEMA_VERSION
            write_tree(g, {foot: dict(c) for foot, c in self.curves.items()})


def _atomic_text(path: Path, text: str) -> None:
    from insole.exceptions import InsoleError

    tmp = path.with_name(path.name + ".partial")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InsoleError(f"cannot write {path}: {exc.strerror or exc}") from None


def _window(rec, start_s: float | None, end_s: float | None) -> tuple[float, float, str]:
    t0 = min(float(rec.foot(f).t_host_s_ds[0]) for f in rec.feet if rec.foot(f).n_frames)
    if start_s is None and end_s is None:
        marks = {label.lower(): t for t, label in rec.markers}
        if "start" in marks and ("end" in marks or "stop" in marks):
            return marks["start"], marks.get("end", marks.get("stop")), "markers"
        return -np.inf, np.inf, "whole recording"
    lo = t0 + start_s if start_s is not None else -np.inf
    hi = t0 + end_s if end_s is not None else np.inf
    return lo, hi, f"--start/--end ({start_s} to {end_s} s)"


def _cross_foot(steps_by_foot: dict[str, list[dict]]) -> None:
    """Step time, flight time and double support from the other foot (science.md 2.3)."""
    feet = list(steps_by_foot)
    for foot in feet:
        own = steps_by_foot[foot]
        ic = np.array([s["ic_s"] for s in own], float)
        to = np.array([s["to_s"] for s in own], float)
        ct = np.array([s["contact_time_s"] for s in own], float)
        nxt = np.append(ic[1:], np.nan)
        stride = nxt - ic
        with np.errstate(invalid="ignore", divide="ignore"):
            duty = np.where(np.isfinite(stride) & (stride > 0), ct / stride, np.nan)
            stance = np.where(np.isfinite(duty), 100.0 * duty, np.nan)
        for s, st, sw, d, sp in zip(own, stride.tolist(), (nxt - to).tolist(), duty.tolist(), stance.tolist()):
            s["stride_time_s"], s["swing_time_s"], s["duty_factor"], s["stance_pct"] = st, sw, d, sp
        other = [f for f in feet if f != foot]
        if not other:
            for s in own:
                s["step_time_s"] = s["flight_time_s"] = s["double_support_pct"] = None
            continue
        o = steps_by_foot[other[0]]
        oic = np.array([s["ic_s"] for s in o], float)
        oto = np.array([s["to_s"] for s in o], float)
        columns = _contralateral(ic, to, stride, oic, oto)
        if columns is None:  # events out of order: step by step
            _contralateral_loop(own, oic, oto)
            continue
        for s, st, fl, ds in zip(own, *(c.tolist() for c in columns)):
            s["step_time_s"], s["flight_time_s"], s["double_support_pct"] = st, fl, ds


def _contralateral_loop(own: list[dict], oic: np.ndarray, oto: np.ndarray) -> None:
    for s in own:
        later = oic[oic > s["ic_s"]]
        s["step_time_s"] = float(later[0] - s["ic_s"]) if later.size else np.nan
        after_to = oic[oic > s["to_s"]] if np.isfinite(s["to_s"]) else np.zeros(0)
        s["flight_time_s"] = float(after_to[0] - s["to_s"]) if after_to.size and (after_to[0] - s["to_s"]) > 0 else 0.0
        overlap = np.clip(np.minimum(oto, s["to_s"]) - np.maximum(oic, s["ic_s"]), 0, None)
        overlap = overlap[np.isfinite(overlap)]
        stride = s["stride_time_s"]
        s["double_support_pct"] = float(100.0 * overlap.sum() / stride) if np.isfinite(stride) and stride > 0 else np.nan


def _contralateral(ic, to, stride, oic, oto) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Step time, flight time and double support of every step at once (as :func:`_contralateral_loop`).

    Needs the other foot's events in time order (None otherwise).  A stance overlaps the
    other foot's stances ``[lo, hi)``; the summed overlap equals NumPy's sum of the
    per-stance overlaps whenever at most two are non-zero (walking has two, running
    none); other stances are summed step by step.
    """
    fin_ic = oic[np.isfinite(oic)]
    both = np.isfinite(oic) & np.isfinite(oto)
    o_ic, o_to = oic[both], oto[both]
    if np.any(np.diff(fin_ic) < 0) or np.any(np.diff(o_ic) < 0) or np.any(np.diff(o_to) < 0) or np.any(o_to < o_ic):
        return None
    n = ic.size
    j = np.searchsorted(fin_ic, ic, side="right")
    has_later = np.isfinite(ic) & (j < fin_ic.size)
    step_time = np.where(has_later, fin_ic[np.minimum(j, max(fin_ic.size - 1, 0))] - ic if fin_ic.size else np.nan, np.nan)
    j = np.searchsorted(fin_ic, to, side="right")
    after = np.isfinite(to) & (j < fin_ic.size)
    gap = fin_ic[np.minimum(j, max(fin_ic.size - 1, 0))] - to if fin_ic.size else np.full(n, np.nan)
    with np.errstate(invalid="ignore"):
        flight = np.where(after & (gap > 0), gap, 0.0)
    # stances of the other foot overlapping [ic, to]: o_to > ic and o_ic < to
    ok = np.isfinite(ic) & np.isfinite(to)
    lo = np.searchsorted(o_to, np.where(ok, ic, np.inf), side="right")
    hi = np.searchsorted(o_ic, np.where(ok, to, -np.inf), side="left")
    count = np.where(ok, np.maximum(hi - lo, 0), 0)
    total = np.zeros(n)
    for k in range(2):  # the first two overlaps, in order
        take = count > k
        jj = np.where(take, lo + k, 0)
        if o_ic.size:
            ov = np.clip(np.minimum(o_to[jj], to) - np.maximum(o_ic[jj], ic), 0, None)
            total = np.where(take, total + ov, total)
    for i in np.flatnonzero(count > 2):  # three or more: NumPy's own sum
        overlap = np.clip(np.minimum(oto, to[i]) - np.maximum(oic, ic[i]), 0, None)
        total[i] = overlap[np.isfinite(overlap)].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        ds = np.where(np.isfinite(stride) & (stride > 0), 100.0 * total / stride, np.nan)
    return step_time, flight, ds


def _gait_mode(steps_by_foot: dict[str, list[dict]]) -> str:
    rows = [s for steps in steps_by_foot.values() for s in steps if not s["excluded"]]
    if not rows:
        return "unknown"
    duty = np.array([s.get("duty_factor", np.nan) for s in rows], float)
    if len(steps_by_foot) < 2:
        d = np.nanmedian(duty) if np.isfinite(duty).any() else np.nan
        return "unknown" if not np.isfinite(d) else ("run" if d < 0.5 else "walk")
    flight = np.array([s.get("flight_time_s") or 0.0 for s in rows], float)
    ds = np.array([s.get("double_support_pct") or 0.0 for s in rows], float)
    if np.mean(flight > 0.020) >= 0.5 and np.nanmedian(duty) < 0.5:
        return "run"
    if np.mean(ds > 0) >= 0.5:
        return "walk"
    return "mixed"


def _summary(steps: list[dict], fr: FootFrames, p: AnalysisParams, bw: float | None, warnings: list[str], foot: str) -> dict:
    inc = [s for s in steps if not s["excluded"]]
    summary: dict[str, Any] = {"n_steps": len(inc), "n_steps_total": len(steps), "n_excluded": len(steps) - len(inc)}
    numeric = [k for k in (steps[0] if steps else {}) if k not in _NOT_NUMERIC]
    numbers = {}
    for key, values in zip(numeric, _columns(inc, numeric)):
        column = _column(values)
        if column is not None:
            numbers[key] = column
    summary.update(_stats_many(numbers))
    stride = summary.get("stride_time_s", {}).get("mean")
    strides = np.array([s["stride_time_s"] if s.get("stride_time_s") else np.nan for s in inc], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        summary["cadence_spm"] = _stats(120.0 / strides[strides > 0])
    for key, values in zip(CATEGORICAL, _columns(inc, list(CATEGORICAL))):
        summary[f"{key}_counts"] = dict(Counter(v for v in values if v is not None))
    regions: dict[str, Any] = {}
    per_step = [s["regions"] for s in inc if s.get("regions")]
    for r in CANONICAL:
        per = [reg.get(r) for reg in per_step]
        if not per or all(x is None for x in per):
            regions[r] = "not measured"
            continue
        present = [x for x in per if x]
        metrics = list(per[0] or {})
        regions[r] = _stats_many({mk: np.array([np.nan if v is None else v for v in values], dtype=float)
                                  for mk, values in zip(metrics, _columns(present, metrics))})
    summary["regions"] = regions
    ct = summary.get("contact_time_s", {})
    if ct.get("mean"):
        summary["contact_time_cv_pct"] = 100.0 * ct["sd"] / ct["mean"]
    if stride:
        summary["stride_time_cv_pct"] = 100.0 * summary["stride_time_s"]["sd"] / stride
    summary["lost_frames_in_steps"] = int(sum(s["lost_frames"] for s in steps))
    if summary["lost_frames_in_steps"]:
        warnings.append(f"{foot}: {summary['lost_frames_in_steps']} lost frames fall inside steps")
    if len(inc) < p.min_steps:
        warnings.append(f"{foot}: only {len(inc)} usable steps (at least {p.min_steps} are needed to judge; 30 recommended)")
    toe_peaks = [s.get("toe_peak_force_n") for s in inc if s.get("toe_peak_force_n") is not None]
    insufficient = bool(bw and toe_peaks and np.mean(np.array(toe_peaks) < p.toe_insufficient_bw * bw) > p.toe_insufficient_share)
    summary["insufficient_toe_data"] = insufficient
    if insufficient:
        warnings.append(f"{foot}: insufficient toe contact data (toe peak < 2% BW in most steps); hallux metrics not interpreted")
    unstable = sum(bool(s.get("strike_index_unstable")) for s in inc)
    if unstable:
        summary["strike_index_unstable_steps"] = unstable
    return summary


def _static(frames: dict[str, FootFrames]) -> dict[str, Any] | None:
    if not frames:
        return None
    mean_force = {f: float(np.mean(fr.force_n)) for f, fr in frames.items() if fr.n_frames}
    out: dict[str, Any] = {"mean_force_n": mean_force}
    if len(mean_force) == 2 and sum(mean_force.values()) > 0:
        out["left_share_pct"] = 100.0 * mean_force["left"] / sum(mean_force.values())
    for foot, fr in frames.items():
        names = list(fr.region_names)
        fmean = fr.region_force_n[:, : len(names)].mean(axis=0)
        heel = sum(fmean[names.index(r)] for r in ("heel_medial", "heel_lateral") if r in names)
        fore = sum(fmean[names.index(r)] for r in ("mth1", "mth2_3", "mth4_5", "hallux", "lesser_toes") if r in names)
        cop = fr.cop[np.isfinite(fr.cop[:, 0])]
        out[foot] = {
            "forefoot_share_pct": 100.0 * fore / (fore + heel) if fore + heel > 0 else None,
            "cop_ap": float(cop[:, 0].mean()) if cop.size else None,
            "cop_ml": float(cop[:, 1].mean()) if cop.size else None,
        }
    return out


def analyze(source, *, start_s: float | None = None, end_s: float | None = None, body_mass_kg: float | None = None,
            params: AnalysisParams | None = None, progress: Callable[[str], None] | None = None,
            block_frames: int | None = None) -> AnalysisResult:
    """Analyse a recording.

    Parameters
    ----------
    source : str, Path or RecordingFile
        A recording file.
    start_s, end_s : float, optional
        Window in seconds from the first frame; by default the recording's
        ``start``/``end`` markers when present, else everything.
    body_mass_kg : float, optional
        Overrides the metadata.
    params : AnalysisParams, optional
        Settings (science.md defaults).
    progress : callable, optional
        Called with a short message per stage (feet, steps).
    block_frames : int, optional
        Frames per streamed block (results do not depend on it).

    Returns
    -------
    AnalysisResult
    """
    from insole.store import RecordingFile, open_recording

    p = params or AnalysisParams()
    own = not isinstance(source, RecordingFile)
    rec = open_recording(source) if own else source
    try:
        return _analyze(rec, start_s, end_s, body_mass_kg, p, progress, block_frames)
    finally:
        if own:
            rec.close()


def _analyze(rec, start_s, end_s, body_mass_kg, p, progress, block_frames) -> AnalysisResult:
    md = rec.metadata
    bm = body_mass_kg if body_mass_kg is not None else md.body_mass_kg
    bw = bm * GRAVITY if bm else None
    warnings: list[str] = []
    lo, hi, window_source = _window(rec, start_s, end_s)
    task = md.task or "unknown"
    frames: dict[str, FootFrames] = {}
    fs: float | None = None
    feet_out: dict[str, Any] = {}
    curves: dict[str, dict[str, np.ndarray]] = {}
    steps_by_foot: dict[str, list[dict]] = {}
    details: dict[str, Any] = {}
    running = task == "run"
    # one foot at a time: its per-frame region series are dropped once its steps are measured,
    # so memory holds the region series of one foot only
    for foot in rec.feet:
        fr_reader = rec.foot(foot)
        t_all = fr_reader.t_host_s()
        i0 = int(np.searchsorted(t_all, lo, side="left")) if np.isfinite(lo) else 0
        i1 = int(np.searchsorted(t_all, hi, side="right")) if np.isfinite(hi) else t_all.size
        del t_all
        if progress:
            progress(f"{foot}: reading {i1 - i0} frames")
        fr = foot_frames(fr_reader, body_mass_kg=bm, start=i0, stop=i1, block_frames=block_frames)
        if fs is None:  # the first foot's rate serves both
            fs = sampling_rate_hz(fr.t_s, md.sampling_rate_hz)
        frames[foot] = fr if task == "static" else fr.without_region_series()
        if fr.n_frames < 3:
            warnings.append(f"{foot}: no frames in the analysed window")
            steps_by_foot[foot] = []
            continue
        if np.all(fr.force_n == 0):
            warnings.append(f"{foot}: all sensors read zero; check the insole connection or calibration")
        steps, th = detect_steps(fr.t_s, fr.force_n, fs, body_mass_kg=bm, running=running, p=p, warnings=warnings, foot=foot)
        excluded = flag_exclusions(steps, p)
        rows, c = step_metrics(fr, steps, fs=fs, body_weight_n=bw, reference_n=th.reference_n, running=running, p=p)
        for row, exc, flags in zip(rows, excluded, steps.flags):
            row["excluded"] = bool(exc)
            row["flags"] = list(flags)
        steps_by_foot[foot] = rows
        curves[foot] = {**c, "pressure_peak": fr.sensor_peak,
                        "pressure_mean": fr.sensor_sum / fr.n_loaded if fr.n_loaded else np.zeros_like(fr.sensor_sum)}
        details[foot] = {"layout": fr.layout.name, "unit": fr.unit, "reference_force_n": th.reference_n,
                         "reference_source": th.reference_source, "force_lowpass_hz": th.lowpass_hz,
                         "frames": fr.n_frames, "saturated_or_flat": bool(np.ptp(fr.force_n) == 0)}
        del fr, steps, rows, c
    if fs is None:
        fs = float("nan")
    _cross_foot(steps_by_foot)
    for foot, rows in steps_by_foot.items():
        if not rows and task not in ("static", "balance", "heel-raise"):
            warnings.append(f"{foot}: no steps found")
        fr = frames.get(foot)
        feet_out[foot] = {"steps": rows, "summary": _summary(rows, fr, p, bw, warnings, foot) if fr is not None else {},
                          **details.get(foot, {})}
    symmetry = {}
    if len(feet_out) == 2:
        for key in SYMMETRY_KEYS:
            left = feet_out["left"]["summary"].get(key, {})
            right = feet_out["right"]["summary"].get(key, {})
            if isinstance(left, dict) and isinstance(right, dict) and left.get("mean") is not None and right.get("mean") is not None:
                sa = symmetry_angle_pct(left["mean"], right["mean"])
                symmetry[key] = {"left_mean": left["mean"], "right_mean": right["mean"], "left_sd": left["sd"], "right_sd": right["sd"],
                                 "symmetry_angle_pct": sa, "symmetry_index_pct": symmetry_index_pct(left["mean"], right["mean"]),
                                 "flag": None if not np.isfinite(sa) else ("marked" if abs(sa) > 20 else ("notable" if abs(sa) > 10 else None))}
    elif len(feet_out) == 1:
        warnings.append("one foot only: step time, double support, flight time and symmetry cannot be computed")
    if not (fs >= p.loading_rate_min_hz):
        warnings.append(f"loading rate unavailable: {fs:.0f} Hz is below the {p.loading_rate_min_hz:.0f} Hz it needs")
    data = {
        "schema_version": SCHEMA_VERSION,
        "file": str(rec.path),
        "task": task,
        "sampling_rate_hz": fs,
        "body_mass_kg": bm,
        "window": {"source": window_source, "start_s": None if not np.isfinite(lo) else lo, "end_s": None if not np.isfinite(hi) else hi},
        "gait_mode": _gait_mode(steps_by_foot),
        "feet": feet_out,
        "symmetry": symmetry,
        "static": _static(frames) if task == "static" else None,
        "warnings": warnings,
    }
    return AnalysisResult(data, curves)


__all__ = ["SCHEMA_VERSION", "AnalysisParams", "AnalysisResult", "analyze", "symmetry_angle_pct", "symmetry_index_pct"]

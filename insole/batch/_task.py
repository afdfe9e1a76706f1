"""The work on one recording: import (or open), analyse, and flatten into table rows.

Pure and picklable: :func:`process_recording` takes paths and returns plain
dicts, knows nothing of Dask, and never raises for a bad recording (the error
goes into the row), so one failing file cannot stop a batch.
"""

from __future__ import annotations

import os
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: Version of the row layout; a cached result of another version is recomputed.
ROW_VERSION = "1"
#: Metadata columns, in this order, before the results.
METADATA_COLUMNS = ("subject_id", "group", "task", "age_years", "sex", "body_mass_kg", "speed_m_s", "footwear",
                    "device", "source", "recorded_at", "notes")
#: Per-foot summary values that are single numbers (not mean/sd/median dicts).
FOOT_SCALARS = ("n_steps", "n_steps_total", "n_excluded", "stride_time_cv_pct", "contact_time_cv_pct",
                "lost_frames_in_steps", "insufficient_toe_data", "strike_index_unstable_steps")
#: Statistics of each per-step metric kept in the summary row.
STATS = ("mean", "sd")


def _scalar(v: Any) -> Any:
    from insole.analysis import _clean

    return _clean(v)


def _counts(d: dict) -> str:
    return ";".join(f"{k}:{v}" for k, v in sorted(d.items()))


def summary_row(data: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    """One flat summary row from an analysis result (``AnalysisResult.data``) and metadata.

    Columns: the metadata (:data:`METADATA_COLUMNS`), ``sampling_rate_hz``,
    ``duration_s``, ``gait_mode``, then per foot (``left_``/``right_`` prefix)
    the counts and coefficients of variation of :data:`FOOT_SCALARS` and the
    mean and SD of every per-step metric (``left_contact_time_s_mean``), the
    categorical counts (``left_strike_pattern_counts`` = ``RFS:40;MFS:2``),
    the symmetry angles (``symmetry_<metric>_angle_pct``) and the warnings
    joined by ``" | "``.  Regions are left to the per-step rows.
    """
    row: dict[str, Any] = {k: metadata.get(k) for k in METADATA_COLUMNS}
    row["sampling_rate_hz"] = data.get("sampling_rate_hz")
    row["gait_mode"] = data.get("gait_mode")
    for foot, fd in data.get("feet", {}).items():
        s = fd.get("summary") or {}
        for k in FOOT_SCALARS:
            if k in s:
                row[f"{foot}_{k}"] = s[k]
        for k, v in s.items():
            if k in FOOT_SCALARS or k == "regions":
                continue
            if isinstance(v, dict) and "mean" in v:
                for stat in STATS:
                    row[f"{foot}_{k}_{stat}"] = v.get(stat)
            elif isinstance(v, dict) and k.endswith("_counts"):
                row[f"{foot}_{k}"] = _counts(v)
    for k, sym in (data.get("symmetry") or {}).items():
        row[f"symmetry_{k}_angle_pct"] = sym.get("symmetry_angle_pct")
    row["warnings"] = " | ".join(data.get("warnings", []))
    return {k: _scalar(v) for k, v in row.items()}


def _metadata_dict(md) -> dict[str, Any]:
    return {k: getattr(md, k, None) for k in METADATA_COLUMNS}


def _analyze_file(path: str, original: Sequence[str], want_steps: bool) -> tuple[dict, list[dict], float | None]:
    from insole.analysis import analyze
    from insole.store import open_recording

    with open_recording(path) as rec:
        md = _metadata_dict(rec.metadata)
        durations = []
        for foot in rec.feet:
            fr = rec.foot(foot)
            if fr.n_frames > 1:
                t = fr.t_host_s_ds[[0, fr.n_frames - 1]]
                durations.append(float(t[1] - t[0]))
        result = analyze(rec)
    result.data["file"] = original[0]
    row = summary_row(result.data, md)
    row["duration_s"] = max(durations) if durations else None
    steps = result.step_rows() if want_steps else []
    return row, steps, row["duration_s"]


def process_recording(paths: Sequence[str], format: str | None, key: str, *, want_steps: bool = True) -> dict[str, Any]:
    """Analyse one recording; never raises for a bad one.

    Parameters
    ----------
    paths : sequence of str
        The files of the recording (as :class:`~insole.batch.BatchItem`).
    format : str or None
        Its format (``native`` is opened in place; other formats are imported
        into a temporary recording file first).  None: identify again.
    key : str
        Its content key (returned unchanged).
    want_steps : bool
        Also return the per-step rows.

    Returns
    -------
    dict
        ``key``, ``paths``, ``status`` (``"ok"`` or ``"error"``), ``error`` (one
        line or None), ``row`` (summary columns), ``steps`` (per-step rows),
        ``has_steps`` (``want_steps``), ``seconds`` (time taken) and ``row_version``.
    """
    from insole.exceptions import InsoleError

    t0 = time.perf_counter()
    out: dict[str, Any] = {"key": key, "paths": list(paths), "row_version": ROW_VERSION, "status": "ok",
                           "error": None, "row": {}, "steps": [], "has_steps": bool(want_steps)}
    try:
        if format == "native" and len(paths) == 1:
            row, steps, _ = _analyze_file(paths[0], paths, want_steps)
        else:
            from insole.io import read

            rec = read(list(paths), format=format or "auto")
            with tempfile.TemporaryDirectory(prefix="insole-batch-") as tmp:
                h5 = os.path.join(tmp, Path(paths[0]).stem + ".h5")
                rec.save(h5, compression=None)
                del rec
                row, steps, _ = _analyze_file(h5, paths, want_steps)
        out["row"], out["steps"] = row, steps
    except InsoleError as exc:
        msg = str(exc)
        if "; supported: " in msg:  # the importer's list of every format: too long for a table cell
            msg = msg.split("; supported: ")[0] + "; 'insole formats' lists the supported ones"
        out["status"], out["error"] = "error", _one_line(f"{type(exc).__name__}: {msg}")
    except MemoryError:
        out["status"], out["error"] = "error", "MemoryError: not enough memory for this recording"
    except Exception as exc:  # a bug or a damaged file: report it, keep the batch going
        where = traceback.extract_tb(exc.__traceback__)[-1]
        out["status"] = "error"
        out["error"] = _one_line(f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})")
    out["seconds"] = time.perf_counter() - t0
    return out


def warm_up() -> bool:
    """Import what :func:`process_recording` needs (run once on each worker before timing starts)."""
    import insole.analysis
    import insole.io
    import insole.store.reader  # noqa: F401

    return True


def ignore_interrupts() -> bool:
    """Ignore Ctrl-C in a worker process of our own local cluster (the driver stops it cleanly).

    Not used on the workers of a scheduler given by address: they belong to the user.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return False
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return True


def _one_line(text: str, limit: int = 300) -> str:
    first = " ".join(str(text).split())
    return first if len(first) <= limit else first[: limit - 3] + "..."


__all__ = ["FOOT_SCALARS", "METADATA_COLUMNS", "ROW_VERSION", "ignore_interrupts", "process_recording", "summary_row", "warm_up"]

"""Human-readable summary and validation of a recording file (``insole info``)."""

from __future__ import annotations

import os

import numpy as np

from insole.store import open_recording, schema


def _fmt_duration(seconds: float) -> str:
    m, s = divmod(max(0.0, seconds), 60.0)
    return f"{int(m)} min {s:04.1f} s" if m else f"{s:.2f} s"


def validate_file(rec) -> list[str]:
    """Problems found in an open :class:`~insole.store.RecordingFile` (empty: valid)."""
    problems: list[str] = []
    for foot in rec.feet:
        fr = rec.foot(foot)
        lengths = {fr.raw.shape[0], fr.t_host_s_ds.shape[0], fr.seq_ds.shape[0], fr.t_device_us_ds.shape[0]}
        if len(lengths) > 1:
            problems.append(f"{foot}: per-frame datasets differ in length {sorted(lengths)} (a crash mid-flush)")
        if fr.n_frames == 0:
            problems.append(f"{foot}: no frames")
            continue
        t = fr.t_host_s()
        back = int(np.count_nonzero(np.diff(t) < 0))
        if back:
            problems.append(f"{foot}: host time goes backwards {back} times")
        if fr.calibration is not None and fr.calibration.n_sensors != fr.n_sensors:
            problems.append(f"{foot}: calibration is for {fr.calibration.n_sensors} sensors, data has {fr.n_sensors}")
        if fr.layout.n_sensors != fr.n_sensors:
            problems.append(f"{foot}: layout has {fr.layout.n_sensors} sensors, data has {fr.n_sensors}")
    return problems


def summarize_file(path: str | os.PathLike) -> str:
    """The text ``insole info FILE`` prints."""
    lines: list[str] = []
    with open_recording(path) as rec:
        md = rec.metadata
        lines.append(f"file: {path}")
        lines.append(f"schema: {schema.format_version(rec.schema_version)}" + ("  (recovered after a writer crash)" if rec.recovered else ""))
        lines.append(f"feet: {', '.join(rec.feet)}")
        rate = f"{md.sampling_rate_hz:g} Hz" if md.sampling_rate_hz else "unknown"
        lines.append(f"sampling rate: {rate}")
        for foot in rec.feet:
            fr = rec.foot(foot)
            n = fr.n_frames
            dur = 0.0
            if n > 1:
                t = fr.t_host_s_ds[[0, n - 1]]
                dur = float(t[1] - t[0])
            gaps = fr.gaps
            lost = int(gaps["n_missing"].sum()) if gaps.size else 0
            cal = "calibrated" if fr.calibration is not None else f"raw in {fr.unit}"
            lines.append(
                f"{foot}: {n} frames, {_fmt_duration(dur)}, {fr.n_sensors} sensors, layout {fr.layout.name} "
                f"({fr.layout.kind}), {cal}, {lost} frames lost in {gaps.size} gaps"
                + (f", IMU {len(fr.imu_columns)} channels" if fr.imu_columns else "")
            )
            link = {k: v for k, v in fr.link.items() if v}
            if link:
                lines.append("  link: " + ", ".join(f"{k} {v:g}" for k, v in link.items()))
            sync = fr.sync
            if sync:
                lines.append(f"  clock fit: residual {sync.get('residual_ms', float('nan')):.2f} ms over {int(sync.get('n_points', 0))} points")
        sync_group = rec.h5.get(schema.SYNC)
        if sync_group is not None and "lr_error_ms" in sync_group.attrs:
            lines.append(f"left/right sync error: {float(sync_group.attrs['lr_error_ms']):.2f} ms "
                         f"(clocks drifted apart {float(sync_group.attrs.get('lr_drift_ms', float('nan'))):.1f} ms)")
        attrs = md.to_attrs()
        shown = {k: v for k, v in attrs.items() if k != "sampling_rate_hz"}
        if shown:
            lines.append("metadata: " + ", ".join(f"{k}={v}" for k, v in shown.items()))
        markers = rec.markers
        if markers:
            lines.append("markers: " + ", ".join(f"{t:.2f} s {lab}" for t, lab in markers))
        for group in (schema.TRUTH, schema.REFERENCE, schema.DERIVED):
            g = rec.h5.get(group)
            if g is not None and len(g):
                lines.append(f"{group}: " + ", ".join(sorted(g.keys())))
        problems = validate_file(rec)
        lines.append("valid: yes" if not problems else "valid: NO - " + "; ".join(problems))
    return "\n".join(lines)

"""The demo pipeline behind ``insole demo`` (everything it needs is generated or packaged)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np


def _rolling_load(layout, n_frames: int, rate_hz: float, rng) -> np.ndarray:
    """A load blob that rolls heel to toe once per second (a stand-in until the simulator lands)."""
    t = np.arange(n_frames) / rate_hz
    phase = (t % 1.0) / 0.6
    centre = np.clip(phase, 0, 1)
    loaded = phase <= 1.0
    d2 = (layout.ap[None, :] - (0.1 + 0.8 * centre)[:, None]) ** 2 + (layout.ml[None, :] * 0.5) ** 2
    p = 250.0 * np.exp(-d2 / 0.02) * loaded[:, None]
    p += rng.normal(0, 2.0, p.shape)
    return np.clip(p, 0, None).astype(np.float32)


def run_demo(out_dir: Path) -> Iterator[str]:
    """Run the demo, yielding the lines to print."""
    from insole import kernels
    from insole.features import foot_features
    from insole.layout import get_layout
    from insole.recording import FootData, Metadata, Recording
    from insole.store import open_recording
    from insole.summary import summarize_file

    out_dir.mkdir(parents=True, exist_ok=True)
    rate_hz = 100.0
    n = int(10 * rate_hz)
    rng = np.random.default_rng(42)
    feet = {}
    for side in ("left", "right"):
        layout = get_layout("pedar-99", side=side)
        t = np.arange(n) / rate_hz
        feet[side] = FootData(_rolling_load(layout, n, rate_hz, rng), "kPa", (t * 1e6).astype(np.int64), t,
                              np.arange(n), layout)
    rec = Recording(feet, Metadata(subject_id="demo", task="walk", sampling_rate_hz=rate_hz, device="generated", source="demo"))
    path = out_dir / "demo_walk.h5"
    rec.save(path, overwrite=True)
    yield f"wrote {path}"
    yield summarize_file(path)
    with open_recording(path) as f:
        ff = foot_features(f.foot("left"), body_mass_kg=70.0)
    yield f"left foot: peak force {np.nanmax(ff.force_n):.0f} N, COP valid in {np.mean(~np.isnan(ff.cop[:, 0])):.0%} of frames (kernels: {kernels.BACKEND})"

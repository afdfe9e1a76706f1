"""Single-leg balance test: COP sway of the standing foot and touch-downs of the other (science.md 4.4, 9.2).

The test window starts when the other foot leaves the ground (or at the
first frame when it is never loaded) and lasts ``duration_s``.  Within it,
frames while the other foot touches down (plus 0.2 s either side) and frames
without a valid COP (science.md 1.2) are left out; the COP is low-passed
(zero-lag 4th-order Butterworth, 10 Hz [H]; science.md 1.4 uses 15 Hz for
walking, sway is slower) and its medio-lateral and anterior-posterior range
(max - min, mm) and mean speed (mm/s, central differences) are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from insole.foot_tests._common import (
    GRAVITY_M_S2,
    FootTestError,
    TestInput,
    Touchdowns,
    check_single_leg,
    clean,
    load_input,
    other_foot_touchdowns,
    runs,
    symmetry_angle_pct,
)


@dataclass(frozen=True)
class BalanceParams:
    """Settings of the balance analysis [H] (docs/foot_tests.md).

    Parameters
    ----------
    duration_s : float
        Length of the analysed single-leg stance (30 s in the usual protocol).
    lowpass_hz : float
        COP low-pass before range and speed.
    touchdown_margin_s : float
        Frames this close to a touch-down are left out of the sway measures.
    min_valid_s : float
        Fewest seconds of valid COP for sway measures.
    """

    duration_s: float = 30.0
    lowpass_hz: float = 10.0
    touchdown_margin_s: float = 0.2
    min_valid_s: float = 2.0


@dataclass
class BalanceResult:
    """One foot's balance test; ``summary`` holds everything (keys in docs/foot_tests.md)."""

    foot: str
    summary: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def to_tree(self) -> dict[str, Any]:
        """The ``/derived/balance/<foot>`` tree."""
        tree = {k: v for k, v in self.summary.items() if v is not None}
        if self.warnings:
            tree["warnings"] = list(self.warnings)
        return tree

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return clean({"foot": self.foot, **self.summary, "warnings": self.warnings})


def _lowpass(x: np.ndarray, fs: float, fc: float) -> np.ndarray:
    if not (fs > 2.5 * fc) or x.size < 16:
        return x
    from scipy.signal import butter, sosfiltfilt

    sos = butter(2, fc, fs=fs, output="sos")  # 2nd order run forward and back: zero-lag 4th order
    return sosfiltfilt(sos, x)


def balance_from_input(inp: TestInput, *, params: BalanceParams | None = None) -> BalanceResult:
    """:func:`analyze_balance` on series already read."""
    p = params or BalanceParams()
    fs_ = inp.test
    check_single_leg(fs_, inp.label, "balance")
    t = fs_.t_s
    bm = inp.body_mass_kg
    r = bm * GRAVITY_M_S2 if bm else float(np.percentile(fs_.force_n, 95))
    touch: Touchdowns = other_foot_touchdowns(inp.other, r)
    loaded = fs_.force_n >= 0.5 * float(np.percentile(fs_.force_n, 95))
    if not np.any(loaded) or float(np.percentile(fs_.force_n, 95)) <= 0:
        raise FootTestError(f"{inp.label}: the {fs_.foot} foot is never loaded; check --foot")
    t_start = max(touch.single_leg_from_s, float(t[np.argmax(loaded)]))
    t_end = t_start + p.duration_s
    in_window = (t >= t_start) & (t <= t_end)
    if np.count_nonzero(in_window) < 3:
        raise FootTestError(f"{inp.label}: no single-leg stance on the {fs_.foot} foot to analyse")
    dt = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    fs_hz = 1.0 / dt if dt > 0 else float("nan")
    in_touch = touch.loaded_mask(t, p.touchdown_margin_s)
    ap, ml = fs_.cop[:, 0], fs_.cop[:, 1]
    keep = in_window & ~in_touch & np.isfinite(ap) & np.isfinite(ml) & loaded
    window_s = float(min(t_end, t[in_window][-1]) - t_start)
    td = (touch.start_s >= t_start) & (touch.start_s <= t_end)
    summary: dict[str, Any] = {
        "foot": fs_.foot,
        "layout": fs_.layout.name,
        "duration_s": window_s,
        "window_start_s": t_start,
        "window_end_s": t_start + window_s,
        "n_touchdowns": int(np.count_nonzero(td)),
        "touchdown_s": touch.start_s[td],
        "touchdown_duration_s": touch.end_s[td] - touch.start_s[td],
        "touchdown_threshold_n": touch.threshold_n,
        "cop_valid_pct": 100.0 * np.count_nonzero(keep) / max(1, np.count_nonzero(in_window)),
        "force_mean_n": float(np.mean(fs_.force_n[in_window])),
        "lowpass_hz": p.lowpass_hz,
    }
    warnings = []
    if np.count_nonzero(keep) * dt < p.min_valid_s:
        warnings.append(f"fewer than {p.min_valid_s:g} s of valid COP: sway not measured")
    else:
        width, length = float(fs_.layout.width_mm), float(fs_.layout.length_mm)
        ml_mm, ap_mm = [], []
        vml, vap = [], []
        s, e = runs(keep)
        for a, b in zip(s, e):  # loop over contiguous stretches (touch-downs split the stance)
            if b - a < 3:
                continue
            x = _lowpass(ml[a:b] * width, fs_hz, p.lowpass_hz)
            y = _lowpass(ap[a:b] * length, fs_hz, p.lowpass_hz)
            ml_mm.append(x)
            ap_mm.append(y)
            vml.append(np.gradient(x, t[a:b]))
            vap.append(np.gradient(y, t[a:b]))
        if not ml_mm:  # every stretch too short to filter: no sway figures (NaN), and say so
            warnings.append("the valid COP comes in stretches too short to filter: sway not measured")
            ml_mm, ap_mm, vml, vap = ([np.full(1, np.nan)] for _ in range(4))
        x, y = np.concatenate(ml_mm), np.concatenate(ap_mm)
        vx, vy = np.concatenate(vml), np.concatenate(vap)
        summary.update({
            "cop_ml_range_mm": float(np.ptp(x)),
            "cop_ap_range_mm": float(np.ptp(y)),
            "cop_ml_sd_mm": float(np.std(x)),
            "cop_ap_sd_mm": float(np.std(y)),
            "cop_ml_velocity_mm_s": float(np.mean(np.abs(vx))),
            "cop_ap_velocity_mm_s": float(np.mean(np.abs(vy))),
            "cop_velocity_mm_s": float(np.mean(np.hypot(vx, vy))),
        })
    if window_s < p.duration_s - 1.0:
        warnings.append(f"single-leg stance lasted {window_s:.1f} s, less than the {p.duration_s:g} s asked")
    if not np.isfinite(touch.threshold_n):
        warnings.append("the other foot is not in the recording: touch-downs cannot be seen")
    return BalanceResult(fs_.foot, summary, warnings)


def analyze_balance(source, foot: str, *, duration_s: float = 30.0, body_mass_kg: float | None = None,
                    start_s: float | None = None, end_s: float | None = None,
                    params: BalanceParams | None = None) -> BalanceResult:
    """Analyse a single-leg balance test.

    Parameters
    ----------
    source : str, Path, RecordingFile or Recording
    foot : {"left", "right"}
        The standing foot.
    duration_s : float
        Seconds of single-leg stance analysed, from when the other foot leaves the ground.
    body_mass_kg : float, optional
    start_s, end_s : float, optional
        Window in seconds from the first frame.
    params : BalanceParams, optional
        Other settings (its ``duration_s`` is replaced by ``duration_s``).

    Returns
    -------
    BalanceResult

    Examples
    --------
    >>> from insole.simulate import simulate
    >>> rec = simulate(layout="pedar-99", task="balance", duration_s=12, touchdowns=1, seed=2)
    >>> analyze_balance(rec, "left", duration_s=10).summary["n_touchdowns"]
    1
    """
    from dataclasses import replace

    p = replace(params or BalanceParams(), duration_s=float(duration_s))
    if not duration_s > 0:
        raise FootTestError("--duration must be positive")
    inp = load_input(source, foot, body_mass_kg=body_mass_kg, start_s=start_s, end_s=end_s)
    return balance_from_input(inp, params=p)


def balance_symmetry(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any] | None:
    """L/R symmetry angles (science.md 7.2) of the sway measures when both feet were tested."""
    if not left or not right:
        return None
    out = {}
    for key in ("cop_ml_range_mm", "cop_ml_velocity_mm_s", "cop_ap_range_mm", "cop_velocity_mm_s"):
        lv, rv = left.get(key), right.get(key)
        if lv is not None and rv is not None:
            out[f"{key}_sa_pct"] = symmetry_angle_pct(lv, rv)
    return out or None


def format_balance(result: BalanceResult) -> str:
    """A few lines for the terminal."""
    s = result.summary

    def num(key: str, digits: int = 1) -> str:
        v = s.get(key)
        return "-" if v is None or not np.isfinite(v) else f"{v:.{digits}f}"

    lines = [f"single-leg balance, {result.foot} foot ({s['layout']}): {s['duration_s']:.1f} s from {s['window_start_s']:.1f} s",
             f"COP range: medio-lateral {num('cop_ml_range_mm')} mm, anterior-posterior {num('cop_ap_range_mm')} mm",
             f"COP speed: medio-lateral {num('cop_ml_velocity_mm_s')} mm/s, anterior-posterior {num('cop_ap_velocity_mm_s')} mm/s, "
             f"total {num('cop_velocity_mm_s')} mm/s",
             f"touch-downs of the other foot: {s['n_touchdowns']}"
             + (" at " + ", ".join(f"{x:.1f} s" for x in s["touchdown_s"]) if s["n_touchdowns"] else ""),
             "compare with the other foot and earlier tests only: sway norms from other devices do not apply"]
    lines += [f"warning: {w}" for w in result.warnings]
    return "\n".join(lines)


__all__ = ["BalanceParams", "BalanceResult", "analyze_balance", "balance_from_input", "balance_symmetry", "format_balance"]

"""Sensor imperfections applied to noise-free simulated values, chunk by chunk.

All operations are vectorised over frames; the few that need the past
(hysteresis) carry a short tail of the previous chunk, so chunked and
one-shot generation give the same result for the same seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d

#: Reference value for the FSR-like compression (kPa or N).
NONLINEAR_REF = 400.0
#: Window of the hysteresis "memory" (s).
HYSTERESIS_WINDOW_S = 0.06


@dataclass(frozen=True)
class Realism:
    """Imperfection knobs (all off when zero / None).

    Parameters
    ----------
    noise : float
        Standard deviation of white sensor noise, in sensor units (kPa or N).
    drift : float
        Baseline drift reached at the end of the recording, in sensor units
        (each sensor drifts by a random fraction of it).
    nonlinearity : float
        FSR-like compression 0..1: ``v / (1 + k v / 400)``.
    hysteresis : float
        0..1: unloading reads high, ``v + h (max over the last 60 ms - v)``.
    crosstalk : float
        Matrix insoles: each sensel picks up this fraction of its 4 neighbours.
    saturation : float, optional
        Values clip here (sensor units).
    drop_rate : float
        Probability that a frame is lost on the link.
    dead_band : float
        Readings below this (sensor units) read 0, like a device's noise threshold
        (F-Scan exports carry ``NOISE_THRESHOLD``; Moticon zeroes its sensors).
    """

    noise: float = 0.0
    drift: float = 0.0
    nonlinearity: float = 0.0
    hysteresis: float = 0.0
    crosstalk: float = 0.0
    saturation: float | None = None
    drop_rate: float = 0.0
    dead_band: float = 0.0

    @property
    def is_ideal(self) -> bool:
        """True when the output equals the noise-free generative values."""
        return not (self.noise or self.drift or self.nonlinearity or self.hysteresis or self.crosstalk
                    or self.saturation or self.drop_rate)


class RealismApplier:
    """Applies :class:`Realism` to consecutive chunks of one foot."""

    def __init__(self, realism: Realism, n_sensors: int, grid_shape, rate_hz: float, duration_s: float, rng: np.random.Generator):
        self.r = realism
        self.grid_shape = grid_shape
        self.rng = rng
        self.duration_s = max(duration_s, 1e-9)
        self.drift_gain = rng.uniform(-0.5, 1.0, n_sensors).astype(np.float32) if realism.drift else None
        self.win = max(1, round(HYSTERESIS_WINDOW_S * rate_hz))
        self._tail: np.ndarray | None = None

    def apply(self, values: np.ndarray, t_s: np.ndarray) -> np.ndarray:
        """Imperfect version of a (n, m) float32 block at times ``t_s``."""
        r = self.r
        v = values
        if r.crosstalk and self.grid_shape is not None:
            rows, cols = self.grid_shape
            g = v.reshape(-1, rows, cols)
            nb = np.zeros_like(g)
            nb[:, 1:, :] += g[:, :-1, :]
            nb[:, :-1, :] += g[:, 1:, :]
            nb[:, :, 1:] += g[:, :, :-1]
            nb[:, :, :-1] += g[:, :, 1:]
            v = (g + np.float32(r.crosstalk) * nb).reshape(v.shape)
        if r.hysteresis:
            prev = self._tail if self._tail is not None else np.zeros((0, v.shape[1]), v.dtype)
            ext = np.concatenate([prev, v])
            # causal running max over the last `win` frames
            mx = maximum_filter1d(ext, size=self.win, axis=0, origin=(self.win - 1) // 2, mode="nearest")
            self._tail = ext[-(self.win - 1):] if self.win > 1 else None
            mx = mx[prev.shape[0]:]
            v = v + np.float32(r.hysteresis) * (mx - v)
        if r.nonlinearity:
            v = v / (1.0 + np.float32(r.nonlinearity) * v / np.float32(NONLINEAR_REF))
        if r.drift:
            v = v + (np.float32(r.drift) * (t_s / self.duration_s).astype(np.float32))[:, None] * self.drift_gain
        if r.noise:
            # noise on loaded sensels only: on an unloaded one it would almost always fall under
            # the dead band of 3 SD (a flicker in 0.13 % of samples is not modelled), and drawing
            # it for every sensel was a third of the simulation time
            v = np.array(v, dtype=np.float32, copy=True)
            loaded = v > 0
            v[loaded] += np.float32(r.noise) * self.rng.standard_normal(int(loaded.sum()), dtype=np.float32)
        if r.noise or r.drift:
            np.maximum(v, 0.0, out=v)
        if r.dead_band:
            v[v < np.float32(r.dead_band)] = 0.0
        if r.saturation:
            np.minimum(v, np.float32(r.saturation), out=v)
        return v.astype(np.float32, copy=False)

    def keep_mask(self, n: int) -> np.ndarray:
        """Which of ``n`` frames survive the link (all when drop_rate is 0)."""
        if not self.r.drop_rate:
            return np.ones(n, dtype=bool)
        return self.rng.random(n) >= self.r.drop_rate

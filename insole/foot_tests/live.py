"""Live heel-raise counting from the recorder's ``on_frames`` tap, and a terminal metronome.

:class:`LiveHeelRaise` keeps the frames of both feet as per-frame series (the
same frame-features kernels as offline) and re-runs the offline detection
(:func:`insole.foot_tests.heel_raise.detect`) on everything seen so far at
most every ``min_interval_s``: a repetition is announced once it has ended,
with its number and end position.  Because the detection is the offline one,
the final analysis of the written file agrees with what was shown (the file's
host times are refitted when it closes, so times may differ by milliseconds).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from insole.foot_tests._common import FEET, FootSeries, FootTestError, TestInput, series_from_values
from insole.foot_tests.heel_raise import HeelRaiseParams, HeelRaiseResult, heel_raise_from_input


class LiveHeelRaise:
    """Incremental heel-raise tracker fed by ``Recorder(on_frames=...)``.

    Parameters
    ----------
    layouts : dict
        ``{foot: SensorLayout}`` (``Recorder.layouts``).
    calibrations : dict
        ``{foot: Calibration}`` raw counts -> kPa or N (``Recorder.calibrations``).
    foot : {"left", "right"}
        The standing foot.
    body_mass_kg : float, optional
    target : int
        ``on_target`` is called once this many valid repetitions are done.
    on_rep : callable, optional
        ``on_rep(row, n_valid)`` per finished repetition (``row``: the per-repetition dict).
    on_target : callable, optional
        Called once when the target is reached.
    min_interval_s : float
        Re-run the detection at most this often (host time of the frames).
    """

    def __init__(self, layouts: dict[str, Any], calibrations: dict[str, Any], foot: str, *, body_mass_kg: float | None = None,
                 target: int = 10, on_rep: Callable[[dict[str, Any], int], None] | None = None,
                 on_target: Callable[[], None] | None = None, min_interval_s: float = 0.2,
                 params: HeelRaiseParams | None = None) -> None:
        if foot not in FEET:
            raise FootTestError(f"--foot must be left or right, not {foot!r}")
        self.layouts = layouts
        self.calibrations = calibrations
        self.foot = foot
        self.body_mass_kg = body_mass_kg
        self.target = int(target)
        self.on_rep = on_rep
        self.on_target = on_target
        self.min_interval_s = float(min_interval_s)
        self.params = params or HeelRaiseParams()
        self._blocks: dict[str, list[FootSeries]] = {f: [] for f in FEET}
        self._last_run_t = -np.inf
        self.reported = 0
        self.n_valid = 0
        self.target_reached = False
        self.result: HeelRaiseResult | None = None
        self._lock = threading.Lock()
        self._broken = False

    def feed(self, foot: str, t_host_s: np.ndarray, values: np.ndarray) -> None:
        """The ``on_frames`` tap: add a block of raw frames; re-run the detection when due.

        A failure here must never cost the recording: the live display is switched off with
        one warning line and the recorder goes on (the stored file is analysed at the end).
        """
        if self._broken or foot not in self._blocks or len(t_host_s) == 0:
            return
        try:
            self._feed(foot, t_host_s, values)
        except Exception as exc:
            self._broken = True
            import sys

            print(f"warning: live repetition count stopped ({type(exc).__name__}: {exc}); "
                  "still recording, the file is analysed at the end", file=sys.stderr, flush=True)

    def _feed(self, foot: str, t_host_s: np.ndarray, values: np.ndarray) -> None:
        cal = self.calibrations.get(foot)
        if cal is None:
            from insole.calibration import Calibration

            lay = self.layouts[foot]
            cal = Calibration.for_raw_unit(lay.n_sensors, "count", "kPa" if lay.kind == "pressure_kpa" else "N")
        with self._lock:
            self._blocks[foot].append(series_from_values(foot, self.layouts[foot], cal, np.asarray(values),
                                                         np.asarray(t_host_s, float), self.body_mass_kg))
            t_last = float(t_host_s[-1])
            if foot == self.foot and t_last - self._last_run_t >= self.min_interval_s:
                self._last_run_t = t_last
                self.update()

    def _series(self, foot: str) -> FootSeries | None:
        blocks = self._blocks[foot]
        if not blocks:
            return None
        if len(blocks) > 1:  # keep one concatenated block
            b0 = blocks[0]
            merged = FootSeries(foot, b0.layout, np.concatenate([b.t_s for b in blocks]),
                                np.concatenate([b.force_n for b in blocks]), np.concatenate([b.cop for b in blocks]),
                                np.concatenate([b.region_force_n for b in blocks]), b0.region_names)
            self._blocks[foot] = [merged]
        return self._blocks[foot][0]

    def update(self) -> None:
        """Re-run the detection on everything seen; announce repetitions that have ended."""
        test = self._series(self.foot)
        if test is None or test.n_frames < 10:
            return
        other = self._series("right" if self.foot == "left" else "left")
        inp = TestInput(test, other, self.body_mass_kg, "the live stream", "heel-raise")
        try:
            res = heel_raise_from_input(inp, target=self.target, params=self.params)
        except FootTestError:
            return  # no rise yet
        self.result = res
        reps = res.reps
        t_last = float(test.t_s[-1])
        n = len(reps["valid"])
        for i in range(self.reported, n):  # loop over repetitions
            ended = np.isfinite(reps["up_end_s"][i]) or reps["end_class"][i] == "partial"
            if not ended or reps["rep_end_s"][i] >= t_last - 1e-9:
                break
            row = {k: v[i] for k, v in reps.items()}
            if bool(row["valid"]):
                self.n_valid += 1
            self.reported = i + 1
            if self.on_rep is not None:
                self.on_rep(row, self.n_valid)
            if self.n_valid >= self.target and not self.target_reached:
                self.target_reached = True
                if self.on_target is not None:
                    self.on_target()


class Metronome(threading.Thread):
    """Terminal metronome: at ``rpm`` repetitions per minute, a beat every ``30 / rpm`` s ("up", then "down").

    Parameters
    ----------
    rpm : float
        Repetitions per minute (30: a beat every second, up on one, down on the next).
    write : callable
        Called with each beat's text.
    bell : bool
        Ring the terminal bell (``\\a``) on every beat.
    """

    def __init__(self, rpm: float, write: Callable[[str], None], *, bell: bool = True) -> None:
        super().__init__(name="insole-metronome", daemon=True)
        if not rpm > 0:
            raise FootTestError("--metronome-rpm must be positive")
        self.interval_s = 30.0 / float(rpm)
        self.write = write
        self.bell = bell
        self._done = threading.Event()
        self.beats = 0

    def run(self) -> None:
        t0 = time.monotonic()
        while not self._done.is_set():
            word = "up" if self.beats % 2 == 0 else "down"
            self.write(("\a" if self.bell else "") + f"beat {self.beats + 1}: {word}")
            self.beats += 1
            self._done.wait(max(0.0, t0 + self.beats * self.interval_s - time.monotonic()))

    def stop(self) -> None:
        """End the metronome."""
        self._done.set()


__all__ = ["LiveHeelRaise", "Metronome"]

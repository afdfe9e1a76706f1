"""A live session: the recorder in a background thread, the view drawn at screen rate in this one.

The :class:`~insole.acquisition.Recorder` (with or without a file) runs in a
background thread and hands every block of frames to a
:class:`~insole.live.model.LiveState` (its ``on_frames`` tap) and its link
status to the same state (``on_status``).  This thread draws a snapshot of
the state ``fps`` times a second, whatever the input rate: at 1000 Hz and
25 fps one draw shows 40 new frames per foot.  Drawing never blocks the
recording: the reader threads and the recorder only wait for the state's lock
for the few microseconds a copy takes, and a slow draw only lowers the drawing
rate (a draw that takes more CPU time than half a frame period is followed by
a pause as long as that, so drawing uses at most about half of a core).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from insole.live.model import LiveState
from insole.live.view import LiveView

#: How long the recorder thread gets to open its ports before the view appears, in seconds.
OPEN_WAIT_S: Final = 0.3
#: How long the recorder thread gets to close its file after an error in the drawing thread, in seconds.
STOP_WAIT_S: Final = 5.0


@dataclass
class LiveResult:
    """How a live session went.

    Attributes
    ----------
    record : RecordResult
        The recorder's outcome (``record.path`` is None without ``-o``).
    draws : int
        Frames drawn (updates of the view).
    full_draws : int
        Of which full redraws (the rest were blits).
    draw_rate_hz : float
        Draws per second while the recorder ran (from the first draw to the last).
    duration_s : float
        Seconds the view ran.
    frames_in : dict of str to int
        Frames the view received per foot.
    frames_lost : dict of str to int
        Frames the sequence numbers say were lost per foot (link or reader).
    snapshots : list of Path
        PNG files written.
    """

    record: Any
    draws: int = 0
    full_draws: int = 0
    draw_rate_hz: float = 0.0
    duration_s: float = 0.0
    frames_in: dict[str, int] = field(default_factory=dict)
    frames_lost: dict[str, int] = field(default_factory=dict)
    snapshots: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        """A few lines for the terminal."""
        feet = ", ".join(f"{f} {n} frames ({self.frames_lost.get(f, 0)} lost)" for f, n in self.frames_in.items())
        lines = [f"live view: {self.draws} draws in {self.duration_s:.1f} s ({self.draw_rate_hz:.1f}/s); "
                 f"{feet or 'no frames'}"]
        if self.record is not None and self.record.path is not None:
            lines.append(self.record.summary())
        elif self.record is not None:
            lines.append(f"ended: {self.record.ended_by} (nothing recorded; add -o FILE.h5 to record)")
        if self.snapshots:
            lines.append(f"snapshots: {len(self.snapshots)} ({self.snapshots[-1]})")
        return "\n".join(lines)


class _Snapshots:
    def __init__(self, path: str | Path | None, frames_dir: str | Path | None, every_s: float) -> None:
        self.path = Path(path) if path else None
        self.dir = Path(frames_dir) if frames_dir else None
        self.every_s = float(every_s)
        self.next_t = time.monotonic() + self.every_s
        self.count = 0
        self.written: list[Path] = []

    def due(self, now: float) -> bool:
        return (self.path is not None or self.dir is not None) and now >= self.next_t

    def write(self, view: LiveView, now: float) -> None:
        self.next_t = now + self.every_s
        if self.dir is not None:
            self.written.append(view.save_png(self.dir / f"live-{self.count:04d}.png"))
        if self.path is not None:
            p = view.save_png(self.path)
            if p not in self.written:
                self.written.append(p)
        self.count += 1


def run_live(
    recorder: Any,
    state: LiveState,
    view: LiveView | Callable[[], LiveView],
    *,
    fps: float = 25.0,
    snapshot_path: str | Path | None = None,
    frames_dir: str | Path | None = None,
    snapshot_every_s: float = 2.0,
    on_window_closed: Callable[[], bool] | None = None,
    on_started: Callable[[], None] | None = None,
) -> LiveResult:
    """Record (or just read) in a background thread and draw ``state`` at ``fps`` until the recording ends.

    Parameters
    ----------
    recorder : Recorder
        Built with ``on_frames=state.on_frames`` and ``on_status=state.on_status``.
    state : LiveState
    view : LiveView or callable
        The view, or a function making it once the ports are open (so a port
        that cannot be opened fails before a window appears).
    fps : float
        Draws per second (screen rate), independent of the input rate.
    snapshot_path : path, optional
        PNG rewritten every ``snapshot_every_s`` and at the end.
    frames_dir : path, optional
        Folder for numbered PNGs (``live-0000.png``, ...) every ``snapshot_every_s``.
    snapshot_every_s : float
        Seconds between snapshots.
    on_window_closed : callable, optional
        Returns True once the user closed the window: the recording then stops.
    on_started : callable, optional
        Called once the ports are open (e.g. to print a hint).

    Returns
    -------
    LiveResult

    Raises
    ------
    InsoleError
        Whatever the recorder raises (a port that cannot be opened, ...).
    Exception
        Whatever drawing raises (making the view, a draw, ``on_started``, a
        snapshot): the recording is stopped first and its file closed (the
        recorder thread gets :data:`STOP_WAIT_S` seconds to finish).
    """
    if not fps > 0:
        raise ValueError("fps must be positive")
    if frames_dir is not None:
        Path(frames_dir).mkdir(parents=True, exist_ok=True)
    outcome: dict[str, Any] = {}

    def record() -> None:
        try:
            outcome["result"] = recorder.run()
        except BaseException as exc:  # handed to the drawing thread, which raises it
            outcome["error"] = exc

    thread = threading.Thread(target=record, name="insole-live-recorder", daemon=True)
    restore = recorder._install_signals()  # Ctrl-C / SIGTERM stop it cleanly, as in insole record
    shots = _Snapshots(snapshot_path, frames_dir, snapshot_every_s)
    period = 1.0 / float(fps)
    t_start = time.monotonic()
    draw_rate: float | None = None
    last_draw: float | None = None
    first_draw: float | None = None
    loop_draws = 0
    try:
        thread.start()
        thread.join(OPEN_WAIT_S)  # a port that cannot be opened fails here, before anything is drawn
        if "error" in outcome:
            raise outcome["error"]
        if not isinstance(view, LiveView):
            view = view()
        if on_started is not None:
            on_started()
        next_t = time.monotonic()
        while thread.is_alive():
            now = time.monotonic()
            if now >= next_t:
                cpu0 = time.thread_time()
                view.update(state.snapshot(), draw_rate_hz=draw_rate)
                state.note_draw()
                t1 = time.monotonic()
                if last_draw is not None and t1 > last_draw:
                    inst = 1.0 / (t1 - last_draw)
                    draw_rate = inst if draw_rate is None else 0.9 * draw_rate + 0.1 * inst
                last_draw = t1
                first_draw = t1 if first_draw is None else first_draw
                loop_draws += 1
                spent = time.thread_time() - cpu0  # CPU time: waiting for the GIL (an HDF5 flush) does not count
                next_t = max(next_t + period, t1 + (spent if spent > 0.5 * period else 0.0))
                if next_t < t1 - period:  # fell behind: no catching up with a burst of draws
                    next_t = t1 + period
                if shots.due(t1):
                    shots.write(view, t1)
            if on_window_closed is not None and on_window_closed():
                recorder.stop("stopped")
            wait = max(0.0, min(next_t - time.monotonic(), period))
            if on_window_closed is not None:
                view.pump(wait)
            else:
                thread.join(wait)
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        # the last state, drawn once more (so the final snapshot shows the end)
        view.update(state.snapshot(), draw_rate_hz=draw_rate)
        state.note_draw()
        if shots.path is not None or shots.dir is not None:
            shots.write(view, time.monotonic())
    except BaseException:
        # a failed draw (or Ctrl-C outside the recorder) must not leave the recorder running and its file open
        recorder.stop("error")
        if thread.ident is not None:  # started
            thread.join(STOP_WAIT_S)
        raise
    finally:
        restore()
    duration = time.monotonic() - t_start
    rate = 0.0
    if loop_draws > 1 and last_draw is not None and first_draw is not None and last_draw > first_draw:
        rate = (loop_draws - 1) / (last_draw - first_draw)
    rec = outcome.get("result")
    lost = {}
    if rec is not None:
        lost = dict(rec.frames_lost)
    return LiveResult(
        record=rec,
        draws=state.draws,
        full_draws=view.full_draws,
        draw_rate_hz=rate,
        duration_s=duration,
        frames_in=state.frames_in,
        frames_lost=lost,
        snapshots=list(shots.written),
    )


__all__ = ["LiveResult", "run_live"]

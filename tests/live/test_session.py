"""run_live: an error while drawing stops the recorder thread and leaves a closed, readable file."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from insole.acquisition import Emulator, EmulatorConfig, Recorder
from insole.live import LiveState, run_live
from insole.store import open_recording


class _BadView:
    """Stands in for a LiveView whose drawing fails on the second update."""

    full_draws = 0

    def __init__(self) -> None:
        self.updates = 0

    def update(self, snapshot, draw_rate_hz=None) -> None:
        self.updates += 1
        if self.updates >= 2:
            raise RuntimeError("draw failed")

    def pump(self, wait_s: float) -> None:
        time.sleep(wait_s)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminals as on Linux")
@pytest.mark.parametrize("where", ["making the view", "drawing"])
def test_a_drawing_error_stops_the_recorder_and_closes_the_file(tmp_path, where):
    emu = Emulator(EmulatorConfig(layout="diy-fsr-16", rate_hz=200, duration_s=30))  # far longer than the test
    urls = emu.open_pty()
    emu_thread = threading.Thread(target=emu.run, daemon=True)
    emu_thread.start()
    out = tmp_path / "live.h5"
    try:
        recorder = Recorder(out, urls, "diy-fsr-16")
        state = LiveState(recorder.layouts, recorder.calibrations)
        recorder.on_frames = state.on_frames
        recorder.on_status = state.on_status

        def make_view():
            deadline = time.monotonic() + 5.0
            while not any(state.frames_in.values()) and time.monotonic() < deadline:
                time.sleep(0.02)  # some frames (and so a file) first
            time.sleep(0.2)
            if where == "making the view":
                raise RuntimeError("no view")
            return _BadView()

        t0 = time.monotonic()
        with pytest.raises(RuntimeError, match="no view" if where == "making the view" else "draw failed"):
            run_live(recorder, state, make_view, fps=25)
        assert time.monotonic() - t0 < 10  # not the emulator's 30 s
        live = [t for t in threading.enumerate() if t.name == "insole-live-recorder"]
        assert not any(t.is_alive() for t in live)
    finally:
        emu.stop()
        emu_thread.join(timeout=10)
    with open_recording(out) as rec:  # closed by the recorder: opens without SWMR/lock trouble
        assert rec.foot("left").n_frames > 0

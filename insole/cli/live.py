"""``insole live``: a real-time view of streaming insoles, optionally recording at the same time."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from insole.cli._base import CONTEXT_SETTINGS, overwrite_option, port_specs


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("urls", nargs=-1)
@click.option("--left", "left_url", help="Port of the left insole (when its frames do not say which foot).")
@click.option("--right", "right_url", help="Port of the right insole (when its frames do not say which foot).")
@click.option("--layout", required=True, help="Sensor layout of the insole (see 'insole layouts').")
@click.option("--format", "fmt", type=click.Choice(["auto", "v1", "csv-time", "csv-frame", "csv-lr"]), default="auto",
              show_default=True, help="Stream format: protocol v1 (docs/protocol.md), a DIY CSV dialect, or auto.")
@click.option("--baud", type=int, default=115200, show_default=True, help="Baud rate of serial ports.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Also record into this file (.h5), exactly as 'insole record' would.")
@click.option("--duration", "duration_s", type=float, help="Stop after this many seconds (default: Ctrl-C, closing "
                                                            "the window, or unplug).")
@click.option("--calibration", type=click.Path(dir_okay=False),
              help="Calibration file ('insole calibrate'): forces in N and pressures in kPa instead of raw counts.")
@click.option("--channel-map", type=click.Path(dir_okay=False), help="Channel map from 'insole check --map-out'.")
@click.option("--body-mass", "body_mass_kg", type=click.FloatRange(1, 500),
              help="Body mass in kg: with --calibration, the reference force of step detection (science.md 2.2).")
@click.option("--fps", type=click.FloatRange(1, 120), default=25.0, show_default=True,
              help="Draws per second, whatever the input rate.")
@click.option("--window", "window_s", type=click.FloatRange(0.5, 60), default=5.0, show_default=True,
              help="Seconds of force trace shown.")
@click.option("--headless", is_flag=True, help="No window: draw into memory (matplotlib Agg), save PNGs with "
                                              "--snapshot/--frames-dir. Automatic without a display.")
@click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False),
              help="PNG of the view, rewritten every --snapshot-every seconds and at the end.")
@click.option("--frames-dir", type=click.Path(file_okay=False),
              help="Folder for numbered PNGs of the view (live-0000.png, ...) every --snapshot-every seconds.")
@click.option("--snapshot-every", "snapshot_every_s", type=click.FloatRange(0.1, 3600), default=2.0,
              show_default=True, help="Seconds between PNG snapshots.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False),
              help="Also write the outcome (draws, frames in and lost, the recording) as JSON.")
@click.option("--compression", type=click.Choice(["gzip", "lzf", "none"]), default="gzip", show_default=True,
              help="Compression of the recording (-o).")
@overwrite_option
def cli(urls: tuple[str, ...], left_url: str | None, right_url: str | None, layout: str, fmt: str, baud: int,
        output: str | None, duration_s: float | None, calibration: str | None, channel_map: str | None,
        body_mass_kg: float | None, fps: float, window_s: float, headless: bool, snapshot_path: str | None,
        frames_dir: str | None, snapshot_every_s: float, json_path: str | None, compression: str,
        overwrite: bool) -> None:
    """Watch insoles live: pressure map and COP trail per foot, force trace, link health.

    Give the ports as for 'insole record': one URL carrying both feet, or
    one port per foot with --left and --right.  The window shows, per foot,
    the latest pressure frame on the insole outline with the centre of
    pressure trail of the current step (since the last initial contact),
    the total force of the last --window seconds and a status line (frames/s,
    frames in and lost, link errors, left/right sync error).  It draws at
    --fps whatever the input rate (1000 Hz insoles included); reading and
    recording run in the background and never wait for the drawing.

    With -o it records at the same time, exactly like 'insole record'.
    Without a display (no DISPLAY, e.g. over ssh) or with --headless it draws
    into memory: --snapshot keeps a PNG of the view up to date (open it in an
    image viewer that reloads) and --frames-dir keeps numbered PNGs, e.g. to
    check a session afterwards.  Ctrl-C, closing the window, --duration or an
    unplugged device end it.

    \b
    Examples:
      insole live /dev/ttyUSB0 --layout diy-fsr-16
      insole live /dev/ttyUSB0 --layout diy-fsr-16 -o run.h5 --calibration cal.json --body-mass 70
      insole live --left /dev/ttyACM0 --right /dev/ttyACM1 --layout diy-fsr-16 --format csv-time
      insole live socket://raspberrypi:5000 --layout pedar-99 --headless --snapshot now.png --duration 60
      insole emulate --pty --rate 1000   # in another terminal: a virtual insole to watch
    """
    from insole.acquisition.recorder import Recorder
    from insole.exceptions import InsoleError
    from insole.live import LiveState, LiveView, make_figure, run_live
    from insole.recording import Metadata

    specs = port_specs(urls, left_url, right_url)
    recorder = Recorder(output, specs, layout, fmt=fmt, baud=baud, duration_s=duration_s, calibration=calibration,
                        channel_map=channel_map, metadata=Metadata(body_mass_kg=body_mass_kg), overwrite=overwrite,
                        compression=compression)
    state = LiveState(recorder.layouts, recorder.calibrations, window_s=window_s, body_mass_kg=body_mass_kg)
    recorder.on_frames = state.on_frames
    recorder.on_status = state.on_status
    ports = " + ".join(s.url for s in specs)
    title = f"insole live: {ports} ({layout})" + (f", recording to {output}" if output else "")
    made: dict[str, Any] = {}

    def make_view() -> LiveView:  # once the ports are open: a bad port fails before a window appears
        fig, made["interactive"] = make_figure(interactive=not headless)
        made["fig"] = fig
        made["view"] = LiveView(fig, recorder.layouts, window_s=window_s, force_unit=state.force_unit,
                                pressure_unit=state.pressure_unit, title=title)
        return made["view"]

    def started() -> None:
        if not made["interactive"] and not (snapshot_path or frames_dir):
            click.echo("no window (no display or --headless): drawing into memory; add --snapshot PNG or "
                       "--frames-dir DIR to see the view", err=True)

    def closed() -> bool:
        if not made.get("interactive"):
            return False
        import matplotlib.pyplot as plt

        return not plt.fignum_exists(made["fig"].number)

    try:
        result = run_live(recorder, state, make_view, fps=fps, snapshot_path=snapshot_path, frames_dir=frames_dir,
                          snapshot_every_s=snapshot_every_s, on_window_closed=None if headless else closed,
                          on_started=started)
    finally:
        if "view" in made:
            made["view"].close()
    rec = result.record
    if json_path:
        write_outcome_json(json_path, result)
    click.echo(result.summary())
    sys.stdout.flush()
    if rec is None:
        raise InsoleError("the live view ended without a result from the recorder")
    if output and rec.path is None:
        raise InsoleError(rec.message)
    if output and not rec.ok:
        raise InsoleError(rec.message)
    if not output and rec.ended_by in ("error", "write error", "disk full"):
        raise InsoleError(rec.message)
    if not any(result.frames_in.values()):
        raise InsoleError(rec.message or "no frames received; check the port, the baud rate and --format")


def _jsonable(obj: Any) -> Any:
    """``json.dumps`` default: numpy arrays and scalars as lists and numbers, anything else as its text."""
    tolist = getattr(obj, "tolist", None)  # numpy arrays and scalars (.tolist() of a scalar is a Python number)
    if callable(tolist):
        try:
            return tolist()
        except Exception:
            pass
    try:
        return float(obj)
    except (TypeError, ValueError):
        return str(obj)


def write_outcome_json(path: str | os.PathLike, result: Any) -> None:
    """Write the outcome of a live session (``--json``): all of it or nothing (temporary file, then renamed).

    Parameters
    ----------
    path : path
        The JSON file.
    result : LiveResult
    """
    from insole.analysis import _atomic_text

    rec = result.record
    doc = {k: v for k, v in asdict(result).items() if k != "record"}
    doc["snapshots"] = [str(p) for p in result.snapshots]
    if rec is not None:
        r = asdict(rec)
        r["path"] = None if rec.path is None else str(rec.path)
        doc["record"] = r
    text = json.dumps(doc, indent=1, default=_jsonable)  # built whole before the file is touched
    _atomic_text(Path(path), text)

"""``insole record``: serial ports, sockets and pseudo-terminals -> a crash-safe recording."""

from __future__ import annotations

import contextlib
import json
import os
import select
import sys
import threading
from dataclasses import asdict

import click

from insole.cli._base import CONTEXT_SETTINGS, overwrite_option, port_specs


class _KeyMarkers(threading.Thread):
    """Reads key presses from a terminal stdin (cbreak mode, select-based) and drops markers."""

    def __init__(self, recorder, key: str | None, label: str) -> None:
        super().__init__(name="insole-keys", daemon=True)
        self.recorder = recorder
        self.key = key
        self.label = label
        self.count = 0
        self._done = threading.Event()
        self._saved = None

    def __enter__(self) -> _KeyMarkers:
        import termios
        import tty

        fd = sys.stdin.fileno()
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        import termios

        self._done.set()
        self.join(timeout=0.5)
        if self._saved is not None:
            with contextlib.suppress(Exception):
                termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._saved)

    def run(self) -> None:
        fd = sys.stdin.fileno()
        while not self._done.is_set():
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            ch = os.read(fd, 1).decode("latin-1", "replace")
            if not ch or (self.key is not None and ch != self.key):
                continue
            self.count += 1
            self.recorder.add_marker(f"{self.label} {self.count}")


def _status_printer():
    def show(status) -> None:
        from insole.acquisition.recorder import format_status

        sys.stderr.write("\r" + format_status(status)[:200] + "\x1b[K")
        sys.stderr.flush()

    return show


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("urls", nargs=-1)
@click.option("--left", "left_url", help="Port of the left insole (when its frames do not say which foot).")
@click.option("--right", "right_url", help="Port of the right insole (when its frames do not say which foot).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Recording file to write (.h5).")
@click.option("--layout", required=True, help="Sensor layout of the insole (see 'insole layouts').")
@click.option("--format", "fmt", type=click.Choice(["auto", "v1", "csv-time", "csv-frame", "csv-lr"]), default="auto",
              show_default=True, help="Stream format: protocol v1 (docs/protocol.md), a DIY CSV dialect, or auto.")
@click.option("--baud", type=int, default=115200, show_default=True, help="Baud rate of serial ports.")
@click.option("--duration", "duration_s", type=float, help="Stop after this many seconds (default: Ctrl-C or unplug).")
@click.option("--calibration", type=click.Path(dir_okay=False), help="Calibration file ('insole calibrate') to store.")
@click.option("--channel-map", type=click.Path(dir_okay=False), help="Channel map from 'insole check --map-out'.")
@click.option("--subject", "subject_id", help="Pseudonymous subject id (never a name).")
@click.option("--body-mass", "body_mass_kg", type=click.FloatRange(1, 500), help="Body mass in kg.")
@click.option("--task", type=click.Choice(["walk", "run", "heel-raise", "balance", "static"]), help="What is recorded.")
@click.option("--marker-key", help="The key that drops a marker (default: any key); only when stdin is a terminal.")
@click.option("--marker-label", default="marker", show_default=True, help="Label of the markers (numbered).")
@click.option("--compression", type=click.Choice(["gzip", "lzf", "none"]), default="gzip", show_default=True)
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Also write the outcome as JSON.")
@click.option("--quiet", is_flag=True, help="No status line.")
@overwrite_option
def cli(urls: tuple[str, ...], left_url: str | None, right_url: str | None, output: str, layout: str, fmt: str,
        baud: int, duration_s: float | None, calibration: str | None, channel_map: str | None,
        subject_id: str | None, body_mass_kg: float | None, task: str | None, marker_key: str | None,
        marker_label: str, compression: str, json_path: str | None, quiet: bool, overwrite: bool) -> None:
    """Record insoles from serial ports into OUTPUT.

    Give one URL carrying both feet (or one foot whose frames say which), or
    one port per foot with --left and --right.  Ports open through pyserial,
    so /dev/ttyUSB0, COM3, /dev/pts/N, socket://host:port, loop:// and
    spy:// all work.  The file is written in SWMR mode and flushed at least
    every 0.5 s: a crash keeps every frame up to the last flush.

    While recording, a status line on the terminal shows frames/s, lost
    frames and load per foot, link errors and the left/right sync error; a
    key press drops a marker.  Ctrl-C, --duration or an unplugged device
    end the recording cleanly; a full disk ends it keeping what was flushed.

    \b
    Examples:
      insole record /dev/ttyUSB0 -o walk.h5 --layout diy-fsr-16 --duration 60
      insole record --left /dev/ttyACM0 --right /dev/ttyACM1 -o walk.h5 --layout diy-fsr-16 --format csv-time
      insole record socket://127.0.0.1:5000 -o walk.h5 --layout pedar-99 --subject s01 --task walk
      insole emulate --pty   # in another terminal: a virtual insole to record from
    """
    from insole.acquisition.recorder import Recorder
    from insole.exceptions import InsoleError
    from insole.recording import Metadata

    specs = port_specs(urls, left_url, right_url)
    interactive = sys.stderr.isatty() and not quiet
    recorder = Recorder(
        output, specs, layout, fmt=fmt, baud=baud, duration_s=duration_s, calibration=calibration,
        channel_map=channel_map, metadata=Metadata(subject_id=subject_id, body_mass_kg=body_mass_kg, task=task),
        overwrite=overwrite, compression=compression, on_status=_status_printer() if interactive else None,
    )
    keys: contextlib.AbstractContextManager = contextlib.nullcontext()
    if sys.stdin is not None and sys.stdin.isatty():
        keys = _KeyMarkers(recorder, marker_key, marker_label)
        if interactive:
            which = f"'{marker_key}'" if marker_key else "any key"
            click.echo(f"recording to {output}: {which} drops a marker, Ctrl-C ends", err=True)
    with keys:
        result = recorder.run()
    if interactive:
        sys.stderr.write("\n")
    if json_path:
        doc = asdict(result)
        doc["path"] = None if result.path is None else str(result.path)
        with open(json_path, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, default=float)
    if result.path is None:
        raise InsoleError(result.message)
    click.echo(result.summary())
    if not result.ok:
        raise InsoleError(result.message)

"""``insole emulate``: a virtual insole on a pseudo-terminal or a TCP port."""

from __future__ import annotations

import signal
import sys

import click

from insole.cli._base import CONTEXT_SETTINGS


def _pair(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        a, b = (int(x) for x in text.split(","))
    except ValueError:
        raise click.BadParameter("give two channel numbers, e.g. 2,5") from None
    return a, b


@click.command(context_settings=CONTEXT_SETTINGS)
@click.option("--pty", "use_pty", is_flag=True, help="Open a pseudo-terminal and print its path.")
@click.option("--listen", "listen_port", type=click.IntRange(0, 65535),
              help="Listen on 127.0.0.1:PORT (0: a free port) for socket:// readers.")
@click.option("--format", "fmt", type=click.Choice(["v1", "csv-time", "csv-frame", "csv-lr"]), default="v1",
              show_default=True, help="Protocol v1 (docs/protocol.md) or a DIY CSV dialect.")
@click.option("--layout", default="diy-fsr-16", show_default=True, help="Sensor layout (see 'insole layouts').")
@click.option("--foot", type=click.Choice(["left", "right", "both", "split"]), default=None,
              help="One foot, both feet on one port, or split: one port per foot, each with its own clock "
                   "[default: both; left for csv-time/csv-frame].")
@click.option("--rate", "rate_hz", type=float, default=100.0, show_default=True, help="Frames per second per foot.")
@click.option("--sample-format", type=click.Choice(["u8", "u12", "u16"]), default="u12", show_default=True,
              help="Protocol-v1 sample format (also the simulated ADC's bits).")
@click.option("--duration", "duration_s", type=float, help="Stop after this many seconds (default: Ctrl-C).")
@click.option("--task", type=click.Choice(["walk", "run", "heel-raise", "balance", "static", "press-tour"]), default="walk",
              show_default=True, help="Simulated task; press-tour presses each sensor in turn (for 'insole check').")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the simulation and of the faults.")
@click.option("--loop", "loop_s", type=float, default=10.0, show_default=True, help="Seconds of simulated gait that repeat.")
@click.option("--replay", type=click.Path(exists=True, dir_okay=False),
              help="Replay a recording (.h5 or any importable file) instead of simulating; a DIY CSV log in "
                   "--format's dialect is replayed line by line as logged.")
@click.option("--speed", type=float, default=1.0, show_default=True, help="Replay speed (1: the recorded pace).")
@click.option("--corrupt-rate", type=float, default=0.0, show_default=True, help="Probability a frame is corrupted.")
@click.option("--drop-rate", type=float, default=0.0, show_default=True, help="Probability a frame is dropped.")
@click.option("--garbage-rate", type=float, default=0.0, show_default=True, help="Probability of garbage before a frame.")
@click.option("--jitter", "jitter_ms", type=float, default=0.0, show_default=True, help="Frames leave up to this late (ms).")
@click.option("--drift-ppm-left", type=float, default=0.0, show_default=True, help="Left device clock drift (ppm).")
@click.option("--drift-ppm-right", type=float, default=0.0, show_default=True, help="Right device clock drift (ppm).")
@click.option("--swap", help="press-tour: swap the wires of two channels, e.g. 2,5.")
@click.option("--report-json", type=click.Path(dir_okay=False), help="Write the closing report as JSON.")
def cli(use_pty: bool, listen_port: int | None, fmt: str, layout: str, foot: str | None, rate_hz: float,
        sample_format: str, duration_s: float | None, task: str, seed: int, loop_s: float, replay: str | None,
        speed: float, corrupt_rate: float, drop_rate: float, garbage_rate: float, jitter_ms: float,
        drift_ppm_left: float, drift_ppm_right: float, swap: str | None, report_json: str | None) -> None:
    """Run a virtual insole that 'insole record' can record from.

    It opens a pseudo-terminal (--pty; its path is printed) or listens on a
    TCP port on 127.0.0.1 (--listen; the socket:// URL is printed), waits for
    a reader, and streams simulated gait (or a replayed recording) at the
    chosen rate, layout and foot, as protocol v1 or a DIY CSV dialect.
    Faults can be injected; the closing report says what was sent and what
    was broken.

    \b
    Examples:
      insole emulate --pty                       # prints e.g. "port: /dev/pts/3"
      insole emulate --listen 5000 --layout pedar-99 --rate 100 --duration 60
      insole emulate --pty --foot split --drift-ppm-left 100 --drift-ppm-right -80
      insole emulate --pty --drop-rate 0.01 --corrupt-rate 0.01 --garbage-rate 0.01 --jitter 5 --report-json sent.json
      insole emulate --pty --format csv-lr --replay COMBO_LOG002.CSV
      insole emulate --pty --task press-tour --swap 2,5 --layout diy-fsr-8   # then: insole check
    """
    from insole.acquisition.emulator import Emulator, EmulatorConfig, summary_line, write_report
    from insole.exceptions import InsoleError

    if use_pty == (listen_port is not None):
        raise click.UsageError("give exactly one of --pty and --listen PORT")
    if foot is None:
        foot = "left" if fmt in ("csv-time", "csv-frame") else "both"
    cfg = EmulatorConfig(layout=layout, foot=foot, fmt=fmt, sample_format=sample_format, rate_hz=rate_hz,
                         duration_s=duration_s, task=task, seed=seed, loop_s=loop_s, replay=replay, speed=speed,
                         corrupt_rate=corrupt_rate, drop_rate=drop_rate, garbage_rate=garbage_rate, jitter_ms=jitter_ms,
                         drift_ppm_left=drift_ppm_left, drift_ppm_right=drift_ppm_right, swap=_pair(swap))
    emu = Emulator(cfg)
    urls = emu.open_pty() if use_pty else emu.listen(listen_port or 0)
    labels = ["left", "right"] if len(urls) == 2 else ["port"]
    for label, url in zip(labels, urls):
        click.echo(f"{label}: {url}")
    if len(urls) == 2:
        hint = f"--left {urls[0]} --right {urls[1]}"
    else:
        hint = urls[0]
    click.echo(f"waiting for a reader; record it with: insole record {hint} -o walk.h5 --layout {layout}")
    sys.stdout.flush()

    def on_signal(signum, frame) -> None:
        emu.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    report = emu.run(on_streaming=lambda: (click.echo("streaming"), sys.stdout.flush()))
    if report_json:
        write_report(report, report_json)
    click.echo(summary_line(report))
    if report["ended_by"] == "not started":
        raise InsoleError("no reader came; nothing was sent")

"""``insole check``: confirm or fix the channel-to-sensor wiring of a DIY insole."""

from __future__ import annotations

import click

from insole.cli._base import CONTEXT_SETTINGS, overwrite_option


def _sensors(text: str | None) -> list[int] | None:
    if not text:
        return None
    out: list[int] = []
    try:
        for part in text.split(","):
            a, sep, b = part.partition("-")
            out.extend(range(int(a), int(b) + 1) if sep else [int(a)])
    except ValueError:
        raise click.BadParameter("give sensor numbers like 0,1,2 or 0-7") from None
    return out


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("url")
@click.option("--layout", required=True, help="Sensor layout of the insole (see 'insole layouts').")
@click.option("--foot", type=click.Choice(["left", "right"]), help="Foot to check (default: the first foot the device sends).")
@click.option("--format", "fmt", type=click.Choice(["auto", "v1", "csv-time", "csv-frame", "csv-lr"]), default="auto",
              show_default=True, help="Stream format.")
@click.option("--baud", type=int, default=115200, show_default=True, help="Baud rate of serial ports.")
@click.option("--sensors", help="Sensors to check, in order (e.g. 0-7 or 0,3,5; default all).")
@click.option("--map-out", type=click.Path(dir_okay=False), default="channel-map.json", show_default=True,
              help="Where to write the channel map when the wiring differs.")
@click.option("--timeout", "timeout_s", type=float, default=20.0, show_default=True, help="Seconds to wait for each press.")
@click.option("--hold", "hold_s", type=float, default=0.25, show_default=True, help="Seconds a press must last.")
@overwrite_option
def cli(url: str, layout: str, foot: str | None, fmt: str, baud: int, sensors: str | None, map_out: str,
        timeout_s: float, hold_s: float, overwrite: bool) -> None:
    """Walk through pressing each sensor of the insole at URL, to check its wiring.

    First leave the insole unloaded for a second; then press each sensor
    when asked, until the next prompt.  The channel that moves most is the
    sensor's channel (loads that lower the reading count too).  When every
    sensor is on its own channel the wiring is confirmed; otherwise a
    channel map is written for 'insole record --channel-map'.

    \b
    Examples:
      insole check /dev/ttyUSB0 --layout diy-fsr-16
      insole check /dev/ttyUSB0 --layout diy-fsr-16 --sensors 0-3 --map-out left-map.json
      insole emulate --pty --task press-tour --swap 2,5 --layout diy-fsr-8   # then check the printed port
    """
    from insole.acquisition.check import run_check
    from insole.exceptions import InsoleError

    check, cmap, problems = run_check(url, layout, fmt=fmt, baud=baud, foot=foot, sensors=_sensors(sensors),
                                      timeout_s=timeout_s, hold_s=hold_s, say=click.echo)
    if problems:
        raise InsoleError("; ".join(problems) + "; check the wiring and run 'insole check' again")
    assert cmap is not None
    if cmap.is_identity():
        click.echo(f"wiring confirmed: each of the {len(check.results)} sensors checked is on its own channel")
        return
    path = cmap.save(map_out, overwrite=overwrite)
    moved = [f"{r.sensor}->{r.channel}" for r in check.results if not r.ok]
    click.echo(f"wiring differs ({', '.join(moved)}): channel map written to {path}; "
               f"record with --channel-map {path}")

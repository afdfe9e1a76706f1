"""``insole import``: vendor and DIY files -> an insole recording file."""

from __future__ import annotations

import click

from insole.cli._base import CONTEXT_SETTINGS, overwrite_option


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Recording file to write (.h5).")
@click.option("--format", "fmt", default="auto", show_default=True,
              help="Input format: auto (identify by content) or a name from 'insole formats'.")
@click.option("--layout", help="Sensor layout instead of the format's default (see 'insole layouts').")
@click.option("--calibration", type=click.Path(dir_okay=False),
              help="Calibration file (from 'insole calibrate') to store with the raw values.")
@click.option("--columns", help="csv-generic: column map, a JSON file or JSON text (docs/formats.md).")
@click.option("--side", type=click.Choice(["left", "right"]), help="Foot of a single-foot file when the file does not say.")
@click.option("--subject", "subject_id", help="Pseudonymous subject id (never a name).")
@click.option("--body-mass", "body_mass_kg", type=float, help="Body mass in kg.")
@click.option("--task", type=click.Choice(["walk", "run", "heel-raise", "balance", "static"]), help="What was recorded.")
@click.option("--footwear", help="barefoot, shod, or a shoe description.")
@overwrite_option
def cli(files: tuple[str, ...], output: str, fmt: str, layout: str | None, calibration: str | None,
        columns: str | None, side: str | None, overwrite: bool, **metadata) -> None:
    """Import FILES (one trial) into the recording OUTPUT.

    Several files are the parts of one trial: the left and right files of
    an F-Scan or single-foot CSV recording, or a Moticon text export with
    its gait report (.xlsx).  Raw values are kept exactly as the files hold
    them, with their unit, timestamps and lost frames; a calibration, when
    given, is stored beside them.  The output appears only when the import
    succeeded.

    \b
    Examples:
      insole import 230927_102114.txt gait_report_230927_10_21_14.xlsx -o walk.h5
      insole import FrasP01L.asf FrasP01R.asf -o fscan.h5
      insole import JuPt03_01.txt -o jupt03.h5 --task walk
      insole import COMBO_LOG001.CSV --calibration diy.json -o diy.h5
      insole import log.csv --format csv-generic --columns map.json --layout pedar-99 -o x.h5
    """
    from pathlib import Path

    from insole.io import read

    options = {k: v for k, v in (("columns", columns), ("side", side)) if v is not None}
    out = Path(output)
    if out.exists() and not overwrite:
        raise click.UsageError(f"{out} exists; choose another name or pass --overwrite")
    rec = read(list(files), format=fmt, layout=layout, calibration=calibration, options=options, **metadata)
    rec.save(out, overwrite=overwrite)
    feet = ", ".join(f"{foot} {fd.n_frames} frames" for foot, fd in rec.feet.items())
    click.echo(f"wrote {out} ({rec.metadata.source}: {feet})")

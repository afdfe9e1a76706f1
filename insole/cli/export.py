"""``insole export``: a recording file -> CSV files, one per foot."""

from __future__ import annotations

import click

from insole.cli._base import CONTEXT_SETTINGS, overwrite_option


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--to", "to", type=click.Choice(["csv"]), default="csv", show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(),
              help="Folder, or file prefix (PREFIX_left.csv, PREFIX_right.csv); default: beside FILE.")
@overwrite_option
def cli(file: str, to: str, output: str | None, overwrite: bool) -> None:
    """Export the recording FILE as CSV, one file per foot.

    Each CSV has '#' lines naming the layout, unit, rate, calibration and
    metadata, then t_host_s,t_device_us,seq and one column per sensor (and
    IMU channel): raw values exactly as stored.  'insole import' reads the
    files back with every value unchanged.

    \b
    Examples:
      insole export walk.h5 --to csv                 # walk_left.csv, walk_right.csv
      insole export walk.h5 --to csv -o out/         # out/walk_left.csv, ...
      insole export walk.h5 --to csv -o out/trial1   # out/trial1_left.csv, ...
    """
    from pathlib import Path

    from insole.io.formats.csv_dialects import export_csv
    from insole.store import read_recording

    src = Path(file)
    if output is None:
        prefix = src.with_suffix("")
    elif Path(output).is_dir() or output.endswith(("/", "\\")):
        prefix = Path(output) / src.stem
    else:
        prefix = Path(output)
    rec = read_recording(src)
    for path in export_csv(rec, prefix, overwrite=overwrite):
        click.echo(f"wrote {path}")

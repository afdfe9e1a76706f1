"""``insole calibrate``: build a calibration file, or apply one to a recording."""

from __future__ import annotations

import click

from insole.cli._base import CONTEXT_SETTINGS, overwrite_option


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--tare", type=click.Path(dir_okay=False), help="Recording with the insoles unloaded (CSV, vendor file or .h5).")
@click.option("--standing", type=click.Path(dir_okay=False), help="Quiet standing on the insoles (needs --body-mass).")
@click.option("--body-mass", "body_mass_kg", type=float, help="Body mass in kg during --standing.")
@click.option("--curves", type=click.Path(dir_okay=False), help="Per-sensor load curves, JSON (docs/calibration.md).")
@click.option("--inverted", is_flag=True, help="The ADC reads fewer counts under more load (e.g. FSR to ground).")
@click.option("--adc-max", type=float, help="Full-scale count, e.g. 4095 for 12 bits (zero load of an inverted ADC without a tare).")
@click.option("--layout", help="Sensor layout of the insoles (default: the layout of the --tare/--standing file).")
@click.option("--format", "fmt", default="auto", show_default=True, help="Format of --tare/--standing (see 'insole formats').")
@click.option("--apply", "apply_path", type=click.Path(dir_okay=False),
              help="Apply this calibration file to the recording FILE instead of building one.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Calibration file to write; with --apply the recording to write (default: FILE in place).")
@overwrite_option
def cli(file: str | None, tare: str | None, standing: str | None, body_mass_kg: float | None, curves: str | None,
        inverted: bool, adc_max: float | None, layout: str | None, fmt: str, apply_path: str | None,
        output: str | None, overwrite: bool) -> None:
    """Build a calibration (raw counts -> kPa or N), or apply one to FILE.

    A calibration is built from a tare (insoles unloaded: the zero of every
    sensor), a quiet standing trial with known body mass (the scale), and
    optional per-sensor load curves from known weights (the non-linear
    shape of FSRs).  Recordings keep their raw counts, so a file can be
    re-calibrated at any time with --apply.

    \b
    Examples:
      insole calibrate --tare empty.csv --standing stand.csv --body-mass 72 --inverted --layout diy-fsr-16 -o diy.json
      insole calibrate --tare empty.csv --curves fsr_curves.json --inverted --layout diy-fsr-16 -o diy.json
      insole calibrate --apply diy.json walk.h5                  # re-calibrate in place
      insole calibrate --apply diy.json walk.h5 -o walk_cal.h5
    """
    from insole import calibration as cal

    if apply_path is not None:
        if file is None:
            raise click.UsageError("--apply needs the recording FILE to calibrate")
        if any(v is not None for v in (tare, standing, curves, body_mass_kg)):
            raise click.UsageError("--apply uses a finished calibration; drop --tare/--standing/--curves/--body-mass")
        out = cal.recalibrate(file, cal.load_calibration(apply_path), output, overwrite=overwrite)
        click.echo(f"wrote {out} (calibration from {apply_path})")
        return
    if file is not None:
        raise click.UsageError("FILE is only used with --apply; build a calibration with --tare/--standing/--curves")
    if output is None:
        raise click.UsageError("give the calibration file to write with -o CAL.json")
    if tare is None and standing is None and curves is None:
        raise click.UsageError("give --tare, --standing and/or --curves (see --help)")
    from insole.io import read

    recs = {name: read(path, format=fmt, layout=layout) for name, path in (("tare", tare), ("standing", standing)) if path}
    if layout is not None:
        from insole.layout import get_layout

        feet = next(iter(recs.values())).feet if recs else {"left": None, "right": None}
        layouts = {foot: get_layout(layout, side=foot) for foot in feet}
    elif recs:
        layouts = {foot: fd.layout for foot, fd in next(iter(recs.values())).feet.items()}
    else:
        raise click.UsageError("with --curves alone, name the sensor layout with --layout")
    raw = {name: {foot: fd.values for foot, fd in rec.feet.items()} for name, rec in recs.items()}
    cals = cal.build_calibration(
        layouts, tare=raw.get("tare"), standing=raw.get("standing"), body_mass_kg=body_mass_kg,
        curves=cal.load_curves(curves) if curves else None, inverted=inverted, adc_max=adc_max,
    )
    path = cal.save_calibration(cals, output, overwrite=overwrite)
    scale = next(iter(cals.values())).extra.get("standing_scale")
    click.echo(f"wrote {path} ({', '.join(cals)}" + (f"; standing scale {scale:.6g}" if scale else "") + ")")

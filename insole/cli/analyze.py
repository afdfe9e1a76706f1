"""``insole analyze``: per-step gait metrics of a recording."""

from __future__ import annotations

import sys

import click

from insole.cli._base import CONTEXT_SETTINGS


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the full result as JSON (docs/analysis.md).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write one row per step as CSV.")
@click.option("--write", is_flag=True, help="Store the result in the recording under /derived/analyze.")
@click.option("--start", "start_s", type=float, help="Analyse from this many seconds after the first frame.")
@click.option("--end", "end_s", type=float, help="Analyse up to this many seconds after the first frame.")
@click.option("--body-mass", "body_mass_kg", type=float, help="Body mass in kg (overrides the recording's).")
def cli(file, json_path, csv_path, write, start_s, end_s, body_mass_kg) -> None:
    """Detect steps and compute per-step metrics of FILE.

    Stance detection, contact time, cadence, strike index and pattern,
    medial/lateral loading, CPEI, hallux and windlass metrics, regional
    loading and loading rate, per step and summarised per foot, with
    left/right symmetry (science definitions in docs/analysis.md). Without
    --start/--end, 'start' and 'end' markers in the recording select the window.

    \b
    Examples:
      insole analyze walk.h5
      insole analyze walk.h5 --json walk.json --csv steps.csv
      insole analyze run.h5 --start 10 --end 70 --write
    """
    from insole.analysis import analyze

    show = (lambda msg: click.echo(msg, err=True)) if sys.stderr.isatty() else None
    result = analyze(file, start_s=start_s, end_s=end_s, body_mass_kg=body_mass_kg, progress=show)
    if json_path:
        result.write_json(json_path)
    if csv_path:
        result.write_steps_csv(csv_path)
    if write:
        result.save_to_recording(file)
    click.echo(format_summary(result.data))


def format_summary(data: dict) -> str:
    """A short human-readable summary of an analysis result."""

    def mean(summary, key, fmt="{:.3f}"):
        v = summary.get(key)
        if isinstance(v, dict) and v.get("mean") is not None:
            return fmt.format(v["mean"]) + ("" if v.get("sd") is None else " ± " + fmt.format(v["sd"]))
        return "n/a"

    lines = [f"{data['file']}: task {data['task']}, gait mode {data['gait_mode']}, {data['sampling_rate_hz']:.0f} Hz"]
    for foot, fd in data["feet"].items():
        s = fd["summary"]
        if not s:
            continue
        lines.append(
            f"{foot}: {s['n_steps']} steps ({s['n_steps_total']} found), contact {mean(s, 'contact_time_s')} s, "
            f"stride {mean(s, 'stride_time_s')} s, cadence {mean(s, 'cadence_spm', '{:.1f}')} steps/min, "
            f"strike {s.get('strike_pattern_counts', {})}, toe-off {s.get('toe_off_route_counts', {})}"
        )
    for key, sym in data.get("symmetry", {}).items():
        if sym.get("flag"):
            lines.append(f"symmetry: {key} SA {sym['symmetry_angle_pct']:.1f}% ({sym['flag']})")
    for w in data["warnings"]:
        lines.append(f"warning: {w}")
    return "\n".join(lines)

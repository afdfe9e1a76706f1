"""``insole history``: one subject's sessions over weeks."""

from __future__ import annotations

from pathlib import Path

import click

from insole.cli._base import CONTEXT_SETTINGS, overwrite_option
from insole.cli.report import language_options, output_option, recording_argument


@click.command(context_settings=CONTEXT_SETTINGS)
@recording_argument
@output_option
@language_options
@click.option("--body-mass", "body_mass_kg", type=float, help="Body mass in kg (overrides the recordings').")
@overwrite_option
def cli(files: tuple[Path, ...], output: Path, lang: str, audience: str, body_mass_kg: float | None, overwrite: bool) -> None:
    """Trends of the key measurements and of the heel-raise test over one subject's sessions (FILES).

    Sessions are ordered by their recording date. A change from the first to
    the last session is shown only where it exceeds the step-to-step
    variability (twice the standard error of the difference of the means); the
    heel-raise count only beyond the test's between-day limits of agreement
    (6 repetitions). All FILES must belong to one subject.

    \b
    Examples:
      insole history jan.h5 feb.h5 mar.h5 -o history.html
      insole history sessions/*.h5 -o history.pdf --lang nl
    """
    from insole.report import build_history, load_session

    if len(files) < 2:
        raise click.BadParameter("give at least two recordings of one subject", param_hint="FILES")
    sessions = [load_session(f, body_mass_kg=body_mass_kg) for f in files]
    path = build_history(sessions, lang=lang, audience=audience).save(output, overwrite=overwrite)
    click.echo(f"wrote {path}")

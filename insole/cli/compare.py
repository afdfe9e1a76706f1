"""``insole compare``: before/after report of two recordings (a programme, or two shoes)."""

from __future__ import annotations

from pathlib import Path

import click

from insole.cli._base import CONTEXT_SETTINGS, overwrite_option
from insole.cli.report import language_options, output_option


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("before", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("after", type=click.Path(dir_okay=False, path_type=Path))
@output_option
@language_options
@click.option("--body-mass", "body_mass_kg", type=float, help="Body mass in kg (overrides the recordings').")
@overwrite_option
def cli(before: Path, after: Path, output: Path, lang: str, audience: str, body_mass_kg: float | None, overwrite: bool) -> None:
    """Compare BEFORE with AFTER: an exercise programme, or two shoes.

    A difference is shown only where it exceeds the step-to-step variability:
    the difference of the means must be larger than twice its standard error
    computed from the between-step SDs (the report states the rule). Findings
    and exercises are those of AFTER, with BEFORE as the person's own baseline.

    \b
    Examples:
      insole compare week0.h5 week8.h5 -o progress.html
      insole compare shoe-a.h5 shoe-b.h5 -o shoes.pdf --lang nl
    """
    from insole.report import build_compare, load_session

    b, a = load_session(before, body_mass_kg=body_mass_kg), load_session(after, body_mass_kg=body_mass_kg)
    path = build_compare(b, a, lang=lang, audience=audience).save(output, overwrite=overwrite)
    click.echo(f"wrote {path}")

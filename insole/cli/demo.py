"""``insole demo``: simulated and shipped real recordings through analysis into reports."""

from __future__ import annotations

from pathlib import Path

import click

from insole.cli._base import CONTEXT_SETTINGS


@click.command(context_settings=CONTEXT_SETTINGS)
@click.option("-o", "--out-dir", default="insole-demo", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the demo's recordings and reports (files in it are replaced).")
def cli(out_dir: Path) -> None:
    """Run insole end to end and print where the reports are.

    Simulates (with fixed seeds; nothing is downloaded) three walks of one
    subject eight weeks apart, a run and a heel-raise test, imports the real
    Moticon walk shipped with insole, analyses them all and writes reports:
    clinician (English, Dutch, PDF), runner, heel-raise, the real walk (too
    short to judge, and saying so), a before/after comparison and a history.

    \b
    Examples:
      insole demo
      insole demo -o /tmp/demo
    """
    from insole.demo import run_demo

    for line in run_demo(out_dir):
        click.echo(line)

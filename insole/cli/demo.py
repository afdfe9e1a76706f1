"""``insole demo``: run the pipeline on generated and shipped sample data."""

from __future__ import annotations

from pathlib import Path

import click

from insole.cli._base import CONTEXT_SETTINGS


@click.command(context_settings=CONTEXT_SETTINGS)
@click.option("-o", "--out-dir", default="insole-demo", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the demo's recordings and results.")
def cli(out_dir: str) -> None:
    """Run insole end to end on sample data and print where the results are.

    Generates a sample recording with a fixed seed (nothing is downloaded),
    writes it as an insole HDF5 file, validates it and computes per-frame
    features with the compiled kernels.

    \b
    Examples:
      insole demo
      insole demo -o /tmp/demo
    """
    from insole.demo import run_demo

    for line in run_demo(Path(out_dir)):
        click.echo(line)

"""``insole repair``: make a recording whose writer crashed writable again."""

from __future__ import annotations

import click

from insole.cli._base import CONTEXT_SETTINGS


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("file", type=click.Path(dir_okay=False))
def cli(file: str) -> None:
    """Clear the "open for writing" flags a crashed recorder left in FILE.

    A recording killed mid-way keeps every frame up to its last flush and can
    always be read; this makes it writable again (for 'insole analyze --write').
    Only run it when no recorder is writing the file.

    \b
    Examples:
      insole repair crashed.h5
    """
    from insole.store import repair

    changed = repair(file)
    click.echo(f"{file}: repaired, writable again" if changed else f"{file}: nothing to repair")

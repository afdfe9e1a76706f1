"""``insole formats``: the file formats ``insole import`` reads."""

from __future__ import annotations

import click

from insole.cli._base import CONTEXT_SETTINGS


@click.command(context_settings=CONTEXT_SETTINGS)
def cli() -> None:
    """List the file formats 'insole import' reads, with their usual suffixes.

    Formats are recognised by content; give --format NAME to 'insole import'
    when a file is not (e.g. csv-generic, which needs a column map).

    \b
    Examples:
      insole formats
      insole import FILE --format csv-lr -o out.h5
    """
    from insole.io import list_formats

    specs = list_formats()
    width = max(len(s.name) for s in specs)
    for s in specs:
        notes = []
        if s.multi_file:
            notes.append("several files: the feet of one trial")
        if s.attach is not None:
            notes.append(f"attaches to {', '.join(s.attaches_to)}")
        if s.options:
            notes.append("options: " + ", ".join(f"--{o}" for o in s.options))
        if not s.auto:
            notes.append("only with --format")
        extra = f" [{'; '.join(notes)}]" if notes else ""
        click.echo(f"{s.name:<{width}}  {'/'.join(s.suffixes):<16} {s.description}{extra}")

"""``insole ports``: the serial ports of this machine with their USB descriptions."""

from __future__ import annotations

import json

import click

from insole.cli._base import CONTEXT_SETTINGS


@click.command(context_settings=CONTEXT_SETTINGS)
@click.option("--all", "include_links", is_flag=True, help="Also list symbolic links (e.g. /dev/serial/by-id/...).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def cli(include_links: bool, as_json: bool) -> None:
    """List serial ports with their USB descriptions.

    The DEVICE column is what 'insole record' and 'insole check' take.
    Pseudo-terminals (insole emulate --pty) and socket:// URLs are not
    listed: they are given by their path or URL.

    \b
    Examples:
      insole ports
      insole ports --all --json
    """
    from dataclasses import asdict

    from insole.acquisition.ports import list_ports

    ports = list_ports(include_links=include_links)
    if as_json:
        click.echo(json.dumps([asdict(p) for p in ports], indent=1))
        return
    if not ports:
        click.echo("no serial ports found (plug the insole in; a virtual one: insole emulate --pty)")
        return
    width = max(len("DEVICE"), *(len(p.device) for p in ports))
    click.echo(f"{'DEVICE':<{width}}  DESCRIPTION  (HWID)")
    for p in ports:
        click.echo(f"{p.device:<{width}}  {p.description}  ({p.hwid})")

"""``insole layouts``: list the sensor layouts and draw one."""

from __future__ import annotations

from pathlib import Path

import click

from insole.exceptions import InsoleError


@click.group(invoke_without_command=True)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """List the sensor layouts, one per line with a short description.

    Parametric grids grid-<rows>x<cols>-<pitch_mm> can be used by name without being listed.

    \b
    Examples:
      insole layouts
      insole layouts show pedar-99 -o pedar.png
    """
    if ctx.invoked_subcommand is not None:
        return
    from insole.layout import GRID_NAME_PATTERN, list_layouts

    rows = list_layouts(descriptions=True)
    rows.append((GRID_NAME_PATTERN, "parametric grid, generated on demand (e.g. grid-32x32-5.08)"))
    width = max(len(name) for name, _ in rows)
    for name, description in rows:
        click.echo(f"{name:<{width}}  {_first_sentence(description)}")


@cli.command("show")
@click.argument("name")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Image file to write; the format follows the suffix (.png, .pdf, .svg).",
)
@click.option(
    "--side",
    type=click.Choice(["left", "right"]),
    default="left",
    show_default=True,
    help="Foot side to draw (the other side is the mirror image).",
)
@click.option("--size", type=int, default=None, help="Insole size, for layouts that come in sizes.")
def show(name: str, output: Path, side: str, size: int | None) -> None:
    """Draw layout NAME: outline, sensors coloured by region and the foot axis.

    \b
    Examples:
      insole layouts show pedar-99 -o pedar.png
      insole layouts show moticon-16 --size 3 --side right -o moticon-3-right.pdf
      insole layouts show grid-32x32-5.08 -o grid.svg
    """
    from insole.layout import get_layout

    try:
        layout = get_layout(name, side=side, size=size)
    except InsoleError as exc:
        raise click.ClickException(str(exc)) from None
    figure = layout.plot()
    try:
        figure.savefig(output, dpi=150)
    except ValueError as exc:  # unsupported suffix
        raise click.ClickException(f"cannot write {output.name}: {exc}") from None
    except OSError as exc:
        raise click.ClickException(
            f"cannot write {output} ({exc.strerror}); check the path"
        ) from None
    click.echo(f"wrote {output}")


def _first_sentence(text: str) -> str:
    """Shorten a description to its part before the first semicolon."""
    return text.split(";", 1)[0]

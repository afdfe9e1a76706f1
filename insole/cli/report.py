"""``insole report``: an HTML or PDF report of one or more recordings."""

from __future__ import annotations

from pathlib import Path

import click

from insole.cli._base import CONTEXT_SETTINGS, overwrite_option

REPORT_SUFFIXES = (".html", ".htm", ".pdf")


def output_option(func):
    """``-o/--output`` for a report file (``.html`` or ``.pdf``)."""
    return click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
                        callback=_check_suffix, help="Report file: .html (one self-contained file) or .pdf (A4).")(func)


def language_options(func):
    """``--lang`` and ``--audience``."""
    func = click.option("--audience", type=click.Choice(["clinician", "runner"]), default="clinician", show_default=True,
                        help="clinician: every table, figure and finding; runner: shorter, with technique cues.")(func)
    return click.option("--lang", type=click.Choice(["en", "nl"]), default="en", show_default=True,
                        help="Language of the report (English or Dutch).")(func)


def _check_suffix(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    if value.suffix.lower() not in REPORT_SUFFIXES:
        raise click.BadParameter(f"{value} must end in .html or .pdf (the suffix chooses the format)")
    return value


def recording_argument(func):
    """One or more recording files."""
    return click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))(func)


@click.command(context_settings=CONTEXT_SETTINGS)
@recording_argument
@output_option
@language_options
@click.option("--body-mass", "body_mass_kg", type=float, help="Body mass in kg (overrides the recordings').")
@overwrite_option
def cli(files: tuple[Path, ...], output: Path, lang: str, audience: str, body_mass_kg: float | None, overwrite: bool) -> None:
    """Analyse FILES and write a report: data quality, pressure maps, gait lines, measurements, interpretation and exercises.

    Every statement names the measured value, what it was compared with, the
    evidence level and the caveat. A recording with fewer than 10 usable steps
    per foot is reported as too short to judge, with no exercise suggested.
    Safety answers stored with the recording (pain, diabetes or neuropathy,
    recent injury) send the reader to a clinician first. Several FILES give one
    report with a part per recording.

    \b
    Examples:
      insole report walk.h5 -o walk.html
      insole report walk.h5 -o walk.pdf --lang nl
      insole report run.h5 -o run.html --audience runner
      insole report walk.h5 heel-raise.h5 -o visit.html
    """
    from insole.report import build_report, load_session

    sessions = [load_session(f, body_mass_kg=body_mass_kg) for f in files]
    path = build_report(sessions, lang=lang, audience=audience).save(output, overwrite=overwrite)
    click.echo(f"wrote {path}")

"""The ``insole`` command line: a thin skin over the library, one module per command."""

from __future__ import annotations

import click

from insole._version import __version__
from insole.cli import (
    analyze,
    batch,
    calibrate,
    check,
    compare,
    demo,
    emulate,
    export,
    formats,
    history,
    import_,
    info,
    layouts,
    live,
    ports,
    record,
    repair,
    report,
    simulate,
    test_,
)
from insole.cli._base import CONTEXT_SETTINGS, InsoleGroup


@click.group(cls=InsoleGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="insole")
def main() -> None:
    """insole: an open pressure-insole gait lab.

    Record, import, simulate and analyse plantar-pressure insoles, and turn
    the results into honest reports.

    \b
    Examples:
      insole demo                      # the whole pipeline on shipped sample data
      insole info walk.h5              # summary and validation of a recording
      insole info --backend            # which kernels are in use
      insole layouts                   # the sensor layouts we know
      insole import walk.txt -o walk.h5 # a vendor or DIY recording into our format
      insole simulate -o sim.h5        # a synthetic recording with known truth
      insole analyze walk.h5 --json walk.json
      insole batch walks/ -o summary.csv # many recordings, one row each
      insole report walk.h5 -o walk.html --lang nl
      insole compare week0.h5 week8.h5 -o progress.html
      insole emulate --pty &            # a virtual insole, prints its port
      insole record /dev/pts/5 -o rec.h5 --layout pedar-99 --duration 30
      insole test heel-raise hr.h5 --foot left   # guided foot tests
    """


main.add_command(analyze.cli, "analyze")
main.add_command(batch.cli, "batch")
main.add_command(calibrate.cli, "calibrate")
main.add_command(check.cli, "check")
main.add_command(compare.cli, "compare")
main.add_command(demo.cli, "demo")
main.add_command(emulate.cli, "emulate")
main.add_command(export.cli, "export")
main.add_command(formats.cli, "formats")
main.add_command(history.cli, "history")
main.add_command(import_.cli, "import")
main.add_command(info.cli, "info")
main.add_command(layouts.cli, "layouts")
main.add_command(live.cli, "live")
main.add_command(ports.cli, "ports")
main.add_command(record.cli, "record")
main.add_command(repair.cli, "repair")
main.add_command(report.cli, "report")
main.add_command(simulate.cli, "simulate")
main.add_command(test_.cli, "test")

"""``insole batch``: analyse many recordings on Dask into one summary table."""

from __future__ import annotations

import click

from insole.cli._base import CONTEXT_SETTINGS


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Summary CSV to write: one row per recording.")
@click.option("--steps-csv", type=click.Path(dir_okay=False), help="Also write one row per step of every recording.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Use a running dask.distributed scheduler (tcp://host:8786) instead of a local cluster.")
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes of the local cluster [default: cores].")
@click.option("--no-cache", is_flag=True, help="Analyse every recording again, even those done before.")
def cli(inputs, output, steps_csv, scheduler, workers, no_cache) -> None:
    """Analyse every recording in INPUTS and write one summary row per recording.

    INPUTS are recording files, folders (searched recursively) and glob
    patterns, in any format 'insole formats' lists; vendor and DIY files are
    imported on the fly, left/right files of one trial (F-Scan) make one
    recording.  Each row holds the metadata (subject, group, task, ...), the
    per-foot summary (step counts, means and SDs of the per-step metrics,
    stride-time CV) and the warnings.  A recording that fails gets a row
    with status 'error' and the message; the others go on.  Results are kept
    in OUTPUT.cache/ (one JSON per file content hash): running the same
    command again skips recordings already done, so an interrupted batch
    resumes.  Work runs on a local Dask cluster of one-thread processes, or
    on the workers of --scheduler (they must see the files under the same
    paths).  Columns: docs/batch.md.

    \b
    Examples:
      insole batch recordings/ -o summary.csv
      insole batch 'data/**/*.h5' -o summary.csv --steps-csv steps.csv --workers 2
      insole batch ../shared/data/gaitpdb/data/*_01.txt -o gaitpdb.csv
      dask scheduler --host 127.0.0.1 --port 8786 &  dask worker tcp://127.0.0.1:8786 --nthreads 1 &
      insole batch walks/ -o summary.csv --scheduler tcp://127.0.0.1:8786
    """
    import sys

    from insole.batch import run_batch

    say = (lambda msg: click.echo(msg, err=True)) if sys.stderr.isatty() else None
    report = run_batch(list(inputs), output, steps_csv=steps_csv, scheduler=scheduler, workers=workers,
                       use_cache=not no_cache, log=say)
    click.echo(f"wrote {output}: {report.n_recordings} recordings ({report.n_cached} done before, "
               f"{report.n_computed} analysed, {report.n_failed} failed)"
               + (f"; steps in {steps_csv}" if steps_csv else ""))
    for row in report.rows:
        if row.get("status") != "ok":
            click.echo(f"failed: {row['file']}: {row['error']}", err=True)

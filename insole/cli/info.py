"""``insole info``: summarise and validate a recording, or show the kernel backend."""

from __future__ import annotations

import click

from insole.cli._base import CONTEXT_SETTINGS


def backend_summary() -> str:
    """One line per fact about the kernels in use."""
    import h5py
    import numpy as np

    from insole import kernels

    lines = [
        f"backend: {kernels.BACKEND} ({kernels.BACKEND_REASON})",
        f"threads: {kernels.default_num_threads()}",
        f"vector path: {kernels.simd_path()} (per-frame kernels; INSOLE_NO_AVX=1 keeps SSE2)",
        f"numpy {np.__version__}, h5py {h5py.__version__} (HDF5 {h5py.version.hdf5_version})",
    ]
    return "\n".join(lines)


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--backend", is_flag=True, help="Show which kernels (cython or numpy) are in use and exit.")
def cli(file: str | None, backend: bool) -> None:
    """Summarise and validate the recording FILE.

    Prints feet, sensors, layout, sampling rate, duration, frames, lost
    frames, link statistics and metadata.  A truncated, foreign or too new
    file gets a one-line error and exit code 2.

    \b
    Examples:
      insole info walk.h5
      insole info --backend
    """
    if backend:
        click.echo(backend_summary())
        return
    if file is None:
        raise click.UsageError("give a recording FILE, or --backend")
    from insole.summary import summarize_file

    click.echo(summarize_file(file))

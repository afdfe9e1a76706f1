"""Batch analysis of many recordings on Dask (``insole batch``).

:func:`expand_inputs` turns files, folders and glob patterns into recordings
(:class:`BatchItem`), :func:`content_key` hashes their content (SHA-256),
:func:`process_recording` imports or opens one and analyses it into table
rows (plain, picklable, no Dask inside), :class:`ResultCache` keeps one JSON
per content hash next to the summary, and :func:`run_batch` distributes the
work over a local cluster of process workers or an existing
``dask.distributed`` scheduler, writing the summary (and per-step) CSV
atomically as results arrive.  docs/batch.md describes the columns.
"""

from insole.batch._cache import ResultCache, cache_dir_for
from insole.batch._inputs import BatchItem, content_key, expand_inputs, file_sha256
from insole.batch._runner import BASE_COLUMNS, WORKER_ENV, BatchReport, run_batch
from insole.batch._task import (
    FOOT_SCALARS,
    METADATA_COLUMNS,
    ROW_VERSION,
    process_recording,
    summary_row,
    warm_up,
)

__all__ = [
    "BASE_COLUMNS",
    "FOOT_SCALARS",
    "METADATA_COLUMNS",
    "ROW_VERSION",
    "WORKER_ENV",
    "BatchItem",
    "BatchReport",
    "ResultCache",
    "cache_dir_for",
    "content_key",
    "expand_inputs",
    "file_sha256",
    "process_recording",
    "run_batch",
    "summary_row",
    "warm_up",
]

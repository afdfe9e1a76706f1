"""Run a batch on Dask: a local cluster of process workers, or an existing scheduler."""

from __future__ import annotations

import csv
import io
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from insole.batch._cache import ResultCache, cache_dir_for
from insole.batch._inputs import BatchItem, content_key, expand_inputs
from insole.batch._task import METADATA_COLUMNS, ignore_interrupts, process_recording, warm_up
from insole.exceptions import InsoleError

#: Columns every summary row starts with.
BASE_COLUMNS = ("file", "recording", "format", "content_sha256", "status", "error")
#: Environment of local workers: one thread each for OpenMP, BLAS and the insole kernels.
WORKER_ENV = {"OMP_NUM_THREADS": "1", "INSOLE_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: Rewrite the output files at most this often while results arrive (and once at the end).
WRITE_EVERY_S = 2.0


@dataclass
class BatchReport:
    """What :func:`run_batch` did.

    Attributes
    ----------
    rows : list of dict
        The summary rows, in input order.
    n_recordings, n_cached, n_computed, n_failed : int
        Recordings in the batch, taken from the cache, analysed now, failed.
    elapsed_s : float
        Wall time of the computation (cluster start-up excluded).
    startup_s : float
        Time to start or reach the cluster.
    summary_csv, steps_csv : Path or None
        The files written.
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    n_recordings: int = 0
    n_cached: int = 0
    n_computed: int = 0
    n_failed: int = 0
    elapsed_s: float = 0.0
    startup_s: float = 0.0
    summary_csv: Path | None = None
    steps_csv: Path | None = None


class _Progress:
    """A one-line progress bar on a terminal (nothing elsewhere)."""

    def __init__(self, total: int, stream: TextIO | None, width: int = 30) -> None:
        self.total, self.stream, self.width = total, stream, width
        self.done = self.failed = self.cached = 0
        self.t0 = time.perf_counter()

    def update(self, *, failed: bool = False, cached: bool = False, draw: bool = True) -> None:
        self.done += 1
        self.failed += failed
        self.cached += cached
        if draw:
            self.draw()

    def draw(self) -> None:
        if self.stream is None:
            return
        frac = self.done / self.total if self.total else 1.0
        bar = "#" * round(frac * self.width)
        elapsed = time.perf_counter() - self.t0
        extra = f", {self.cached} cached" if self.cached else ""
        extra += f", {self.failed} failed" if self.failed else ""
        self.stream.write(f"\r[{bar:<{self.width}}] {self.done}/{self.total} recordings{extra}, {elapsed:.0f} s ")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.write("\n")
            self.stream.flush()


def _atomic_csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        tmp.write_text(buf.getvalue())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InsoleError(f"cannot write {path}: {exc.strerror or exc}") from None


def _rank(column: str) -> int:
    for i, prefix in enumerate(("left_", "right_", "symmetry_", "warnings"), 1):
        if column.startswith(prefix):
            return i
    return 0


def _columns(rows: list[dict[str, Any]], first: Sequence[str]) -> list[str]:
    """``first``, then the other keys of the rows in first-seen order (left, right, symmetry, warnings last)."""
    seen = dict.fromkeys(first)
    rest: dict[str, None] = {}
    for row in rows:
        for k in row:
            if k not in seen and k not in rest:
                rest[k] = None
    order = {k: i for i, k in enumerate(rest)}
    return [*seen, *sorted(rest, key=lambda k: (_rank(k), order[k]))]


def _summary_row(item: BatchItem, key: str, result: dict[str, Any]) -> dict[str, Any]:
    row = {"file": ";".join(item.paths), "recording": Path(item.paths[0]).stem, "format": item.format or "",
           "content_sha256": key, "status": result.get("status"), "error": result.get("error")}
    row.update(result.get("row") or {})
    return row


def _step_rows(item: BatchItem, result: dict[str, Any]) -> list[dict[str, Any]]:
    head = {"file": ";".join(item.paths), "recording": Path(item.paths[0]).stem}
    return [{**head, **s} for s in result.get("steps") or []]


def _error_result(key: str, item: BatchItem, message: str) -> dict[str, Any]:
    return {"key": key, "paths": list(item.paths), "status": "error", "error": message, "row": {}, "steps": []}


class _Outputs:
    """The summary and step tables, rewritten atomically as results come in."""

    def __init__(self, items: list[BatchItem], keys: list[str], summary: Path, steps: Path | None) -> None:
        self.items, self.keys, self.summary, self.steps = items, keys, summary, steps
        self.results: list[dict[str, Any] | None] = [None] * len(items)
        self.last_write = 0.0

    def add(self, i: int, result: dict[str, Any]) -> None:
        self.results[i] = result
        if time.perf_counter() - self.last_write >= WRITE_EVERY_S:
            self.write(steps=False)

    def rows(self) -> list[dict[str, Any]]:
        return [_summary_row(it, k, r) for it, k, r in zip(self.items, self.keys, self.results) if r is not None]

    def write(self, *, steps: bool = True) -> list[dict[str, Any]]:
        """Rewrite the summary (and, unless ``steps`` is False, the step table, which can be large)."""
        rows = self.rows()
        _atomic_csv(self.summary, rows, _columns(rows, (*BASE_COLUMNS, *METADATA_COLUMNS, "sampling_rate_hz",
                                                        "duration_s", "gait_mode")))
        if steps and self.steps is not None:
            steps = [s for it, r in zip(self.items, self.results) if r is not None for s in _step_rows(it, r)]
            _atomic_csv(self.steps, steps, _columns(steps, ("file", "recording", "foot", "step")))
        self.last_write = time.perf_counter()
        return rows


def _unreachable(scheduler: str, why: str) -> InsoleError:
    why = " ".join(why.split())
    return InsoleError(f"cannot reach scheduler {scheduler}: {why}; start one with `dask scheduler` or omit --scheduler")


def _probe(scheduler: str, timeout_s: float) -> None:
    """Fail fast (one line) when nothing listens at a tcp/tls address, before a Client retries for long."""
    import socket

    from distributed.comm import get_address_host_port, parse_address

    try:
        protocol, _ = parse_address(scheduler)
        if protocol not in ("tcp", "tls"):
            return
        host, port = get_address_host_port(scheduler)
    except (ValueError, TypeError) as exc:
        raise _unreachable(scheduler, str(exc) or "not an address") from None
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        raise _unreachable(scheduler, exc.strerror or str(exc) or type(exc).__name__) from None


def _connect(scheduler: str | None, workers: int | None, timeout_s: float):
    """A Client (and the LocalCluster it owns, or None)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - a declared dependency
        raise InsoleError("insole batch needs dask.distributed; pip install 'dask[distributed]'") from None
    if scheduler:
        _probe(scheduler, timeout_s)
        try:
            client = Client(scheduler, timeout=f"{timeout_s}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise _unreachable(scheduler, str(exc) or type(exc).__name__) from None
        try:
            client.wait_for_workers(1, timeout=timeout_s)
        except (TimeoutError, OSError):
            client.close()
            raise InsoleError(f"scheduler {scheduler} has no workers; start some with `dask worker {scheduler}`") from None
        return client, None
    n = workers or os.cpu_count() or 1
    saved = dict(os.environ)
    try:
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR, env=dict(WORKER_ENV))
    finally:  # the nannies set the workers' variables in this process too: give it its own back
        if dict(os.environ) != saved:
            os.environ.clear()
            os.environ.update(saved)
    try:
        client = Client(cluster, set_as_default=False)
        client.run(ignore_interrupts)  # Ctrl-C reaches the whole process group: only the driver acts on it
    except BaseException:
        cluster.close()
        raise
    return client, cluster


def run_batch(inputs: Sequence[str | os.PathLike], summary_csv: str | os.PathLike, *,
              steps_csv: str | os.PathLike | None = None, scheduler: str | None = None, workers: int | None = None,
              progress: bool | None = None, use_cache: bool = True, connect_timeout_s: float = 10.0,
              log: Callable[[str], None] | None = None) -> BatchReport:
    """Analyse many recordings on Dask and write one summary row per recording.

    Parameters
    ----------
    inputs : sequence of str or path
        Recording files, folders or glob patterns (:func:`~insole.batch.expand_inputs`),
        in any importable format.
    summary_csv : path
        The summary table (one row per recording, :func:`~insole.batch.summary_row`
        columns after ``file, recording, format, content_sha256, status, error``).
        Its cache folder ``<summary_csv>.cache/`` holds one JSON per content hash.
    steps_csv : path, optional
        Also write every step of every recording (``file``, ``recording``, then
        the columns of ``insole analyze --csv``).
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler (``tcp://host:8786``);
        its workers must see the input files under the same paths.  By default
        a local cluster of ``workers`` processes with one thread each is started.
    workers : int, optional
        Worker processes of the local cluster (default: the number of cores).
    progress : bool, optional
        Draw a progress bar on stderr (default: when stderr is a terminal).
    use_cache : bool
        Take results from the cache (they are stored either way).
    connect_timeout_s : float
        How long to try reaching ``scheduler`` (and to wait for one of its workers).
    log : callable, optional
        Receives short messages (cluster start, counts).

    Returns
    -------
    BatchReport

    Raises
    ------
    InsoleError
        No input matched, the scheduler cannot be reached, or an output cannot be written.
        A failing recording does not raise: its row has ``status`` ``error`` and the message.
    """
    if scheduler and workers:
        raise InsoleError("--workers applies to the local cluster only; the scheduler's workers are used with --scheduler")
    if workers is not None and workers < 1:
        raise InsoleError(f"--workers must be at least 1, not {workers}")
    if scheduler:
        _probe(scheduler, connect_timeout_s)
    summary = Path(summary_csv)
    steps = Path(steps_csv) if steps_csv else None
    for out in (summary, steps):
        if out is not None and not out.parent.is_dir():
            raise InsoleError(f"cannot write {out}: folder {out.parent} does not exist")
    items = expand_inputs(inputs)
    keys: list[str] = []
    unreadable: dict[int, str] = {}
    for i, it in enumerate(items):
        try:
            keys.append(content_key(it.paths))
        except OSError as exc:  # reported in its row; the others go on
            keys.append("")
            unreadable[i] = f"cannot read {exc.filename or it.name}: {exc.strerror or exc}"
    cache = ResultCache(cache_dir_for(summary))
    outputs = _Outputs(items, keys, summary, steps)
    report = BatchReport(n_recordings=len(items), summary_csv=summary, steps_csv=steps)
    stream = sys.stderr if (progress if progress is not None else sys.stderr.isatty()) else None
    bar = _Progress(len(items), stream)
    pending = []
    for i, key in enumerate(keys):
        if i in unreadable:
            outputs.results[i] = _error_result(key, items[i], unreadable[i])
            bar.update(failed=True, draw=False)
            continue
        hit = cache.get(key, need_steps=steps is not None) if use_cache else None
        if hit is not None:
            outputs.results[i] = hit
            report.n_cached += 1
            bar.update(cached=True, draw=False)
        else:
            pending.append(i)
    if log:
        log(f"{len(items)} recordings: {report.n_cached} done before, {len(pending)} to analyse")
    try:
        if pending:
            t0 = time.perf_counter()
            client, cluster = _connect(scheduler, workers, connect_timeout_s)
            try:  # from here on the client and a local cluster are closed whatever happens (Ctrl-C too)
                try:
                    client.run(warm_up)  # imports on every worker: part of the start-up, not of the work
                except Exception:  # a worker that cannot even import insole fails its tasks with the reason
                    pass
                report.startup_s = time.perf_counter() - t0
                if log:
                    n_workers = len(client.nthreads())
                    log(f"{'scheduler ' + scheduler if scheduler else 'local cluster'}: {n_workers} workers "
                        f"(ready in {report.startup_s:.1f} s)")
                bar.t0 = time.perf_counter()
                bar.draw()
                report.elapsed_s = _compute(client, items, keys, pending, cache, outputs, bar, report,
                                            want_steps=steps is not None)
            finally:
                client.close()
                if cluster is not None:
                    cluster.close()
    finally:
        if not pending:
            bar.draw()
        bar.close()
        report.rows = outputs.write()
    report.n_failed = sum(r["status"] != "ok" for r in report.rows)
    return report


def _compute(client, items, keys, pending, cache, outputs, bar, report, *, want_steps: bool) -> float:
    from distributed import as_completed

    t0 = time.perf_counter()
    futures = {}
    for i in pending:
        it = items[i]
        fut = client.submit(process_recording, it.paths, it.format, keys[i], want_steps=want_steps,
                            key=f"insole-batch-{i}-{keys[i][:16]}", pure=False, retries=0)
        futures[fut] = i
    for fut in as_completed(futures, loop=client.loop):
        i = futures[fut]
        try:
            result = fut.result()
        except Exception as exc:  # the worker died (out of memory, killed): the batch goes on
            msg = " ".join(str(exc).split()) or type(exc).__name__
            result = _error_result(keys[i], items[i], f"{type(exc).__name__}: {msg}")
        finally:
            fut.release()
        cache.put(result)
        outputs.add(i, result)
        report.n_computed += 1
        bar.update(failed=result.get("status") != "ok")
    return time.perf_counter() - t0


__all__ = ["BatchReport", "run_batch"]

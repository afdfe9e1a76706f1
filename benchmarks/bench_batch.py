"""Batch throughput of ``insole batch`` (``insole.batch.run_batch``) on 1 and 2 Dask process workers.

Run: ``python benchmarks/bench_batch.py [--recordings 200] [--workers 1 2] [--data-dir DIR] [--json OUT.json]``
or ``python benchmarks/bench_batch.py --quick`` (16 recordings, a few seconds of work).

Simulates the recordings once (not timed; ``--data-dir`` keeps them for the next run):
walks at 100 Hz alternating two ``moticon-16`` insoles for 10 minutes and two ``pedar-99``
insoles for 5 minutes, gzip-compressed as the simulator writes them by default.  Then, for
each worker count, one batch over all of them on a fresh local cluster (process workers of
one thread each, OpenMP/BLAS/kernel threads pinned to 1 in the workers' environment) with
the cache off.  Timed: from the first task submitted to the last result written (cluster
start-up and the workers' imports excluded, reported apart; the driver hashes the files
before that).  Issue 9 target: 2 workers at least 1.7x faster than 1 on at least 60 s of
single-worker work on this 2-core machine.  The machine is shared: the load average before
and after is printed with the table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _harness import emit

#: (layout, minutes) of the recordings, used in turn.
KINDS = (("moticon-16", 10.0), ("pedar-99", 5.0))
RATE_HZ = 100.0
TARGET_SPEEDUP = 1.7
DEFAULT_JSON = Path(__file__).parent / "results" / "batch.json"


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def simulate_recordings(folder: Path, n: int) -> tuple[list[Path], float]:
    """``n`` simulated walks in ``folder`` (kept when present); their paths and total duration in s."""
    from insole.simulate import simulate

    folder.mkdir(parents=True, exist_ok=True)
    paths, total_s = [], 0.0
    t0 = time.perf_counter()
    made = 0
    for i in range(n):
        layout, minutes = KINDS[i % len(KINDS)]
        path = folder / f"walk_{i:04d}_{layout}_{minutes:g}min.h5"
        if not path.exists():
            simulate(path, layout=layout, task="walk", duration_s=minutes * 60.0, rate_hz=RATE_HZ, seed=1000 + i)
            made += 1
        paths.append(path)
        total_s += minutes * 60.0
    if made:
        print(f"simulated {made} recordings in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return paths, total_s


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=200, help="recordings in the batch (default 200)")
    parser.add_argument("--quick", action="store_true", help="a small run: 16 recordings, no JSON unless --json")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default 1 2)")
    parser.add_argument("--data-dir", help="keep the simulated files here (default: a temporary directory)")
    parser.add_argument("--json", help=f"write the table here (default {DEFAULT_JSON.relative_to(Path.cwd()) if DEFAULT_JSON.is_relative_to(Path.cwd()) else DEFAULT_JSON}, not with --quick)")
    args = parser.parse_args(argv)
    from insole.batch import WORKER_ENV, run_batch

    n = 16 if args.quick else args.recordings
    json_path = args.json or (None if args.quick else str(DEFAULT_JSON))
    rows: list[dict] = []
    load_before = _load()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        data = Path(args.data_dir) if args.data_dir else Path(tmp) / "data"
        paths, total_s = simulate_recordings(data, n)
        size_mb = sum(p.stat().st_size for p in paths) / 1e6
        summaries = {}
        base = None
        for w in args.workers:
            out = Path(tmp) / f"summary_{w}w.csv"
            report = run_batch([str(p) for p in paths], out, workers=w, use_cache=False, progress=False)
            if report.n_failed:
                bad = next(r for r in report.rows if r["status"] != "ok")
                raise SystemExit(f"{report.n_failed} recordings failed, e.g. {bad['file']}: {bad['error']}")
            summaries[w] = out.read_text()
            if base is None:
                base = (w, report.elapsed_s)
            speedup = base[1] / report.elapsed_s * (1 if base[0] == 1 else float("nan"))
            rows.append({
                "workers": w,
                "recordings": report.n_recordings,
                "work s": report.elapsed_s,
                "start-up s": report.startup_s,
                "recordings/s": report.n_recordings / report.elapsed_s,
                "x real time": total_s / report.elapsed_s,
                "speed-up vs 1 worker": speedup,
                "target": TARGET_SPEEDUP if w == 2 else "",
            })
            print(f"{w} worker(s): {report.elapsed_s:.1f} s for {report.n_recordings} recordings "
                  f"(start-up {report.startup_s:.1f} s), load {_load()}", file=sys.stderr)
        same = len(set(summaries.values())) == 1
    notes = (f"{n} simulated walks at {RATE_HZ:g} Hz (moticon-16 10 min and pedar-99 5 min in turn, gzip), "
             f"{total_s / 3600:.1f} h recorded, {size_mb:.0f} MB; local cluster of process workers, 1 thread each, "
             f"worker environment {', '.join(f'{k}={v}' for k, v in WORKER_ENV.items())}; cache off; summary only "
             f"(no --steps-csv); timed from the first task to the last result (start-up apart); load average before "
             f"{load_before}, after {_load()}; summaries of all worker counts identical: {'yes' if same else 'NO'}")
    emit("batch throughput (insole batch)", rows, ["workers", "recordings", "work s", "start-up s", "recordings/s",
                                                  "x real time", "speed-up vs 1 worker", "target"], json_path, notes=notes)
    return rows


if __name__ == "__main__":
    main()

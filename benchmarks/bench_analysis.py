"""Whole-file analysis speed (multiples of real time) and peak memory of ``insole.analysis.analyze``.

Run: ``python benchmarks/bench_analysis.py [--minutes 10] [--repeat 3] [--data-dir DIR] [--json OUT.json]``

Simulates each case once (not timed; ``--data-dir`` keeps the files for the next run),
then analyses it in a fresh subprocess per case: ``analyze(path)`` from the HDF5 file,
reported as the best of ``--repeat`` calls (the first call, with cold caches, too) and
the subprocess's peak resident memory (``VmHWM``).  Cases (issue 5 targets):

* two ``pedar-99`` insoles at 100 Hz, walking: >= 1000x real time;
* two ``fscan-60x21`` insoles at 500 Hz, walking (and running): >= 50x real time and
  < 1 GB peak memory for 10 minutes, with the raw values uncompressed, lzf or gzip.

The machine is shared: the load average before and after is printed with the table, and
the kernel thread count (``INSOLE_NUM_THREADS``) is stated.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _harness import emit

#: (label, layout, task, rate_hz, compression)
CASES = (
    ("pedar-walk", "pedar-99", "walk", 100.0, "gzip"),
    ("fscan-walk-none", "fscan-60x21", "walk", 500.0, "none"),
    ("fscan-walk-lzf", "fscan-60x21", "walk", 500.0, "lzf"),
    ("fscan-walk-gzip", "fscan-60x21", "walk", 500.0, "gzip"),
    ("fscan-run-none", "fscan-60x21", "run", 500.0, "none"),
)
TARGETS = {"pedar-99": 1000.0, "fscan-60x21": 50.0}


def _peak_rss_mb() -> float:
    """Peak resident memory of this process, MB.

    ``VmHWM`` of /proc/self/status where available: ``ru_maxrss`` survives ``exec`` on
    Linux, so a child would inherit its parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _worker(path: str, repeat: int) -> None:
    """Analyse ``path`` ``repeat`` times in this (fresh) process; print one JSON line."""
    from insole.analysis import analyze

    times = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        res = analyze(path)
        times.append(time.perf_counter() - t0)
    steps = sum(len(f["steps"]) for f in res.data["feet"].values())
    t0 = time.perf_counter()
    res.to_json()
    to_json_s = time.perf_counter() - t0
    print(json.dumps({"first_s": times[0], "best_s": min(times), "steps": steps, "to_json_s": to_json_s,
                      "maxrss_mb": _peak_rss_mb()}))


def _simulate(path: Path, layout: str, task: str, rate: float, minutes: float, compression: str) -> float:
    from insole.simulate import simulate

    if not path.exists():
        t0 = time.perf_counter()
        simulate(path, layout=layout, task=task, duration_s=minutes * 60.0, rate_hz=rate, seed=1,
                 compression=None if compression == "none" else compression)
        print(f"simulated {path.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return path.stat().st_size / 1e6


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="recording length (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="analyses per case, best reported (default 3)")
    parser.add_argument("--cases", nargs="*", default=[c[0] for c in CASES], help="subset of: " + ", ".join(c[0] for c in CASES))
    parser.add_argument("--data-dir", help="keep the simulated files here (default: a temporary directory)")
    parser.add_argument("--json")
    parser.add_argument("--worker", nargs=2, metavar=("PATH", "REPEAT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker[0], int(args.worker[1]))
        return []
    from insole import kernels

    rows = []
    load_before = _load()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(args.data_dir) if args.data_dir else Path(tmp)
        data.mkdir(parents=True, exist_ok=True)
        for label, layout, task, rate, compression in CASES:
            if label not in args.cases:
                continue
            path = data / f"{layout}_{task}_{rate:g}Hz_{args.minutes:g}min_{compression}.h5"
            size_mb = _simulate(path, layout, task, rate, args.minutes, compression)
            out = subprocess.run([sys.executable, __file__, "--worker", str(path), str(args.repeat)],
                                 capture_output=True, text=True, check=True, env=os.environ.copy())
            r = json.loads(out.stdout.strip().splitlines()[-1])
            duration = args.minutes * 60.0
            rows.append({
                "case": f"2 x {layout}, {rate:g} Hz, {task}, {args.minutes:g} min, {compression}",
                "file MB": size_mb,
                "steps": r["steps"],
                "analyze s (best)": r["best_s"],
                "x real time": duration / r["best_s"],
                "first call s": r["first_s"],
                "target x": TARGETS.get(layout, float("nan")),
                "peak RSS MB": r["maxrss_mb"],
                "to_json s": r["to_json_s"],
            })
    notes = (f"kernel threads {kernels.default_num_threads()} (INSOLE_NUM_THREADS); load average before {load_before}, "
             f"after {_load()}; analyze(path) from the HDF5 file, best of {args.repeat} in a fresh process per case; "
             "peak RSS (VmHWM) of that process, including Python, NumPy, SciPy and h5py (~115 MB imported)")
    emit("whole-file analysis", rows, ["case", "file MB", "steps", "analyze s (best)", "x real time", "first call s",
                                       "target x", "peak RSS MB", "to_json s"], args.json, notes=notes)
    return rows


if __name__ == "__main__":
    main()

"""Simulator rate: sensel-samples per second streamed to an HDF5 file.

Run: ``python benchmarks/bench_simulate.py [--minutes 10] [--json OUT.json]``

Simulates two ``fscan-60x21`` insoles (960 sensels each) walking at 500 Hz
(the issue's example: 10 minutes in under a minute, i.e. >= 20 million
sensel-samples per second) and writes them uncompressed, plus a gzip run for
comparison. Reported: sensel-samples/s and multiples of real time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _harness import emit

from insole.simulate import simulate


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for compression, minutes in (("none", args.minutes), ("gzip", min(args.minutes, 2.0))):
            path = Path(tmp) / f"sim_{compression}.h5"
            duration = minutes * 60.0
            t0 = time.perf_counter()
            simulate(path, layout="fscan-60x21", task="walk", duration_s=duration, rate_hz=500.0, seed=1,
                     compression=None if compression == "none" else compression)
            elapsed = time.perf_counter() - t0
            samples = 2 * 960 * duration * 500.0
            rows.append({
                "case": f"2 x fscan-60x21, 500 Hz, {minutes:g} min, {compression}",
                "seconds": elapsed,
                "Msensel-samples/s": samples / elapsed / 1e6,
                "x real time": duration / elapsed,
                "file MB": path.stat().st_size / 1e6,
            })
    emit("simulator streamed to HDF5", rows, ["case", "seconds", "Msensel-samples/s", "x real time", "file MB"], args.json,
         notes="target: >= 20 Msensel-samples/s (10 minutes of two 960-sensel insoles at 500 Hz in under a minute)")
    return rows


if __name__ == "__main__":
    main()

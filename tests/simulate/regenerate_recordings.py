"""Regenerate recordings/synthetic and their sha256 rows: ``python tests/simulate/regenerate_recordings.py``.

Run it when the simulator's model changes on purpose (test_recordings.py fails
until then); say why in the commit message.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from insole.simulate import simulate

REPO = Path(__file__).resolve().parents[2]
SPECS = {
    "walk_pedar-99.h5": dict(layout="pedar-99", task="walk", duration_s=40, rate_hz=100, seed=1, subject="sim-walk"),
    "run_pedar-99.h5": dict(layout="pedar-99", task="run", duration_s=20, rate_hz=200, seed=2, strike_pattern="RFS",
                            subject="sim-run"),
    "heel-raise_moticon-16.h5": dict(layout="moticon-16", task="heel-raise", reps=10, fatigue_drift=1.0, seed=3,
                                     subject="sim-hr"),
}


def main() -> None:
    readme = REPO / "recordings" / "README.md"
    text = readme.read_text()
    for name, params in SPECS.items():
        path = simulate(REPO / "recordings" / "synthetic" / name, overwrite=True, **params)
        sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        text = re.sub(rf"(\| synthetic/{re.escape(name)} \|.*\| )[0-9a-f]{{64}}( \|)", rf"\g<1>{sha}\g<2>", text)
        print(name, sha)
    readme.write_text(text)


if __name__ == "__main__":
    main()

"""The demo pipeline behind ``insole demo``: recordings -> analysis -> reports, with nothing downloaded.

It simulates (fixed seeds) three walks of one subject eight weeks apart, a run
and a heel-raise test (analysed by :mod:`insole.foot_tests` into
/derived/heel_raise), imports the real Moticon walk shipped as package data,
analyses everything and writes the reports: clinician (English and Dutch,
HTML and PDF), runner, heel-raise, the real walk, a before/after comparison
and a history.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

#: The shipped real recording (insole/data/README.md).
REAL_RECORDING = "230927_102114.txt"
#: The demo subject's three walking sessions: (file stem, date, toe-off route, seed).
WALKS = (("walk_week0", "2026-01-12T09:30:00", "lateral", 11),
         ("walk_week4", "2026-02-09T09:30:00", "central", 12),
         ("walk_week8", "2026-03-09T09:30:00", "first-ray", 13))
NO_RED_FLAGS = {"pain": False, "diabetes_or_neuropathy": False, "recent_injury": False}


def _simulate(path: Path, **changes) -> Path:
    """Simulate in memory, complete the metadata a clinic would enter, and save."""
    from insole.simulate import simulate

    metadata = changes.pop("metadata", {})
    rec = simulate(**changes)
    rec.metadata = rec.metadata.replace(**metadata)
    rec.save(path, overwrite=True)
    return path


def _heel_raise_test(path: Path, foot: str) -> None:
    """Run the heel-raise test (``insole test heel-raise``) and store it under /derived/heel_raise."""
    from insole.foot_tests import analyze_heel_raise, write_derived

    write_derived(path, "heel_raise", foot, analyze_heel_raise(path, foot).to_tree())


def _recordings(rec_dir: Path) -> dict[str, Path]:
    from insole.io import read

    rec_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for stem, date, route, seed in WALKS:
        paths[stem] = _simulate(rec_dir / f"{stem}.h5", layout="pedar-99", task="walk", duration_s=40.0, rate_hz=100.0,
                                toe_off_route=route, seed=seed, subject="demo-01",
                                metadata={"recorded_at": date, "red_flags": NO_RED_FLAGS, "speed_m_s": 1.3})
    paths["run"] = _simulate(rec_dir / "run.h5", layout="pedar-99", task="run", duration_s=20.0, rate_hz=200.0, seed=21,
                             subject="demo-02", metadata={"recorded_at": "2026-03-10T18:00:00", "speed_m_s": 3.3})
    paths["heel_raise"] = _simulate(rec_dir / "heel_raise.h5", layout="moticon-16", task="heel-raise", reps=10, fatigue_drift=1.0,
                                    seed=31, subject="demo-01", metadata={"recorded_at": "2026-03-09T09:45:00", "footwear": "barefoot",
                                                                          "red_flags": NO_RED_FLAGS})
    _heel_raise_test(paths["heel_raise"], "left")
    with resources.as_file(resources.files("insole") / "data" / REAL_RECORDING) as real:
        rec = read(real, task="walk", subject_id="moticon-sample")
    paths["moticon"] = rec_dir / "moticon_walk.h5"
    rec.save(paths["moticon"], overwrite=True)
    return paths


def run_demo(out_dir: Path) -> Iterator[str]:
    """Run the demo, yielding the lines to print (where each file went)."""
    from insole.report import build_compare, build_history, build_report, load_session

    t0 = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = _recordings(out_dir / "recordings")
    yield f"recordings: {len(paths)} in {out_dir / 'recordings'} (5 simulated with fixed seeds, 1 real Moticon walk)"
    s = {name: load_session(path) for name, path in paths.items()}
    reports = [
        ("walk_clinician_en.html", lambda: build_report([s["walk_week0"]], lang="en", audience="clinician")),
        ("walk_clinician_nl.html", lambda: build_report([s["walk_week0"]], lang="nl", audience="clinician")),
        ("run_runner_en.html", lambda: build_report([s["run"]], lang="en", audience="runner")),
        ("heel_raise_clinician_en.html", lambda: build_report([s["heel_raise"]], lang="en", audience="clinician")),
        ("real_moticon_walk_en.html", lambda: build_report([s["moticon"]], lang="en", audience="clinician")),
        ("compare_week0_week8_en.html", lambda: build_compare(s["walk_week0"], s["walk_week8"], lang="en")),
        ("history_en.html", lambda: build_history([s["walk_week0"], s["walk_week4"], s["walk_week8"]], lang="en")),
    ]
    report_dir = out_dir / "reports"
    report_dir.mkdir(exist_ok=True)
    walk_en = None
    for name, build in reports:
        report = build()
        report.save(report_dir / name, overwrite=True)
        walk_en = walk_en or report
        yield f"wrote {report_dir / name}"
    assert walk_en is not None
    walk_en.save(report_dir / "walk_clinician_en.pdf", overwrite=True)
    yield f"wrote {report_dir / 'walk_clinician_en.pdf'}"
    yield f"done in {time.perf_counter() - t0:.0f} s: open the .html files in a browser (they need no network)"


__all__ = ["run_demo"]

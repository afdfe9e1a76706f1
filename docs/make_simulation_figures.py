"""Regenerate the figures of docs/simulation.md: ``python docs/make_simulation_figures.py``.

Simulated walking and running on a sparse layout (moticon-16) and a grid
(fscan-60x21): force curves, gait lines over the outline, pressure maps; and,
when ../shared/data is present, the same views of real walks (gaitpdb,
Moticon, F-Scan) imported with ``insole.io.read``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from matplotlib.figure import Figure

from insole import plotting
from insole.analysis import analyze
from insole.simulate import simulate

OUT = Path(__file__).parent / "img"
REPO = Path(__file__).resolve().parents[1]


def _panel(path_or_rec, label: str, out: Path, bw_n: float | None) -> None:
    res = analyze(path_or_rec)
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    axes = fig.subplots(1, 4, gridspec_kw={"width_ratios": [2.2, 1, 1, 1]})
    from insole.store import open_recording

    with open_recording(path_or_rec) as rec:
        layouts = {f: rec.foot(f).layout for f in rec.feet}
    plotting.force_curves({f: c["force_curve_n"] for f, c in res.curves.items()}, axes[0], body_weight_n=bw_n,
                          title=f"{label}: force through stance")
    foot = "left" if "left" in res.curves else next(iter(res.curves))
    lay = layouts[foot]
    plotting.gait_lines(lay, res.curves[foot]["gait_line_insole"], axes[1], title=f"{foot}: gait lines")
    plotting.pressure_map(lay, res.curves[foot]["pressure_peak"], axes[2], title="peak", colorbar=False,
                          unit="kPa" if lay.kind == "pressure_kpa" else "N")
    plotting.pressure_map(lay, res.curves[foot]["pressure_mean"], axes[3], title="mean (loaded frames)", colorbar=True,
                          unit="kPa" if lay.kind == "pressure_kpa" else "N")
    fig.savefig(out, dpi=110)
    print("wrote", out)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    tmp = OUT / "_tmp"
    tmp.mkdir(exist_ok=True)
    bw = 70 * 9.80665
    for layout in ("moticon-16", "fscan-60x21"):
        for task, rate in (("walk", 100.0), ("run", 200.0)):
            path = simulate(tmp / f"{task}_{layout}.h5", overwrite=True, layout=layout, task=task, duration_s=12,
                            rate_hz=rate, seed=5, compression="lzf")
            _panel(path, f"simulated {task}, {layout}", OUT / f"sim_{task}_{layout}.png", bw)
    shared = (REPO / ".." / "shared" / "data").resolve()
    real = [("gaitpdb", [REPO / "recordings/gaitpdb/GaCo01_01.txt"]),
            ("moticon", [REPO / "recordings/moticon/230927_102114.txt"]),
            ("fscan", [REPO / "recordings/fscan/FrasP01L.asf", REPO / "recordings/fscan/FrasP01R.asf"])]
    try:
        from insole.io import read
    except ImportError:
        read = None
    if read is not None:
        for name, files in real:
            if not all(f.exists() for f in files):
                continue
            rec = read(files if len(files) > 1 else files[0])
            path = tmp / f"real_{name}.h5"
            rec.save(path, overwrite=True)
            bm = rec.metadata.body_mass_kg
            _panel(path, f"real walk, {name}", OUT / f"real_{name}.png", bm * 9.80665 if bm else None)
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()
    del shared


if __name__ == "__main__":
    sys.exit(main())

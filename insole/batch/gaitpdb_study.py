"""Stride-time variability in Parkinson's disease vs controls on PhysioNet gaitpdb, by ``insole batch``.

Reproduces the direction of Hausdorff et al.'s finding (PD gait has higher
stride-to-stride variability) on the gaitpdb walks in ``../shared/data``::

    python -m insole.batch.gaitpdb_study ../shared/data/gaitpdb -o out/ --figure docs/img/batch_gaitpdb_stride_cv.png

or, from a summary already written by ``insole batch ../shared/data/gaitpdb/data/*_01.txt -o gaitpdb.csv``::

    python -m insole.batch.gaitpdb_study --summary gaitpdb.csv -o out/

Rules, fixed before the test was run (docs/batch.md):

* walks: the usual walk ``_01`` of every subject (one per subject); the dual-task
  walks ``_10`` and repeat walks (``_02`` ...) are left out;
* strides: ``insole.analysis`` leaves out of every summary the partial steps, the
  first and last step of each bout (a pause longer than twice the median stride
  starts a new bout), contacts longer than 2 s, and strides beyond 3 scaled MADs
  (1.4826 x median absolute deviation, at least 2 % of the median) of the median
  stride time (turns and other outliers);
* per foot: coefficient of variation of the remaining stride times,
  ``stride_time_cv_pct`` = 100 SD / mean; per subject: the mean of the two feet;
* test: one-sided Mann-Whitney U (``scipy.stats.mannwhitneyu``, alternative
  "greater": PD above controls), significant when p < 0.05.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: File names of the usual walks: study, group, subject, walk 01.
USUAL_WALK = re.compile(r"^(Ga|Ju|Si)(Co|Pt)\d+_01\.txt$")
GROUPS = ("control", "PD")
ALPHA = 0.05


def usual_walks(folder: str | Path) -> list[Path]:
    """The ``_01`` walks under a gaitpdb folder (its ``data/`` subfolder when present), sorted."""
    root = Path(folder)
    data = root / "data" if (root / "data").is_dir() else root
    return sorted(p for p in data.iterdir() if USUAL_WALK.match(p.name))


def _number(v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return math.nan
    return x


def subject_values(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per recording: subject, group, study, the CV of each foot and their mean (the subject's value).

    Rows that failed, are not a usual walk, or have no group are left out.
    """
    out = []
    for r in rows:
        name = f"{r.get('recording', '')}.txt"
        if r.get("status") != "ok" or not USUAL_WALK.match(name) or r.get("group") not in GROUPS:
            continue
        left, right = _number(r.get("left_stride_time_cv_pct")), _number(r.get("right_stride_time_cv_pct"))
        feet = [v for v in (left, right) if math.isfinite(v)]
        out.append({"recording": r["recording"], "subject_id": r.get("subject_id"), "group": r["group"],
                    "study": name[:2], "left_cv_pct": left, "right_cv_pct": right,
                    "cv_pct": sum(feet) / len(feet) if feet else math.nan,
                    "n_strides_left": r.get("left_n_steps"), "n_strides_right": r.get("right_n_steps")})
    return out


def stride_cv_study(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Group statistics and the one-sided Mann-Whitney test (PD > control) of the subjects' stride-time CV.

    Parameters
    ----------
    rows : sequence of dict
        Summary rows of ``insole batch`` (as read from its CSV).

    Returns
    -------
    dict
        ``subjects`` (per-recording values), per group ``n``, ``median``, ``q1``,
        ``q3``, ``mean``; ``u`` and ``p_one_sided`` of the subjects' CV, and the
        same test on each foot alone (``p_left``, ``p_right``).
    """
    import numpy as np
    from scipy.stats import mannwhitneyu

    subjects = subject_values(rows)
    out: dict[str, Any] = {"subjects": subjects, "rule": __doc__.split("Rules, fixed before the test was run")[1].strip()}

    def values(group: str, key: str = "cv_pct") -> np.ndarray:
        v = np.array([s[key] for s in subjects if s["group"] == group], dtype=float)
        return v[np.isfinite(v)]

    for g in GROUPS:
        v = values(g)
        out[g] = {"n": int(v.size), "median": float(np.median(v)) if v.size else None,
                  "q1": float(np.percentile(v, 25)) if v.size else None,
                  "q3": float(np.percentile(v, 75)) if v.size else None,
                  "mean": float(v.mean()) if v.size else None}
    pd, co = values("PD"), values("control")
    if pd.size and co.size:
        res = mannwhitneyu(pd, co, alternative="greater")
        out["u"], out["p_one_sided"] = float(res.statistic), float(res.pvalue)
        for foot in ("left", "right"):
            r = mannwhitneyu(values("PD", f"{foot}_cv_pct"), values("control", f"{foot}_cv_pct"), alternative="greater")
            out[f"p_{foot}"] = float(r.pvalue)
    else:
        out["u"] = out["p_one_sided"] = None
    return out


def figure(study: dict[str, Any], path: str | Path) -> Path:
    """Box plot with every subject as a dot (colour: study), saved as PNG."""
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.2, 4.2), layout="constrained")
    ax = fig.add_subplot()
    subjects = study["subjects"]
    data = [[s["cv_pct"] for s in subjects if s["group"] == g and math.isfinite(s["cv_pct"])] for g in GROUPS]
    ax.boxplot(data, positions=[1, 2], widths=0.5, showfliers=False, medianprops={"color": "black"})
    colours = {"Ga": "tab:blue", "Ju": "tab:orange", "Si": "tab:green"}
    rng = np.random.default_rng(0)
    for i, g in enumerate(GROUPS, 1):
        for s in (s for s in subjects if s["group"] == g and math.isfinite(s["cv_pct"])):
            ax.plot(i + rng.uniform(-0.12, 0.12), s["cv_pct"], "o", color=colours.get(s["study"], "grey"), alpha=0.8,
                    markersize=5, label=s["study"])
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles))
    ax.legend([uniq[k] for k in sorted(uniq)], [f"study {k}" for k in sorted(uniq)], loc="upper left", fontsize=8)
    ax.set_xticks([1, 2], [f"{g}\n(n = {study[g]['n']})" for g in GROUPS])
    ax.set_ylabel("stride-time CV, % (mean of both feet)")
    p = study.get("p_one_sided")
    ax.set_title("gaitpdb usual walks: stride-to-stride variability"
                 + (f"\none-sided Mann-Whitney p = {p:.3f}" if p is not None else ""), fontsize=10)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return out


def markdown(study: dict[str, Any]) -> str:
    """The numbers as a markdown table (for docs/batch.md)."""
    lines = ["| group | n | median CV % | IQR % | mean CV % |", "|---|---|---|---|---|"]
    for g in GROUPS:
        s = study[g]
        if s["n"]:
            lines.append(f"| {g} | {s['n']} | {s['median']:.2f} | {s['q1']:.2f}-{s['q3']:.2f} | {s['mean']:.2f} |")
    if study.get("p_one_sided") is not None:
        lines += ["", f"One-sided Mann-Whitney U = {study['u']:.0f}, p = {study['p_one_sided']:.4f} "
                      f"(left foot alone p = {study['p_left']:.4f}, right foot alone p = {study['p_right']:.4f})."]
    return "\n".join(lines)


def read_summary(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a summary CSV."""
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m insole.batch.gaitpdb_study",
                                     description="Stride-time CV, PD vs controls, on gaitpdb usual walks via insole batch.")
    parser.add_argument("gaitpdb", nargs="?", help="the gaitpdb folder (e.g. ../shared/data/gaitpdb)")
    parser.add_argument("-o", "--out", required=True, help="folder for gaitpdb_summary.csv, gaitpdb_stride_cv.json and the figure")
    parser.add_argument("--summary", help="use this summary CSV of 'insole batch' instead of running the batch")
    parser.add_argument("--figure", help="where to write the PNG (default: OUT/gaitpdb_stride_cv.png)")
    parser.add_argument("--workers", type=int, help="local Dask workers (default: cores)")
    parser.add_argument("--scheduler", help="a running dask.distributed scheduler instead")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.summary:
        rows = read_summary(args.summary)
    elif args.gaitpdb:
        from insole.batch import run_batch

        walks = usual_walks(args.gaitpdb)
        if not walks:
            parser.error(f"no usual walks (*_01.txt) under {args.gaitpdb}")
        report = run_batch([str(p) for p in walks], out / "gaitpdb_summary.csv", workers=args.workers,
                           scheduler=args.scheduler)
        rows = read_summary(report.summary_csv)
    else:
        parser.error("give the gaitpdb folder or --summary")
    study = stride_cv_study(rows)
    (out / "gaitpdb_stride_cv.json").write_text(json.dumps(study, indent=2))
    fig = figure(study, args.figure or out / "gaitpdb_stride_cv.png")
    print(markdown(study))
    print(f"wrote {out / 'gaitpdb_stride_cv.json'} and {fig}", file=sys.stderr)
    return study


if __name__ == "__main__":
    main()
